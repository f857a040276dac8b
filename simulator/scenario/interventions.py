"""Interventions -> IR expressions, exactly the equations an analyst would type in Vensim.

An intervention on a constant with base value ``b`` becomes a new equation
for that constant:

============  ==========================================  ============================
type          expression                                  Vensim equivalent
============  ==========================================  ============================
``step``      ``b + step(h, at)``                         ``b + STEP(h, at)``
``ramp``      ``b + ramp(h / (end - start), start, end)`` ``b + RAMP(s, start, end)``
``pulse``     ``b + h * pulse(start, end - start)``       ``b + h * PULSE(start, w)``
``table``     ``lookup(time)`` through the points         ``WITH LOOKUP(Time, (...))``
============  ==========================================  ============================

where ``h`` is ``by``, or ``to - b``. Several interventions on one constant
add their terms left to right. Because the result is an ordinary model
equation, running it is by construction the same as editing the model file.

For a batch of scenarios, :func:`batch_equation` builds one equation whose
numbers differ by run: each run's terms, padded with terms of height zero so
that every run has the same structure. Adding an exact zero changes no bit,
so a run in a batch gives the values it gives alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.engine.compile import BatchLookupTable
from simulator.model.ir import Binary, Call, Expr, InlineLookup, LookupTable, Num, Ref
from simulator.scenario.schema import Pulse, Ramp, Step, Table

__all__ = ["Term", "batch_equation", "equation", "per_run", "terms"]

AnyIntervention = Step | Ramp | Pulse | Table


@dataclass(frozen=True)
class Term:
    """One additive term of an intervened constant's equation.

    Attributes
    ----------
    kind : {"step", "ramp", "pulse"}
    args : tuple of float
        ``(height, at)`` for a step, ``(slope, start, end)`` for a ramp,
        ``(height, start, width)`` for a pulse.
    """

    kind: str
    args: tuple[float, ...]

    def zero(self) -> Term:
        """The same term with height (or slope) zero: it adds exactly nothing."""
        return Term(self.kind, (0.0, *self.args[1:]))


def terms(base: float, interventions: Sequence[Step | Ramp | Pulse]) -> list[Term]:
    """The additive terms of ``interventions`` on a constant whose base value is ``base``.

    Examples
    --------
    >>> terms(0.1, [Step(type="step", variable="x", at=2025, to=0.25)])
    [Term(kind='step', args=(0.15, 2025.0))]
    """
    out = []
    for item in interventions:
        height = item.height(base)
        if isinstance(item, Step):
            out.append(Term("step", (height, item.at)))
        elif isinstance(item, Ramp):
            out.append(Term("ramp", (height / (item.end - item.start), item.start, item.end)))
        else:
            out.append(Term("pulse", (height, item.start, item.end - item.start)))
    return out


def equation(base: float, interventions: Sequence[AnyIntervention]) -> Expr:
    """The equation of a constant under ``interventions`` (for one run).

    Parameters
    ----------
    base : float
        The constant's value without interventions (the scenario's
        ``constants`` entry, else the model's value).
    interventions : sequence
        In the order they apply. A table must be the only intervention on
        its constant (scenario loading checks this).

    Returns
    -------
    Expr

    Examples
    --------
    >>> equation(0.1, [Step(type="step", variable="x", at=2025, by=0.05)])  # doctest: +ELLIPSIS
    Binary(op='+', left=Num(value=0.1), right=Call(function='step', args=(Num(value=0.05), ...
    """
    tables = [i for i in interventions if isinstance(i, Table)]
    if tables:
        return table_equation(tables[0])
    changes = [i for i in interventions if not isinstance(i, Table)]
    return _sum(
        Num(base), [_term_expr(t.kind, [Num(a) for a in t.args]) for t in terms(base, changes)]
    )


def table_equation(table: Table) -> Expr:
    """``WITH LOOKUP(Time, points)``: linear between points, flat beyond the ends."""
    xs = tuple(float(x) for x, _ in table.points)
    ys = tuple(float(y) for _, y in table.points)
    return InlineLookup(Ref("time"), LookupTable(xs, ys, "interpolate"))


def batch_equation(bases: Sequence[float] | np.ndarray, runs: Sequence[Sequence[Term]]) -> Expr:
    """One equation for a batch: run ``r`` has base ``bases[r]`` and terms ``runs[r]``.

    Parameters
    ----------
    bases : sequence of float, length n_runs
    runs : sequence of sequence of Term, length n_runs

    Returns
    -------
    Expr
        ``base_r + sum_j term_j_r``, where position ``j`` holds, for each
        kind used there by any run, that run's term or a zero-height term.
        Numbers that differ by run are :func:`per_run` leaves.
    """
    n_positions = max((len(r) for r in runs), default=0)
    exprs = []
    for j in range(n_positions):
        present = [r[j] for r in runs if j < len(r)]
        for kind in dict.fromkeys(t.kind for t in present):
            template = next(t for t in present if t.kind == kind).zero()
            chosen = [r[j] if j < len(r) and r[j].kind == kind else template for r in runs]
            columns = np.array([t.args for t in chosen], dtype=float)  # (n_runs, n_args)
            exprs.append(
                _term_expr(kind, [per_run(columns[:, k]) for k in range(columns.shape[1])])
            )
    return _sum(per_run(np.asarray(bases, dtype=float)), exprs)


def per_run(values: np.ndarray) -> Expr:
    """An expression worth ``values[r]`` in run ``r``.

    A shared value is a :class:`Num`; otherwise a one-point lookup with one
    row per run (the engine's batched lookup), whose value is that row's
    single point.

    Parameters
    ----------
    values : ndarray, shape (n_runs,)
    """
    if np.all(values == values[0]):
        return Num(float(values[0]))
    rows = np.asarray(values, dtype=float).reshape(-1, 1)
    return InlineLookup(Num(0.0), BatchLookupTable(x=(0.0,), y=(), rows=rows))


def _term_expr(kind: str, args: list[Expr]) -> Expr:
    if kind == "pulse":
        return Binary("*", args[0], Call("pulse", (args[1], args[2])))
    return Call(kind, tuple(args))


def _sum(first: Expr, rest: list[Expr]) -> Expr:
    out = first
    for expr in rest:
        out = Binary("+", out, expr)
    return out
