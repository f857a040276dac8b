"""SALib behind one adapter: sampling and analysis methods, chosen by name.

This is the only module that imports SALib. A :class:`Method` pairs a sampler
with an analyser and says which sample sizes ``N`` it accepts; :data:`METHODS`
holds them by name, so a new SALib method is one more entry::

    sobol      Saltelli/Sobol' sampling; S1, ST, S2 with confidence intervals
    morris     elementary effects; mu, mu*, sigma
    fast       extended FAST (eFAST); S1, ST
    rbd_fast   random balance designs FAST; S1
    delta      Borgonovo's moment-independent delta (and S1)
    pawn       PAWN, CDF-based (Kolmogorov-Smirnov over conditioning slices)
    monte_carlo, latin
               plain Monte Carlo and Latin hypercube samples, for uncertainty
               bands (no indices)

Shapes: a sample matrix ``X`` has shape ``(n_rows, n_factors)``, one column per
uncertain parameter; model results ``Y`` have shape ``(n_rows, n_targets)``,
one column per quantity analysed (an output at one time, or a KPI). Indices
come back with shape ``(n_targets, n_labels)`` (``(n_targets, n_labels,
n_labels)`` for S2), where the labels are the groups, or the factors when no
group is given.

Randomness comes only from the ``seed`` argument (``int``, a
:class:`numpy.random.Generator` or ``None`` for fresh entropy). SALib's FAST,
delta and PAWN analysers seed numpy's legacy global generator; they run inside
:func:`contained`, which restores its state (and the warning filters SALib
changes) afterwards, so their results depend on ``seed`` alone and the
caller's global state is untouched.

Sobol' indices are computed here, vectorised over targets, with the estimators
and bootstrap of ``SALib.analyze.sobol`` (Saltelli et al. 2010,
doi:10.1016/j.cpc.2009.09.018; Saltelli 2002, doi:10.1016/S0010-4655(02)00280-1):
the same numbers as SALib for a single target (tested), but one pass for every
saved time of every output instead of one SALib call each. A target with no
variance gets NaN indices (SALib returns zeros with a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simulator.analysis.sensitivity.method import Method, MethodKind, SampleSize
from simulator.analysis.sensitivity.problem import (
    DISTRIBUTIONS,
    Distribution,
    Factor,
    Problem,
    Seed,
)
from simulator.analysis.sensitivity.registry import METHODS, get_method, resolve_options
from simulator.analysis.sensitivity.salib import contained, salib_version
from simulator.errors import SweepError

__all__ = [
    "DISTRIBUTIONS",
    "METHODS",
    "Distribution",
    "Factor",
    "Method",
    "MethodKind",
    "Problem",
    "SampleSize",
    "Seed",
    "analyse",
    "get_method",
    "resolve_options",
    "salib_version",
    "sample",
]


def sample(
    problem: Problem,
    method: str | Method,
    n: int,
    *,
    seed: Seed = None,
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Draw the sample matrix of ``method``.

    Parameters
    ----------
    problem : Problem
    method : str or Method
    n : int
        The base sample size ``N`` (what it counts depends on the method).
    seed : int, numpy.random.Generator or None
    options : mapping, optional
        Method options (see ``METHODS[name].options``).

    Returns
    -------
    ndarray, shape (n_rows, n_factors)
        ``n_rows = method.n_rows(n, len(problem.labels), options)``.

    Raises
    ------
    SweepError
        ``n`` not allowed, options unknown, groups or distributions the method
        does not support.

    Examples
    --------
    >>> p = Problem((Factor("a", params=(0, 1)), Factor("b", params=(10, 20))))
    >>> X = sample(p, "sobol", 8, seed=1)
    >>> X.shape
    (48, 2)
    >>> bool(np.all((X[:, 1] >= 10) & (X[:, 1] <= 20)))
    True
    """
    method = get_method(method) if isinstance(method, str) else method
    resolved = resolve_options(method, options)
    _check_problem(problem, method)
    reason = method.sample_size.problem(n, resolved)
    if reason:
        raise SweepError(f"method '{method.name}': {reason}")
    with contained():
        X = method.sampler(problem, n, seed, resolved)
    return np.ascontiguousarray(X, dtype=float)


def analyse(
    problem: Problem,
    method: str | Method,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    seed: Seed = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Sensitivity indices of each column of ``Y``.

    Parameters
    ----------
    problem : Problem
    method : str or Method
        A method of kind :attr:`MethodKind.INDICES`.
    X : ndarray, shape (n_rows, n_factors)
        The sample matrix from :func:`sample` (same method and options).
    Y : ndarray, shape (n_rows,) or (n_rows, n_targets)
    seed : int, numpy.random.Generator or None
        For bootstrap confidence intervals.
    options : mapping, optional

    Returns
    -------
    dict of str -> ndarray
        Index name -> shape ``(n_targets, n_labels)`` (``(n_labels,)`` when ``Y`` is
        1-D), or ``(n_targets, n_labels, n_labels)`` for pairwise indices. Confidence
        half-widths are ``<index>_conf``. Targets without variance give NaN.

    Examples
    --------
    >>> p = Problem((Factor("a"), Factor("b")))
    >>> X = sample(p, "sobol", 256, seed=2)
    >>> S = analyse(p, "sobol", X, 3 * X[:, 0] + X[:, 1], seed=2)
    >>> np.round(S["S1"], 1)
    array([0.9, 0.1])
    """
    method = get_method(method) if isinstance(method, str) else method
    if method.analyser is None:
        raise SweepError(f"method '{method.name}' gives uncertainty bands, not sensitivity indices")
    resolved = resolve_options(method, options)
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    single = Y.ndim == 1
    Y2 = Y[:, None] if single else Y
    if X.ndim != 2 or X.shape != (Y2.shape[0], len(problem.factors)):
        raise SweepError(
            f"X has shape {X.shape} and Y {Y.shape}; expected (n_rows, {len(problem.factors)}) "
            "and (n_rows,) or (n_rows, n_targets)"
        )
    with contained():
        result = method.analyser(problem, X, Y2, _int_seed(seed), resolved)
    return {k: v[0] for k, v in result.items()} if single else result


def _check_problem(problem: Problem, method: Method) -> None:
    if problem.grouped and not method.groups:
        raise SweepError(f"method '{method.name}' does not support groups of factors")
    if method.bounded_only:
        for f in problem.factors:
            if not DISTRIBUTIONS[f.dist].bounded:
                raise SweepError(
                    f"method '{method.name}' needs bounded distributions (unif, triang); "
                    f"factor '{f.name}' is {f.dist}"
                )


def _int_seed(seed: Seed) -> int:
    """A positive int for SALib's analysers (which treat 0 and None as 'use the global RNG')."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(1, 2**31 - 1))
