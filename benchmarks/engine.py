"""Engine throughput against PySD, measured in the same process.

Prints, for the CBEC model and for a fixture with a lookup, SMOOTH and DELAY3:
runs per second at N = 1, 1,000, 10,000 and 100,000 (one output kept), the
ratio to PySD's per-run rate, and the peak memory of the N = 100,000 batch.
Then times the load and a single run of a generated 100-equation model, and the
same batches of a generated array model with 1,000 elements (a stock, two flows
and a SUM over one dimension of 1,000 regions).

Usage: ``python benchmarks/engine.py [--quick]`` (``--quick`` stops at N = 10,000).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

import simulator

ROOT = Path(__file__).resolve().parent.parent
MODELS = {
    "cbec_cluster": (ROOT / "models" / "cbec_cluster.mdl", "CBEC total trade"),
    "supply_chain": (ROOT / "tests" / "models" / "supply_chain.mdl", "inventory"),
}


def pysd_seconds_per_run(path: Path, repeats: int = 3) -> float:
    """Mean wall time of PySD's ``Model.run`` (translation excluded)."""
    import pysd

    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as scratch:
        warnings.simplefilter("ignore")
        copy = Path(scratch) / path.name
        copy.write_bytes(path.read_bytes())
        model = pysd.read_vensim(str(copy))
        model.run(progress=False)
        start = time.perf_counter()
        for _ in range(repeats):
            model.run(progress=False)
        return (time.perf_counter() - start) / repeats


def varied_constant(model: simulator.Model) -> str:
    """A constant to vary across the batch, so runs really differ."""
    return next(e.name for e in model.constants if e.value)


def batch_rate(model: simulator.Model, output: str, n: int, repeats: int = 3) -> float:
    """Runs per second of one batch of ``n`` runs (best of ``repeats``)."""
    params = _varied(model, n)
    simulator.simulate(model, _varied(model, 1), outputs=[output])  # warm caches
    best = float("inf")
    for _ in range(repeats if n <= 10_000 else 1):
        start = time.perf_counter()
        simulator.simulate(model, params, outputs=[output])
        best = min(best, time.perf_counter() - start)
    return n / best


def batch_peak_memory(model: simulator.Model, output: str, n: int) -> float:
    """Peak memory (bytes, as traced by tracemalloc) of one batch of ``n`` runs.

    Measured apart from the timing: tracing every allocation slows Python down.
    """
    params = _varied(model, n)
    tracemalloc.start()
    simulator.simulate(model, params, outputs=[output])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(peak)


def _varied(model: simulator.Model, n: int) -> dict[str, np.ndarray]:
    name = varied_constant(model)
    base = float(model[name].value or 1.0)
    return {name: np.linspace(0.9 * base, 1.1 * base, n)}


def hundred_equation_model(path: Path) -> None:
    """Write a 100-equation model: 20 stocks, 76 auxiliaries and constants, control."""
    lines = ["{UTF-8}"]
    for i in range(20):
        lines.append(f"stock {i}= INTEG(inflow {i} - outflow {i}, {10 + i})\n\t~ u\n\t~ S.\n\t|")
        lines.append(f"inflow {i}= rate {i} * stock {(i + 1) % 20}\n\t~ u\n\t~ Inflow.\n\t|")
        lines.append(f"outflow {i}= stock {i} / life {i}\n\t~ u\n\t~ Outflow.\n\t|")
        lines.append(f"rate {i}= {0.01 * (i + 1):.2f}\n\t~ u\n\t~ Rate.\n\t|")
        lines.append(f"life {i}= {5 + i}\n\t~ u\n\t~ Life.\n\t|")
    lines.append(
        "INITIAL TIME = 0 ~ Year ~ |\nFINAL TIME = 100 ~ Year ~ |\n"
        "TIME STEP = 0.25 ~ Year ~ |\nSAVEPER = 1 ~ Year ~ |"
    )
    path.write_text("\n".join(lines) + "\n")


def thousand_element_model(path: Path) -> None:
    """Write an array model over 1,000 regions: a stock per region, flows, a SUM."""
    labels = ", ".join(f"r{i}" for i in range(1000))
    rates = ", ".join(f"{0.01 + 0.00004 * i:.5f}" for i in range(1000))
    path.write_text(
        "{UTF-8}\n"
        f"Region: {labels} ~~|\n"
        f"growth rate[Region] = {rates} ~ 1/Year ~|\n"
        "capacity = 5e6 ~ people ~|\n"
        "population[Region] = INTEG(births[Region] - deaths[Region], 1000) ~ people ~|\n"
        "births[Region] = population[Region] * growth rate[Region] * (1 - total / capacity)"
        " ~ people/Year ~|\n"
        "deaths[Region] = population[Region] / life expectancy ~ people/Year ~|\n"
        "life expectancy = 70 ~ Year ~|\n"
        "total = SUM(population[Region!]) ~ people ~|\n"
        "INITIAL TIME = 0 ~~|\nFINAL TIME = 50 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = 1 ~~|\n"
    )


def array_model_batches(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "thousand.mdl"
        thousand_element_model(path)
        model = simulator.load_model(path)
        pysd_rate = 1 / pysd_seconds_per_run(path, repeats=1)
        print("\narray model: 1,000 regions, 200 Euler steps, output 'total'")
        print(f"  PySD: {pysd_rate:.2f} runs/s ({1000 / pysd_rate:.0f} ms per run)")
        print(f"  {'N':>8}  {'runs/s':>10}  {'x PySD':>9}  {'peak MB':>8}")
        for n in sizes:
            rate = batch_rate(model, "total", n, repeats=1)
            peak = batch_peak_memory(model, "total", n)
            print(f"  {n:>8,}  {rate:>10,.0f}  {rate / pysd_rate:>9,.0f}  {peak / 2**20:>8.1f}")


def load_and_single_run() -> None:
    import pysd

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "hundred.mdl"
        hundred_equation_model(path)
        os.environ["CBEC_SD_NO_CACHE"] = "1"  # time the translation, not the cache
        start = time.perf_counter()
        model = simulator.load_model(path)
        ours_load = time.perf_counter() - start
        del os.environ["CBEC_SD_NO_CACHE"]
        simulator.load_model(path)
        start = time.perf_counter()
        simulator.load_model(path)
        cached_load = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            pysd.read_vensim(str(path))
            pysd_load = time.perf_counter() - start
        simulator.simulate(model, outputs=["stock 0"])
        single = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            simulator.simulate(model)
            single = min(single, time.perf_counter() - start)
    print(f"\n100-equation model ({len(model.elements)} elements, 400 Euler steps)")
    print(f"  load, translation included: ours {ours_load:.3f} s, PySD {pysd_load:.3f} s")
    print(f"  load from the model cache: {cached_load * 1000:.1f} ms")
    print(f"  one run (N = 1), every variable kept: {single * 1000:.1f} ms (best of 5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at N = 10,000")
    args = parser.parse_args()
    sizes = [1, 1_000, 10_000] if args.quick else [1, 1_000, 10_000, 100_000]
    for label, (path, output) in MODELS.items():
        if not path.exists():
            print(f"{label}: {path} not found, skipped")
            continue
        model = simulator.load_model(path)
        pysd_rate = 1 / pysd_seconds_per_run(path)
        steps = round((model.time.final_time - model.time.initial_time) / model.time.time_step)
        print(f"\n{label}: {len(model.elements)} elements, {steps} Euler steps, output '{output}'")
        print(f"  PySD: {pysd_rate:.2f} runs/s ({1000 / pysd_rate:.0f} ms per run)")
        print(f"  {'N':>8}  {'runs/s':>10}  {'x PySD':>9}  {'peak MB':>8}")
        for n in sizes:
            rate = batch_rate(model, output, n)
            peak = batch_peak_memory(model, output, n)
            print(f"  {n:>8,}  {rate:>10,.0f}  {rate / pysd_rate:>9,.0f}  {peak / 2**20:>8.1f}")
    load_and_single_run()
    array_model_batches([1, 100, 1_000])


if __name__ == "__main__":
    main()
