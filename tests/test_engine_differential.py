"""Differential tests: our engine against PySD's own ``Model.run`` on every model we ship.

Every variable at every saved time must agree within a relative 1e-9 (Euler).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.model.ir import Call, Stateful, iter_nodes
from simulator.model.load import BUILTIN_ARITY

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(
    [
        *(ROOT / "tests" / "models").glob("*.mdl"),
        *(ROOT / "tests" / "models").glob("*.xmile"),
        *(ROOT / "models").glob("*.mdl"),
    ]
)


def assert_matches_pysd(model: simulator.Model, **kwargs: object) -> None:
    ours = simulator.simulate(model, **kwargs)  # type: ignore[arg-type]
    reference = simulator.simulate(model, engine="pysd", **kwargs)  # type: ignore[arg-type]
    np.testing.assert_array_equal(ours["time"].values, reference["time"].values)
    assert set(ours.data_vars) == set(reference.data_vars)
    for name in ours.data_vars:
        np.testing.assert_allclose(
            ours[name].values, reference[name].values, rtol=1e-9, atol=1e-12, err_msg=name
        )


@pytest.mark.pysd
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_variable_matches_pysd(path: Path) -> None:
    assert_matches_pysd(simulator.load_model(path))


@pytest.mark.pysd
def test_matches_pysd_with_parameters_and_time_series() -> None:
    import pandas as pd

    model = simulator.load_model(ROOT / "tests" / "models" / "statefuls.mdl")
    assert_matches_pysd(
        model,
        params={
            "delay time": np.array([3.0]),
            "smooth time": 0.7,
            "signal": pd.Series([10.0, 14.0, 9.0], index=[0.0, 8.0, 20.0]),
        },
        final_time=12,
        time_step=0.125,
        saveper=0.25,
    )


def test_fixtures_use_every_supported_construct() -> None:
    """The corpus above exercises every builtin and stateful kind the engine accepts."""
    calls: set[str] = set()
    kinds: set[str] = set()
    for path in CORPUS:
        model = simulator.load_model(path)
        for element in model.elements.values():
            for expr in (element.equation, element.initial):
                if expr is None:
                    continue
                for node in iter_nodes(expr):
                    if isinstance(node, Call):
                        calls.add(node.function)
                    elif isinstance(node, Stateful):
                        kinds.add(node.kind.value)
    # PI takes no argument and PySD cannot parse a bare call of it
    assert set(BUILTIN_ARITY) - calls == {"pi"}
    assert kinds == {
        "smooth",
        "delay",
        "delay_n",
        "delay_fixed",
        "trend",
        "forecast",
        "sample_if_true",
        "initial",
    }
