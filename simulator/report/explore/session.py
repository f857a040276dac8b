"""The computing half of a live what-if: runs for lever levels, no widgets, no figures.

A :class:`WhatIf` runs the baseline (the scenario as loaded) once, and then
each what-if as one call of :func:`simulator.simulate`: run 0 at the
parameters' own values, runs 1..N at the fixed draws of the uncertain
parameters (when there are any). Results of recent levels are kept, so going
back to a level a slider has visited costs nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.simulate import simulate
from simulator.errors import ExploreError
from simulator.model.ir import ElementKind
from simulator.report.explore.draws import Uncertainty, make_draws
from simulator.report.explore.levers import (
    Levers,
    Mark,
    intervention_marks,
    resolve_levers,
)
from simulator.scenario import Scenario

__all__ = ["DEFAULT_BAND", "DEFAULT_SEED", "Curves", "WhatIf"]

#: The draws' seed and the band's percentiles when none are given.
DEFAULT_SEED = 20240612
DEFAULT_BAND = (5.0, 95.0)

#: How many what-ifs a session remembers.
_MEMORY = 128


@dataclass(frozen=True)
class Curves:
    """Outputs over time for one setting of the levers.

    Attributes
    ----------
    levels : tuple of float
        The levers' levels, in the session's lever order.
    time : ndarray, shape (n_times,)
    lines : dict of output name -> ndarray, shape (n_times,)
        At the parameters' own values.
    bands : dict of output name -> ndarray, shape (2, n_times), or None
        The band's lower and upper percentiles over the draws.
    effect_bands : dict of output name -> ndarray, shape (2, n_times), or None
        Percentiles over the draws of the what-if minus the baseline at the
        same draw (common draws: what the levers change, net of what the
        uncertain parameters do to both). None for the baseline itself.
    """

    levels: tuple[float, ...]
    time: np.ndarray
    lines: dict[str, np.ndarray]
    bands: dict[str, np.ndarray] | None = None
    effect_bands: dict[str, np.ndarray] | None = None


class WhatIf:
    """Runs of a scenario with its levers moved.

    Parameters
    ----------
    scenario : Scenario
    levers : see :func:`~simulator.report.explore.levers.resolve_levers`
    outputs : sequence of str, optional
        Variables to show; by default the scenario's outputs (else its KPI variables).
    uncertainty : mapping, DataFrame or Sweep, optional
        Uncertain parameters (see :mod:`~simulator.report.explore.draws`).
    draws : int, optional
        Ensemble size.
    seed : int
        Seed of the draws.
    band : (float, float)
        Percentiles of the band.
    engine : str, optional
        Passed to :func:`simulator.simulate`; its default when None.
    start : float, optional
        When levers the scenario leaves alone take their level (default: the
        whole run).

    Attributes
    ----------
    scenario : Scenario
    levers : tuple of Lever
    outputs : tuple of str
        The model's spelling.
    units : dict of output name -> str
    time_units : str
    draws : DataFrame or None, shape (n_draws, n_parameters)
        The fixed draws, one column per uncertain parameter.
    nominal : dict of parameter name -> float
        The uncertain parameters' own values (run 0 of every batch).
    baseline : Curves
        The scenario as loaded.
    runs : int
        Calls of :func:`simulator.simulate` made so far.
    """

    def __init__(
        self,
        scenario: Scenario,
        levers: Levers = None,
        outputs: Sequence[str] | None = None,
        *,
        uncertainty: Uncertainty | None = None,
        draws: int | None = None,
        seed: int = DEFAULT_SEED,
        band: tuple[float, float] = DEFAULT_BAND,
        engine: str | None = None,
        start: float | None = None,
    ) -> None:
        self.scenario = scenario
        self.model = scenario.load_model()
        self.levers = resolve_levers(scenario, self.model, levers, start)
        self.outputs = self._outputs(outputs)
        self.units = {name: self.model[name].units for name in self.outputs}
        self.time_units = self.model.time.units
        if not 0 <= band[0] < band[1] <= 100:
            raise ExploreError(f"band must be two percentiles 0 <= low < high <= 100, got {band}")
        self.band = (float(band[0]), float(band[1]))
        self._kwargs: dict[str, Any] = {
            **scenario.simulate_kwargs(self.model),
            "outputs": list(self.outputs),
            **({} if engine is None else {"engine": engine}),
        }
        drawn = None if uncertainty is None else make_draws(uncertainty, draws, seed)
        self.draws, self.nominal = self._checked(drawn)
        self._memory: OrderedDict[tuple[float, ...], Curves] = OrderedDict()
        self.runs = 0
        self._baseline_draws: dict[str, np.ndarray] = {}  # (n_draws, n_times) per output
        self.baseline = self._run(tuple(lever.value for lever in self.levers), baseline=True)
        # at the scenario's own levels the what-if is the baseline: its effect is nil
        nil = None
        if self.baseline.bands is not None:
            nil = {name: np.zeros_like(band) for name, band in self.baseline.bands.items()}
        self._memory[self.baseline.levels] = replace(self.baseline, effect_bands=nil)

    @property
    def initial(self) -> dict[str, float]:
        """Each lever's level in the scenario as loaded."""
        return {lever.name: lever.value for lever in self.levers}

    def curves(self, levels: Mapping[str, float]) -> Curves:
        """The what-if at ``levels`` (lever name -> level; missing levers keep the scenario's)."""
        unknown = set(levels) - {lever.name for lever in self.levers}
        if unknown:
            raise ExploreError(f"not a lever of this what-if: {', '.join(sorted(unknown))}")
        key = tuple(float(levels.get(lever.name, lever.value)) for lever in self.levers)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        curves = self._run(key)
        self._memory[key] = curves
        if len(self._memory) > _MEMORY:
            self._memory.popitem(last=False)
        return curves

    @property
    def corners(self) -> list[dict[str, float]]:
        """Every lever at the low end of its range, and every one at the high end.

        Their runs bound what the sliders can show in most models (effects
        that grow with the lever), so a figure can size its axes once.
        """
        ends = [
            {lever.name: lever.low for lever in self.levers},
            {lever.name: lever.high for lever in self.levers},
        ]
        return [end for end in ends if end != self.initial]

    def marks(self, levels: Mapping[str, float]) -> tuple[Mark, ...]:
        """When the levers start acting, at ``levels``."""
        current = {**self.initial, **levels}
        return intervention_marks(self.model, self.levers, current, self.scenario)

    def params(self, levels: tuple[float, ...], *, baseline: bool = False) -> dict[str, Any]:
        """The ``params`` of :func:`simulator.simulate` for one batch at ``levels``.

        Run 0 has the uncertain parameters at their own values, runs
        ``1..n_draws`` at the draws. The baseline batch is the scenario's own
        parameters.
        """
        params = dict(self._kwargs["params"])
        if not baseline:
            for lever, level in zip(self.levers, levels, strict=True):
                params[lever.name] = lever.param(level)
        if self.draws is not None:
            for name in self.draws.columns:
                column = self.draws[name].to_numpy(dtype=float)
                params[name] = np.concatenate([[self.nominal[name]], column])
        return params

    def _run(self, levels: tuple[float, ...], *, baseline: bool = False) -> Curves:
        kwargs = {**self._kwargs, "params": self.params(levels, baseline=baseline)}
        dataset = simulate(self.model, **kwargs)
        self.runs += 1
        time = dataset["time"].to_numpy()
        values = {name: dataset[name].to_numpy() for name in self.outputs}  # (n_runs, n_times)
        lines = {name: v[0].copy() for name, v in values.items()}
        if self.draws is None:
            return Curves(levels, time, lines)
        bands = {name: np.percentile(v[1:], self.band, axis=0) for name, v in values.items()}
        if baseline:
            self._baseline_draws = {name: v[1:] for name, v in values.items()}
            return Curves(levels, time, lines, bands)
        effects = {
            name: np.percentile(v[1:] - self._baseline_draws[name], self.band, axis=0)
            for name, v in values.items()
        }
        return Curves(levels, time, lines, bands, effects)

    def _outputs(self, outputs: Sequence[str] | None) -> tuple[str, ...]:
        if isinstance(outputs, str):
            outputs = [outputs]
        if outputs is None:
            outputs = list(self.scenario.outputs) or list(
                dict.fromkeys(k.variable for k in self.scenario.kpis)
            )
        if not outputs:
            raise ExploreError(
                f"scenario '{self.scenario.name}' lists no outputs or KPIs; "
                "name what to plot: explore(scenario, levers, outputs=['a variable', ...])"
            )
        names = []
        for name in outputs:
            element = self.model.elements[self.model.resolve(name, "explore outputs")]
            if element.kind is ElementKind.LOOKUP:
                raise ExploreError(
                    f"output '{element.name}' is a lookup; it has no value over time"
                )
            names.append(element.name)
        return tuple(dict.fromkeys(names))

    def _checked(self, draws: pd.DataFrame | None) -> tuple[pd.DataFrame | None, dict[str, float]]:
        """The draws with the model's spelling of their names, and each one's own value."""
        if draws is None:
            return None, {}
        levers = {lever.name for lever in self.levers}
        intervened = self.scenario.intervened()
        nominal = {}
        for column in draws.columns:
            element = self.model.elements[self.model.resolve(str(column), "explore uncertainty")]
            if element.name in levers:
                raise ExploreError(
                    f"'{element.name}' is both a lever and uncertain; make it one or the other"
                )
            if element.name in intervened:
                raise ExploreError(
                    f"'{element.name}' has interventions in scenario '{self.scenario.name}', "
                    "so it cannot also be drawn; pick a parameter the scenario leaves alone"
                )
            if element.kind is not ElementKind.CONSTANT or element.value is None:
                raise ExploreError(
                    f"uncertain parameter '{element.name}' is a {element.kind.value}, "
                    "not a constant with a number"
                )
            nominal[element.name] = self.scenario.base_value(self.model, element.name)
        return draws.rename(columns=lambda c: self.model[str(c)].name), nominal
