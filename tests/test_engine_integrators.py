"""Integration methods against an analytic solution: measured orders of convergence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator

MODEL = simulator.load_model(Path(__file__).resolve().parent / "models" / "growth_analytic.mdl")


def _error(method: str, dt: float) -> float:
    ds = simulator.simulate(MODEL, outputs=["x"], method=method, time_step=dt, saveper=1)
    exact = np.exp(np.sin(ds["time"].values))
    return float(np.max(np.abs(ds["x"].values[0] - exact)))


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("rk4", 4)])
def test_measured_order_of_convergence(method: str, order: int) -> None:
    steps = [1 / 8, 1 / 16, 1 / 32, 1 / 64]
    errors = [_error(method, dt) for dt in steps]
    measured = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert measured == pytest.approx(order, abs=0.15)


def test_rk4_is_far_more_accurate_than_euler_at_the_same_step() -> None:
    assert _error("rk4", 0.125) < 1e-3 * _error("euler", 0.125)


def test_integrator_registry_names_the_known_methods() -> None:
    assert set(simulator.INTEGRATORS) == {"euler", "rk4"}
    assert simulator.INTEGRATORS["rk4"].order == 4
