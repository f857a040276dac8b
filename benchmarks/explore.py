"""Latency of the live what-if (``simulator.explore``) on the flagship model.

For each setting (the deterministic what-if; the what-if with a band of N
draws) it moves a slider 50 times, as a front end would (``slider.value =``),
each move to a setting not seen before, and reports the time from the change
to new figure data (the what-if lines and bands set), and to the new PNG on
show. Targets: p95 at most 150 ms for the deterministic pair and 400 ms with a
500-draw band, with the default engine. Then it compares ways of showing the
figure (an ``ipywidgets.Image`` with the PNG, an ``Output`` widget redrawn
with IPython's display, an ``ipympl`` canvas when installed) and profiles one
band run to show where the time goes.

The machine has 2 cores shared with other work: expect spread between runs.

Usage: ``python benchmarks/explore.py [--moves 50] [--draws 500] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TARGETS_MS = {"deterministic": 150.0, "band": 400.0}


def _levers() -> list[str]:
    """The flagship's policy levers, read from the scenario that moves them all."""
    import simulator

    package = simulator.load_scenario(SCENARIOS / "combined_package.yaml")
    return list(dict.fromkeys(i.variable for i in package.interventions))


def _moves(explorer: object, n: int, rng: np.random.Generator) -> list[tuple[str, float]]:
    """``n`` slider moves (lever, value on its grid), each to a setting not visited before."""
    sliders = explorer.sliders  # type: ignore[attr-defined]
    state = {name: s.value for name, s in sliders.items()}
    seen = {tuple(state.values())}
    moves: list[tuple[str, float]] = []
    while len(moves) < n:
        name = str(rng.choice(list(sliders)))
        slider = sliders[name]
        steps = round((slider.max - slider.min) / slider.step)
        value = round(slider.min + slider.step * int(rng.integers(0, steps + 1)), 10)
        candidate = {**state, name: value}
        if tuple(candidate.values()) in seen:
            continue
        seen.add(tuple(candidate.values()))
        state = candidate
        moves.append((name, value))
    return moves


def _latency(explorer: object, moves: list[tuple[str, float]]) -> dict[str, np.ndarray]:
    """Seconds per move, wall and CPU: to new figure data, and to the new PNG.

    The figure's ``png`` is wrapped to note when it starts: the figure's data
    is set by then. CPU time (this process) is less disturbed than wall time
    by other work on a shared machine.
    """
    sliders = explorer.sliders  # type: ignore[attr-defined]
    figure = explorer.figure  # type: ignore[attr-defined]
    render = figure.png
    noted: dict[str, float] = {}

    def noting_png() -> bytes:
        noted["wall"], noted["cpu"] = time.perf_counter(), time.process_time()
        return render()

    figure.png = noting_png
    out: dict[str, list[float]] = {key: [] for key in ("data", "png", "data_cpu", "png_cpu")}
    try:
        for name, value in moves:
            wall, cpu = time.perf_counter(), time.process_time()
            sliders[name].value = value
            out["png"].append(time.perf_counter() - wall)
            out["png_cpu"].append(time.process_time() - cpu)
            out["data"].append(noted["wall"] - wall)
            out["data_cpu"].append(noted["cpu"] - cpu)
    finally:
        figure.png = render
    return {key: np.array(values) for key, values in out.items()}


def _summary(label: str, seconds: np.ndarray, target_ms: float | None = None) -> str:
    ms = 1000 * seconds
    text = (
        f"{label:<50} median {np.median(ms):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms   "
        f"max {ms.max():7.1f} ms"
    )
    if target_ms is not None:
        verdict = "meets" if np.percentile(ms, 95) <= target_ms else "MISSES"
        text += f"   ({verdict} {target_ms:g} ms)"
    return text


def _report(label: str, times: dict[str, np.ndarray], target: str) -> None:
    print(_summary(f"{label}: change -> figure data", times["data"], TARGETS_MS[target]))
    print(_summary(f"{label}: change -> figure data, CPU", times["data_cpu"], TARGETS_MS[target]))
    print(_summary(f"{label}: change -> new PNG", times["png"]))
    print(_summary(f"{label}: change -> new PNG, CPU", times["png_cpu"]))


def _repeat(work: Callable[[int], object], n: int) -> np.ndarray:
    times = []
    for k in range(n):
        start = time.perf_counter()
        work(k)
        times.append(time.perf_counter() - start)
    return np.array(times)


def _display_methods(explorer: object, n: int) -> None:
    """Time a redraw of the same updated figure by each way of showing it."""
    import io

    import ipywidgets as widgets
    from IPython.core.pylabtools import print_figure

    figure = explorer.figure  # type: ignore[attr-defined]
    fig = figure.figure
    image = widgets.Image(format="png")

    def as_image(_: int) -> None:
        image.value = figure.png()

    def as_image_full(_: int) -> None:
        figure._background = None  # force a full draw
        image.value = figure.png()

    output = widgets.Output()

    def as_output(_: int) -> None:
        # what `with output: clear_output(wait=True); display(fig)` renders with the inline backend
        with output:
            print_figure(fig, "png", bbox_inches="tight", dpi=80)

    print(_summary("ipywidgets.Image, data over saved background", _repeat(as_image, n)))
    print(_summary("ipywidgets.Image, full draw", _repeat(as_image_full, n)))
    print(_summary("show in an Output widget (inline, tight bbox)", _repeat(as_output, n)))
    try:
        from ipympl.backend_nbagg import Canvas, FigureManager
    except ImportError:
        print("ipympl canvas: not installed, skipped")
        return
    copy = pickle.loads(pickle.dumps(fig))  # its own copy: ipympl takes over a figure's canvas
    for artist in copy.findobj(lambda a: a.get_animated()):
        artist.set_animated(False)  # a plain canvas draws everything, as an Output widget would
    canvas = Canvas(copy)
    FigureManager(canvas, 1)

    def as_ipympl(_: int) -> None:
        canvas.draw()  # what the front end's draw request makes the kernel do
        io.BytesIO(canvas.get_diff_image())

    print(_summary("show in an ipympl canvas (draw + diff PNG)", _repeat(as_ipympl, n)))


def _profile(explorer: object, lever: str, value: float, top: int = 8) -> None:
    """Where one what-if run spends its time (cumulative, functions of the package)."""
    session = explorer.session  # type: ignore[attr-defined]
    profiler = cProfile.Profile()
    profiler.enable()
    session.curves({lever: value})
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-12)  # type: ignore[attr-defined]
    rows = [
        (cum, f"{Path(file).parent.name}/{Path(file).name}:{func}")
        for (file, _, func), (_, _, _, cum, _) in stats.stats.items()  # type: ignore[attr-defined]
        if "simulator" in file and "explore" not in file
    ]
    print(f"  profile of one what-if (total {1000 * total:.0f} ms under the profiler):")
    named = [(cum, where) for cum, where in rows if not where.endswith("<lambda>")]
    for cum, where in sorted(named, reverse=True)[:top]:
        print(f"    {100 * cum / total:5.1f} %  {where}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=50, help="slider moves per setting")
    parser.add_argument("--draws", type=int, default=500, help="ensemble size of the band")
    parser.add_argument("--seed", type=int, default=1, help="seed of the moves")
    args = parser.parse_args()

    import simulator

    baseline = simulator.load_scenario(SCENARIOS / "baseline.yaml")
    sweep = simulator.load_sweep(SCENARIOS / "sweeps" / "cbec_monte_carlo.yaml")
    levers = _levers()
    rng = np.random.default_rng(args.seed)
    print(
        f"flagship: {baseline.model_path.name}, scenario {baseline.name}, "
        f"{len(levers)} levers, outputs: {', '.join(baseline.outputs)}"
    )

    start = time.perf_counter()
    plain = simulator.explore(baseline, levers=levers)
    print(f"explore() without a band, first figure: {1000 * (time.perf_counter() - start):.0f} ms")
    _report("deterministic", _latency(plain, _moves(plain, args.moves, rng)), "deterministic")

    start = time.perf_counter()
    banded = simulator.explore(baseline, levers=levers, uncertainty=sweep, draws=args.draws)
    print(
        f"explore() with {args.draws} draws of {len(sweep.parameters)} parameters, first figure: "
        f"{1000 * (time.perf_counter() - start):.0f} ms"
    )
    _report(f"band of {args.draws}", _latency(banded, _moves(banded, args.moves, rng)), "band")

    print("ways of showing the figure (the banded figure, 20 redraws each):")
    _display_methods(banded, 20)
    print("where the time goes:")
    _profile(plain, levers[0], 0.123, top=12)
    _profile(banded, levers[0], 0.123, top=12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
