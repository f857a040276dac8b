"""``cbec-sd check FILES...``: validate scenario files against their models without running."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import simulator
from simulator.cli.common import one_line, say
from simulator.errors import SimulatorError

__all__ = ["add_arguments", "handler"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")


def handler(args: argparse.Namespace) -> int:
    """Validate scenario files against their models without running them."""
    failed = 0
    for path in args.scenarios:
        try:
            scenario = simulator.load_scenario(path)
        except SimulatorError as exc:
            failed += 1
            print(f"cbec-sd: error: {one_line(exc)}", file=sys.stderr)
            continue
        say(
            args,
            f"ok  {path}: '{scenario.name}' on {scenario.model_path.name}, "
            f"{len(scenario.interventions)} interventions, {len(scenario.kpis)} KPIs",
        )
    return 2 if failed else 0
