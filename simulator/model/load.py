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

import numpy as np

from simulator.errors import (
    ModelFileError,
    UnsupportedConstructError,
)
from simulator.model.ir import (
    Binary,
    Call,
    Element,
    ElementKind,
    Expr,
    InlineLookup,
    LookupCall,
    LookupTable,
    Model,
    Num,
    Ref,
    Stateful,
    StatefulKind,
    TimeSpec,
    Unary,
)
from simulator.model.names import canonical
from simulator.model.pysd_adapter import translate

__all__ = ["BUILTIN_ARITY", "CONTROL_NAMES", "TIME_NAMES", "read_model"]

#: Identifiers of the simulation control variables, usable inside equations.
CONTROL_NAMES = ("initial_time", "final_time", "time_step", "saveper")
#: Every identifier the engine provides itself.
TIME_NAMES = ("time", *CONTROL_NAMES)

#: Stateless builtins the engine runs, with the numbers of arguments they take.
BUILTIN_ARITY: Mapping[str, tuple[int, ...]] = {
    "abs": (1,),
    "exp": (1,),
    "ln": (1,),
    "log": (2,),
    "sqrt": (1,),
    "power": (2,),
    "sin": (1,),
    "cos": (1,),
    "tan": (1,),
    "arcsin": (1,),
    "arccos": (1,),
    "arctan": (1,),
    "sinh": (1,),
    "cosh": (1,),
    "tanh": (1,),
    "pi": (0,),
    "min": (2,),
    "max": (2,),
    "integer": (1,),
    "modulo": (2,),
    "quantum": (2,),
    "xidz": (3,),
    "zidz": (2,),
    "if_then_else": (3,),
    "active_initial": (2,),
    "step": (2,),
    "ramp": (3,),
    "Xramp": (2,),
    "pulse": (2,),
    "Xpulse": (2,),
    "pulse_train": (4,),
    "Xpulse_train": (3,),
}

_UNSUPPORTED_CALLS = {
    "a_function_of": "A FUNCTION OF (an incomplete equation)",
    "lookup_extrapolate": "LOOKUP EXTRAPOLATE",
    "lookup_forward": "LOOKUP FORWARD",
    "lookup_backward": "LOOKUP BACKWARD",
    "random_0_1": "RANDOM 0 1 (random functions)",
    "random_uniform": "RANDOM UNIFORM (random functions)",
    "random_normal": "RANDOM NORMAL (random functions)",
    "random_exponential": "RANDOM EXPONENTIAL (random functions)",
    "get_time_value": "GET TIME VALUE",
    "elmcount": "ELMCOUNT (subscripts)",
    "sum": "SUM (subscripts)",
    "prod": "PROD (subscripts)",
    "vmin": "VMIN (subscripts)",
    "vmax": "VMAX (subscripts)",
    "vector_select": "VECTOR SELECT (subscripts)",
    "vector_sort_order": "VECTOR SORT ORDER (subscripts)",
    "vector_reorder": "VECTOR REORDER (subscripts)",
    "vector_rank": "VECTOR RANK (subscripts)",
    "invert_matrix": "INVERT MATRIX (subscripts)",
}

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
        self.lookup_names: set[str] = set()
        self.element = ""

    def refuse(self, construct: str) -> UnsupportedConstructError:
        return UnsupportedConstructError(self.path, self.element, construct)

    def model(self, abstract: Any, source_hash: str) -> Model:
        sections = abstract.sections
        main = [s for s in sections if s.type == "main"]
        for section in sections:
            if section.type != "main":
                self.element = section.name
                raise self.refuse("a macro definition")
        section = main[0]
        if section.subscripts:
            self.element = section.subscripts[0].name
            raise self.refuse("subscript ranges (array models)")
        # XMILE graphical functions with an equation can also be called as lookups
        callable_kinds = ("AbstractLookup", "InlineLookupsStructure")
        self.lookup_names = {
            canonical(e.name)
            for e in section.elements
            if any(
                type(c).__name__ in callable_kinds or type(c.ast).__name__ in callable_kinds
                for c in e.components
            )
        }
        control: dict[str, Any] = {}
        elements: dict[str, Element] = {}
        for abstract_element in section.elements:
            ident = canonical(abstract_element.name)
            self.element = abstract_element.name
            if ident in CONTROL_NAMES:
                control[ident] = (abstract_element, self.component_ast(abstract_element))
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
        )

    def component_ast(self, abstract_element: Any) -> Any:
        components = abstract_element.components
        if len(components) != 1:
            raise self.refuse("several definitions (subscripted equations)")
        component = components[0]
        subscripts = component.subscripts
        if subscripts and (subscripts[0] or subscripts[1]):
            raise self.refuse("subscripts (array models)")
        kind = type(component).__name__
        if kind == "AbstractData":
            raise self.refuse("a data variable (external time series)")
        return component.ast

    def convert_element(self, abstract_element: Any, ident: str) -> Element:
        ast = self.component_ast(abstract_element)
        lower, upper = (*tuple(abstract_element.limits), None, None)[:2]
        common: dict[str, Any] = {
            "name": abstract_element.name,
            "ident": ident,
            "units": abstract_element.units or "",
            "documentation": (abstract_element.documentation or "").strip(),
            "limits": (_float_or_none(lower), _float_or_none(upper)),
            "group": self.groups.get(ident, ""),
        }
        kind = type(ast).__name__
        if kind == "LookupsStructure":
            return Element(kind=ElementKind.LOOKUP, table=self.table(ast), **common)
        if kind in ("GetLookupsStructure", "GetDataStructure", "GetConstantsStructure"):
            raise self.refuse("external data (GET XLS/DIRECT functions)")
        if kind == "IntegStructure":
            return Element(
                kind=ElementKind.STOCK,
                equation=self.expr(ast.flow),
                initial=self.expr(ast.initial),
                non_negative=bool(ast.non_negative),
                **common,
            )
        equation = self.expr(ast)
        constant = isinstance(equation, Num)
        kind_ = ElementKind.CONSTANT if constant else ElementKind.AUXILIARY
        return Element(kind=kind_, equation=equation, **common)

    def table(self, ast: Any) -> LookupTable:
        x = tuple(float(v) for v in ast.x)
        y = tuple(float(v) for v in ast.y)
        if len(x) != len(y) or len(x) < 1:
            raise self.refuse("a lookup with mismatched x and y points")
        if any(np.diff(x) <= 0):
            raise self.refuse("a lookup whose x values do not increase")
        kind = ast.type if ast.type in ("extrapolate", "hold_backward") else "interpolate"
        return LookupTable(x=x, y=y, kind=kind)

    def expr(self, ast: Any) -> Expr:
        if isinstance(ast, bool | int | float | np.number):
            return Num(float(ast))
        converter: Callable[[Any], Expr] | None = getattr(self, f"_from_{type(ast).__name__}", None)
        if converter is None:
            raise self.refuse(_describe_structure(ast))
        return converter(ast)

    def _from_ReferenceStructure(self, ast: Any) -> Expr:
        if ast.subscripts is not None:
            raise self.refuse("subscripts (array models)")
        return Ref(canonical(ast.reference))

    def _from_ArithmeticStructure(self, ast: Any) -> Expr:
        return self._fold(list(ast.operators), [self.expr(a) for a in ast.arguments])

    def _from_LogicStructure(self, ast: Any) -> Expr:
        return self._fold(list(ast.operators), [self.expr(a) for a in ast.arguments])

    def _fold(self, operators: list[str], args: list[Expr]) -> Expr:
        unary = {"negative": "-", ":NOT:": "not"}
        if len(args) == 1:
            return Unary(unary[operators[0]], args[0])
        names = {":AND:": "and", ":OR:": "or"}
        ops = [names.get(op, op) for op in operators]
        if all(op == "^" for op in ops):  # right-associative, as Python's **
            result = args[-1]
            for left in reversed(args[:-1]):
                result = Binary("^", left, result)
            return result
        result = args[0]
        for op, right in zip(ops, args[1:], strict=True):
            result = Binary(op, result, right)
        return result

    def _from_CallStructure(self, ast: Any) -> Expr:
        function = canonical(ast.function.reference)
        if ast.function.subscripts is not None:
            raise self.refuse("subscripts (array models)")
        args = tuple(self.expr(a) for a in ast.arguments)
        if function in self.lookup_names:
            if len(args) != 1:
                raise self.refuse(f"lookup '{function}' called with {len(args)} arguments")
            return LookupCall(function, args[0])
        raw_name = ast.function.reference
        if raw_name in BUILTIN_ARITY:
            function = raw_name
        if function in _UNSUPPORTED_CALLS:
            raise self.refuse(_UNSUPPORTED_CALLS[function])
        arity = BUILTIN_ARITY.get(function)
        if arity is None:
            raise self.refuse(f"the function {raw_name.upper().replace('_', ' ')}")
        if len(args) not in arity:
            raise self.refuse(
                f"{function.upper()} with {len(args)} arguments (expected {arity[0]})"
            )
        return Call(function, args)

    def _from_InlineLookupsStructure(self, ast: Any) -> Expr:
        # PySD interpolates inline lookups with np.interp: held ends, whatever the type
        table = self.table(ast.lookups)
        return InlineLookup(self.expr(ast.argument), LookupTable(table.x, table.y))

    def _from_InitialStructure(self, ast: Any) -> Expr:
        return Stateful(StatefulKind.INITIAL, (self.expr(ast.initial),))

    def _stateful(self, kind: StatefulKind, *parts: Any) -> Expr:
        return Stateful(kind, tuple(self.expr(p) for p in parts))

    def _from_SmoothStructure(self, ast: Any) -> Expr:
        return self._stateful(
            StatefulKind.SMOOTH, ast.input, ast.smooth_time, ast.initial, ast.order
        )

    def _from_SmoothNStructure(self, ast: Any) -> Expr:
        return self._stateful(
            StatefulKind.SMOOTH, ast.input, ast.smooth_time, ast.initial, ast.order
        )

    def _from_DelayStructure(self, ast: Any) -> Expr:
        return self._stateful(StatefulKind.DELAY, ast.input, ast.delay_time, ast.initial, ast.order)

    def _from_DelayNStructure(self, ast: Any) -> Expr:
        return self._stateful(
            StatefulKind.DELAY_N, ast.input, ast.delay_time, ast.initial, ast.order
        )

    def _from_DelayFixedStructure(self, ast: Any) -> Expr:
        return self._stateful(StatefulKind.DELAY_FIXED, ast.input, ast.delay_time, ast.initial)

    def _from_TrendStructure(self, ast: Any) -> Expr:
        return self._stateful(StatefulKind.TREND, ast.input, ast.average_time, ast.initial_trend)

    def _from_ForecastStructure(self, ast: Any) -> Expr:
        return self._stateful(
            StatefulKind.FORECAST, ast.input, ast.average_time, ast.horizon, ast.initial_trend
        )

    def _from_SampleIfTrueStructure(self, ast: Any) -> Expr:
        return self._stateful(StatefulKind.SAMPLE_IF_TRUE, ast.condition, ast.input, ast.initial)

    def _from_IntegStructure(self, ast: Any) -> Expr:
        raise self.refuse("INTEG inside an expression (a stock must be defined by INTEG alone)")

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
            values[name] = _evaluate_control(self.expr(ast), value, self.refuse)
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
        if element.kind is ElementKind.STOCK and element.equation is not None:
            flows |= _rate_terms(element.equation)
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


def _describe_structure(ast: Any) -> str:
    name = type(ast).__name__.removesuffix("Structure")
    readable = {
        "Game": "GAME",
        "AllocateAvailable": "ALLOCATE AVAILABLE",
        "AllocateByPriority": "ALLOCATE BY PRIORITY",
        "Data": "a data variable",
        "SubscriptsReference": "subscripts (array models)",
    }
    return readable.get(name, f"the construct {name}")
