"""State-carrying blocks: stocks, SMOOTH, DELAY, DELAY FIXED, TREND, FORECAST, ...

A block owns some rows of the continuous state ``y`` (shape ``(n_rows, n_runs)``,
one row per state variable, runs along the contiguous axis) and possibly some
discrete state kept in a per-run :class:`dict` (``ctx``). The compiler gives
each block the slots of its arguments; values are read from the slot list
``v`` (each entry a float or an array of shape ``(n_runs,)``).

Numerics follow PySD's ``py_backend.statefuls`` operation by operation, so
that Euler runs match PySD to rounding. A block whose order (SMOOTH N,
DELAY N) differs between runs keeps ``max(order)`` rows; a run of lower order
reads its output from its own last row, and the extra rows downstream of it
never feed back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from simulator.engine.functions import SMALL_VENSIM, zidz

__all__ = [
    "BLOCKS",
    "Block",
    "DelayBlock",
    "DelayFixedBlock",
    "DelayNBlock",
    "ForecastBlock",
    "InitialBlock",
    "SampleIfTrueBlock",
    "SmoothBlock",
    "StockBlock",
    "TrendBlock",
]

Values = list[Any]
Ctx = dict[str, Any]


def _column(value: Any, n_runs: int) -> np.ndarray:
    """``value`` as a float array of shape ``(n_runs,)``."""
    return np.array(np.broadcast_to(np.asarray(value, dtype=float), (n_runs,)))


@dataclass(frozen=True)
class Block:
    """Base of every stateful block.

    Attributes
    ----------
    slot : int
        Where the block's output value goes in ``v``.
    args : tuple of int
        Slots of the arguments, in the order of :class:`~simulator.model.ir.StatefulKind`.
    name : str
        The element the block belongs to, for messages.
    """

    slot: int
    args: tuple[int, ...]
    name: str

    #: Indices into ``args`` needed to initialise the block (and compute its first output).
    init_args: ClassVar[tuple[int, ...]] = ()
    #: Indices into ``args`` that the output needs at the current time.
    output_args: ClassVar[tuple[int, ...]] = ()
    #: Indices into ``args`` that the derivative or the discrete update needs.
    step_args: ClassVar[tuple[int, ...]] = ()
    #: True if the block has a discrete update after each step.
    discrete: ClassVar[bool] = False

    def arg(self, v: Values, i: int) -> Any:
        return v[self.args[i]]

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray | None:
        """Initial continuous rows, shape ``(n_rows, n_runs)``, or None if there are none."""
        raise NotImplementedError

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        """The block's value at the current time, shape ``(n_runs,)``."""
        raise NotImplementedError

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        """Time derivative of the continuous rows, broadcastable to ``rows.shape``."""
        raise NotImplementedError

    def update(self, v: Values, ctx: Ctx) -> None:
        """Discrete update with the values at the start of the step."""


def _shifted(rows: np.ndarray, first: Any) -> np.ndarray:
    """Rows moved down by one stage, ``first`` in the top row (PySD's ``np.roll`` then set)."""
    out = np.empty_like(rows)
    out[1:] = rows[:-1]
    out[0] = first
    return out


def _orders(value: Any, n_runs: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (n_runs,)).astype(int)


def _last_row(rows: np.ndarray, ctx: Ctx) -> np.ndarray:
    order = ctx["order"]
    if ctx["uniform"]:
        return rows[order[0] - 1] if len(order) else rows[-1]
    return rows[order - 1, np.arange(rows.shape[1])]


def _order_context(order: np.ndarray, ctx: Ctx) -> int:
    if len(order) and order.min() < 1:
        order = np.maximum(order, 1)
    ctx["order"] = order
    ctx["uniform"] = bool(len(order) == 0 or (order == order[0]).all())
    return int(order.max()) if len(order) else 1


@dataclass(frozen=True)
class StockBlock(Block):
    """``INTEG(rate, initial)``; args: rate, initial."""

    non_negative: bool = False
    init_args = (1,)
    step_args = (0,)

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        return _column(self.arg(v, 1), n_runs)[None, :]

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return rows[0]

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return self.arg(v, 0)


@dataclass(frozen=True)
class SmoothBlock(Block):
    """``SMOOTH*``: args input, smooth_time, initial, order."""

    init_args = (2, 3)
    step_args = (0, 1)

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        k = _order_context(_orders(self.arg(v, 3), n_runs), ctx)
        return np.tile(_column(self.arg(v, 2), n_runs), (k, 1))

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return _last_row(rows, ctx)

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        targets = _shifted(rows, self.arg(v, 0))
        order = ctx["order"] if not ctx["uniform"] else ctx["order"][0]
        return (targets - rows) * order / self.arg(v, 1)


def _delay_order(order: np.ndarray, delay_time: Any, time_step: float) -> np.ndarray:
    """PySD's rule: lower the order until order * TIME STEP <= delay time."""
    delay = np.broadcast_to(np.asarray(delay_time, dtype=float), order.shape)
    order = order.copy()
    too_high = order * time_step > delay
    while too_high.any():
        order[too_high] -= 1
        too_high = (order * time_step > delay) & (order > 0)
    return order


@dataclass(frozen=True)
class DelayBlock(Block):
    """``DELAY1/DELAY3/DELAY N`` material delays; args input, delay_time, initial, order.

    The extra arg slot ``time_step_slot`` holds TIME STEP.
    """

    time_step_slot: int = -1
    init_args = (1, 2, 3)
    output_args = (1,)
    step_args = (0, 1)

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        order = _delay_order(
            _orders(self.arg(v, 3), n_runs), self.arg(v, 1), v[self.time_step_slot]
        )
        k = _order_context(order, ctx)
        state = _column(self.arg(v, 2) * self.arg(v, 1), n_runs)
        return np.tile(state, (k, 1))

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return _last_row(rows, ctx) / self.arg(v, 1)

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        outflows = rows / self.arg(v, 1)
        inflows = _shifted(outflows, self.arg(v, 0))
        order = ctx["order"] if not ctx["uniform"] else ctx["order"][0]
        return (inflows - outflows) * order


@dataclass(frozen=True)
class DelayNBlock(DelayBlock):
    """``DELAY N`` with a delay time that varies: PySD keeps the delay times of each stage.

    The discrete state ``times`` (shape ``(n_rows, n_runs)``) shifts by one stage each step.
    """

    discrete = True

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        rows = super().init(v, n_runs, ctx)
        ctx["times"] = np.tile(_column(self.arg(v, 1), n_runs), (rows.shape[0], 1))
        return rows

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return _last_row(rows, ctx) / ctx["times"][0]

    def _next_times(self, v: Values, ctx: Ctx) -> np.ndarray:
        return _shifted(ctx["times"], self.arg(v, 1))

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        outflows = rows / self._next_times(v, ctx)
        inflows = _shifted(outflows, self.arg(v, 0))
        order = ctx["order"] if not ctx["uniform"] else ctx["order"][0]
        return (inflows - outflows) * order

    def update(self, v: Values, ctx: Ctx) -> None:
        ctx["times"] = self._next_times(v, ctx)


@dataclass(frozen=True)
class DelayFixedBlock(Block):
    """``DELAY FIXED``: a pipeline of ``round(delay_time / TIME STEP)`` past inputs.

    args: input, delay_time, initial.
    """

    time_step_slot: int = -1
    init_args = (1, 2)
    step_args = (0,)
    discrete = True

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> None:
        ratio = np.maximum(np.asarray(self.arg(v, 1), dtype=float) / v[self.time_step_slot], 1)
        order = np.round(np.broadcast_to(ratio + SMALL_VENSIM, (n_runs,))).astype(int)
        initial = _column(self.arg(v, 2), n_runs)
        ctx["order"] = order
        ctx["pipe"] = np.tile(initial, (int(order.max()) if n_runs else 1, 1))
        ctx["pointer"] = np.zeros(n_runs, dtype=int)
        ctx["state"] = initial
        return None

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return ctx["state"]

    def update(self, v: Values, ctx: Ctx) -> None:
        runs = np.arange(len(ctx["pointer"]))
        pipe = ctx["pipe"]
        pipe[ctx["pointer"], runs] = self.arg(v, 0)
        ctx["pointer"] = (ctx["pointer"] + 1) % ctx["order"]
        ctx["state"] = pipe[ctx["pointer"], runs].copy()


@dataclass(frozen=True)
class TrendBlock(Block):
    """``TREND``: args input, average_time, initial_trend."""

    init_args = (0, 1, 2)
    output_args = (0, 1)
    step_args = (0, 1)

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        value = self.arg(v, 0) / (1 + self.arg(v, 2) * self.arg(v, 1))
        return _column(value, n_runs)[None, :]

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return zidz(self.arg(v, 0) - rows[0], self.arg(v, 1) * np.abs(rows[0]))

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return (self.arg(v, 0) - rows[0]) / self.arg(v, 1)


@dataclass(frozen=True)
class ForecastBlock(Block):
    """``FORECAST``: args input, average_time, horizon, initial_trend."""

    init_args = (0, 1, 2, 3)
    output_args = (0, 1, 2)
    step_args = (0, 1)

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        return _column(self.arg(v, 0) / (1 + self.arg(v, 3)), n_runs)[None, :]

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        value = self.arg(v, 0)
        ratio = zidz(value - rows[0], self.arg(v, 1) * rows[0])
        return value * (1 + ratio * self.arg(v, 2))

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return (self.arg(v, 0) - rows[0]) / self.arg(v, 1)


@dataclass(frozen=True)
class SampleIfTrueBlock(Block):
    """``SAMPLE IF TRUE``: args condition, input, initial."""

    init_args = (0, 1, 2)
    output_args = (0, 1)
    step_args = (0, 1)
    discrete = True

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> None:
        ctx["state"] = _column(self.arg(v, 2), n_runs)
        return None

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return np.where(self.arg(v, 0), self.arg(v, 1), ctx["state"])

    def update(self, v: Values, ctx: Ctx) -> None:
        ctx["state"] = ctx["state"] * 0 + np.where(self.arg(v, 0), self.arg(v, 1), ctx["state"])


@dataclass(frozen=True)
class InitialBlock(Block):
    """``INITIAL(value)``: the value at initialisation, frozen."""

    init_args = (0,)

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> None:
        ctx["state"] = _column(self.arg(v, 0), n_runs)
        return None

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return ctx["state"]


#: StatefulKind value -> block class.
BLOCKS: dict[str, type[Block]] = {
    "smooth": SmoothBlock,
    "delay": DelayBlock,
    "delay_n": DelayNBlock,
    "delay_fixed": DelayFixedBlock,
    "trend": TrendBlock,
    "forecast": ForecastBlock,
    "sample_if_true": SampleIfTrueBlock,
    "initial": InitialBlock,
}
