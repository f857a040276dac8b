"""Check a merged scenario against its model and time horizon; build the frozen Scenario.

Every check happens here, before any run: the model file exists and loads;
the time settings are consistent (stop after start, saveper a whole multiple
of dt); every name matches an element of the right kind (Vensim matching,
with did-you-mean); every intervention and KPI year lies in the horizon.
"""

from __future__ import annotations

from pathlib import Path

from simulator.errors import (
    ModelError,
    ScenarioModelError,
    ScenarioNameError,
    ScenarioRangeError,
    ScenarioSchemaError,
    UnknownNameError,
)
from simulator.model.ir import ElementKind, Model
from simulator.scenario.chain import Draft, Origin
from simulator.scenario.resolved import Scenario, TimeSettings, cached_model
from simulator.scenario.schema import KPI, Step, Table

__all__ = ["resolve"]

_VARIABLE_KINDS = (ElementKind.STOCK, ElementKind.FLOW, ElementKind.AUXILIARY, ElementKind.CONSTANT)
_TOLERANCE = 1e-9


def resolve(draft: Draft) -> tuple[Scenario, Model]:
    """Validate ``draft`` against its model.

    Returns
    -------
    Scenario
    Model
        The loaded model, for the caller's convenience.

    Raises
    ------
    ScenarioModelError, ScenarioNameError, ScenarioRangeError, ScenarioSchemaError
        The first problem found, naming the file, line and field it comes from.
    """
    model = _model(draft)
    time = _time(draft, model)
    names = _Names(model)
    constants = {
        names.resolve(name, origin, (ElementKind.CONSTANT,)): value
        for name, value, origin in draft.constants.values()
    }
    lookups = {
        names.resolve(name, origin, (ElementKind.LOOKUP,)): points
        for name, points, origin in draft.lookups.values()
    }
    interventions = []
    tabled: dict[str, Origin] = {}
    changed: dict[str, Origin] = {}
    for item, origin in draft.interventions:
        name = names.resolve(item.variable, origin, (ElementKind.CONSTANT,), "variable")
        _inside(time, origin, item.years(), _year_fields(item))
        if isinstance(item, Table):
            _only_table(name, origin, tabled.get(name) or changed.get(name))
            tabled[name] = origin
        else:
            _only_table(name, origin, tabled.get(name))
            changed.setdefault(name, origin)
            if item.to is not None and name not in constants and model[name].value is None:
                raise ScenarioSchemaError(
                    *origin.at("to"), f"'{name}' has no numeric value in the model; use 'by'"
                )
        interventions.append(item.model_copy(update={"variable": name}))
    outputs = tuple(
        names.resolve(name, origin, _VARIABLE_KINDS) for name, origin in draft.outputs.values()
    )
    kpis = tuple(_kpi(kpi, origin, names, time) for kpi, origin in draft.kpis.values())
    leaf = draft.leaf
    scenario = Scenario(
        name=leaf.spec.name or leaf.path.stem,
        description=(leaf.spec.description or "").strip(),
        source=leaf.path,
        extends=tuple(f.path for f in draft.chain[1:]),
        model_path=draft.model[0] if draft.model else Path(),
        model_hash=model.source_hash,
        time=time,
        constants=constants,
        lookups=lookups,
        interventions=tuple(interventions),
        outputs=outputs,
        kpis=kpis,
    )
    return scenario, model


def _model(draft: Draft) -> Model:
    if draft.model is None:
        raise ScenarioSchemaError(
            draft.leaf.path,
            1,
            "model",
            "missing required key 'model' (the model file, relative to the scenario file); "
            "give it here or in a file this one extends",
        )
    path, origin = draft.model
    if not path.is_file():
        raise ScenarioModelError(*origin.at(), f"no such model file '{path}'")
    try:
        return cached_model(path)
    except ModelError as exc:
        raise ScenarioModelError(*origin.at(), f"the model cannot be loaded: {exc}") from exc


def _time(draft: Draft, model: Model) -> TimeSettings:
    spec = model.time
    defaults = {
        "start": spec.initial_time,
        "stop": spec.final_time,
        "dt": spec.time_step,
        "saveper": spec.saveper,
        "method": "euler",
    }
    given = {k: v for k, (v, _) in draft.time.items()}
    if "dt" in given and "saveper" not in given and spec.saveper < given["dt"]:
        defaults["saveper"] = given["dt"]
    values = {**defaults, **given}
    time = TimeSettings(**values)

    def where(*keys: str) -> tuple[Path, int, str]:
        for key in keys:
            if key in draft.time:
                return draft.time[key][1].at()
        return (draft.leaf.path, 1, f"time.{keys[0]}")

    if not time.stop > time.start:
        raise ScenarioRangeError(
            *where("stop", "start"),
            f"stop ({time.stop:g}) must be after start ({time.start:g})",
        )
    ratio = time.saveper / time.dt
    if round(ratio) < 1 or abs(ratio - round(ratio)) > _TOLERANCE * max(1.0, ratio):
        raise ScenarioRangeError(
            *where("saveper", "dt"),
            f"saveper ({time.saveper:g}) must be a whole multiple of dt ({time.dt:g})",
        )
    if time.dt > time.stop - time.start:
        raise ScenarioRangeError(
            *where("dt", "stop"),
            f"dt ({time.dt:g}) is longer than the run ({time.start:g} to {time.stop:g})",
        )
    return time


class _Names:
    """Vensim-style name resolution with did-you-mean, as scenario errors."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def resolve(
        self,
        name: str,
        origin: Origin,
        kinds: tuple[ElementKind, ...],
        sub: str | None = None,
    ) -> str:
        where = origin.at(sub) if sub else origin.at()
        try:
            element = self.model[name]
        except UnknownNameError as exc:
            wanted = [e.name for e in self.model.elements.values() if e.kind in kinds]
            close = [s for s in exc.suggestions if s in wanted] or exc.suggestions
            hint = f"; did you mean {', '.join(repr(s) for s in close)}?" if close else ""
            what = " or ".join(k.value for k in kinds) if len(kinds) < 3 else "variable"
            raise ScenarioNameError(
                *where, f"the model has no {what} '{name}'{hint}", close
            ) from None
        if element.kind not in kinds:
            allowed = " or ".join(k.value for k in kinds)
            raise ScenarioNameError(
                *where,
                f"'{element.name}' is {_a(element.kind.value)}; expected {_a(allowed)}",
                [],
            )
        return element.name


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _year_fields(item: object) -> list[str | tuple[str, int]]:
    if isinstance(item, Table):
        return [("points", i) for i in range(len(item.points))]
    if isinstance(item, Step):
        return ["at"]
    return ["start", "end"]


def _inside(
    time: TimeSettings,
    origin: Origin,
    years: tuple[float, ...],
    fields: list[str | tuple[str, int]],
) -> None:
    for year, sub in zip(years, fields, strict=True):
        if not time.start - _TOLERANCE <= year <= time.stop + _TOLERANCE:
            where = origin.at(*sub) if isinstance(sub, tuple) else origin.at(sub)
            raise ScenarioRangeError(
                *where,
                f"year {year:g} is outside the run ({time.start:g} to {time.stop:g}); "
                "move it inside or change time.start/time.stop",
            )


def _only_table(name: str, origin: Origin, other: Origin | None) -> None:
    if other is not None:
        _, line, field = other.at()
        raise ScenarioSchemaError(
            *origin.at(),
            f"'{name}' already has an intervention ({field}, line {line}); a table sets the "
            "whole path of a constant and cannot be combined with other interventions on it",
        )


def _kpi(kpi: KPI, origin: Origin, names: _Names, time: TimeSettings) -> KPI:
    variable = names.resolve(kpi.variable, origin, _VARIABLE_KINDS, "variable")
    if kpi.stat == "value":
        at = time.stop if kpi.at is None else kpi.at
        _inside(time, origin, (at,), ["at"])
        update: dict[str, object] = {"at": at}
    else:
        window = kpi.window or (time.start, time.stop)
        _inside(time, origin, window, [("window", 0), ("window", 1)])
        update = {"window": window}
    if kpi.per is not None:
        update["per"] = names.resolve(kpi.per, origin, _VARIABLE_KINDS, "per")
    name = kpi.name or kpi.model_copy(update={"variable": variable, **update}).label()
    return kpi.model_copy(update={**update, "variable": variable, "name": name})
