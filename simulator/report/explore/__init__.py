"""A live what-if in Jupyter: sliders for levers, figures of outputs against the baseline.

::

    import simulator
    baseline = simulator.load_scenario("scenarios/baseline.yaml")
    simulator.explore(baseline, levers=["a constant", "another"], outputs=["a variable"])

The package has four parts, each usable alone: :mod:`.levers` (which
constants move, over which ranges, and what equation a level gives),
:mod:`.draws` (the fixed ensemble of uncertain parameters), :mod:`.session`
(the runs, through :func:`simulator.simulate` only), :mod:`.figure` (the
matplotlib figure, updated in place) and :mod:`.controls` (the ipywidgets,
the only module that needs the ``notebooks`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.errors import MissingExtraError
from simulator.report.explore.draws import DEFAULT_DRAWS, Uncertainty, make_draws
from simulator.report.explore.levers import Lever, Levers, LeverSpec, Mark, resolve_levers
from simulator.report.explore.session import DEFAULT_BAND, DEFAULT_SEED, Curves, WhatIf
from simulator.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from simulator.report.explore.controls import Explorer

__all__ = [
    "DEFAULT_DRAWS",
    "Curves",
    "Lever",
    "LeverSpec",
    "Levers",
    "Mark",
    "WhatIf",
    "explore",
    "make_draws",
    "resolve_levers",
]


def explore(
    scenario: Scenario | str | Path,
    levers: Levers = None,
    outputs: Sequence[str] | None = None,
    uncertainty: Uncertainty | None = None,
    *,
    draws: int | None = None,
    seed: int = DEFAULT_SEED,
    band: tuple[float, float] = DEFAULT_BAND,
    engine: str | None = None,
    start: float | None = None,
    delay: float = 0.1,
    dpi: float = 80,
) -> Explorer:
    """Sliders for a scenario's levers, and its outputs redrawn against the baseline at each move.

    Parameters
    ----------
    scenario : Scenario or path
        The baseline: the scenario as loaded (:func:`simulator.load_scenario`).
    levers : sequence or mapping, optional
        Constants of the model to slide: names, :class:`Lever` objects, or
        a mapping of name to ``None`` (automatic range), ``(low, high)`` or
        ``(low, high, step)``. Automatic ranges come from the element's
        limits in the model file, else from its value and the scenario's
        interventions. By default, the constants the scenario intervenes on.
        A lever the scenario intervenes on keeps the interventions' timing;
        its slider sets the level they reach. Any other lever takes its level
        for the whole run, or from ``start`` on.
    outputs : sequence of str, optional
        Variables to plot, one panel each; by default the scenario's outputs.
    uncertainty : mapping, DataFrame or Sweep, optional
        Uncertain parameters, drawn once (``draws`` of them, from ``seed``)
        and rerun at every move: a band of percentiles ``band`` is shaded
        around the what-if and outlined around the baseline. A mapping of
        parameter to distribution (``(low, high)``, a sweep-style mapping
        such as ``{"dist": "norm", "mean": 1.5, "sd": 0.2}``, a
        :class:`~simulator.analysis.sensitivity.Factor`, a frozen
        :mod:`scipy.stats` distribution, or an array of samples), a
        DataFrame of joint samples, or a :class:`~simulator.Sweep`.
    draws : int, optional
        Ensemble size (default 500, or the rows of a smaller DataFrame).
    seed : int
        Seed of the draws: the same seed gives the same band.
    band : (float, float)
        Percentiles of the band.
    engine : str, optional
        :func:`simulator.simulate`'s engine; its default when None.
    start : float, optional
        The time from which levers the scenario does not intervene on take
        the slider's level (a step, marked on the figure); by default they
        take it for the whole run.
    delay : float
        Seconds a drag must rest before the trailing rerun.
    dpi : float
        Resolution of the figure.

    Returns
    -------
    Explorer
        Shows itself when it is a cell's last value. ``explorer.sliders``
        holds the sliders, ``explorer.figure`` the figure and its data,
        ``explorer.session`` the runs.

    Raises
    ------
    MissingExtraError
        ipywidgets is not installed (the ``notebooks`` extra).
    ExploreError
        A lever, output or uncertain parameter that cannot be used, named.
    ScenarioError, UnknownNameError
        From loading the scenario, and names not in the model.

    Examples
    --------
    >>> import simulator
    >>> explorer = simulator.explore("tests/bad_scenarios/_valid.yaml")  # teacup, a warmer room
    >>> list(explorer.sliders), explorer.sliders["Room Temperature"].value
    (['Room Temperature'], 75.0)
    >>> explorer.sliders["Room Temperature"].value = 90  # as the front end sets it
    >>> explorer.curves.levels
    (90.0,)
    """
    try:
        from simulator.report.explore.controls import Explorer
    except ImportError as error:
        if error.name is None or not error.name.startswith("ipywidgets"):
            raise
        raise MissingExtraError("simulator.explore", "ipywidgets", "notebooks") from None
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    session = WhatIf(
        scenario,
        levers,
        outputs,
        uncertainty=uncertainty,
        draws=draws,
        seed=seed,
        band=band,
        engine=engine,
        start=start,
    )
    return Explorer(session, delay=delay, dpi=dpi)
