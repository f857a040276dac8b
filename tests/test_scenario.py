"""Scenario files: loading, merging, validation errors, and interventions as model edits."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest

import simulator
from simulator.errors import ScenarioError, ScenarioFileError
from simulator.model.ir import Binary, Call, InlineLookup, Num, Ref
from simulator.scenario import Step, schema_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BAD = HERE / "bad_scenarios"
POLICY_MODEL = BAD / "_policy.mdl"
BASE = BAD / "_policy_base.yaml"
BAD_FILES = sorted(BAD.glob("[0-9]*.yaml"))


def expectation(path: Path) -> dict[str, str]:
    """The ``# expect: Error line=N field=F [file=NAME]`` line of a bad file."""
    line = next(t for t in path.read_text().splitlines() if t.startswith("# expect:"))
    error, *pairs = shlex.split(line.removeprefix("# expect:"))
    return {"error": error, "file": path.name} | dict(p.split("=", 1) for p in pairs)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.replace("MODEL", str(POLICY_MODEL)).replace("BASE", str(BASE)))
    return path


# -- the bad corpus -----------------------------------------------------------------------------
def test_the_bad_corpus_has_at_least_25_files() -> None:
    assert len(BAD_FILES) >= 25


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_a_bad_file_gives_a_typed_error_naming_file_line_and_field(path: Path) -> None:
    expected = expectation(path)
    with pytest.raises(ScenarioFileError) as info:
        simulator.load_scenario(path)
    error = info.value
    assert type(error).__name__ == expected["error"]
    assert isinstance(error, ScenarioError)
    assert (error.path.name, error.line, error.field) == (
        expected["file"],
        int(expected["line"]),
        expected["field"],
    )
    assert str(error).startswith(f"{error.path}:{error.line}: {error.field}: ")
    assert "\n" not in str(error)


def test_unknown_names_come_with_suggestions() -> None:
    with pytest.raises(simulator.errors.ScenarioNameError) as info:
        simulator.load_scenario(BAD / "15_unknown_constant.yaml")
    assert info.value.suggestions == ["tax incentive"]


def test_an_unsafe_tag_is_refused_before_anything_is_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "touched"
    path = write(
        tmp_path,
        "evil.yaml",
        f"model: MODEL\nname: !!python/object/apply:pathlib.Path.touch ['{marker}']\n",
    )
    with pytest.raises(simulator.errors.ScenarioSyntaxError):
        simulator.load_scenario(path)
    assert not marker.exists()


def test_a_missing_scenario_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        simulator.load_scenario(tmp_path / "absent.yaml")


# -- loading and merging ------------------------------------------------------------------------
def test_a_valid_file_loads_with_model_spelling_and_defaults() -> None:
    scenario = simulator.load_scenario(BAD / "_valid.yaml")
    assert scenario.name == "valid teacup"
    assert scenario.model_path == ROOT / "tests" / "models" / "teacup.mdl"
    assert scenario.constants == {"Characteristic Time": 8.0}
    (step,) = scenario.interventions
    assert isinstance(step, Step)
    assert (step.variable, step.at, step.to) == ("Room Temperature", 5.0, 75.0)
    assert scenario.outputs == ("Teacup Temperature",)
    (kpi,) = scenario.kpis
    assert (kpi.name, kpi.variable, kpi.stat, kpi.at) == (
        "final temperature",
        "Teacup Temperature",
        "value",
        20.0,
    )


def test_time_settings_default_to_the_models(tmp_path: Path) -> None:
    scenario = simulator.load_scenario(write(tmp_path, "s.yaml", "model: MODEL\n"))
    assert scenario.time.model_dump() == {
        "start": 2020.0,
        "stop": 2030.0,
        "dt": 0.25,
        "saveper": 1.0,
        "method": "euler",
    }
    assert scenario.name == "s"
    assert scenario.description == ""


def test_a_dt_above_the_models_saveper_raises_saveper_with_it(tmp_path: Path) -> None:
    model = simulator.load_model(POLICY_MODEL)
    assert model.time.saveper == 1.0
    scenario = simulator.load_scenario(write(tmp_path, "s.yaml", "model: MODEL\ntime: {dt: 2}\n"))
    assert (scenario.time.dt, scenario.time.saveper) == (2.0, 2.0)


def test_extends_merges_parent_and_child(tmp_path: Path) -> None:
    parent = write(
        tmp_path,
        "parent.yaml",
        """
name: parent
description: the parent
model: MODEL
time: {start: 2020, stop: 2030, dt: 0.25, saveper: 1}
constants: {tax incentive: 0.05, tariff cut: 0.1}
interventions:
  - {variable: tariff cut, type: step, at: 2024, by: 0.1}
outputs: [trade]
kpis:
  - {name: final trade, variable: trade}
  - {name: mean trade, variable: trade, stat: mean}
""",
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    child = write(
        sub,
        "child.yaml",
        """
extends: ../parent.yaml
time: {stop: 2028}
constants: {Tax_Incentive: 0.2}
interventions:
  - {variable: tax incentive, type: ramp, start: 2022, end: 2026, by: 0.1}
outputs: [coupling index, TRADE]
kpis:
  - {name: final trade, variable: trade, at: 2026}
""",
    )
    scenario = simulator.load_scenario(child)
    assert scenario.name == "child"  # names and descriptions are not inherited
    assert scenario.description == ""
    assert scenario.extends == (parent,)
    assert scenario.model_path == POLICY_MODEL
    assert (scenario.time.start, scenario.time.stop, scenario.time.dt) == (2020, 2028, 0.25)
    assert scenario.constants == {"tax incentive": 0.2, "tariff cut": 0.1}
    assert [i.type for i in scenario.interventions] == ["step", "ramp"]
    assert scenario.outputs == ("trade", "coupling index")
    assert [(k.name, k.at) for k in scenario.kpis] == [
        ("final trade", 2026.0),
        ("mean trade", None),
    ]
    assert scenario.kpis[1].window == (2020.0, 2028.0)


def test_the_scenario_is_frozen() -> None:
    scenario = simulator.load_scenario(BASE)
    with pytest.raises(pydantic.ValidationError):
        scenario.name = "changed"


def test_digest_depends_on_content_not_on_location(tmp_path: Path) -> None:
    shutil.copy(POLICY_MODEL, tmp_path / "_policy.mdl")
    shutil.copy(BASE, tmp_path / "_policy_base.yaml")
    here = simulator.load_scenario(BASE)
    there = simulator.load_scenario(tmp_path / "_policy_base.yaml")
    assert here.digest == there.digest
    assert here.digest == simulator.load_scenario(BASE).digest
    text = (tmp_path / "_policy_base.yaml").read_text() + "constants: {tariff cut: 0.01}\n"
    (tmp_path / "_policy_base.yaml").write_text(text)
    assert simulator.load_scenario(tmp_path / "_policy_base.yaml").digest != here.digest


# -- running ------------------------------------------------------------------------------------
def test_simulate_kwargs_are_ready_for_simulate() -> None:
    scenario = simulator.load_scenario(BAD / "_valid.yaml")
    model = scenario.load_model()
    kwargs = scenario.simulate_kwargs(model)
    assert set(kwargs) == {
        "params",
        "lookups",
        "outputs",
        "method",
        "initial_time",
        "final_time",
        "time_step",
        "saveper",
    }
    assert kwargs["params"]["Characteristic Time"] == 8.0
    assert kwargs["params"]["Room Temperature"] == Binary(
        "+", Num(70.0), Call("step", (Num(5.0), Num(5.0)))
    )
    ds = simulator.simulate(model, **kwargs)
    assert ds["Teacup Temperature"].shape == (1, 41)


def test_run_scenario_records_provenance() -> None:
    scenario = simulator.load_scenario(BAD / "_valid.yaml")
    ds = simulator.run_scenario(scenario)
    assert ds.attrs["scenario_hash"] == scenario.digest
    assert ds.attrs["model_hash"] == scenario.model_hash
    assert ds.attrs["package_version"] == simulator.__version__


def test_runs_are_reproducible_bit_for_bit() -> None:
    first = simulator.run_scenario(simulator.load_scenario(BASE))
    second = simulator.run_scenario(simulator.load_scenario(BASE))
    for name in first.data_vars:
        assert first[name].to_numpy().tobytes() == second[name].to_numpy().tobytes()


def constant_path(tmp_path: Path, interventions: str, constants: str = "{}") -> np.ndarray:
    """The path of 'tax incentive' under ``interventions``, saved every dt (0.25)."""
    path = write(
        tmp_path,
        "s.yaml",
        f"model: MODEL\ntime: {{saveper: 0.25}}\nconstants: {constants}\n"
        f"outputs: [tax incentive]\ninterventions:\n{interventions}",
    )
    ds = simulator.run_scenario(simulator.load_scenario(path))
    return ds["tax incentive"].isel(run=0).to_numpy()


def at(year: float) -> int:
    return round((year - 2020) / 0.25)


def test_a_step_switches_at_its_year(tmp_path: Path) -> None:
    values = constant_path(
        tmp_path,
        "  - {variable: tax incentive, type: step, at: 2024, to: 0.2}\n",
        "{tax incentive: 0.05}",
    )
    assert values[at(2023.75)] == 0.05
    assert values[at(2024)] == pytest.approx(0.2, abs=1e-15)
    assert values[-1] == pytest.approx(0.2, abs=1e-15)


def test_a_ramp_is_linear_between_its_years_and_held_after(tmp_path: Path) -> None:
    values = constant_path(
        tmp_path, "  - {variable: tax incentive, type: ramp, start: 2022, end: 2026, to: 0.2}\n"
    )
    assert values[at(2022)] == 0.0
    assert values[at(2024)] == pytest.approx(0.1, abs=1e-15)
    assert values[at(2025)] == pytest.approx(0.15, abs=1e-15)
    assert values[at(2028)] == pytest.approx(0.2, abs=1e-15)


def test_a_window_applies_between_its_years_then_reverts(tmp_path: Path) -> None:
    values = constant_path(
        tmp_path,
        "  - {variable: tax incentive, type: window, start: 2023, end: 2025, by: 0.1}\n",
        "{tax incentive: 0.02}",
    )
    assert values[at(2022.75)] == 0.02
    assert values[at(2023)] == pytest.approx(0.12, abs=1e-15)
    assert values[at(2024.75)] == pytest.approx(0.12, abs=1e-15)
    assert values[at(2025)] == 0.02


def test_a_table_is_piecewise_linear_and_flat_beyond_its_ends(tmp_path: Path) -> None:
    values = constant_path(
        tmp_path,
        "  - {variable: tax incentive, type: table, points: [[2022, 0.0], [2026, 0.4]]}\n",
    )
    assert values[at(2020)] == 0.0
    assert values[at(2024)] == pytest.approx(0.2, abs=1e-15)
    assert values[at(2030)] == 0.4


def test_interventions_on_one_constant_add_up(tmp_path: Path) -> None:
    values = constant_path(
        tmp_path,
        "  - {variable: tax incentive, type: step, at: 2022, by: 0.1}\n"
        "  - {variable: tax incentive, type: window, start: 2024, end: 2026, by: 0.05}\n",
    )
    assert values[at(2021)] == 0.0
    assert values[at(2023)] == pytest.approx(0.1, abs=1e-15)
    assert values[at(2025)] == pytest.approx(0.15, abs=1e-15)
    assert values[at(2027)] == pytest.approx(0.1, abs=1e-15)


def test_a_table_intervention_is_an_inline_lookup_over_time(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        "model: MODEL\ninterventions:\n"
        "  - {variable: tariff cut, type: table, points: [[2022, 0.0], [2026, 0.4]]}\n",
    )
    scenario = simulator.load_scenario(path)
    expr = scenario.simulate_kwargs(scenario.load_model())["params"]["tariff cut"]
    assert isinstance(expr, InlineLookup)
    assert expr.argument == Ref("time")
    assert (expr.table.x, expr.table.y) == ((2022.0, 2026.0), (0.0, 0.4))


def test_lookup_overrides_change_the_run(tmp_path: Path) -> None:
    flat = write(
        tmp_path,
        "flat.yaml",
        "model: MODEL\noutputs: [growth]\nlookups: {capacity effect: [[0, 1], [400, 1]]}\n",
    )
    ds = simulator.run_scenario(simulator.load_scenario(flat))
    # with a flat effect of 1, growth in 2020 is trade * base growth rate = 100 * 0.05
    assert ds["growth"].isel(run=0, time=0).item() == pytest.approx(5.0, rel=1e-12)
    base = simulator.run_scenario(simulator.load_scenario(BASE))
    assert base["growth"].isel(run=0, time=0).item() == pytest.approx(5.0 * 0.75, rel=1e-12)


# -- interventions are model edits: PySD as the oracle --------------------------------------------
EDITS = {
    "step": (
        "{variable: tax incentive, type: step, at: 2024, to: 0.15}",
        "tax incentive",
        "0 + STEP(0.15, 2024)",
    ),
    "ramp": (
        "{variable: tax incentive, type: ramp, start: 2022, end: 2026, to: 0.2}",
        "tax incentive",
        "0 + RAMP(0.05, 2022, 2026)",
    ),
    "window": (
        "{variable: tariff cut, type: window, start: 2023, end: 2026, by: 0.5}",
        "tariff cut",
        "0 + 0.5 * PULSE(2023, 3)",
    ),
    "table": (
        "{variable: tariff cut, type: table, points: [[2021, 0], [2024, 0.6], [2027, 0.3]]}",
        "tariff cut",
        "WITH LOOKUP(Time, ([(2021,0)-(2027,1)],(2021,0),(2024,0.6),(2027,0.3)))",
    ),
    "step and window": (
        "{variable: tax incentive, type: step, at: 2022, by: 0.1}\n"
        "  - {variable: tax incentive, type: window, start: 2025, end: 2027, by: -0.05}",
        "tax incentive",
        "0 + STEP(0.1, 2022) + -0.05 * PULSE(2025, 2)",
    ),
}


def edited_model(folder: Path, name: str, equation: str) -> Path:
    """A copy of the fixture model with the equation of ``name`` replaced."""
    text = POLICY_MODEL.read_text()
    old = f"{name}=\n\t0\n"
    assert text.count(old) == 1
    path = folder / "edited.mdl"
    path.write_text(text.replace(old, f"{name}=\n\t{equation}\n"))
    return path


@pytest.mark.pysd
@pytest.mark.parametrize("case", list(EDITS))
def test_an_intervention_equals_editing_the_model(tmp_path: Path, case: str) -> None:
    item, name, equation = EDITS[case]
    scenario = simulator.load_scenario(
        write(tmp_path, "s.yaml", f"extends: BASE\noutputs: [{name}]\ninterventions:\n  - {item}\n")
    )
    ours = simulator.run_scenario(scenario)
    edited = simulator.load_model(edited_model(tmp_path, name, equation))
    time = scenario.time
    kwargs: dict[str, Any] = {
        "outputs": list(ours.data_vars),
        "final_time": time.stop,
        "time_step": time.dt,
        "saveper": time.saveper,
    }
    reference = simulator.simulate(edited, engine="pysd", **kwargs)
    numpy_edit = simulator.simulate(edited, **kwargs)
    assert list(ours.data_vars) == ["trade", "coupling index", name, "growth"]
    moved = ours[name].isel(run=0).to_numpy()
    assert moved.max() > moved.min()  # the intervention does something
    for output in ours.data_vars:
        np.testing.assert_allclose(ours[output], reference[output], rtol=1e-9, atol=0)
        # the same equation, so the same numbers, to the bit
        assert np.array_equal(ours[output], numpy_edit[output])


# -- the JSON Schema ----------------------------------------------------------------------------
def test_the_committed_json_schema_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "scenario.schema.json").read_text()
    assert committed == schema_text()


def test_the_json_schema_describes_the_file_format() -> None:
    schema = json.loads(schema_text())
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "name",
        "description",
        "model",
        "extends",
        "time",
        "constants",
        "lookups",
        "interventions",
        "outputs",
        "kpis",
    }
    mapping = schema["properties"]["interventions"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == {"step", "ramp", "pulse", "window", "table"}


FLAGSHIP_EDITS = {
    "enterprise income tax points waived": "0 + RAMP(2.5, 2025, 2027)",
    "export tariff points cut": "0 + STEP(2, 2025)",
    "customs clearance hours cut": "0 + STEP(16, 2025)",
    "CBEC promotion budget": "0 + 5 * PULSE(2025, 5)",
    "share of clusters adopting management innovation": (
        "WITH LOOKUP(Time, ([(2024,0)-(2031,1)],(2024,0),(2025,0.1),(2028,0.3),(2031,0.5)))"
    ),
}


@pytest.mark.pysd
@pytest.mark.slow
def test_the_combined_package_equals_the_flagship_model_edited_by_hand(tmp_path: Path) -> None:
    scenario = simulator.load_scenario(ROOT / "scenarios" / "combined_package.yaml")
    text = (ROOT / "models" / "cbec_cluster.mdl").read_text()
    for name, equation in FLAGSHIP_EDITS.items():
        old = f"\n{name} =\n\t0\n"
        assert text.count(old) == 1, name
        text = text.replace(old, f"\n{name} =\n\t{equation}\n")
    (tmp_path / "edited.mdl").write_text(text)
    edited = simulator.load_model(tmp_path / "edited.mdl")
    ours = simulator.run_scenario(scenario)
    time = scenario.time
    reference = simulator.simulate(
        edited,
        engine="pysd",
        outputs=[str(name) for name in ours.data_vars],
        final_time=time.stop,
        time_step=time.dt,
        saveper=time.saveper,
    )
    baseline = simulator.run_scenario(simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    for output in ours.data_vars:
        assert not np.array_equal(ours[output], baseline[output]), output  # the policies act
        np.testing.assert_allclose(ours[output], reference[output], rtol=1e-9, atol=0)
