"""``cbec-sd sensitivity SWEEP.yaml -o DIR``: run a sweep from the shell.

Writes into ``DIR``: ``samples.nc`` (the sample matrix), one NetCDF file per
output (values, indices with confidence intervals or percentile bands),
``sweep.json`` (the sweep, provenance, file index), ``summary.csv`` and PNG
plots in ``DIR/plots``. Every file is written atomically. A
:class:`~simulator.errors.SimulatorError` (a bad sweep file names its file,
line and field) is printed as one line on stderr with exit status 2.

Runs go chunk by chunk into ``DIR/chunks`` (or ``--store``), where each
finished chunk is kept; a progress bar on stderr counts runs as chunks finish
(``--quiet`` hides it). Interrupted (Ctrl-C: exit status 130, no partial
file left), the same command resumes: finished chunks are not run again.
``--executor processes`` uses every local core; ``--executor dask --scheduler
tcp://HOST:PORT`` a Dask cluster (``executor:`` and ``scheduler:`` in the
sweep file do the same; the command line wins). See ``docs/scaling.md``.

Uses only the public API (:mod:`simulator`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import pandas as pd

import simulator
from simulator import io as out
from simulator.atomic import atomic_write

__all__ = ["add_arguments", "handler"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sensitivity`` subcommand's arguments to ``parser``."""
    parser.add_argument("sweep", type=Path, help="sweep YAML file (see scenarios/sweeps/)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="runs per engine batch (memory bound)"
    )
    parser.add_argument(
        "--executor",
        choices=list(simulator.EXECUTORS),
        default=None,
        help="where chunks run: local (this process), processes (every local core), dask "
        "(a cluster, with --scheduler); default: the sweep file's, else local",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, tcp://HOST:PORT (implies --executor dask)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="folder for finished chunks, to resume from (default: OUTPUT/chunks)",
    )
    parser.add_argument("--no-plots", action="store_true", help="write data files only")
    # the main parser may give every subcommand --quiet already
    with contextlib.suppress(argparse.ArgumentError):
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")


def handler(args: argparse.Namespace) -> int:
    """Run a sensitivity or uncertainty sweep: indices or bands, samples, provenance, plots."""
    quiet = bool(getattr(args, "quiet", False))
    folder: Path = args.output
    store: Path = args.store or folder / "chunks"
    try:
        sweep = simulator.load_sweep(args.sweep)
        result = simulator.run_sweep(
            sweep,
            executor=args.executor or ("dask" if args.scheduler else None),
            scheduler=args.scheduler,
            chunk_size=args.chunk_size,
            store=store,
            quiet=quiet,
        )
        written = result.save(folder)
        summary = result.summary()
        atomic_write(folder / "summary.csv", lambda p: summary.to_csv(p))
        written.append(folder / "summary.csv")
        if not args.no_plots:
            written += _plots(result, folder / "plots")
    except simulator.SimulatorError as exc:
        print(f"cbec-sd: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"cbec-sd: interrupted; finished chunks are kept in {store}: run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 130
    if not quiet:
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
        print(f"\nwrote {len(written)} files to {folder}")
    return 0


def _plots(result: simulator.SweepResult, folder: Path) -> list[Path]:
    """One PNG per figure that fits each output, with the sweep's provenance."""
    meta = {key: str(value) for key, value in result.provenance.items()}
    written = []
    for number, (key, ds) in enumerate(result.outputs.items(), start=1):
        figures = {}
        if "mu_star" in ds:
            figures["morris"] = simulator.plot_morris(ds)
        if "factor" in ds.dims:
            figures["indices"] = simulator.plot_indices(ds)
            if ds.sizes.get("time", 0) > 1:
                index = ds.attrs.get("headline_indices", "ST").split()[-1]
                figures["over_time"] = simulator.plot_indices_over_time(ds, index)
        else:
            figures["fan"] = simulator.plot_fan(ds)
        if bool(ds["effect"].values.any()):
            figures["policy_effect"] = simulator.plot_policy_effect(ds)
        for kind, figure in figures.items():
            path = folder / f"{number:02d}_{out.slug(key)}_{kind}.png"
            written.append(out.write_png(figure, path, meta))
    return written
