"""``cbec-sd``: run, compare and check scenarios, and describe models, from the shell.

Subcommands are registered in :data:`COMMANDS` as ``name -> (add_arguments,
handler)``; the first line of a handler's docstring is its help text. To add
one, write the two functions next to the analysis they expose and add one
entry here.

Every :class:`~simulator.errors.SimulatorError` is printed as one line on
stderr with exit status 2 (no traceback); Ctrl-C exits with status 130.
Files are written atomically, so an interrupted command leaves no partial
file behind.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import simulator
from simulator import io as out
from simulator.errors import SimulatorError

__all__ = ["COMMANDS", "build_parser", "main"]

AddArguments = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


def _settle() -> None:
    """Exempt everything alive now (modules, the model) from later garbage collections.

    Plotting makes many short-lived cyclic objects; without this, each collection
    rescans the large, long-lived heap that imports and the model left behind.
    """
    gc.collect()
    gc.freeze()


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


# -- run ------------------------------------------------------------------------------------------
def _add_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output directory")


def _run(args: argparse.Namespace) -> int:
    """Run one scenario; write its outputs (CSV, NetCDF), KPIs and a plot per output."""
    from simulator.analysis.compare import kpi_summary
    from simulator.plots import plot_overlay

    scenario = simulator.load_scenario(args.scenario)
    dataset = simulator.run_scenario(scenario, progress=not args.quiet)
    _settle()
    meta = out.provenance(dataset)
    folder: Path = args.output
    frame = dataset.isel(run=0).drop_vars("run").to_dataframe().reset_index()
    out.write_csv(frame[["time", *dataset.data_vars]], folder / "outputs.csv", meta)
    out.write_netcdf(dataset, folder / "outputs.nc", meta)
    kpis = kpi_summary(dataset, scenario.kpis)
    if len(kpis):
        out.write_csv(kpis, folder / "kpis.csv", meta)
        for label, value, units in kpis.itertuples(index=False):
            print(f"{label}: {value:.6g} {units}".rstrip())
    for name in dataset.data_vars:
        out.write_png(
            plot_overlay(dataset, str(name)), folder / "plots" / f"{out.slug(str(name))}.png", meta
        )
    _say(args, f"wrote {len(dataset.data_vars)} outputs of '{scenario.name}' to {folder}")
    return 0


# -- compare --------------------------------------------------------------------------------------
def _add_compare(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("baseline", type=Path, help="the baseline scenario")
    parser.add_argument("others", type=Path, nargs="+", help="scenarios to compare with it")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output directory")


def _compare(args: argparse.Namespace) -> int:
    """Compare scenarios with a baseline: KPI table, outputs, plots and an HTML report."""
    from simulator.plots import plot_deltas, plot_kpis, plot_overlay
    from simulator.report import render_report

    baseline = simulator.load_scenario(args.baseline)
    others = [simulator.load_scenario(p) for p in args.others]
    comparison = simulator.compare_scenarios(baseline, others, progress=not args.quiet)
    _settle()
    dataset, base, folder = comparison.dataset, comparison.baseline, args.output
    names = [str(name) for name in dataset.data_vars]
    meta = out.provenance(dataset)
    print(comparison.table())
    out.write_csv(comparison.kpis, folder / "kpis.csv", meta)
    frame = dataset.reset_coords(drop=True).to_dataframe().reset_index()
    out.write_csv(frame, folder / "outputs.csv", meta)
    out.write_netcdf(dataset, folder / "outputs.nc", meta)
    figures = [  # (file stem, caption in the report, figure)
        ("kpis", "KPIs relative to the baseline", plot_kpis(comparison.kpis, base)),
        *((f"overlay_{out.slug(n)}", n, plot_overlay(dataset, n, baseline=base)) for n in names),
        ("deltas", "Change from the baseline over time", plot_deltas(dataset, base)),
    ]
    pngs: dict[str, bytes] = {}
    for stem, caption, figure in figures:
        pngs[caption] = out.png_bytes(figure, meta)
        out.write_bytes(pngs[caption], folder / "plots" / f"{stem}.png")
    report = out.write_html(render_report(comparison, pngs, meta), folder / "report.html")
    print(f"\nreport: {report}")
    return 0


# -- check ----------------------------------------------------------------------------------------
def _add_check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")


def _check(args: argparse.Namespace) -> int:
    """Validate scenario files against their models without running them."""
    failed = 0
    for path in args.scenarios:
        try:
            scenario = simulator.load_scenario(path)
        except SimulatorError as exc:
            failed += 1
            print(f"cbec-sd: error: {_one_line(exc)}", file=sys.stderr)
            continue
        _say(
            args,
            f"ok  {path}: '{scenario.name}' on {scenario.model_path.name}, "
            f"{len(scenario.interventions)} interventions, {len(scenario.kpis)} KPIs",
        )
    return 2 if failed else 0


# -- describe -------------------------------------------------------------------------------------
def _add_describe(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="a Vensim .mdl or XMILE model file")


def _describe(args: argparse.Namespace) -> int:
    """List a model's parameters (constants and lookups) with values, units and documentation."""
    model = simulator.load_model(args.model)
    chosen = {e.ident for e in (*model.constants, *model.lookups)}
    print(f"{args.model}: {len(model.constants)} constants, {len(model.lookups)} lookups")
    group = None
    for element in (e for e in model.elements.values() if e.ident in chosen):  # file order
        if element.group != group:
            group = element.group
            print(f"\n[{group or 'ungrouped'}]")
        if element.table is not None:
            value = f"lookup of {len(element.table.x)} points"
        else:
            value = "(expression)" if element.value is None else f"{element.value:g}"
        units = f" [{element.units}]" if element.units else ""
        low, high = element.limits
        limits = f"  range {_bound(low)}..{_bound(high)}" if (low, high) != (None, None) else ""
        print(f"  {element.name} = {value}{units}{limits}")
        if element.documentation:
            print(f"      {_one_line(element.documentation)}")
    return 0


def _bound(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _add_sensitivity(parser: argparse.ArgumentParser) -> None:
    from simulator import cli_sensitivity  # SALib, dask and the sweep code load on demand

    cli_sensitivity.add_arguments(parser)


def _sensitivity(args: argparse.Namespace) -> int:
    """Run a sensitivity or uncertainty sweep: indices or bands, samples, provenance, plots."""
    from simulator import cli_sensitivity

    return cli_sensitivity.handler(args)


#: Subcommands: name -> (add_arguments, handler).
COMMANDS: dict[str, tuple[AddArguments, Handler]] = {
    "run": (_add_run, _run),
    "compare": (_add_compare, _compare),
    "check": (_add_check, _check),
    "describe": (_add_describe, _describe),
    "sensitivity": (_add_sensitivity, _sensitivity),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with one subparser per entry of :data:`COMMANDS`.

    With ``selected``, only that subcommand's arguments are added (the others
    keep their one-line help), so a command imports only what it needs.
    """
    parser = argparse.ArgumentParser(
        prog="cbec-sd", description="System-dynamics scenarios for the CBEC x cluster model."
    )
    parser.add_argument("--version", action="version", version=simulator.__version__)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or chatter")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, handler) in COMMANDS.items():
        summary = (handler.__doc__ or "").strip().splitlines()[0:1]
        command = sub.add_parser(
            name,
            parents=[common],
            help=summary[0] if summary else None,
            description=summary[0] if summary else None,
        )
        if selected is None or selected == name:
            add_arguments(command)
        command.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cbec-sd``; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    selected = next((w for w in words if w in COMMANDS), None)
    args = build_parser(selected).parse_args(words)
    try:
        return int(args.handler(args))
    except SimulatorError as exc:
        print(f"cbec-sd: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be made, a full disk, no permission
        where = f": {exc.filename}" if exc.filename else ""
        reason = exc.strerror or _one_line(exc)
        print(
            f"cbec-sd: error: {reason}{where}; check the path and its permissions", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("cbec-sd: interrupted", file=sys.stderr)
        return 130
    finally:
        gc.unfreeze()  # leave the collector as it was for a caller in the same process


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
