"""Compare scenarios with a baseline: one batched run, KPIs, absolute and relative deltas.

KPI definitions (see :class:`simulator.scenario.KPI`), for a variable ``x``
saved at times ``t``:

* ``value``: ``x(at)``, linear between saved times;
* ``mean`` / ``sum``: of the saved values with ``t`` in the window;
* ``integral``: trapezoidal rule over the saved values in the window;
* ``change``: ``x(to) - x(from)``, or ``x(to) / x(from) - 1`` when ``relative``;
* ``versus_baseline``: ``"difference"`` gives ``k - k_baseline``,
  ``"ratio"`` gives ``k / k_baseline``;
* ``per``: ``(k - k_baseline) / (c - c_baseline)`` with ``c`` the same
  statistic of the ``per`` variable (a return per unit of cost); NaN where
  ``c`` equals the baseline's, as for the baseline itself.

The KPI table has one row per KPI and scenario (baseline included) with the
columns ``kpi, scenario, value, baseline, absolute_delta, relative_delta,
units``; ``relative_delta`` is ``absolute_delta / |baseline|`` (NaN where the
baseline is 0 and the delta is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from simulator.engine.simulate import simulate
from simulator.errors import ScenarioError
from simulator.scenario import KPI, Scenario, batch_key, batch_kwargs, load_scenario

__all__ = [
    "KPI_COLUMNS",
    "Comparison",
    "compare_scenarios",
    "format_kpi_table",
    "kpi_summary",
    "kpi_table",
    "kpi_units",
    "kpi_values",
    "run_batches",
]

#: Columns of :attr:`Comparison.kpis`.
KPI_COLUMNS = ("kpi", "scenario", "value", "baseline", "absolute_delta", "relative_delta", "units")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_scenarios`.

    Attributes
    ----------
    dataset : xarray.Dataset
        Dims ``scenario`` (baseline first) and ``time``; coordinates
        ``scenario_hash`` and ``scenario_file`` on ``scenario``; provenance in
        ``attrs``.
    kpis : pandas.DataFrame
        Columns :data:`KPI_COLUMNS`, one row per KPI and scenario.
    baseline : str
        The baseline scenario's name.
    scenarios : tuple of Scenario
        Baseline first.
    """

    dataset: xr.Dataset
    kpis: pd.DataFrame
    baseline: str
    scenarios: tuple[Scenario, ...]

    def deltas(self, relative: bool = False) -> xr.Dataset:
        """Every output minus the baseline's (divided by ``|baseline|`` when ``relative``).

        Returns
        -------
        xarray.Dataset
            Dims ``scenario`` and ``time``, the baseline's rows all zero.
        """
        base = self.dataset.sel(scenario=self.baseline)
        delta = self.dataset - base
        if relative:
            delta = delta / abs(base).where(base != 0)
        delta.attrs = dict(self.dataset.attrs)
        return delta

    def table(self) -> str:
        """The KPI table as readable text (see :func:`format_kpi_table`)."""
        return format_kpi_table(self.kpis, self.baseline)


def compare_scenarios(
    baseline: Scenario | str | Path,
    others: Sequence[Scenario | str | Path],
    *,
    progress: bool = False,
) -> Comparison:
    """Run a baseline and other scenarios, and compare their KPIs with the baseline's.

    Scenarios of the same model and time settings run in one batch, their
    parameters stacked along ``run``.

    Parameters
    ----------
    baseline : Scenario or path
    others : sequence of Scenario or path
    progress : bool
        Show a progress bar per batch.

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError
        Two scenarios share a name, or define the same KPI label differently.

    Examples
    --------
    >>> import simulator
    >>> base = simulator.load_scenario("scenarios/baseline.yaml")
    >>> tax = simulator.load_scenario("scenarios/tax_incentives.yaml")
    >>> comparison = simulator.compare_scenarios(base, [tax])
    >>> comparison.dataset["CBEC total trade"].dims
    ('scenario', 'time')
    >>> kpis = comparison.kpis.set_index(["kpi", "scenario"])
    >>> bool(kpis.loc[("D in 2035", "tax incentives"), "absolute_delta"] > 0)
    True
    """
    scenarios = [_as_scenario(s) for s in (baseline, *others)]
    names = [s.name for s in scenarios]
    for name in names:
        if names.count(name) > 1:
            files = ", ".join(str(s.source) for s in scenarios if s.name == name)
            raise ScenarioError(f"two scenarios are named '{name}' ({files}); rename one")
    kpis = _union_kpis(scenarios)
    dataset = run_batches(scenarios, progress=progress)
    dataset.attrs["baseline"] = names[0]
    table = kpi_table(dataset, kpis, names[0])
    return Comparison(dataset, table, names[0], tuple(scenarios))


def run_batches(scenarios: Sequence[Scenario], *, progress: bool = False) -> xr.Dataset:
    """Run ``scenarios``, batching those that share a model and time settings.

    Returns
    -------
    xarray.Dataset
        Dims ``scenario`` (in the order given) and ``time``.
    """
    groups: dict[object, list[int]] = {}
    for i, scenario in enumerate(scenarios):
        groups.setdefault(batch_key(scenario), []).append(i)
    outputs: list[str] = []
    parts: list[xr.Dataset] = []
    order: list[int] = []
    for members in groups.values():
        batch = [scenarios[i] for i in members]
        model = batch[0].load_model()
        try:
            requests = [batch_kwargs(batch, model)]
        except ValueError:  # cannot be stacked: run them one by one
            requests = [s.simulate_kwargs(model) for s in batch]
        for kwargs in requests:
            parts.append(_by_scenario(simulate(model, **kwargs, progress=progress)))
            outputs.extend(n for n in kwargs["outputs"] if n not in outputs)
        order.extend(members)
    combined = xr.concat(parts, dim="scenario", join="outer", combine_attrs="drop_conflicts")
    combined = combined.assign_coords(scenario=[scenarios[i].name for i in order])
    combined = combined.sel(scenario=[s.name for s in scenarios])
    return combined.assign_coords(
        scenario_hash=("scenario", [s.digest for s in scenarios]),
        scenario_file=("scenario", [str(s.source or "") for s in scenarios]),
    )[[n for n in outputs if n in combined]]


def _by_scenario(run: xr.Dataset) -> xr.Dataset:
    run = run.drop_vars([c for c in run.coords if c not in ("run", "time")])
    return run.rename({"run": "scenario"}).drop_vars("scenario")


def _as_scenario(item: Scenario | str | Path) -> Scenario:
    return item if isinstance(item, Scenario) else load_scenario(item)


def _union_kpis(scenarios: Sequence[Scenario]) -> list[KPI]:
    found: dict[str, tuple[KPI, Scenario]] = {}
    for scenario in scenarios:
        for kpi in scenario.kpis:
            label = kpi.label()
            if label not in found:
                found[label] = (kpi, scenario)
            elif found[label][0] != kpi:
                raise ScenarioError(
                    f"KPI '{label}' is defined differently in scenarios "
                    f"'{found[label][1].name}' and '{scenario.name}'; rename one of them"
                )
    return [kpi for kpi, _ in found.values()]


def kpi_values(dataset: xr.Dataset, kpi: KPI, baseline: str | None = None) -> np.ndarray:
    """A KPI for every scenario (or run) of ``dataset``.

    Parameters
    ----------
    dataset : xarray.Dataset
        Dims ``scenario`` (or ``run``) and ``time``.
    kpi : KPI
        With ``at`` or ``window`` filled in (as a loaded scenario's KPIs are).
    baseline : str, optional
        The baseline's ``scenario`` label; needed when ``kpi.versus_baseline``.

    Returns
    -------
    ndarray, shape (n_scenarios,)

    Examples
    --------
    >>> ds = xr.Dataset({"x": (("scenario", "time"), [[0.0, 1.0, 4.0], [0.0, 2.0, 2.0]])},
    ...                 coords={"scenario": ["a", "b"], "time": [0.0, 1.0, 2.0]})
    >>> kpi_values(ds, KPI(variable="x", at=1.5)).tolist()
    [2.5, 2.0]
    >>> kpi_values(ds, KPI(variable="x", stat="integral", window=(0, 2))).tolist()
    [3.0, 3.0]
    >>> kpi_values(ds, KPI(variable="x", stat="sum", versus_baseline="ratio"), "a").tolist()
    [1.0, 0.8]
    >>> ds["gain"] = (("scenario", "time"), [[1.0, 1.0, 1.0], [1.0, 3.0, 3.0]])
    >>> ds["cost"] = (("scenario", "time"), [[0.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    >>> kpi_values(ds, KPI(variable="gain", stat="integral", per="cost"), "a").tolist()
    [nan, 4.0]
    """
    dim = "scenario" if "scenario" in dataset[kpi.variable].dims else "run"
    values = _statistic(dataset, kpi.variable, kpi)
    if kpi.versus_baseline is None and kpi.per is None:
        return values
    if baseline is None:
        raise ScenarioError(f"KPI '{kpi.label()}' is relative to a baseline; give one")
    b = list(dataset[dim].to_numpy()).index(baseline)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kpi.per is not None:
            cost = _statistic(dataset, kpi.per, kpi)
            spent = cost - cost[b]
            values = np.where(spent == 0, np.nan, (values - values[b]) / spent)
        elif kpi.versus_baseline == "difference":
            values = values - values[b]
        else:
            values = values / values[b]
    return np.asarray(values, dtype=float)


def _statistic(dataset: xr.Dataset, variable: str, kpi: KPI) -> np.ndarray:
    """``kpi``'s statistic of ``variable`` for every scenario (or run), shape (n,)."""
    da = dataset[variable]
    dim = "scenario" if "scenario" in da.dims else "run"
    y = da.transpose(dim, "time").to_numpy().astype(float)
    t = dataset["time"].to_numpy().astype(float)
    first, last = (kpi.window or (t[0], t[-1])) if kpi.stat != "value" else (t[0], t[-1])
    mask = (t >= first - _TOLERANCE) & (t <= last + _TOLERANCE)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kpi.stat == "value":
            return _at(t, y, t[-1] if kpi.at is None else kpi.at)
        if kpi.stat == "mean":
            return np.asarray(y[:, mask].mean(axis=1))
        if kpi.stat == "sum":
            return np.asarray(y[:, mask].sum(axis=1))
        if kpi.stat == "integral":
            ym, tm = y[:, mask], t[mask]
            return np.asarray(((ym[:, 1:] + ym[:, :-1]) / 2 * np.diff(tm)).sum(axis=1))
        start, end = _at(t, y, first), _at(t, y, last)
        return np.asarray(end / start - 1 if kpi.relative else end - start)


def _at(t: np.ndarray, y: np.ndarray, when: float) -> np.ndarray:
    """Values at time ``when``: exact at a saved time, linear between saved times."""
    hit = np.flatnonzero(np.abs(t - when) <= _TOLERANCE * max(1.0, abs(when)))
    if hit.size:
        return y[:, hit[0]].copy()
    right = int(np.clip(np.searchsorted(t, when), 1, len(t) - 1))
    w = (when - t[right - 1]) / (t[right] - t[right - 1])
    return y[:, right - 1] + w * (y[:, right] - y[:, right - 1])


def kpi_table(dataset: xr.Dataset, kpis: Sequence[KPI], baseline: str) -> pd.DataFrame:
    """The KPI table: one row per KPI and scenario, with deltas vs ``baseline``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`KPI_COLUMNS`.
    """
    scenarios = [str(s) for s in dataset["scenario"].to_numpy()]
    b = scenarios.index(baseline)
    rows: list[tuple[str, str, float, float, float, float, str]] = []
    for kpi in kpis:
        values = kpi_values(dataset, kpi, baseline)
        delta = values - values[b]
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.where(delta == 0, 0.0, delta / abs(values[b]))
        relative = np.where(np.isfinite(relative), relative, np.nan)
        units = kpi_units(dataset, kpi)
        rows.extend(
            (kpi.label(), name, values[i], values[b], delta[i], float(relative[i]), units)
            for i, name in enumerate(scenarios)
        )
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


def kpi_summary(dataset: xr.Dataset, kpis: Sequence[KPI]) -> pd.DataFrame:
    """KPIs of a single run (as :func:`simulator.run_scenario` returns), without a baseline.

    KPIs defined ``versus_baseline`` or ``per`` are left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi, value, units``.
    """
    rows = [
        (kpi.label(), float(kpi_values(dataset, kpi)[0]), kpi_units(dataset, kpi))
        for kpi in kpis
        if kpi.versus_baseline is None and kpi.per is None
    ]
    return pd.DataFrame(rows, columns=["kpi", "value", "units"])


def kpi_units(dataset: xr.Dataset, kpi: KPI) -> str:
    """The units of a KPI: its variable's, times time for an integral, ``1`` for ratios.

    A ``per`` KPI has the units of its variable over those of ``per`` (``1`` when equal).
    """
    if kpi.per is not None:
        top = kpi_units(dataset, kpi.model_copy(update={"per": None}))
        bottom = kpi_units(dataset, kpi.model_copy(update={"per": None, "variable": kpi.per}))
        if top.replace(" ", "") == bottom.replace(" ", ""):
            return "1"
        return f"({top})/({bottom})" if top and bottom else ""
    units = str(dataset[kpi.variable].attrs.get("units", ""))
    time_units = str(dataset["time"].attrs.get("units", ""))
    if kpi.versus_baseline == "ratio" or (kpi.stat == "change" and kpi.relative):
        return "1"
    if kpi.stat == "integral" and units and time_units:
        per_time = f"/{time_units}"
        if units.replace(" ", "").endswith(per_time.replace(" ", "")):
            return units[: units.rindex("/")].strip()  # a rate integrated over time
        return f"({units})*{time_units}" if "/" in units else f"{units}*{time_units}"
    return units


def format_kpi_table(table: pd.DataFrame, baseline: str) -> str:
    """A KPI table as aligned text: a block per KPI, a line per scenario.

    Examples
    --------
    >>> table = pd.DataFrame([("trade", "base", 10.0, 10.0, 0.0, 0.0, "t"),
    ...                       ("trade", "policy", 12.5, 10.0, 2.5, 0.25, "t")],
    ...                      columns=list(KPI_COLUMNS))
    >>> print(format_kpi_table(table, "base"))
    trade [t]
      scenario        value     change    change %
      base               10          0           0
      policy           12.5       +2.5      +25.0%
    """
    width = max([len("scenario"), *(len(str(s)) for s in table["scenario"])])
    lines: list[str] = []
    for kpi, rows in table.groupby("kpi", sort=False):
        units = rows["units"].iloc[0]
        lines.append(f"{kpi} [{units}]" if units else str(kpi))
        lines.append(f"  {'scenario':<{width}}  {'value':>11}  {'change':>9}  {'change %':>10}")
        columns = ("scenario", "value", "absolute_delta", "relative_delta")
        for scenario, value, absolute, relative in zip(*(rows[c] for c in columns), strict=True):
            if scenario == baseline:
                delta, percent = "0", "0"
            else:
                delta = "n/a" if np.isnan(absolute) else f"{float(absolute):+.4g}"
                percent = "n/a" if np.isnan(relative) else f"{float(relative):+.1%}"
            shown = "n/a" if np.isnan(value) else f"{float(value):.6g}"
            lines.append(f"  {scenario:<{width}}  {shown:>11}  {delta:>9}  {percent:>10}")
        lines.append("")
    return "\n".join(lines).rstrip()
