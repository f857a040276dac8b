"""Plan a sweep: load its scenarios (or model), check names and times, build a job for each.

Everything a user can get wrong about the model is found here, before any run:
unknown names (with suggestions), stocks or lookups named as parameters,
years the run does not save, windows outside the run, and scenarios that
change an uncertain constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.engine.simulate import prepare
from simulator.errors import SweepNameError, SweepRangeError, SweepSchemaError, UnknownNameError
from simulator.model.ir import ElementKind, Model, TimeSpec
from simulator.sweep.description import Loc, Output, Sweep
from simulator.sweep.job import ChunkJob, Reducer

__all__ = ["Case", "plan_cases"]


@dataclass(frozen=True)
class Case:
    """One scenario of the sweep (or the model alone), ready to run.

    Attributes
    ----------
    label : str
        The scenario's name (``model`` for a sweep of a model alone).
    model : Model
    digest : str
        Hash of the scenario (or of the model file): part of the sweep's hash.
    job : ChunkJob
    times : mapping of str -> ndarray
        Output key -> the coordinate of its time axis (empty for KPIs).
    """

    label: str
    model: Model
    digest: str
    job: ChunkJob
    times: Mapping[str, np.ndarray]


def plan_cases(sweep: Sweep) -> list[Case]:
    """Load the scenarios (or the model), check names and times, and build one job each.

    Parameters
    ----------
    sweep : Sweep

    Returns
    -------
    list of Case
        The base scenario (or the model alone, labelled ``model``) first,
        then each compared policy.

    Raises
    ------
    SweepFileError
        A name the model lacks, a year it does not save, a window outside the
        run, a scenario that changes an uncertain constant, or scenarios that
        save different times.
    """
    sources: list[tuple[str, Model, str, dict[str, Any]]] = []
    if sweep.scenario is None:
        assert sweep.model is not None
        model = _load_model(sweep.model)
        sources.append(("model", model, model.source_hash, {"params": {}}))
    for path in (sweep.scenario, *sweep.compare):
        if path is None:
            continue
        scenario = _load_scenario(path)
        model = scenario.load_model()
        sources.append((scenario.name, model, scenario.digest, scenario.simulate_kwargs(model)))
    names = [s[0] for s in sources]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise sweep._error(
                SweepSchemaError(("compare", i - 1), f"two scenarios are called '{name}'")
            )
    base_params: dict[str, Any] = {}
    cases = []
    for index, (label, model, digest, kwargs) in enumerate(sources):
        idents = _check_names(sweep, model)
        params = {model.resolve(k): v for k, v in kwargs.get("params", {}).items()}
        _check_conflicts(sweep, idents, params, base_params, label, index)
        if index == 0:
            base_params = params
        cases.append(_case(sweep, label, model, digest, kwargs, idents, params))
        _check_times(sweep, cases[0], cases[-1], index)
    return cases


def _check_times(sweep: Sweep, base: Case, case: Case, index: int) -> None:
    """Policies are compared run by run with the base: each output needs the base's times."""
    for output in sweep.outputs:
        ours, theirs = case.times[output.key], base.times[output.key]
        if ours.shape != theirs.shape or not np.allclose(ours, theirs):
            raise sweep._error(
                SweepRangeError(
                    ("compare", index - 1),
                    f"scenario '{case.label}' saves other times of '{output.key}' than "
                    f"'{base.label}'; give the sweep a 'time' section that both follow",
                )
            )


def _load_model(path: Path) -> Model:
    from simulator.loading import load_model

    return load_model(path)


def _load_scenario(path: Path) -> Any:
    from simulator.scenario import load_scenario

    return load_scenario(path)


def _check_names(sweep: Sweep, model: Model) -> tuple[str, ...]:
    idents = []
    for i, parameter in enumerate(sweep.parameters):
        loc: Loc = ("parameters", i, "name")
        ident = _resolve(sweep, model, parameter.name, loc, "parameter")
        kind = model.elements[ident].kind
        if kind not in (ElementKind.CONSTANT, ElementKind.AUXILIARY):
            raise sweep._error(
                SweepNameError(
                    loc,
                    f"'{parameter.name}' is a {kind.value}; only constants can be uncertain "
                    "(for a stock, make the constant in its initial value uncertain)",
                    [],
                )
            )
        idents.append(ident)
    for i, output in enumerate(sweep.outputs):
        loc = ("outputs", i, "variable")
        ident = _resolve(sweep, model, output.variable, loc, "variable")
        if model.elements[ident].kind is ElementKind.LOOKUP:
            raise sweep._error(
                SweepNameError(loc, f"'{output.variable}' is a lookup; it has no value", [])
            )
    return tuple(idents)


def _resolve(sweep: Sweep, model: Model, name: str, loc: Loc, what: str) -> str:
    """The identifier of ``name`` in ``model``, or an error at ``loc`` with suggestions."""
    try:
        return model.resolve(name)
    except UnknownNameError as exc:
        raise sweep._error(
            SweepNameError(loc, f"unknown {what} '{name}'", exc.suggestions)
        ) from None


def _check_conflicts(
    sweep: Sweep,
    idents: tuple[str, ...],
    params: Mapping[str, Any],
    base: Mapping[str, Any],
    label: str,
    index: int,
) -> None:
    """A scenario may give an uncertain parameter a base number, not change it over time."""
    for i, ident in enumerate(idents):
        if ident not in params:
            continue
        loc: Loc = ("parameters", i, "name")
        value = params[ident]
        if not isinstance(value, int | float):
            raise sweep._error(
                SweepSchemaError(
                    loc,
                    f"scenario '{label}' changes '{sweep.parameters[i].name}' over time; "
                    "an intervened constant cannot also be uncertain",
                )
            )
        if index > 0 and base.get(ident) != value:
            raise sweep._error(
                SweepSchemaError(
                    loc,
                    f"scenario '{label}' sets '{sweep.parameters[i].name}' = {value:g}, which "
                    "the samples would overwrite; the policy would have no effect",
                )
            )


def _case(
    sweep: Sweep,
    label: str,
    model: Model,
    digest: str,
    kwargs: Mapping[str, Any],
    idents: tuple[str, ...],
    params: Mapping[str, Any],
) -> Case:
    """Compile one scenario's runs; a one-run probe gives the saved times to check outputs on."""
    settings = {k: v for k, v in kwargs.items() if k in _TIME_KWARGS}
    if sweep.time is not None:
        settings.update(sweep.time.kwargs())
    given = {model.elements[k].name: v for k, v in params.items() if k not in idents}
    dummy = {model.elements[k].name: np.zeros(2) for k in idents}
    outputs = [o.variable for o in sweep.outputs]
    request = prepare(
        model, {**given, **dummy}, outputs=outputs, lookups=kwargs.get("lookups"), **settings
    )
    base_values = {k: v for k, v in request.values.items() if k not in idents}
    job = ChunkJob(model, request, idents, base_values, ())
    saved = np.asarray(job.run(base_values, 1).times, dtype=float)
    reducers, times = [], {}
    for i, output in enumerate(sweep.outputs):
        reducer = _reducer(sweep, i, output, model.resolve(output.variable), saved, request.spec)
        reducers.append(reducer)
        times[output.key] = reducer.times if output.stat is None else np.empty(0)
    job.reducers = tuple(reducers)
    return Case(label, model, digest, job, times)


_TIME_KWARGS = ("method", "initial_time", "final_time", "time_step", "saveper")


def _reducer(
    sweep: Sweep, i: int, output: Output, ident: str, saved: np.ndarray, spec: TimeSpec
) -> Reducer:
    tol = spec.time_step * 1e-5
    span = f"the run saves {saved[0]:g} to {saved[-1]:g} every {spec.saveper:g}"
    if output.stat is None:
        if output.at == "all":
            return Reducer(output.key, ident, np.arange(len(saved)), saved, None)
        positions = []
        for j, year in enumerate(output.at or ()):
            hits = np.flatnonzero(np.abs(saved - year) <= tol)
            if not len(hits):
                raise sweep._error(
                    SweepRangeError(
                        ("outputs", i, "at", j), f"{year:g} is not a saved time; {span}"
                    )
                )
            positions.append(int(hits[0]))
        return Reducer(output.key, ident, np.array(positions), saved[positions], None)
    low, high = output.window or (saved[0], saved[-1])
    if low < saved[0] - tol or high > saved[-1] + tol:
        raise sweep._error(
            SweepRangeError(
                ("outputs", i, "window"), f"window [{low:g}, {high:g}] is outside; {span}"
            )
        )
    positions_arr = np.flatnonzero((saved >= low - tol) & (saved <= high + tol))
    if len(positions_arr) < 2 and output.stat in ("integral", "change"):
        raise sweep._error(
            SweepRangeError(
                ("outputs", i, "window"), f"the window holds fewer than 2 saved times; {span}"
            )
        )
    return Reducer(output.key, ident, positions_arr, saved[positions_arr], output.stat)
