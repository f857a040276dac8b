"""Compile the IR into vectorised numpy closures, in dependency order.

No source text is generated: each expression becomes a tree of Python
closures over numpy operations. Every value is a float (the same for all runs)
or an array of shape ``(n_runs,)``.

The compiled model has three evaluation lists:

* ``static``: nodes that depend only on constants, computed once per batch;
* ``init``: the remaining nodes and the stateful blocks in initialisation
  order (stocks take their initial values; ACTIVE INITIAL uses its initial
  argument);
* ``core`` and ``report``: what each time step needs for the derivatives and
  discrete updates, and what is only needed for the requested outputs (computed
  only at saved times).
"""

from __future__ import annotations

import graphlib
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.engine import functions as fn
from simulator.engine.statefuls import (
    BLOCKS,
    Block,
    DelayBlock,
    DelayFixedBlock,
    StockBlock,
)
from simulator.errors import AlgebraicLoopError, UndefinedReferenceError
from simulator.model.ir import (
    Binary,
    Call,
    ElementKind,
    Expr,
    InlineLookup,
    LookupCall,
    LookupTable,
    Model,
    Num,
    Ref,
    Stateful,
    Unary,
    iter_nodes,
    references,
)
from simulator.model.load import CONTROL_NAMES
from simulator.model.names import suggest

__all__ = ["BatchLookupTable", "CompiledModel", "Node", "compile_model"]

Evaluator = Callable[[list[Any]], Any]

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
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
}


@dataclass(frozen=True)
class BatchLookupTable(LookupTable):
    """A lookup with one row of y values per run.

    Attributes
    ----------
    rows : ndarray, shape (n_runs, n_points)
    """

    rows: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))


@dataclass(frozen=True)
class Node:
    """One computed value: an element, a hidden argument of a builtin, or a block output.

    Attributes
    ----------
    name : str
        Identifier; hidden nodes are named ``"<element>::<role>"``.
    owner : str
        The model element it belongs to (for messages).
    expr : Expr or None
        The expression, with stateful builtins replaced by references to
        their block nodes; None for block outputs.
    block : Block or None
        The stateful block whose output this node is.
    """

    name: str
    owner: str
    expr: Expr | None = None
    block: Block | None = None


@dataclass(frozen=True)
class CompiledModel:
    """A model ready to run: slots, evaluation lists and blocks. Immutable; reusable.

    Attributes
    ----------
    slots : Mapping[str, int]
        Node name -> index in the value list ``v``.
    static, init, core, report : tuple of (int, Evaluator or Block)
        Evaluation lists (see the module docstring); an entry is either a
        closure ``f(v) -> value`` or a :class:`Block` to initialise or read.
    blocks : tuple of Block
        Every stateful block, stocks first, in initialisation order.
    outputs : tuple of str
        Identifiers of the elements whose values are recorded.
    """

    slots: Mapping[str, int]
    static: tuple[tuple[int, Evaluator], ...]
    init: tuple[tuple[int, Evaluator | Block], ...]
    core: tuple[tuple[int, Evaluator | Block], ...]
    report: tuple[tuple[int, Evaluator | Block], ...]
    blocks: tuple[Block, ...]
    outputs: tuple[str, ...]

    @property
    def n_slots(self) -> int:
        return len(self.slots)


def compile_model(
    model: Model,
    outputs: Sequence[str],
    overrides: Mapping[str, Expr] | None = None,
    lookups: Mapping[str, LookupTable] | None = None,
) -> CompiledModel:
    """Compile ``model`` for the given outputs.

    Parameters
    ----------
    model : Model
    outputs : sequence of str
        Identifiers of the elements to record.
    overrides : mapping of identifier -> Expr, optional
        Replacement equations for constants or auxiliaries (time-varying
        policy inputs are expressed this way).
    lookups : mapping of identifier -> LookupTable, optional
        Replacement tables.

    Raises
    ------
    AlgebraicLoopError
        Auxiliaries depend on each other in a cycle; the message names it.
    UnsupportedConstructError
        A reference to a name that is not in the model.
    """
    return _Compiler(model, overrides or {}, lookups or {}).compile(tuple(outputs))


class _Compiler:
    def __init__(
        self, model: Model, overrides: Mapping[str, Expr], lookups: Mapping[str, LookupTable]
    ) -> None:
        self.model = model
        self.overrides = overrides
        self.tables: dict[str, LookupTable] = {}
        for element in model.lookups:
            table = lookups.get(element.ident, element.table)
            if table is not None:
                self.tables[element.ident] = table
        for element in model.elements.values():
            if isinstance(element.equation, InlineLookup):  # XMILE graphical function
                self.tables.setdefault(element.ident, element.equation.table)
        self.nodes: dict[str, Node] = {}
        self.counter = 0
        # element -> (rate node, initial node, non-negative); block node -> (kind, arg nodes)
        self.stock_specs: dict[str, tuple[str, str, bool]] = {}
        self.block_specs: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.deps_cache: dict[tuple[str, str, bool], set[str]] = {}

    # -- building the node graph -------------------------------------------------------------
    def compile(self, outputs: tuple[str, ...]) -> CompiledModel:
        for name in ("time", *CONTROL_NAMES):
            self.nodes[name] = Node(name, name)
        for element in self.model.elements.values():
            if element.kind is ElementKind.LOOKUP:
                continue
            ident = element.ident
            if element.kind is ElementKind.STOCK:
                assert element.equation is not None and element.initial is not None
                rate = self.hidden(ident, "rate", element.equation)
                initial = self.hidden(ident, "initial", element.initial)
                self.nodes[ident] = Node(ident, ident)
                self.stock_specs[ident] = (rate, initial, element.non_negative)
            else:
                expr = self.overrides.get(ident, element.equation)
                assert expr is not None
                self.nodes[ident] = Node(ident, ident, expr=self.lift(ident, expr))
        self.check_references()
        self.names = list(self.nodes)  # slot -> node name
        self.slots = {name: i for i, name in enumerate(self.names)}
        blocks = self.make_blocks(self.slots)
        return self.order(outputs, blocks)

    def hidden(self, owner: str, role: str, expr: Expr) -> str:
        """A hidden node for ``expr``, unless it is a plain reference (then the name itself)."""
        if isinstance(expr, Ref):
            return expr.name
        name = f"{owner}::{role}"
        self.nodes[name] = Node(name, owner, expr=self.lift(owner, expr))
        return name

    def lift(self, owner: str, expr: Expr) -> Expr:
        """Replace each stateful builtin in ``expr`` by a reference to a block node."""
        if isinstance(expr, Stateful):
            self.counter += 1
            name = f"{owner}::{expr.kind.value}#{self.counter}"
            arg_names = tuple(self.hidden(name, f"arg{i}", arg) for i, arg in enumerate(expr.args))
            self.nodes[name] = Node(name, owner)
            self.block_specs[name] = (expr.kind.value, arg_names)
            return Ref(name)
        if isinstance(expr, Unary):
            return Unary(expr.op, self.lift(owner, expr.operand))
        if isinstance(expr, Binary):
            return Binary(expr.op, self.lift(owner, expr.left), self.lift(owner, expr.right))
        if isinstance(expr, Call):
            return Call(expr.function, tuple(self.lift(owner, a) for a in expr.args))
        if isinstance(expr, LookupCall):
            return LookupCall(expr.lookup, self.lift(owner, expr.argument))
        if isinstance(expr, InlineLookup):
            return InlineLookup(self.lift(owner, expr.argument), expr.table)
        return expr

    def check_references(self) -> None:
        for node in self.nodes.values():
            if node.expr is None:
                continue
            for name in sorted(references(node.expr)):
                if name not in self.nodes and name not in self.tables:
                    owner = self.model.elements.get(node.owner.split("::")[0])
                    label = owner.name if owner is not None else node.owner
                    known = [e.name for e in self.model.elements.values()]
                    raise UndefinedReferenceError(
                        self.model.source, label, name, suggest(name, known)
                    )

    def make_blocks(self, slots: Mapping[str, int]) -> dict[str, Block]:
        blocks: dict[str, Block] = {}
        for ident, (rate, initial, non_negative) in self.stock_specs.items():
            blocks[ident] = StockBlock(
                slots[ident], (slots[rate], slots[initial]), ident, non_negative=non_negative
            )
        for name, (kind, arg_names) in self.block_specs.items():
            cls = BLOCKS[kind]
            args = tuple(slots[a] for a in arg_names)
            if issubclass(cls, DelayBlock | DelayFixedBlock):
                blocks[name] = cls(slots[name], args, name, time_step_slot=slots["time_step"])
            else:
                blocks[name] = cls(slots[name], args, name)
        for name, block in blocks.items():
            node = self.nodes[name]
            self.nodes[name] = Node(node.name, node.owner, expr=None, block=block)
        return blocks

    # -- ordering ------------------------------------------------------------------------------
    def deps(self, node: Node, phase: str) -> set[str]:
        """Names a node needs: ``phase`` is "init" or "run"."""
        key = (node.name, phase, node.block is not None)
        if key not in self.deps_cache:
            self.deps_cache[key] = self._deps(node, phase)
        return self.deps_cache[key]

    def _deps(self, node: Node, phase: str) -> set[str]:
        if node.block is not None:
            spec = node.block
            indices = spec.init_args if phase == "init" else spec.output_args
            names = [self.name_of(spec.args[i]) for i in indices]
            return set(names)
        if node.expr is None:
            return set()
        found = {r for r in references(node.expr) if r in self.nodes}
        if any(
            isinstance(n, Call) and n.function in fn.TIME_FUNCTIONS for n in iter_nodes(node.expr)
        ):
            found.add("time")  # STEP, RAMP, PULSE read the clock
        return found

    def name_of(self, slot: int) -> str:
        return self.names[slot]

    def order(self, outputs: tuple[str, ...], blocks: Mapping[str, Block]) -> CompiledModel:
        dynamic_roots = {"time"} | set(blocks)
        dynamic = self.closure_of_dependents(dynamic_roots) | self.active_initial_nodes()
        static_names = [n for n in self.nodes if n not in dynamic and n not in ("time",)]
        static_order = self.toposort(static_names, "run", "")
        init_names = [n for n in self.nodes if n in dynamic]
        init_order = self.toposort(init_names, "init", "initialisation")
        needed_core = self.needed(
            {self.name_of(b.args[i]) for b in blocks.values() for i in b.step_args}, dynamic
        )
        needed_report = self.needed(set(outputs), dynamic) - needed_core
        run_order = self.toposort([n for n in self.nodes if n in dynamic], "run", "")
        control = set(CONTROL_NAMES)
        compiled_static = tuple(
            (self.slots[n], self.evaluator(n, initial=False))
            for n in static_order
            if n not in control
        )
        compiled_init = tuple(
            (self.slots[n], self.entry(n, initial=True)) for n in init_order if n != "time"
        )

        def entries(names: Iterable[str]) -> tuple[tuple[int, Evaluator | Block], ...]:
            return tuple((self.slots[n], self.entry(n, initial=False)) for n in names)

        core = entries(n for n in run_order if n in needed_core and n != "time")
        report = entries(n for n in run_order if n in needed_report and n != "time")
        block_order = [n for n in init_order if n in blocks]
        stocks_first = sorted(block_order, key=lambda n: not isinstance(blocks[n], StockBlock))
        return CompiledModel(
            slots=dict(self.slots),
            static=compiled_static,
            init=compiled_init,
            core=core,
            report=report,
            blocks=tuple(blocks[n] for n in stocks_first),
            outputs=outputs,
        )

    def entry(self, name: str, initial: bool) -> Evaluator | Block:
        node = self.nodes[name]
        if node.block is not None:
            return node.block
        return self.evaluator(name, initial)

    def closure_of_dependents(self, roots: set[str]) -> set[str]:
        """Nodes that (transitively) depend on any root, roots included."""
        dependents: dict[str, set[str]] = {n: set() for n in self.nodes}
        for name, node in self.nodes.items():
            for dep in self.deps(node, "run") | self.deps(node, "init"):
                dependents[dep].add(name)
        seen = set(roots)
        stack = list(roots)
        while stack:
            for child in dependents[stack.pop()]:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def active_initial_nodes(self) -> set[str]:
        found = {
            name
            for name, node in self.nodes.items()
            if node.expr is not None
            and any(
                isinstance(n, Call) and n.function == "active_initial"
                for n in iter_nodes(node.expr)
            )
        }
        return self.closure_of_dependents(found) if found else set()

    def needed(self, roots: set[str], dynamic: set[str]) -> set[str]:
        """Dynamic nodes needed at run time to compute ``roots``."""
        seen: set[str] = set()
        stack = [r for r in roots if r in dynamic]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(d for d in self.deps(self.nodes[name], "run") if d in dynamic)
        return seen

    def toposort(self, names: list[str], phase: str, label: str) -> list[str]:
        members = set(names)
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for name in names:
            sorter.add(name, *(d for d in self.deps(self.nodes[name], phase) if d in members))
        try:
            return list(sorter.static_order())
        except graphlib.CycleError as exc:
            cycle = _readable_cycle(exc.args[1], self.model)
            raise AlgebraicLoopError(self.model.source, cycle, label) from None

    # -- closures ------------------------------------------------------------------------------
    def evaluator(self, name: str, initial: bool) -> Evaluator:
        expr = self.nodes[name].expr
        assert expr is not None
        return self.build(expr, initial)

    def build(self, expr: Expr, initial: bool) -> Evaluator:
        if isinstance(expr, Num):
            value = expr.value
            return lambda v: value
        if isinstance(expr, Ref):
            return operator.itemgetter(self.slots[expr.name])
        if isinstance(expr, Unary):
            operand = self.build(expr.operand, initial)
            if expr.op == "-":
                return lambda v: -operand(v)
            return lambda v: np.logical_not(operand(v))
        if isinstance(expr, Binary):
            return self.build_binary(expr, initial)
        if isinstance(expr, Call):
            return self.build_call(expr, initial)
        if isinstance(expr, LookupCall):
            table = self.tables[expr.lookup]
            return self.build_lookup(table, self.build(expr.argument, initial))
        if isinstance(expr, InlineLookup):
            return self.build_lookup(expr.table, self.build(expr.argument, initial))
        raise TypeError(f"cannot compile {expr!r}")  # pragma: no cover

    def build_binary(self, expr: Binary, initial: bool) -> Evaluator:
        op = _BINARY[expr.op]
        left, right = expr.left, expr.right
        if isinstance(left, Ref) and isinstance(right, Ref):
            i, j = self.slots[left.name], self.slots[right.name]
            return lambda v: op(v[i], v[j])
        if isinstance(left, Ref) and isinstance(right, Num):
            i, c = self.slots[left.name], right.value
            return lambda v: op(v[i], c)
        if isinstance(left, Num) and isinstance(right, Ref):
            c, j = left.value, self.slots[right.name]
            return lambda v: op(c, v[j])
        lf, rf = self.build(left, initial), self.build(right, initial)
        return lambda v: op(lf(v), rf(v))

    def build_call(self, expr: Call, initial: bool) -> Evaluator:
        args = [self.build(a, initial) for a in expr.args]
        name = expr.function
        if name == "active_initial":
            return args[1] if initial else args[0]
        if name in fn.TIME_FUNCTIONS:
            function = fn.TIME_FUNCTIONS[name]
            t, dt = self.slots["time"], self.slots["time_step"]
            return lambda v: function(v[t], v[dt], *(a(v) for a in args))
        function = fn.STATELESS[name]
        if len(args) == 1:
            (a0,) = args
            return lambda v: function(a0(v))
        if len(args) == 2:
            a0, a1 = args
            return lambda v: function(a0(v), a1(v))
        return lambda v: function(*(a(v) for a in args))

    def build_lookup(self, table: LookupTable, argument: Evaluator) -> Evaluator:
        xs = np.asarray(table.x, dtype=float)
        ys = table.rows if isinstance(table, BatchLookupTable) else np.asarray(table.y, dtype=float)
        kind = table.kind
        return lambda v: fn.interpolate(argument(v), xs, ys, kind)


def _readable_cycle(nodes: Sequence[str], model: Model) -> list[str]:
    names: list[str] = []
    for node in nodes[:-1] if len(nodes) > 1 and nodes[0] == nodes[-1] else nodes:
        owner = node.split("::")[0]
        element = model.elements.get(owner)
        label = element.name if element is not None else owner
        if not names or names[-1] != label:
            names.append(label)
    if len(names) > 1 and names[0] == names[-1]:
        names.pop()
    return names
