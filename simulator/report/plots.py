"""Figures for runs and comparisons. Every function returns a :class:`matplotlib.figure.Figure`.

Figures are made without :mod:`matplotlib.pyplot`, so no global figure
state is touched and any backend (Agg in the CLI, inline in notebooks) works.
Margins are set by hand rather than by a layout engine, which would draw
every figure twice when it is saved.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["plot_deltas", "plot_kpis", "plot_overlay"]

_BASELINE_STYLE = {"color": "black", "linewidth": 2.2, "linestyle": "--"}


def _members(dataset: xr.Dataset) -> tuple[str, list[str]]:
    dim = "scenario" if "scenario" in dataset.dims else "run"
    return dim, [str(v) for v in dataset[dim].to_numpy()]


def _title(dataset: xr.Dataset, variable: str) -> str:
    units = dataset[variable].attrs.get("units", "")
    return f"{variable} [{units}]" if units else variable


def plot_overlay(dataset: xr.Dataset, variable: str, *, baseline: str | None = None) -> Figure:
    """One output over time, a line per scenario (or run).

    Parameters
    ----------
    dataset : xarray.Dataset
        Dims ``scenario`` (or ``run``) and ``time``.
    variable : str
    baseline : str, optional
        Drawn as a dashed black line.

    Returns
    -------
    Figure

    Examples
    --------
    >>> ds = xr.Dataset({"x": (("scenario", "time"), [[0.0, 1.0], [0.0, 2.0]])},
    ...                 coords={"scenario": ["a", "b"], "time": [0.0, 1.0]})
    >>> figure = plot_overlay(ds, "x", baseline="a")
    >>> [line.get_label() for line in figure.axes[0].get_lines()]
    ['a', 'b']
    """
    dim, members = _members(dataset)
    figure = Figure(figsize=(7.5, 4.2))
    figure.subplots_adjust(left=0.1, right=0.97, bottom=0.12, top=0.92)
    ax = figure.add_subplot()
    time = dataset["time"].to_numpy()
    for member in members:
        values = dataset[variable].sel({dim: _key(dataset, dim, member)}).to_numpy()
        style = _BASELINE_STYLE if member == baseline else {"linewidth": 1.6}
        ax.plot(time, values, label=member, **style)
    ax.set_title(_title(dataset, variable))
    ax.set_xlabel(_time_label(dataset))
    _whole_years(ax, time)
    ax.grid(alpha=0.3)
    if len(members) > 1:
        ax.legend(fontsize="small", frameon=False)
    return figure


def plot_deltas(
    dataset: xr.Dataset,
    baseline: str,
    variables: Sequence[str] | None = None,
    *,
    relative: bool = True,
) -> Figure:
    """Each scenario's difference from the baseline over time, a panel per output.

    Parameters
    ----------
    dataset : xarray.Dataset
        Dims ``scenario`` and ``time``.
    baseline : str
    variables : sequence of str, optional
        Default: every data variable.
    relative : bool
        Plot ``(x - x_baseline) / |x_baseline|`` in percent; else the difference.

    Returns
    -------
    Figure
    """
    names = list(variables) if variables is not None else [str(v) for v in dataset.data_vars]
    columns = 2 if len(names) > 1 else 1
    rows = max(1, -(-len(names) // columns))
    figure = Figure(figsize=(6.0 * columns, 3.0 * rows + 0.6))
    figure.subplots_adjust(
        left=0.09,
        right=0.98,
        bottom=0.6 / (3.0 * rows + 0.6),
        top=1 - 0.6 / (3.0 * rows + 0.6),
        hspace=0.45,
        wspace=0.22,
    )
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    time = dataset["time"].to_numpy()
    base = dataset.sel(scenario=baseline)
    others = [s for s in _members(dataset)[1] if s != baseline]
    for ax, name in zip(axes, names, strict=False):
        ref = base[name].to_numpy()
        for member in others:
            values = dataset[name].sel(scenario=member).to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                delta = (values - ref) / np.abs(ref) * 100 if relative else values - ref
            ax.plot(time, delta, label=member, linewidth=1.5)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_title(name if relative else _title(dataset, name), fontsize="medium")
        ax.set_ylabel(f"% vs {baseline}" if relative else f"vs {baseline}")
        _whole_years(ax, time)
        ax.grid(alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if others:
        axes[0].legend(fontsize="small", frameon=False)
    figure.suptitle("Change from the baseline")
    return figure


def plot_kpis(kpis: pd.DataFrame, baseline: str) -> Figure:
    """KPIs' relative change from the baseline, a group of bars per KPI.

    KPIs without a relative change in any scenario (a baseline of 0, or a ``per``
    KPI, which has no baseline value) are listed under the axis instead of drawn
    as empty rows.

    Parameters
    ----------
    kpis : pandas.DataFrame
        A KPI table (:attr:`simulator.Comparison.kpis`).
    baseline : str

    Returns
    -------
    Figure

    Examples
    --------
    >>> table = pd.DataFrame({"kpi": ["k", "k"], "scenario": ["base", "p"],
    ...                       "relative_delta": [0.0, 0.25]})
    >>> figure = plot_kpis(table, "base")
    >>> [float(p.get_width()) for p in figure.axes[0].patches]
    [25.0]
    >>> table.loc[len(table)] = {"kpi": "cost", "scenario": "p", "relative_delta": float("nan")}
    >>> [t.get_text() for t in plot_kpis(table, "base").axes[0].get_yticklabels()]
    ['k']
    """
    rows = kpis[kpis["scenario"] != baseline]
    finite = rows.groupby("kpi", sort=False)["relative_delta"].apply(lambda r: r.notna().any())
    left_out = [str(label) for label, drawn in finite.items() if not drawn]
    rows = rows[~rows["kpi"].isin(left_out)]
    labels = list(dict.fromkeys(rows["kpi"]))
    scenarios = list(dict.fromkeys(rows["scenario"]))
    legend_rows = -(-len(scenarios) // 3)
    note_in = 0.3 if left_out else 0.0
    bottom_in = 0.6 + 0.25 * legend_rows + note_in
    height_in = 0.5 + bottom_in + len(labels) * (0.2 + 0.1 * len(scenarios))
    longest = max((len(label) for label in labels), default=0)
    figure = Figure(figsize=(8.0, height_in))
    figure.subplots_adjust(
        left=min(0.5, 0.04 + 0.0095 * longest),
        right=0.97,
        bottom=bottom_in / height_in,
        top=1 - 0.4 / height_in,
    )
    ax = figure.add_subplot()
    height = 0.8 / max(1, len(scenarios))
    positions = np.arange(len(labels))
    table = rows.set_index(["kpi", "scenario"])["relative_delta"]
    for j, scenario in enumerate(scenarios):
        values = [100 * float(table.get((label, scenario), np.nan)) for label in labels]
        ax.barh(positions + (j - (len(scenarios) - 1) / 2) * height, values, height, label=scenario)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(f"change vs {baseline} (%)")
    ax.grid(axis="x", alpha=0.3)
    if scenarios:
        handles, names = ax.get_legend_handles_labels()
        figure.legend(
            handles,
            names,
            fontsize="small",
            frameon=False,
            ncols=3,
            loc="lower center",
            bbox_to_anchor=(0.5, note_in / height_in),
        )
    ax.set_title("KPIs relative to the baseline")
    if left_out:
        note = "not drawn (no baseline value to compare with; see the KPI table): " + "; ".join(
            left_out
        )
        figure.text(0.01, 0.005, textwrap.fill(note, 110), fontsize="x-small", va="bottom")
    return figure


def _whole_years(ax: Axes, time: np.ndarray) -> None:
    """Integer tick labels on the time axis when the run spans several time units."""
    if len(time) and time[-1] - time[0] >= 4:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _key(dataset: xr.Dataset, dim: str, member: str) -> object:
    values = dataset[dim].to_numpy()
    return next(v for v in values if str(v) == member)


def _time_label(dataset: xr.Dataset) -> str:
    units = dataset["time"].attrs.get("units", "")
    return f"time [{units}]" if units else "time"
