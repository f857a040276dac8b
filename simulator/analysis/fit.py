"""Goodness-of-fit statistics of a simulated series against observed data.

Generic and small: percentage errors and Theil's inequality decomposition of
the mean squared error, as used to report the historical fit of
system-dynamics models (Sterman 1984). Inputs are plain arrays; aligning a
simulation with the data's time points is the caller's job (for example with
:func:`numpy.interp`).

References
----------
.. [1] Sterman, J. D. (1984). Appropriate summary statistics for evaluating
   the historical fit of system dynamics models. *Dynamica*, 10(2), 51-66.
.. [2] Theil, H. (1966). *Applied Economic Forecasting*. North-Holland.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FitStatistics",
    "TheilDecomposition",
    "fit_statistics",
    "mape",
    "max_abs_percentage_error",
    "theil_decomposition",
]


@dataclass(frozen=True, slots=True)
class TheilDecomposition:
    """Theil's decomposition of the mean squared error (MSE).

    ``mse = bias + variance + covariance``, and the inequality proportions
    ``um + us + uc == 1`` (up to rounding) whenever ``mse > 0``.

    Attributes
    ----------
    mse : float
        Mean squared error ``mean((S - A)**2)``.
    um : float
        Bias proportion ``(mean(S) - mean(A))**2 / mse``: a systematic offset.
    us : float
        Variance proportion ``(std(S) - std(A))**2 / mse``: unequal spread or trend.
    uc : float
        Covariance proportion ``2 (1 - r) std(S) std(A) / mse``: unsystematic,
        point-by-point error; a good fit puts most of the error here.

    Notes
    -----
    Standard deviations are population ones (``ddof=0``), so the three
    terms add up to the MSE exactly. With ``mse == 0`` the proportions are
    undefined and reported as ``nan``.
    """

    mse: float
    um: float
    us: float
    uc: float


@dataclass(frozen=True, slots=True)
class FitStatistics:
    """Summary of the fit of a simulated series to observed data.

    Attributes
    ----------
    n : int
        Number of data points.
    mape : float
        Mean absolute percentage error, in percent.
    max_ape : float
        Largest absolute percentage error, in percent.
    rmse : float
        Root mean squared error, in the data's units.
    theil : TheilDecomposition
    """

    n: int
    mape: float
    max_ape: float
    rmse: float
    theil: TheilDecomposition


def _pair(observed: ArrayLike, simulated: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """Validate and convert ``observed`` and ``simulated`` to 1-D float arrays."""
    obs = np.asarray(observed, dtype=float)
    sim = np.asarray(simulated, dtype=float)
    if obs.ndim != 1 or sim.ndim != 1:
        raise ValueError(
            f"observed and simulated must be 1-D, got shapes {obs.shape} and {sim.shape}"
        )
    if obs.shape != sim.shape:
        raise ValueError(
            f"observed and simulated differ in length: {obs.size} vs {sim.size}; "
            "interpolate the simulation at the data's time points first"
        )
    if obs.size == 0:
        raise ValueError("observed and simulated are empty: need at least one data point")
    if not (np.all(np.isfinite(obs)) and np.all(np.isfinite(sim))):
        raise ValueError("observed and simulated must be finite (no NaN or inf)")
    return obs, sim


def _percentage_errors(observed: ArrayLike, simulated: ArrayLike) -> NDArray[np.float64]:
    """Absolute percentage errors ``100 |S - A| / |A|``, shape (n,)."""
    obs, sim = _pair(observed, simulated)
    if np.any(obs == 0):
        raise ValueError("percentage errors are undefined where an observed value is 0")
    return np.asarray(100.0 * np.abs(sim - obs) / np.abs(obs), dtype=float)


def mape(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Mean absolute percentage error, in percent.

    Parameters
    ----------
    observed : array_like, shape (n,)
        Data, all non-zero.
    simulated : array_like, shape (n,)
        Model values at the same points.

    Returns
    -------
    float
        ``mean(100 |S - A| / |A|)``.

    Raises
    ------
    ValueError
        If the shapes differ, are not 1-D, contain non-finite values, or an
        observed value is 0.

    Examples
    --------
    >>> round(mape([1.0, 2.0, 4.0], [1.1, 1.9, 4.0]), 6)
    5.0
    """
    return float(np.mean(_percentage_errors(observed, simulated)))


def max_abs_percentage_error(observed: ArrayLike, simulated: ArrayLike) -> float:
    """Largest absolute percentage error, in percent.

    Parameters
    ----------
    observed : array_like, shape (n,)
        Data, all non-zero.
    simulated : array_like, shape (n,)
        Model values at the same points.

    Returns
    -------
    float
        ``max(100 |S - A| / |A|)``.

    Examples
    --------
    >>> round(max_abs_percentage_error([1.0, 2.0, 4.0], [1.1, 1.9, 4.0]), 6)
    10.0
    """
    return float(np.max(_percentage_errors(observed, simulated)))


def theil_decomposition(observed: ArrayLike, simulated: ArrayLike) -> TheilDecomposition:
    """Split the mean squared error into bias, variance and covariance parts.

    Parameters
    ----------
    observed : array_like, shape (n,)
        Data ``A``.
    simulated : array_like, shape (n,)
        Model values ``S`` at the same points.

    Returns
    -------
    TheilDecomposition
        ``mse`` and the proportions ``um`` (bias), ``us`` (variance) and
        ``uc`` (covariance), which sum to 1 when ``mse > 0``.

    Notes
    -----
    ``mse = (mean(S) - mean(A))**2 + (sd(S) - sd(A))**2
    + 2 (sd(S) sd(A) - cov(S, A))``, with population moments [1]_. The last
    term equals ``2 (1 - r) sd(S) sd(A)`` and needs no correlation, so the
    decomposition is defined for constant series too.

    References
    ----------
    .. [1] Sterman, J. D. (1984). Appropriate summary statistics for
       evaluating the historical fit of system dynamics models.
       *Dynamica*, 10(2), 51-66.

    Examples
    --------
    A pure offset is all bias:

    >>> d = theil_decomposition([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])
    >>> round(d.mse, 6), round(d.um, 6), round(d.us, 6), round(d.uc, 6)
    (0.25, 1.0, 0.0, 0.0)
    """
    obs, sim = _pair(observed, simulated)
    mse = float(np.mean((sim - obs) ** 2))
    sd_sim = float(np.std(sim))
    sd_obs = float(np.std(obs))
    bias = (float(np.mean(sim)) - float(np.mean(obs))) ** 2
    variance = (sd_sim - sd_obs) ** 2
    covariance = 2.0 * (sd_sim * sd_obs - float(np.mean((sim - sim.mean()) * (obs - obs.mean()))))
    if mse == 0.0:
        return TheilDecomposition(mse=0.0, um=math.nan, us=math.nan, uc=math.nan)
    return TheilDecomposition(mse=mse, um=bias / mse, us=variance / mse, uc=covariance / mse)


def fit_statistics(observed: ArrayLike, simulated: ArrayLike) -> FitStatistics:
    """All fit statistics of ``simulated`` against ``observed`` at once.

    Parameters
    ----------
    observed : array_like, shape (n,)
        Data, all non-zero.
    simulated : array_like, shape (n,)
        Model values at the same points.

    Returns
    -------
    FitStatistics

    Examples
    --------
    >>> s = fit_statistics([1.06, 1.69, 1.98], [1.07, 1.68, 1.99])
    >>> s.n, round(s.mape, 3), round(s.max_ape, 3)
    (3, 0.68, 0.943)
    >>> t = s.theil
    >>> round(t.um + t.us + t.uc, 12)
    1.0
    """
    obs, sim = _pair(observed, simulated)
    theil = theil_decomposition(obs, sim)
    return FitStatistics(
        n=int(obs.size),
        mape=mape(obs, sim),
        max_ape=max_abs_percentage_error(obs, sim),
        rmse=math.sqrt(theil.mse),
        theil=theil,
    )
