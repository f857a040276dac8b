"""Executors on this machine: throughput of ``processes`` against ``local``, and client memory.

1. Throughput: 200,000 runs of the CBEC model (a Monte Carlo sample of the ten
   parameters, and the seven targets, of ``scenarios/sweeps/cbec_sobol.yaml``;
   2018-2035 at dt 0.125), run as ``cbec-sd sensitivity`` runs it: through
   :func:`simulator.run_sweep` into a chunk store on disk, then analysed. It
   is timed on ``local`` (this process), on ``processes`` including the start
   of its cluster (what a user waits for), and on ``processes`` with the
   cluster already running; for each, the whole sweep and its execution
   phase alone (chunks through the executor into the store: what the
   executor changes). Each round first measures how much faster two bare
   processes run a chunk than one: the ceiling of any executor on this
   machine at that moment (2.0 on two idle cores; less when other work
   shares them). Rounds alternate the order of the three sweeps; speed-ups
   are taken within a round, and the verdict is on their median.
   ``--method latin`` samples a Latin hypercube instead (SALib takes 2 s to
   draw 200,000 rows, in the client, whatever the executor).
2. Client memory: a Sobol' sweep of 3 parameters with N = 131,072, so
   N (2 d + 2) = 1,048,576 runs, of one output (CBEC total trade) at 20
   quarterly times, on ``processes``, streamed to a store and analysed (S1,
   ST, S2 with bootstrap intervals for 20 targets) and saved, in a fresh
   process that reports its peak resident memory (``VmHWM``: everything,
   libraries included); with ``--trace``, a second run under ``tracemalloc``
   also reports the peak of Python's own allocations, numpy's included.

Usage: ``python benchmarks/executors.py [--part throughput|memory|all] [--repeat K]
[--method monte_carlo|latin] [--trace]``.
Targets: ``processes`` at least 1.6x the throughput of ``local`` on 2 cores;
client peak memory under 1 GB for 1,000,000 runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import simulator
from simulator.analysis import sensitivity
from simulator.executors import Executor, ProcessesExecutor
from simulator.sweep import plan_cases

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "scenarios" / "sweeps" / "cbec_sobol.yaml"
THROUGHPUT_RUNS = 200_000
TARGET_SPEEDUP = 1.6
TARGET_MEMORY_MB = 1024.0


def throughput_sweep(method: str = "monte_carlo") -> simulator.Sweep:
    """200,000 runs of the CBEC Sobol' sweep's parameters and outputs."""
    return simulator.load_sweep(SWEEP).replace(method=method, n=THROUGHPUT_RUNS)


def memory_sweep() -> simulator.Sweep:
    """1,048,576 runs, one output at 20 quarterly times 2030.25-2035."""
    sweep = simulator.load_sweep(SWEEP)
    return sweep.replace(
        name="one output, a million runs",
        n=2**17,
        parameters=sweep.parameters[:3],
        outputs=[{"variable": "CBEC total trade", "at": [2030 + q / 4 for q in range(1, 21)]}],
    )


def timed_sweep(sweep: simulator.Sweep, executor: str | Executor) -> tuple[float, float]:
    """Seconds for one sweep into a fresh store, analysis included, and for its execution."""
    with tempfile.TemporaryDirectory() as folder, timed_step("_execute") as execution:
        start = time.perf_counter()
        simulator.run_sweep(sweep, executor=executor, store=folder, quiet=True)
        return time.perf_counter() - start, execution[0]


@contextlib.contextmanager
def timed_step(name: str) -> Iterator[list[float]]:
    """Time a step of :func:`simulator.run_sweep` (a function of ``simulator.sweep.execution``).

    The benchmark reaches into the sweep's internals here, to separate what the executor
    changes (running chunks) from what it does not (sampling, analysis).
    """
    from simulator.sweep import execution

    seconds = [0.0]
    step = getattr(execution, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            seconds[0] += time.perf_counter() - start

    setattr(execution, name, timed)
    try:
        yield seconds
    finally:
        setattr(execution, name, step)


def _bare_chunks(barrier: Any, queue: Any, repeats: int) -> None:
    """In a fresh process: run one chunk of the throughput sweep ``repeats`` times, timed."""
    sweep = throughput_sweep().replace(n=8192)
    job = plan_cases(sweep)[0].job
    X = sensitivity.sample(sweep.problem, sweep.method, sweep.n, seed=1)
    job(X[:64])  # compile
    barrier.wait()
    start = time.perf_counter()
    for _ in range(repeats):
        job(X)
    queue.put(time.perf_counter() - start)


def parallel_ceiling(repeats: int = 3) -> float:
    """How much faster two bare processes run chunks than one, on this machine, now.

    Each process runs the same chunk ``repeats`` times; the ratio is two processes' work
    over one's, per second. 2.0 on two idle cores; less while other work shares them.
    No executor can beat it.
    """
    context = multiprocessing.get_context("spawn")

    def slowest(n: int) -> float:
        barrier, queue = context.Barrier(n), context.Queue()
        processes = [
            context.Process(target=_bare_chunks, args=(barrier, queue, repeats)) for _ in range(n)
        ]
        for process in processes:
            process.start()
        seconds = max(queue.get() for _ in processes)
        for process in processes:
            process.join()
        return seconds

    return 2 * slowest(1) / slowest(2)


def throughput(repeat: int, method: str) -> None:
    sweep = throughput_sweep(method)
    workers = os.cpu_count() or 1
    print(
        f"throughput: {sweep.n_runs:,} CBEC runs, {sweep.method} sample ({len(sweep.parameters)} "
        f"parameters, {len(sweep.outputs)} outputs), chunks of {sweep.chunk_size}, {workers} cores"
    )
    simulator.run_sweep(sweep.replace(n=500), quiet=True)  # load and cache the model
    labels = ("local", "processes", "processes, warm")
    rounds = []
    for index in range(repeat):
        ceiling = parallel_ceiling()
        times: dict[str, tuple[float, float]] = {}
        # Alternate the order, so that a slow spell of the shared machine does not always
        # fall on the same executor.
        for label in labels if index % 2 == 0 else labels[::-1]:
            if label == "local":
                times[label] = timed_sweep(sweep, "local")
            elif label == "processes":
                times[label] = timed_sweep(sweep, "processes")
            else:
                with ProcessesExecutor() as executor:
                    simulator.run_sweep(sweep.replace(n=2 * workers), executor=executor, quiet=True)
                    times[label] = timed_sweep(sweep, executor)
        rounds.append((ceiling, times))
        shown = "  ".join(f"{k} {times[k][0]:.1f} s ({times[k][1]:.1f} s)" for k in labels)
        print(f"  round {len(rounds)}: two bare processes {ceiling:.2f}x one;  {shown}")
    print(
        f"  {'':<16} {'whole sweep: median':>20} {'x local':>8}   "
        f"{'execution: runs/s':>18} x local (each round)"
    )
    for label in labels:
        whole = statistics.median(t[label][0] for _, t in rounds)
        run = statistics.median(t[label][1] for _, t in rounds)
        whole_x = "/".join(f"{t['local'][0] / t[label][0]:.2f}" for _, t in rounds)
        run_x = "/".join(f"{t['local'][1] / t[label][1]:.2f}" for _, t in rounds)
        print(
            f"  {label:<16} {whole:18.1f} s  {whole_x:>16}   {sweep.n_runs / run:14,.0f}   {run_x}"
        )
    ceilings = "/".join(f"{c:.2f}" for c, _ in rounds)
    print(f"  two bare processes against one, each round: {ceilings}")
    for label in labels[1:]:
        for position, what in enumerate(("whole sweep", "execution")):
            ratios = [t["local"][position] / t[label][position] for _, t in rounds]
            speedup = statistics.median(ratios)
            verdict = "meets" if speedup >= TARGET_SPEEDUP else "MISSES"
            print(
                f"  {label}, {what}: median {speedup:.2f}x (range {min(ratios):.2f}-"
                f"{max(ratios):.2f}) {verdict} the {TARGET_SPEEDUP}x target"
            )


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MiB.

    Linux's ``VmHWM`` counts this program only; ``ru_maxrss``, the fallback,
    starts from the parent's peak in a process started by fork and exec.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(trace: bool) -> dict[str, Any]:
    """Run the million-run sweep in this (fresh) process; report its peak memory."""
    sweep = memory_sweep()
    baseline_mb = peak_rss_mb()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, timed_step("analyse_outputs") as analysis:
        result = simulator.run_sweep(
            sweep, executor="processes", store=Path(folder) / "chunks", quiet=True
        )
        ran = time.perf_counter() - start
        result.save(Path(folder) / "out")
        disk_mb = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    tracemalloc.stop()
    values = result["CBEC total trade"]["value"]
    return {
        "runs": sweep.n_runs,
        "times": values.sizes["time"],
        "values_mb": values.nbytes / 2**20,
        "seconds": ran,
        "analysis_seconds": analysis[0],
        "seconds_with_save": time.perf_counter() - start,
        "disk_mb": disk_mb,
        "baseline_rss_mb": baseline_mb,
        "peak_rss_mb": peak_rss_mb(),
        "peak_traced_mb": traced_mb,
    }


def memory(trace: bool) -> None:
    reports = []
    for traced in (False, True) if trace else (False,):
        command = [sys.executable, __file__, "--memory-child", *(["--trace"] if traced else [])]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
    report = reports[0]
    print(
        f"client memory: {report['runs']:,} runs x 1 output x {report['times']} times "
        f"({report['values_mb']:.0f} MB of values), processes executor"
    )
    print(
        f"  sweep {report['seconds']:.1f} s (of which analysis {report['analysis_seconds']:.1f} s),"
        f" with saving {report['seconds_with_save']:.1f} s; {report['disk_mb']:.0f} MB on disk"
    )
    print(f"  peak RSS of the client            {report['peak_rss_mb']:6.0f} MB")
    print(f"    of which after imports, before the sweep {report['baseline_rss_mb']:4.0f} MB")
    if trace:
        traced = reports[1]
        print(
            f"  peak of traced allocations        {traced['peak_traced_mb']:6.0f} MB "
            f"(another run, under tracemalloc: peak RSS {traced['peak_rss_mb']:.0f} MB)"
        )
    verdict = "meets" if report["peak_rss_mb"] < TARGET_MEMORY_MB else "MISSES"
    print(f"  peak RSS {verdict} the {TARGET_MEMORY_MB:.0f} MB target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["throughput", "memory", "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3, help="throughput rounds")
    parser.add_argument(
        "--method",
        choices=["monte_carlo", "latin"],
        default="monte_carlo",
        help="throughput sample",
    )
    parser.add_argument(
        "--trace", action="store_true", help="also measure Python's allocations (a second run)"
    )
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.trace)))
        return
    if args.part in ("throughput", "all"):
        throughput(args.repeat, args.method)
    if args.part in ("memory", "all"):
        memory(args.trace)


if __name__ == "__main__":
    main()
