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

# Lever -> a typical policy value (documented in models/README.md).
LEVERS = {
    "tax incentive for cluster firms": 0.2,
    "export tariff cut": 0.02,
    "customs simplification": 1.0,
    "CBEC promotion": 1.0,
    "cluster management innovation": 1.0,
}
LEVER_START = 2025.0

# Behavioural parameters whose values are uncertain (models/README.md, column "uncertain").
UNCERTAIN = (
    "epidemic online demand boost",
    "trade war tariff burden",
    "base export tariff burden",
    "rival response elasticity",
    "rival response time",
    "pilot zone approval rate",
    "share elasticity to competitiveness",
    "seller capability elasticity",
    "network reach coefficient",
    "market development time",
    "network elasticity to CBEC trade",
    "network depreciation fraction",
    "network construction time",
    "normal CBEC firm entry fraction",
    "CBEC firm exit fraction",
    "CBEC firm attraction elasticity to agglomeration",
    "maximum promotion effect on CBEC entry",
    "entry elasticity to policy environment",
    "import elasticity to pilot zones",
    "import elasticity to service network",
    "import elasticity to clearance time",
    "cluster firm birth fraction",
    "cluster greenfield entry",
    "cluster firm exit fraction",
    "cluster sourcing share",
    "cluster entry elasticity to margin",
    "cluster entry elasticity to factor cost",
    "maximum governance gain",
    "service organisation formation time",
    "customisation share of CBEC exports",
    "transformation elasticity to customisation demand",
    "normal transformation capacity",
    "transformation pressure half saturation",
    "transformation obsolescence fraction",
    "capital elasticity to after tax margin",
    "efficiency elasticity to knowledge",
    "efficiency elasticity to services",
    "efficiency elasticity to agglomeration",
    "talent per CBEC firm",
    "talent per transformed cluster firm",
    "talent attrition fraction",
    "normal talent hiring time",
    "maximum promotion gain in recruitment",
    "technology upgrading fraction",
    "technology obsolescence fraction",
    "absorptive elasticity to transformation",
    "knowledge elasticity to CBEC trade",
    "knowledge elasticity to talent",
    "knowledge obsolescence fraction",
    "congestion cost coefficient",
    "congestion exponent",
    "information cost elasticity",
    "base logistics and payment cost rate",
    "base customs cost rate",
    "network cost elasticity",
    "agglomeration elasticity of trade cost",
    "price elasticity of competitiveness",
    "product elasticity to technology",
    "product elasticity to transformation",
    "R1 loop gain",
    "R2 loop gain",
    "R3 loop gain",
    "R4 loop gain",
)
# Exogenous trends: scenario drivers, not feedback structure.
DRIVERS = (
    "world consumer spending growth rate",
    "online adoption rate",
    "digital technology frontier growth rate",
    "rival catch up rate",
    "domestic import demand growth rate",
    "other cluster order growth rate",
)

# Fit of the baseline to models/data (statistics from simulator.analysis.fit), as in the README.
PINNED_FIT = {
    # (variable, status filter): (n, MAPE %, max APE %, U^M, U^S, U^C)
    ("CBEC total trade", "reported"): (5, 0.759052, 1.229070, 0.000214, 0.074906, 0.924880),
    ("CBEC total trade", None): (6, 0.771123, 1.229070, 0.008907, 0.015251, 0.975842),
    ("CBEC exports", "reported"): (2, 0.683594, 0.953215, 0.153014, 0.846986, 0.000000),
    ("CBEC exports", None): (4, 0.837680, 1.242977, 0.029250, 0.363947, 0.606802),
    ("CBEC imports", None): (4, 1.795226, 3.299596, 0.003700, 0.149186, 0.847114),
    ("pilot zones", None): (5, 5.471705, 9.418351, 0.003719, 0.006990, 0.989291),
}


@pytest.fixture(scope="module")
def model() -> simulator.Model:
    return simulator.load_model(MODEL_PATH)


@pytest.fixture(scope="module")
def baseline(model: simulator.Model) -> xr.Dataset:
    outputs = [*KEY_OUTPUTS, "pilot zones"]
    return simulator.simulate(model, outputs=outputs)


def _data() -> pd.DataFrame:
    frames = [pd.read_csv(DATA / "cbec_trade.csv"), pd.read_csv(DATA / "pilot_zones.csv")]
    data = pd.concat(frames, ignore_index=True)
    return data[data["time"] >= 2018.0]


def _at(ds: xr.Dataset, name: str, time: float) -> np.ndarray:
    """Values of ``name`` at ``time`` for every run, shape (n_runs,)."""
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
    assert t.time_step in (0.125, 0.0625) and t.saveper in (0.25, 1.0)


def test_names_are_unique_ignoring_case_spaces_and_underscores() -> None:
    names = re.findall(r"^([^\s~|*{\\][^=~|]*?)\s*=", MODEL_PATH.read_text(), flags=re.M)
    canonical = [re.sub(r"[\s_]+", "_", n.strip().lower()) for n in names]
    assert len(canonical) > 200
    assert len(canonical) == len(set(canonical))


def test_coupling_identities(baseline: xr.Dataset) -> None:
    u1 = baseline["CBEC development index U1"].values
    u2 = baseline["cluster development index U2"].values
    c = baseline["coupling degree C"].values
    t = baseline["comprehensive index T"].values
    d = baseline["coupling coordination degree D"].values
    np.testing.assert_allclose(c, 2 * np.sqrt(u1 * u2) / (u1 + u2), rtol=1e-12)
    np.testing.assert_allclose(t, 0.5 * u1 + 0.5 * u2, rtol=1e-12)
    np.testing.assert_allclose(d, np.sqrt(c * t), rtol=1e-12)
    # 2018: barely coordinated (0.5-0.6); 2035: intermediate coordination (0.7-0.8).
    assert 0.5 <= _at(baseline, "coupling coordination degree D", 2018.0)[0] < 0.6
    assert 0.7 <= _at(baseline, "coupling coordination degree D", 2035.0)[0] < 0.8


# ---------------------------------------------------------------- calibration


def test_baseline_fits_the_customs_data(baseline: xr.Dataset) -> None:
    data = _data()
    time = baseline["time"].values
    for (variable, status), pinned in PINNED_FIT.items():
        rows = data[data["variable"] == variable]
        if status is not None:
            rows = rows[rows["status"] == status]
        simulated = np.interp(rows["time"], time, baseline[variable].values[0])
        stats = fit_statistics(rows["value"].to_numpy(), simulated)
        n, mape, max_ape, um, us, uc = pinned
        assert stats.n == n
        got = (stats.mape, stats.max_ape, stats.theil.um, stats.theil.us, stats.theil.uc)
        np.testing.assert_allclose(got, (mape, max_ape, um, us, uc), atol=2e-6, err_msg=variable)
    trade = PINNED_FIT[("CBEC total trade", "reported")]
    assert trade[1] <= 5.0 and trade[2] <= 10.0  # acceptance: MAPE <= 5 %, each point <= 10 %
    assert PINNED_FIT[("CBEC exports", None)][2] <= 10.0
    assert PINNED_FIT[("pilot zones", None)][2] <= 15.0


# ---------------------------------------------------------------- numerical and extreme conditions


def test_halving_time_step_changes_key_outputs_by_less_than_one_percent(
    model: simulator.Model, baseline: xr.Dataset
) -> None:
    half = simulator.simulate(model, outputs=list(KEY_OUTPUTS), time_step=model.time.time_step / 2)
    for name in KEY_OUTPUTS:
        a = baseline[name].values[0]
        b = half[name].sel(time=baseline["time"]).values[0]
        assert np.max(np.abs(b - a) / np.abs(a)) < 0.01, name


@pytest.mark.slow
def test_extreme_conditions(model: simulator.Model) -> None:
    variants: list[dict[str, float]] = [{}]
    for name in UNCERTAIN + DRIVERS:
        default = model[name].value
        assert default is not None and default > 0, name
        variants += [{name: 0.0}, {name: 10.0 * default}]
    variants += [{lever: 0.0} for lever in LEVERS]
    variants += [{lever: 10.0 * value} for lever, value in LEVERS.items()]
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
    assert ds["markets reached"].values.max() <= model["maximum market reach"].value
    # An empty cluster regrows from greenfield entry.
    empty = ds["cluster firms"].values[-1]
    assert empty[0] == 0.0 and empty[-1] > 200.0


# ---------------------------------------------------------------- policy levers and loops


def test_each_lever_moves_trade_u2_and_d_up_after_its_start(model: simulator.Model) -> None:
    variants: list[dict[str, float]] = [{}] + [{lever: v} for lever, v in LEVERS.items()]
    ds = simulator.simulate(model, _batch(model, variants), outputs=list(KEY_OUTPUTS))
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
                assert g > 1e-4, f"{lever} does not raise {name} in {year}: {g:.2e}"


def test_cutting_each_loop_weakens_its_behaviour(model: simulator.Model) -> None:
    loops = {
        "R1 loop gain": ("cluster transformation level", "product competitiveness"),
        "R2 loop gain": ("markets reached", "CBEC service network"),
        "R3 loop gain": ("absorbed CBEC knowledge", "cluster efficiency"),
        "R4 loop gain": ("CBEC firms", "cluster attraction of CBEC firms"),
    }
    variants: list[dict[str, float]] = [{}] + [{gain: 0.0} for gain in loops]
    outputs = sorted(
        {"CBEC total trade", "CBEC exports", *(v for pair in loops.values() for v in pair)}
    )
    ds = simulator.simulate(model, _batch(model, variants), outputs=outputs)
    for run, (gain, carried) in enumerate(loops.items(), start=1):
        for name in (*carried, "CBEC exports", "CBEC total trade"):
            cut, base = _at(ds, name, 2035.0)[run], _at(ds, name, 2035.0)[0]
            assert cut < base * (1 - 1e-3), f"{gain} = 0 does not weaken {name}: {cut} vs {base}"
        # The reinforcing loop speeds up growth: trade grows less from 2023 to 2035 without it.
        growth = _at(ds, "CBEC total trade", 2035.0) / _at(ds, "CBEC total trade", 2023.0)
        assert growth[run] < growth[0], gain


def test_balancing_loops_bound_growth(model: simulator.Model, baseline: xr.Dataset) -> None:
    trade = baseline["CBEC total trade"]
    growth = (trade.shift(time=-4) / trade - 1.0).dropna("time").values[0]  # one-year growth
    years = trade["time"].values[: growth.size]
    early = growth[(years >= 2023.5) & (years <= 2024.5)].mean()
    late = growth[years >= 2033.0].mean()
    assert 0.08 < early < 0.16 and late < 0.06 and late < 0.5 * early  # S-shaped, not exponential
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
