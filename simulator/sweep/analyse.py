"""Turn a sweep's raw runs into result Datasets: sensitivity indices or uncertainty bands.

Outputs are read from the chunk store one at a time, so the analysis of a
sweep holds one output's raw values (all runs) at a time, plus what the
method's estimator needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from simulator.analysis import sensitivity as sa
from simulator.sweep.description import Output, Sweep
from simulator.sweep.plan import Case
from simulator.sweep.store import ChunkStore

__all__ = ["analyse_outputs", "samples_dataset"]


def analyse_outputs(
    sweep: Sweep,
    cases: Sequence[Case],
    store: ChunkStore,
    X: np.ndarray,
    seed: np.random.SeedSequence,
    provenance: Mapping[str, Any],
) -> dict[str, xr.Dataset]:
    """One Dataset per output: its values, and indices (or bands) of each scenario and effect.

    Parameters
    ----------
    sweep : Sweep
    cases : sequence of Case
        The base scenario first, then the compared policies.
    store : ChunkStore
        Holds every chunk of every case.
    X : ndarray, shape (n_rows, n_params)
        The sample matrix.
    seed : numpy.random.SeedSequence
        Seeds the bootstrap of confidence intervals (each output from the same seed).
    provenance : mapping
        Put in every Dataset's ``attrs``.

    Returns
    -------
    dict of str -> xarray.Dataset
        Output key -> Dataset (see :class:`~simulator.sweep.SweepResult`).
    """
    labels, effects = _labels(cases)
    outputs = {}
    for output in sweep.outputs:
        stacked = store.read(output.key)  # (n_cases, n_rows, n_t)
        if len(cases) > 1:
            stacked = np.concatenate([stacked, stacked[1:] - stacked[:1]])
        outputs[output.key] = _output_dataset(
            sweep, output, cases[0], labels, effects, stacked, X, seed, provenance
        )
    return outputs


def samples_dataset(sweep: Sweep, X: np.ndarray, provenance: Mapping[str, Any]) -> xr.Dataset:
    """The sample matrix ``X`` with dims ``(run, parameter)`` and each parameter's distribution."""
    coords = {
        "run": np.arange(X.shape[0]),
        "parameter": [p.name for p in sweep.parameters],
        "dist": ("parameter", [p.dist for p in sweep.parameters]),
        "group": ("parameter", [p.group or p.name for p in sweep.parameters]),
    }
    return xr.Dataset({"X": (("run", "parameter"), X)}, coords=coords, attrs=dict(provenance))


def _labels(cases: Sequence[Case]) -> tuple[list[str], list[bool]]:
    labels = [c.label for c in cases]
    effects = [False] * len(cases)
    for case in cases[1:]:
        labels.append(f"{case.label} - {cases[0].label}")
        effects.append(True)
    return labels, effects


def _output_dataset(
    sweep: Sweep,
    output: Output,
    case: Case,
    labels: list[str],
    effects: list[bool],
    stacked: np.ndarray,
    X: np.ndarray,
    analysis_seq: np.random.SeedSequence,
    provenance: Mapping[str, Any],
) -> xr.Dataset:
    """One output's values and indices or bands; ``stacked`` has shape (n_cases, n_rows, n_t)."""
    method = sa.get_method(sweep.method)
    timed = output.stat is None
    times = case.times[output.key]
    n_cases, n_rows, n_t = stacked.shape
    lead = ("scenario", "time") if timed else ("scenario",)

    def squeeze(array: np.ndarray, axis: int) -> np.ndarray:
        """A KPI's one column dropped from ``axis`` (the time axis of an over-time output)."""
        return array if timed else array.take(0, axis=axis)

    values = squeeze(stacked, 2)
    element = case.model[output.variable]
    coords: dict[str, Any] = {
        "scenario": labels,
        "effect": ("scenario", effects),
        "run": np.arange(n_rows),
    }
    if timed:
        coords["time"] = times
    data: dict[str, Any] = {
        "value": (("scenario", "run", "time") if timed else ("scenario", "run"), values)
    }
    if method.analyser is not None:
        problem = sweep.problem
        Y = np.moveaxis(stacked, 1, 0).reshape(n_rows, n_cases * n_t)
        indices = sa.analyse(
            problem,
            method,
            X,
            Y,
            seed=np.random.default_rng(analysis_seq),
            options=sweep.method_options,
        )
        coords["factor"] = list(problem.labels)
        coords["factor_j"] = list(problem.labels)
        for name, array in indices.items():
            shaped = squeeze(array.reshape(n_cases, n_t, *array.shape[1:]), 1)
            dims = (
                (*lead, "factor", "factor_j") if shaped.ndim == len(lead) + 2 else (*lead, "factor")
            )
            data[name] = (dims, shaped)
    else:
        q = np.percentile(stacked, sweep.percentiles, axis=1)  # (n_p, n_cases, n_t)
        q = np.moveaxis(q, 0, -1)
        coords["percentile"] = list(sweep.percentiles)
        data["quantile"] = ((*lead, "percentile"), squeeze(q, 1))
        data["mean"] = (lead, squeeze(stacked.mean(axis=1), 1))
        data["std"] = (lead, squeeze(stacked.std(axis=1), 1))
    attrs = {
        **provenance,
        "output": output.key,
        "variable": element.name,
        "units": element.units,
        "stat": output.stat or "",
        "window": "" if output.window is None else f"{output.window[0]:g} {output.window[1]:g}",
        "headline_indices": " ".join(method.indices),
    }
    if method.analyser is not None:
        attrs["conf_level"] = float(sweep.method_options.get("conf_level", np.nan))
    return xr.Dataset(data, coords=coords, attrs=attrs)
