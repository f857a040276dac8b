"""The vectorisation contract and the shape of what ``simulate`` returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator

FIXTURES = Path(__file__).resolve().parent / "models"
STATEFULS = simulator.load_model(FIXTURES / "statefuls.mdl")
BUILTINS = simulator.load_model(FIXTURES / "builtins.mdl")


def _alone(model: simulator.Model, params: dict[str, np.ndarray], r: int, **kw: Any) -> xr.Dataset:
    return simulator.simulate(model, {k: v[r : r + 1] for k, v in params.items()}, **kw)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delay=st.lists(st.floats(0.1, 6.0), min_size=2, max_size=5),
    smooth=st.floats(0.05, 4.0),
    method=st.sampled_from(["euler", "rk4"]),
)
def test_batch_equals_each_member_alone_bit_for_bit(
    delay: list[float], smooth: float, method: str
) -> None:
    n = len(delay)
    params = {
        "delay time": np.array(delay),
        "smooth time": np.linspace(smooth, 2 * smooth, n),
    }
    batch = simulator.simulate(STATEFULS, params, method=method, final_time=8)
    for r in range(n):
        alone = _alone(STATEFULS, params, r, method=method, final_time=8)
        for name in batch.data_vars:
            assert np.array_equal(batch[name].values[r], alone[name].values[0], equal_nan=True), (
                name
            )


def test_batch_with_transcendental_functions_is_bit_identical() -> None:
    params = {"rate": np.linspace(0.01, 0.2, 7), "life": np.linspace(2.0, 30.0, 7)}
    batch = simulator.simulate(BUILTINS, params)
    for r in range(7):
        alone = _alone(BUILTINS, params, r)
        for name in batch.data_vars:
            assert np.array_equal(batch[name].values[r], alone[name].values[0], equal_nan=True)


def test_dataset_layout_and_provenance() -> None:
    frame = pd.DataFrame({"rate": [0.01, 0.02, 0.03], "height": [1.0, 2.0, 3.0]})
    ds = simulator.simulate(BUILTINS, frame, outputs=["level", "Growth"], saveper=1)
    assert list(ds.data_vars) == ["level", "growth"]
    assert ds["level"].dims == ("run", "time")
    assert ds.sizes == {"run": 3, "time": 11}
    assert ds["rate"].values.tolist() == [0.01, 0.02, 0.03]
    assert ds["time"].values.tolist() == list(np.arange(0.0, 11.0))
    assert ds["level"].attrs["units"] == "units"
    assert len(ds.attrs["model_hash"]) == 64
    assert ds.attrs["method"] == "euler" and ds.attrs["time_step"] == 0.125
    # more growth, more level: the runs really differ in the direction of the parameter
    final = ds["level"].isel(time=-1).values
    assert final[0] < final[1] < final[2]


def test_per_run_lookup_tables() -> None:
    model = simulator.load_model(FIXTURES / "lookups.mdl")
    x = [0.0, 1.0, 2.0, 3.0, 4.0]
    y_low = [1.0, 1.0, 1.0, 1.0, 1.0]
    y_high = [2.0, 2.0, 2.0, 2.0, 2.0]
    ds = simulator.simulate(
        model, lookups={"effect of price": (x, np.array([y_low, y_high]))}, outputs=["bounded"]
    )
    assert ds["bounded"].values[:, 0].tolist() == [2.0, 4.0]
    shared = simulator.simulate(
        model, lookups={"effect of price": (x, y_high)}, outputs=["bounded"]
    )
    assert shared["bounded"].values[0, 0] == 4.0


def test_auxiliary_can_be_set_per_run() -> None:
    ds = simulator.simulate(STATEFULS, {"signal": np.array([1.0, 2.0])}, outputs=["shipments"])
    # a smoothed constant input stays at that input: SMOOTH(s) + 0.1 * SMOOTH3(s) = 1.1 s
    np.testing.assert_allclose(ds["shipments"].values[:, -1], [1.1, 2.2], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": {"no such thing": 1.0}}, "unknown variable 'no such thing'"),
        ({"params": {"rat": 1.0}}, "did you mean 'rate'"),
        ({"params": {"level": 1.0}}, "'level' is a stock"),
        ({"params": {"rate": np.ones(2), "life": np.ones(3)}}, "different lengths"),
        ({"params": {"rate": "fast"}}, "expected a number"),
        ({"params": {"rate": np.ones((2, 2))}}, "expected shape (n_runs,)"),
        ({"method": "leapfrog"}, "unknown integration method 'leapfrog'"),
        ({"time_step": 0.0}, "time_step must be positive"),
        ({"final_time": -1.0}, "before initial_time"),
        ({"outputs": ["levle"]}, "did you mean 'level'"),
        ({"engine": "matlab"}, "unknown engine"),
    ],
)
def test_bad_requests_raise_typed_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(simulator.SimulatorError) as info:
        simulator.simulate(BUILTINS, **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
