"""Helpers shared by the sweep, executor and store tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import simulator

LINEAR_MODEL = Path(__file__).resolve().parent / "models" / "linear.mdl"
#: Provenance that names where the runs went, not what they computed.
NEUTRAL_ATTRS = frozenset({"executor", "store"})


def assert_same_results(a: simulator.SweepResult, b: simulator.SweepResult) -> None:
    """Samples, every variable and coordinate bit for bit; attrs but where the runs went."""
    np.testing.assert_array_equal(a.samples["X"].values, b.samples["X"].values)
    assert a.outputs.keys() == b.outputs.keys()
    for key, ds in a.outputs.items():
        other = b[key]
        assert set(ds.variables) == set(other.variables)
        for name in ds.variables:
            mine, theirs = ds[name].values, other[name].values
            numeric = np.issubdtype(mine.dtype, np.number)
            assert np.array_equal(mine, theirs, equal_nan=numeric), (key, name)
        assert {k: v for k, v in ds.attrs.items() if k not in NEUTRAL_ATTRS} == {
            k: v for k, v in other.attrs.items() if k not in NEUTRAL_ATTRS
        }


def write_scenarios(folder: Path) -> tuple[Path, Path]:
    """A base scenario of the linear model and a policy that steps ``c`` up at t = 5."""
    base = folder / "base.yaml"
    base.write_text(
        f"name: base\nmodel: {LINEAR_MODEL}\ntime: {{start: 0, stop: 10, dt: 1, saveper: 1}}\n"
    )
    policy = folder / "policy.yaml"
    policy.write_text(
        "name: more c\nextends: base.yaml\n"
        "interventions:\n  - {variable: c, type: step, at: 5, to: 5}\n"
    )
    return base, policy
