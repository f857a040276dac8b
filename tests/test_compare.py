"""Comparing scenarios: KPIs, deltas, one batch, plots, the report and atomic, traceable files."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.patches import Rectangle
from PIL import Image

import simulator
import simulator.analysis.compare as compare_module
from simulator import io
from simulator.analysis.compare import KPI_COLUMNS, format_kpi_table, kpi_table, kpi_values
from simulator.errors import ScenarioError
from simulator.report.html import render_report
from simulator.report.plots import plot_deltas, plot_kpis, plot_overlay
from simulator.scenario import KPI, Pulse, Ramp, Scenario, Step

HERE = Path(__file__).resolve().parent
BASE = HERE / "bad_scenarios" / "_policy_base.yaml"


@pytest.fixture(scope="module")
def base() -> Scenario:
    return simulator.load_scenario(BASE)


def variant(
    base: Scenario, name: str, *interventions: Step | Ramp | Pulse, **constants: float
) -> Scenario:
    return base.model_copy(
        update={
            "name": name,
            "interventions": interventions,
            "constants": {k.replace("_", " "): v for k, v in constants.items()},
        }
    )


TAX = Step(type="step", variable="tax incentive", at=2024, to=0.2)
TARIFF = Ramp(type="ramp", variable="tariff cut", start=2022, end=2026, by=0.5)
WINDOW = Pulse(type="window", variable="tax incentive", start=2023, end=2025, by=0.1)


# -- KPIs ------------------------------------------------------------------------------------------
@pytest.fixture
def toy() -> xr.Dataset:
    return xr.Dataset(
        {"x": (("scenario", "time"), [[1.0, 2.0, 4.0, 8.0], [1.0, 3.0, 3.0, 0.0]])},
        coords={"scenario": ["base", "alt"], "time": [0.0, 1.0, 2.0, 3.0]},
    )


@pytest.mark.parametrize(
    ("kpi", "expected"),
    [
        (KPI(variable="x", at=2), [4.0, 3.0]),
        (KPI(variable="x", at=2.5), [6.0, 1.5]),
        (KPI(variable="x"), [8.0, 0.0]),
        (KPI(variable="x", stat="mean", window=(1, 3)), [14 / 3, 2.0]),
        (KPI(variable="x", stat="sum"), [15.0, 7.0]),
        (KPI(variable="x", stat="integral"), [1.5 + 3 + 6, 2 + 3 + 1.5]),
        (KPI(variable="x", stat="change", window=(1, 3)), [6.0, -3.0]),
        (KPI(variable="x", stat="change", relative=True), [7.0, -1.0]),
        (KPI(variable="x", at=2, versus_baseline="difference"), [0.0, -1.0]),
        (KPI(variable="x", stat="sum", versus_baseline="ratio"), [1.0, 7 / 15]),
    ],
)
def test_kpi_values(toy: xr.Dataset, kpi: KPI, expected: list[float]) -> None:
    np.testing.assert_allclose(kpi_values(toy, kpi, "base"), expected, rtol=1e-15)


def test_a_kpi_versus_baseline_needs_a_baseline(toy: xr.Dataset) -> None:
    with pytest.raises(ScenarioError, match="baseline"):
        kpi_values(toy, KPI(variable="x", versus_baseline="ratio"))


def test_the_kpi_table_has_deltas_against_the_baseline(toy: xr.Dataset) -> None:
    toy["x"].attrs["units"] = "t"
    toy["y"] = xr.zeros_like(toy["x"]) + np.array([[0.0], [2.0]])
    kpis = [KPI(name="x end", variable="x"), KPI(name="y end", variable="y")]
    table = kpi_table(toy, kpis, "base")
    assert tuple(table.columns) == KPI_COLUMNS
    rows = {(r["kpi"], r["scenario"]): list(r.values())[2:] for r in table.to_dict("records")}
    assert rows[("x end", "alt")] == [0.0, 8.0, -8.0, -1.0, "t"]
    assert rows[("x end", "base")] == [8.0, 8.0, 0.0, 0.0, "t"]
    # a baseline of zero has no relative delta unless the delta is zero too
    assert np.isnan(rows[("y end", "alt")][3])
    assert rows[("y end", "base")][3] == 0.0


def test_the_kpi_table_reads_well_as_text(toy: xr.Dataset) -> None:
    text = format_kpi_table(kpi_table(toy, [KPI(name="x end", variable="x")], "base"), "base")
    assert text.splitlines() == [
        "x end",
        "  scenario        value     change    change %",
        "  base                8          0           0",
        "  alt                 0         -8     -100.0%",
    ]


# -- comparing ------------------------------------------------------------------------------------
def test_compare_runs_one_batch_and_equals_running_each_alone(
    base: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = compare_module.simulate

    def counting(model, **kwargs):
        calls.append(1)
        return real(model, **kwargs)

    monkeypatch.setattr(compare_module, "simulate", counting)
    others = [
        variant(base, "tax", TAX),
        variant(base, "tariff and window", TARIFF, WINDOW, investment_share=0.12),
        variant(base, "share", investment_share=0.08),
    ]
    comparison = simulator.compare_scenarios(base, others)
    assert len(calls) == 1
    ds = comparison.dataset
    assert ds["trade"].dims == ("scenario", "time")
    assert list(ds["scenario"].values) == ["fixture baseline", "tax", "tariff and window", "share"]
    assert list(ds["scenario_hash"].values) == [s.digest for s in (base, *others)]
    for scenario in (base, *others):
        alone = simulator.run_scenario(scenario)
        for name in alone.data_vars:
            together = ds[name].sel(scenario=scenario.name).to_numpy()
            assert together.tobytes() == alone[name].isel(run=0).to_numpy().tobytes()
    trade = comparison.kpis.set_index(["kpi", "scenario"])["absolute_delta"]
    assert trade[("trade in 2030", "tax")] > 0
    assert trade[("trade in 2030", "share")] < 0  # less investment, less capacity, less growth
    units = dict(zip(comparison.kpis["kpi"], comparison.kpis["units"], strict=False))
    assert units == {
        "trade in 2030": "billion yuan",
        "mean coupling": "Dmnl",
        "cumulative growth": "billion yuan",  # a rate integrated over years
        "trade growth": "1",
    }


YEARS = st.sampled_from([2020.0, 2021.5, 2023.0, 2024.25, 2026.0, 2030.0])
HEIGHTS = st.sampled_from([-0.05, 0.0, 0.03, 0.1, 0.25])


@st.composite
def interventions(draw: st.DrawFn) -> list[Step | Ramp | Pulse]:
    items: list[Step | Ramp | Pulse] = []
    for _ in range(draw(st.integers(0, 3))):
        variable = draw(st.sampled_from(["tax incentive", "tariff cut"]))
        kind = draw(st.sampled_from(["step", "ramp", "pulse"]))
        a, b = sorted(draw(st.lists(YEARS, min_size=2, max_size=2, unique=True)))
        height = draw(HEIGHTS)
        if kind == "step":
            items.append(Step(type="step", variable=variable, at=a, by=height))
        elif kind == "ramp":
            items.append(Ramp(type="ramp", variable=variable, start=a, end=b, to=height))
        else:
            items.append(Pulse(type="pulse", variable=variable, start=a, end=b, by=height))
    return items


@settings(max_examples=15, deadline=None)
@given(st.lists(interventions(), min_size=1, max_size=3))
def test_a_batch_member_equals_its_scenario_alone(plans: list[list[Step | Ramp | Pulse]]) -> None:
    base = simulator.load_scenario(BASE)
    others = [variant(base, f"s{i}", *plan) for i, plan in enumerate(plans)]
    ds = simulator.compare_scenarios(base, others).dataset
    for scenario in others:
        alone = simulator.run_scenario(scenario)
        together = ds["trade"].sel(scenario=scenario.name).to_numpy()
        assert np.array_equal(together, alone["trade"].isel(run=0).to_numpy())


def test_scenarios_with_other_time_settings_run_in_their_own_batch(base: Scenario) -> None:
    short = variant(base, "short", TAX).model_copy(
        update={"time": base.time.model_copy(update={"stop": 2026.0})}
    )
    ds = simulator.compare_scenarios(base, [short]).dataset
    trade = ds["trade"].sel(scenario="short").to_numpy()
    assert np.isnan(trade[-1]) and not np.isnan(trade[6])
    alone = simulator.run_scenario(short)["trade"].isel(run=0).to_numpy()
    assert np.array_equal(trade[:7], alone)


def test_two_scenarios_with_one_name_are_refused(base: Scenario) -> None:
    with pytest.raises(ScenarioError, match="two scenarios are named 'fixture baseline'"):
        simulator.compare_scenarios(base, [base])


def test_one_kpi_label_with_two_definitions_is_refused(base: Scenario) -> None:
    other = variant(base, "other").model_copy(
        update={"kpis": (KPI(name="trade in 2030", variable="trade", at=2029),)}
    )
    with pytest.raises(ScenarioError, match="KPI 'trade in 2030' is defined differently"):
        simulator.compare_scenarios(base, [other])


def test_deltas_are_differences_from_the_baseline(base: Scenario) -> None:
    comparison = simulator.compare_scenarios(base, [variant(base, "tax", TAX)])
    deltas = comparison.deltas()
    ds = comparison.dataset
    assert np.all(deltas["trade"].sel(scenario="fixture baseline") == 0)
    expected = ds["trade"].sel(scenario="tax") - ds["trade"].sel(scenario="fixture baseline")
    assert np.array_equal(deltas["trade"].sel(scenario="tax"), expected)
    relative = comparison.deltas(relative=True)["trade"].sel(scenario="tax")
    np.testing.assert_allclose(relative, expected / ds["trade"].sel(scenario="fixture baseline"))


# -- plots and report ------------------------------------------------------------------------------
def test_plots_draw_the_data(base: Scenario) -> None:
    comparison = simulator.compare_scenarios(base, [variant(base, "tax", TAX)])
    ds = comparison.dataset
    overlay = plot_overlay(ds, "trade", baseline="fixture baseline")
    lines = overlay.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["fixture baseline", "tax"]
    assert np.array_equal(lines[1].get_ydata(), ds["trade"].sel(scenario="tax"))
    assert lines[0].get_linestyle() == "--"
    deltas = plot_deltas(ds, "fixture baseline", ["trade"], relative=False)
    line, zero = deltas.axes[0].get_lines()
    assert np.asarray(zero.get_ydata()).tolist() == [0.0, 0.0]
    expected = ds["trade"].sel(scenario="tax") - ds["trade"].sel(scenario="fixture baseline")
    np.testing.assert_array_equal(line.get_ydata(), expected)
    bars = plot_kpis(comparison.kpis, "fixture baseline").axes[0].patches
    relative = comparison.kpis.query("scenario == 'tax'")["relative_delta"] * 100
    np.testing.assert_allclose([b.get_width() for b in bars if isinstance(b, Rectangle)], relative)


def test_the_report_is_self_contained_and_escapes_text(base: Scenario) -> None:
    tricky = variant(base, "<b>tax</b>", TAX).model_copy(
        update={"description": "raises <script>alert(1)</script> & more"}
    )
    comparison = simulator.compare_scenarios(base, [tricky])
    figure = plot_overlay(comparison.dataset, "trade")
    html = render_report(comparison, {"trade": figure}, {"model_hash": base.model_hash})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;tax&lt;/b&gt;" in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 1
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    assert not re.search(r'(src|href)="(http|//|file:)', html)
    assert f'<meta name="model_hash" content="{base.model_hash}">' in html


# -- files: atomic, with provenance ----------------------------------------------------------------
def test_an_interrupted_write_leaves_no_file(tmp_path: Path) -> None:
    def interrupted(path: Path) -> None:
        path.write_text("half of it")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        io.atomic_write(tmp_path / "out.csv", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, toy: xr.Dataset) -> None:
    target = tmp_path / "outputs.nc"
    io.write_netcdf(toy, target, {"model_hash": "old"})
    before = target.read_bytes()

    def broken(self: xr.Dataset, path: Path) -> None:
        Path(path).write_bytes(b"CDF partial")
        raise OSError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xr.Dataset, "to_netcdf", broken)
        with pytest.raises(OSError, match="disk full"):
            io.write_netcdf(toy, target, {"model_hash": "new"})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["outputs.nc"]


def test_every_file_carries_its_provenance(tmp_path: Path, base: Scenario) -> None:
    comparison = simulator.compare_scenarios(base, [variant(base, "tax", TAX)])
    meta = io.provenance(comparison.dataset)
    assert meta["model_hash"] == base.model_hash
    assert meta["package_version"] == simulator.__version__
    assert f"fixture baseline={base.digest}" in meta["scenario_hash"]
    io.write_csv(comparison.kpis, tmp_path / "kpis.csv", meta)
    header = [line for line in (tmp_path / "kpis.csv").read_text().splitlines() if line[0] == "#"]
    assert f"# model_hash: {base.model_hash}" in header
    back = pd.read_csv(tmp_path / "kpis.csv", comment="#")
    assert np.array_equal(back["value"], comparison.kpis["value"])  # full precision
    io.write_netcdf(comparison.dataset, tmp_path / "outputs.nc", meta)
    with xr.open_dataset(tmp_path / "outputs.nc") as stored:
        assert stored.attrs["model_hash"] == base.model_hash
        assert stored.attrs["scenario_hash"] == meta["scenario_hash"]
        assert np.array_equal(stored["trade"], comparison.dataset["trade"])
    io.write_png(plot_overlay(comparison.dataset, "trade"), tmp_path / "trade.png", meta)
    with Image.open(tmp_path / "trade.png") as image:
        assert image.text["model_hash"] == base.model_hash  # type: ignore[attr-defined]


def test_writers_are_chosen_by_suffix(tmp_path: Path) -> None:
    io.write({"a": 1}, tmp_path / "x.json", {"model_hash": "h"})
    assert '"model_hash": "h"' in (tmp_path / "x.json").read_text()
    with pytest.raises(ValueError, match=r"no writer for '\.xlsx'"):
        io.write(pd.DataFrame(), tmp_path / "x.xlsx", {})


# -- the policy scenarios of the flagship model ----------------------------------------------------
SCENARIOS = HERE.parent / "scenarios"
POLICIES = sorted(p for p in SCENARIOS.glob("*.yaml") if p.name != "baseline.yaml")


def test_every_policy_file_says_what_it_represents() -> None:
    names = {p.stem for p in POLICIES}
    assert names == {
        "tax_incentives",
        "export_tariff_cut",
        "customs_simplification",
        "cbec_promotion",
        "cluster_management_innovation",
        "combined_package",
    }
    for path in [SCENARIOS / "baseline.yaml", *POLICIES]:
        scenario = simulator.load_scenario(path)
        assert len(scenario.description) > 150, path.name


def test_the_combined_package_is_the_single_policies_together() -> None:
    combined = simulator.load_scenario(SCENARIOS / "combined_package.yaml")
    singles = [
        i
        for p in POLICIES
        if p.stem != "combined_package"
        for i in simulator.load_scenario(p).interventions
    ]
    assert len(combined.interventions) == len(singles) == 5
    together = sorted(str(i.model_dump(exclude={"note"})) for i in combined.interventions)
    assert together == sorted(str(i.model_dump(exclude={"note"})) for i in singles)


def test_comparing_every_policy_with_the_baseline() -> None:
    baseline = simulator.load_scenario(SCENARIOS / "baseline.yaml")
    comparison = simulator.compare_scenarios(baseline, POLICIES)
    delta = comparison.kpis.set_index(["kpi", "scenario"])["relative_delta"]
    singles = [simulator.load_scenario(p).name for p in POLICIES if p.stem != "combined_package"]
    for name in singles:
        assert delta[("D in 2035", name)] > 0, name
        assert delta[("CBEC total trade in 2035", name)] > 0, name
    best_single = max(delta[("CBEC total trade in 2035", name)] for name in singles)
    assert delta[("CBEC total trade in 2035", "combined package")] > best_single
