"""Sobol' indices of many targets at once, with SALib's estimators and bootstrap.

Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018; Saltelli 2002,
doi:10.1016/S0010-4655(02)00280-1. The same numbers as ``SALib.analyze.sobol``
for a single target (tested), in one pass for every target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from statistics import NormalDist
from typing import Any

import numpy as np

from simulator.analysis.sensitivity.problem import Problem
from simulator.errors import SweepError

#: Elements (about d^2 n t) of the arrays the Sobol' analyser builds per block of targets.
_BOOTSTRAP_BLOCK = 1 << 22


def sobol_analyse(
    problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Sobol' indices of every column of ``Y`` at once, as ``SALib.analyze.sobol`` computes them.

    The bootstrap draws the same resamples as SALib (``integers(n, size=(n, resamples))``
    from ``default_rng(seed)``); a resample mean is a row of ``counts @ values / n``,
    so every resample, factor and target is one matrix product.
    """
    d = len(problem.labels)
    second = bool(options["calc_second_order"])
    step = 2 * d + 2 if second else d + 2
    if Y.shape[0] % step:
        raise SweepError(
            f"Sobol' analysis: {Y.shape[0]} rows is not a multiple of {step}; "
            "was the sample drawn with the same calc_second_order?"
        )
    n, n_targets = Y.shape[0] // step, Y.shape[1]
    resamples = int(options["num_resamples"])
    z = NormalDist().inv_cdf(0.5 + float(options["conf_level"]) / 2)
    r = np.random.default_rng(seed).integers(n, size=(n, resamples))
    counts = np.stack([np.bincount(r[:, b], minlength=n) for b in range(resamples)]) / n
    keys = ("S1", "ST", "S2") if second else ("S1", "ST")
    out = {}
    for key in keys:
        shape = (n_targets, d, d) if key == "S2" else (n_targets, d)
        out[key] = np.full(shape, np.nan)
        out[f"{key}_conf"] = np.full(shape, np.nan)
    mean, std = Y.mean(axis=0), Y.std(axis=0)
    varied = np.flatnonzero(std > 1e3 * np.finfo(float).eps * np.maximum(1.0, np.abs(mean)))
    block = max(1, _BOOTSTRAP_BLOCK // (n * (d * d + 2 * d + 4)))
    for start in range(0, len(varied), block):
        cols = varied[start : start + block]
        Ys = (Y[:, cols] - mean[cols]) / std[cols]
        A, B = Ys[0::step], Ys[step - 1 :: step]  # (n, t)
        AB = np.stack([Ys[j + 1 :: step] for j in range(d)])  # (d, n, t)
        BA = np.stack([Ys[j + 1 + d :: step] for j in range(d)]) if second else None
        point = _sobol_estimates(A, AB, BA, B, lambda f: np.mean(f, axis=-2))
        boot = _sobol_estimates(A, AB, BA, B, lambda f: np.einsum("bn,...nt->...bt", counts, f))
        for key, value in point.items():
            out[key][cols] = np.moveaxis(value, -1, 0)
            spread = z * boot[key].std(axis=-2, ddof=1)  # over resamples
            out[f"{key}_conf"][cols] = np.moveaxis(spread, -1, 0)
    return out


def _sobol_estimates(
    A: np.ndarray,
    AB: np.ndarray,
    BA: np.ndarray | None,
    B: np.ndarray,
    mean: Callable[[np.ndarray], np.ndarray],
) -> dict[str, np.ndarray]:
    """Saltelli 2010 first and total order and Saltelli 2002 second order, over variance.

    ``A``, ``B`` have shape ``(n, t)``, ``AB``, ``BA`` ``(d, n, t)``; ``mean`` averages
    over the ``n`` axis (second to last) and may return a resample axis in its place.
    Results: ``(d, ..., t)`` for S1 and ST, ``(d, d, ..., t)`` for S2 (upper triangle;
    NaN elsewhere).
    """
    mean_ab = (mean(A) + mean(B)) / 2
    var = (mean(A * A) + mean(B * B)) / 2 - mean_ab**2
    s1 = mean(B * (AB - A)) / var
    estimates = {"S1": s1, "ST": 0.5 * mean((A - AB) ** 2) / var}
    if BA is not None:
        d = AB.shape[0]
        s2 = np.full((d, *s1.shape), np.nan)
        upper = np.triu_indices(d, 1)
        vjk = (mean(BA[upper[0]] * AB[upper[1]]) - mean(A * B)) / var
        s2[upper] = vjk - s1[upper[0]] - s1[upper[1]]
        estimates["S2"] = s2
    return estimates
