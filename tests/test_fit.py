"""Fit statistics: known values, Theil's identity, and input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.analysis.fit import (
    fit_statistics,
    mape,
    max_abs_percentage_error,
    theil_decomposition,
)


def test_percentage_errors_by_hand() -> None:
    observed = [1.06, 1.69, 1.98, 2.11, 2.38]
    simulated = [1.10, 1.60, 2.00, 2.11, 2.50]
    errors = [100 * abs(s - o) / o for o, s in zip(observed, simulated, strict=True)]
    assert mape(observed, simulated) == pytest.approx(sum(errors) / 5, rel=1e-12)
    assert max_abs_percentage_error(observed, simulated) == pytest.approx(100 * 0.09 / 1.69)
    assert max(errors) == pytest.approx(100 * 0.09 / 1.69)
    assert mape([2.0], [1.0]) == pytest.approx(50.0)


def test_theil_pure_bias_pure_variance_pure_covariance() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    bias = theil_decomposition(a, a + 0.5)
    assert (bias.mse, bias.um, bias.us, bias.uc) == pytest.approx((0.25, 1.0, 0.0, 0.0))
    # Same mean, double spread, perfectly correlated: all variance.
    spread = theil_decomposition(a, 2 * (a - a.mean()) + a.mean())
    assert (spread.um, spread.us, spread.uc) == pytest.approx((0.0, 1.0, 0.0), abs=1e-12)
    # Same mean and spread, reversed order: all covariance.
    mirror = theil_decomposition(a, a[::-1])
    assert (mirror.um, mirror.us, mirror.uc) == pytest.approx((0.0, 0.0, 1.0), abs=1e-12)
    assert mirror.mse == pytest.approx(np.mean((a[::-1] - a) ** 2))


def test_perfect_fit_has_undefined_proportions() -> None:
    d = theil_decomposition([1.0, 2.0], [1.0, 2.0])
    assert d.mse == 0.0
    assert math.isnan(d.um) and math.isnan(d.us) and math.isnan(d.uc)
    stats = fit_statistics([1.0, 2.0], [1.0, 2.0])
    assert (stats.n, stats.mape, stats.max_ape, stats.rmse) == (2, 0.0, 0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.1, 100.0), st.floats(0.1, 100.0)),
        min_size=2,
        max_size=30,
    )
)
def test_theil_proportions_sum_to_one_and_mse_is_exact(pairs: list[tuple[float, float]]) -> None:
    observed = np.array([p[0] for p in pairs])
    simulated = np.array([p[1] for p in pairs])
    d = theil_decomposition(observed, simulated)
    assert d.mse == pytest.approx(float(np.mean((simulated - observed) ** 2)), rel=1e-12)
    if d.mse > 1e-9:
        assert d.um + d.us + d.uc == pytest.approx(1.0, abs=1e-9)
        assert min(d.um, d.us) >= 0.0 and d.uc >= -1e-9
    stats = fit_statistics(observed, simulated)
    assert stats.rmse == pytest.approx(math.sqrt(d.mse))
    assert 0.0 <= stats.mape <= stats.max_ape


@pytest.mark.parametrize(
    ("observed", "simulated", "message"),
    [
        ([1.0, 2.0], [1.0], "differ in length"),
        ([[1.0]], [[1.0]], "1-D"),
        ([], [], "empty"),
        ([1.0, float("nan")], [1.0, 2.0], "finite"),
        ([0.0, 1.0], [0.1, 1.0], "observed value is 0"),
    ],
)
def test_bad_input_is_refused(observed: object, simulated: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_statistics(observed, simulated)  # type: ignore[arg-type]
