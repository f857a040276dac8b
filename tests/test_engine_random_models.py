"""Property test: random valid scalar models run the same in our engine and in PySD.

Models are random expression trees over stocks, auxiliaries, constants and
builtins, written out as Vensim text, then run by both engines.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator

CONSTANTS = ["c one", "c two", "c three"]


def _leaf(names: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(names),
        st.floats(0.1, 3.0).map(lambda x: f"{x:.3f}"),
        st.just("Time"),
    )


def _expr(names: list[str]) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )
        safe_div = st.tuples(inner, inner).map(lambda t: f"({t[0]} / (1 + ABS({t[1]})))")
        calls = st.one_of(
            st.tuples(inner, inner).map(lambda t: f"MIN({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"MAX({t[0]}, {t[1]})"),
            inner.map(lambda a: f"ABS({a})"),
            inner.map(lambda a: f"SQRT(ABS({a}))"),
            inner.map(lambda a: f"EXP(-ABS({a}))"),
            inner.map(lambda a: f"LN(1 + ABS({a}))"),
            inner.map(lambda a: f"SIN({a})"),
            st.tuples(inner, inner, inner).map(
                lambda t: f"IF THEN ELSE({t[0]} > {t[1]}, {t[2]}, {t[1]})"
            ),
            st.tuples(inner, inner).map(lambda t: f"ZIDZ({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"XIDZ({t[0]}, {t[1]}, 1)"),
            st.tuples(inner, st.floats(0.5, 3.0)).map(lambda t: f"STEP({t[0]}, {t[1]:.2f})"),
            st.tuples(inner, st.floats(0.3, 2.0)).map(lambda t: f"SMOOTH({t[0]}, {t[1]:.2f})"),
            st.tuples(inner, st.floats(0.5, 2.0)).map(lambda t: f"DELAY1({t[0]}, {t[1]:.2f})"),
            st.tuples(inner, st.floats(0.5, 2.0)).map(lambda t: f"SMOOTH3({t[0]}, {t[1]:.2f})"),
            inner.map(lambda a: f"table(ABS({a}))"),
            inner.map(lambda a: f"INTEGER({a})"),
        )
        return st.one_of(binary, safe_div, calls)

    return st.recursive(_leaf(names), extend, max_leaves=6)


@st.composite
def models(draw: st.DrawFn) -> str:
    """A random model as Vensim text: 3 constants, 2 stocks, 3 auxiliaries, a lookup."""
    lines = []
    for name in CONSTANTS:
        lines.append(f"{name} = {draw(st.floats(0.1, 2.0)):.4f}\n\t~ Dmnl\n\t~ A constant.\n\t|")
    stocks = ["stock a", "stock b"]
    visible = [*CONSTANTS, *stocks]
    auxiliaries = []
    for i in range(3):
        name = f"aux {i}"
        lines.append(f"{name} = {draw(_expr(visible))}\n\t~ Dmnl\n\t~ An auxiliary.\n\t|")
        visible.append(name)
        auxiliaries.append(name)
    for name in stocks:
        # bounded rates keep every run finite: a tanh-like squashing of a random expression
        rate = draw(_expr(visible))
        initial = draw(_expr(CONSTANTS))
        lines.append(
            f"{name} = INTEG({rate} / (1 + ABS({rate})) - 0.1 * {name}, {initial})"
            "\n\t~ Dmnl\n\t~ A stock.\n\t|"
        )
    lines.append("table([(0,0)-(10,10)],(0,0),(1,2),(3,1.5),(6,4))\n\t~ Dmnl\n\t~ A lookup.\n\t|")
    lines.append(
        "INITIAL TIME = 0 ~ Year ~ |\nFINAL TIME = 4 ~ Year ~ |\n"
        "TIME STEP = 0.25 ~ Year ~ |\nSAVEPER = 0.5 ~ Year ~ |"
    )
    return "{UTF-8}\n" + "\n".join(lines) + "\n"


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=models())
def test_random_models_match_pysd(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "random.mdl"
        path.write_text(text)
        model = simulator.load_model(path)
        ours = simulator.simulate(model)
        reference = simulator.simulate(model, engine="pysd")
    for name in ours.data_vars:
        np.testing.assert_allclose(
            ours[name].values,
            reference[name].values,
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=f"{name}\n{text}",
        )
