"""Sensitivity and uncertainty sweeps: the description, its execution in chunks, the results.

A :class:`Sweep` says what is uncertain (parameters with bounds or
distributions, optionally in groups), how to sample it (a method of
:data:`simulator.analysis.sensitivity.METHODS` and a sample size ``N``, with a
seed), what to look at (outputs: a variable at chosen years, a KPI over a
window, or every saved time) and around which run (a base scenario, or a
model alone, plus policy scenarios to compare on the same samples).
:func:`load_sweep` reads one from YAML, :func:`run_sweep` runs it::

    sample matrix X, shape (n_rows, n_params)
      -> for each scenario, chunks of X through the batched engine (an executor)
      -> reduced outputs, shape (n_rows, n_times) per output
      -> sensitivity indices (SALib) or percentile bands, also of policy - baseline
      -> SweepResult: xarray Datasets, saved atomically with provenance

A sweep file (see ``scenarios/sweeps/`` for complete ones)::

    name: tax incentive effect
    scenario: ../baseline.yaml          # or  model: ../../models/cbec_cluster.mdl
    compare: [../tax_incentives.yaml]   # policies, run on the same samples
    method: sobol                       # sobol morris fast rbd_fast delta pawn
    N: 256                              #   monte_carlo latin
    seed: 20240614
    parameters:                         # bounds (uniform), or dist: triang/norm/lognorm
      - {name: capital elasticity to after tax margin, bounds: [0.5, 1.5]}
      - {name: share elasticity to competitiveness, dist: triang, bounds: [1, 3], mode: 1.5}
      - {name: price elasticity of competitiveness, dist: norm, mean: 1.5, sd: 0.2}
    outputs:
      - {variable: cluster development index U2, at: [2030, 2035]}
      - {variable: CBEC total trade, stat: integral, window: [2025, 2035]}
      - {variable: coupling coordination degree D, at: all}

Results do not depend on ``chunk_size`` or on the executor: each chunk is a
batch, and a batch gives each member what running it alone gives.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import xarray as xr
import yaml
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
from simulator.engine.compile import CompiledModel, compile_model
from simulator.engine.integrators import INTEGRATORS, get_integrator
from simulator.engine.run import RunOutput, run_compiled
from simulator.engine.simulate import RunRequest, prepare
from simulator.errors import (
    SimulationError,
    SweepDistributionError,
    SweepError,
    SweepFileError,
    SweepNameError,
    SweepRangeError,
    SweepSampleSizeError,
    SweepSchemaError,
    SweepSyntaxError,
    UnknownNameError,
)
from simulator.executors import Executor, get_executor
from simulator.model.ir import ElementKind, Model, TimeSpec
from simulator.results import package_version

__all__ = [
    "FORMATS",
    "KPIS",
    "Output",
    "Parameter",
    "Sweep",
    "SweepResult",
    "TimeOverrides",
    "load_sweep",
    "run_sweep",
]

Loc = tuple[str | int, ...]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]

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
    one with :func:`load_sweep`. Paths in a file are relative to the file.

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
        time_method = self.time.method if self.time is not None else None
        if time_method is not None and time_method.lower() not in INTEGRATORS:
            raise SweepSchemaError(
                ("time", "method"),
                f"unknown integrator '{time_method}'; use {', '.join(INTEGRATORS)}",
            )
        return self

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


# -- reading a file --------------------------------------------------------------------------------

_KEYS: dict[Loc, type[BaseModel]] = {}  # filled below: where each model's keys live


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file (YAML, safe loading).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Sweep
        Paths in it resolved against the file's folder. Names are checked
        against the model by :func:`run_sweep`, before anything runs.

    Raises
    ------
    SweepFileError
        A subclass naming the file, line and field at fault.

    Examples
    --------
    >>> sweep = load_sweep("tests/bad_sweeps/_valid.yaml")
    >>> sweep.method, sweep.n, [p.name for p in sweep.parameters]
    ('sobol', 64, ['room temperature', 'characteristic time'])
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepSyntaxError((), f"cannot read the sweep file: {exc}").at(path, 1) from None
    data, lines = _read_yaml(text, path)
    origin = _Origin(path, lines)
    if not isinstance(data, dict):
        raise SweepSchemaError((), "a sweep file is a mapping of keys (name, method, N, ...)").at(
            path, 1
        )
    for key in ("scenario", "model"):
        if isinstance(data.get(key), str):
            data[key] = str(path.parent / data[key])
    if isinstance(data.get("compare"), list):
        data["compare"] = [
            str(path.parent / c) if isinstance(c, str) else c for c in data["compare"]
        ]
    try:
        sweep = Sweep.model_validate(data)  # pydantic's errors become SweepSchemaError in __init__
    except SweepFileError as exc:
        raise exc.at(path, origin.line(exc.loc)) from None
    sweep._origin = origin
    return sweep


def _read_yaml(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML safely; map each key and item to its 1-based line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SweepSyntaxError((), "the file is empty; see scenarios/sweeps/ for examples")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = f"not valid YAML: {exc.problem or exc.context}"
        raise SweepSyntaxError((), problem).at(path, line) from None
    except SweepFileError as exc:
        raise exc.at(path, 1) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    _walk(node, (), lines, path)
    return data, lines


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                error = SweepSyntaxError((*loc, key), "this key is given twice")
                raise error.at(path, line)
            seen.add(key)
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines, path)


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


# -- running ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reducer:
    """Turns one output's saved series, shape (n_runs, n_saved), into its analysed values."""

    key: str
    ident: str
    positions: np.ndarray
    times: np.ndarray
    stat: str | None

    def __call__(self, series: np.ndarray) -> np.ndarray:
        window = series[:, self.positions]
        return window if self.stat is None else KPIS[self.stat](window, self.times)[:, None]


class _ChunkJob:
    """One scenario's runs: a block of the sample matrix -> reduced outputs.

    Compiles on first use. Pickling (for a process or Dask executor) sends the
    model file's path and hash instead of the model and the compiled closures;
    the receiving side loads the file again and checks the hash.
    """

    def __init__(
        self,
        model: Model,
        request: RunRequest,
        columns: tuple[str, ...],
        base_values: Mapping[str, Any],
        reducers: tuple[_Reducer, ...],
    ) -> None:
        self.model = model
        self.request = request
        self.columns = columns
        self.base_values = dict(base_values)
        self.reducers = reducers
        self._compiled: CompiledModel | None = None

    def __getstate__(self) -> dict[str, Any]:
        if self.model.source is None:
            raise SimulationError("a model built in memory cannot be sent to another process")
        fields = dataclasses.fields(self.request)
        request = {f.name: getattr(self.request, f.name) for f in fields if f.name != "model"}
        return {
            "source": (self.model.source, self.model.source_hash),
            "request": request,
            "columns": self.columns,
            "base_values": self.base_values,
            "reducers": self.reducers,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        path, digest = state["source"]
        model = _load_model(path)
        if model.source_hash != digest:
            raise SimulationError(f"{path} changed while the sweep was running")
        self.model = model
        self.request = RunRequest(model=model, **state["request"])
        self.columns = state["columns"]
        self.base_values = state["base_values"]
        self.reducers = state["reducers"]
        self._compiled = None

    @property
    def compiled(self) -> CompiledModel:
        if self._compiled is None:
            r = self.request
            self._compiled = compile_model(self.model, r.outputs, r.overrides, r.lookups)
        return self._compiled

    def run(self, values: Mapping[str, Any], n_runs: int) -> RunOutput:
        integrator = get_integrator(self.request.method)
        return run_compiled(self.compiled, values, n_runs, self.request.spec, integrator)

    def __call__(self, block: np.ndarray) -> dict[str, np.ndarray]:
        values = dict(self.base_values)
        for i, ident in enumerate(self.columns):
            values[ident] = np.ascontiguousarray(block[:, i])
        output = self.run(values, block.shape[0])
        return {r.key: r(output.values[r.ident]) for r in self.reducers}


@dataclass(frozen=True)
class _Case:
    """One scenario of the sweep (or the model alone), ready to run."""

    label: str
    model: Model
    digest: str
    job: _ChunkJob
    times: Mapping[str, np.ndarray]  # output key -> coordinate of its time axis (empty for KPIs)


def run_sweep(
    sweep: Sweep,
    *,
    executor: str | Executor = "local",
    chunk_size: int | None = None,
    quiet: bool = False,
) -> SweepResult:
    """Sample, run every scenario on the same samples in chunks, and analyse.

    Parameters
    ----------
    sweep : Sweep
    executor : str or Executor
        A name from :data:`simulator.executors.EXECUTORS` (``local`` runs in
        this process, each chunk vectorised).
    chunk_size : int, optional
        Runs per engine batch (default ``sweep.chunk_size``); bounds memory,
        does not change results.
    quiet : bool
        No progress bar.

    Returns
    -------
    SweepResult

    Raises
    ------
    SweepFileError
        Names not in the model (:class:`~simulator.errors.SweepNameError`),
        years not saved or windows outside the run
        (:class:`~simulator.errors.SweepRangeError`), all before any run.
    ScenarioError, ModelError
        From loading the scenarios or the model.

    Examples
    --------
    >>> sweep = load_sweep("tests/bad_sweeps/_valid.yaml")
    >>> result = run_sweep(sweep.replace(n=8), quiet=True)
    >>> ds = result["Teacup Temperature"]
    >>> ds["ST"].dims, ds.sizes["run"]  # N (2 d + 2) = 8 x 6
    (('scenario', 'time', 'factor'), 48)
    """
    method = sa.get_method(sweep.method)
    options = sweep.method_options
    problem = sweep.problem
    cases = _plan(sweep)
    seed = sweep.seed if sweep.seed is not None else int(np.random.default_rng().integers(2**62))
    sample_seq, analysis_seq = np.random.SeedSequence(seed).spawn(2)
    X = sa.sample(problem, method, sweep.n, seed=np.random.default_rng(sample_seq), options=options)
    values = _execute(cases, X, get_executor(executor), chunk_size or sweep.chunk_size, quiet)
    provenance = _provenance(sweep, cases, seed, X.shape[0], executor)
    labels, effects = _labels(cases)
    outputs = {}
    for output in sweep.outputs:
        key = output.key
        stacked = np.stack([values[c.label][key] for c in cases])  # (n_cases, n_rows, n_t)
        if effects:
            stacked = np.concatenate([stacked, stacked[1:] - stacked[:1]])
        outputs[key] = _output_dataset(
            sweep, output, cases[0], labels, effects, stacked, X, analysis_seq, provenance
        )
    return SweepResult(sweep, _samples_dataset(sweep, X, provenance), outputs, provenance)


def _plan(sweep: Sweep) -> list[_Case]:
    """Load the scenarios (or the model), check names and times, and build one job each."""
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
    return cases


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
        try:
            ident = model.resolve(parameter.name)
        except UnknownNameError as exc:
            raise sweep._error(
                SweepNameError(loc, f"unknown parameter '{parameter.name}'", exc.suggestions)
            ) from None
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
        try:
            ident = model.resolve(output.variable)
        except UnknownNameError as exc:
            raise sweep._error(
                SweepNameError(loc, f"unknown variable '{output.variable}'", exc.suggestions)
            ) from None
        if model.elements[ident].kind is ElementKind.LOOKUP:
            raise sweep._error(
                SweepNameError(loc, f"'{output.variable}' is a lookup; it has no value", [])
            )
    return tuple(idents)


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
) -> _Case:
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
    job = _ChunkJob(model, request, idents, base_values, ())
    saved = np.asarray(job.run(base_values, 1).times, dtype=float)
    reducers, times = [], {}
    for i, output in enumerate(sweep.outputs):
        reducer = _reducer(sweep, i, output, model.resolve(output.variable), saved, request.spec)
        reducers.append(reducer)
        times[output.key] = reducer.times if output.stat is None else np.empty(0)
    job.reducers = tuple(reducers)
    return _Case(label, model, digest, job, times)


_TIME_KWARGS = ("method", "initial_time", "final_time", "time_step", "saveper")


def _reducer(
    sweep: Sweep, i: int, output: Output, ident: str, saved: np.ndarray, spec: TimeSpec
) -> _Reducer:
    tol = spec.time_step * 1e-5
    span = f"the run saves {saved[0]:g} to {saved[-1]:g} every {spec.saveper:g}"
    if output.stat is None:
        if output.at == "all":
            return _Reducer(output.key, ident, np.arange(len(saved)), saved, None)
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
        return _Reducer(output.key, ident, np.array(positions), saved[positions], None)
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
    return _Reducer(output.key, ident, positions_arr, saved[positions_arr], output.stat)


def _execute(
    cases: Sequence[_Case], X: np.ndarray, executor: Executor, chunk_size: int, quiet: bool
) -> dict[str, dict[str, np.ndarray]]:
    """Run every case on every chunk of ``X``; -> label -> key -> array (n_rows, n_t)."""
    from tqdm import tqdm

    n_rows = X.shape[0]
    starts = range(0, n_rows, chunk_size)
    results: dict[str, dict[str, np.ndarray]] = {}
    with tqdm(total=n_rows * len(cases), unit="run", disable=quiet, desc="sweep") as bar:
        for case in cases:
            store: dict[str, np.ndarray] = {}
            blocks = (X[s : s + chunk_size] for s in starts)
            for index, chunk in executor.map(case.job, blocks):
                start = starts[index]
                for key, value in chunk.items():
                    if key not in store:
                        store[key] = np.empty((n_rows, value.shape[1]))
                    store[key][start : start + value.shape[0]] = value
                bar.update(min(chunk_size, n_rows - start))
            results[case.label] = store
    return results


def _labels(cases: Sequence[_Case]) -> tuple[list[str], list[bool]]:
    labels = [c.label for c in cases]
    effects = [False] * len(cases)
    for case in cases[1:]:
        labels.append(f"{case.label} - {cases[0].label}")
        effects.append(True)
    return labels, effects


def _output_dataset(
    sweep: Sweep,
    output: Output,
    case: _Case,
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
    values = stacked if timed else stacked[:, :, 0]
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
            shaped = array.reshape(n_cases, n_t, *array.shape[1:])
            if not timed:
                shaped = shaped[:, 0]
            dims = (
                (*lead, "factor", "factor_j") if shaped.ndim == len(lead) + 2 else (*lead, "factor")
            )
            data[name] = (dims, shaped)
    else:
        q = np.percentile(stacked, sweep.percentiles, axis=1)  # (n_p, n_cases, n_t)
        q = np.moveaxis(q, 0, -1)
        coords["percentile"] = list(sweep.percentiles)
        data["quantile"] = ((*lead, "percentile"), q if timed else q[:, 0])
        data["mean"] = (lead, stacked.mean(axis=1) if timed else stacked.mean(axis=1)[:, 0])
        data["std"] = (lead, stacked.std(axis=1) if timed else stacked.std(axis=1)[:, 0])
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


def _samples_dataset(sweep: Sweep, X: np.ndarray, provenance: Mapping[str, Any]) -> xr.Dataset:
    coords = {
        "run": np.arange(X.shape[0]),
        "parameter": [p.name for p in sweep.parameters],
        "dist": ("parameter", [p.dist for p in sweep.parameters]),
        "group": ("parameter", [p.group or p.name for p in sweep.parameters]),
    }
    return xr.Dataset({"X": (("run", "parameter"), X)}, coords=coords, attrs=dict(provenance))


def _provenance(
    sweep: Sweep, cases: Sequence[_Case], seed: int, n_rows: int, executor: str | Executor
) -> dict[str, Any]:
    content = sweep.model_dump(mode="json", exclude={"chunk_size", "scenario", "model", "compare"})
    content["sources"] = [c.digest for c in cases]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return {
        "sweep_name": sweep.name,
        "sweep_hash": hashlib.sha256(text.encode()).hexdigest(),
        "sweep_file": str(sweep._origin.path) if sweep._origin else "",
        "method": sweep.method,
        "N": sweep.n,
        "n_runs": n_rows,
        "seed": seed,
        "model_file": str(cases[0].model.source or ""),
        "model_hash": cases[0].model.source_hash,
        "scenarios": " | ".join(c.label for c in cases),
        "scenario_hashes": " ".join(c.digest for c in cases),
        "executor": executor if isinstance(executor, str) else executor.name,
        "package_version": package_version(),
        "salib_version": sa.salib_version(),
    }


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    suffix: str
    write: Callable[[xr.Dataset, Path], None]
    read: Callable[[Path], xr.Dataset]


def _read_netcdf(path: Path) -> xr.Dataset:
    with xr.open_dataset(path, engine="netcdf4") as ds:
        return ds.load()


#: Output file formats by name.
FORMATS: dict[str, _Format] = {
    "netcdf": _Format(".nc", lambda ds, p: ds.to_netcdf(p, engine="netcdf4"), _read_netcdf),
}


@dataclass(frozen=True)
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    sweep : Sweep
    samples : xarray.Dataset
        ``X`` with dims ``(run, parameter)``: the sample matrix.
    outputs : mapping of str -> xarray.Dataset
        One per output key. ``value`` has dims ``(scenario, run[, time])``.
        Index methods add each index with dims ``(scenario[, time], factor)``
        (``factor_j`` too for S2) and its confidence half-width ``<index>_conf``;
        band methods add ``quantile`` ``(scenario[, time], percentile)``, ``mean``
        and ``std``. ``scenario`` lists the base, the compared policies, and then
        each policy minus the base (``effect`` is True for those).
    provenance : mapping
        Model and sweep hashes, seed, method, N, versions; also in every
        Dataset's ``attrs``.
    """

    sweep: Sweep
    samples: xr.Dataset
    outputs: Mapping[str, xr.Dataset]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    MANIFEST: ClassVar[str] = "sweep.json"

    def __getitem__(self, key: str) -> xr.Dataset:
        try:
            return self.outputs[key]
        except KeyError:
            raise KeyError(f"no output '{key}'; outputs are {', '.join(self.outputs)}") from None

    def summary(self) -> pd.DataFrame:
        """Headline numbers at each output's last time: indices per factor, or percentiles.

        Returns
        -------
        pandas.DataFrame
            Indexed by (output, scenario[, factor]).
        """
        frames = []
        for key, ds in self.outputs.items():
            last = ds.isel(time=-1) if "time" in ds.dims else ds
            if "factor" in ds.dims:
                names = [n for n in ds.attrs.get("headline_indices", "").split() if n in ds]
                names += [f"{n}_conf" for n in names if f"{n}_conf" in ds]
                frame = last[names].to_dataframe()[names]
            else:
                quantile = last["quantile"]
                frame = pd.DataFrame(
                    quantile.values.reshape(-1, quantile.sizes["percentile"]),
                    index=pd.Index(quantile["scenario"].values, name="scenario"),
                    columns=[f"p{p:g}" for p in quantile["percentile"].values],
                )
            frame = pd.concat({key: frame}, names=["output"])
            frames.append(frame)
        return pd.concat(frames)

    def save(self, directory: str | Path, *, format: str = "netcdf") -> list[Path]:
        """Write the samples, each output and a manifest, each file atomically.

        Parameters
        ----------
        directory : str or Path
            Created if missing; files in it with the same names are replaced.
        format : str
            A key of :data:`FORMATS`.

        Returns
        -------
        list of Path
            ``samples.nc``, one file per output, and ``sweep.json`` (the sweep, the
            provenance and which file holds which output).
        """
        fmt = FORMATS[format]
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = [directory / f"samples{fmt.suffix}"]
        _atomic(written[0], lambda p: fmt.write(self.samples, p))
        files: dict[str, str] = {}
        for key, ds in self.outputs.items():
            name = _slug(key, set(files.values())) + fmt.suffix
            files[key] = name
            written.append(directory / name)
            _atomic(written[-1], functools.partial(fmt.write, ds))
        manifest = {
            "format": format,
            "sweep": self.sweep.model_dump(mode="json"),
            "provenance": dict(self.provenance),
            "outputs": files,
        }
        written.append(directory / self.MANIFEST)
        text = json.dumps(manifest, indent=2)
        _atomic(written[-1], lambda p: p.write_text(text, encoding="utf-8"))
        return written

    @classmethod
    def load(cls, directory: str | Path) -> SweepResult:
        """Read a result written by :meth:`save`."""
        directory = Path(directory)
        manifest = json.loads((directory / cls.MANIFEST).read_text(encoding="utf-8"))
        fmt = FORMATS[manifest["format"]]
        outputs = {key: fmt.read(directory / name) for key, name in manifest["outputs"].items()}
        samples = fmt.read(directory / f"samples{fmt.suffix}")
        sweep = Sweep.model_validate(manifest["sweep"])
        return cls(sweep, samples, outputs, manifest["provenance"])


def _slug(key: str, taken: Iterable[str]) -> str:
    base = re.sub(r"[^0-9a-zA-Z]+", "_", key).strip("_").lower() or "output"
    taken = {Path(t).stem for t in taken}
    name, k = base, 2
    while name in taken or name == "samples":
        name, k = f"{base}_{k}", k + 1
    return name


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Write through a temporary file in the same folder, then rename it over ``path``."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
