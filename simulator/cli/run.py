"""``cbec-sd run SCENARIO -o DIR``: run one scenario and write its outputs, KPIs and plots."""

from __future__ import annotations

import argparse
from pathlib import Path

import simulator
from simulator import io as out
from simulator.cli.common import say, settle

__all__ = ["add_arguments", "handler"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output directory")


def handler(args: argparse.Namespace) -> int:
    """Run one scenario; write its outputs (CSV, NetCDF), KPIs and a plot per output."""
    from simulator.analysis.compare import kpi_summary
    from simulator.report.plots import plot_overlay

    scenario = simulator.load_scenario(args.scenario)
    dataset = simulator.run_scenario(scenario, progress=not args.quiet)
    settle()
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
    say(args, f"wrote {len(dataset.data_vars)} outputs of '{scenario.name}' to {folder}")
    return 0
