"""How long comparing every scenario in ``scenarios/`` with the baseline takes.

Times, in this process: loading and validating the scenario files (the model is
parsed once and cached), running them as one batch with KPIs
(``simulator.compare_scenarios``), the same scenarios run one by one for
reference, and writing every output file. Then times ``cbec-sd compare`` end to
end in a fresh process, as ``make demo`` runs it (imports included).

The target is that comparing (loading + batch run + KPIs) takes under 5 s.

Usage: ``python benchmarks/compare.py [--repeats N] [--no-cli]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BUDGET_S = 5.0


def _best(repeats: int, work: Callable[[], object]) -> float:
    """The shortest of ``repeats`` wall times of ``work()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the in-process timings")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI timing")
    args = parser.parse_args()

    start = time.perf_counter()
    import simulator
    from simulator.scenario.resolved import cached_model

    import_s = time.perf_counter() - start
    baseline_file = SCENARIOS / "baseline.yaml"
    others = sorted(p for p in SCENARIOS.glob("*.yaml") if p != baseline_file)
    files = [baseline_file, *others]

    start = time.perf_counter()
    scenarios = [simulator.load_scenario(p) for p in files]
    first_load_s = time.perf_counter() - start  # includes parsing the model once
    cached_load_s = _best(args.repeats, lambda: [simulator.load_scenario(p) for p in files])
    compare_s = _best(
        args.repeats, lambda: simulator.compare_scenarios(scenarios[0], scenarios[1:])
    )
    alone_s = _best(args.repeats, lambda: [simulator.run_scenario(s) for s in scenarios])

    from simulator import cli

    with tempfile.TemporaryDirectory() as scratch:
        argv = ["-q", "compare", *map(str, files), "-o", scratch]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(argv)
        in_process_cli_s = time.perf_counter() - start
    write_s = in_process_cli_s - cached_load_s - compare_s

    model = cached_model(scenarios[0].model_path)
    print(f"{len(files)} scenarios of {model!r}")
    print(f"  import simulator                    {import_s:6.2f} s")
    print(f"  load + validate (model parsed once) {first_load_s:6.2f} s")
    print(f"  load + validate (model cached)      {cached_load_s:6.2f} s")
    print(f"  compare: one batch + KPIs           {compare_s:6.2f} s")
    print(f"  (the same, one run per scenario)    {alone_s:6.2f} s")
    print(f"  write CSV, NetCDF, plots, report    {write_s:6.2f} s")
    comparing = first_load_s + compare_s
    verdict = "within" if comparing < BUDGET_S else "OVER"
    print(
        f"comparing (load + batch + KPIs): {comparing:.2f} s, {verdict} the {BUDGET_S:g} s budget"
    )
    if not args.no_cli:
        with tempfile.TemporaryDirectory() as scratch:
            command = [sys.executable, "-m", "simulator.cli", "-q", "compare", *map(str, files)]
            start = time.perf_counter()
            subprocess.run([*command, "-o", scratch], check=True, capture_output=True, cwd=ROOT)
            print(
                f"cbec-sd compare end to end (fresh process): {time.perf_counter() - start:.2f} s"
            )
    return 0 if comparing < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
