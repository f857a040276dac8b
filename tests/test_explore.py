"""The live what-if: a slider's change reruns through ``simulate`` and the figure shows that run.

Widgets are created without a browser (ipywidgets works without a front end);
a test sets a slider's ``value`` as the front end would, and reads the
figure's artists.
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.errors import ExploreError, MissingExtraError, UnknownNameError
from simulator.report.explore import WhatIf, make_draws, resolve_levers
from simulator.report.explore.debounce import Debouncer
from simulator.scenario import Ramp

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def baseline() -> simulator.Scenario:
    return simulator.load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="module")
def tax() -> simulator.Scenario:
    return simulator.load_scenario(SCENARIOS / "tax_incentives.yaml")


@pytest.fixture(scope="module")
def lever(tax: simulator.Scenario) -> str:
    """A policy lever of the flagship, read from the scenario that moves it."""
    return tax.interventions[0].variable


@pytest.fixture(scope="module")
def uncertain() -> dict[str, tuple[float, float]]:
    """Two uncertain parameters of the flagship, from its Monte Carlo sweep file."""
    sweep = simulator.load_sweep(SCENARIOS / "sweeps" / "cbec_monte_carlo.yaml")
    chosen = [p for p in sweep.parameters if p.bounds is not None][:2]
    return {p.name: (p.bounds[0], p.bounds[1]) for p in chosen if p.bounds is not None}


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)), dtype=float)


def _band(bands: dict[str, np.ndarray] | None, name: str) -> np.ndarray:
    assert bands is not None
    return bands[name]


def _reference(scenario: simulator.Scenario, params: dict, outputs: list[str]) -> dict:
    """``simulate`` for the scenario with ``params`` added: output -> (n_runs, n_times)."""
    model = scenario.load_model()
    kwargs = scenario.simulate_kwargs(model)
    kwargs["params"] = {**kwargs["params"], **params}
    kwargs["outputs"] = outputs
    ds = simulator.simulate(model, **kwargs)
    return {name: ds[name].to_numpy() for name in outputs}


# -- the widget, end to end --------------------------------------------------------------------


def test_a_slider_move_shows_what_simulate_gives(baseline: simulator.Scenario, lever: str) -> None:
    outputs = ["CBEC total trade", "coupling coordination degree D"]
    explorer = simulator.explore(baseline, levers=[lever], outputs=outputs)
    line = explorer.figure.whatif_lines["coupling coordination degree D"]
    before = np.array(line.get_ydata(), dtype=float)
    png_before = explorer.image.value
    frame = {name: ax.get_ylim() for name, ax in explorer.figure.axes.items()}

    explorer.sliders[lever].value = 0.25  # what the front end does when the slider is moved

    expected = _reference(baseline, {lever: 0.25}, outputs)
    for name in outputs:
        shown = np.asarray(explorer.figure.whatif_lines[name].get_ydata(), dtype=float)
        np.testing.assert_allclose(shown, expected[name][0], rtol=1e-12)
        base = np.asarray(explorer.figure.baseline_lines[name].get_ydata(), dtype=float)
        np.testing.assert_allclose(base, _reference(baseline, {}, outputs)[name][0], rtol=1e-12)
    after = np.asarray(line.get_ydata(), dtype=float)
    assert after[-1] > before[-1]  # the tax incentive raises coordination by 2035
    assert explorer.image.value != png_before  # the picture on show was redrawn
    # ... and only its data was redrawn, over the saved rest: the same picture as a full draw
    blitted = _pixels(explorer.image.value)
    buffer = io.BytesIO()
    explorer.figure.figure.savefig(buffer, format="png", dpi=explorer.figure.figure.dpi)
    full = _pixels(buffer.getvalue())
    assert blitted.shape == full.shape
    assert np.abs(blitted - full).mean() < 0.05  # of 255: antialiasing at most
    assert "= 0.25" in explorer.figure._title.get_text()
    # the axes were sized for the slider's whole range at the start: they stay still
    assert {name: ax.get_ylim() for name, ax in explorer.figure.axes.items()} == frame
    assert explorer.curves.levels == (0.25,)


def test_the_band_is_the_percentiles_of_simulate_over_the_same_draws(
    baseline: simulator.Scenario, lever: str, uncertain: dict[str, tuple[float, float]]
) -> None:
    output = "CBEC total trade"
    explorer = simulator.explore(
        baseline, levers=[lever], outputs=[output], uncertainty=uncertain, draws=40, seed=7
    )
    draws = explorer.session.draws
    assert draws is not None and draws.shape == (40, 2)

    explorer.sliders[lever].value = 0.3

    params = {name: draws[name].to_numpy() for name in draws.columns}
    runs = _reference(baseline, {lever: 0.3, **params}, [output])[output]
    base_runs = _reference(baseline, params, [output])[output]
    low, high = np.percentile(runs, [5, 95], axis=0)
    band = explorer.figure.bands[output]
    np.testing.assert_allclose(_band(explorer.curves.bands, output), [low, high], rtol=1e-12)
    # the polygon drawn spans exactly the band: its top edge is the 95th percentile
    vertices = np.asarray(band.get_paths()[0].vertices)
    assert np.isclose(vertices[:, 1].max(), high.max()) and np.isclose(
        vertices[:, 1].min(), low.min()
    )
    line = np.asarray(explorer.figure.whatif_lines[output].get_ydata(), dtype=float)
    np.testing.assert_allclose(line, _reference(baseline, {lever: 0.3}, [output])[output][0])
    # the change view: what-if minus baseline, and its band over common draws
    explorer.view.value = "change"
    change = np.asarray(explorer.figure.whatif_lines[output].get_ydata(), dtype=float)
    np.testing.assert_allclose(change, line - _reference(baseline, {}, [output])[output][0])
    np.testing.assert_allclose(
        _band(explorer.curves.effect_bands, output),
        np.percentile(runs - base_runs, [5, 95], axis=0),
        rtol=1e-10,
        atol=1e-12,
    )


def test_bands_do_not_flicker_between_moves(
    baseline: simulator.Scenario, lever: str, uncertain: dict[str, tuple[float, float]]
) -> None:
    session = WhatIf(baseline, [lever], ["CBEC total trade"], uncertainty=uncertain, draws=30)
    first = _band(session.curves({lever: 0.1}).bands, "CBEC total trade").copy()
    other = _band(session.curves({lever: 0.4}).bands, "CBEC total trade")
    session._memory.clear()  # force a fresh run at the first level
    again = _band(session.curves({lever: 0.1}).bands, "CBEC total trade")
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert session.draws is not None
    repeat = WhatIf(baseline, [lever], ["CBEC total trade"], uncertainty=uncertain, draws=30)
    assert repeat.draws is not None
    pd.testing.assert_frame_equal(session.draws, repeat.draws)  # same seed, same draws


def test_an_intervened_lever_keeps_its_timing_and_moves_its_level(
    tax: simulator.Scenario, lever: str, tmp_path: Path
) -> None:
    output = "coupling coordination degree D"
    ramp = tax.interventions[0]
    assert isinstance(ramp, Ramp) and ramp.to is not None
    explorer = simulator.explore(tax, outputs=[output])
    assert list(explorer.sliders) == [lever]
    assert explorer.sliders[lever].value == pytest.approx(ramp.to)  # where the ramp goes
    level = round(1.5 * ramp.to, 2)
    explorer.sliders[lever].value = level
    # the same what-if written as a scenario file: the tax scenario's ramp, going to `level`
    variant = tmp_path / "tax_variant.yaml"
    variant.write_text(
        f"name: tax variant\nextends: {SCENARIOS / 'baseline.yaml'}\n"
        f"interventions:\n  - variable: {lever}\n    type: ramp\n"
        f"    start: {ramp.start}\n    end: {ramp.end}\n    to: {level}\n"
    )
    expected = simulator.run_scenario(simulator.load_scenario(variant))[output].to_numpy()[0]
    shown = np.asarray(explorer.figure.whatif_lines[output].get_ydata(), dtype=float)
    np.testing.assert_allclose(shown, expected, rtol=1e-12)
    assert [m.time for m in explorer.session.marks(explorer.levels)] == [ramp.start]


def test_a_start_makes_a_lever_a_step(
    baseline: simulator.Scenario, lever: str, tmp_path: Path
) -> None:
    output = "cluster firms"
    explorer = simulator.explore(baseline, levers=[lever], outputs=[output], start=2026)
    explorer.sliders[lever].value = 0.5
    variant = tmp_path / "step.yaml"
    variant.write_text(
        f"name: step\nextends: {SCENARIOS / 'baseline.yaml'}\n"
        f"interventions:\n  - variable: {lever}\n    type: step\n    at: 2026\n    to: 0.5\n"
    )
    expected = simulator.run_scenario(simulator.load_scenario(variant))[output].to_numpy()[0]
    shown = np.asarray(explorer.figure.whatif_lines[output].get_ydata(), dtype=float)
    np.testing.assert_allclose(shown, expected, rtol=1e-12)
    time = explorer.curves.time
    base = explorer.session.baseline.lines[output]
    np.testing.assert_array_equal(shown[time <= 2026], base[time <= 2026])  # nothing before
    assert [m.time for m in explorer.session.marks(explorer.levels)] == [2026.0]
    with pytest.raises(ExploreError, match="outside the run"):
        simulator.explore(baseline, levers=[lever], start=2050)


def test_moving_several_sliders_at_once_runs_once_and_reset_returns(
    baseline: simulator.Scenario, tax: simulator.Scenario
) -> None:
    package = simulator.load_scenario(SCENARIOS / "combined_package.yaml")
    levers = list(dict.fromkeys(i.variable for i in package.interventions))
    explorer = simulator.explore(baseline, levers=levers, outputs=["cluster firms"])
    runs = explorer.session.runs
    # the baseline, and every lever at the top of its range (to size the axes once; at the
    # bottom they are the baseline's zeros); the what-if at the scenario's levels is the baseline
    assert runs == 2 and explorer.session.corners == [dict.fromkeys(levers, 1.0)]
    explorer.set({levers[0]: 0.2, levers[1]: 0.02})
    assert explorer.session.runs == runs + 1
    expected = _reference(baseline, {levers[0]: 0.2, levers[1]: 0.02}, ["cluster firms"])
    shown = np.asarray(explorer.figure.whatif_lines["cluster firms"].get_ydata(), dtype=float)
    np.testing.assert_allclose(shown, expected["cluster firms"][0], rtol=1e-12)
    explorer.reset()
    assert explorer.curves.lines["cluster firms"].tolist() == (
        explorer.session.baseline.lines["cluster firms"].tolist()
    )
    explorer.set({levers[0]: 0.2, levers[1]: 0.02})  # visited before: no new run
    assert explorer.session.runs == runs + 1


def test_display_carries_a_png_for_static_renders(baseline: simulator.Scenario, lever: str) -> None:
    explorer = simulator.explore(baseline, levers=[lever], outputs=["CBEC firms"])
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    import base64

    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert lever in bundle["text/plain"]


def test_a_drag_is_debounced_inside_a_running_loop(
    baseline: simulator.Scenario, lever: str
) -> None:
    explorer = simulator.explore(baseline, levers=[lever], outputs=["CBEC firms"], delay=0.05)
    runs = explorer.session.runs

    async def drag() -> None:
        for value in np.linspace(0.01, 0.3, 25):
            explorer.sliders[lever].value = float(value)
            await asyncio.sleep(0.001)  # faster than a run: the slider's messages pile up
        await asyncio.sleep(0.5)

    asyncio.run(drag())
    assert 1 <= explorer.session.runs - runs <= 5
    assert explorer.curves.levels == (pytest.approx(0.3),)  # the last position is shown
    expected = _reference(baseline, {lever: 0.3}, ["CBEC firms"])["CBEC firms"][0]
    shown = np.asarray(explorer.figure.whatif_lines["CBEC firms"].get_ydata(), dtype=float)
    np.testing.assert_allclose(shown, expected, rtol=1e-12)


def test_debouncer_runs_first_call_at_once_and_merges_the_rest() -> None:
    seen: list[int] = []
    state = {"value": 0}
    debouncer = Debouncer(lambda: seen.append(state["value"]), delay=0.05)

    async def burst() -> None:
        for k in range(1, 31):
            state["value"] = k
            debouncer.trigger()
        assert seen == [1]  # the leading edge ran at once
        await asyncio.sleep(0.2)

    asyncio.run(burst())
    assert seen == [1, 30]
    debouncer.trigger()  # no running loop: at once
    assert seen == [1, 30, 30]


# -- levers: ranges, marks, errors ---------------------------------------------------------------


def _gated_teacup(tmp_path: Path) -> simulator.Scenario:
    """Teacup whose room is heated from a start time: ``70 + STEP(heating, heating start)``."""
    text = (ROOT / "tests" / "models" / "teacup.mdl").read_text()
    room = "Room Temperature=\n\t70\n"
    assert room in text
    gated = (
        "heating=\n\t0\n\t~\tDegrees Fahrenheit\n\t~\tExtra heat of the room.\n\t|\n\n"
        "heating start=\n\t5\n\t~\tMinute\n\t~\tWhen the heating comes on.\n\t|\n\n"
        "Room Temperature=\n\t70 + STEP(heating, heating start)\n"
    )
    (tmp_path / "gated.mdl").write_text(text.replace(room, gated))
    (tmp_path / "gated.yaml").write_text("name: gated\nmodel: gated.mdl\n")
    return simulator.load_scenario(tmp_path / "gated.yaml")


def _teacup(tmp_path: Path, limits: str = "[-459.67,?]") -> simulator.Scenario:
    text = (ROOT / "tests" / "models" / "teacup.mdl").read_text()
    text = text.replace("Degrees Fahrenheit [-459.67,?]", f"Degrees Fahrenheit {limits}")
    (tmp_path / "teacup.mdl").write_text(text)
    (tmp_path / "teacup.yaml").write_text("name: teacup\nmodel: teacup.mdl\n")
    return simulator.load_scenario(tmp_path / "teacup.yaml")


def test_ranges_come_from_limits_else_from_values(
    tmp_path: Path, baseline: simulator.Scenario
) -> None:
    scenario = _teacup(tmp_path, "[50,90]")
    model = scenario.load_model()
    (room,) = resolve_levers(scenario, model, ["room temperature"])
    assert (room.low, room.high, room.value, room.name) == (50.0, 90.0, 70.0, "Room Temperature")
    (time,) = resolve_levers(scenario, model, {"Characteristic Time": None})
    # 10 minutes, lower limit 0 in the file: from 0 to a round number above twice the value
    assert (time.low, time.high, time.step) == (0.0, 20.0, 0.2)
    (given,) = resolve_levers(scenario, model, {"Characteristic Time": (5.0, 15.0, 0.5)})
    assert (given.low, given.high, given.step) == (5.0, 15.0, 0.5)
    (tmp_path / "one_sided").mkdir()
    one_sided = _teacup(tmp_path / "one_sided")
    (room,) = resolve_levers(one_sided, one_sided.load_model(), ["Room Temperature"])
    assert (room.low, room.high) == (0.0, 200.0)  # -459.67 is a physical bound, not a range
    # a switch's start time ranges over the run
    (tmp_path / "gated").mkdir()
    gated = _gated_teacup(tmp_path / "gated")
    (when,) = resolve_levers(gated, gated.load_model(), ["heating start"])
    assert (when.low, when.high) == (gated.time.start, gated.time.stop)


def test_marks_follow_the_model_switches_and_a_start_time_lever(tmp_path: Path) -> None:
    scenario = _gated_teacup(tmp_path)
    session = WhatIf(scenario, ["heating", "heating start"], ["Teacup Temperature"])
    assert [m.time for m in session.marks({})] == [5.0]  # STEP(heating, heating start)
    assert [m.time for m in session.marks({"heating start": 12.0})] == [12.0]
    moved = session.curves({"heating": 20.0, "heating start": 12.0}).lines["Teacup Temperature"]
    times = session.baseline.time
    base = session.baseline.lines["Teacup Temperature"]
    np.testing.assert_array_equal(moved[times <= 12.0], base[times <= 12.0])
    assert moved[-1] > base[-1]  # a warmer room keeps the tea warmer


def _refs(expr: Any) -> set[str]:
    from simulator.model.ir import references

    return references(expr)


def test_errors_name_what_to_do(
    baseline: simulator.Scenario, lever: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ExploreError, match="levers="):
        simulator.explore(baseline)  # the baseline changes nothing: no default lever
    with pytest.raises(UnknownNameError, match="did you mean"):
        simulator.explore(baseline, levers=[lever + "s"])
    with pytest.raises(ExploreError, match="is a stock"):
        simulator.explore(baseline, levers=["CBEC firms"])
    with pytest.raises(ExploreError, match="outside the range"):
        simulator.explore(baseline, levers={lever: (0.5, 1.0)})
    with pytest.raises(ExploreError, match="both a lever and uncertain"):
        simulator.explore(baseline, levers=[lever], uncertainty={lever: (0.0, 0.1)})
    with pytest.raises(ExploreError, match="needs 'sd'"):
        simulator.explore(
            baseline,
            levers=[lever],
            uncertainty={"cluster sourcing share": {"dist": "norm", "mean": 0.6}},
        )
    with pytest.raises(ExploreError, match="band"):
        simulator.explore(baseline, levers=[lever], band=(95, 5))
    with pytest.raises(ExploreError, match="draws"):
        simulator.explore(
            baseline, levers=[lever], uncertainty={"cluster sourcing share": (0.4, 0.8)}, draws=1
        )
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "simulator.report.explore.controls", raising=False)
    with pytest.raises(MissingExtraError, match=r"cbec-sd\[notebooks\]") as caught:
        simulator.explore(baseline, levers=[lever])
    assert "\n" not in str(caught.value)


# -- draws ---------------------------------------------------------------------------------------


def test_draws_from_every_kind_of_source() -> None:
    from scipy import stats

    from simulator.analysis.sensitivity import Factor

    d = make_draws(
        {
            "a": (1.0, 2.0),
            "b": Factor("b", "triang", (0.0, 1.0, 4.0)),
            "c": stats.norm(10, 2),
            "d": {"dist": "lognorm", "mean": 0.0, "sd": 0.5},
            "e": np.array([3.0, 5.0]),
        },
        4000,
        seed=3,
    )
    assert d["a"].between(1, 2).all() and abs(d["a"].mean() - 1.5) < 0.02
    assert abs(d["b"].mean() - 5 / 3) < 0.05  # triangular mean (0 + 1 + 4) / 3
    assert abs(d["c"].std() - 2) < 0.1
    assert abs(np.log(d["d"]).mean()) < 0.03
    assert set(d["e"]) == {3.0, 5.0}
    posterior = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0) * 2})
    rows = make_draws(posterior, 6, seed=1)
    assert rows.shape == (6, 2) and (rows["y"] == 2 * rows["x"]).all()  # joint rows kept
    assert rows["x"].is_unique  # without replacement when there are enough rows
    np.testing.assert_array_equal(make_draws(posterior, 6, seed=1), rows)
    sweep = simulator.load_sweep(SCENARIOS / "sweeps" / "cbec_monte_carlo.yaml")
    from_sweep = make_draws(sweep, 50, seed=1)
    assert list(from_sweep.columns) == [p.name for p in sweep.parameters]


def test_uncertainty_of_a_wrong_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExploreError, match="expected a distribution"):
        make_draws({"a": "wide"}, 10, seed=1)
    with pytest.raises(ExploreError, match="no parameter"):
        make_draws({}, 10, seed=1)
    with pytest.raises(ExploreError, match="reversed"):
        make_draws({"a": (2.0, 1.0)}, 10, seed=1)
    scenario = _teacup(tmp_path)
    with pytest.raises(ExploreError, match="not a constant"):
        WhatIf(
            scenario,
            ["Room Temperature"],
            ["Teacup Temperature"],
            uncertainty={"Heat Loss to Room": (0, 1)},
        )


def test_teacup_what_if_matches_the_analytic_shape(tmp_path: Path) -> None:
    """Room temperature 90: the tea cools towards 90, not 70 (a check free of the flagship)."""
    scenario = _teacup(tmp_path)
    explorer = simulator.explore(
        scenario, levers=["Room Temperature"], outputs=["Teacup Temperature"]
    )
    explorer.sliders["Room Temperature"].value = 90.0
    shown = np.asarray(explorer.figure.whatif_lines["Teacup Temperature"].get_ydata(), dtype=float)
    t = explorer.curves.time
    exact = 90 + (180 - 90) * np.exp(-t / 10)  # Euler with dt 0.125 is within 1 %
    np.testing.assert_allclose(shown, exact, rtol=0.01)
    assert explorer.figure.axes["Teacup Temperature"].get_ylabel() == "Degrees Fahrenheit"
    assert explorer.figure.axes["Teacup Temperature"].get_xlabel() == "Minute"
    assert not explorer.session.marks(explorer.levels)  # acts from the start: nothing to mark
