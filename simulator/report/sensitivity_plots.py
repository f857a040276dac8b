"""Figures for sweeps. Every function takes one output's Dataset and returns a Figure.

The Dataset is ``result[key]`` from :func:`simulator.run_sweep` (see
:class:`simulator.SweepResult`): ``value`` with dims ``(scenario, run[, time])``
and, for index methods, each index with dims ``(scenario[, time], factor)``
and its confidence half-width ``<index>_conf``. Figures are made without
:mod:`matplotlib.pyplot`, so no global state is touched and any backend works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not with the package
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_fan",
    "plot_indices",
    "plot_indices_over_time",
    "plot_morris",
    "plot_policy_effect",
]

_BANDS = (5.0, 25.0, 50.0, 75.0, 95.0)


def _scenario(ds: xr.Dataset, scenario: str | None) -> xr.Dataset:
    """One scenario (default: the first, the base)."""
    if scenario is None:
        return ds.isel(scenario=0)
    labels = [str(s) for s in ds["scenario"].values]
    if scenario not in labels:
        raise ValueError(f"no scenario '{scenario}'; the dataset has {', '.join(labels)}")
    return ds.sel(scenario=scenario)


def _at_time(ds: xr.Dataset, time: float | None) -> tuple[xr.Dataset, str]:
    """The dataset at ``time`` (default: the last saved), and a label for it."""
    if "time" not in ds.dims:
        return ds, ""
    picked = ds.isel(time=-1) if time is None else ds.sel(time=time, method="nearest")
    return picked, f" at {float(picked['time']):g}"


def _title(ds: xr.Dataset) -> str:
    units = ds.attrs.get("units", "")
    name = ds.attrs.get("output", "output")
    return f"{name} [{units}]" if units else name


def _new(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    if ax is not None:
        figure = ax.get_figure()
        assert isinstance(figure, Figure)
        return figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def plot_indices(
    ds: xr.Dataset,
    indices: Sequence[str] | None = None,
    *,
    scenario: str | None = None,
    time: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Bar chart of sensitivity indices per factor, with confidence intervals.

    Parameters
    ----------
    ds : xarray.Dataset
        One output of a sweep with an index method.
    indices : sequence of str, optional
        Default: the method's headline indices (``S1`` and ``ST`` for Sobol').
    scenario : str, optional
        Default: the base scenario. Effects are named ``"<policy> - <base>"``.
    time : float, optional
        For outputs over time; default the last saved time.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure

    Examples
    --------
    >>> ds = xr.Dataset({"S1": (("scenario", "factor"), [[0.6, 0.3]]),
    ...                  "S1_conf": (("scenario", "factor"), [[0.05, 0.04]])},
    ...                 coords={"scenario": ["base"], "factor": ["a", "b"]})
    >>> figure = plot_indices(ds, ["S1"])
    >>> [round(float(p.get_height()), 2) for p in figure.axes[0].patches]
    [0.6, 0.3]
    """
    names = list(indices or ds.attrs.get("headline_indices", "S1 ST").split())
    missing = [n for n in names if n not in ds]
    if missing:
        raise ValueError(f"the dataset has no index {', '.join(missing)}")
    picked, when = _at_time(_scenario(ds, scenario), time)
    factors = [str(f) for f in picked["factor"].values]
    figure, ax = _new(ax, (max(5.0, 0.7 * len(factors) + 2), 4.0))
    x = np.arange(len(factors))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        conf = picked[f"{name}_conf"].values if f"{name}_conf" in picked else None
        offset = (k - (len(names) - 1) / 2) * width
        ax.bar(x + offset, picked[name].values, width, yerr=conf, capsize=3, label=name)
    ax.set_xticks(x, factors, rotation=30, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("index")
    ax.set_title(f"{_title(ds)}{when} ({ds.attrs.get('method', 'sensitivity')})")
    ax.legend()
    return figure


def plot_indices_over_time(
    ds: xr.Dataset,
    index: str = "ST",
    *,
    scenario: str | None = None,
    factors: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """An index over time, one line per factor, its confidence interval shaded.

    Parameters
    ----------
    ds : xarray.Dataset
        One output with a ``time`` dimension (``at: all`` or several years).
    index : str
    scenario : str, optional
    factors : sequence of str, optional
        Default: every factor.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
    """
    if "time" not in ds.dims:
        raise ValueError("this output has no time dimension; give it 'at: all' or several years")
    picked = _scenario(ds, scenario)
    figure, ax = _new(ax)
    times = picked["time"].values
    for factor in factors or [str(f) for f in picked["factor"].values]:
        values = picked[index].sel(factor=factor).values
        (line,) = ax.plot(times, values, label=factor)
        if f"{index}_conf" in picked:
            conf = picked[f"{index}_conf"].sel(factor=factor).values
            ax.fill_between(times, values - conf, values + conf, alpha=0.15, color=line.get_color())
    ax.set_xlabel("time")
    ax.set_ylabel(index)
    ax.set_title(f"{_title(ds)}: {index} over time")
    ax.legend(fontsize="small")
    return figure


def plot_morris(
    ds: xr.Dataset,
    *,
    scenario: str | None = None,
    time: float | None = None,
    label_top: int = 10,
    ax: Axes | None = None,
) -> Figure:
    """Morris screening: mu* against sigma, one point per factor, the largest mu* labelled.

    Lines sigma/mu* = 0.1, 0.5 and 1 separate almost linear, monotonic, almost
    monotonic and non-linear or interacting factors (Garcia Sanchez et al. 2014,
    doi:10.1016/j.enbuild.2014.01.049).

    Parameters
    ----------
    ds : xarray.Dataset
        One output of a Morris sweep.
    scenario : str, optional
    time : float, optional
        Default: the last saved time.
    label_top : int
        How many factors to label, largest mu* first.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
    """
    if "mu_star" not in ds:
        raise ValueError("plot_morris needs a Morris sweep (mu_star, sigma)")
    picked, when = _at_time(_scenario(ds, scenario), time)
    mu_star, sigma = picked["mu_star"].values, picked["sigma"].values
    conf = picked["mu_star_conf"].values if "mu_star_conf" in picked else None
    figure, ax = _new(ax, (6.0, 5.0))
    ax.errorbar(mu_star, sigma, xerr=conf, fmt="o", capsize=3)
    ranked = np.argsort(-np.nan_to_num(mu_star, nan=-np.inf))[:label_top]
    for k in sorted(ranked):
        factor, x, y = picked["factor"].values[k], mu_star[k], sigma[k]
        ax.annotate(str(factor), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    top = float(np.nanmax(mu_star)) * 1.1 if np.any(np.isfinite(mu_star)) else 1.0
    grid = np.array([0.0, top])
    for ratio in (0.1, 0.5, 1.0):
        ax.plot(grid, ratio * grid, color="grey", linestyle=":", linewidth=0.8)
        ax.annotate(f"sigma/mu* = {ratio:g}", (top, ratio * top), fontsize=7, color="grey")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (spread of elementary effects)")
    ax.set_title(f"{_title(ds)}{when}: Morris screening")
    return figure


def _quantiles(ds: xr.Dataset, percentiles: Sequence[float]) -> xr.DataArray:
    """Quantiles over runs, dims ``(scenario[, time], percentile)``."""
    if "quantile" in ds and set(percentiles) <= {float(p) for p in ds["percentile"].values}:
        return ds["quantile"].sel(percentile=list(percentiles))
    q = ds["value"].quantile(np.asarray(percentiles) / 100, dim="run")
    q = q.assign_coords(quantile=list(percentiles)).rename(quantile="percentile")
    return q.transpose("scenario", ..., "percentile")


def _band_pairs(percentiles: Sequence[float]) -> list[tuple[float, float]]:
    chosen = set(percentiles)
    return [(p, 100 - p) for p in sorted(chosen) if p < 50 and 100 - p in chosen]


def _fan(
    ax: Axes, q: xr.DataArray, label: str, color: str | None, percentiles: list[float]
) -> None:
    times = q["time"].values
    pairs = _band_pairs(percentiles)
    line = None
    if 50.0 in percentiles:
        (line,) = ax.plot(
            times, q.sel(percentile=50.0).values, color=color, label=f"{label} median"
        )
    fill = str(line.get_color()) if line is not None else color
    for k, (low, high) in enumerate(pairs):
        ax.fill_between(
            times,
            q.sel(percentile=low).values,
            q.sel(percentile=high).values,
            color=fill,
            alpha=0.15 + 0.15 * k,
            linewidth=0,
            label=f"{label} {low:g}-{high:g}%",
        )


def _intervals(ax: Axes, q: xr.DataArray, labels: Sequence[str], percentiles: list[float]) -> None:
    """Interval bars for outputs without time (KPIs): one row per scenario."""
    pairs = _band_pairs(percentiles)
    for row, label in enumerate(labels):
        values = q.sel(scenario=label)
        for k, (low, high) in enumerate(pairs):
            lo, hi = float(values.sel(percentile=low)), float(values.sel(percentile=high))
            ax.plot([lo, hi], [row, row], linewidth=3 + 4 * k, color=f"C{row}", alpha=0.5)
        if 50.0 in percentiles:
            ax.plot(float(values.sel(percentile=50.0)), row, "k|", markersize=14)
    ax.set_yticks(range(len(labels)), labels)


def plot_fan(
    ds: xr.Dataset,
    *,
    scenarios: Sequence[str] | None = None,
    percentiles: Sequence[float] = _BANDS,
    ax: Axes | None = None,
) -> Figure:
    """Fan chart: percentile bands of the output over runs, per scenario.

    Parameters
    ----------
    ds : xarray.Dataset
        One output of any sweep (Monte Carlo and Latin hypercube sweeps
        store their bands; others are computed from ``value``).
    scenarios : sequence of str, optional
        Default: every scenario that is not an effect.
    percentiles : sequence of float
        Bands pair ``p`` with ``100 - p``; 50 draws the median.
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ds = xr.Dataset({"value": (("scenario", "run", "time"), rng.random((1, 50, 3)))},
    ...                 coords={"scenario": ["base"], "effect": ("scenario", [False]),
    ...                         "time": [0.0, 1.0, 2.0]})
    >>> len(plot_fan(ds).axes[0].collections)  # two bands: 5-95 and 25-75
    2
    """
    percentiles = [float(p) for p in percentiles]
    effect = ds["effect"].values if "effect" in ds.coords else np.zeros(ds.sizes["scenario"], bool)
    labels = list(
        scenarios or [str(s) for s, e in zip(ds["scenario"].values, effect, strict=True) if not e]
    )
    q = _quantiles(ds.sel(scenario=labels), percentiles)
    figure, ax = _new(ax)
    if "time" in q.dims:
        for k, label in enumerate(labels):
            _fan(ax, q.sel(scenario=label), label, f"C{k}", percentiles)
        ax.set_xlabel("time")
        ax.set_ylabel(_title(ds))
        ax.legend(fontsize="small")
    else:
        _intervals(ax, q, labels, percentiles)
        ax.set_xlabel(_title(ds))
    ax.set_title(f"{_title(ds)}: uncertainty ({len(ds['run'])} runs)")
    return figure


def plot_policy_effect(
    ds: xr.Dataset,
    policy: str | None = None,
    *,
    percentiles: Sequence[float] = _BANDS,
    ax: Axes | None = None,
) -> Figure:
    """The effect of a policy under uncertainty: bands of policy minus baseline.

    Both scenarios ran on the same samples, so each run's difference isolates
    the policy; its bands show how sure the effect is.

    Parameters
    ----------
    ds : xarray.Dataset
        One output of a sweep with ``compare`` scenarios.
    policy : str, optional
        The policy scenario's name; default every effect in the dataset.
    percentiles : sequence of float
    ax : matplotlib Axes, optional

    Returns
    -------
    Figure
    """
    if "effect" not in ds.coords or not bool(ds["effect"].values.any()):
        raise ValueError("this sweep has no policy effects; add 'compare:' scenarios to it")
    effects = [str(s) for s, e in zip(ds["scenario"].values, ds["effect"].values, strict=True) if e]
    if policy is not None:
        effects = [e for e in effects if e.split(" - ")[0] == policy]
        if not effects:
            raise ValueError(f"no effect of policy '{policy}' in this dataset")
    figure = plot_fan(ds, scenarios=effects, percentiles=percentiles, ax=ax)
    ax = figure.axes[0] if ax is None else ax
    if "time" in ds.dims:
        ax.axhline(0, color="black", linewidth=0.8)
    else:
        ax.axvline(0, color="black", linewidth=0.8)
    ax.set_title(f"{_title(ds)}: policy effect under uncertainty")
    return figure
