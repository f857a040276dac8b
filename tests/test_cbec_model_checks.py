"""Reality checks of the CBEC x industrial-cluster model.

In the spirit of Vensim's Reality Check: each case is a condition imposed on
the model (constants or lookup tables changed from the start) and what must
then follow (a direction against the baseline, or a bound). All cases run as
one batch through the public API (``simulator.simulate``), and every run of
the batch also passes the global checks:

* every variable finite (no NaN, no inf);
* no stock negative;
* every index, score and share within [0, 1];
* halving TIME STEP moves every stock by less than 1 % (of its largest value
  in that run);
* RK4 and Euler differ by less than 2 % on every stock (same measure).

Policy levers (each at its typical value from the start) and loop knock-outs
(each loop's gain at 0) are cases of the same table. The levers' timing (an
intervention takes effect from its own year, through its delay; the same step
two years later has an effect of similar size) is checked through scenario
files in ``tests/test_cbec_model.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import simulator

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "models" / "cbec_cluster.mdl"

#: Every index, score and share of the model: each must stay within [0, 1].
UNIT_INTERVAL = (
    "CBEC development index U1",
    "cluster development index U2",
    "coupling degree C",
    "comprehensive index T",
    "coupling coordination degree D",
    "trade score",
    "CBEC firms score",
    "platform score",
    "logistics score",
    "bonded warehouse score",
    "market reach score",
    "scale score",
    "capital score",
    "transformation score",
    "technology score",
    "efficiency score",
    "service score",
    "China share of reached demand",
    "China share of reached B2C demand",
    "China share of reached B2B demand",
    "CBEC export share",
    "CBEC B2B share of exports",
    "import substitution share",
    "markets reached",
    "B2B markets reached",
    "potential markets reached",
    "maximum market reach",
    "cluster transformation level",
    "pilot zone coverage",
    "foreign online shopping penetration",
    "cluster tax burden",
    "epidemic intensity",
    "trade war intensity",
    "management innovation in practice",
    "delivery reliability",
)

EPIDEMIC = "epidemic intensity table"
TRADE_WAR = "trade war intensity table"


@dataclass(frozen=True)
class Expect:
    """``variable`` in ``year`` must be ``relation`` (``<`` or ``>``) ``factor x reference``.

    ``reference`` is ``"baseline"`` (the same variable in the baseline run) or a number.
    """

    variable: str
    year: float
    relation: str
    reference: float | str = "baseline"
    factor: float = 1.0

    def holds(self, value: float, baseline: float) -> bool:
        ref = self.factor * (baseline if self.reference == "baseline" else float(self.reference))
        return value < ref if self.relation == "<" else value > ref

    def __str__(self) -> str:
        ref = self.reference if self.reference != "baseline" else "the baseline"
        scale = "" if self.factor == 1.0 else f"{self.factor:g} x "
        bound = "0" if self.factor == 0.0 else f"{scale}{ref}"
        return f"{self.variable} in {self.year:g} {self.relation} {bound}"


@dataclass(frozen=True)
class Case:
    """A condition (constants and lookup tables from the start) and what must follow."""

    name: str
    constants: Mapping[str, float] = field(default_factory=dict)
    lookups: Mapping[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)
    expect: tuple[Expect, ...] = ()


def _lt(variable: str, year: float, factor: float = 1.0) -> Expect:
    return Expect(variable, year, "<", factor=factor)


def _gt(variable: str, year: float, factor: float = 1.0) -> Expect:
    return Expect(variable, year, ">", factor=factor)


TRADE = "CBEC total trade"

# The table of cases. The first entries are the perverse behaviours of the model's
# first edition, each now required to go the way the theory says.
CASES = (
    Case(
        "no markets reached at the start: less trade and fewer CBEC firms, not more",
        {"initial markets reached": 0.0},
        expect=(_lt(TRADE, 2035.0), _lt("CBEC firms", 2035.0), _gt("markets reached", 2035.0, 0.5)),
    ),
    Case(
        "trade war at its maximum from 2018: fewer CBEC firms and exports",
        lookups={TRADE_WAR: ((2018.0, 2040.0), (1.0, 1.0))},
        expect=(_lt("CBEC firms", 2035.0), _lt("CBEC exports", 2019.0), _lt(TRADE, 2019.5)),
    ),
    Case(
        "zero talent at the start: transformation slows clearly",
        {"initial CBEC talent pool": 0.0},
        expect=(_lt("cluster transformation rate", 2018.5, 0.85), _lt("CBEC firm entry", 2018.5)),
    ),
    Case(
        "epidemic at full intensity 2020-2030: demand up, capacity and freight hit",
        lookups={
            EPIDEMIC: (
                (2018.0, 2019.99, 2020.0, 2030.0, 2030.01, 2040.0),
                (0.0, 0.0, 1.0, 1.0, 0.0, 0.0),
            )
        },
        expect=(
            _gt("global B2C cross border online demand", 2025.0),
            _lt("cluster production capacity", 2025.0),
            _gt("logistics cost rate", 2025.0),
            _lt("delivery reliability", 2025.0),
        ),
    ),
    Case(
        "no epidemic at all: lower trade in 2021 (the calibrated demand shift dominates)",
        lookups={EPIDEMIC: ((2018.0, 2040.0), (0.0, 0.0))},
        expect=(_lt(TRADE, 2021.5), _gt("delivery reliability", 2021.5)),
    ),
    Case(
        "no factor capacity: a crowded cluster, finite, shrinking",
        {"cluster factor capacity": 0.0},
        expect=(_lt("cluster firms", 2035.0), _gt("factor cost index", 2020.0, 10.0)),
    ),
    Case(
        "no pilot zones at the start: none are ever approved, fewer imports",
        {"initial pilot zones": 0.0},
        expect=(Expect("pilot zones", 2035.0, "<", 1e-9), _lt("CBEC imports", 2035.0)),
    ),
    Case(
        "negative customs lever (slower clearance): less trade, finite",
        {"customs clearance hours cut": -100.0},
        expect=(_lt(TRADE, 2030.0), _gt("customs clearance time", 2030.0)),
    ),
    Case(
        "customs lever at 150 times its typical value: effect bounded by the clearance floor",
        {"customs clearance hours cut": 2400.0},
        expect=(_gt(TRADE, 2030.0), _lt(TRADE, 2035.0, 1.15)),
    ),
    Case(
        "tariff cut of 100 points: bounded by a zero tariff",
        {"export tariff points cut": 100.0},
        expect=(_gt(TRADE, 2030.0), _lt(TRADE, 2035.0, 1.3)),
    ),
    Case(
        "income tax waived in full: bounded by a zero tax",
        {"enterprise income tax points waived": 100.0},
        expect=(_gt("cluster firms", 2035.0), _lt("cluster firms", 2035.0, 1.5)),
    ),
    Case(
        "income tax raised to 100 %: no margin, the cluster shrinks",
        {"enterprise income tax points waived": -75.0},
        expect=(_lt("cluster firms", 2035.0, 0.9), _lt("cluster transformation level", 2035.0)),
    ),
    Case(
        "promotion budget of 1000 billion RMB a year: bounded effect",
        {"CBEC promotion budget": 1000.0},
        expect=(_gt(TRADE, 2030.0), _lt(TRADE, 2035.0, 1.5)),
    ),
    Case(
        "management innovation share above 1: treated as full coverage, bounded",
        {"share of clusters adopting management innovation": 10.0},
        expect=(_gt("cluster development index U2", 2030.0), _lt(TRADE, 2035.0, 1.3)),
    ),
    Case(
        "no cluster firms at the start: the cluster regrows",
        {"initial cluster firms": 0.0},
        expect=(Expect("cluster firms", 2035.0, ">", 100.0), _lt("CBEC exports", 2022.0)),
    ),
    Case(
        "no CBEC firms at the start: greenfield entry restarts the sector",
        {"initial CBEC firms": 0.0},
        expect=(_gt("CBEC firms", 2035.0, 0.2), _lt("CBEC exports", 2025.0)),
    ),
    Case(
        "China has no share of reached demand: no exports",
        {"China share of reached demand 2018": 0.0},
        expect=(Expect("CBEC exports", 2035.0, "<", 1e-12), _lt(TRADE, 2035.0)),
    ),
    Case(
        "no foreign online demand: no exports",
        {
            "global B2C cross border online demand 2018": 0.0,
            "global B2B cross border online demand 2018": 0.0,
        },
        expect=(Expect("CBEC exports", 2035.0, "<", 1e-12), _lt("cluster firms", 2035.0)),
    ),
    Case(
        "no transformed firms at the start: transformation restarts",
        {"initial transformation level": 0.0},
        expect=(_gt("cluster transformation level", 2035.0, 0.5), _lt(TRADE, 2023.0)),
    ),
    Case(
        "no productive capital at the start: delivery fails, then capacity is rebuilt",
        {"initial capital per cluster firm": 0.0},
        expect=(
            _lt("CBEC exports", 2018.5, 0.5),
            _gt("cluster productive capital", 2035.0, 0.6),
        ),
    ),
    Case(
        "the epidemic stops all cluster production: exports fall in 2021",
        {"epidemic supply disruption": 1.0},
        expect=(_lt("CBEC exports", 2021.0, 0.5),),
    ),
    Case(
        "no RCEP concession: fewer exports once it would phase in",
        {"RCEP tariff concession": 0.0},
        expect=(_lt("CBEC exports", 2030.0), _gt("effective B2B export tariff", 2030.0)),
    ),
    Case(
        "no Belt and Road build-out: fewer markets reached",
        {"Belt and Road reach gain": 0.0},
        expect=(_lt("markets reached", 2035.0), _lt(TRADE, 2035.0)),
    ),
    Case(
        "no import substitution possible: more imports, fewer cluster orders",
        {"maximum import substitution share": 0.0, "import substitution share 2018": 0.0},
        expect=(
            _gt("CBEC imports", 2035.0),
            Expect("domestic substitution orders", 2035.0, "<", 1e-12),
        ),
    ),
    Case(
        "no trade-war tariff on B2B exports: more B2B exports, B2C barely moved",
        {"trade war tariff on B2B exports": 0.0},
        expect=(_gt("CBEC B2B exports", 2025.0, 1.02), _lt("CBEC B2C exports", 2025.0, 1.01)),
    ),
    Case(
        "no congestion (B2): a larger cluster",
        {"congestion cost coefficient": 0.0},
        expect=(_gt("cluster firms", 2035.0),),
    ),
    Case(
        "rivals do not respond (B5): a higher Chinese share",
        {"rival response elasticity": 0.0},
        expect=(_gt("China share of reached demand", 2035.0),),
    ),
    Case(
        "online shopping abroad saturates at 100 %: more trade, shares still within [0, 1]",
        {"online shopping penetration ceiling": 1.0},
        expect=(_gt(TRADE, 2035.0),),
    ),
    *(
        Case(
            f"{lever} at {value:g} from the start: more trade, higher U2 and D",
            {lever: value},
            expect=(
                _gt(TRADE, 2030.0),
                _gt("cluster development index U2", 2030.0),
                _gt("coupling coordination degree D", 2030.0),
                _gt("fiscal cost of levers", 2030.0, 0.0),
            ),
        )
        for lever, value in (
            ("enterprise income tax points waived", 5.0),
            ("export tariff points cut", 2.0),
            ("customs clearance hours cut", 16.0),
            ("CBEC promotion budget", 5.0),
            ("share of clusters adopting management innovation", 0.5),
        )
    ),
    Case(
        "cut R1 (CBEC leads cluster transformation)",
        {"R1 loop gain": 0.0},
        expect=(_lt("cluster transformation level", 2035.0), _lt(TRADE, 2035.0)),
    ),
    Case(
        "cut R2 (CBEC widens geographic reach)",
        {"R2 loop gain": 0.0},
        expect=(
            _lt("markets reached", 2035.0),
            _lt("CBEC service network", 2035.0),
            _lt(TRADE, 2035.0),
        ),
    ),
    Case(
        "cut R3 (CBEC improves cluster effectiveness)",
        {"R3 loop gain": 0.0},
        expect=(
            _lt("absorbed CBEC knowledge", 2035.0),
            _lt("cluster efficiency", 2035.0),
            _lt(TRADE, 2035.0),
        ),
    ),
    Case(
        "cut R4 (clusters support CBEC)",
        {"R4 loop gain": 0.0},
        expect=(
            _lt("cluster attraction of CBEC firms", 2035.0),
            _lt("CBEC firms", 2035.0),
            _lt(TRADE, 2035.0),
        ),
    ),
    Case(
        "cut R6 (imports build bonded warehouses)",
        {"R6 loop gain": 0.0},
        expect=(_lt("bonded warehouse capacity", 2035.0), _lt("CBEC imports", 2035.0)),
    ),
)


def _lookup_arrays(
    model: simulator.Model, cases: tuple[Case, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-run tables on a shared x grid: the union of every case's points, shape (n_runs, n_x)."""
    tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in sorted({name for case in cases for name in case.lookups}):
        default = model[name].table
        assert default is not None, name
        paths = [case.lookups.get(name, (default.x, default.y)) for case in cases]
        grid = np.unique(np.concatenate([np.asarray(x, dtype=float) for x, _ in paths]))
        ys = np.array([np.interp(grid, x, y) for x, y in paths])
        tables[name] = (grid, ys)
    return tables


def _parameters(model: simulator.Model, cases: tuple[Case, ...]) -> dict[str, np.ndarray]:
    names = sorted({name for case in cases for name in case.constants})
    params: dict[str, np.ndarray] = {}
    for name in names:
        default = model[name].value
        assert default is not None, f"{name} is not a constant"
        params[name] = np.array([case.constants.get(name, default) for case in cases])
    return params


def _variables(model: simulator.Model) -> list[str]:
    kinds = (
        simulator.ElementKind.STOCK,
        simulator.ElementKind.FLOW,
        simulator.ElementKind.AUXILIARY,
    )
    return [e.name for e in model.elements.values() if e.kind in kinds]


@pytest.fixture(scope="module")
def model() -> simulator.Model:
    return simulator.load_model(MODEL_PATH)


@pytest.fixture(scope="module")
def runs(model: simulator.Model) -> dict[str, xr.Dataset]:
    """The baseline (run 0) and every case, with Euler, Euler at dt/2 and RK4."""
    cases = (Case("baseline"), *CASES)
    kwargs = {
        "params": _parameters(model, cases),
        "lookups": _lookup_arrays(model, cases),
        "outputs": _variables(model),
    }
    dt = model.time.time_step
    return {
        "euler": simulator.simulate(model, **kwargs),  # type: ignore[arg-type]
        "half": simulator.simulate(model, **kwargs, time_step=dt / 2),  # type: ignore[arg-type]
        "rk4": simulator.simulate(model, **kwargs, method="rk4"),  # type: ignore[arg-type]
    }


def test_the_table_has_at_least_25_cases() -> None:
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)
    assert all(case.expect for case in CASES)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_case(runs: dict[str, xr.Dataset], index: int) -> None:
    case, ds = CASES[index], runs["euler"]
    for expect in case.expect:
        values = ds[expect.variable].interp(time=expect.year).values
        value, baseline = float(values[index + 1]), float(values[0])
        assert expect.holds(value, baseline), (
            f"{case.name}: {expect} fails ({value:.6g} vs {baseline:.6g})"
        )


def test_every_run_is_finite(runs: dict[str, xr.Dataset]) -> None:
    for method, ds in runs.items():
        for name in ds.data_vars:
            values = ds[name].values
            bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
            assert bad.size == 0, f"{name} is not finite in runs {bad.tolist()} ({method})"


def test_no_stock_is_negative(model: simulator.Model, runs: dict[str, xr.Dataset]) -> None:
    for method, ds in runs.items():
        for stock in model.stocks:
            low = ds[stock.name].values.min(axis=1)
            assert low.min() >= 0.0, (
                f"{stock.name} < 0 in runs {np.flatnonzero(low < 0)} ({method})"
            )


def test_every_index_and_share_is_within_zero_and_one(runs: dict[str, xr.Dataset]) -> None:
    ds = runs["euler"]
    for name in UNIT_INTERVAL:
        values = ds[name].values
        assert values.min() >= 0.0 and values.max() <= 1.0 + 1e-12, (
            f"{name} leaves [0, 1]: [{values.min()}, {values.max()}]"
        )


def _worst_gap(model: simulator.Model, a: xr.Dataset, b: xr.Dataset) -> tuple[float, str, int]:
    """Largest |a - b| over time, relative to max |a| in that run, over stocks and runs."""
    worst = (0.0, "", -1)
    for stock in model.stocks:
        x = a[stock.name].values
        y = b[stock.name].sel(time=a["time"]).values
        scale = np.maximum(np.abs(x).max(axis=1), 1e-9)
        gap = np.abs(x - y).max(axis=1) / scale
        run = int(gap.argmax())
        if gap[run] > worst[0]:
            worst = (float(gap[run]), stock.name, run)
    return worst


def test_halving_the_time_step_moves_every_stock_by_less_than_one_percent(
    model: simulator.Model, runs: dict[str, xr.Dataset]
) -> None:
    gap, stock, run = _worst_gap(model, runs["euler"], runs["half"])
    assert gap < 0.01, f"{stock} moves {gap:.2%} in run {run} when TIME STEP is halved"


def test_rk4_and_euler_agree_within_two_percent_on_every_stock(
    model: simulator.Model, runs: dict[str, xr.Dataset]
) -> None:
    gap, stock, run = _worst_gap(model, runs["euler"], runs["rk4"])
    assert gap < 0.02, f"{stock} differs by {gap:.2%} between RK4 and Euler in run {run}"


# ---------------------------------------------------------------- coupling coordination

U1_PANEL = ("trade", "CBEC firms", "platform", "logistics", "bonded warehouse", "market reach")
U2_PANEL = ("scale", "capital", "transformation", "technology", "efficiency", "service")


def _entropy_weights(scores: np.ndarray) -> np.ndarray:
    """Entropy weights of indicators, ``scores`` of shape (n_years, n_indicators)."""
    p = scores / scores.sum(axis=0)
    entropy = -(p * np.log(p)).sum(axis=0) / np.log(scores.shape[0])
    return (1.0 - entropy) / (1.0 - entropy).sum()


def test_index_weights_are_the_entropy_weights_of_the_baseline_panel(
    model: simulator.Model,
) -> None:
    """The documented weights are what the entropy method gives on the 2018-2023 panel."""
    outputs = [f"{name} score" for name in U1_PANEL + U2_PANEL]
    ds = simulator.simulate(model, outputs=outputs)
    years = np.arange(2018.5, 2024.0, 1.0)
    for index, panel in (("U1", U1_PANEL), ("U2", U2_PANEL)):
        scores = np.array([[float(ds[f"{n} score"].sel(time=y)[0]) for n in panel] for y in years])
        weights = np.array([model[f"{index} weight of {n}"].value for n in panel], dtype=float)
        assert abs(weights.sum() - 1.0) < 1e-9
        np.testing.assert_allclose(weights, _entropy_weights(scores), atol=2e-3, err_msg=index)


def test_coupling_degree_moves_when_one_subsystem_outpaces_the_other(
    model: simulator.Model,
) -> None:
    """C = 2 sqrt(E) / (1 + E) with E = U2 / U1: flat near E = 1, clearly lower when one lags.

    The baseline's subsystems end level (C near 1); freezing the cluster's transformation
    lets CBEC run ahead, freezing foreign demand growth lets the cluster run ahead.
    """
    variants: tuple[dict[str, float], ...] = (
        {},
        {"normal transformation capacity": 0.0},
        {"online adoption rate": 0.0, "world consumer spending growth rate": 0.0},
    )
    names = sorted({name for v in variants for name in v})
    params = {n: np.array([v.get(n, model[n].value) for v in variants]) for n in names}
    ds = simulator.simulate(
        model, params, outputs=["coupling degree C", "relative development degree E"]
    )
    c = ds["coupling degree C"].sel(time=2035.0).values
    e = ds["relative development degree E"].sel(time=2035.0).values
    np.testing.assert_allclose(c, 2 * np.sqrt(e) / (1 + e), rtol=1e-12)
    assert abs(e[0] - 1.0) < 0.1 and c[0] > 0.99  # balanced baseline
    assert e[1] < 0.5 and c[1] < 0.9  # the cluster lags: C falls
    assert e[2] > 1.8 and c[2] < 0.95  # CBEC lags: C falls
