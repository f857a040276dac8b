"""Levers: the model constants a what-if moves, with slider ranges and their equations.

A lever is a constant of the model. Its slider value is the level the lever
takes in the what-if:

* a constant the scenario leaves alone (or sets in ``constants:``) takes the
  slider value for the whole run, or from year ``start`` on when one is given
  (a step, as a scenario's ``type: step`` would write it);
* a constant the scenario intervenes on keeps the shape of its interventions
  (the step's year, the ramp's years, the pulse's window, the table's path);
  the slider sets the level they reach (the last step, ramp or pulse goes
  ``to`` that value; a table is scaled so that its largest point has it).

Slider ranges come from the element's limits in the model file when both are
given; otherwise from the values the lever takes (its base value and the
levels its interventions reach), clipped to any one limit given.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from simulator.errors import ExploreError
from simulator.model.ir import Call, ElementKind, Expr, Model, Num, Ref, iter_nodes, references
from simulator.scenario import Pulse, Ramp, Scenario, Step, Table
from simulator.scenario.interventions import equation

__all__ = ["Lever", "LeverSpec", "Levers", "Mark", "intervention_marks", "resolve_levers"]

Intervention = Step | Ramp | Pulse | Table

#: What ``levers=`` takes for one lever: a name, a :class:`Lever`, or a name with a
#: ``(low, high)`` or ``(low, high, step)`` range.
LeverSpec = str | tuple[float, float] | tuple[float, float, float] | None


@dataclass(frozen=True)
class Lever:
    """One slider of a what-if.

    Attributes
    ----------
    name : str
        The model's spelling of the constant.
    low, high, step : float
        The slider's range and increment.
    value : float
        Its level in the scenario as loaded: where the slider starts, and
        what the baseline is.
    units, documentation : str
        From the model file.
    base : float
        The constant's value before interventions.
    interventions : tuple
        The scenario's interventions on it, in the order they apply.
    start : float or None
        For a lever without interventions: the time its level takes effect
        (None: from the start of the run).
    """

    name: str
    low: float
    high: float
    step: float
    value: float
    units: str = ""
    documentation: str = ""
    base: float = 0.0
    interventions: tuple[Intervention, ...] = ()
    start: float | None = None

    def param(self, level: float) -> float | Expr:
        """What :func:`simulator.simulate` takes for this lever at ``level``.

        Examples
        --------
        >>> Lever("x", 0.0, 1.0, 0.01, 0.0).param(0.5)
        0.5
        """
        if not self.interventions and self.start is None:
            return float(level)
        return equation(self.base, self._at_level(float(level)))

    def _at_level(self, level: float) -> list[Intervention]:
        if not self.interventions:
            assert self.start is not None
            return [Step(type="step", variable=self.name, at=self.start, to=level)]
        *earlier, last = self.interventions
        if isinstance(last, Table):
            reference = _table_level(last)
            scale = level / reference
            points = tuple((x, y * scale) for x, y in last.points)
            return [last.model_copy(update={"points": points})]
        return [*earlier, last.model_copy(update={"to": level, "by": None})]

    def label(self, level: float) -> str:
        """``name = level units``, for titles and legends."""
        units = f" {self.units}" if self.units and self.units.lower() != "dmnl" else ""
        return f"{self.name} = {level:.4g}{units}"


@dataclass(frozen=True)
class Mark:
    """A time at which a lever starts (or stops) acting, drawn as a vertical line.

    Attributes
    ----------
    time : float
    label : str
    """

    time: float
    label: str


#: What ``levers=`` takes: names or :class:`Lever` objects, or a mapping of name to a spec.
Levers = Sequence[str | Lever] | Mapping[str, LeverSpec | Lever] | None


def resolve_levers(
    scenario: Scenario, model: Model, levers: Levers, start: float | None = None
) -> tuple[Lever, ...]:
    """The levers of a what-if, checked against the model and the scenario.

    Parameters
    ----------
    scenario : Scenario
    model : Model
        The scenario's model.
    levers : sequence or mapping, optional
        Names (or :class:`Lever` objects), or a mapping of name to ``None``
        (automatic range), ``(low, high)`` or ``(low, high, step)``. By
        default, the constants the scenario intervenes on.

    Returns
    -------
    tuple of Lever

    Raises
    ------
    ExploreError
        No lever given or found, a name that is not a constant, a range
        that does not contain the scenario's value, a ``start`` outside the run.
    UnknownNameError
        A name not in the model (with suggestions).
    """
    if start is not None and not scenario.time.start < start <= scenario.time.stop:
        raise ExploreError(
            f"start={start:g} lies outside the run of scenario '{scenario.name}' "
            f"({scenario.time.start:g}-{scenario.time.stop:g}); give a time within it"
        )
    if levers is None:
        levers = list(scenario.intervened())
        if not levers:
            raise ExploreError(
                f"scenario '{scenario.name}' changes no constant, so explore has no lever to "
                "offer; name them: explore(scenario, levers=['a constant', ...])"
            )
    items: Iterable[tuple[str | Lever, LeverSpec | Lever]]
    if isinstance(levers, Mapping):
        items = levers.items()
    else:
        items = ((item, item if isinstance(item, Lever) else None) for item in levers)
    out: dict[str, Lever] = {}
    for key, spec in items:
        lever = spec if isinstance(spec, Lever) else _lever(scenario, model, str(key), spec, start)
        if lever.name in out:
            raise ExploreError(f"lever '{lever.name}' is given twice")
        out[lever.name] = lever
    if not out:
        raise ExploreError("levers=[] names no lever; give at least one constant of the model")
    return tuple(out.values())


def _lever(
    scenario: Scenario, model: Model, name: str, spec: LeverSpec, start: float | None
) -> Lever:
    element = model.elements[model.resolve(name, "explore levers")]
    if element.kind is not ElementKind.CONSTANT or element.value is None:
        raise ExploreError(
            f"lever '{element.name}' is a {element.kind.value}, not a constant with a number; "
            "a lever must be a constant of the model"
        )
    interventions = tuple(scenario.intervened().get(element.name, ()))
    base = scenario.base_value(model, element.name)
    levels = [base, *(_reached(base, i) for i in interventions)]
    value = levels[-1]
    if isinstance(spec, tuple):
        if len(spec) not in (2, 3):
            raise ExploreError(
                f"lever '{element.name}': give (low, high) or (low, high, step), got {spec!r}"
            )
        low, high = float(spec[0]), float(spec[1])
        step = float(spec[2]) if len(spec) == 3 else _nice_step(high - low)
    else:
        span = (scenario.time.start, scenario.time.stop)
        is_time = _is_switch_time(model, element.ident)
        low, high = _range(levels, element.limits, span if is_time else None)
        step = _nice_step(high - low)
    if not (math.isfinite(low) and math.isfinite(high) and low < high and step > 0):
        raise ExploreError(
            f"lever '{element.name}': range [{low:g}, {high:g}] step {step:g} is not a range; "
            "give low < high and a positive step"
        )
    if not low <= value <= high:
        raise ExploreError(
            f"lever '{element.name}': the scenario's value {value:g} lies outside the range "
            f"[{low:g}, {high:g}]; widen it"
        )
    lever = Lever(
        name=element.name,
        low=low,
        high=high,
        step=step,
        value=value,
        units=element.units,
        documentation=element.documentation,
        base=base,
        interventions=interventions,
        start=None if interventions else start,
    )
    if (
        interventions
        and isinstance(interventions[-1], Table)
        and _table_level(interventions[-1]) == 0
    ):
        raise ExploreError(
            f"lever '{element.name}': its table in scenario '{scenario.name}' is zero throughout, "
            "so no level can scale it; make it a step, ramp or pulse"
        )
    return lever


def _reached(base: float, item: Intervention) -> float:
    if isinstance(item, Table):
        return _table_level(item)
    return base + item.height(base)


def _table_level(table: Table) -> float:
    return max((y for _, y in table.points), key=abs)


def _range(
    levels: Sequence[float],
    limits: tuple[float | None, float | None],
    span: tuple[float, float] | None,
) -> tuple[float, float]:
    """The slider's range: both limits, else the run's ``span`` for a time, else round numbers
    around the levels; clipped to a single limit."""
    lower, upper = limits
    if lower is not None and upper is not None and lower < upper:
        return float(lower), float(upper)
    if span is not None and all(span[0] <= v <= span[1] for v in levels):
        low, high = span
    else:
        extent = max(abs(v) for v in levels)
        top = _nice_ceiling(2 * extent) if extent > 0 else 1.0
        low = 0.0 if min(levels) >= 0 else -top
        high = top
    if lower is not None:
        low = max(low, lower)
    if upper is not None:
        high = min(high, upper)
    return float(low), float(high)


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``x``.

    >>> _nice_ceiling(0.4), _nice_ceiling(140.0), _nice_ceiling(0.04)
    (0.5, 200.0, 0.05)
    """
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= x * (1 - 1e-12))


def _nice_step(span: float) -> float:
    """About a hundredth of ``span``, rounded to 1, 2 or 5 times a power of ten.

    >>> _nice_step(1.0), _nice_step(17.0), _nice_step(0.5)
    (0.01, 0.2, 0.005)
    """
    rough = span / 100
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough * (1 - 1e-12))


def intervention_marks(
    model: Model, levers: Sequence[Lever], levels: Mapping[str, float], scenario: Scenario
) -> tuple[Mark, ...]:
    """When each lever starts acting: from its interventions, else from the model.

    A lever the scenario intervenes on is marked at its interventions'
    years, one with a ``start`` at that time. Otherwise the model's
    equations are searched for ``STEP``, ``RAMP`` and ``PULSE`` calls whose
    height involves the lever; their
    start times (a number, or a constant, which may itself be a lever at
    its current level) are marked. A lever that acts from the start of the
    run gets no mark.

    Parameters
    ----------
    model : Model
    levers : sequence of Lever
    levels : mapping of lever name -> current level
    scenario : Scenario

    Returns
    -------
    tuple of Mark
        Sorted by time, one per distinct time (labels of levers sharing a
        time are joined).
    """
    start = scenario.time.start
    found: dict[float, list[str]] = {}
    for lever in levers:
        times = [t for item in lever.interventions for t in _start_times(item)]
        if lever.start is not None:
            times = [lever.start]
        if not times:
            times = list(_model_start_times(model, lever, levels, scenario))
        for t in dict.fromkeys(times):
            if start < t <= scenario.time.stop:
                found.setdefault(t, []).append(lever.name)
    return tuple(Mark(t, ", ".join(names)) for t, names in sorted(found.items()))


def _start_times(item: Intervention) -> tuple[float, ...]:
    if isinstance(item, Step):
        return (item.at,)
    if isinstance(item, Ramp):
        return (item.start,)
    if isinstance(item, Pulse):
        return (item.start, item.end)
    changes = [x0 for (x0, y0), (_, y1) in itertools.pairwise(item.points) if y1 != y0]
    return tuple(changes[:1])


#: Time-switch builtins: the argument that holds the start time.
_SWITCH_START = {"step": 1, "ramp": 1, "pulse": 0}


def _is_switch_time(model: Model, ident: str) -> bool:
    """Whether constant ``ident`` is the time at which a STEP, RAMP or PULSE switches."""
    for element in model.elements.values():
        if element.equation is None or ident not in references(element.equation):
            continue
        for node in iter_nodes(element.equation):
            if isinstance(node, Call) and node.function in _SWITCH_START:
                times = node.args[_SWITCH_START[node.function] :][:2]
                if any(isinstance(a, Ref) and a.name == ident for a in times):
                    return True
    return False


def _model_start_times(
    model: Model, lever: Lever, levels: Mapping[str, float], scenario: Scenario
) -> Iterable[float]:
    """Start times of the switches (STEP, RAMP, PULSE) that the lever's value passes through.

    A STEP or RAMP counts when its height involves the lever; a PULSE when
    the equation holding it refers to the lever (``lever * PULSE(...)``).
    """
    ident = model.resolve(lever.name)
    for element in model.elements.values():
        if element.equation is None or ident not in references(element.equation):
            continue
        for node in iter_nodes(element.equation):
            if not (isinstance(node, Call) and node.function in _SWITCH_START):
                continue
            if node.function != "pulse" and ident not in references(node.args[0]):
                continue
            value = _time_value(model, node.args[_SWITCH_START[node.function]], levels, scenario)
            if value is not None:
                yield value


def _time_value(
    model: Model, expr: Expr, levels: Mapping[str, float], scenario: Scenario
) -> float | None:
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Ref) and expr.name in model.elements:
        element = model.elements[expr.name]
        if element.name in levels:
            return levels[element.name]
        if element.kind is ElementKind.CONSTANT and element.value is not None:
            return scenario.base_value(model, element.name)
    return None
