"""The scenario file format: pydantic models of one YAML file, as written.

Each model forbids unknown keys. Numbers are strict (``"2025"`` in quotes is
text, not a number; ``true`` is not a number) and must be finite. The JSON
Schema for editors (``docs/scenario.schema.json``) is generated from
:class:`ScenarioFile` by :func:`json_schema`.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "INTERVENTION_TYPES",
    "KPI",
    "Intervention",
    "Number",
    "Pulse",
    "Ramp",
    "ScenarioFile",
    "Step",
    "Table",
    "TimeSection",
    "json_schema",
]


def _increasing(points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    xs = [x for x, _ in points]
    for a, b in itertools.pairwise(xs):
        if not b > a:
            raise ValueError(f"the x values must increase strictly, but {b:g} follows {a:g}")
    return points


Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
Points = Annotated[
    tuple[tuple[Number, Number], ...],
    Field(min_length=2, description="[x, y] pairs with x strictly increasing."),
    AfterValidator(_increasing),
]


def _after_start(end: float, info: ValidationInfo) -> float:
    start = info.data.get("start")
    if start is not None and not end > start:
        raise ValueError(f"'end' ({end:g}) must be after 'start' ({start:g})")
    return end


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSection(_Strict):
    """Time settings; each one left out keeps the model's own value."""

    start: Number | None = Field(default=None, description="INITIAL TIME of the run.")
    stop: Number | None = Field(default=None, description="FINAL TIME; must be after start.")
    dt: Positive | None = Field(default=None, description="TIME STEP; must be positive.")
    saveper: Positive | None = Field(
        default=None, description="Interval between saved values; a whole multiple of dt."
    )
    method: Literal["euler", "rk4"] | None = Field(default=None, description="Integration method.")


class _Change(_Strict):
    """An intervention that moves a constant ``to`` a value or ``by`` an amount."""

    variable: str = Field(description="A constant of the model (Vensim name matching).")
    to: Number | None = Field(default=None, description="The new value (give this or 'by').")
    by: Number | None = Field(default=None, description="The change from the base value.")
    note: str = Field(default="", description="Why this change and these numbers.")

    @field_validator("by")
    @classmethod
    def _not_both(cls, by: float | None, info: ValidationInfo) -> float | None:
        if by is not None and info.data.get("to") is not None:
            raise ValueError("give 'to' (a new value) or 'by' (a change), not both")
        return by

    @model_validator(mode="after")
    def _to_or_by(self) -> _Change:
        if self.to is None and self.by is None:
            raise ValueError("give 'to' (a new value) or 'by' (a change)")
        return self

    def _change(self) -> str:
        return f"to {self.to:g}" if self.to is not None else f"by {self.by:+g}"

    def height(self, base: float) -> float:
        """The change from ``base`` this intervention makes."""
        if self.by is not None:
            return self.by
        assert self.to is not None  # guaranteed by the validator
        return self.to - base


class Step(_Change):
    """From year ``at`` on, the constant is ``to`` (or base + ``by``): ``base + STEP(h, at)``."""

    type: Literal["step"]
    at: Number = Field(description="The year of the step.")

    def years(self) -> tuple[float, ...]:
        """Times that must lie inside the run's horizon."""
        return (self.at,)

    def summary(self) -> str:
        """One line for tables and reports.

        Examples
        --------
        >>> Step(type="step", variable="x", at=2025, to=0.2).summary()
        'x: step to 0.2 in 2025'
        """
        return f"{self.variable}: step {self._change()} in {self.at:g}"


class Ramp(_Change):
    """A linear change from ``start`` to ``end``, held after: ``base + RAMP(s, start, end)``."""

    type: Literal["ramp"]
    start: Number = Field(description="The year the ramp starts.")
    end: Number = Field(description="The year the ramp reaches its full height.")

    _ordered = field_validator("end")(_after_start)

    def years(self) -> tuple[float, ...]:
        """Times that must lie inside the run's horizon."""
        return (self.start, self.end)

    def summary(self) -> str:
        """One line for tables and reports."""
        return f"{self.variable}: ramp {self._change()} from {self.start:g} to {self.end:g}"


class Pulse(_Change):
    """A change during ``[start, end)`` that reverts: ``base + h * PULSE(start, end - start)``."""

    type: Literal["pulse", "window"]
    start: Number = Field(description="The year the change takes effect.")
    end: Number = Field(description="The year the constant returns to its base value.")

    _ordered = field_validator("end")(_after_start)

    def years(self) -> tuple[float, ...]:
        """Times that must lie inside the run's horizon."""
        return (self.start, self.end)

    def summary(self) -> str:
        """One line for tables and reports."""
        return (
            f"{self.variable}: {self.type} {self._change()} "
            f"from {self.start:g} until {self.end:g}, then back"
        )


class Table(_Strict):
    """The constant follows a piecewise-linear table over time, held flat beyond its ends."""

    type: Literal["table"]
    variable: str = Field(description="A constant of the model (Vensim name matching).")
    points: Points
    note: str = Field(default="", description="Why this path.")

    def years(self) -> tuple[float, ...]:
        """Times that must lie inside the run's horizon."""
        return tuple(x for x, _ in self.points)

    def summary(self) -> str:
        """One line for tables and reports."""
        path = ", ".join(f"{y:g} in {x:g}" for x, y in self.points)
        return f"{self.variable}: table {path}"


Intervention = Annotated[Step | Ramp | Pulse | Table, Field(discriminator="type")]
#: The ``type`` values an intervention may have.
INTERVENTION_TYPES = ("step", "ramp", "pulse", "window", "table")


class KPI(_Strict):
    """A number computed from one output of a run.

    ``stat`` is ``value`` (the value at year ``at``, default the end of the
    run), ``mean``/``sum`` (of the saved values in ``window``), ``integral``
    (trapezoidal, over ``window``) or ``change`` (value at the end of
    ``window`` minus value at its start; divided by the start value when
    ``relative``). ``versus_baseline`` turns any of these into the
    ``difference`` with, or the ``ratio`` to, the baseline's value. ``per``
    names a second variable: the KPI becomes the difference from the
    baseline divided by the same statistic's difference of that variable
    (a return per unit of cost, such as trade gained per RMB of fiscal cost).
    """

    name: str | None = Field(default=None, description="Label in tables; derived when left out.")
    variable: str = Field(description="A model variable (Vensim name matching).")
    stat: Literal["value", "mean", "sum", "integral", "change"] = "value"
    at: Number | None = Field(default=None, description="Year, for stat 'value'; default: stop.")
    window: tuple[Number, Number] | None = Field(
        default=None, description="[from, to] years, for the other stats; default: the whole run."
    )
    relative: bool = Field(default=False, description="For 'change': divide by the start value.")
    versus_baseline: Literal["difference", "ratio"] | None = Field(
        default=None, description="Report the difference with, or the ratio to, the baseline."
    )
    per: str | None = Field(
        default=None,
        description="A second variable: report (k - k_baseline) / (c - c_baseline), c the same "
        "statistic of this variable (e.g. trade gained per RMB of fiscal cost).",
    )

    @field_validator("window")
    @classmethod
    def _ordered_window(cls, window: tuple[float, float] | None) -> tuple[float, float] | None:
        if window is not None and not window[1] > window[0]:
            raise ValueError(f"'window' must be [from, to] with to after from, got {list(window)}")
        return window

    @model_validator(mode="after")
    def _consistent(self) -> KPI:
        if self.at is not None and self.stat != "value":
            raise ValueError(f"'at' belongs to stat 'value'; stat '{self.stat}' takes 'window'")
        if self.window is not None and self.stat == "value":
            raise ValueError("stat 'value' takes 'at', not 'window'")
        if self.relative and self.stat != "change":
            raise ValueError("'relative' applies to stat 'change' only")
        if self.per is not None and self.versus_baseline is not None:
            raise ValueError(
                "'per' is already relative to the baseline; leave out 'versus_baseline'"
            )
        return self

    def label(self) -> str:
        """The KPI's name, or one derived from its definition."""
        if self.name:
            return self.name
        if self.stat == "value":
            text = self.variable if self.at is None else f"{self.variable} in {self.at:g}"
        else:
            span = f" {self.window[0]:g}-{self.window[1]:g}" if self.window else ""
            kind = "relative change" if self.relative else self.stat
            text = f"{kind} of {self.variable}{span}"
        if self.versus_baseline:
            text += f" ({self.versus_baseline} vs baseline)"
        if self.per:
            text += f" gained per unit of {self.per}"
        return text


class ScenarioFile(_Strict):
    """One scenario file as written. Every key is optional in a file that ``extends`` another."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="CBEC-SD scenario",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    name: str | None = Field(
        default=None, description="Label in tables and plots; default: file name."
    )
    description: str | None = Field(
        default=None, description="What the scenario represents and why."
    )
    model: str | None = Field(default=None, description="Model file, relative to this file.")
    extends: str | None = Field(
        default=None, description="Parent scenario file, relative to this file."
    )
    time: TimeSection | None = None
    constants: dict[str, Number] = Field(
        default_factory=dict, description="Constant name -> value."
    )
    lookups: dict[str, Points] = Field(
        default_factory=dict, description="Lookup name -> [x, y] points."
    )
    interventions: tuple[Intervention, ...] = Field(
        default=(), description="Time-based changes of constants; added to the parent's."
    )
    outputs: tuple[str, ...] = Field(
        default=(), description="Variables to record; added to the parent's."
    )
    kpis: tuple[KPI, ...] = Field(
        default=(), description="KPIs; a KPI named as a parent's replaces it."
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, for editors.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["title"], schema["additionalProperties"]
    ('CBEC-SD scenario', False)
    """
    return ScenarioFile.model_json_schema()
