"""Property test: random valid array models run the same in our engine and in PySD.

Each model has two dimensions, a subrange and a mapping; list constants and a
2-D table; a stock over each dimension pair; auxiliaries over one and two
dimensions built from random expression trees whose leaves are references
through the dimension itself, a fixed element, a mapped range or a reduction
over a ``!`` dimension; an element-specific definition beside a subrange
definition; and SMOOTH and DELAY1 per element.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator

HEADER = """{UTF-8}
A: a1, a2, a3 ~~|
Later: a2, a3 ~~|
B: b1, b2 ~~|
M: m1, m2, m3 -> A ~~|
"""

#: Leaves usable in an equation over A, over (A, B), or scalar.
LEAVES_A = [
    "ca[A]",
    "stock a[A]",
    "cm[M]",
    "cab[A, b2]",
    "SUM(cab[A, B!])",
    "VMAX(stock ab[A, B!])",
    "scalar c",
    "Time",
]
LEAVES_AB = [*LEAVES_A, "cab[A, B]", "stock ab[A, B]", "cb[B]"]
LEAVES_LATER = [leaf.replace("[A", "[Later") for leaf in LEAVES_A if "[M]" not in leaf]
LEAVES_SCALAR = ["scalar c", "ca[a2]", "SUM(stock a[A!])", "PROD(cb[B!])", "VMIN(cab[A!, B!])"]


def _expr(leaves: list[str]) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} / (1 + ABS({t[1]})))"),
            st.tuples(inner, inner).map(lambda t: f"MIN({t[0]}, {t[1]})"),
            inner.map(lambda a: f"SQRT(ABS({a}))"),
            st.tuples(inner, inner, inner).map(
                lambda t: f"IF THEN ELSE({t[0]} > {t[1]}, {t[2]}, {t[1]})"
            ),
        )

    leaf = st.one_of(st.sampled_from(leaves), st.floats(0.1, 3.0).map(lambda x: f"{x:.3f}"))
    return st.recursive(leaf, extend, max_leaves=5)


def _numbers(draw: st.DrawFn, n: int) -> str:
    return ", ".join(f"{draw(st.floats(0.1, 2.0)):.3f}" for _ in range(n))


@st.composite
def models(draw: st.DrawFn) -> str:
    lines = [HEADER]
    lines.append(f"scalar c = {draw(st.floats(0.1, 2.0)):.3f} ~~|")
    lines.append(f"ca[A] = {_numbers(draw, 3)} ~~|")
    lines.append(f"cb[B] = {_numbers(draw, 2)} ~~|")
    lines.append(f"cm[M] = {_numbers(draw, 3)} ~~|")
    rows = "; ".join(_numbers(draw, 2) for _ in range(3))
    lines.append(f"cab[A, B] = {rows}; ~~|")
    lines.append(f"x[A] = {draw(_expr(LEAVES_A))} ~~|")
    lines.append(f"y[A, B] = {draw(_expr([*LEAVES_AB, 'x[A]']))} ~~|")
    lines.append(f"z = {draw(_expr([*LEAVES_SCALAR, 'SUM(x[A!])', 'y[a3, b1]']))} ~~|")
    lines.append(f"w[a1] = {draw(_expr(LEAVES_SCALAR))} ~~|")
    lines.append(f"w[Later] = {draw(_expr([*LEAVES_LATER, 'x[Later]']))} ~~|")
    rate_a = draw(_expr([*LEAVES_A, "x[A]", "w[A]", "z"]))
    lines.append(
        f"stock a[A] = INTEG({rate_a} / (1 + ABS({rate_a})) - 0.1 * stock a[A], ca[A]) ~~|"
    )
    rate_ab = draw(_expr([*LEAVES_AB, "y[A, B]"]))
    lines.append(
        f"stock ab[A, B] = INTEG({rate_ab} / (1 + ABS({rate_ab})) - 0.2 * stock ab[A, B], "
        "cab[A, B]) ~~|"
    )
    lines.append(f"smoothed[A] = SMOOTH(x[A], {draw(st.floats(0.3, 2.0)):.2f}) ~~|")
    lines.append(f"delayed[A, B] = DELAY1(y[A, B], {draw(st.floats(0.5, 2.0)):.2f}) ~~|")
    lines.append(
        "INITIAL TIME = 0 ~~|\nFINAL TIME = 3 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = 0.5 ~~|"
    )
    return "\n".join(lines) + "\n"


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=models())
def test_random_array_models_match_pysd(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "random_arrays.mdl"
        path.write_text(text)
        model = simulator.load_model(path)
        ours = simulator.simulate(model)
        reference = simulator.simulate(model, engine="pysd")
    assert ours["stock ab"].dims == ("run", "time", "A", "B")
    for name in ours.data_vars:
        np.testing.assert_allclose(
            ours[name].values,
            reference[name].values,
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=f"{name}\n{text}",
        )
