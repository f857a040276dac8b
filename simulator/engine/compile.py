"""The compiler: the frozen IR -> a backend-neutral :class:`~simulator.engine.plan.Plan`.

Front half (here): every element, stock rate and initial value, and every
argument of a stateful builtin becomes a node with a slot; statefuls become
blocks; expressions are lowered over their subscript contexts
(:mod:`simulator.engine.lower`); nodes are put in dependency order, with
cycles among auxiliaries reported by name. Back half: a backend from
:mod:`simulator.engine.backends` turns the plan into something that runs.

The plan has four evaluation lists:

* ``static``: nodes that depend only on constants, computed once per batch;
* ``init``: the remaining nodes and the stateful blocks in initialisation
  order (stocks take their initial values; ACTIVE INITIAL uses its initial
  argument);
* ``core`` and ``report``: what each time step needs for the derivatives and
  discrete updates, and what is only needed for the requested outputs (computed
  only at saved times).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.engine.backends.numpy import CompiledModel, compile_plan
from simulator.engine.lower import Context, ContextAxis, Lowerer, reduction_axes
from simulator.engine.order import Order
from simulator.engine.plan import (
    NodeKind,
    Piece,
    Plan,
    PlanBlock,
    PlanNode,
    PlanTable,
)
from simulator.errors import UndefinedReferenceError, UnsupportedConstructError
from simulator.model.expressions import REDUCTIONS
from simulator.model.ir import (
    Binary,
    Call,
    Definition,
    Element,
    ElementKind,
    Expr,
    InlineLookup,
    LookupCall,
    LookupTable,
    Model,
    Ref,
    Stateful,
    Unary,
    references,
)
from simulator.model.load import TIME_NAMES
from simulator.model.names import suggest

__all__ = ["BatchLookupTable", "CompiledModel", "build_plan", "compile_model"]


@dataclass(frozen=True)
class BatchLookupTable(LookupTable):
    """A lookup with one row of y values per run.

    Attributes
    ----------
    rows : ndarray, shape (n_runs, n_points)
    """

    rows: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))


#: A definition with its context and the flat elements it writes (targets, sources).
_Located = tuple[Definition, Context, tuple[int, ...], tuple[int, ...] | None]


@dataclass
class _Node:
    """A node while the plan is built: lifted IR expressions over their contexts."""

    name: str
    owner: str
    context: Context
    kind: NodeKind
    expr: Expr | None = None
    pieces: list[tuple[Context, Expr, tuple[int, ...], tuple[int, ...] | None]] = field(
        default_factory=list
    )
    block: tuple[str, tuple[str, ...], bool] | None = None  # kind, arg names, non-negative


def build_plan(
    model: Model,
    outputs: Sequence[str],
    overrides: Mapping[str, Expr] | None = None,
    lookups: Mapping[str, LookupTable] | None = None,
) -> Plan:
    """Lower ``model`` into a plan recording ``outputs``.

    Parameters
    ----------
    model : Model
    outputs : sequence of str
        Identifiers of the elements to record.
    overrides : mapping of identifier -> Expr, optional
        Replacement equations for constants or auxiliaries (time-varying
        policy inputs are expressed this way), over the element's dimensions.
    lookups : mapping of identifier -> LookupTable, optional
        Replacement tables of scalar lookups.

    Raises
    ------
    AlgebraicLoopError
        Auxiliaries depend on each other in a cycle; the message names it.
    UndefinedReferenceError
        A reference to a name that is not in the model.
    UnsupportedConstructError
        Subscripts that do not fit (the message names the element).
    """
    return _Builder(model, overrides or {}, lookups or {}).build(tuple(outputs))


def compile_model(
    model: Model,
    outputs: Sequence[str],
    overrides: Mapping[str, Expr] | None = None,
    lookups: Mapping[str, LookupTable] | None = None,
) -> CompiledModel:
    """Compile ``model`` for the numpy backend (see :func:`build_plan` for the parameters)."""
    return compile_plan(build_plan(model, outputs, overrides, lookups))


class _Builder:
    def __init__(
        self, model: Model, overrides: Mapping[str, Expr], lookups: Mapping[str, LookupTable]
    ) -> None:
        self.model = model
        self.dimensions = model.dimensions
        self.overrides = overrides
        self.tables: list[PlanTable] = []
        self.table_ids: dict[str, int] = {}
        for element in model.elements.values():
            if element.kind is ElementKind.LOOKUP:
                self.table_ids[element.ident] = len(self.tables)
                self.tables.append(self.lookup_table(element, lookups.get(element.ident)))
            elif isinstance(element.equation, InlineLookup) and not element.dims:
                # an XMILE graphical function, callable as a lookup
                self.table_ids[element.ident] = len(self.tables)
                self.tables.append(PlanTable((), (), (element.equation.table,)))
        self.nodes: dict[str, _Node] = {}
        self.counter = 0

    def lookup_table(self, element: Element, override: LookupTable | None) -> PlanTable:
        shape = self.model.shape(element)
        if override is not None and not element.dims:
            return PlanTable((), (), (override,))
        tables: list[LookupTable | None] = [None] * int(np.prod(shape, dtype=int))
        for definition, _, targets, _ in self.definitions(element):
            assert definition.table is not None
            for target in targets:
                tables[target] = definition.table
        if any(t is None for t in tables):
            raise self.refuse(element, "a subscripted lookup missing some elements")
        return PlanTable(element.dims, shape, tuple(t for t in tables if t is not None))

    def refuse(self, element: Element, construct: str) -> UnsupportedConstructError:
        return UnsupportedConstructError(self.model.source, element.name, construct)

    # -- contexts of definitions ---------------------------------------------------------------
    def definitions(self, element: Element) -> list[_Located]:
        """Each definition with its context and the flat elements it writes (targets, sources)."""
        out = []
        shape = self.model.shape(element)
        for definition in element.definitions:
            context: list[ContextAxis] = []
            positions: list[list[int]] = []
            for entry, dim in zip(definition.subscripts, element.dims, strict=True):
                labels = self.dimensions[dim].elements
                if entry in self.dimensions:
                    context.append(ContextAxis(entry, entry))
                    chosen = self.dimensions[entry].elements
                else:
                    chosen = (entry,)
                if any(label not in labels for label in chosen):
                    raise self.refuse(element, f"the subscript '{entry}' outside {dim}")
                positions.append([labels.index(label) for label in chosen])
            grid = np.ix_(*positions) if positions else ()
            flat = np.ravel_multi_index(grid, shape) if positions else np.zeros((), dtype=int)
            flat = np.broadcast_to(flat, tuple(len(p) for p in positions)).ravel()
            keep = np.ones(flat.shape, dtype=bool)
            for listed in definition.excepted:
                hit = np.ones(flat.shape, dtype=bool)
                combos = np.array(np.unravel_index(flat, shape)).reshape(len(shape), -1)
                for axis, entry in enumerate(listed):
                    labels = self.dimensions[element.dims[axis]].elements
                    names = (
                        self.dimensions[entry].elements if entry in self.dimensions else (entry,)
                    )
                    excluded = [labels.index(n) for n in names if n in labels]
                    hit &= np.isin(combos[axis], excluded)
                keep &= ~hit
            sources = None if keep.all() else tuple(int(i) for i in np.flatnonzero(keep))
            targets = tuple(int(i) for i in flat[keep])
            out.append((definition, tuple(context), targets, sources))
        return out

    # -- building the node graph -------------------------------------------------------------
    def build(self, outputs: tuple[str, ...]) -> Plan:
        for name in TIME_NAMES:
            self.nodes[name] = _Node(name, name, (), NodeKind.INPUT)
        for element in self.model.elements.values():
            if element.kind is ElementKind.LOOKUP:
                continue
            if element.ident in self.overrides:
                expr = self.overrides[element.ident]
                element = _with_equation(element, expr)
            self.add_element(element)
        self.check_references()
        names = list(self.nodes)
        self.slots = {name: i for i, name in enumerate(names)}
        lowerer = Lowerer(
            self.dimensions,
            self.slots.__getitem__,
            self.dims_of,
            lambda ident: (self.table_ids[ident], self.tables[self.table_ids[ident]].dims),
            self.add_table,
        )
        lowerer.path = self.model.source
        plan_nodes, blocks = self.lower_nodes(lowerer, names)
        return Order(self.model, plan_nodes, blocks, self.slots).plan(outputs, tuple(self.tables))

    def add_table(self, table: PlanTable) -> int:
        self.tables.append(table)
        return len(self.tables) - 1

    def dims_of(self, name: str) -> tuple[str, ...]:
        node = self.nodes.get(name)
        if node is not None:
            return tuple(a.dim for a in node.context)
        element = self.model.elements[name]
        return element.dims

    def add_element(self, element: Element) -> None:
        ident = element.ident
        defs = self.definitions(element)
        whole = _covers_whole(element, defs)
        own = tuple(ContextAxis(d, d) for d in element.dims)
        if element.kind is ElementKind.STOCK:
            if whole:
                definition = element.definitions[0]
                assert definition.equation is not None and definition.initial is not None
                rate = self.hidden(ident, "rate", definition.equation, own)
                initial = self.hidden(ident, "initial", definition.initial, own)
            else:
                rate = self.pieces(ident, "rate", defs, own, lambda d: d.equation)
                initial = self.pieces(ident, "initial", defs, own, lambda d: d.initial)
            self.nodes[ident] = _Node(
                ident,
                ident,
                own,
                NodeKind.BLOCK,
                block=("stock", (rate, initial), element.non_negative),
            )
            return
        if whole:
            expr = element.definitions[0].equation
            assert expr is not None
            self.nodes[ident] = _Node(
                ident, ident, own, NodeKind.EXPR, expr=self.lift(ident, expr, own)
            )
        else:
            self.pieces(ident, "", defs, own, lambda d: d.equation)

    def pieces(
        self,
        owner: str,
        role: str,
        defs: list[_Located],
        own: Context,
        part: Callable[[Definition], Expr | None],
    ) -> str:
        name = f"{owner}::{role}" if role else owner
        node = _Node(name, owner, own, NodeKind.PIECES)
        for definition, context, targets, sources in defs:
            expr = part(definition)
            assert expr is not None
            node.pieces.append((context, self.lift(owner, expr, context), targets, sources))
        self.nodes[name] = node
        return name

    def hidden(self, owner: str, role: str, expr: Expr, context: Context) -> str:
        """A hidden node for ``expr``, unless it is a plain reference of the same shape."""
        if isinstance(expr, Ref) and self.same_shape(expr, context):
            return expr.name
        name = f"{owner}::{role}"
        self.nodes[name] = _Node(
            name, owner, context, NodeKind.EXPR, expr=self.lift(owner, expr, context)
        )
        return name

    def same_shape(self, ref: Ref, context: Context) -> bool:
        if ref.name in TIME_NAMES:
            return True
        target = self.nodes.get(ref.name)
        dims = tuple(a.dim for a in target.context) if target else None
        if dims is None:
            element = self.model.elements.get(ref.name)
            if element is None:
                return True  # reported by check_references
            dims = element.dims
        if not dims:
            return not ref.subscripts
        return ref.subscripts == tuple(a.name for a in context) and dims == tuple(
            a.dim for a in context
        )

    def lift(self, owner: str, expr: Expr, context: Context) -> Expr:
        """Replace each stateful builtin in ``expr`` by a reference to a block node."""
        if isinstance(expr, Stateful):
            self.counter += 1
            name = f"{owner}::{expr.kind.value}#{self.counter}"
            args = tuple(self.hidden(name, f"arg{i}", a, context) for i, a in enumerate(expr.args))
            self.nodes[name] = _Node(
                name, owner, context, NodeKind.BLOCK, block=(expr.kind.value, args, False)
            )
            return Ref(name, tuple(a.name for a in context))
        if isinstance(expr, Unary):
            return Unary(expr.op, self.lift(owner, expr.operand, context))
        if isinstance(expr, Binary):
            return Binary(
                expr.op, self.lift(owner, expr.left, context), self.lift(owner, expr.right, context)
            )
        if isinstance(expr, Call):
            inner = context
            if expr.function in REDUCTIONS and expr.args:
                inner = context + reduction_axes(expr.args[0], self.dimensions)
            return Call(expr.function, tuple(self.lift(owner, a, inner) for a in expr.args))
        if isinstance(expr, LookupCall):
            return LookupCall(
                expr.lookup, self.lift(owner, expr.argument, context), expr.subscripts
            )
        if isinstance(expr, InlineLookup):
            return InlineLookup(self.lift(owner, expr.argument, context), expr.table)
        return expr

    def check_references(self) -> None:
        for node in self.nodes.values():
            exprs = [node.expr] if node.expr is not None else [p[1] for p in node.pieces]
            for expr in exprs:
                for name in sorted(references(expr)):
                    if name not in self.nodes and name not in self.table_ids:
                        owner = self.model.elements.get(node.owner)
                        label = owner.name if owner is not None else node.owner
                        known = [e.name for e in self.model.elements.values()]
                        raise UndefinedReferenceError(
                            self.model.source, label, name, suggest(name, known)
                        )

    def lower_nodes(
        self, lowerer: Lowerer, names: list[str]
    ) -> tuple[list[PlanNode], list[PlanBlock]]:
        plan_nodes: list[PlanNode] = []
        blocks: list[PlanBlock] = []
        for slot, name in enumerate(names):
            node = self.nodes[name]
            owner = self.model.elements.get(node.owner)
            lowerer.element = owner.name if owner is not None else node.owner
            dims = tuple(a.dim for a in node.context)
            shape = lowerer.shape(node.context)
            expr = None if node.expr is None else lowerer.lower(node.expr, node.context)
            pieces = tuple(
                Piece(lowerer.lower(e, context), lowerer.shape(context), targets, sources)
                for context, e, targets, sources in node.pieces
            )
            block = -1
            if node.block is not None:
                kind, args, non_negative = node.block
                arg_slots = tuple(self.slots[a] for a in args)
                blocks.append(PlanBlock(kind, slot, arg_slots, dims, shape, name, non_negative))
                block = len(blocks) - 1
            plan_nodes.append(
                PlanNode(slot, name, node.owner, dims, shape, node.kind, expr, pieces, block)
            )
        return plan_nodes, blocks


def _with_equation(element: Element, expr: Expr) -> Element:
    from dataclasses import replace

    return replace(element, definitions=(Definition(subscripts=element.dims, equation=expr),))


def _covers_whole(element: Element, defs: list[_Located]) -> bool:
    if len(defs) != 1:
        return False
    definition, _, _, sources = defs[0]
    return definition.subscripts == element.dims and sources is None
