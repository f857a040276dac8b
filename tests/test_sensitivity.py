"""Sensitivity and uncertainty sweeps: SALib methods on the batched engine.

The reference answers are exact: the Ishigami function has analytic Sobol'
indices, Morris elementary effects of a linear model are its coefficients
times the parameter ranges, and a linear model's policy effect is the same
in every run. Around them: reproducibility (same seed, any chunk size),
typed errors for bad sweep files, saved results, the CLI and the plots.
``notebooks/03_sensitivity.ipynb`` is executed by ``tests/test_notebooks.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from SALib.analyze import sobol as salib_sobol
from sweep_helpers import write_scenarios

import simulator
from simulator import sweep as sweep_module
from simulator.analysis import sensitivity as sa
from simulator.cli import sensitivity as cli_sensitivity

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "models"
BAD = ROOT / "tests" / "bad_sweeps"
PI = float(np.pi)

#: Ishigami (a = 7, b = 0.1), x uniform on [-pi, pi]^3 (Ishigami and Homma 1990).
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]

#: The linear model: Output = 2 a - 3 b + 0.5 c + 0 d; ranges of a..d in these tests.
COEFFICIENTS = {"a": 2.0, "b": -3.0, "c": 0.5, "d": 0.0}
BOUNDS = {"a": (0.0, 2.0), "b": (1.0, 4.0), "c": (-1.0, 1.0), "d": (0.0, 10.0)}


def linear_sweep(method: str, n: int, **changes: object) -> simulator.Sweep:
    spec: dict[str, object] = {
        "model": MODELS / "linear.mdl",
        "method": method,
        "N": n,
        "seed": 11,
        "parameters": [{"name": k, "bounds": list(v)} for k, v in BOUNDS.items()],
        "outputs": [
            {"variable": "Output", "at": [0]},
            {"variable": "Level", "stat": "change", "window": [0, 10]},
        ],
    }
    spec.update(changes)
    return simulator.Sweep.model_validate(spec)


# -- the answers -----------------------------------------------------------------------------------


def test_sobol_on_the_ishigami_model_gives_the_analytic_indices() -> None:
    sweep = simulator.Sweep(
        model=MODELS / "ishigami.mdl",
        method="sobol",
        N=8192,
        seed=2024,
        parameters=[{"name": f"x{i}", "bounds": [-PI, PI]} for i in (1, 2, 3)],
        outputs=[{"variable": "y", "at": [0]}],
    )
    result = simulator.run_sweep(sweep, quiet=True)
    ds = result["y"].sel(scenario="model", time=0.0)
    assert result["y"].sizes["run"] == 8192 * (2 * 3 + 2)
    np.testing.assert_allclose(ds["S1"].values, ISHIGAMI_S1, atol=0.02)
    np.testing.assert_allclose(ds["ST"].values, ISHIGAMI_ST, atol=0.02)
    # x1 and x3 interact (0.1 x3^4 sin x1): S13 = ST3 = 0.244; the other pairs are 0
    s2 = ds["S2"].sel(factor="x1")
    assert s2.sel(factor_j="x3") == pytest.approx(0.2437, abs=0.05)
    assert s2.sel(factor_j="x2") == pytest.approx(0.0, abs=0.05)
    assert np.all(ds["S1_conf"].values < 0.05)


def test_grouped_sobol_on_ishigami_treats_the_group_as_one_factor() -> None:
    # {x1, x2} together explain S1 + S2 + S12 = 0.756 alone and everything but x3's share (0).
    sweep = simulator.Sweep(
        model=MODELS / "ishigami.mdl",
        N=4096,
        seed=5,
        parameters=[
            {"name": "x1", "bounds": [-PI, PI], "group": "x1 and x2"},
            {"name": "x2", "bounds": [-PI, PI], "group": "x1 and x2"},
            {"name": "x3", "bounds": [-PI, PI]},
        ],
        outputs=[{"variable": "y", "at": [0]}],
    )
    ds = simulator.run_sweep(sweep, quiet=True)["y"].isel(scenario=0, time=0)
    assert list(ds["factor"].values) == ["x1 and x2", "x3"]
    np.testing.assert_allclose(ds["S1"].values, [0.3139 + 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(ds["ST"].values, [1.0, 0.2437], atol=0.03)


def test_vectorised_sobol_analysis_equals_salib_target_by_target() -> None:
    problem = sa.Problem(tuple(sa.Factor(f"x{i}", params=(0.0, 1.0)) for i in range(4)))
    X = sa.sample(problem, "sobol", 256, seed=3)
    targets = np.stack([X[:, 0] * X[:, 1] + k * X[:, 2] + np.sin(X[:, 3]) for k in (0, 1, 5)], 1)
    ours = sa.analyse(problem, "sobol", X, targets, seed=17)
    seed = sa._int_seed(17)
    for t in range(targets.shape[1]):
        theirs = salib_sobol.analyze(problem.salib(), targets[:, t], seed=seed)
        for key in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"):
            np.testing.assert_allclose(ours[key][t], theirs[key], rtol=1e-9, atol=1e-12)


def test_constant_target_gets_nan_indices_not_a_warning() -> None:
    problem = sa.Problem((sa.Factor("a"), sa.Factor("b")))
    X = sa.sample(problem, "sobol", 16, seed=1)
    S = sa.analyse(problem, "sobol", X, np.stack([np.full(len(X), 3.0), X[:, 0]], 1), seed=1)
    assert np.isnan(S["S1"][0]).all()
    assert S["S1"][1][0] == pytest.approx(1.0, abs=0.2)


def test_morris_mu_star_on_the_linear_model_is_coefficient_times_range() -> None:
    result = simulator.run_sweep(linear_sweep("morris", 10), quiet=True)
    expected = [abs(COEFFICIENTS[k]) * (hi - lo) for k, (lo, hi) in BOUNDS.items()]
    now = result["Output"].isel(scenario=0, time=0)
    np.testing.assert_allclose(now["mu_star"].values, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(now["sigma"].values, 0.0, atol=1e-9)  # no interactions
    # Level grows by 10 years x Output, so its change over [0, 10] has ten times the effects
    change = result["change of Level 0-10"].isel(scenario=0)
    np.testing.assert_allclose(change["mu_star"].values, 10 * np.array(expected), rtol=1e-9)


@pytest.mark.parametrize(
    ("method", "n", "options"),
    [
        ("sobol", 64, {}),
        ("morris", 6, {}),
        ("fast", 65, {}),
        ("rbd_fast", 129, {}),
        ("delta", 64, {"num_resamples": 5}),
        ("pawn", 100, {}),
    ],
)
def test_every_index_method_finds_the_dominant_parameter(
    method: str, n: int, options: dict
) -> None:
    # b's share of the output variance is 0.83, a's 0.16, c's 0.01, d's 0
    sweep = linear_sweep(method, n, options=options, outputs=[{"variable": "Output", "at": [0]}])
    ds = simulator.run_sweep(sweep, quiet=True)["Output"].isel(scenario=0, time=0)
    headline = sa.METHODS[method].indices[0]
    values = ds[headline].values
    assert np.all(np.isfinite(values))
    assert str(ds["factor"].values[np.argmax(values)]) == "b"


def test_sampled_distributions_have_their_moments() -> None:
    problem = sa.Problem(
        (
            sa.Factor("u", "unif", (2.0, 4.0)),
            sa.Factor("t", "triang", (0.0, 1.0, 4.0)),
            sa.Factor("n", "norm", (10.0, 2.0)),
            sa.Factor("l", "lognorm", (0.0, 0.5)),
        )
    )
    X = sa.sample(problem, "latin", 20000, seed=9)
    np.testing.assert_allclose(X.mean(axis=0), [3.0, 5.0 / 3.0, 10.0, np.exp(0.125)], rtol=0.01)
    assert X[:, 0].min() >= 2.0 and X[:, 0].max() <= 4.0
    assert X[:, 2].std() == pytest.approx(2.0, rel=0.02)


# -- reproducibility -------------------------------------------------------------------------------


def test_same_seed_gives_identical_results_and_another_seed_does_not() -> None:
    sweep = simulator.load_sweep(BAD / "_valid.yaml").replace(n=16)
    first = simulator.run_sweep(sweep, quiet=True)
    again = simulator.run_sweep(sweep, quiet=True)
    other = simulator.run_sweep(sweep.replace(seed=8), quiet=True)
    for key in first.outputs:
        xr.testing.assert_identical(first[key], again[key])
        assert not np.allclose(first[key]["ST"].values, other[key]["ST"].values, equal_nan=True)
    xr.testing.assert_identical(first.samples, again.samples)


def test_another_chunk_size_gives_identical_results() -> None:
    sweep = simulator.load_sweep(BAD / "_valid.yaml").replace(n=16, method="sobol")
    whole = simulator.run_sweep(sweep, quiet=True)
    pieces = simulator.run_sweep(sweep, chunk_size=7, quiet=True)  # 96 runs, a ragged last chunk
    for key in whole.outputs:
        xr.testing.assert_identical(whole[key], pieces[key])


def test_salib_analysers_leave_the_global_random_state_alone() -> None:
    problem = sa.Problem((sa.Factor("a"), sa.Factor("b")))
    X = sa.sample(problem, "fast", 65, seed=4)
    y = X[:, 0] + X[:, 1] ** 2
    np.random.seed(123)  # noqa: NPY002 (the state under test)
    before = np.random.get_state(legacy=False)["state"]  # noqa: NPY002
    first = sa.analyse(problem, "fast", X, y, seed=4)
    after = np.random.get_state(legacy=False)["state"]  # noqa: NPY002
    np.testing.assert_array_equal(before["key"], after["key"])
    assert before["pos"] == after["pos"]
    np.random.seed(999)  # noqa: NPY002 (another global state: same answer)
    second = sa.analyse(problem, "fast", X, y, seed=4)
    np.testing.assert_array_equal(first["S1_conf"], second["S1_conf"])


# -- bad sweep files -------------------------------------------------------------------------------

BAD_FILES = sorted(BAD.glob("[0-9]*.yaml"))


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_sweep_file_gives_a_typed_error_naming_file_line_and_field(path: Path) -> None:
    # Each file's first line says what it expects: "# expect: ErrorType field | message part";
    # the offending line carries the marker "# <- error" (line 1 when it has none).
    header = re.match(r"# expect: (\w+) ?(\S*) \| (.+)", path.read_text().splitlines()[0])
    assert header, f"{path.name} has no '# expect:' header"
    kind, field, fragment = header.groups()
    lines = path.read_text().splitlines()
    line = next((i + 1 for i, text in enumerate(lines) if "# <- error" in text), 1)
    with pytest.raises(simulator.SweepFileError) as caught:
        simulator.run_sweep(simulator.load_sweep(path), quiet=True)
    error = caught.value
    assert type(error).__name__ == kind
    assert isinstance(error, simulator.SweepError)
    assert (error.path, error.line, error.field) == (path, line, field)
    assert str(error).startswith(f"{path}:{line}: ")
    assert fragment in str(error)


def test_python_built_sweep_errors_name_the_field() -> None:
    with pytest.raises(simulator.SweepDistributionError, match=r"^parameters\[1\]\.bounds: "):
        linear_sweep(
            "sobol",
            64,
            parameters=[{"name": "a", "bounds": [0, 1]}, {"name": "b", "bounds": [3, 1]}],
        )
    with pytest.raises(simulator.SweepSchemaError, match=r"^N: Input should be a valid integer"):
        linear_sweep("sobol", "64")  # type: ignore[arg-type]
    with pytest.raises(simulator.SweepSampleSizeError, match="N = 48 is not a power of two"):
        linear_sweep("sobol", 64).replace(n=48)
    with pytest.raises(simulator.SweepSchemaError, match="unknown key 'samples'"):
        linear_sweep("sobol", 64).replace(samples=48)


# -- scenarios, bands and policy effects -----------------------------------------------------------


def test_monte_carlo_bands_and_the_policy_effect_on_the_same_samples(tmp_path: Path) -> None:
    base, policy = write_scenarios(tmp_path)
    sweep = simulator.Sweep(
        scenario=base,
        compare=[policy],
        method="monte_carlo",
        N=200,
        seed=3,
        parameters=[
            {"name": "a", "dist": "norm", "mean": 1.0, "sd": 0.3},
            {"name": "b", "dist": "triang", "bounds": [0.5, 1.5], "mode": 0.8},
        ],
        outputs=[{"variable": "Level", "at": "all"}],
    )
    ds = simulator.run_sweep(sweep, quiet=True)["Level"]
    assert list(ds["scenario"].values) == ["base", "more c", "more c - base"]
    assert list(ds["effect"].values) == [False, False, True]
    values = ds["value"].sel(scenario="base").values
    np.testing.assert_allclose(
        ds["quantile"].sel(scenario="base").values,
        np.percentile(values, [5, 25, 50, 75, 95], axis=0).T,
    )
    # c goes from 1 to 5 from t = 5: Level gains 0.5 x 4 per year after, in every run alike
    effect = ds["quantile"].sel(scenario="more c - base")
    expected = 2.0 * np.clip(ds["time"].values - 5.0, 0.0, None)
    for p in effect["percentile"].values:
        np.testing.assert_allclose(effect.sel(percentile=p).values, expected, atol=1e-9)
    assert simulator.plot_policy_effect(ds).axes[0].get_title().endswith("under uncertainty")


def test_an_intervened_constant_cannot_also_be_uncertain(tmp_path: Path) -> None:
    _, policy = write_scenarios(tmp_path)
    sweep = simulator.Sweep(
        scenario=policy,
        method="latin",
        N=10,
        parameters=[{"name": "c", "bounds": [0, 1]}],
        outputs=[{"variable": "Level", "at": [10]}],
    )
    with pytest.raises(simulator.SweepSchemaError, match="changes 'c' over time"):
        simulator.run_sweep(sweep, quiet=True)


# -- results on disk, CLI, plots, notebook ---------------------------------------------------------


def test_results_are_saved_with_samples_and_provenance(tmp_path: Path) -> None:
    sweep = simulator.load_sweep(BAD / "_valid.yaml").replace(n=8)
    result = simulator.run_sweep(sweep, quiet=True)
    files = result.save(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in files)
    loaded = simulator.SweepResult.load(tmp_path / "out")
    xr.testing.assert_identical(loaded.samples, result.samples)
    for key in result.outputs:
        xr.testing.assert_identical(loaded[key], result[key])
    meta = loaded.provenance
    model_bytes = (MODELS / "teacup.mdl").read_bytes()
    assert meta["model_hash"] == hashlib.sha256(model_bytes).hexdigest()
    assert (meta["seed"], meta["method"], meta["N"], meta["n_runs"]) == (7, "sobol", 8, 48)
    assert meta["sweep_hash"] == simulator.run_sweep(sweep, quiet=True).provenance["sweep_hash"]
    assert (
        meta["sweep_hash"]
        != simulator.run_sweep(sweep.replace(n=16), quiet=True).provenance["sweep_hash"]
    )
    assert loaded.samples["X"].shape == (48, 2)
    assert loaded.sweep == sweep


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli_sensitivity.add_arguments(parser)
    return cli_sensitivity.handler(parser.parse_args(list(argv)))


def test_cli_writes_indices_samples_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    sweep = tmp_path / "sweep.yaml"
    text = (BAD / "_valid.yaml").read_text().replace("N: 64", "N: 8")
    sweep.write_text(text.replace("../models/teacup.mdl", str(MODELS / "teacup.mdl")))
    assert run_cli(str(sweep), "-o", str(tmp_path / "out"), "--quiet") == 0
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"samples.nc", "teacup_temperature.nc", "sweep.json", "summary.csv"} <= names
    plots = sorted(p.name for p in (tmp_path / "out" / "plots").iterdir())
    assert "01_teacup_temperature_indices.png" in plots
    assert "01_teacup_temperature_over_time.png" in plots
    assert capsys.readouterr().out == ""


def test_cli_exits_with_2_and_one_line_on_a_bad_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = BAD / "06_bounds_reversed.yaml"
    assert run_cli(str(bad), "-o", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cbec-sd: error: {bad}:13: parameters[0].bounds: bounds [80, 60]")
    assert err.count("\n") == 1


def test_index_plots_draw_the_indices_and_their_intervals() -> None:
    result = simulator.run_sweep(linear_sweep("morris", 6), quiet=True)
    ds = result["Output"]
    bars = simulator.plot_indices(ds).axes[0].patches
    heights = [round(bar.get_height(), 9) for bar in bars]  # type: ignore[attr-defined]
    expected = ds["mu_star"].isel(scenario=0, time=-1).values
    np.testing.assert_allclose(heights[: len(expected)], expected, atol=1e-9)
    figure = simulator.plot_morris(result["change of Level 0-10"])
    assert [t.get_text() for t in figure.axes[0].texts][:4] == ["a", "b", "c", "d"]
    fan = simulator.plot_fan(ds)
    assert fan.axes[0].get_title().startswith("Output")


def test_a_chunk_job_can_be_shipped_to_another_process() -> None:
    # What a process or Dask executor relies on: a pickled job reloads its model and gives
    # the same numbers.
    sweep = simulator.load_sweep(BAD / "_valid.yaml").replace(n=8)
    job = sweep_module.plan_cases(sweep)[0].job
    block = sa.sample(sweep.problem, "sobol", 8, seed=1)[:5]
    clone = pickle.loads(pickle.dumps(job))
    for key, value in job(block).items():
        np.testing.assert_array_equal(clone(block)[key], value)
