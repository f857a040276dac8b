"""``cbec-sd compare BASELINE OTHERS... -o DIR``: KPI table, outputs, plots and an HTML report."""

from __future__ import annotations

import argparse
from pathlib import Path

import simulator
from simulator import io as out
from simulator.cli.common import settle

__all__ = ["add_arguments", "handler"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("baseline", type=Path, help="the baseline scenario")
    parser.add_argument("others", type=Path, nargs="+", help="scenarios to compare with it")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output directory")


def handler(args: argparse.Namespace) -> int:
    """Compare scenarios with a baseline: KPI table, outputs, plots and an HTML report."""
    from simulator.report.html import render_report
    from simulator.report.plots import plot_deltas, plot_kpis, plot_overlay

    baseline = simulator.load_scenario(args.baseline)
    others = [simulator.load_scenario(p) for p in args.others]
    comparison = simulator.compare_scenarios(baseline, others, progress=not args.quiet)
    settle()
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
