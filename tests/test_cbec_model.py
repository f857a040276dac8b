"""Structural and calibration tests of the CBEC x industrial-cluster model.

Everything runs through the public API (``simulator.load_model`` and
``simulator.simulate``); each family of variants is one batched call.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

import simulator
from simulator.analysis.fit import fit_statistics

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "models" / "cbec_cluster.mdl"
DATA = ROOT / "models" / "data"

KEY_OUTPUTS = (
    "CBEC total trade",
    "CBEC exports",
    "CBEC imports",
    "CBEC development index U1",
    "cluster development index U2",
    "coupling degree C",
    "comprehensive index T",
    "coupling coordination degree D",
)
INDICES = KEY_OUTPUTS[3:]
SUBSYSTEMS = ("CBEC", "industrial cluster", "production factors & products", "external environment")

# Lever -> a typical policy value in its physical units (documented in models/README.md).
LEVERS = {
    "enterprise income tax points waived": 5.0,  # percentage points: 25 % -> 20 %
    "export tariff points cut": 2.0,  # percentage points of export value
    "customs clearance hours cut": 16.0,  # hours, a third of the normal 48
    "CBEC promotion budget": 5.0,  # billion RMB a year
    "share of clusters adopting management innovation": 0.5,  # share of cluster firms
}
LEVER_START = 2025.0

# Behavioural parameters whose values are uncertain (models/README.md, column "uncertain").
UNCERTAIN = (
    "epidemic online demand boost",
    "epidemic supply disruption",
    "epidemic freight cost increase",
    "trade war tariff on B2B exports",
    "trade war tariff on B2C exports",
    "RCEP tariff concession",
    "Belt and Road reach gain",
    "base export tariff burden",
    "rival response elasticity",
    "rival response time",
    "pilot zone approval rate",
    "share elasticity to competitiveness",
    "seller capability elasticity",
    "network reach coefficient",
    "market development time",
    "platform elasticity to CBEC trade",
    "platform depreciation fraction",
    "platform construction time",
    "logistics elasticity to CBEC exports",
    "logistics depreciation fraction",
    "logistics construction time",
    "bonded warehouse elasticity to imports",
    "bonded warehouse elasticity to pilot zones",
    "bonded warehouse depreciation fraction",
    "bonded warehouse construction time",
    "normal CBEC firm entry fraction",
    "CBEC greenfield entry",
    "CBEC firm exit fraction",
    "CBEC firm attraction elasticity to agglomeration",
    "maximum promotion effect on CBEC entry",
    "maximum B2B promotion effect",
    "entry elasticity to policy environment",
    "import elasticity to pilot zones",
    "import elasticity to bonded warehouses",
    "import elasticity to clearance time",
    "import substitution elasticity",
    "cluster firm birth fraction",
    "cluster greenfield entry",
    "cluster firm exit fraction",
    "cluster sourcing share",
    "cluster entry elasticity to margin",
    "cluster entry elasticity to factor cost",
    "capital depreciation fraction",
    "capital adjustment time",
    "capital elasticity to after tax margin",
    "capital deepening elasticity of transformation",
    "maximum governance gain",
    "service organisation formation time",
    "customisation share of CBEC exports",
    "transformation elasticity to customisation demand",
    "normal transformation capacity",
    "transformation pressure half saturation",
    "transformation obsolescence fraction",
    "efficiency elasticity to knowledge",
    "efficiency elasticity to services",
    "efficiency elasticity to agglomeration",
    "talent per CBEC firm",
    "talent per transformed cluster firm",
    "talent attrition fraction",
    "normal talent hiring time",
    "maximum promotion gain in recruitment",
    "maximum competition effect on absorption",
    "technology upgrading fraction",
    "technology obsolescence fraction",
    "absorptive elasticity to transformation",
    "knowledge elasticity to CBEC trade",
    "knowledge elasticity to talent",
    "knowledge obsolescence fraction",
    "congestion cost coefficient",
    "congestion exponent",
    "information cost elasticity",
    "base logistics cost rate",
    "base platform and payment cost rate",
    "base customs cost rate",
    "network cost elasticity",
    "agglomeration elasticity of trade cost",
    "price elasticity of competitiveness",
    "product elasticity to technology",
    "product elasticity to transformation",
    "tax perception time",
    "tariff cut implementation time",
    "customs implementation time",
    "promotion response time",
    "management innovation adoption time",
    "R1 loop gain",
    "R2 loop gain",
    "R3 loop gain",
    "R4 loop gain",
    "R6 loop gain",
)
# Exogenous trends: scenario drivers, not feedback structure.
DRIVERS = (
    "world consumer spending growth rate",
    "online adoption rate",
    "digital technology frontier growth rate",
    "rival catch up rate",
    "domestic import demand growth rate",
    "other cluster order growth rate",
    "B2B online procurement growth rate",
)

# Fit of the baseline to models/data (statistics from simulator.analysis.fit), as in the README.
# (variable, vintage): (n, MAPE %, max APE %, U^M, U^S, U^C)
FIRST, NEXT, COUNTS = "first release", "next-year release", "State Council approvals"
PINNED_FIT = {
    ("CBEC total trade", FIRST): (5, 1.682711, 3.130434, 0.060824, 0.200469, 0.738708),
    ("CBEC exports", FIRST): (2, 1.883158, 2.333905, 0.069708, 0.930292, 0.000000),
    ("CBEC imports", FIRST): (2, 0.892673, 1.334134, 0.812313, 0.187687, 0.000000),
    ("CBEC total trade", NEXT): (4, 3.372554, 4.356596, 0.019064, 0.750520, 0.230416),
    ("CBEC exports", NEXT): (2, 1.616915, 2.260324, 0.181976, 0.818024, 0.000000),
    ("CBEC imports", NEXT): (2, 4.653853, 6.834986, 0.193866, 0.031096, 0.775038),
    ("pilot zones", COUNTS): (5, 5.644710, 9.450278, 0.010107, 0.012105, 0.977788),
}


@pytest.fixture(scope="module")
def model() -> simulator.Model:
    return simulator.load_model(MODEL_PATH)


@pytest.fixture(scope="module")
def baseline(model: simulator.Model) -> xr.Dataset:
    outputs = [*KEY_OUTPUTS, "pilot zones", "relative development degree E"]
    return simulator.simulate(model, outputs=outputs)


def _data() -> pd.DataFrame:
    frames = [pd.read_csv(DATA / "cbec_trade.csv"), pd.read_csv(DATA / "pilot_zones.csv")]
    data = pd.concat(frames, ignore_index=True)
    return data[data["time"] >= 2018.0]


def _at(ds: xr.Dataset, name: str, time: float) -> np.ndarray:
    """Values of ``name`` at ``time`` for every run (or scenario), shape (n,)."""
    return np.asarray(ds[name].sel(time=time).values, dtype=float)


def _batch(model: simulator.Model, variants: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """One parameter array per name: run ``i`` takes ``variants[i]``, else the model default."""
    names = sorted({name for variant in variants for name in variant})
    params: dict[str, np.ndarray] = {}
    for name in names:
        default = model[name].value
        assert default is not None, f"{name} is not a constant"
        params[name] = np.array([v.get(name, default) for v in variants], dtype=float)
    return params


def _scenario(folder: Path, name: str, interventions: list[dict[str, object]]) -> Path:
    """A scenario file of the model (no ``extends``) with ``interventions``."""
    path = folder / f"{name}.yaml"
    text = yaml.safe_dump(
        {
            "name": name,
            "model": str(MODEL_PATH),
            "outputs": [*KEY_OUTPUTS, "fiscal cost of levers"],
            "interventions": interventions,
        }
    )
    path.write_text(text)
    return path


def _compare(folder: Path, scenarios: dict[str, list[dict[str, object]]]) -> xr.Dataset:
    """Run a baseline and ``scenarios`` (name -> interventions) in one batch.

    Returns
    -------
    xarray.Dataset
        Dims ``scenario`` (baseline first) and ``time``.
    """
    base = _scenario(folder, "baseline", [])
    others = [_scenario(folder, name, items) for name, items in scenarios.items()]
    return simulator.compare_scenarios(base, others).dataset


def _step(lever: str, at: float, to: float) -> list[dict[str, object]]:
    return [{"variable": lever, "type": "step", "at": at, "to": to}]


# ---------------------------------------------------------------- structure and documentation


def test_groups_units_and_documentation(model: simulator.Model) -> None:
    groups = {e.group for e in model.elements.values()}
    assert set(SUBSYSTEMS) <= groups
    assert groups - set(SUBSYSTEMS) <= {"coupling coordination", "Control", ""}
    for element in model.elements.values():
        if element.ident in {"initial_time", "final_time", "time_step", "saveper"}:
            continue
        assert element.units.strip(), f"{element.name} has no units"
        assert element.documentation.strip(), f"{element.name} has no documentation"
        assert element.group in (*SUBSYSTEMS, "coupling coordination"), element.name
    for constant in model.constants:
        if constant.ident in {"initial_time", "final_time", "time_step", "saveper"}:
            continue
        doc = constant.documentation
        assert re.search(r"assumed:|Source:|calibrated to", doc), f"{constant.name}: {doc}"
    for name in (*LEVERS, *UNCERTAIN, *DRIVERS):
        assert model[name].value is not None, name
    for lever in LEVERS:
        assert model[lever].value == 0.0, f"{lever} must be 0 in the baseline"
    t = model.time
    assert (t.initial_time, t.final_time) == (2018.0, 2035.0)
    assert t.time_step == 0.0625 and t.saveper == 0.25


def test_indices_use_fixed_references_and_levers_have_no_start_year() -> None:
    text = MODEL_PATH.read_text()
    assert "INITIAL(" not in text.upper()  # no index divided by a run's own initial value
    assert "start year" not in text.lower()  # lever timing belongs to scenario files
    assert "STEP(" not in text.upper()
    for lever in LEVERS:  # each lever acts through a SMOOTH3 or DELAY3
        uses = [
            line
            for line in text.splitlines()
            if re.search(rf"\b{re.escape(lever)}\b", line)
            and ("SMOOTH3" in line or "DELAY3" in line)
        ]
        assert uses or lever == "enterprise income tax points waived", lever
    assert "SMOOTH3(cluster after tax margin index" in text  # the tax lever's perception delay


def test_names_are_unique_ignoring_case_spaces_and_underscores() -> None:
    names = re.findall(r"^([^\s~|*{\\][^=~|(]*?)\s*(?:=|\()", MODEL_PATH.read_text(), flags=re.M)
    canonical = [re.sub(r"[\s_]+", "_", n.strip().lower()) for n in names]
    assert len(canonical) > 300
    assert len(canonical) == len(set(canonical))


def test_coupling_identities(baseline: xr.Dataset) -> None:
    u1 = baseline["CBEC development index U1"].values
    u2 = baseline["cluster development index U2"].values
    c = baseline["coupling degree C"].values
    t = baseline["comprehensive index T"].values
    d = baseline["coupling coordination degree D"].values
    e = baseline["relative development degree E"].values
    np.testing.assert_allclose(c, 2 * np.sqrt(u1 * u2) / (u1 + u2), rtol=1e-12)
    np.testing.assert_allclose(t, 0.5 * u1 + 0.5 * u2, rtol=1e-12)
    np.testing.assert_allclose(d, np.sqrt(c * t), rtol=1e-12)
    np.testing.assert_allclose(c, 2 * np.sqrt(e) / (1 + e), rtol=1e-12)
    # 2018: mild disorder (0.3-0.4); 2035: intermediate coordination (0.7-0.8).
    assert 0.3 <= _at(baseline, "coupling coordination degree D", 2018.0)[0] < 0.4
    assert 0.7 <= _at(baseline, "coupling coordination degree D", 2035.0)[0] < 0.8
    # The cluster leads at first (E > 1) and CBEC catches up, so C rises towards 1.
    assert e[0, 0] > 1.3 and abs(e[0, -1] - 1.0) < 0.1
    assert c[0, -1] > c[0, 0]


# ---------------------------------------------------------------- data and calibration


def test_data_files_have_one_vintage_per_series_and_a_named_source() -> None:
    data = _data()
    assert set(data["vintage"]) == {FIRST, NEXT, COUNTS}
    for (variable, vintage), rows in data.groupby(["variable", "vintage"]):
        assert rows["time"].is_unique, f"{variable} ({vintage}) has two values at one time"
        assert rows["units"].nunique() == 1
    for source in data["source"]:
        assert re.search(r"GACC|General Administration of Customs|State Council", source), source
    derived = data[data["status"] == "derived"]
    assert all(s.startswith("derived") for s in derived["source"])
    # A derived next-year level equals the later release's level over its reported growth.
    trade = data[(data["variable"] == "CBEC total trade")].set_index(["vintage", "year"])["value"]
    for year, growth in ((2020, 0.15), (2021, 0.098), (2022, 0.156)):
        implied = trade[(FIRST, year + 1)] / (1 + growth)
        assert abs(trade[(NEXT, year)] - implied) < 5e-4, year


def test_baseline_fits_the_customs_data(baseline: xr.Dataset) -> None:
    data = _data()
    time = baseline["time"].values
    for (variable, vintage), pinned in PINNED_FIT.items():
        rows = data[(data["variable"] == variable) & (data["vintage"] == vintage)]
        simulated = np.interp(rows["time"], time, baseline[variable].values[0])
        stats = fit_statistics(rows["value"].to_numpy(), simulated)
        n, mape, max_ape, um, us, uc = pinned
        assert stats.n == n
        got = (stats.mape, stats.max_ape, stats.theil.um, stats.theil.us, stats.theil.uc)
        np.testing.assert_allclose(got, (mape, max_ape, um, us, uc), atol=2e-6, err_msg=variable)
    trade = PINNED_FIT[("CBEC total trade", FIRST)]
    assert trade[1] <= 3.0 and trade[2] <= 5.0  # acceptance: MAPE <= 3 %, worst point <= 5 %
    assert PINNED_FIT[("CBEC exports", FIRST)][1] <= 3.0
    assert PINNED_FIT[("pilot zones", COUNTS)][2] <= 15.0


# ---------------------------------------------------------------- extreme conditions


@pytest.mark.slow
def test_extreme_conditions(model: simulator.Model) -> None:
    variants: list[dict[str, float]] = [{}]
    for name in UNCERTAIN + DRIVERS:
        default = model[name].value
        assert default is not None and default > 0, name
        variants += [{name: 0.0}, {name: 10.0 * default}]
    variants += [{lever: 10.0 * value} for lever, value in LEVERS.items()]
    variants += [{lever: -10.0 * value} for lever, value in LEVERS.items()]
    variants.append({"initial cluster firms": 0.0})
    stocks = [s.name for s in model.stocks]
    outputs = sorted({*stocks, *KEY_OUTPUTS, "China share of reached demand", "markets reached"})
    ds = simulator.simulate(model, _batch(model, variants), outputs=outputs)
    first_driver = 1 + 2 * len(UNCERTAIN)
    drivers = slice(first_driver, first_driver + 2 * len(DRIVERS))
    for name in outputs:
        values = ds[name].values  # shape (n_runs, n_times); run 0 is the baseline
        assert np.all(np.isfinite(values)), f"{name} is not finite"
        if name in stocks:
            assert values.min() >= 0.0, f"stock {name} goes negative"
        # No runaway: within 20x the baseline's largest value, except under 10x exogenous trends.
        peak = np.abs(values).max(axis=1)
        peak[drivers] = 0.0
        assert peak.max() <= 20.0 * peak[0], f"{name} explodes in run {int(peak.argmax())}"
    for name in INDICES:
        assert ds[name].values.min() >= 0.0 and ds[name].values.max() <= 1.0, name
    share = ds["China share of reached demand"].values
    assert share.min() >= 0.0 and share.max() <= 1.0
    assert ds["markets reached"].values.max() <= 1.0
    # An empty cluster regrows from greenfield entry.
    empty = ds["cluster firms"].values[-1]
    assert empty[0] == 0.0 and empty[-1] > 200.0


# ---------------------------------------------------------------- policy levers


def test_each_lever_moves_trade_u2_and_d_up_from_when_it_starts(tmp_path: Path) -> None:
    ds = _compare(tmp_path, {lever: _step(lever, LEVER_START, v) for lever, v in LEVERS.items()})
    for name in KEY_OUTPUTS:
        before = ds[name].sel(time=slice(None, LEVER_START - 0.25)).values
        np.testing.assert_array_equal(before[1:], np.broadcast_to(before[0], before[1:].shape))
    for name in (
        "CBEC total trade",
        "cluster development index U2",
        "coupling coordination degree D",
    ):
        for year in (2027.0, 2030.0, 2035.0):
            values = _at(ds, name, year)
            gain = values[1:] / values[0] - 1.0
            for lever, g in zip(LEVERS, gain, strict=True):
                assert g > 1e-5, f"{lever} does not raise {name} in {year}: {g:.2e}"
    cost = ds["fiscal cost of levers"]
    assert float(abs(cost.sel(scenario="baseline")).max()) == 0.0
    for lever in LEVERS:
        assert float(cost.sel(scenario=lever, time=2030.0)) > 0.0, f"{lever} costs nothing"
        assert float(cost.sel(scenario=lever, time=2024.0)) == 0.0


def test_an_intervention_takes_effect_from_its_own_year_gradually(tmp_path: Path) -> None:
    """No hidden start-year gate; the same step two years later has an effect of similar size."""
    scenarios: dict[str, list[dict[str, object]]] = {}
    for lever, value in LEVERS.items():
        scenarios[f"{lever} 2020"] = _step(lever, 2020.0, value)
        scenarios[f"{lever} 2022"] = _step(lever, 2022.0, value)
    ds = _compare(tmp_path, scenarios)
    trade = ds["CBEC total trade"]
    base = trade.sel(scenario="baseline")
    for lever in LEVERS:
        early = trade.sel(scenario=f"{lever} 2020") / base - 1.0
        late = trade.sel(scenario=f"{lever} 2022") / base - 1.0
        assert float(abs(early.sel(time=2019.75))) == 0.0
        assert float(early.sel(time=2021.0)) > 1e-6, f"{lever} from 2020 does nothing by 2021"
        # Implementation and perception delays: a quarter after the start the effect is small.
        assert float(early.sel(time=2020.25)) < 0.5 * float(early.sel(time=2023.0)), lever
        # Time-shift consistency: the effect five and eight years after the start is similar.
        for years in (5.0, 8.0):
            a = float(early.sel(time=2020.0 + years))
            b = float(late.sel(time=2022.0 + years))
            assert 0.7 < b / a < 1.4, f"{lever}: {a:.4g} from 2020 vs {b:.4g} from 2022"


def test_the_repository_scenarios_report_trade_gained_per_rmb() -> None:
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    base = ROOT / "scenarios" / "baseline.yaml"
    comparison = simulator.compare_scenarios(base, [f for f in files if f != base])
    kpis = comparison.kpis.set_index(["kpi", "scenario"])
    label = "trade gained per RMB of fiscal cost 2025-2035"
    cost = "fiscal cost 2025-2035"
    for scenario in comparison.kpis["scenario"].unique():
        if scenario == "baseline":
            assert np.isnan(kpis.loc[(label, scenario), "value"])
            assert kpis.loc[(cost, scenario), "value"] == 0.0
            continue
        assert kpis.loc[(cost, scenario), "value"] > 0.0, scenario
        per_rmb = kpis.loc[(label, scenario), "value"]
        gained = kpis.loc[("cumulative CBEC trade 2025-2035", scenario), "absolute_delta"]
        np.testing.assert_allclose(per_rmb, gained / kpis.loc[(cost, scenario), "value"])
        assert per_rmb > 0.0, scenario
    assert kpis.loc[(label, "baseline"), "units"] == "1"


# ---------------------------------------------------------------- loops


def test_cutting_each_loop_weakens_its_behaviour(model: simulator.Model) -> None:
    loops = {
        "R1 loop gain": ("cluster transformation level", "product competitiveness"),
        "R2 loop gain": ("markets reached", "CBEC service network"),
        "R3 loop gain": ("absorbed CBEC knowledge", "cluster efficiency"),
        "R4 loop gain": ("CBEC firms", "cluster attraction of CBEC firms"),
        "R6 loop gain": ("bonded warehouse capacity", "CBEC imports"),
    }
    variants: list[dict[str, float]] = [{}] + [{gain: 0.0} for gain in loops]
    outputs = sorted({"CBEC total trade", *(v for pair in loops.values() for v in pair)})
    ds = simulator.simulate(model, _batch(model, variants), outputs=outputs)
    for run, (gain, carried) in enumerate(loops.items(), start=1):
        for name in (*carried, "CBEC total trade"):
            cut, base = _at(ds, name, 2035.0)[run], _at(ds, name, 2035.0)[0]
            assert cut < base * (1 - 1e-3), f"{gain} = 0 does not weaken {name}: {cut} vs {base}"
        if gain == "R6 loop gain":
            continue  # R6 carries imports, whose growth is slow either way
        # The reinforcing loop speeds up growth: trade grows less from 2023 to 2035 without it.
        growth = _at(ds, "CBEC total trade", 2035.0) / _at(ds, "CBEC total trade", 2023.0)
        assert growth[run] < growth[0], gain


def test_balancing_loops_bound_growth(model: simulator.Model, baseline: xr.Dataset) -> None:
    trade = baseline["CBEC total trade"]
    growth = (trade.shift(time=-4) / trade - 1.0).dropna("time").values[0]  # one-year growth
    years = trade["time"].values[: growth.size]
    early = growth[(years >= 2023.5) & (years <= 2024.5)].mean()
    late = growth[years >= 2033.0].mean()
    assert 0.08 < early < 0.16 and late < 0.07 and late < 0.6 * early  # S-shaped, not exponential
    ds = simulator.simulate(
        model,
        {"congestion cost coefficient": np.array([1.0, 0.0])},
        outputs=["cluster firms", "factor cost index"],
    )
    firms = _at(ds, "cluster firms", 2035.0)
    assert firms[1] > firms[0]  # congestion (B2) restrains cluster growth


# ---------------------------------------------------------------- PySD as the oracle


@pytest.mark.slow
@pytest.mark.pysd
def test_pysd_runs_the_file_without_warnings_and_agrees(
    baseline: xr.Dataset, tmp_path: Path
) -> None:
    pysd = pytest.importorskip("pysd")
    copy = tmp_path / MODEL_PATH.name  # PySD writes its translation next to the file
    shutil.copy(MODEL_PATH, copy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = pysd.read_vensim(str(copy)).run(return_columns=list(KEY_OUTPUTS))
    bad = [str(w.message) for w in caught if "implement" in str(w.message).lower()]
    assert not bad
    for name in KEY_OUTPUTS:
        np.testing.assert_allclose(baseline[name].values[0], out[name].values, rtol=1e-9)
