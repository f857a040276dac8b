r"""The frozen intermediate representation (IR) of a system-dynamics model, arrays included.

The IR is what every later stage consumes: the compiler, scenario checks,
``describe`` and the notebooks. It is independent of PySD: the loader
(:mod:`simulator.model.load`) is the only module that sees PySD's AST.

Expressions are trees of small frozen dataclasses. Names inside expressions
are *identifiers*: the canonical form of a Vensim name given by
:func:`simulator.model.names.canonical` (lower case, runs of spaces and
underscores collapsed to one underscore).

Subscripts
----------
A :class:`Dimension` is a named, ordered list of element labels (a Vensim
subscript range); a subrange is a dimension whose labels all belong to
another one (its ``parent``); ``mapping`` lists the dimensions it maps to
(``A: a1, a2 -> B``: element ``i`` of A stands for element ``i`` of B).
Dimension names and labels keep the model's own spelling.

Every :class:`Element` has ``dims``, the names of the dimensions it is
defined over, in order (``()`` for a scalar), and one or more
:class:`Definition`\ s: the equations written for all of it or for parts of
it (``x[North] = ...`` beside ``x[South] = ...``, ``:EXCEPT:``). The
left-hand side of a definition has one entry per axis of ``dims``: a
dimension name (the equation runs over those labels) or a single label.

Inside expressions a :class:`Ref` or :class:`LookupCall` carries the
subscripts written after the name, one per axis of the referenced element:
a dimension or subrange name (matched by name with the definition's
left-hand side, or through a mapping), a single label, or ``Name!`` (a
dimension summed, multiplied or searched over by the enclosing SUM, PROD,
VMIN or VMAX). A reference without subscripts to an array element stands for
the element over its own dimensions. List constants (``x[A] = 1, 2, 3``) and
2-D tables are :class:`ArrayLiteral`\ s laid out over the left-hand side's
dimensions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from simulator.model.expr import (
    ArrayLiteral,
    Binary,
    Call,
    Expr,
    InlineLookup,
    LookupCall,
    LookupTable,
    Num,
    Ref,
    Stateful,
    StatefulKind,
    Unary,
    iter_nodes,
    references,
)

#: Version of the IR's layout; part of the model cache key, so that a pickle written by
#: older code is never read by newer code.
IR_VERSION = 3

__all__ = [
    "IR_VERSION",
    "ArrayLiteral",
    "Binary",
    "Call",
    "Definition",
    "Dimension",
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


@dataclass(frozen=True, slots=True)
class Dimension:
    """A subscript range.

    Attributes
    ----------
    name : str
        As written in the model (``"Region"``).
    elements : tuple of str
        Its labels, in order.
    parent : str or None
        The largest other dimension that contains every label (a subrange's
        main range); None for a main range.
    mapping : tuple of str
        Dimensions this one maps to, element by element (``->``).
    """

    name: str
    elements: tuple[str, ...]
    parent: str | None = None
    mapping: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.elements)


@dataclass(frozen=True, slots=True)
class Definition:
    """One equation of an element, for all of its elements or for some.

    Attributes
    ----------
    subscripts : tuple of str
        The left-hand side: one entry per axis of the element's ``dims``, a
        dimension name or a single label; ``()`` for a scalar.
    excepted : tuple of tuple of str
        ``:EXCEPT:`` lists, each with one entry per axis: the elements these
        name are left out of this definition.
    equation : Expr or None
        For a stock the net rate, else the defining expression; None for a lookup.
    initial : Expr or None
        A stock's initial value.
    table : LookupTable or None
        A lookup's points.
    """

    subscripts: tuple[str, ...] = ()
    excepted: tuple[tuple[str, ...], ...] = ()
    equation: Expr | None = None
    initial: Expr | None = None
    table: LookupTable | None = None


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
    definitions : tuple of Definition
        Its equations; a scalar element has exactly one. See
        :attr:`equation`, :attr:`initial` and :attr:`table` for the common
        case of one definition.
    dims : tuple of str
        Names of the dimensions it runs over, ``()`` for a scalar.
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
    definitions: tuple[Definition, ...] = (Definition(),)
    dims: tuple[str, ...] = ()
    non_negative: bool = False
    units: str = ""
    documentation: str = ""
    limits: tuple[float | None, float | None] = (None, None)
    group: str = ""

    @property
    def equation(self) -> Expr | None:
        """The equation (a stock's net rate) when there is one definition, else None."""
        return self.definitions[0].equation if len(self.definitions) == 1 else None

    @property
    def initial(self) -> Expr | None:
        """A stock's initial value when there is one definition, else None."""
        return self.definitions[0].initial if len(self.definitions) == 1 else None

    @property
    def table(self) -> LookupTable | None:
        """A lookup's points when there is one definition, else None."""
        return self.definitions[0].table if len(self.definitions) == 1 else None

    @property
    def value(self) -> float | None:
        """The literal value of a scalar constant, else ``None``."""
        if self.kind is ElementKind.CONSTANT and not self.dims and isinstance(self.equation, Num):
            return self.equation.value
        return None

    def expressions(self) -> Iterator[Expr]:
        """Every equation and initial value of every definition."""
        for definition in self.definitions:
            for expr in (definition.equation, definition.initial):
                if expr is not None:
                    yield expr


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
    dimensions : Mapping[str, Dimension]
        The subscript ranges, keyed by name as written, in file order.
    """

    elements: Mapping[str, Element]
    time: TimeSpec
    source: Path | None = None
    source_hash: str = ""
    dimensions: Mapping[str, Dimension] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", MappingProxyType(dict(self.elements)))
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))

    def __reduce__(self) -> tuple[type[Model], tuple[object, ...]]:
        # the read-only mapping proxies cannot be pickled: rebuild them from dicts
        return (
            Model,
            (
                dict(self.elements),
                self.time,
                self.source,
                self.source_hash,
                dict(self.dimensions),
            ),
        )

    def __repr__(self) -> str:
        plural = {ElementKind.AUXILIARY: "auxiliaries"}
        counts = ", ".join(
            f"{len(self.of_kind(k))} {plural.get(k, k.value + 's')}"
            for k in ElementKind
            if self.of_kind(k)
        )
        where = self.source.name if self.source else "<memory>"
        if self.dimensions:
            counts += "; dimensions " + ", ".join(
                f"{d.name}({len(d)})" for d in self.dimensions.values()
            )
        return f"<Model {where}: {counts}; t = {self.time.initial_time}..{self.time.final_time}>"

    def shape(self, element: Element) -> tuple[int, ...]:
        """The lengths of ``element``'s dimensions, ``()`` for a scalar."""
        return tuple(len(self.dimensions[d]) for d in element.dims)

    def labels(self, element: Element) -> list[str]:
        """PySD's column names of ``element``'s values, row-major: ``name[A,B]``."""
        if not element.dims:
            return [element.name]
        import itertools

        axes = [self.dimensions[d].elements for d in element.dims]
        return [f"{element.name}[{','.join(combo)}]" for combo in itertools.product(*axes)]

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
        """One record per element: name, kind, dims, value, units, limits, documentation.

        ``dims`` names the element's dimensions (``()`` for a scalar), each
        with its labels in :attr:`dimensions`.
        """
        return [
            {
                "name": e.name,
                "kind": e.kind.value,
                "dims": e.dims,
                "value": e.value,
                "units": e.units,
                "limits": e.limits,
                "group": e.group,
                "documentation": e.documentation,
            }
            for e in self.elements.values()
        ]
