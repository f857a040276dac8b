"""Lowering: IR expressions in a context of subscript axes -> plan expressions.

A *context* is the list of axes an expression runs over: the dimensions named
on its definition's left-hand side, then the ``!`` dimensions of each
enclosing SUM, PROD, VMIN or VMAX. Each axis is addressed by a name
(``"Region"``, or ``"Region!"`` inside a reduction) and runs over the labels of
a dimension. A reference's subscripts resolve against the context as PySD
resolves them: a label is a fixed position, a dimension or subrange matches
the context axis of the same name (the innermost one), and failing that a
dimension mapped onto a context axis (``A -> B``) runs with it element by
element.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simulator.engine.plan import (
    Apply,
    Axis,
    Const,
    ConstArray,
    Fixed,
    Load,
    Lookup,
    PlanExpr,
    PlanIndex,
    PlanTable,
    Reduce,
)
from simulator.errors import UnsupportedConstructError
from simulator.model.expr import children
from simulator.model.expressions import REDUCTIONS
from simulator.model.ir import (
    ArrayLiteral,
    Binary,
    Call,
    Dimension,
    Expr,
    InlineLookup,
    LookupCall,
    Num,
    Ref,
    Unary,
)

__all__ = ["ContextAxis", "Lowerer", "reduction_axes"]

_UNARY = {"-": "neg", "not": "not"}


@dataclass(frozen=True, slots=True)
class ContextAxis:
    """One axis of a context: how references address it, and whose labels it runs over."""

    name: str
    dim: str


Context = tuple[ContextAxis, ...]


def reduction_axes(argument: Expr, dimensions: Mapping[str, Dimension]) -> Context:
    """The axes a SUM/PROD/VMIN/VMAX folds: every ``Name!`` in its argument, first seen first.

    ``!`` subscripts inside a nested reduction belong to that reduction.
    """
    found: list[str] = []
    stack: list[Expr] = [argument]
    while stack:
        node = stack.pop()
        if isinstance(node, Ref | LookupCall):
            found.extend(s for s in node.subscripts if s.endswith("!") and s not in found)
        if not (isinstance(node, Call) and node.function in REDUCTIONS):
            stack.extend(reversed(children(node)))
    return tuple(ContextAxis(s, s[:-1]) for s in found if s[:-1] in dimensions)


class Lowerer:
    """Lowers the expressions of one model.

    Parameters
    ----------
    dimensions : mapping of name -> Dimension
    slot_of : callable name -> int
    dims_of : callable name -> tuple of str
        The dimensions of the node or element named.
    table_of : callable identifier -> (table index, dims) or None
        A named lookup's table in the plan.
    add_table : callable PlanTable -> int
        Registers an inline table and returns its index.
    """

    def __init__(
        self,
        dimensions: Mapping[str, Dimension],
        slot_of: Callable[[str], int],
        dims_of: Callable[[str], tuple[str, ...]],
        table_of: Callable[[str], tuple[int, tuple[str, ...]]],
        add_table: Callable[[PlanTable], int],
    ) -> None:
        self.dimensions = dimensions
        self.labels = {label for d in dimensions.values() for label in d.elements}
        self.slot_of = slot_of
        self.dims_of = dims_of
        self.table_of = table_of
        self.add_table = add_table
        self.element = ""
        self.path: object = None

    def refuse(self, construct: str) -> UnsupportedConstructError:
        return UnsupportedConstructError(self.path, self.element, construct)  # type: ignore[arg-type]

    def shape(self, context: Context) -> tuple[int, ...]:
        return tuple(len(self.dimensions[a.dim]) for a in context)

    def lower(self, expr: Expr, context: Context) -> PlanExpr:
        """``expr`` (statefuls already lifted out) as a plan expression in ``context``."""
        if isinstance(expr, Num):
            return Const(expr.value)
        if isinstance(expr, ArrayLiteral):
            shape = self.shape(context)
            size = 1
            for n in shape:
                size *= n
            if len(expr.values) != size:
                raise self.refuse(
                    f"a list of {len(expr.values)} numbers for subscripts of {size} elements"
                )
            return ConstArray(expr.values, shape)
        if isinstance(expr, Ref):
            return Load(self.slot_of(expr.name), self.index(expr.name, expr.subscripts, context))
        if isinstance(expr, Unary):
            return Apply(_UNARY[expr.op], (self.lower(expr.operand, context),))
        if isinstance(expr, Binary):
            return Apply(expr.op, (self.lower(expr.left, context), self.lower(expr.right, context)))
        if isinstance(expr, Call):
            if expr.function in REDUCTIONS:
                return self.reduction(expr, context)
            return Apply(expr.function, tuple(self.lower(a, context) for a in expr.args))
        if isinstance(expr, LookupCall):
            table, _ = self.table_of(expr.lookup)
            index = self.index(expr.lookup, expr.subscripts, context)
            return Lookup(table, index, self.lower(expr.argument, context))
        if isinstance(expr, InlineLookup):
            table = self.add_table(PlanTable((), (), (expr.table,)))
            return Lookup(table, (), self.lower(expr.argument, context))
        raise TypeError(f"cannot lower {expr!r}")  # pragma: no cover

    def reduction(self, expr: Call, context: Context) -> PlanExpr:
        (argument,) = expr.args
        axes = reduction_axes(argument, self.dimensions)
        inner = self.lower(argument, context + axes)
        if not axes:  # PySD: a SUM over no dimension is its argument
            return inner
        return Reduce(expr.function, self.shape(axes), inner)

    def index(
        self, name: str, subscripts: tuple[str, ...], context: Context
    ) -> tuple[PlanIndex, ...]:
        """One index map per axis of the element ``name``, for these subscripts."""
        dims = self.dims_of(name)
        if not subscripts:
            subscripts = dims
        if len(subscripts) != len(dims):
            raise self.refuse(
                f"a reference to '{name}' with {len(subscripts)} subscripts "
                f"(it has {len(dims)}: {', '.join(dims) or 'none'})"
            )
        own = set(subscripts)
        return tuple(
            self.resolve(s, d, context, own, name) for s, d in zip(subscripts, dims, strict=True)
        )

    def resolve(
        self, subscript: str, dim: str, context: Context, own: set[str], name: str
    ) -> PlanIndex:
        target = self.dimensions[dim].elements
        if subscript in self.labels and subscript not in self.dimensions:
            if subscript not in target:
                raise self.refuse(
                    f"'{name}[{subscript}]': '{subscript}' is not an element of {dim}"
                )
            return Fixed(target.index(subscript))
        base = subscript.removesuffix("!")
        if base not in self.dimensions:
            raise self.refuse(f"the unknown subscript '{subscript}' in a reference to '{name}'")
        labels = self.dimensions[base].elements
        missing = [label for label in labels if label not in target]
        if missing:
            raise self.refuse(f"'{name}[{subscript}]': {', '.join(missing)} not elements of {dim}")
        table = tuple(target.index(label) for label in labels)
        identity = table == tuple(range(len(target)))
        for k in reversed(range(len(context))):
            if context[k].name == subscript:
                return Axis(k, None if identity else table)
        if not subscript.endswith("!"):
            for mapped in self.dimensions[base].mapping:
                if mapped in own:
                    continue
                for k in reversed(range(len(context))):
                    if context[k].name == mapped:
                        return Axis(k, None if identity else table)
        where = (
            "outside SUM, PROD, VMIN or VMAX"
            if subscript.endswith("!")
            else ("that is neither on the equation's left-hand side nor mapped onto it")
        )
        raise self.refuse(f"the subscript '{subscript}' {where} (in a reference to '{name}')")
