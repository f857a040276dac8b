"""Array models: dimensions in the IR and results, PySD's columns, the batch contract, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.engine.compile import build_plan
from simulator.engine.plan import Axis, Fixed, Load, NodeKind, Reduce
from simulator.model.pysd_adapter import run_reference

FIXTURES = Path(__file__).resolve().parent / "models"
ARRAY_FIXTURES = ["arrays_1d.mdl", "arrays_2d.mdl", "aging_chain.mdl", "arrays_functions.mdl"]


@pytest.mark.pysd
@pytest.mark.parametrize("file", ARRAY_FIXTURES)
def test_every_element_matches_pysd_columns(file: str) -> None:
    """Our flat frame has PySD's own column names, and every column agrees (rel 1e-9)."""
    model = simulator.load_model(FIXTURES / file)
    ours = simulator.to_pysd_frame(simulator.simulate(model))
    names = [
        e.name for e in model.elements.values() if e.kind.value in ("stock", "flow", "auxiliary")
    ]
    time = model.time
    (reference,) = run_reference(
        FIXTURES / file,
        [{}],
        names,
        {"final_time": time.final_time, "time_step": time.time_step, "saveper": time.saveper},
    )
    assert sorted(ours.columns) == sorted(reference.columns)
    assert any("[" in c for c in ours.columns)
    for column in reference.columns:
        np.testing.assert_allclose(
            ours[column].to_numpy(),
            reference[column].to_numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg=column,
        )


def test_dimensions_in_the_ir() -> None:
    model = simulator.load_model(FIXTURES / "arrays_2d.mdl")
    assert model.dimensions["Region"].elements == ("North", "South", "East", "West")
    assert model.dimensions["Coastal"].parent == "Region"
    assert model.dimensions["Industry Group"].mapping == ("Sector",)
    assert model["capital"].dims == ("Region", "Sector")
    assert model["coastal capital"].dims == ("Coastal",)
    assert model["industry capital"].dims == ()
    port = model["port bonus"]
    assert [d.subscripts for d in port.definitions] == [("Region",), ("Coastal",)]
    assert port.definitions[0].excepted == (("Coastal",),)
    assert port.equation is None  # two definitions: read them from .definitions
    records = {r["name"]: r for r in model.describe()}
    assert records["capital"]["dims"] == ("Region", "Sector")
    assert "dimensions Region(4), Coastal(2)" in repr(model)
    assert model.labels(model["coastal capital"]) == [
        "coastal capital[North]",
        "coastal capital[East]",
    ]


def test_results_carry_dimension_names_and_labels() -> None:
    model = simulator.load_model(FIXTURES / "arrays_2d.mdl")
    ds = simulator.simulate(model, outputs=["capital", "transposed", "industry capital"])
    assert ds["capital"].dims == ("run", "time", "Region", "Sector")
    assert ds["transposed"].dims == ("run", "time", "Sector", "Region")
    assert ds["industry capital"].dims == ("run", "time")
    assert ds["Sector"].values.tolist() == ["farming", "industry", "services"]
    capital = ds["capital"].isel(run=0)
    # the transposed view is the capital over each sector's total, axes swapped
    share = capital / capital.sum("Region")
    np.testing.assert_allclose(
        ds["transposed"].isel(run=0).transpose("time", "Region", "Sector").values,
        share.values,
        rtol=1e-12,
    )
    # the EXCEPT list: coastal regions get the bonus, the others do not
    bonus = simulator.simulate(model, outputs=["investment"])["investment"].isel(run=0, time=0)
    weighted = np.array([[10, 30, 24], [12, 27, 20], [8, 45, 17.6], [15, 22.5, 12]])
    rates = np.array([0.1, 0.12, 0.08])
    expected = weighted * rates * np.array([1.2, 1.0, 1.2, 1.0])[:, None]
    np.testing.assert_allclose(bonus.values, expected, rtol=1e-12)


def test_aging_chain_conserves_people_but_for_births_and_deaths() -> None:
    """Aging moves people between cohorts; only births and the older cohorts' deaths count."""
    model = simulator.load_model(FIXTURES / "aging_chain.mdl")
    ds = simulator.simulate(model, saveper=0.25)
    people = ds["people"].isel(run=0)
    births = ds["births"].isel(run=0)
    deaths = ds["deaths"].isel(run=0).sel(Cohort=["adult", "old"]).sum("Cohort")
    change = people.sum("Cohort").diff("time").values
    np.testing.assert_allclose(change, ((births - deaths) * 0.25).values[:-1], rtol=1e-10)
    assert people.sel(Cohort="young").values[0] == 500.0
    assert people.sel(Cohort="old").values[0] == 300.0


def test_plan_index_maps_for_subranges_mappings_and_fixed_elements() -> None:
    model = simulator.load_model(FIXTURES / "arrays_2d.mdl")
    plan = build_plan(model, outputs=())
    node = plan.nodes[plan.slots["weighted_output"]]
    assert node.kind is NodeKind.EXPR and node.shape == (4, 3)
    loads = {a.slot: a for a in node.expr.args if isinstance(a, Load)}  # type: ignore[union-attr]
    weight = loads[plan.slots["group_weight"]]
    assert weight.index == (Axis(1),)  # Industry Group runs with Sector through the mapping
    coastal = plan.nodes[plan.slots["coastal_capital"]].expr
    assert isinstance(coastal, Reduce) and coastal.op == "sum" and coastal.sizes == (3,)
    inner = coastal.arg
    assert isinstance(inner, Load) and inner.index == (Axis(0, (0, 2)), Axis(1))
    fixed = plan.nodes[plan.slots["industry_capital"]].expr
    assert Load(plan.slots["capital"], (Fixed(3), Fixed(1))) in fixed.args  # type: ignore[union-attr]
    port = plan.nodes[plan.slots["port_bonus"]]
    assert port.kind is NodeKind.PIECES
    assert [(p.targets, p.sources) for p in port.pieces] == [((1, 3), (1, 3)), ((0, 2), None)]


def test_array_batch_equals_each_member_alone_bit_for_bit() -> None:
    model = simulator.load_model(FIXTURES / "arrays_functions.mdl")
    params = {"product mix": np.array([0.3, 0.5, 0.7, 0.55])}
    for method in ("euler", "rk4"):
        batch = simulator.simulate(model, params, method=method)
        assert np.ptp(batch["largest demand"].values[:, -1]) > 0  # the runs really differ
        for r in range(4):
            alone = simulator.simulate(
                model, {"product mix": params["product mix"][r : r + 1]}, method=method
            )
            for name in batch.data_vars:
                assert np.array_equal(
                    batch[name].values[r], alone[name].values[0], equal_nan=True
                ), (method, name)


@pytest.mark.pysd
def test_whole_array_constant_set_from_params_matches_pysd() -> None:
    model = simulator.load_model(FIXTURES / "arrays_1d.mdl")
    ours = simulator.simulate(model, {"growth rate": 0.04, "life expectancy": 30.0})
    reference = simulator.simulate(
        model, {"growth rate": 0.04, "life expectancy": 30.0}, engine="pysd"
    )
    for name in ours.data_vars:
        np.testing.assert_allclose(
            ours[name].values, reference[name].values, rtol=1e-9, err_msg=name
        )
    assert np.allclose(ours["births"].isel(time=0).values, 4.0)


@pytest.mark.parametrize(
    ("equations", "fragments"),
    [
        ("x[Region] = y[Other]\n~~|\ny[Other] = 1\n~~|", ["'x'", "'Other'", "left-hand side"]),
        ("x = SUM(y[Other])\n~~|\ny[Other] = 1\n~~|", ["'x'", "'Other'"]),
        ("x[Region] = y[Region!]\n~~|\ny[Region] = 1\n~~|", ["'x'", "outside SUM"]),
        (
            "x[Region] = y[Region]\n~~|\ny[Region, Other] = 1\n~~|",
            ["'x'", "1 subscripts", "it has 2"],
        ),
        ("x[Region] = Region\n~~|", ["'x'", "used as a number"]),
        ("x[Region] = VECTOR RANK(y[Region], 1)\n~~|\ny[Region] = 1\n~~|", ["'x'", "VECTOR RANK"]),
    ],
)
def test_subscripts_that_do_not_fit_are_refused_at_load(
    tmp_path: Path, equations: str, fragments: list[str]
) -> None:
    path = tmp_path / "bad.mdl"
    path.write_text(
        "{UTF-8}\nRegion: r1, r2\n~~|\nOther: o1, o2, o3\n~~|\n"
        + equations
        + "\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n"
    )
    with pytest.raises(simulator.UnsupportedConstructError) as info:
        simulator.load_model(path)
    for fragment in fragments:
        assert fragment in str(info.value)
