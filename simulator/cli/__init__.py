"""``cbec-sd``: run, compare and check scenarios, describe models and run sweeps, from the shell.

Each subcommand is a module of this package with ``add_arguments(parser)``
and ``handler(args) -> int``; :data:`COMMANDS` maps its name to the module
and a one-line help. A command imports only its own module, so ``describe``
does not pay for SALib or matplotlib.

Every :class:`~simulator.errors.SimulatorError` is printed as one line on
stderr with exit status 2 (no traceback); Ctrl-C exits with status 130.
Files are written atomically, so an interrupted command leaves no partial
file behind.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

import simulator
from simulator.cli.common import one_line
from simulator.errors import SimulatorError

__all__ = ["COMMANDS", "build_parser", "main"]

#: Subcommands: name -> (module, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "simulator.cli.run",
        "Run one scenario; write its outputs (CSV, NetCDF), KPIs and a plot per output.",
    ),
    "compare": (
        "simulator.cli.compare",
        "Compare scenarios with a baseline: KPI table, outputs, plots and an HTML report.",
    ),
    "check": (
        "simulator.cli.check",
        "Validate scenario files against their models without running them.",
    ),
    "describe": (
        "simulator.cli.describe",
        "List a model's parameters (constants and lookups) with values, units and documentation.",
    ),
    "sensitivity": (
        "simulator.cli.sensitivity",
        "Run a sensitivity or uncertainty sweep: indices or bands, samples, provenance, plots.",
    ),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with one subparser per entry of :data:`COMMANDS`.

    With ``selected``, only that subcommand's module is imported and its
    arguments added (the others keep their one-line help).
    """
    parser = argparse.ArgumentParser(
        prog="cbec-sd", description="System-dynamics scenarios, comparisons and sweeps."
    )
    parser.add_argument("--version", action="version", version=simulator.__version__)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or chatter")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, summary) in COMMANDS.items():
        command = sub.add_parser(name, parents=[common], help=summary, description=summary)
        if selected is None or selected == name:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(handler=module.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cbec-sd``; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    selected = next((w for w in words if w in COMMANDS), None)
    args = build_parser(selected).parse_args(words)
    try:
        return int(args.handler(args))
    except SimulatorError as exc:
        print(f"cbec-sd: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be made, a full disk, no permission
        where = f": {exc.filename}" if exc.filename else ""
        reason = exc.strerror or one_line(exc)
        print(
            f"cbec-sd: error: {reason}{where}; check the path and its permissions", file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("cbec-sd: interrupted", file=sys.stderr)
        return 130
    finally:
        gc.unfreeze()  # leave the collector as it was for a caller in the same process


if __name__ == "__main__":
    sys.exit(main())
