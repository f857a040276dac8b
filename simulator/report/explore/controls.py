"""The widget half of a live what-if: sliders, a reset button and the figure as an image.

This is the only module that imports :mod:`ipywidgets`. The figure is shown
as an ``ipywidgets.Image`` whose PNG is replaced after each run. In
``benchmarks/explore.py`` a full redraw costs about as much this way as in
an ``ipympl`` canvas and less than in an ``Output`` widget, and this way
the figure can redraw only its data (see :meth:`WhatIfFigure.png`); it needs
no front-end extension beyond ipywidgets; and the explorer's own display
carries a PNG of the figure, so a notebook rendered without a kernel
(nbconvert, GitHub, JupyterLab before the kernel runs) still shows it.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from simulator.report.explore.debounce import Debouncer
from simulator.report.explore.figure import WhatIfFigure
from simulator.report.explore.session import Curves, WhatIf

__all__ = ["Explorer"]

_LABEL_WIDTH = "260px"


class Explorer:
    """A live what-if: move a slider and the figure reruns and redraws.

    Make one with :func:`simulator.explore`; show it by leaving it last in a
    cell (or ``display(explorer)``).

    Parameters
    ----------
    session : WhatIf
    delay : float
        Debounce delay in seconds (see :class:`~simulator.report.explore.debounce.Debouncer`).
    dpi : float
        Resolution of the figure's image.

    Attributes
    ----------
    session : WhatIf
        The runs: levers, outputs, draws, baseline.
    figure : WhatIfFigure
        Its ``whatif_lines`` and ``bands`` hold the data on show.
    sliders : dict of lever name -> ipywidgets.FloatSlider
    image : ipywidgets.Image
    widget : ipywidgets.VBox
        Everything, for embedding in a larger layout.
    curves : Curves
        The what-if on show.
    timings : list of float
        Seconds from a slider change to new figure data, one per update.
    """

    def __init__(self, session: WhatIf, *, delay: float = 0.1, dpi: float = 80) -> None:
        self.session = session
        self.dpi = dpi
        self.timings: list[float] = []
        self.figure = WhatIfFigure(
            session.outputs,
            session.units,
            session.time_units,
            session.levers,
            session.baseline,
            scenario=session.scenario.name,
            n_draws=0 if session.draws is None else len(session.draws),
            band=session.band,
            extent=[session.curves(levels) for levels in session.corners],
            dpi=dpi,
        )
        self.sliders = {lever.name: self._slider(lever) for lever in session.levers}
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML()
        reset = widgets.Button(
            description="Back to the baseline", icon="undo", layout=widgets.Layout(width="auto")
        )
        reset.on_click(lambda _: self.reset())
        self.view = widgets.ToggleButtons(
            options=[("levels", "levels"), ("change from baseline", "change")],
            value="levels",
            tooltips=["both runs as they are", "what-if minus baseline"],
            style={"button_width": "auto"},
        )
        self.view.observe(lambda _: self._redraw(), names="value")
        self._debouncer = Debouncer(self._refresh, delay)
        for slider in self.sliders.values():
            slider.observe(lambda _: self._changed(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HTML(f"<b>Levers</b> of <i>{session.scenario.name}</i>"),
                *self.sliders.values(),
                widgets.HBox([reset, self.view, self.status]),
                self.image,
            ]
        )
        self.curves: Curves = session.baseline
        self._refresh()

    def _slider(self, lever: Any) -> widgets.FloatSlider:
        units = "" if lever.units.lower() in ("", "dmnl", "1") else f" [{lever.units}]"
        return widgets.FloatSlider(
            value=lever.value,
            min=lever.low,
            max=lever.high,
            step=lever.step,
            description=f"{lever.name}{units}",
            tooltip=lever.documentation or lever.name,
            readout_format=f".{max(0, -math.floor(math.log10(lever.step)))}f",
            continuous_update=True,
            style={"description_width": _LABEL_WIDTH},
            layout=widgets.Layout(width="640px"),
        )

    @property
    def levels(self) -> dict[str, float]:
        """The sliders' current levels."""
        return {name: float(slider.value) for name, slider in self.sliders.items()}

    def set(self, levels: Mapping[str, float]) -> None:
        """Move several sliders at once (one run)."""
        with self._held():
            for name, value in levels.items():
                self.sliders[self.session.model[name].name].value = value
        self._changed()

    def reset(self) -> None:
        """Every slider back to the scenario's level."""
        self.set(self.session.initial)

    def _held(self) -> _Hold:
        return _Hold(self)

    _holding = False
    _started = 0.0

    def _changed(self) -> None:
        if self._holding:
            return
        self._started = time.perf_counter()
        self._debouncer.trigger()

    def _refresh(self) -> None:
        started = self._started or time.perf_counter()
        self.curves = self.session.curves(self.levels)
        self._redraw(started)

    def _redraw(self, started: float | None = None) -> None:
        started = started or time.perf_counter()
        self.figure.update(self.curves, self.session.marks(self.levels), self.view.value)
        self.timings.append(time.perf_counter() - started)
        self._started = 0.0
        self.image.value = self.figure.png()
        shown = time.perf_counter() - started
        n = 1 if self.session.draws is None else 1 + len(self.session.draws)
        self.status.value = (
            f"<span style='color:#555'>{n} run{'s' if n > 1 else ''} "
            f"and redraw: {1000 * shown:.0f} ms</span>"
        )

    def snapshot(self) -> Any:
        """The figure on show as a still picture (an ``IPython.display.Image``), which stays as
        it is when the sliders move on: for static renders and for keeping a what-if."""
        from IPython.display import Image

        return Image(data=self.image.value, format="png")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        levels = ", ".join(f"{k} = {v:g}" for k, v in self.levels.items())
        return f"<Explorer of {self.session.scenario.name!r}: {levels}>"


class _Hold:
    """Within ``with``, slider changes do not run (several sliders move as one)."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer

    def __enter__(self) -> None:
        self.explorer._holding = True

    def __exit__(self, *_: object) -> None:
        self.explorer._holding = False
