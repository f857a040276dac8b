"""The lowered plan: a model as slots, index maps and a fixed operator table.

The compiler's front half (:mod:`simulator.engine.compile`) turns the frozen IR
into a :class:`Plan`; an evaluation backend (:mod:`simulator.engine.backends`)
turns the plan into something that runs. The plan holds no model text, no
Python callables and no names a backend must interpret: every leaf is a slot
number with integer index maps, or a float; every operation is a key of
:data:`OPERATORS`. A backend can be written from this docstring alone.

Values and layout
-----------------
Every computed value lives in a *slot* (``Plan.nodes[slot]``). A node has
``dims`` (dimension names) and ``shape`` (their lengths, ``()`` for a
scalar). Its value, for a batch of ``n_runs`` runs, is

* scalar node: a float, or an array of shape ``(n_runs,)`` or ``(1,)``;
* array node: an array of shape ``(*shape, n_runs)`` or ``(*shape, 1)``
  (``1`` when the value is the same for every run).

Runs are the last, contiguous axis: every equation evaluates on whole rows of
runs, scalars of shape ``(n_runs,)`` broadcast against arrays by numpy's
right-aligned rule, and a compiled kernel can loop over elements outside and
runs inside. Elements of an array are in row-major (C) order of ``shape``.

Contexts
--------
An expression is evaluated in a *context*: an ordered list of axes, each with
a length (a definition's left-hand-side dimensions, followed by the
``!`` dimensions of every enclosing reduction). In a context of lengths
``c = (c0, .., c{n-1})`` an expression's value broadcasts to ``(*c, n_runs)``.
A backend may produce any broadcastable shape; the reference backend produces
a float, a 1-D array over runs, or an array of exactly ``n + 1`` axes
(length 1 where the value does not vary).

Expressions (:data:`PlanExpr`)
------------------------------
``Const(value)``
    A float.
``ConstArray(values, shape)``
    Floats over the context: ``shape`` has one entry per context axis (1 where
    constant along it); ``values`` are row-major, the value is
    ``values.reshape(*shape, 1)``.
``Load(slot, index)``
    The value of ``slot`` read through one :data:`PlanIndex` per axis of the
    slot's ``shape``: ``Axis(k, table)`` makes the slot's axis run with context
    axis ``k``, at positions ``table[i]`` for context position ``i``
    (``table is None``: the identity, ``i`` itself); ``Fixed(p)`` reads
    position ``p`` only. The result at context position ``(i0, .., i{n-1})``
    and run ``r`` is ``value[j0, .., j{m-1}, r]`` with ``j`` given by the index
    maps. Two maps may name the same context axis (a diagonal). A scalar slot
    has ``index == ()``.
``Apply(op, args)``
    ``OPERATORS[op]`` applied element by element (broadcasting) to the
    arguments, all evaluated in the same context. Operators whose entry in
    :data:`TIME_OPERATORS` is true also read ``time`` and ``time_step`` (the
    slots ``Plan.inputs["time"]``, ``Plan.inputs["time_step"]``) and take
    them as their first two arguments before ``args``. ``active_initial`` is
    ``args[1]`` in the ``init`` list and ``args[0]`` everywhere else.
``Reduce(op, sizes, arg)``
    ``arg`` is evaluated in the context extended by axes of lengths
    ``sizes`` (appended at the end) and folded over them with ``sum``,
    ``prod``, ``vmin`` or ``vmax``. NaN is skipped, as PySD's xarray does:
    ``sum`` counts it as 0, ``prod`` as 1, ``vmin``/``vmax`` ignore it (NaN
    if every value is NaN). ``sum`` and ``prod`` accumulate in row-major
    order of the folded axes, one element after the other, so that a result
    never depends on the batch (no pairwise summation).
``Lookup(table, index, arg)``
    Table ``Plan.tables[table]`` evaluated at ``arg``; for a subscripted
    lookup, ``index`` picks the element table per context position as for
    ``Load`` (``index == ()`` for a scalar lookup). Interpolation rules are
    those of :func:`simulator.engine.functions.interpolate`.

Nodes and evaluation lists
--------------------------
A :class:`PlanNode` is one of

* ``INPUT``: ``time`` and the control values (``initial_time``,
  ``final_time``, ``time_step``, ``saveper``), set by the run loop;
* ``EXPR``: ``expr`` evaluated in the context of the node's own shape;
* ``PIECES``: an element defined piecewise (``x[North] = ..``,
  ``x[South] = ..``, ``:EXCEPT:``). The value starts as NaN everywhere; for
  each :class:`Piece`, ``expr`` is evaluated in the context ``piece.shape``,
  broadcast to ``(*piece.shape, n_runs)``, flattened to
  ``(prod(piece.shape), n_runs)``, and its rows ``sources`` (all rows if
  None) are written into the node's flattened rows ``targets``;
* ``BLOCK``: the output of ``Plan.blocks[node.block]``.

``static`` lists the slots computed once per batch (constants and what depends
only on them), ``init`` the rest in initialisation order (a ``BLOCK`` slot
there means: initialise the block from its ``init`` arguments, then read its
output), ``core`` what each integration stage needs for the derivatives and
discrete updates, ``report`` what only the recorded outputs need (evaluated at
saved times, after ``core``). A value given by the caller for a ``static``
slot replaces its evaluation (a float or ``(n_runs,)``, broadcast over the
slot's shape).

Stateful blocks
---------------
A :class:`PlanBlock` has a ``kind`` (``"stock"`` or a
:class:`~simulator.model.ir.StatefulKind` value), the slots of its arguments
(each of the block's shape, or scalar, broadcast over it) in the order of
:class:`~simulator.model.ir.StatefulKind` (a stock's are ``(rate,
initial)``), and :data:`BLOCK_ARGS`, which says which arguments
initialisation, the output and the derivative read. State per element:
a stock, TREND and FORECAST keep 1 continuous row; SMOOTH and DELAY kinds
``order`` rows (``max(order)`` over the runs, found at initialisation: the
order argument may differ by run and element; DELAY lowers it until
``order * TIME STEP <= delay time`` as PySD does); DELAY FIXED a ring buffer
of ``round(delay_time / TIME STEP)`` past inputs; SAMPLE IF TRUE and INITIAL
one discrete value. The continuous state of the whole model is one array of
shape ``(n_rows, n_runs)``: each block owns ``k * prod(shape)`` consecutive
rows, stage-major (``k`` rows of ``prod(shape)`` flattened elements), stocks
first, in ``Plan.blocks`` order. Numerics follow
:mod:`simulator.engine.backends.numpy`'s blocks (which follow PySD's).

Recorded outputs
----------------
``Plan.outputs`` lists the identifiers recorded at every saved time; each is
the slot ``Plan.slots[ident]`` and is recorded into a buffer of shape
``(n_saved, *shape, n_runs)`` (time-major: one contiguous write per save).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from simulator.model.ir import LookupTable

__all__ = [
    "BLOCK_ARGS",
    "OPERATORS",
    "REDUCERS",
    "TIME_OPERATORS",
    "Apply",
    "Axis",
    "BlockArgs",
    "Const",
    "ConstArray",
    "Fixed",
    "Load",
    "Lookup",
    "NodeKind",
    "Piece",
    "Plan",
    "PlanBlock",
    "PlanExpr",
    "PlanIndex",
    "PlanNode",
    "PlanTable",
    "Reduce",
]

#: Every operator an ``Apply`` may name, with its number of arguments (None: 2 to 4 optional).
#: Unary: ``neg``, ``not``; binary as in Vensim; then the stateless builtins of
#: :mod:`simulator.engine.functions`.
OPERATORS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        "neg": (1,),
        "not": (1,),
        **dict.fromkeys(
            ("+", "-", "*", "/", "^", "=", "<>", "<", "<=", ">", ">=", "and", "or"), (2,)
        ),
        **dict.fromkeys(
            ("abs", "exp", "ln", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan"),
            (1,),
        ),
        **dict.fromkeys(("sinh", "cosh", "tanh", "integer"), (1,)),
        **dict.fromkeys(("log", "power", "min", "max", "modulo", "quantum", "zidz"), (2,)),
        "pi": (0,),
        "xidz": (3,),
        "if_then_else": (3,),
        "active_initial": (2,),
        "step": (2,),
        "ramp": (2, 3),
        "Xramp": (2,),
        "pulse": (2,),
        "Xpulse": (2,),
        "pulse_train": (4,),
        "Xpulse_train": (3,),
    }
)

#: Operators that read ``time`` and ``time_step`` before their arguments.
TIME_OPERATORS = frozenset(
    ("step", "ramp", "Xramp", "pulse", "Xpulse", "pulse_train", "Xpulse_train")
)

#: Folds a ``Reduce`` may name.
REDUCERS = ("sum", "prod", "vmin", "vmax")


@dataclass(frozen=True, slots=True)
class Axis:
    """Index map: the slot's axis runs with context axis ``axis`` (through ``table``)."""

    axis: int
    table: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Fixed:
    """Index map: the slot's axis is read at one position."""

    position: int


PlanIndex = Axis | Fixed


@dataclass(frozen=True, slots=True)
class Const:
    """A float."""

    value: float


@dataclass(frozen=True, slots=True)
class ConstArray:
    """Floats over the context, row-major; ``shape`` has one length per context axis."""

    values: tuple[float, ...]
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Load:
    """The value of ``slot`` through one index map per axis of the slot."""

    slot: int
    index: tuple[PlanIndex, ...] = ()


@dataclass(frozen=True, slots=True)
class Apply:
    """An operator of :data:`OPERATORS` applied element by element."""

    op: str
    args: tuple[PlanExpr, ...]


@dataclass(frozen=True, slots=True)
class Reduce:
    """A fold of ``arg`` over extra trailing context axes of lengths ``sizes``."""

    op: str
    sizes: tuple[int, ...]
    arg: PlanExpr


@dataclass(frozen=True, slots=True)
class Lookup:
    """Table ``table`` of :attr:`Plan.tables` at ``arg``, element picked by ``index``."""

    table: int
    index: tuple[PlanIndex, ...]
    arg: PlanExpr


PlanExpr = Const | ConstArray | Load | Apply | Reduce | Lookup


class NodeKind(enum.Enum):
    """How a node gets its value."""

    INPUT = "input"
    EXPR = "expr"
    PIECES = "pieces"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Piece:
    """One definition of a piecewise-defined element (see the module docstring)."""

    expr: PlanExpr
    shape: tuple[int, ...]
    targets: tuple[int, ...]
    sources: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class PlanNode:
    """One slot.

    Attributes
    ----------
    slot : int
    name : str
        An element's identifier, or ``"<element>::<role>"`` for a hidden node
        (an argument of a builtin, a stock's rate, a block's output).
    owner : str
        The element it belongs to (for messages).
    dims : tuple of str
        Dimension names of its axes (a hidden node inside a reduction may
        repeat one).
    shape : tuple of int
    kind : NodeKind
    expr : PlanExpr or None
        For ``EXPR`` nodes.
    pieces : tuple of Piece
        For ``PIECES`` nodes.
    block : int
        Index into :attr:`Plan.blocks` for ``BLOCK`` nodes, else -1.
    """

    slot: int
    name: str
    owner: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    kind: NodeKind
    expr: PlanExpr | None = None
    pieces: tuple[Piece, ...] = ()
    block: int = -1


@dataclass(frozen=True, slots=True)
class BlockArgs:
    """Which arguments (indices into ``PlanBlock.args``) each phase of a block reads."""

    init: tuple[int, ...]
    output: tuple[int, ...]
    step: tuple[int, ...]
    discrete: bool


#: Block kind -> the arguments its initialisation, output and step read.
BLOCK_ARGS: Mapping[str, BlockArgs] = MappingProxyType(
    {
        "stock": BlockArgs(init=(1,), output=(), step=(0,), discrete=False),
        "smooth": BlockArgs(init=(2, 3), output=(), step=(0, 1), discrete=False),
        "delay": BlockArgs(init=(1, 2, 3), output=(1,), step=(0, 1), discrete=False),
        "delay_n": BlockArgs(init=(1, 2, 3), output=(1,), step=(0, 1), discrete=True),
        "delay_fixed": BlockArgs(init=(1, 2), output=(), step=(0,), discrete=True),
        "trend": BlockArgs(init=(0, 1, 2), output=(0, 1), step=(0, 1), discrete=False),
        "forecast": BlockArgs(init=(0, 1, 2, 3), output=(0, 1, 2), step=(0, 1), discrete=False),
        "sample_if_true": BlockArgs(init=(0, 1, 2), output=(0, 1), step=(0, 1), discrete=True),
        "initial": BlockArgs(init=(0,), output=(), step=(), discrete=False),
    }
)


@dataclass(frozen=True, slots=True)
class PlanBlock:
    """A stateful block: a stock or a builtin with memory, over ``shape`` elements.

    Attributes
    ----------
    kind : str
        A key of :data:`BLOCK_ARGS`.
    slot : int
        The node its output goes to.
    args : tuple of int
        Slots of its arguments.
    dims, shape : tuple
        As for nodes.
    name : str
        The node name, for messages.
    non_negative : bool
        A stock kept at zero or above after every step.
    """

    kind: str
    slot: int
    args: tuple[int, ...]
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    name: str
    non_negative: bool = False


@dataclass(frozen=True, slots=True)
class PlanTable:
    """A lookup's tables, one per element (row-major), ``()`` dims for a scalar lookup.

    A table may be a :class:`~simulator.engine.compile.BatchLookupTable`
    (one row of y values per run) for a scalar lookup.
    """

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    tables: tuple[LookupTable, ...]


@dataclass(frozen=True)
class Plan:
    """A model lowered for a backend. Immutable; see the module docstring.

    Attributes
    ----------
    nodes : tuple of PlanNode
        Indexed by slot.
    slots : Mapping[str, int]
        Node name -> slot.
    inputs : Mapping[str, int]
        ``time`` and the control names -> slot.
    static, init, core, report : tuple of int
        Evaluation lists of slots.
    blocks : tuple of PlanBlock
        Stocks first, then the other blocks, each group in initialisation order.
    tables : tuple of PlanTable
    outputs : tuple of str
        Identifiers recorded at saved times.
    """

    nodes: tuple[PlanNode, ...]
    slots: Mapping[str, int]
    inputs: Mapping[str, int]
    static: tuple[int, ...]
    init: tuple[int, ...]
    core: tuple[int, ...]
    report: tuple[int, ...]
    blocks: tuple[PlanBlock, ...]
    tables: tuple[PlanTable, ...]
    outputs: tuple[str, ...]

    @property
    def n_slots(self) -> int:
        return len(self.nodes)
