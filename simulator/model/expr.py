"""Expression nodes of the IR: small frozen dataclasses, and walks over them.

Re-exported by :mod:`simulator.model.ir`, which documents how subscripts appear
in references; import them from there.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "ArrayLiteral",
    "Binary",
    "Call",
    "Expr",
    "InlineLookup",
    "LookupCall",
    "LookupTable",
    "Num",
    "Ref",
    "Stateful",
    "StatefulKind",
    "Unary",
    "children",
    "iter_nodes",
    "references",
]


class StatefulKind(enum.Enum):
    """Builtins that carry state from one time step to the next."""

    SMOOTH = "smooth"  # args: input, smooth_time, initial, order
    DELAY = "delay"  # args: input, delay_time, initial, order (DELAY1/3/N with fixed time)
    DELAY_N = "delay_n"  # args: input, delay_time, initial, order (time-varying delay)
    DELAY_FIXED = "delay_fixed"  # args: input, delay_time, initial
    TREND = "trend"  # args: input, average_time, initial_trend
    FORECAST = "forecast"  # args: input, average_time, horizon, initial_trend
    SAMPLE_IF_TRUE = "sample_if_true"  # args: condition, input, initial
    INITIAL = "initial"  # args: value


@dataclass(frozen=True, slots=True)
class Num:
    """A numeric literal."""

    value: float


@dataclass(frozen=True, slots=True)
class ArrayLiteral:
    """A list constant or 2-D table: numbers over the definition's dimensions.

    Attributes
    ----------
    values : tuple of float, length prod(shape)
        Row-major (C order).
    shape : tuple of int
        One length per dimension named on the definition's left-hand side
        (single labels have no axis).
    """

    values: tuple[float, ...]
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to an element, or to ``time``/``time_step``/... by identifier.

    ``subscripts`` are as written (see the module docstring); ``()`` for a
    scalar element or an array element taken over its own dimensions.
    """

    name: str
    subscripts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unary:
    """A unary operator: ``"-"`` (negation) or ``"not"``."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator.

    ``op`` is one of ``+ - * / ^ = <> < <= > >= and or``.
    """

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a stateless builtin such as ``max`` or ``if_then_else``."""

    function: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class LookupTable:
    """A lookup (graphical function) given by points.

    Attributes
    ----------
    x, y : tuple of float, length n_points
        The points, ``x`` increasing.
    kind : str
        ``"interpolate"`` (linear inside, constant extrapolation outside),
        ``"extrapolate"`` (linear extrapolation outside) or ``"hold_backward"``
        / ``"look_forward"`` (step interpolation), as PySD does them.
    """

    x: tuple[float, ...]
    y: tuple[float, ...]
    kind: str = "interpolate"


@dataclass(frozen=True, slots=True)
class LookupCall:
    """Evaluation of a named lookup element at ``argument``.

    ``subscripts`` pick the table of a subscripted lookup, as for :class:`Ref`.
    """

    lookup: str
    argument: Expr
    subscripts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InlineLookup:
    """``WITH LOOKUP(argument, table)``: a lookup defined in place."""

    argument: Expr
    table: LookupTable


@dataclass(frozen=True, slots=True)
class Stateful:
    """A stateful builtin (SMOOTH, DELAY, TREND, INITIAL, ...) used inside an expression.

    ``args`` follow the order documented on :class:`StatefulKind`.
    """

    kind: StatefulKind
    args: tuple[Expr, ...]


Expr = Num | ArrayLiteral | Ref | Unary | Binary | Call | LookupCall | InlineLookup | Stateful


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call | Stateful):
        return node.args
    if isinstance(node, LookupCall | InlineLookup):
        return (node.argument,)
    return ()


def iter_nodes(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, parents before children."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def references(expr: Expr) -> set[str]:
    """Identifiers referenced anywhere in ``expr`` (lookups included, subscripts ignored)."""
    found: set[str] = set()
    for node in iter_nodes(expr):
        if isinstance(node, Ref):
            found.add(node.name)
        elif isinstance(node, LookupCall):
            found.add(node.lookup)
    return found
