"""The ``pysd`` backend: each member of a batch through PySD's own ``Model.run`` (cross-check)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.request import RunRequest
from simulator.engine.run import RunOutput
from simulator.errors import SimulationError
from simulator.model.ir import InlineLookup

__all__ = ["run_pysd"]


def run_pysd(request: RunRequest, progress: bool) -> RunOutput:
    """Run every member of the batch with PySD, one after another (slow; Euler only).

    Array outputs come back from PySD as one column per element (``name[A,B]``)
    and are reshaped to ``(n_runs, n_times, *shape)``.
    """
    from simulator.model.pysd_adapter import run_reference

    model = request.model
    if request.method != "euler":
        raise SimulationError("the pysd engine integrates with Euler only; use method='euler'")
    if request.lookups or any(not isinstance(o, InlineLookup) for o in request.overrides.values()):
        raise SimulationError(
            "the pysd engine takes numbers and time series only, not lookups or interventions"
        )
    if model.source is None or request.spec.initial_time != model.time.initial_time:
        raise SimulationError("the pysd engine needs the model file and its own INITIAL TIME")
    runs = []
    for r in range(request.n_runs):
        params: dict[str, Any] = {}
        for ident, value in request.values.items():
            params[model.elements[ident].name] = float(np.broadcast_to(value, (request.n_runs,))[r])
        for ident, expr in request.overrides.items():
            if isinstance(expr, InlineLookup):
                params[model.elements[ident].name] = pd.Series(expr.table.y, index=expr.table.x)
        runs.append(params)
    names = [model.elements[i].name for i in request.outputs]
    spec = request.spec
    frames = run_reference(
        model.source,
        runs,
        names,
        {"final_time": spec.final_time, "time_step": spec.time_step, "saveper": spec.saveper},
    )
    times = np.asarray(frames[0].index, dtype=float)
    values = {}
    for ident in request.outputs:
        element = model.elements[ident]
        columns = model.labels(element)
        shape = (len(times), *model.shape(element))
        values[ident] = np.stack([f[columns].to_numpy(dtype=float).reshape(shape) for f in frames])
    return RunOutput(times=times, values=values)
