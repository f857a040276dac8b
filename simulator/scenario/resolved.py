"""The frozen :class:`Scenario`: a validated, fully resolved what-if, ready to run."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from simulator.errors import ScenarioError
from simulator.loading import load_model
from simulator.model.ir import ElementKind, Expr, Model
from simulator.scenario.interventions import equation
from simulator.scenario.schema import KPI, Pulse, Ramp, Step, Table

__all__ = ["Scenario", "TimeSettings", "cached_model"]

Intervention = Step | Ramp | Pulse | Table


class TimeSettings(BaseModel):
    """The run's time settings, every one known (the model's where the file gave none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: float
    stop: float
    dt: float
    saveper: float
    method: Literal["euler", "rk4"] = "euler"


class Scenario(BaseModel):
    """A what-if: a model, time settings, parameter changes, interventions, outputs, KPIs.

    Make one with :func:`simulator.load_scenario`. Names are the model's own
    spelling; every value has been checked against the model.

    Attributes
    ----------
    name, description : str
    source : Path or None
        The scenario file.
    extends : tuple of Path
        The files it inherits from, nearest first.
    model_path : Path
    model_hash : str
        SHA-256 of the model file when the scenario was loaded.
    time : TimeSettings
    constants : dict of str -> float
    lookups : dict of str -> tuple of (x, y)
    interventions : tuple
        :class:`~simulator.scenario.schema.Step`, ``Ramp``, ``Pulse`` or ``Table``.
    outputs : tuple of str
        Variables to record (KPI variables are added when running).
    kpis : tuple of KPI
        With ``at`` and ``window`` filled in and every ``name`` set.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    source: Path | None = None
    extends: tuple[Path, ...] = ()
    model_path: Path
    model_hash: str
    time: TimeSettings
    constants: dict[str, float] = {}
    lookups: dict[str, tuple[tuple[float, float], ...]] = {}
    interventions: tuple[Intervention, ...] = ()
    outputs: tuple[str, ...] = ()
    kpis: tuple[KPI, ...] = ()

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name!r}: {self.model_path.name}, {len(self.constants)} constants, "
            f"{len(self.interventions)} interventions, {len(self.kpis)} KPIs>"
        )

    @property
    def digest(self) -> str:
        """SHA-256 of the scenario's content (not of file paths): its provenance hash."""
        content = self.model_dump(mode="json", exclude={"source", "extends", "model_path"})
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def load_model(self) -> Model:
        """The scenario's model (loaded once per file content, then cached).

        Raises
        ------
        ScenarioError
            The model file changed since the scenario was loaded.
        """
        model = cached_model(self.model_path)
        if model.source_hash != self.model_hash:
            raise ScenarioError(
                f"{self.source or self.name}: the model file {self.model_path} changed after "
                "the scenario was loaded; load the scenario again"
            )
        return model

    def intervened(self) -> dict[str, list[Intervention]]:
        """Interventions grouped by constant, in the order they apply."""
        groups: dict[str, list[Intervention]] = defaultdict(list)
        for item in self.interventions:
            groups[item.variable].append(item)
        return dict(groups)

    def base_value(self, model: Model, name: str) -> float:
        """The value of constant ``name`` before interventions."""
        if name in self.constants:
            return self.constants[name]
        value = model[name].value
        if value is None:
            raise ScenarioError(f"{self.name}: '{name}' is not a constant with a numeric value")
        return value

    def output_names(self, model: Model) -> list[str]:
        """Variables to record: ``outputs`` (default: every stock, flow and auxiliary),
        then the KPI variables not among them."""
        if self.outputs:
            names = list(self.outputs)
        else:
            kinds = (ElementKind.STOCK, ElementKind.FLOW, ElementKind.AUXILIARY)
            names = [e.name for e in model.elements.values() if e.kind in kinds]
        for kpi in self.kpis:
            for name in (kpi.variable, kpi.per):
                if name is not None and name not in names:
                    names.append(name)
        return names

    def simulate_kwargs(self, model: Model) -> dict[str, Any]:
        """Keyword arguments for :func:`simulator.simulate` that run this scenario.

        Parameters
        ----------
        model : Model
            Usually :meth:`load_model`; a compatible model (same names) also works.

        Returns
        -------
        dict
            ``params`` (constants as numbers, intervened constants as IR
            expressions), ``lookups``, ``outputs``, ``method``,
            ``initial_time``, ``final_time``, ``time_step``, ``saveper``.
            Add entries to ``params`` (arrays of shape ``(n_runs,)``) to
            sweep parameters around the scenario.
        """
        intervened = self.intervened()
        params: dict[str, float | Expr] = {
            name: value for name, value in self.constants.items() if name not in intervened
        }
        for name, items in intervened.items():
            params[name] = equation(self.base_value(model, name), items)
        return {
            "params": params,
            "lookups": {
                name: ([x for x, _ in pts], [y for _, y in pts])
                for name, pts in self.lookups.items()
            },
            "outputs": self.output_names(model),
            "method": self.time.method,
            "initial_time": self.time.start,
            "final_time": self.time.stop,
            "time_step": self.time.dt,
            "saveper": self.time.saveper,
        }


@lru_cache(maxsize=16)
def _load(path: str, digest: str) -> Model:
    return load_model(path)


def cached_model(path: Path) -> Model:
    """Load ``path``, reusing an earlier load of the same file content.

    Raises
    ------
    ModelError
        From :func:`simulator.load_model`.
    """
    path = Path(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return load_model(path)  # raises ModelFileError naming the file
    return _load(str(path.resolve()), digest)
