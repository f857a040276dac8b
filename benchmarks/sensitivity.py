"""A Sobol' sweep of the CBEC model against PySD's per-run rate, measured in the same process.

Runs ``scenarios/sweeps/cbec_sobol.yaml``: 10 uncertain parameters, N = 1,024,
so N (2 d + 2) = 22,528 runs of 2018-2035, in chunks through the batched
engine, with Sobol' indices (S1, ST, S2 and bootstrap intervals) of every
output. Prints the wall time of a cold sweep (model and scenario loaded
inside the timing), of a warm one, and of each phase; then times a few runs
of the same parameter sets through ``simulator.simulate(..., engine="pysd")``
and extrapolates PySD's per-run rate to the whole sweep.

Usage: ``python benchmarks/sensitivity.py [--pysd-runs K] [--chunk-size C]``.
Target: the sweep in under 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import simulator
from simulator.analysis import sensitivity

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "scenarios" / "sweeps" / "cbec_sobol.yaml"
TARGET_SECONDS = 10.0
T = TypeVar("T")


def timed(label: str, action: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """Run ``action`` and print how long it took."""
    start = time.perf_counter()
    value = action(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:8.2f} s")
    return value, seconds


def pysd_seconds_per_run(sweep: simulator.Sweep, X: np.ndarray, runs: int) -> float:
    """Mean wall time of one PySD run of the sweep's model at the first ``runs`` samples."""
    if sweep.scenario is not None:
        model = simulator.load_scenario(sweep.scenario).load_model()
    else:
        assert sweep.model is not None
        model = simulator.load_model(sweep.model)
    params = {p.name: X[:runs, i] for i, p in enumerate(sweep.parameters)}
    outputs = [o.variable for o in sweep.outputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulator.simulate(
            model, {k: v[:1] for k, v in params.items()}, outputs=outputs, engine="pysd"
        )  # translation and first-run costs
        start = time.perf_counter()
        simulator.simulate(model, params, outputs=outputs, engine="pysd")
    return (time.perf_counter() - start) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pysd-runs", type=int, default=4, help="PySD runs to time")
    parser.add_argument("--chunk-size", type=int, default=None, help="runs per engine batch")
    args = parser.parse_args()

    sweep = simulator.load_sweep(SWEEP)
    if args.chunk_size:
        sweep = sweep.replace(chunk_size=args.chunk_size)
    print(
        f"{SWEEP.relative_to(ROOT)}: {sweep.method}, {len(sweep.parameters)} parameters, "
        f"N = {sweep.n}, {sweep.n_runs:,} runs, chunk size {sweep.chunk_size}"
    )
    result, cold = timed(
        "sweep, cold (loads model and scenario)", simulator.run_sweep, sweep, quiet=True
    )
    _, warm = timed("sweep, warm", simulator.run_sweep, sweep, quiet=True)

    print("phases (warm):")
    method = sensitivity.get_method(sweep.method)
    X, _ = timed(
        "sample (SALib Sobol' sequence)",
        sensitivity.sample,
        sweep.problem,
        method,
        sweep.n,
        seed=1,
        options=sweep.method_options,
    )
    targets = sum(ds.sizes.get("time", 1) for ds in result.outputs.values())
    Y = np.random.default_rng(0).random((X.shape[0], targets))
    timed(
        f"analyse {targets} targets (S1, ST, S2, CIs)",
        sensitivity.analyse,
        sweep.problem,
        method,
        X,
        Y,
        seed=1,
        options=sweep.method_options,
    )

    per_run = pysd_seconds_per_run(sweep, X, args.pysd_runs)
    pysd_total = per_run * sweep.n_runs
    print(
        f"PySD: {per_run:.3f} s per run ({args.pysd_runs} runs timed) -> "
        f"{pysd_total:,.0f} s = {pysd_total / 3600:.1f} h for {sweep.n_runs:,} runs"
    )
    print(f"speed-up: {pysd_total / warm:,.0f}x warm, {pysd_total / cold:,.0f}x cold")
    verdict = "meets" if cold < TARGET_SECONDS else "MISSES"
    print(f"cold sweep {cold:.2f} s {verdict} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
