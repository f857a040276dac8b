"""The PySD adapter: Vensim/XMILE files -> PySD's ``AbstractModel`` -> our frozen IR.

This is the only module that imports PySD's translators. Everything the engine
cannot run is refused here, naming the element and the construct.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from simulator.errors import (
    ModelFileError,
    UnsupportedConstructError,
)
from simulator.model.expressions import BUILTIN_ARITY, ExpressionConverter
from simulator.model.ir import (
    ArrayLiteral,
    Binary,
    Definition,
    Element,
    ElementKind,
    Expr,
    Model,
    Num,
    Ref,
    TimeSpec,
    Unary,
)
from simulator.model.names import canonical
from simulator.model.pysd_adapter import translate
from simulator.model.subscripts import Subscripts

__all__ = ["BUILTIN_ARITY", "CONTROL_NAMES", "TIME_NAMES", "read_model"]

#: Identifiers of the simulation control variables, usable inside equations.
CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")
#: Every identifier the engine provides itself.
TIME_NAMES = ("time", *CONTROL_NAMES)

_SUFFIXES = {".mdl": "vensim", ".xmile": "xmile", ".stmx": "xmile", ".itmx": "xmile"}
_GROUP_HEADER = re.compile(r"^\s*\*{3,}\s*\n\s*\.?(?P<name>[^\n]*?)\s*\n\s*\*{3,}", re.M)


def read_model(path: str | Path) -> Model:
    """Read a Vensim ``.mdl`` or XMILE ``.xmile``/``.stmx`` file into the frozen IR.

    Parameters
    ----------
    path : str or Path
        The model file.

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        The file is missing, has an unknown suffix or cannot be parsed.
    UnsupportedConstructError
        The model uses subscripts, macros, external data or a function the
        engine does not run; the message names the element and the construct.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such model file", "check the path")
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ModelFileError(
            path, f"unknown model format '{path.suffix}'", "use a Vensim .mdl or an XMILE file"
        )
    raw = path.read_bytes()
    abstract = _translate(path, kind)
    groups = _vensim_groups(raw.decode("utf-8", errors="replace")) if kind == "vensim" else {}
    return _Converter(path, groups).model(abstract, hashlib.sha256(raw).hexdigest())


def _translate(path: Path, kind: str) -> Any:
    """Run PySD's translator; wrap whatever it raises in a ModelFileError."""
    try:
        return translate(path, kind)
    except Exception as exc:
        raise ModelFileError(path, _parse_problem(exc, path)) from exc


def _parse_problem(exc: BaseException, path: Path) -> str:
    """Say where in the file the translator stopped, and why."""
    error: BaseException | None = exc
    while error is not None and not hasattr(error, "pos"):
        error = error.__cause__ or error.__context__
    if error is None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"cannot be parsed: {first[:300]}"
    text, pos = str(getattr(error, "text", "")), int(getattr(error, "pos", 0))
    content = path.read_text(encoding="utf-8", errors="replace")
    start = content.find(text) if text else -1
    line = content.count("\n", 0, start + pos) + 1 if start >= 0 else 0
    snippet = text[pos : pos + 40].strip().splitlines()[0] if text[pos:].strip() else text.strip()
    where = f"line {line}: " if line else ""
    return f"{where}cannot parse the equation near '{snippet}'; check its syntax"


def _vensim_groups(text: str) -> dict[str, str]:
    """Map identifier -> group name from ``***`` group headers in a Vensim file."""
    text = text.split("\\\\\\---///", 1)[0]
    groups: dict[str, str] = {}
    current = ""
    for chunk in text.split("|"):
        header = _GROUP_HEADER.search(chunk)
        if header:
            current = header.group("name").strip()
            chunk = chunk[header.end() :].lstrip("~")
            if "=" not in chunk.split("~", 1)[0]:
                continue
        head = chunk.split("~", 1)[0].replace("{UTF-8}", "").strip()
        match = re.match(r'^("[^"]+"|[^=(:\[]+)', head)
        if match:
            groups.setdefault(canonical(match.group(1)), current)
    return groups


class _Converter:
    """Turns one ``AbstractModel`` into a :class:`Model`, refusing what we cannot run."""

    def __init__(self, path: Path, groups: Mapping[str, str]) -> None:
        self.path = path
        self.groups = groups
        self.element = ""

    def refuse(self, construct: str) -> UnsupportedConstructError:
        return UnsupportedConstructError(self.path, self.element, construct)

    def set_element(self, name: str) -> None:
        self.element = name

    def model(self, abstract: Any, source_hash: str) -> Model:
        sections = abstract.sections
        main = [s for s in sections if s.type == "main"]
        for section in sections:
            if section.type != "main":
                self.element = section.name
                raise self.refuse("a macro definition")
        section = main[0]
        self.subscripts = Subscripts(section.subscripts, self.refuse, self.set_element)
        idents = {canonical(e.name) for e in section.elements}
        # XMILE graphical functions with an equation can also be called as lookups
        callable_kinds = ("AbstractLookup", "InlineLookupsStructure")
        lookup_names = {
            canonical(e.name)
            for e in section.elements
            if any(
                type(c).__name__ in callable_kinds or type(c.ast).__name__ in callable_kinds
                for c in e.components
            )
        }
        sizes = {
            canonical(name): len(dim)
            for name, dim in self.subscripts.dimensions.items()
            if canonical(name) not in idents
        }
        self.converter = ExpressionConverter(self.refuse, lookup_names, sizes)
        control: dict[str, Any] = {}
        elements: dict[str, Element] = {}
        for abstract_element in section.elements:
            ident = canonical(abstract_element.name)
            self.element = abstract_element.name
            if ident in CONTROL_NAMES:
                control[ident] = (abstract_element, self.control_ast(abstract_element))
                continue
            if ident in elements:
                raise self.refuse("a second definition of the same name")
            elements[ident] = self.convert_element(abstract_element, ident)
        elements = _mark_flows(elements)
        return Model(
            elements=elements,
            time=self.time_spec(control),
            source=self.path,
            source_hash=source_hash,
            dimensions=self.subscripts.dimensions,
        )

    def control_ast(self, abstract_element: Any) -> Any:
        components = abstract_element.components
        if len(components) != 1 or components[0].subscripts[0]:
            raise self.refuse("a subscripted control variable")
        return components[0].ast

    def convert_element(self, abstract_element: Any, ident: str) -> Element:
        components = abstract_element.components
        for component in components:
            if type(component).__name__ == "AbstractData":
                raise self.refuse("a data variable (external time series)")
        lhs_list = [tuple(str(s) for s in c.subscripts[0]) for c in components]
        dims = self.subscripts.element_dims(lhs_list, self.refuse)
        definitions = []
        kinds = set()
        non_negative = False
        for component, lhs in zip(components, lhs_list, strict=True):
            excepted = tuple(tuple(str(s) for s in e) for e in component.subscripts[1])
            for listed in excepted:
                if len(listed) != len(lhs) or not all(map(self.subscripts.is_known, listed)):
                    raise self.refuse(f"an :EXCEPT: list {list(listed)} unlike {list(lhs)}")
            definition, kind = self.definition(component.ast, lhs, excepted)
            non_negative = non_negative or bool(getattr(component.ast, "non_negative", False))
            definitions.append(definition)
            kinds.add(kind)
        if kinds == {ElementKind.CONSTANT, ElementKind.AUXILIARY}:
            kinds = {ElementKind.AUXILIARY}  # numbers for some elements, equations for others
        if len(kinds) > 1:
            names = " and ".join(sorted(k.value for k in kinds))
            raise self.refuse(f"definitions of different kinds ({names}) for one element")
        lower, upper = (*tuple(abstract_element.limits), None, None)[:2]
        return Element(
            name=abstract_element.name,
            ident=ident,
            kind=kinds.pop(),
            definitions=tuple(definitions),
            dims=dims,
            non_negative=non_negative,
            units=abstract_element.units or "",
            documentation=(abstract_element.documentation or "").strip(),
            limits=(_float_or_none(lower), _float_or_none(upper)),
            group=self.groups.get(ident, ""),
        )

    def definition(
        self, ast: Any, lhs: tuple[str, ...], excepted: tuple[tuple[str, ...], ...]
    ) -> tuple[Definition, ElementKind]:
        kind = type(ast).__name__
        common: dict[str, Any] = {"subscripts": lhs, "excepted": excepted}
        if kind == "LookupsStructure":
            return Definition(table=self.converter.table(ast), **common), ElementKind.LOOKUP
        if kind in ("GetLookupsStructure", "GetDataStructure", "GetConstantsStructure"):
            raise self.refuse("external data (GET XLS/DIRECT functions)")
        if kind == "IntegStructure":
            equation, initial = self.converter.expr(ast.flow), self.converter.expr(ast.initial)
            return Definition(equation=equation, initial=initial, **common), ElementKind.STOCK
        equation = self.converter.expr(ast)
        constant = isinstance(equation, Num | ArrayLiteral)
        kind_ = ElementKind.CONSTANT if constant else ElementKind.AUXILIARY
        return Definition(equation=equation, **common), kind_

    def time_spec(self, control: Mapping[str, Any]) -> TimeSpec:
        values: dict[str, float] = {}

        def value(name: str) -> float:
            if name in values:
                return values[name]
            if name not in control:
                raise ModelFileError(
                    self.path,
                    f"the control variable {name.upper().replace('_', ' ')} is not defined",
                    "add it to the model's control section",
                )
            element, ast = control[name]
            self.element = element.name
            values[name] = _evaluate_control(self.converter.expr(ast), value, self.refuse)
            return values[name]

        spec = TimeSpec(
            initial_time=value("initial_time"),
            final_time=value("final_time"),
            time_step=value("time_step"),
            saveper=value("saveper") if "saveper" in control else value("time_step"),
            units=control["time_step"][0].units if "time_step" in control else "",
        )
        if not spec.time_step > 0 or not spec.saveper > 0:
            raise ModelFileError(self.path, "TIME STEP and SAVEPER must be positive")
        if spec.final_time < spec.initial_time:
            raise ModelFileError(self.path, "FINAL TIME is before INITIAL TIME")
        return spec


def _evaluate_control(
    expr: Expr,
    value: Callable[[str], float],
    refuse: Callable[[str], UnsupportedConstructError],
) -> float:
    """Evaluate a control equation made of numbers, other control names and + - * /."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Ref) and expr.name in CONTROL_NAMES:
        return value(expr.name)
    if isinstance(expr, Unary) and expr.op == "-":
        return -_evaluate_control(expr.operand, value, refuse)
    if isinstance(expr, Binary) and expr.op in "+-*/":
        left = _evaluate_control(expr.left, value, refuse)
        right = _evaluate_control(expr.right, value, refuse)
        results = {"+": left + right, "-": left - right, "*": left * right}
        return results[expr.op] if expr.op != "/" else left / right
    raise refuse("a control equation that is not a number or a sum of control variables")


def _mark_flows(elements: dict[str, Element]) -> dict[str, Element]:
    """Reclassify auxiliaries that appear as terms of a stock's net rate as flows."""
    flows: set[str] = set()
    for element in elements.values():
        if element.kind is ElementKind.STOCK:
            for definition in element.definitions:
                if definition.equation is not None:
                    flows |= _rate_terms(definition.equation)
    result = {}
    for ident, element in elements.items():
        if ident in flows and element.kind is ElementKind.AUXILIARY:
            element = replace(element, kind=ElementKind.FLOW)
        result[ident] = element
    return result


def _rate_terms(expr: Expr) -> set[str]:
    if isinstance(expr, Ref):
        return {expr.name}
    if isinstance(expr, Binary) and expr.op in "+-":
        return _rate_terms(expr.left) | _rate_terms(expr.right)
    if isinstance(expr, Unary) and expr.op == "-":
        return _rate_terms(expr.operand)
    return set()


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
