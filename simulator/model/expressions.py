"""PySD's expression structures -> IR expressions, refusing what the engine cannot run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from simulator.errors import UnsupportedConstructError
from simulator.model.ir import (
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
)
from simulator.model.names import canonical

__all__ = ["BUILTIN_ARITY", "REDUCTIONS", "ExpressionConverter"]

#: Functions over a dimension marked with ``!`` (SUM(x[Region!])).
REDUCTIONS = ("sum", "prod", "vmin", "vmax")

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
    **dict.fromkeys(REDUCTIONS, (1,)),
}

_VECTOR_HINT = "(array functions other than SUM, PROD, VMIN, VMAX and ELMCOUNT)"
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
    "vector_select": f"VECTOR SELECT {_VECTOR_HINT}",
    "vector_sort_order": f"VECTOR SORT ORDER {_VECTOR_HINT}",
    "vector_reorder": f"VECTOR REORDER {_VECTOR_HINT}",
    "vector_rank": f"VECTOR RANK {_VECTOR_HINT}",
    "vector_elm_map": f"VECTOR ELM MAP {_VECTOR_HINT}",
    "invert_matrix": f"INVERT MATRIX {_VECTOR_HINT}",
}


class ExpressionConverter:
    """Converts one element's PySD expression structures.

    Parameters
    ----------
    refuse : callable
        Makes the error for a construct we cannot run, naming the current element.
    lookup_names : set of str
        Identifiers of elements that can be called as lookups.
    dimension_sizes : mapping of str -> int
        Number of labels of each subscript range, by canonical name (ELMCOUNT).
    """

    def __init__(
        self,
        refuse: Callable[[str], UnsupportedConstructError],
        lookup_names: set[str],
        dimension_sizes: Mapping[str, int],
    ) -> None:
        self.refuse = refuse
        self.lookup_names = lookup_names
        self.dimension_sizes = dimension_sizes

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
        if isinstance(ast, np.ndarray):
            values = np.asarray(ast, dtype=float)
            return ArrayLiteral(tuple(float(v) for v in values.ravel()), values.shape)
        converter: Callable[[Any], Expr] | None = getattr(self, f"_from_{type(ast).__name__}", None)
        if converter is None:
            raise self.refuse(_describe_structure(ast))
        return converter(ast)

    def _from_ReferenceStructure(self, ast: Any) -> Expr:
        subscripts = getattr(ast.subscripts, "subscripts", None) or ()
        name = canonical(ast.reference)
        if name in self.dimension_sizes and not subscripts:
            raise self.refuse(
                f"the subscript range '{ast.reference}' used as a number; "
                "define a constant with the element numbers instead"
            )
        return Ref(name, tuple(str(s) for s in subscripts))

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
        raw_name = ast.function.reference
        if function == "elmcount":
            return self._elmcount(ast)
        args = tuple(self.expr(a) for a in ast.arguments)
        if function in self.lookup_names:
            if len(args) != 1:
                raise self.refuse(f"lookup '{function}' called with {len(args)} arguments")
            subscripts = getattr(ast.function.subscripts, "subscripts", None) or ()
            return LookupCall(function, args[0], tuple(str(s) for s in subscripts))
        if ast.function.subscripts is not None:
            raise self.refuse(f"subscripts on the function {raw_name.upper()}")
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

    def _elmcount(self, ast: Any) -> Expr:
        (arg,) = ast.arguments
        name = canonical(getattr(arg, "reference", ""))
        if name not in self.dimension_sizes:
            raise self.refuse("ELMCOUNT of something that is not a subscript range")
        return Num(float(self.dimension_sizes[name]))

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


def _describe_structure(ast: Any) -> str:
    name = type(ast).__name__.removesuffix("Structure")
    readable = {
        "Game": "GAME",
        "AllocateAvailable": "ALLOCATE AVAILABLE (array functions)",
        "AllocateByPriority": "ALLOCATE BY PRIORITY (array functions)",
        "Data": "a data variable",
        "SubscriptsReference": "a subscript range used as a value",
    }
    return readable.get(name, f"the construct {name}")
