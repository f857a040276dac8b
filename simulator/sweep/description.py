"""What a sweep is: uncertain parameters, a sampling method, outputs, and where to run.

:class:`Sweep` is the frozen, checked description (built in Python or read by
:func:`simulator.sweep.load_sweep`); :class:`Parameter`, :class:`Output` and
:class:`TimeOverrides` are its parts. Checks that need the model (names, saved
times) happen when the sweep is planned, before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from simulator.analysis import sensitivity as sa
from simulator.engine.integrators import INTEGRATORS
from simulator.errors import (
    SimulationError,
    SweepDistributionError,
    SweepError,
    SweepFileError,
    SweepSampleSizeError,
    SweepSchemaError,
)
from simulator.executors import EXECUTORS, check_options

__all__ = ["KPIS", "RESULT_NEUTRAL", "Output", "Parameter", "Sweep", "TimeOverrides"]

Loc = tuple[str | int, ...]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]

#: Fields that say how a sweep runs, not what it gives: left out of the sweep's hash.
RESULT_NEUTRAL = frozenset({"chunk_size", "executor", "scheduler"})

#: KPI statistics over a window of saved times: ``stat(values, times) -> (n_runs,)``, where
#: ``values`` has shape (n_runs, n_window) and ``times`` shape (n_window,).
KPIS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "mean": lambda y, t: y.mean(axis=1),
    "sum": lambda y, t: y.sum(axis=1),
    "integral": lambda y, t: np.trapezoid(y, t, axis=1),
    "change": lambda y, t: y[:, -1] - y[:, 0],
    "max": lambda y, t: y.max(axis=1),
    "min": lambda y, t: y.min(axis=1),
}

#: Parameter fields that carry each distribution parameter: name -> (field, index or None).
_DIST_FIELDS: dict[str, tuple[str, int | None]] = {
    "lower": ("bounds", 0),
    "upper": ("bounds", 1),
    "mode": ("mode", None),
    "mean": ("mean", None),
    "sd": ("sd", None),
}


# -- the description ------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Strict):
    """An uncertain parameter: a model constant and its distribution.

    ``dist`` is ``unif`` (give ``bounds``), ``triang`` (``bounds`` and
    ``mode``), ``norm`` (``mean`` and ``sd``) or ``lognorm`` (``mean`` and
    ``sd`` of the natural log of the value). Parameters with the same
    ``group`` are sampled and analysed as one factor (methods that support it).
    """

    name: str = Field(description="A model constant (Vensim name matching).")
    dist: str = Field("unif", description="unif, triang, norm or lognorm.")
    bounds: tuple[Number, Number] | None = Field(None, description="[lower, upper].")
    mode: Number | None = Field(None, description="Peak of a triangular distribution.")
    mean: Number | None = Field(None, description="Mean (of ln value for lognorm).")
    sd: Number | None = Field(None, description="Standard deviation (of ln value for lognorm).")
    group: str | None = Field(None, description="Factor group label.")

    def problems(self) -> list[tuple[str, str, type[SweepFileError]]]:
        """``(field, problem, error type)`` for each thing wrong with the distribution."""
        distribution = sa.DISTRIBUTIONS.get(self.dist)
        if distribution is None:
            known = ", ".join(sa.DISTRIBUTIONS)
            return [("dist", f"unknown distribution '{self.dist}'; use {known}", SweepSchemaError)]
        needed = {_DIST_FIELDS[p][0] for p in distribution.parameters}
        found: list[tuple[str, str, type[SweepFileError]]] = []
        for name in dict.fromkeys(f for f, _ in _DIST_FIELDS.values()):
            given = getattr(self, name) is not None
            if given and name not in needed:
                takes = " and ".join(sorted(needed))
                problem = f"'{name}' does not apply to dist '{self.dist}' (it takes {takes})"
                found.append((name, problem, SweepDistributionError))
            elif not given and name in needed:
                problem = f"dist '{self.dist}' needs '{name}' ({distribution.description})"
                found.append((name, problem, SweepDistributionError))
        if found:
            return found
        return [
            (_DIST_FIELDS[p][0], problem, SweepDistributionError)
            for p, problem in distribution.check(self._params(distribution))
        ]

    def _params(self, distribution: sa.Distribution) -> tuple[float, ...]:
        values = []
        for p in distribution.parameters:
            name, index = _DIST_FIELDS[p]
            value = getattr(self, name)
            values.append(float(value[index] if index is not None else value))
        return tuple(values)

    def factor(self) -> sa.Factor:
        """This parameter as a factor of :class:`~simulator.analysis.sensitivity.Problem`."""
        return sa.Factor(
            self.name, self.dist, self._params(sa.DISTRIBUTIONS[self.dist]), self.group
        )


class Output(_Strict):
    """What to analyse of a variable: values ``at`` years (or ``all`` saved times), or a KPI.

    A KPI is a ``stat`` (one of :data:`KPIS`) of the saved values in ``window``
    (default: the whole run). Results are keyed by ``name``, or a label derived
    from the definition.
    """

    variable: str = Field(description="A model variable (Vensim name matching).")
    name: str | None = Field(None, description="Key of the results; derived when left out.")
    at: tuple[Number, ...] | Literal["all"] | None = Field(
        None, description="Years, or 'all' for every saved time."
    )
    stat: str | None = Field(None, description=f"KPI: {', '.join(KPIS)}.")
    window: tuple[Number, Number] | None = Field(None, description="[from, to] years.")

    @property
    def key(self) -> str:
        """The results' key for this output."""
        if self.name:
            return self.name
        if self.stat is None:
            return self.variable
        span = f" {self.window[0]:g}-{self.window[1]:g}" if self.window else ""
        return f"{self.stat} of {self.variable}{span}"

    def problems(self) -> list[tuple[str, str]]:
        """``(field, problem)`` for each inconsistency."""
        if (self.at is None) == (self.stat is None):
            return [("at", "give either 'at' (years, or 'all') or 'stat' (a KPI), not both")]
        if self.stat is not None and self.stat not in KPIS:
            return [("stat", f"unknown stat '{self.stat}'; use one of {', '.join(KPIS)}")]
        if self.window is not None:
            if self.stat is None:
                return [("window", "'window' belongs to a 'stat'; 'at' takes years")]
            if not self.window[1] > self.window[0]:
                low, high = self.window
                return [("window", f"window [{low:g}, {high:g}] must be [from, to] with to > from")]
        if isinstance(self.at, tuple) and not self.at:
            return [("at", "give at least one year")]
        return []


class TimeOverrides(_Strict):
    """Time settings that replace the scenario's (or model's) for every run of the sweep."""

    start: Number | None = None
    stop: Number | None = None
    dt: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = None
    saveper: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = None
    method: str | None = Field(None, description=f"Integrator: {', '.join(INTEGRATORS)}.")

    def kwargs(self) -> dict[str, Any]:
        """As keyword arguments of :func:`simulator.simulate` (only those given)."""
        named = {
            "initial_time": self.start,
            "final_time": self.stop,
            "time_step": self.dt,
            "saveper": self.saveper,
            "method": self.method,
        }
        return {k: v for k, v in named.items() if v is not None}


@dataclass(frozen=True)
class _Origin:
    path: Path
    lines: Mapping[Loc, int]

    def line(self, loc: Loc) -> int:
        """The line of the deepest key of ``loc`` present in the file."""
        here: Loc = ()
        for part in loc:
            for candidate in (part, str(part).upper(), str(part).lower()):
                if (*here, candidate) in self.lines:
                    here = (*here, candidate)
                    break
        return self.lines.get(here, 1)


class Sweep(_Strict):
    """A sensitivity or uncertainty sweep. Immutable; checked when built.

    Build one in Python (``Sweep(model=..., parameters=[...], ...)``) or read
    one with :func:`~simulator.sweep.load_sweep`. Paths in a file are relative
    to the file. ``chunk_size``, ``executor`` and ``scheduler`` say how the
    sweep runs (:data:`RESULT_NEUTRAL`): they change neither its results nor
    its hash, so a sweep interrupted on one executor resumes on another.

    Raises
    ------
    SweepFileError
        A subclass naming the field at fault (and, from a file, the file and
        line): :class:`~simulator.errors.SweepSchemaError`,
        :class:`~simulator.errors.SweepDistributionError` (bounds reversed,
        distribution parameters invalid),
        :class:`~simulator.errors.SweepSampleSizeError` (``N`` not allowed by
        the method).

    Examples
    --------
    >>> sweep = Sweep(model="tests/models/teacup.mdl", method="morris", N=10, seed=1,
    ...               parameters=[{"name": "room temperature", "bounds": [60, 80]}],
    ...               outputs=[{"variable": "teacup temperature", "at": [10]}])
    >>> sweep.n_runs
    20
    >>> Sweep(model="m.mdl", N=100, parameters=[{"name": "x", "bounds": [0, 1]}],
    ...       outputs=[{"variable": "y", "at": [1]}])
    Traceback (most recent call last):
    simulator.errors.SweepSampleSizeError: N: method 'sobol': N = 100 is not a power of two; \
use 64 or 128
    """

    name: str = "sweep"
    description: str = ""
    scenario: Path | None = Field(None, description="Base scenario file.")
    model: Path | None = Field(None, description="Model file, for a sweep without a scenario.")
    compare: tuple[Path, ...] = Field((), description="Policy scenarios, on the same samples.")
    time: TimeOverrides | None = None
    method: str = Field("sobol", description=f"One of: {', '.join(sa.METHODS)}.")
    n: int = Field(
        validation_alias=AliasChoices("N", "n"), strict=True, description="Sample size N."
    )
    seed: int | None = Field(None, strict=True, description="Seed; none draws a fresh one.")
    options: dict[str, bool | int | float | str] = Field(
        default_factory=dict, description="Method options (e.g. num_levels for morris)."
    )
    parameters: tuple[Parameter, ...] = Field(min_length=1)
    outputs: tuple[Output, ...] = Field(min_length=1)
    percentiles: tuple[Number, ...] = Field(
        (5.0, 25.0, 50.0, 75.0, 95.0), description="Percentiles of the uncertainty bands."
    )
    chunk_size: int = Field(8192, strict=True, gt=0, description="Runs per engine batch.")
    executor: str | None = Field(
        None, description=f"Where chunks run: {', '.join(EXECUTORS)} (default local)."
    )
    scheduler: str | None = Field(
        None, description="Dask scheduler address, tcp://HOST:PORT (executor dask)."
    )

    _origin: _Origin | None = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:  # also runs for model_validate
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _schema_error(exc) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sweep):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _check(self) -> Sweep:
        if (self.scenario is None) == (self.model is None):
            where = "model" if self.model is not None else "scenario"
            raise SweepSchemaError((where,), "give either a base 'scenario' or a 'model'")
        try:
            method = sa.get_method(self.method)
        except SweepError as exc:
            raise SweepSchemaError(("method",), str(exc)) from None
        for key, value in self.options.items():
            try:
                sa.resolve_options(method, {key: value})
            except SweepError as exc:
                raise SweepSchemaError(("options", key), str(exc)) from None
        options = sa.resolve_options(method, self.options)
        self._check_parameters(method)
        reason = method.sample_size.problem(self.n, options)
        if reason:
            raise SweepSampleSizeError(("N",), f"method '{method.name}': {reason}")
        keys: dict[str, int] = {}
        for i, output in enumerate(self.outputs):
            problems = output.problems()
            if problems:
                raise SweepSchemaError(("outputs", i, problems[0][0]), problems[0][1])
            if output.key in keys:
                raise SweepSchemaError(
                    ("outputs", i, "name"),
                    f"two outputs are called '{output.key}' (outputs[{keys[output.key]}]); "
                    "give one a 'name'",
                )
            keys[output.key] = i
        for i, p in enumerate(self.percentiles):
            if not 0 < p < 100:
                raise SweepSchemaError(("percentiles", i), f"percentile {p:g} is not in (0, 100)")
        self._check_executor()
        time_method = self.time.method if self.time is not None else None
        if time_method is not None and time_method.lower() not in INTEGRATORS:
            raise SweepSchemaError(
                ("time", "method"),
                f"unknown integrator '{time_method}'; use {', '.join(INTEGRATORS)}",
            )
        return self

    def _check_executor(self) -> None:
        name = self.executor or ("dask" if self.scheduler is not None else "local")
        options = {"scheduler": self.scheduler}
        try:
            check_options(name, options)
        except SimulationError as exc:
            where = "executor" if name not in EXECUTORS else "scheduler"
            raise SweepSchemaError((where,), str(exc)) from None

    def _check_parameters(self, method: sa.Method) -> None:
        seen: dict[str, int] = {}
        for i, parameter in enumerate(self.parameters):
            problems = parameter.problems()
            if problems:
                name, problem, kind = problems[0]
                raise kind(("parameters", i, name), problem)
            canonical = re.sub(r"[\s_]+", " ", parameter.name.strip().lower())
            if canonical in seen:
                raise SweepSchemaError(
                    ("parameters", i, "name"),
                    f"'{parameter.name}' is already uncertain (parameters[{seen[canonical]}])",
                )
            seen[canonical] = i
            if parameter.group is not None and not method.groups:
                raise SweepSchemaError(
                    ("parameters", i, "group"),
                    f"method '{method.name}' does not support groups; use sobol, morris or pawn",
                )
            if method.bounded_only and not sa.DISTRIBUTIONS[parameter.dist].bounded:
                raise SweepDistributionError(
                    ("parameters", i, "dist"),
                    f"method '{method.name}' needs bounded distributions (unif, triang), "
                    f"not {parameter.dist}",
                )

    @property
    def problem(self) -> sa.Problem:
        """The uncertain parameters as a SALib problem."""
        return sa.Problem(tuple(p.factor() for p in self.parameters))

    @property
    def method_options(self) -> dict[str, Any]:
        """The method's options, defaults filled in."""
        return sa.resolve_options(sa.get_method(self.method), self.options)

    @property
    def n_runs(self) -> int:
        """Runs per scenario: the rows of the sample matrix."""
        method = sa.get_method(self.method)
        return method.n_rows(self.n, len(self.problem.labels), self.method_options)

    def replace(self, **changes: Any) -> Sweep:
        """A copy with ``changes``, checked again (``sweep.replace(n=64)``)."""
        sweep = Sweep.model_validate({**self.model_dump(), **changes})
        sweep._origin = self._origin
        return sweep

    def _error(self, error: SweepFileError) -> SweepFileError:
        """``error`` with this sweep's file and line, when it was read from a file."""
        if self._origin is None:
            return error
        return error.at(self._origin.path, self._origin.line(error.loc))


_KEYS: dict[Loc, type[BaseModel]] = {}  # filled below: where each model's keys live


def _schema_error(exc: ValidationError) -> SweepFileError:
    """The first of pydantic's errors as a :class:`SweepSchemaError` (and how many more)."""
    errors = exc.errors()
    first = errors[0]
    loc: Loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        model = _KEYS.get(tuple(0 if isinstance(p, int) else p for p in loc[:-1]))
        allowed = f"; allowed keys: {', '.join(model.model_fields)}" if model else ""
        problem = f"unknown key '{loc[-1]}'{allowed}"
    elif first["type"] == "missing":
        problem = "this key is required"
    else:
        shown = repr(first.get("input"))
        problem = f"{first['msg']} (got {shown[:60]})"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return SweepSchemaError(loc, problem)


_KEYS.update(
    {
        (): Sweep,
        ("parameters", 0): Parameter,
        ("outputs", 0): Output,
        ("time",): TimeOverrides,
    }
)
