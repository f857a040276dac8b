"""``simulate``: the public entry point that runs a batch of parameter sets.

A request names parameter values (one per run, or shared), lookup tables,
time-varying inputs, outputs, time settings and the integration method; the
answer is an :class:`xarray.Dataset` with dims ``run`` and ``time``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, get_args

import numpy as np
import pandas as pd
import xarray as xr

from simulator.engine.backends import BACKENDS, get_backend
from simulator.engine.compile import BatchLookupTable
from simulator.engine.integrators import get_integrator
from simulator.engine.request import RunRequest
from simulator.engine.results import build_dataset
from simulator.errors import SimulationError
from simulator.model.ir import (
    ElementKind,
    Expr,
    InlineLookup,
    LookupTable,
    Model,
    Num,
    Ref,
    TimeSpec,
)

__all__ = ["ENGINES", "RunRequest", "prepare", "simulate"]

ParamValue = Any  # float, ndarray (n_runs,), pandas Series over time, or an IR Expr


def simulate(
    model: Model,
    params: Mapping[str, ParamValue] | pd.DataFrame | None = None,
    *,
    outputs: Sequence[str] | None = None,
    lookups: Mapping[str, Any] | None = None,
    method: str = "euler",
    initial_time: float | None = None,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
    engine: str = "numpy",
    progress: bool = False,
) -> xr.Dataset:
    """Run ``model`` for a batch of parameter sets at once.

    Parameters
    ----------
    model : Model
        From :func:`simulator.load_model`.
    params : mapping or DataFrame, optional
        Model name -> value. A value is a number (shared by every run), an
        array of shape ``(n_runs,)`` (one value per run), a pandas Series
        indexed by time (a time-varying input, interpolated linearly), or an
        IR expression (an intervention, see :mod:`simulator.scenario`). A
        DataFrame gives one row per run and one column per parameter.
        Constants and auxiliaries can be set; stocks cannot.
    outputs : sequence of str, optional
        Model names to keep; by default every stock, flow and auxiliary.
    lookups : mapping, optional
        Lookup name -> ``(x, y)`` points or a :class:`LookupTable`; ``y`` may
        have shape ``(n_runs, n_points)`` for a different table per run.
    method : {"euler", "rk4"}
    initial_time, final_time, time_step, saveper : float, optional
        Override the model's time settings.
    engine : {"numpy", "pysd"}
        ``numpy`` runs the batch vectorised; ``pysd`` runs each member
        through PySD's own ``Model.run`` (slow; for cross-checks).
    progress : bool
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        Dims ``run`` and ``time``; one variable per output, keyed by the
        model's own names; parameter values as coordinates on ``run``;
        provenance in ``attrs``.

    Examples
    --------
    >>> import simulator, numpy as np
    >>> model = simulator.load_model("tests/models/teacup.mdl")
    >>> ds = simulator.simulate(model, {"Room Temperature": np.array([20.0, 30.0])},
    ...                         outputs=["Teacup Temperature"], final_time=10, saveper=1)
    >>> ds["Teacup Temperature"].shape
    (2, 11)
    """
    request = prepare(
        model,
        params,
        outputs=outputs,
        lookups=lookups,
        method=method,
        initial_time=initial_time,
        final_time=final_time,
        time_step=time_step,
        saveper=saveper,
    )
    output = get_backend(engine)(request, progress)
    return build_dataset(
        request.model,
        request.outputs,
        output,
        request.run_coords,
        {
            "engine": engine,
            "method": request.method,
            "initial_time": request.spec.initial_time,
            "final_time": request.spec.final_time,
            "time_step": request.spec.time_step,
            "saveper": request.spec.saveper,
        },
    )


def prepare(
    model: Model,
    params: Mapping[str, ParamValue] | pd.DataFrame | None = None,
    *,
    outputs: Sequence[str] | None = None,
    lookups: Mapping[str, Any] | None = None,
    method: str = "euler",
    initial_time: float | None = None,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
) -> RunRequest:
    """Validate a run request and resolve its names (see :func:`simulate`)."""
    get_integrator(method)
    columns: Mapping[str, Any]
    if isinstance(params, pd.DataFrame):
        columns = {str(c): params[c].to_numpy(dtype=float) for c in params.columns}
    else:
        columns = dict(params or {})
    n_runs = _batch_size(columns, lookups or {})
    values: dict[str, Any] = {}
    overrides: dict[str, Expr] = {}
    run_coords: dict[str, np.ndarray] = {}
    for name, value in columns.items():
        ident = model.resolve(name, "params")
        element = model.elements[ident]
        if element.kind in (ElementKind.STOCK, ElementKind.LOOKUP):
            raise SimulationError(
                f"'{element.name}' is a {element.kind.value}; only constants and auxiliaries "
                "can be set (change a stock through the constant in its initial value, "
                "a lookup through lookups=)"
            )
        if isinstance(value, get_args(Expr)):
            overrides[ident] = value
        elif isinstance(value, pd.Series):
            overrides[ident] = _time_series(name, value)
        else:
            array = _numeric(name, value, n_runs)
            if element.kind is not ElementKind.CONSTANT:
                overrides[ident] = Num(0.0)  # becomes a constant; its value comes from `values`
            values[ident] = array if array.ndim else float(array)
            run_coords[element.name] = np.broadcast_to(array, (n_runs,)).copy()
    tables = {
        model.resolve(name, "lookups"): _table(model, name, points, n_runs)
        for name, points in (lookups or {}).items()
    }
    spec = _time_spec(model.time, initial_time, final_time, time_step, saveper)
    return RunRequest(
        model=model,
        n_runs=n_runs,
        values=values,
        overrides=overrides,
        lookups=tables,
        outputs=_outputs(model, outputs),
        spec=spec,
        method=method.lower(),
        run_coords=run_coords,
    )


def _batch_size(columns: Mapping[str, Any], lookups: Mapping[str, Any]) -> int:
    sizes = {
        name: np.shape(value)[0]
        for name, value in columns.items()
        if not isinstance(value, pd.Series) and np.ndim(value) == 1
    }
    for name, points in lookups.items():
        y = points.y if isinstance(points, LookupTable) else points[1]
        if np.ndim(y) == 2:
            sizes[name] = np.shape(y)[0]
    distinct = set(sizes.values())
    if len(distinct) > 1:
        detail = ", ".join(f"{n}: {s}" for n, s in sizes.items())
        raise SimulationError(f"parameter arrays have different lengths ({detail}); use one n_runs")
    return distinct.pop() if distinct else 1


def _numeric(name: str, value: Any, n_runs: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise SimulationError(
            f"parameter '{name}': expected a number or an array of numbers, got {value!r}"
        ) from None
    if array.ndim > 1:
        raise SimulationError(f"parameter '{name}': expected shape (n_runs,), got {array.shape}")
    return array


def _time_series(name: str, series: pd.Series) -> Expr:
    x = np.asarray(series.index, dtype=float)
    y = np.asarray(series.to_numpy(), dtype=float)
    if len(x) == 0 or np.any(np.diff(x) <= 0):
        raise SimulationError(f"time series for '{name}': times must be increasing")
    return InlineLookup(Ref("time"), LookupTable(tuple(x), tuple(y)))


def _table(model: Model, name: str, points: Any, n_runs: int) -> LookupTable:
    ident = model.resolve(name, "lookups")
    element = model.elements[ident]
    if element.kind is not ElementKind.LOOKUP:
        raise SimulationError(f"'{element.name}' is not a lookup")
    if isinstance(points, LookupTable):
        return points
    x, y = points
    x = tuple(float(v) for v in np.asarray(x, dtype=float))
    y_arr = np.asarray(y, dtype=float)
    if y_arr.shape[-1] != len(x) or np.any(np.diff(x) <= 0):
        raise SimulationError(f"lookup '{name}': x must increase and match y in length")
    kind = element.table.kind if element.table else "interpolate"
    if y_arr.ndim == 2:
        return BatchLookupTable(x=x, y=(), kind=kind, rows=y_arr)
    return LookupTable(x=x, y=tuple(float(v) for v in y_arr), kind=kind)


def _time_spec(
    spec: TimeSpec,
    initial_time: float | None,
    final_time: float | None,
    time_step: float | None,
    saveper: float | None,
) -> TimeSpec:
    changes = {
        k: float(v)
        for k, v in {
            "initial_time": initial_time,
            "final_time": final_time,
            "time_step": time_step,
            "saveper": saveper,
        }.items()
        if v is not None
    }
    if time_step is not None and saveper is None and spec.saveper < float(time_step):
        changes["saveper"] = float(time_step)
    new = replace(spec, **changes)  # type: ignore[arg-type]
    if not new.time_step > 0:
        raise SimulationError(f"time_step must be positive, got {new.time_step}")
    if not new.saveper > 0:
        raise SimulationError(f"saveper must be positive, got {new.saveper}")
    if new.final_time < new.initial_time:
        raise SimulationError(
            f"final_time ({new.final_time}) is before initial_time ({new.initial_time})"
        )
    return new


def _outputs(model: Model, outputs: Sequence[str] | None) -> tuple[str, ...]:
    if outputs is None:
        kinds = (ElementKind.STOCK, ElementKind.FLOW, ElementKind.AUXILIARY)
        return tuple(e.ident for e in model.elements.values() if e.kind in kinds)
    if isinstance(outputs, str):
        outputs = [outputs]
    idents = []
    for name in outputs:
        ident = model.resolve(name, "outputs")
        if model.elements[ident].kind is ElementKind.LOOKUP:
            raise SimulationError(f"'{name}' is a lookup; it has no value over time")
        if ident not in idents:
            idents.append(ident)
    return tuple(idents)


#: Backends by name (the registry of :mod:`simulator.engine.backends`).
ENGINES = BACKENDS
