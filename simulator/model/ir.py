"""The frozen intermediate representation (IR) of a scalar system-dynamics model.

The IR is what every later stage consumes: the compiler, scenario checks,
``describe`` and the notebooks. It is independent of PySD: the loader
(:mod:`simulator.model.load`) is the only module that sees PySD's AST.

Expressions are trees of small frozen dataclasses. Names inside expressions
are *identifiers*: the canonical form of a Vensim name given by
:func:`simulator.model.names.canonical` (lower case, runs of spaces and
underscores collapsed to one underscore).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "Binary",
    "Call",
    "Element",
    "ElementKind",
    "Expr",
    "InlineLookup",
    "LookupCall",
    "LookupTable",
    "Model",
    "Num",
    "Ref",
    "Stateful",
    "StatefulKind",
    "TimeSpec",
    "Unary",
    "iter_nodes",
    "references",
]


class ElementKind(enum.Enum):
    """What an element is in the stock-and-flow structure."""

    STOCK = "stock"
    FLOW = "flow"
    AUXILIARY = "auxiliary"
    CONSTANT = "constant"
    LOOKUP = "lookup"


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
class Ref:
    """A reference to an element, or to ``time``/``time_step``/... by identifier."""

    name: str


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
    """Evaluation of a named lookup element at ``argument``."""

    lookup: str
    argument: Expr


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


Expr = Num | Ref | Unary | Binary | Call | LookupCall | InlineLookup | Stateful


@dataclass(frozen=True, slots=True)
class Element:
    """One named element of the model.

    Attributes
    ----------
    name : str
        The model's own spelling (``"CBEC trade volume"``).
    ident : str
        Canonical identifier used in expressions (``"cbec_trade_volume"``).
    kind : ElementKind
    equation : Expr or None
        For stocks the net rate, for auxiliaries, flows and constants the
        defining expression; ``None`` for lookups.
    initial : Expr or None
        Initial value of a stock.
    non_negative : bool
        A stock kept at zero or above (``INTEG`` with non-negative flag).
    table : LookupTable or None
        The points of a lookup element.
    units, documentation : str
    limits : tuple of (float or None, float or None)
        The range given in the model file, if any.
    group : str
        The Vensim group (``*** name`` section) the element belongs to.
    """

    name: str
    ident: str
    kind: ElementKind
    equation: Expr | None = None
    initial: Expr | None = None
    non_negative: bool = False
    table: LookupTable | None = None
    units: str = ""
    documentation: str = ""
    limits: tuple[float | None, float | None] = (None, None)
    group: str = ""

    @property
    def value(self) -> float | None:
        """The literal value of a constant, else ``None``."""
        if self.kind is ElementKind.CONSTANT and isinstance(self.equation, Num):
            return self.equation.value
        return None


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """Simulation time settings, in the model's time unit."""

    initial_time: float
    final_time: float
    time_step: float
    saveper: float
    units: str = ""


@dataclass(frozen=True)
class Model:
    """A loaded model: its elements and time settings. Immutable.

    Use :func:`simulator.load_model` to make one; :meth:`simulate` to run it.

    Attributes
    ----------
    elements : Mapping[str, Element]
        Keyed by identifier, in file order.
    time : TimeSpec
    source : Path or None
        The file the model was read from.
    source_hash : str
        SHA-256 of the file's bytes, for provenance.
    """

    elements: Mapping[str, Element]
    time: TimeSpec
    source: Path | None = None
    source_hash: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", MappingProxyType(dict(self.elements)))

    def __reduce__(self) -> tuple[type[Model], tuple[object, ...]]:
        # the read-only mapping proxy cannot be pickled: rebuild it from a dict
        return (
            Model,
            (dict(self.elements), self.time, self.source, self.source_hash),
        )

    def __repr__(self) -> str:
        plural = {ElementKind.AUXILIARY: "auxiliaries"}
        counts = ", ".join(
            f"{len(self.of_kind(k))} {plural.get(k, k.value + 's')}"
            for k in ElementKind
            if self.of_kind(k)
        )
        where = self.source.name if self.source else "<memory>"
        return f"<Model {where}: {counts}; t = {self.time.initial_time}..{self.time.final_time}>"

    def of_kind(self, kind: ElementKind) -> list[Element]:
        """Elements of one kind, in file order."""
        return [e for e in self.elements.values() if e.kind is kind]

    @property
    def stocks(self) -> list[Element]:
        """The stocks (levels)."""
        return self.of_kind(ElementKind.STOCK)

    @property
    def flows(self) -> list[Element]:
        """Auxiliaries that appear directly in a stock's net rate."""
        return self.of_kind(ElementKind.FLOW)

    @property
    def auxiliaries(self) -> list[Element]:
        """Auxiliaries that are neither flows nor constants."""
        return self.of_kind(ElementKind.AUXILIARY)

    @property
    def constants(self) -> list[Element]:
        """Elements defined by a number: the parameters a run can override."""
        return self.of_kind(ElementKind.CONSTANT)

    @property
    def lookups(self) -> list[Element]:
        """Lookup (graphical function) elements."""
        return self.of_kind(ElementKind.LOOKUP)

    def __getitem__(self, name: str) -> Element:
        return self.elements[self.resolve(name)]

    def __contains__(self, name: object) -> bool:
        from simulator.model.names import canonical

        return isinstance(name, str) and canonical(name) in self.elements

    def resolve(self, name: str, where: str = "") -> str:
        """The identifier of ``name``, matched as Vensim does.

        Raises
        ------
        UnknownNameError
            With did-you-mean suggestions when nothing matches.
        """
        from simulator.errors import UnknownNameError
        from simulator.model.names import canonical, suggest

        ident = canonical(name)
        if ident in self.elements:
            return ident
        raise UnknownNameError(name, suggest(name, [e.name for e in self.elements.values()]), where)

    def describe(self) -> list[dict[str, object]]:
        """One record per element: name, kind, value, units, limits, documentation."""
        return [
            {
                "name": e.name,
                "kind": e.kind.value,
                "value": e.value,
                "units": e.units,
                "limits": e.limits,
                "group": e.group,
                "documentation": e.documentation,
            }
            for e in self.elements.values()
        ]


def iter_nodes(expr: Expr) -> Iterator[Expr]:
    """Every node of ``expr``, parents before children."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.right, node.left))
        elif isinstance(node, Call | Stateful):
            stack.extend(reversed(node.args))
        elif isinstance(node, LookupCall | InlineLookup):
            stack.append(node.argument)


def references(expr: Expr) -> set[str]:
    """Identifiers referenced anywhere in ``expr`` (lookups included)."""
    found: set[str] = set()
    for node in iter_nodes(expr):
        if isinstance(node, Ref):
            found.add(node.name)
        elif isinstance(node, LookupCall):
            found.add(node.lookup)
    return found
