"""State-carrying blocks of the numpy backend: stocks, SMOOTH, DELAY, DELAY FIXED, TREND, ...

A block owns some rows of the continuous state ``y`` (shape ``(n_rows, n_runs)``,
one row per state variable, runs along the contiguous axis) and possibly some
discrete state kept in a per-batch :class:`dict` (``ctx``). A block over
array elements of shape ``shape`` sees its rows as an array of shape
``(k, *shape, n_runs)`` (``k`` stages); every operation is element by element,
so one block runs every element of every run at once. The plan gives each
block the slots of its arguments; values are read from the slot list ``v``
(each entry a float, an array of shape ``(n_runs,)``, or for array arguments
``(*shape, n_runs)``; a length-1 run axis broadcasts).

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
from simulator.engine.plan import BLOCK_ARGS

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
    shape : tuple of int
        The array elements it runs over, ``()`` for a scalar.
    """

    slot: int
    args: tuple[int, ...]
    name: str
    shape: tuple[int, ...] = ()

    #: The key of :data:`~simulator.engine.plan.BLOCK_ARGS` (which arguments each phase reads).
    kind: ClassVar[str] = ""

    @property
    def discrete(self) -> bool:
        """True if the block has a discrete update after each step."""
        return BLOCK_ARGS[self.kind].discrete

    def arg(self, v: Values, i: int) -> Any:
        return v[self.args[i]]

    def column(self, value: Any, n_runs: int) -> np.ndarray:
        """``value`` as a C-contiguous float array of shape ``(*shape, n_runs)``."""
        return _filled(value, (*self.shape, n_runs))

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray | None:
        """Initial continuous rows, shape ``(k, *shape, n_runs)``, or None if there are none."""
        raise NotImplementedError

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        """The block's value at the current time, broadcastable to ``(*shape, n_runs)``."""
        raise NotImplementedError

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        """Time derivative of the continuous rows, broadcastable to ``rows.shape``."""
        raise NotImplementedError

    def update(self, v: Values, ctx: Ctx) -> None:
        """Discrete update with the values at the start of the step."""


def _filled(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` broadcast to ``shape``, copied C-contiguous (runs stay the contiguous axis)."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=float), shape))


def _shifted(rows: np.ndarray, first: Any) -> np.ndarray:
    """Rows moved down by one stage, ``first`` in the top row (PySD's ``np.roll`` then set)."""
    out = np.empty_like(rows)
    out[1:] = rows[:-1]
    out[0] = first
    return out


def _last_row(rows: np.ndarray, ctx: Ctx) -> np.ndarray:
    order = ctx["order"]
    if ctx["uniform"]:
        return rows[order.flat[0] - 1] if order.size else rows[-1]
    return np.take_along_axis(rows, (order - 1)[None], 0)[0]


def _order_context(order: np.ndarray, ctx: Ctx) -> int:
    """Keep the (per element and run) orders; the number of stage rows to allocate."""
    if order.size and order.min() < 1:
        order = np.maximum(order, 1)
    ctx["order"] = order
    ctx["uniform"] = bool(order.size == 0 or (order == order.flat[0]).all())
    # what the derivatives multiply by: one number when every element and run agrees
    ctx["stage_order"] = order.flat[0] if ctx["uniform"] and order.size else order
    return int(order.max()) if order.size else 1


@dataclass(frozen=True)
class StockBlock(Block):
    """``INTEG(rate, initial)``; args: rate, initial."""

    non_negative: bool = False
    kind = "stock"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        return self.column(self.arg(v, 1), n_runs)[None]

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return rows[0]

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return self.arg(v, 0)


@dataclass(frozen=True)
class SmoothBlock(Block):
    """``SMOOTH*``: args input, smooth_time, initial, order."""

    kind = "smooth"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        k = _order_context(self.column(self.arg(v, 3), n_runs).astype(int), ctx)
        initial = self.column(self.arg(v, 2), n_runs)
        return _filled(initial, (k, *initial.shape))

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return _last_row(rows, ctx)

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        targets = _shifted(rows, self.arg(v, 0))
        return (targets - rows) * ctx["stage_order"] / self.arg(v, 1)


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
    kind = "delay"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        order = self.column(self.arg(v, 3), n_runs).astype(int)
        order = _delay_order(order, self.arg(v, 1), v[self.time_step_slot])
        k = _order_context(order, ctx)
        state = self.column(self.arg(v, 2) * self.arg(v, 1), n_runs)
        return _filled(state, (k, *state.shape))

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return _last_row(rows, ctx) / self.arg(v, 1)

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        outflows = rows / self.arg(v, 1)
        inflows = _shifted(outflows, self.arg(v, 0))
        return (inflows - outflows) * ctx["stage_order"]


@dataclass(frozen=True)
class DelayNBlock(DelayBlock):
    """``DELAY N`` with a delay time that varies: PySD keeps the delay times of each stage.

    The discrete state ``times`` (shape ``(k, *shape, n_runs)``) shifts by one stage each step.
    """

    kind = "delay_n"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        rows = super().init(v, n_runs, ctx)
        times = self.column(self.arg(v, 1), n_runs)
        ctx["times"] = _filled(times, rows.shape)
        return rows

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return _last_row(rows, ctx) / ctx["times"][0]

    def _next_times(self, v: Values, ctx: Ctx) -> np.ndarray:
        return _shifted(ctx["times"], self.arg(v, 1))

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        outflows = rows / self._next_times(v, ctx)
        inflows = _shifted(outflows, self.arg(v, 0))
        return (inflows - outflows) * ctx["stage_order"]

    def update(self, v: Values, ctx: Ctx) -> None:
        ctx["times"] = self._next_times(v, ctx)


@dataclass(frozen=True)
class DelayFixedBlock(Block):
    """``DELAY FIXED``: a pipeline of ``round(delay_time / TIME STEP)`` past inputs.

    args: input, delay_time, initial.
    """

    time_step_slot: int = -1
    kind = "delay_fixed"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> None:
        ratio = np.maximum(np.asarray(self.arg(v, 1), dtype=float) / v[self.time_step_slot], 1)
        order = np.round(self.column(ratio + SMALL_VENSIM, n_runs)).astype(int)
        initial = self.column(self.arg(v, 2), n_runs)
        ctx["order"] = order
        depth = int(order.max()) if order.size else 1
        ctx["pipe"] = _filled(initial, (depth, *initial.shape))
        ctx["pointer"] = np.zeros(order.shape, dtype=int)
        ctx["state"] = initial
        return None

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return ctx["state"]

    def update(self, v: Values, ctx: Ctx) -> None:
        pipe, pointer = ctx["pipe"], ctx["pointer"]
        value = np.broadcast_to(np.asarray(self.arg(v, 0), dtype=float), pointer.shape)
        np.put_along_axis(pipe, pointer[None], value[None], 0)
        ctx["pointer"] = (pointer + 1) % ctx["order"]
        ctx["state"] = np.take_along_axis(pipe, ctx["pointer"][None], 0)[0]


@dataclass(frozen=True)
class TrendBlock(Block):
    """``TREND``: args input, average_time, initial_trend."""

    kind = "trend"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        value = self.arg(v, 0) / (1 + self.arg(v, 2) * self.arg(v, 1))
        return self.column(value, n_runs)[None]

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return zidz(self.arg(v, 0) - rows[0], self.arg(v, 1) * np.abs(rows[0]))

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return (self.arg(v, 0) - rows[0]) / self.arg(v, 1)


@dataclass(frozen=True)
class ForecastBlock(Block):
    """``FORECAST``: args input, average_time, horizon, initial_trend."""

    kind = "forecast"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> np.ndarray:
        return self.column(self.arg(v, 0) / (1 + self.arg(v, 3)), n_runs)[None]

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        value = self.arg(v, 0)
        ratio = zidz(value - rows[0], self.arg(v, 1) * rows[0])
        return value * (1 + ratio * self.arg(v, 2))

    def derivative(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return (self.arg(v, 0) - rows[0]) / self.arg(v, 1)


@dataclass(frozen=True)
class SampleIfTrueBlock(Block):
    """``SAMPLE IF TRUE``: args condition, input, initial."""

    kind = "sample_if_true"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> None:
        ctx["state"] = self.column(self.arg(v, 2), n_runs)
        return None

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return np.where(self.arg(v, 0), self.arg(v, 1), ctx["state"])

    def update(self, v: Values, ctx: Ctx) -> None:
        ctx["state"] = ctx["state"] * 0 + np.where(self.arg(v, 0), self.arg(v, 1), ctx["state"])


@dataclass(frozen=True)
class InitialBlock(Block):
    """``INITIAL(value)``: the value at initialisation, frozen."""

    kind = "initial"

    def init(self, v: Values, n_runs: int, ctx: Ctx) -> None:
        ctx["state"] = self.column(self.arg(v, 0), n_runs)
        return None

    def output(self, v: Values, rows: np.ndarray, ctx: Ctx) -> Any:
        return ctx["state"]


#: Block kind (a key of BLOCK_ARGS) -> block class.
BLOCKS: dict[str, type[Block]] = {
    "stock": StockBlock,
    "smooth": SmoothBlock,
    "delay": DelayBlock,
    "delay_n": DelayNBlock,
    "delay_fixed": DelayFixedBlock,
    "trend": TrendBlock,
    "forecast": ForecastBlock,
    "sample_if_true": SampleIfTrueBlock,
    "initial": InitialBlock,
}
