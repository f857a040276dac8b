"""SALib's analysers, one target at a time, and a guard against SALib's side effects."""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from simulator.analysis.sensitivity.method import Analyser
from simulator.analysis.sensitivity.problem import Problem


def salib_version() -> str:
    """The installed SALib version, for provenance."""
    from importlib.metadata import version

    return version("SALib")


@contextlib.contextmanager
def contained() -> Iterator[None]:
    """Undo SALib's side effects: numpy's global RNG state, warning filters and format."""
    state = np.random.get_state()  # noqa: NPY002 (saved to undo SALib's seeding)
    formatwarning = warnings.formatwarning
    try:
        # record=True swallows what SALib shows even after it resets the filters (delta does)
        with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
        warnings.formatwarning = formatwarning


#: ``analyse_one(salib_problem, X, y, seed, options)``: SALib's indices of one target.
OneTarget = Callable[
    [dict[str, Any], np.ndarray, np.ndarray, int, Mapping[str, Any]], Mapping[str, Any]
]


def per_target(analyse_one: OneTarget, keys: Sequence[str]) -> Analyser:
    """An analyser that calls SALib once per target, leaving NaN for constant targets."""

    def analyser(
        problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, options: Mapping[str, Any]
    ) -> dict[str, np.ndarray]:
        salib_problem = problem.salib()
        n_labels = len(problem.labels)
        out = {key: np.full((Y.shape[1], n_labels), np.nan) for key in keys}
        for t in range(Y.shape[1]):
            y = np.ascontiguousarray(Y[:, t])
            if not np.all(np.isfinite(y)) or np.ptp(y) <= np.finfo(float).eps * max(
                1.0, float(np.abs(y).max())
            ):
                continue
            result = analyse_one(salib_problem, X, y, seed, options)
            for key in keys:
                out[key][t] = np.ma.filled(np.ma.asarray(result[key], dtype=float), np.nan)
        return out

    return analyser


def salib_analyze(module: str, *, takes_x: bool = True, **fixed: Any) -> OneTarget:
    """``SALib.analyze.<module>.analyze`` on one target, the method's options passed by name.

    The options of each method in :data:`METHODS` are named as SALib's keyword arguments.
    """

    def analyse_one(
        problem: dict[str, Any], X: np.ndarray, y: np.ndarray, seed: int, options: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        analyze = importlib.import_module(f"SALib.analyze.{module}").analyze
        inputs = (X, y) if takes_x else (y,)
        return analyze(problem, *inputs, seed=seed, **options, **fixed)

    return analyse_one


def delta_one(
    problem: dict[str, Any], X: np.ndarray, y: np.ndarray, seed: int, options: Mapping[str, Any]
) -> Mapping[str, Any]:
    result = salib_analyze("delta", method="all")(problem, X, y, seed, options)
    return {
        "delta": result["delta_raw"],
        "delta_conf": result["delta_raw_conf"],
        "S1": result["S1"],
        "S1_conf": result["S1_conf"],
    }
