"""The what-if figure: one panel per output, the baseline dashed, the what-if solid, bands shaded.

Two views (:data:`VIEWS`): ``levels`` draws both runs as they are, the
what-if's band shaded and the baseline's outlined; ``change`` draws the
what-if minus the baseline, with the band of that difference over common
draws, which shows an effect too small to see between two levels.

The figure is built once; :meth:`WhatIfFigure.update` moves its artists to
new data in place (no new axes, no layout engine). Each panel's y range
covers the baseline and the what-ifs at the ends of the sliders' ranges from
the start, grows when a what-if leaves it and is fitted afresh only when the
data fill less than a third of it: the frame mostly stays still while a
slider is dragged, and :meth:`WhatIfFigure.png` redraws only the data
over a saved picture of everything else (axes, ticks, labels, legend), which
costs a fraction of a full draw. Made without :mod:`matplotlib.pyplot`.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from PIL import Image

from simulator.report.explore.levers import Lever, Mark
from simulator.report.explore.session import Curves

__all__ = ["VIEWS", "Panel", "WhatIfFigure", "units_label"]

_WHATIF = "#1f6fb4"
_BASELINE = "#222222"
_BAND_ALPHA = 0.25
_OUTLINE = "#8a8a8a"
_MARK = "#b05a00"
_DIMENSIONLESS = {"", "dmnl", "1", "dimensionless"}

# Layout, in inches: panels of a fixed size, margins for titles, labels and the legend.
_PANEL_W = {1: 7.0, 2: 5.2, 3: 4.3}  # by number of columns
_PANEL_H = 2.7
_LEFT, _RIGHT, _GAP_W = 0.8, 0.3, 0.75
_TITLE_LINE_H, _LEGEND_ROW_H, _BOTTOM, _GAP_H = 0.24, 0.26, 0.55, 0.75
_MIN_FILL = 0.3  # the least share of a y range the data may fill before it is refitted
_LEGEND_EM = 9 / 72  # inches per em of the legend's 9 pt text


def units_label(units: str) -> str:
    """An axis label for ``units`` (Vensim's ``Dmnl`` reads as "dimensionless").

    >>> units_label("Dmnl"), units_label("trillion RMB/Year")
    ('dimensionless', 'trillion RMB/Year')
    """
    return "dimensionless" if units.strip().lower() in _DIMENSIONLESS else units


@dataclass(frozen=True)
class Panel:
    """What one panel shows in a view.

    Attributes
    ----------
    whatif, baseline : ndarray, shape (n_times,)
    band, baseline_band : ndarray, shape (2, n_times), or None
    ylabel, note : str
    """

    whatif: np.ndarray
    baseline: np.ndarray
    band: np.ndarray | None
    baseline_band: np.ndarray | None
    ylabel: str
    note: str


def _levels(curves: Curves, baseline: Curves, name: str, units: str) -> Panel:
    line, base = curves.lines[name], baseline.lines[name]
    return Panel(
        line,
        base,
        None if curves.bands is None else curves.bands[name],
        None if baseline.bands is None else baseline.bands[name],
        units_label(units),
        f"{curves.time[-1]:g}: {line[-1]:.4g} ({_versus(line[-1], base[-1], units)})",
    )


def _change_view(curves: Curves, baseline: Curves, name: str, units: str) -> Panel:
    line, base = curves.lines[name], baseline.lines[name]
    label = units_label(units)
    return Panel(
        line - base,
        np.zeros_like(base),
        None if curves.effect_bands is None else curves.effect_bands[name],
        None,
        f"change ({label})" if label != "dimensionless" else "change",
        f"{curves.time[-1]:g}: {_versus(line[-1], base[-1], units)}",
    )


#: Views by name: ``view(curves, baseline, output, units) -> Panel``.
VIEWS: dict[str, Callable[[Curves, Curves, str, str], Panel]] = {
    "levels": _levels,
    "change": _change_view,
}


def _versus(value: float, base: float, units: str) -> str:
    change = _change(value, base, units)
    return change if change == "no change" else f"{change} vs baseline"


def _change(value: float, base: float, units: str) -> str:
    """An absolute change for dimensionless quantities (indices, shares), else a percent one.

    >>> _change(0.78, 0.77, "Dmnl"), _change(6.6, 6.0, "trillion RMB/Year")
    ('+0.01', '+10.0 %')
    """
    if value == base:
        return "no change"
    if units.strip().lower() in _DIMENSIONLESS or base == 0 or not np.isfinite(base):
        return f"{value - base:+.3g}"
    return f"{100 * (value - base) / abs(base):+.1f} %"


class WhatIfFigure:
    """A figure of outputs over time for a what-if against its baseline.

    Parameters
    ----------
    outputs : sequence of str
    units : mapping of output -> units
    time_units : str
    levers : sequence of Lever
    baseline : Curves
    scenario : str
        The baseline's name, for the legend.
    n_draws : int
        Ensemble size, for the legend (0 without uncertainty).
    band : (float, float)
        The band's percentiles, for the legend.
    extent : sequence of Curves
        What-ifs the y ranges should hold from the start (e.g. the levers at
        the ends of their ranges).
    dpi : float
        Resolution of :meth:`png`.

    Attributes
    ----------
    figure : Figure
    axes : dict of output -> Axes
    whatif_lines, baseline_lines : dict of output -> Line2D
    bands : dict of output -> PolyCollection
        The band on show (what-if, or change), after an :meth:`update` with one.
    """

    def __init__(
        self,
        outputs: Sequence[str],
        units: Mapping[str, str],
        time_units: str,
        levers: Sequence[Lever],
        baseline: Curves,
        *,
        scenario: str,
        n_draws: int = 0,
        band: tuple[float, float] = (5.0, 95.0),
        extent: Sequence[Curves] = (),
        dpi: float = 80,
    ) -> None:
        self.levers = tuple(levers)
        self.baseline = baseline
        self.units = dict(units)
        n = len(outputs)
        ncols = 1 if n == 1 else 2 if n in (2, 4) else 3
        nrows = math.ceil(n / ncols)
        panel_w = _PANEL_W[ncols]
        width = _LEFT + ncols * panel_w + (ncols - 1) * _GAP_W + _RIGHT
        handles = self._handles(scenario, n_draws, band)
        per_row = _legend_columns(handles, width - _LEFT)
        legend_rows = math.ceil(len(handles) / per_row)
        top = 0.12 + 2 * _TITLE_LINE_H + legend_rows * _LEGEND_ROW_H + 0.5  # + panel titles
        height = top + nrows * _PANEL_H + (nrows - 1) * _GAP_H + _BOTTOM
        self.figure = Figure(figsize=(width, height), dpi=dpi)
        self._canvas = FigureCanvasAgg(self.figure)
        self._background: Any = None
        self._drawn_key: tuple[object, ...] = ()
        self.figure.subplots_adjust(
            left=_LEFT / width,
            right=1 - _RIGHT / width,
            top=1 - top / height,
            bottom=_BOTTOM / height,
            wspace=_GAP_W / panel_w,
            hspace=_GAP_H / _PANEL_H,
        )
        grid = self.figure.subplots(nrows, ncols, squeeze=False)
        for ax in grid.flat[n:]:
            ax.set_visible(False)
        self.axes: dict[str, Axes] = {}
        self.whatif_lines: dict[str, Line2D] = {}
        self.baseline_lines: dict[str, Line2D] = {}
        self.bands: dict[str, PolyCollection] = {}
        self._outlines: dict[str, list[Line2D]] = {}
        self._notes: dict[str, Text] = {}
        self._marks: list[Line2D] = []
        t = baseline.time
        for k, (name, ax) in enumerate(zip(outputs, grid.flat, strict=False)):
            self.axes[name] = ax
            self._outlines[name] = [
                ax.plot(t, t * np.nan, color=_OUTLINE, linestyle=":", linewidth=1.1)[0]
                for _ in range(2)
            ]
            (self.baseline_lines[name],) = ax.plot(
                t, baseline.lines[name], color=_BASELINE, linestyle="--", linewidth=1.6, zorder=3
            )
            (self.whatif_lines[name],) = ax.plot(
                t, baseline.lines[name], color=_WHATIF, linewidth=2.2, zorder=2
            )
            ax.set_title("\n".join(textwrap.wrap(name, 44)), fontsize=10.5, loc="left")
            if k >= n - ncols:
                ax.set_xlabel(time_units or "time", fontsize=9)
            ax.set_xlim(t[0], t[-1])
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.grid(alpha=0.3, linewidth=0.6)
            ax.tick_params(labelsize=8.5)
            self._notes[name] = ax.text(
                0.02,
                0.96,
                "",
                transform=ax.transAxes,
                fontsize=8.5,
                va="top",
                ha="left",
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"},
                zorder=5,
            )
        # an artist of the first panel placed in figure coordinates: savefig draws an axes'
        # animated artists, not the figure's own
        self._title = next(iter(self.axes.values())).text(
            _LEFT / width,
            1 - 0.12 / height,
            "",
            ha="left",
            va="top",
            fontsize=12,
            transform=self.figure.transFigure,
            clip_on=False,
        )
        self._wrap = int((width - _LEFT) * 11)  # characters of 12 pt text per line
        self._legend = self.figure.legend(
            handles=handles,
            loc="upper left",
            ncols=per_row,
            frameon=False,
            fontsize=9,
            bbox_to_anchor=(_LEFT / width - 0.01, 1 - (0.17 + 2 * _TITLE_LINE_H) / height),
            handlelength=2.2,
            columnspacing=1.4,
            borderaxespad=0.0,
        )
        self._animated = [
            self._title,
            *self.whatif_lines.values(),
            *self.baseline_lines.values(),
            *(line for pair in self._outlines.values() for line in pair),
            *self._notes.values(),
        ]
        for artist in self._animated:
            artist.set_animated(True)
        # y ranges per view, holding the baseline and the ``extent`` what-ifs from the start
        self._limits: dict[str, dict[str, tuple[float, float]]] = {view: {} for view in VIEWS}
        for view, panel_of in VIEWS.items():
            for name in self.axes:
                values = [
                    _panel_values(panel_of(c, baseline, name, self.units[name]))
                    for c in (baseline, *extent)
                ]
                self._limits[view][name] = _padded(np.concatenate(values))

    def _handles(self, scenario: str, n_draws: int, band: tuple[float, float]) -> list[Artist]:
        base = "baseline" if scenario.lower() == "baseline" else f"baseline: {scenario}"
        handles: list[Artist] = [
            Line2D([], [], color=_WHATIF, linewidth=2.2, label="what-if"),
            Line2D([], [], color=_BASELINE, linestyle="--", linewidth=1.6, label=base),
        ]
        if n_draws:
            span = f"{band[0]:g}-{band[1]:g} %"
            handles.append(
                Patch(color=_WHATIF, alpha=_BAND_ALPHA, label=f"{span} of {n_draws} draws")
            )
            handles.append(Line2D([], [], color=_OUTLINE, linestyle=":", label=f"baseline {span}"))
        handles.append(
            Line2D([], [], color=_MARK, linestyle=":", linewidth=1.4, label="levers start acting")
        )
        return handles

    def update(self, curves: Curves, marks: Sequence[Mark] = (), view: str = "levels") -> None:
        """Show the what-if ``curves`` in ``view``, with ``marks`` at the levers' start times."""
        panel_of = VIEWS[view]
        self._title.set_text("\n".join(textwrap.wrap(self._headline(curves), self._wrap)[:2]))
        for artist in self._marks:
            artist.remove()
        self._marks = []
        for name, ax in self.axes.items():
            panel = panel_of(curves, self.baseline, name, self.units[name])
            self.whatif_lines[name].set_ydata(panel.whatif)
            self.baseline_lines[name].set_ydata(panel.baseline)
            extent = [panel.whatif, panel.baseline]
            if name in self.bands:
                self.bands[name].remove()
                del self.bands[name]
            if panel.band is not None:
                self.bands[name] = ax.fill_between(
                    curves.time,
                    *panel.band,
                    color=_WHATIF,
                    alpha=_BAND_ALPHA,
                    linewidth=0,
                    animated=True,
                )
                extent += list(panel.band)
            for outline, values in zip(
                self._outlines[name],
                panel.baseline_band if panel.baseline_band is not None else [None, None],
                strict=True,
            ):
                outline.set_ydata(curves.time * np.nan if values is None else values)
                if values is not None:
                    extent.append(values)
            ax.set_ylabel(panel.ylabel, fontsize=9)
            limits = _refit(self._limits[view][name], np.concatenate(extent))
            self._limits[view][name] = limits
            ax.set_ylim(*limits)
            self._notes[name].set_text(panel.note)
            self._marks += [
                ax.axvline(
                    m.time, color=_MARK, linestyle=":", linewidth=1.4, zorder=1, animated=True
                )
                for m in marks
            ]
        years = ", ".join(f"{m.time:g}" for m in marks)
        self._legend.get_texts()[-1].set_text(
            f"levers start acting ({years})" if years else "levers act from the start"
        )

    def _headline(self, curves: Curves) -> str:
        changed = [
            f"{lever.label(level)} (baseline {lever.value:.4g})"
            for lever, level in zip(self.levers, curves.levels, strict=True)
            if level != lever.value
        ]
        if not changed:
            return "What-if: every lever as in the baseline (move a slider)"
        others = len(self.levers) - len(changed)
        rest = {0: "", 1: "; the other lever as in the baseline"}.get(
            others, f"; the other {others} as in the baseline"
        )
        return "What-if: " + "; ".join(changed) + rest

    def png(self) -> bytes:
        """The figure as PNG bytes: the data drawn over the saved picture of the rest.

        The rest (axes, ticks, labels, legend) is drawn again only when it
        changed: a y range grew, the view or the marks' years changed.
        """
        key = (
            *(ax.get_ylim() for ax in self.axes.values()),
            *(ax.get_ylabel() for ax in self.axes.values()),
            self._legend.get_texts()[-1].get_text(),
        )
        if key != self._drawn_key or self._background is None:
            self._canvas.draw()  # everything but the animated artists
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
            self._drawn_key = key
        else:
            self._canvas.restore_region(self._background)
        for artist in [*self._marks, *self.bands.values(), *self._animated]:
            self.figure.draw_artist(artist)
        width, height = self._canvas.get_width_height()
        picture = Image.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba())
        buffer = io.BytesIO()
        picture.save(buffer, format="png", compress_level=3)
        return buffer.getvalue()


def _legend_columns(handles: Sequence[Artist], available: float) -> int:
    """How many legend entries fit side by side in ``available`` inches (all, if they do)."""
    # an entry: its handle (2.2 em), a gap (0.8 em), its text (about 0.55 em a character), spacing
    widths = sorted(
        ((3.0 + 0.55 * len(str(h.get_label())) + 1.4) * _LEGEND_EM for h in handles), reverse=True
    )
    fit = 1
    while fit < len(widths) and sum(widths[: fit + 1]) <= available:
        fit += 1
    return fit


def _panel_values(panel: Panel) -> np.ndarray:
    parts = [panel.whatif, panel.baseline]
    for band in (panel.band, panel.baseline_band):
        if band is not None:
            parts += list(band)
    return np.concatenate(parts)


def _padded(values: np.ndarray) -> tuple[float, float]:
    """A y range for ``values``, with headroom at the top for the panel's note."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return (0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    span = high - low if high > low else max(abs(high), 1e-9) * 0.1
    return (low - 0.06 * span, high + 0.2 * span)


def _refit(limits: tuple[float, float], values: np.ndarray) -> tuple[float, float]:
    """``limits`` kept while they hold ``values`` and these fill a good part of them.

    Grown when a what-if leaves them; fitted afresh when the data fill less
    than :data:`_MIN_FILL` of them (a line flat along the bottom reads badly).
    """
    finite = values[np.isfinite(values)]
    if finite.size and (finite.max() - finite.min()) < _MIN_FILL * (limits[1] - limits[0]):
        return _padded(finite)
    return _grown(limits, values)


def _grown(limits: tuple[float, float], values: np.ndarray) -> tuple[float, float]:
    """``limits``, grown to hold ``values`` (with margins) if they leave it; else unchanged."""
    finite = values[np.isfinite(values)]
    if not finite.size or (limits[0] <= finite.min() and finite.max() <= limits[1]):
        return limits
    low, high = _padded(np.concatenate([finite, limits]))
    return (
        limits[0] if finite.min() >= limits[0] else low,
        limits[1] if finite.max() <= limits[1] else high,
    )
