"""Stock-and-flow diagram of a model, drawn from its IR with matplotlib.

The picture is generated from the model file, so it never drifts from the
equations: one panel per Vensim group, stocks as boxes with their inflows and
outflows as valves on pipes, and the auxiliaries that matter (outputs and
hubs) as ovals. Constants are left out except policy inputs (the first
argument of ``STEP``/``RAMP``/``PULSE``) and any names asked for. An arrow
``A -> B`` means that ``A`` enters ``B``'s equation directly or through
elements that are not drawn.

Run it as a script::

    python -m simulator.report.diagram models/cbec_cluster.mdl models/cbec_cluster_diagram.png
"""

from __future__ import annotations

import argparse
import math
import re
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from simulator.atomic import atomic_write
from simulator.model.ir import (
    Binary,
    Call,
    Element,
    ElementKind,
    Expr,
    Model,
    Ref,
    Unary,
    iter_nodes,
    references,
)

__all__ = ["diagram_nodes", "draw_model_diagram", "influences", "main", "stock_flows"]

_INPUT_FUNCTIONS = {"step", "ramp", "pulse", "pulse_train"}
_PALETTE = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _dependencies(element: Element) -> set[str]:
    """Identifiers ``element`` depends on (equation and initial value)."""
    found: set[str] = set()
    for expr in element.expressions():
        found |= references(expr)
    return found


def stock_flows(stock: Element) -> tuple[list[str], list[str]]:
    """The inflows and outflows of a stock, read from the signs of its net rate.

    Parameters
    ----------
    stock : Element
        An element of kind ``STOCK``.

    Returns
    -------
    inflows, outflows : list of str
        Identifiers of the elements added to and subtracted from the net rate
        at top level (``a + b - c``); a term nested deeper counts as an inflow.
    """
    inflows: list[str] = []
    outflows: list[str] = []

    def walk(expr: Expr, sign: int) -> None:
        if isinstance(expr, Binary) and expr.op in "+-":
            walk(expr.left, sign)
            walk(expr.right, sign if expr.op == "+" else -sign)
        elif isinstance(expr, Unary) and expr.op == "-":
            walk(expr.operand, -sign)
        elif isinstance(expr, Ref):
            (inflows if sign > 0 else outflows).append(expr.name)
        else:
            inflows.extend(sorted(references(expr)))

    for definition in stock.definitions:  # an array stock may have one per part
        if definition.equation is not None:
            walk(definition.equation, 1)
    return list(dict.fromkeys(inflows)), list(dict.fromkeys(outflows))


def _policy_inputs(model: Model) -> set[str]:
    """Constants used as the first argument of STEP, RAMP or PULSE."""
    found: set[str] = set()
    for element in model.elements.values():
        for node in (n for expr in element.expressions() for n in iter_nodes(expr)):
            if isinstance(node, Call) and node.function in _INPUT_FUNCTIONS and node.args:
                found |= references(node.args[0])
    return {i for i in found if i in model.elements}


def diagram_nodes(model: Model, show: Iterable[str] = (), hub_degree: int = 3) -> list[str]:
    """Identifiers of the elements drawn, in file order.

    Parameters
    ----------
    model : Model
    show : iterable of str
        Extra element names to draw (matched as Vensim does).
    hub_degree : int
        An auxiliary is drawn when at least this many elements use it, or
        when none does (an output).

    Returns
    -------
    list of str
        Stocks, flows, outputs, hubs, policy inputs and ``show``.
    """
    users: dict[str, int] = defaultdict(int)
    for element in model.elements.values():
        for dep in _dependencies(element):
            users[dep] += 1
    extra = {model.resolve(name) for name in show} | _policy_inputs(model)
    drawn: list[str] = []
    for ident, element in model.elements.items():
        kind = element.kind
        is_aux = kind is ElementKind.AUXILIARY
        if (
            kind in (ElementKind.STOCK, ElementKind.FLOW)
            or (is_aux and (users[ident] == 0 or users[ident] >= hub_degree))
            or ident in extra
        ):
            drawn.append(ident)
    return drawn


def influences(model: Model, nodes: Sequence[str]) -> set[tuple[str, str]]:
    """Direct or collapsed influences between drawn nodes.

    ``(a, b)`` is returned when ``a`` reaches ``b``'s equation through
    elements that are not in ``nodes``. A stock's net rate is drawn as
    pipes, so flow-to-stock links are left out.

    Parameters
    ----------
    model : Model
    nodes : sequence of str
        Identifiers drawn, from :func:`diagram_nodes`.

    Returns
    -------
    set of (str, str)
    """
    shown = set(nodes)
    users: dict[str, set[str]] = defaultdict(set)
    for ident, element in model.elements.items():
        deps = (
            references(element.initial)
            if element.kind is ElementKind.STOCK and element.initial is not None
            else set()
        )
        if element.kind is not ElementKind.STOCK:
            deps = _dependencies(element)
        for dep in deps:
            users[dep].add(ident)
    edges: set[tuple[str, str]] = set()
    for source in nodes:
        stack, seen = list(users[source]), set()
        while stack:
            ident = stack.pop()
            if ident in seen:
                continue
            seen.add(ident)
            if ident in shown:
                if ident != source:
                    edges.add((source, ident))
            else:
                stack.extend(users[ident])
    return edges


def _label(name: str, width: int = 18) -> str:
    return textwrap.fill(name, width=width)


def _panel_positions(
    model: Model, idents: list[str], box: tuple[float, float, float, float]
) -> dict[str, tuple[float, float]]:
    """Positions inside ``box`` = (x0, y0, width, height): stock rows, then a grid."""
    x0, y0, w, h = box
    stocks = [i for i in idents if model.elements[i].kind is ElementKind.STOCK]
    placed: dict[str, tuple[float, float]] = {}
    flows_of: dict[str, tuple[list[str], list[str]]] = {
        s: stock_flows(model.elements[s]) for s in stocks
    }
    rest = [i for i in idents if i not in stocks]
    n_flows = sum(1 for i in rest if model.elements[i].kind is ElementKind.FLOW)
    row_h = h / (len(stocks) + math.ceil(max(len(rest) - n_flows, 0) / 4) + 0.6)
    y = y0 + h - 0.6 * row_h
    for stock in stocks:
        placed[stock] = (x0 + 0.5 * w, y)
        inflows, outflows = flows_of[stock]
        for k, flow in enumerate(f for f in inflows if f in idents and f not in placed):
            placed[flow] = (x0 + 0.2 * w, y - 0.25 * row_h * k)
        for k, flow in enumerate(f for f in outflows if f in idents and f not in placed):
            placed[flow] = (x0 + 0.8 * w, y - 0.25 * row_h * k)
        y -= row_h
    rest = [i for i in rest if i not in placed]
    cols = 4
    for k, ident in enumerate(rest):
        r, c = divmod(k, cols)
        shift = 0.4 * row_h if c % 2 else 0.0
        placed[ident] = (x0 + w * (0.13 + 0.25 * c), y - r * row_h - shift)
    return placed


def draw_model_diagram(
    model: Model,
    path: str | Path | None = None,
    *,
    show: Iterable[str] = (),
    hub_degree: int = 3,
    title: str | None = None,
) -> Figure:
    """Draw the stock-and-flow structure of ``model``, one panel per group.

    Parameters
    ----------
    model : Model
        From :func:`simulator.load_model`.
    path : str or Path, optional
        Where to save the picture (format from the suffix, e.g. ``.png``).
    show : iterable of str
        Extra element names to draw, e.g. loop gains.
    hub_degree : int
        Draw auxiliaries used by at least this many elements (see
        :func:`diagram_nodes`).
    title : str, optional
        Figure title; by default the model file's name.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import simulator
    >>> from simulator.report.diagram import draw_model_diagram
    >>> fig = draw_model_diagram(simulator.load_model("tests/models/supply_chain.mdl"))
    >>> len(fig.axes)
    1
    """
    nodes = diagram_nodes(model, show, hub_degree)
    groups: dict[str, list[str]] = defaultdict(list)
    for ident in nodes:
        groups[model.elements[ident].group or "(no group)"].append(ident)
    names = list(groups)
    n_cols = min(3, len(names)) or 1
    n_rows = max(math.ceil(len(names) / n_cols), 1)
    fig = Figure(figsize=(10.0 * n_cols, 9.0 * n_rows))  # no pyplot: no global state
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.96))
    ax.set_xlim(0, n_cols)
    ax.set_ylim(0, n_rows)
    ax.axis("off")
    pos: dict[str, tuple[float, float]] = {}
    colour: dict[str, str] = {}
    for k, name in enumerate(names):
        r, c = divmod(k, n_cols)
        box = (c + 0.02, n_rows - r - 1 + 0.02, 0.96, 0.9)
        hue = _PALETTE[k % len(_PALETTE)]
        ax.add_patch(Rectangle(box[:2], box[2], box[3], fill=True, fc=hue, alpha=0.05, ec=hue))
        ax.text(box[0] + 0.01, box[1] + box[3] + 0.01, name, fontsize=16, weight="bold", color=hue)
        local = _panel_positions(model, groups[name], box)
        pos.update(local)
        colour.update(dict.fromkeys(groups[name], hue))

    for a, b in sorted(influences(model, nodes)):
        ka, kb = model.elements[a].kind, model.elements[b].kind
        if ka is ElementKind.FLOW and kb is ElementKind.STOCK:
            continue
        ax.add_patch(
            FancyArrowPatch(
                pos[a],
                pos[b],
                arrowstyle="-|>",
                mutation_scale=9,
                connectionstyle="arc3,rad=0.12",
                color=colour[a],
                alpha=0.28,
                lw=0.8,
                shrinkA=14,
                shrinkB=14,
            )
        )
    for ident in nodes:
        element = model.elements[ident]
        if element.kind is not ElementKind.STOCK:
            continue
        inflows, outflows = stock_flows(element)
        for flow in inflows + outflows:
            if flow not in pos:
                continue
            start, end = (pos[flow], pos[ident]) if flow in inflows else (pos[ident], pos[flow])
            ax.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    arrowstyle="simple",
                    mutation_scale=16,
                    color="#555555",
                    lw=0.5,
                    shrinkA=16,
                    shrinkB=16,
                    alpha=0.8,
                )
            )
    for ident in nodes:
        _draw_node(ax, model.elements[ident], pos[ident], colour[ident])
    _legend(ax)
    fig.suptitle(title or (model.source.name if model.source else "model"), fontsize=20)
    if path is not None:
        atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=80))
    return fig


def _draw_node(ax: Axes, element: Element, xy: tuple[float, float], hue: str) -> None:
    x, y = xy
    kind = element.kind
    if kind is ElementKind.STOCK:
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.11, y - 0.035),
                0.22,
                0.07,
                boxstyle="square,pad=0.0",
                fc="white",
                ec=hue,
                lw=2.2,
                zorder=3,
            )
        )
        ax.text(x, y, _label(element.name, 24), ha="center", va="center", fontsize=12, zorder=4)
    elif kind is ElementKind.FLOW:
        ax.plot([x], [y], marker=r"$\bowtie$", ms=16, color=hue, zorder=5)
        ax.text(x, y - 0.022, _label(element.name), ha="center", va="top", fontsize=9.5, zorder=4)
    elif kind is ElementKind.CONSTANT:
        ax.text(
            x,
            y,
            _label(element.name),
            ha="center",
            va="center",
            fontsize=10,
            style="italic",
            color="#7a0000",
            zorder=4,
            bbox={"boxstyle": "round,pad=0.25", "fc": "#fff4e6", "ec": "#d9822b", "lw": 0.8},
        )
    else:
        ax.text(
            x,
            y,
            _label(element.name),
            ha="center",
            va="center",
            fontsize=10,
            zorder=4,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": hue, "lw": 0.8},
        )


def _legend(ax: Axes) -> None:
    handles = [
        Line2D([], [], marker="s", ms=11, mfc="white", mec="black", ls="", label="stock"),
        Line2D([], [], marker=r"$\bowtie$", ms=11, color="#444444", ls="", label="flow"),
        Line2D([], [], marker="o", ms=10, mfc="white", mec="black", ls="", label="auxiliary"),
        Line2D(
            [],
            [],
            marker="o",
            ms=10,
            mfc="#fff4e6",
            mec="#d9822b",
            ls="",
            label="lever / loop gain",
        ),
        Line2D([], [], color="grey", alpha=0.6, label="influence (direct or via hidden)"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=11, frameon=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m simulator.report.diagram MODEL OUT.png [--show-pattern RE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument(
        "--show-pattern",
        default=r"loop gain$|development index",
        help="also draw elements whose name matches this regular expression",
    )
    parser.add_argument("--hub-degree", type=int, default=3)
    args = parser.parse_args(argv)
    import simulator

    model = simulator.load_model(args.model)
    pattern = re.compile(args.show_pattern, re.IGNORECASE) if args.show_pattern else None
    show = [e.name for e in model.elements.values() if pattern and pattern.search(e.name)]
    draw_model_diagram(model, args.output, show=show, hub_degree=args.hub_degree)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
