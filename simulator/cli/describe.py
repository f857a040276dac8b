"""``cbec-sd describe MODEL``: a model's parameters with values, units and documentation."""

from __future__ import annotations

import argparse
from pathlib import Path

import simulator
from simulator.cli.common import one_line

__all__ = ["add_arguments", "handler"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="a Vensim .mdl or XMILE model file")


def handler(args: argparse.Namespace) -> int:
    """List a model's parameters (constants and lookups) with values, units and documentation."""
    model = simulator.load_model(args.model)
    chosen = {e.ident for e in (*model.constants, *model.lookups)}
    print(f"{args.model}: {len(model.constants)} constants, {len(model.lookups)} lookups")
    for dimension in model.dimensions.values():
        within = f" (within {dimension.parent})" if dimension.parent else ""
        mapped = f" -> {', '.join(dimension.mapping)}" if dimension.mapping else ""
        print(f"  subscript {dimension.name}{within}{mapped}: {', '.join(dimension.elements)}")
    group = None
    for element in (e for e in model.elements.values() if e.ident in chosen):  # file order
        if element.group != group:
            group = element.group
            print(f"\n[{group or 'ungrouped'}]")
        if element.table is not None:
            value = f"lookup of {len(element.table.x)} points"
        elif element.dims:
            kind = "lookups" if element.kind.value == "lookup" else "values"
            value = f"{len(model.labels(element))} {kind}"
        else:
            value = "(expression)" if element.value is None else f"{element.value:g}"
        units = f" [{element.units}]" if element.units else ""
        low, high = element.limits
        limits = f"  range {_bound(low)}..{_bound(high)}" if (low, high) != (None, None) else ""
        subscripts = f"[{', '.join(element.dims)}]" if element.dims else ""
        print(f"  {element.name}{subscripts} = {value}{units}{limits}")
        if element.documentation:
            print(f"      {one_line(element.documentation)}")
    return 0


def _bound(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"
