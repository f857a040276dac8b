"""The numpy backend: a plan -> vectorised closures over numpy operations.

No source text is generated: each plan expression becomes a tree of Python
closures. Every value follows the plan's layout (runs last): a float or an
array of shape ``(n_runs,)`` for scalars, ``(*shape, n_runs)`` (or a
length-1 run axis) for arrays. This is the reference backend: Euler runs
match PySD to rounding, and a batch gives each member bit for bit what it
gets alone (every operation is element by element along the run axis;
SUM and PROD accumulate in a fixed order).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine import functions as fn
from simulator.engine.plan import (
    Apply,
    Axis,
    Const,
    ConstArray,
    Fixed,
    Load,
    Lookup,
    NodeKind,
    Plan,
    PlanExpr,
    PlanIndex,
    PlanNode,
    Reduce,
)
from simulator.engine.statefuls import BLOCKS, Block, DelayBlock, DelayFixedBlock

__all__ = ["CompiledModel", "Evaluator", "compile_plan"]

Evaluator = Callable[[list[Any]], Any]

_OPERATORS: dict[str, Callable[..., Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": np.divide,
    "^": fn.power,
    "=": np.equal,
    "<>": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "and": np.logical_and,
    "or": np.logical_or,
    "neg": operator.neg,
    "not": np.logical_not,
    **fn.STATELESS,
}


@dataclass(frozen=True)
class CompiledModel:
    """A plan ready to run with numpy: evaluation lists of closures and blocks. Immutable.

    Attributes
    ----------
    plan : Plan
        What this was compiled from.
    slots : Mapping[str, int]
        Node name -> index in the value list ``v``.
    static, init, core, report : tuple of (int, Evaluator or Block)
        Evaluation lists (see :mod:`simulator.engine.plan`); an entry is either
        a closure ``f(v) -> value`` or a :class:`Block` to initialise or read.
    blocks : tuple of Block
        Every stateful block, stocks first, in initialisation order.
    outputs : tuple of str
        Identifiers of the elements whose values are recorded.
    shapes : tuple of tuple of int
        Each slot's array shape (``()`` for a scalar).
    """

    plan: Plan
    slots: Mapping[str, int]
    static: tuple[tuple[int, Evaluator], ...]
    init: tuple[tuple[int, Evaluator | Block], ...]
    core: tuple[tuple[int, Evaluator | Block], ...]
    report: tuple[tuple[int, Evaluator | Block], ...]
    blocks: tuple[Block, ...]
    outputs: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @property
    def n_slots(self) -> int:
        return len(self.slots)


def compile_plan(plan: Plan) -> CompiledModel:
    """Turn ``plan`` into numpy closures."""
    return _Closures(plan).compile()


def fit(value: Any, shape: tuple[int, ...]) -> Any:
    """A computed value in a slot's layout: ``(*shape, n_runs or 1)``; scalars unchanged."""
    if not shape:
        return value
    array = np.asarray(value)
    if array.ndim == len(shape) + 1 and array.shape[:-1] == shape:
        return array
    if array.ndim < len(shape) + 1:
        array = array.reshape((1,) * (len(shape) + 1 - array.ndim) + array.shape)
    return np.broadcast_to(array, (*shape, array.shape[-1]))


class _Closures:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.time = plan.inputs["time"]
        self.time_step = plan.inputs["time_step"]

    def compile(self) -> CompiledModel:
        plan = self.plan
        blocks: dict[int, Block] = {}
        for spec in plan.blocks:
            cls = BLOCKS[spec.kind]
            extra: dict[str, Any] = {}
            if issubclass(cls, DelayBlock | DelayFixedBlock):
                extra["time_step_slot"] = self.time_step
            if spec.kind == "stock":
                extra["non_negative"] = spec.non_negative
            blocks[spec.slot] = cls(spec.slot, spec.args, spec.name, spec.shape, **extra)

        def entries(slots: Sequence[int], initial: bool) -> tuple[tuple[int, Any], ...]:
            return tuple(
                (s, blocks[s] if s in blocks else self.node(plan.nodes[s], initial)) for s in slots
            )

        return CompiledModel(
            plan=plan,
            slots=plan.slots,
            static=entries(plan.static, False),
            init=entries(plan.init, True),
            core=entries(plan.core, False),
            report=entries(plan.report, False),
            blocks=tuple(blocks[b.slot] for b in plan.blocks),
            outputs=plan.outputs,
            shapes=tuple(n.shape for n in plan.nodes),
        )

    def node(self, node: PlanNode, initial: bool) -> Evaluator:
        shape = node.shape
        if node.kind is NodeKind.EXPR:
            assert node.expr is not None
            evaluate = self.build(node.expr, shape, initial)
            if not shape or self.fits(node.expr, shape):
                return evaluate
            return lambda v: fit(evaluate(v), shape)
        assert node.kind is NodeKind.PIECES, node
        return self.pieces(node, initial)

    def fits(self, expr: PlanExpr, shape: tuple[int, ...]) -> bool:
        """True if ``expr`` already has the slot's layout (a plain read of a same-shaped slot)."""
        return isinstance(expr, Load) and self.is_direct(expr, shape)

    def is_direct(self, load: Load, context: tuple[int, ...]) -> bool:
        """A read that needs no indexing: the slot's axes are the context's, in order."""
        slot_shape = self.plan.nodes[load.slot].shape
        return slot_shape == context and all(
            isinstance(ix, Axis) and ix.axis == k and ix.table is None
            for k, ix in enumerate(load.index)
        )

    def pieces(self, node: PlanNode, initial: bool) -> Evaluator:
        shape = node.shape
        size = int(np.prod(shape, dtype=int))
        parts = [
            (
                self.build(p.expr, p.shape, initial),
                p.shape,
                np.array(p.targets, dtype=int),
                None if p.sources is None else np.array(p.sources, dtype=int),
            )
            for p in node.pieces
        ]

        def assemble(v: list[Any]) -> np.ndarray:
            values = [fit(f(v), s) if s else np.asarray(f(v)) for f, s, _, _ in parts]
            runs = max(np.shape(x)[-1] if np.ndim(x) else 1 for x in values)
            out = np.full((size, runs), np.nan)
            for value, (_, part_shape, targets, sources) in zip(values, parts, strict=True):
                rows = np.broadcast_to(value, (*part_shape, runs)).reshape(-1, runs)
                out[targets] = rows if sources is None else rows[sources]
            return out.reshape(*shape, runs)

        return assemble

    # -- expressions -----------------------------------------------------------------------
    def build(self, expr: PlanExpr, context: tuple[int, ...], initial: bool) -> Evaluator:
        if isinstance(expr, Const):
            value = expr.value
            return lambda v: value
        if isinstance(expr, ConstArray):
            array = np.array(expr.values, dtype=float).reshape(*expr.shape, 1)
            return lambda v: array
        if isinstance(expr, Load):
            return self.load(expr, context)
        if isinstance(expr, Apply):
            return self.apply(expr, context, initial)
        if isinstance(expr, Reduce):
            return self.reduce(expr, context, initial)
        if isinstance(expr, Lookup):
            return self.lookup(expr, context, initial)
        raise TypeError(f"cannot compile {expr!r}")  # pragma: no cover

    def load(self, load: Load, context: tuple[int, ...]) -> Evaluator:
        slot = load.slot
        if not load.index or self.is_direct(load, context):
            return operator.itemgetter(slot)
        indexer = _indexer(load.index, context)
        return lambda v: v[slot][indexer]

    def apply(self, expr: Apply, context: tuple[int, ...], initial: bool) -> Evaluator:
        name = expr.op
        if name == "active_initial":
            return self.build(expr.args[1] if initial else expr.args[0], context, initial)
        if name in fn.TIME_FUNCTIONS:
            function = fn.TIME_FUNCTIONS[name]
            args = [self.build(a, context, initial) for a in expr.args]
            t, dt = self.time, self.time_step
            return lambda v: function(v[t], v[dt], *(a(v) for a in args))
        op = _OPERATORS[name]
        if len(expr.args) == 2:
            left, right = expr.args
            i, j = self.direct_slot(left, context), self.direct_slot(right, context)
            if i is not None and j is not None:
                return lambda v: op(v[i], v[j])
            if i is not None and isinstance(right, Const):
                c = right.value
                return lambda v: op(v[i], c)
            if isinstance(left, Const) and j is not None:
                c = left.value
                return lambda v: op(c, v[j])
            lf, rf = self.build(left, context, initial), self.build(right, context, initial)
            return lambda v: op(lf(v), rf(v))
        args = [self.build(a, context, initial) for a in expr.args]
        if len(args) == 1:
            (a0,) = args
            return lambda v: op(a0(v))
        return lambda v: op(*(a(v) for a in args))

    def direct_slot(self, expr: PlanExpr, context: tuple[int, ...]) -> int | None:
        if isinstance(expr, Load) and (not expr.index or self.is_direct(expr, context)):
            return expr.slot
        return None

    def reduce(self, expr: Reduce, context: tuple[int, ...], initial: bool) -> Evaluator:
        inner = (*context, *expr.sizes)
        argument = self.build(expr.arg, inner, initial)
        n_folded = int(np.prod(expr.sizes, dtype=int))
        fold = _FOLDS[expr.op]

        def reduce(v: list[Any]) -> np.ndarray:
            value = np.asarray(argument(v), dtype=float)
            runs = value.shape[-1] if value.ndim else 1
            value = fit(value, inner) if inner else value
            full = np.broadcast_to(value, (*inner, runs)).reshape(*context, n_folded, runs)
            return fold(full)

        return reduce

    def lookup(self, expr: Lookup, context: tuple[int, ...], initial: bool) -> Evaluator:
        argument = self.build(expr.arg, context, initial)
        table = self.plan.tables[expr.table]
        if not table.dims:
            return _interpolator(table.tables[0], argument)
        ids = np.arange(len(table.tables)).reshape(*table.shape, 1)[_indexer(expr.index, context)]
        present = [int(e) for e in np.unique(ids)]
        if len(present) == 1:
            return _interpolator(table.tables[present[0]], argument)
        parts = [(ids == e, _interpolator(table.tables[e], argument)) for e in present]

        def lookup(v: list[Any]) -> np.ndarray:
            out: Any = np.nan
            for mask, interpolate in parts:
                out = np.where(mask, interpolate(v), out)
            return out

        return lookup


def _indexer(index: tuple[PlanIndex, ...], context: tuple[int, ...]) -> tuple[Any, ...]:
    """A numpy index reading a slot's axes at the context's positions (open mesh)."""
    parts: list[Any] = []
    for ix in index:
        if isinstance(ix, Fixed):
            parts.append(ix.position)
            continue
        positions = np.arange(context[ix.axis]) if ix.table is None else np.array(ix.table)
        shape = [1] * len(context)
        shape[ix.axis] = len(positions)
        parts.append(positions.reshape(shape))
    return tuple(parts)


def _interpolator(table: Any, argument: Evaluator) -> Evaluator:
    xs = np.asarray(table.x, dtype=float)
    rows = getattr(table, "rows", None)
    ys = rows if rows is not None else np.asarray(table.y, dtype=float)
    kind = table.kind
    return lambda v: fn.interpolate(argument(v), xs, ys, kind)


def _sum(values: np.ndarray) -> np.ndarray:
    return np.nancumsum(values, axis=-2)[..., -1, :]


def _prod(values: np.ndarray) -> np.ndarray:
    return np.nancumprod(values, axis=-2)[..., -1, :]


def _vmin(values: np.ndarray) -> np.ndarray:
    return np.fmin.reduce(values, axis=-2)


def _vmax(values: np.ndarray) -> np.ndarray:
    return np.fmax.reduce(values, axis=-2)


#: Reduce op -> fold over axis -2 of ``(*context, n_folded, n_runs)``.
_FOLDS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "sum": _sum,
    "prod": _prod,
    "vmin": _vmin,
    "vmax": _vmax,
}
