"""The numpy backend's batched run loop: a compiled model, per-run constants -> recorded outputs.

State has shape ``(n_rows, n_runs)``: one row per stock element or builtin
stage, runs along the contiguous axis, so every equation evaluates on whole
rows of runs. A block over array elements owns ``k * prod(shape)``
consecutive rows and sees them as ``(k, *shape, n_runs)``.

Vectorisation contract: running a batch gives, for each member, bit for bit
what running that member alone gives. Every operation is elementwise and no
value depends on another run's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine.backends.numpy import CompiledModel, Evaluator, fit
from simulator.engine.integrators import ExplicitRungeKutta
from simulator.engine.statefuls import Block, StockBlock
from simulator.model.ir import TimeSpec

__all__ = ["RunOutput", "run_compiled", "time_grid"]

#: Relative precision PySD uses to decide whether a time is final or saved.
_RPREC = 1e-5


@dataclass(frozen=True)
class RunOutput:
    """What a batch run produced.

    Attributes
    ----------
    times : ndarray, shape (n_times,)
        Saved times, rounded as PySD rounds them.
    values : dict of str -> ndarray, shape (n_runs, n_times, *shape)
        Recorded values, keyed by identifier (``shape`` is ``()`` for a
        scalar); possibly a view of a time-major buffer.
    """

    times: np.ndarray
    values: dict[str, np.ndarray]


def time_grid(spec: TimeSpec) -> tuple[int, np.ndarray, np.ndarray]:
    """The step count and saved times of a run, as PySD's loop produces them.

    Time advances by repeated addition (``t = t + dt``), as in PySD, so that
    STEP and PULSE switch at the same step.

    Returns
    -------
    n_steps : int
    save_flags : ndarray of bool, shape (n_steps + 1,)
        Whether the value at step ``k`` is recorded.
    times : ndarray, shape (n_steps + 1,)
        Time at each step.
    """
    t, t0, dt, saveper = spec.initial_time, spec.initial_time, spec.time_step, spec.saveper
    prec = dt * _RPREC
    times, flags = [], []
    while True:
        delay = t - t0
        flags.append(delay % saveper < prec or -delay % saveper < prec)
        times.append(t)
        if not t + prec < spec.final_time:
            break
        t = t + dt
    return len(times) - 1, np.array(flags), np.array(times)


def _rounded(times: np.ndarray, dt: float) -> np.ndarray:
    return np.round(times, -int(np.log10(dt * _RPREC)))


def run_compiled(
    compiled: CompiledModel,
    values: Mapping[str, Any],
    n_runs: int,
    spec: TimeSpec,
    integrator: ExplicitRungeKutta,
    progress: Callable[[int], None] | None = None,
) -> RunOutput:
    """Run a batch.

    Parameters
    ----------
    compiled : CompiledModel
    values : mapping of identifier -> float or ndarray, shape (n_runs,)
        Values of constants (and of auxiliaries turned into constants) that
        differ from the model's; an array constant takes the value for all
        of its elements.
    n_runs : int
    spec : TimeSpec
        Time settings for this run.
    integrator : ExplicitRungeKutta
    progress : callable, optional
        Called with the number of steps done since the last call.

    Returns
    -------
    RunOutput
    """
    slots = compiled.slots
    v: list[Any] = [None] * compiled.n_slots
    v[slots["time"]] = spec.initial_time
    for name in ("initial_time", "final_time", "time_step", "saveper"):
        v[slots[name]] = getattr(spec, name)
    given = {
        slots[name]: _given(value, compiled.shapes[slots[name]]) for name, value in values.items()
    }
    with np.errstate(all="ignore"):
        for slot, evaluate in compiled.static:
            v[slot] = given[slot] if slot in given else evaluate(v)
        contexts: dict[int, dict[str, Any]] = {b.slot: {} for b in compiled.blocks}
        initial_rows: dict[int, np.ndarray] = {}
        for slot, entry in compiled.init:
            if isinstance(entry, Block):
                rows = entry.init(v, n_runs, contexts[slot])
                rows = np.empty((0, *entry.shape, n_runs)) if rows is None else rows
                initial_rows[slot] = rows
                v[slot] = fit(entry.output(v, rows, contexts[slot]), entry.shape)
            else:
                v[slot] = entry(v)
        return _Loop(compiled, v, contexts, initial_rows, n_runs, spec, integrator).run(progress)


class _Loop:
    """One batch run: state layout, stage evaluation, recording."""

    def __init__(
        self,
        compiled: CompiledModel,
        v: list[Any],
        contexts: dict[int, dict[str, Any]],
        initial_rows: dict[int, np.ndarray],
        n_runs: int,
        spec: TimeSpec,
        integrator: ExplicitRungeKutta,
    ) -> None:
        self.compiled = compiled
        self.v = v
        self.contexts = contexts
        self.spec = spec
        self.integrator = integrator
        self.n_runs = n_runs
        offsets: dict[int, slice] = {}
        self.views: dict[int, tuple[int, ...]] = {}  # block slot -> (k, *shape, n_runs)
        start = 0
        for block in compiled.blocks:
            rows = initial_rows[block.slot]
            k = rows.shape[0] * int(np.prod(block.shape, dtype=int))
            offsets[block.slot] = slice(start, start + k)
            self.views[block.slot] = rows.shape
            start += k
        self.offsets = offsets
        parts = [initial_rows[b.slot].reshape(-1, n_runs) for b in compiled.blocks]
        self.y = (
            np.ascontiguousarray(np.concatenate(parts, axis=0)) if parts else np.empty((0, n_runs))
        )
        self.holder = [self.y]
        self.core = [self.entry(slot, e) for slot, e in compiled.core]
        self.report = [self.entry(slot, e) for slot, e in compiled.report]
        stocks = [b for b in compiled.blocks if isinstance(b, StockBlock)]
        self.stock_rates = [(offsets[b.slot].start, b.args[0]) for b in stocks if not b.shape]
        self.array_rates = [(offsets[b.slot], b.args[0], b.shape) for b in stocks if b.shape]
        others = [
            b
            for b in compiled.blocks
            if offsets[b.slot].stop > offsets[b.slot].start and not isinstance(b, StockBlock)
        ]
        self.continuous = [(offsets[b.slot], b, contexts[b.slot]) for b in others if not b.shape]
        self.array_continuous = [
            (offsets[b.slot], b, contexts[b.slot], self.views[b.slot]) for b in others if b.shape
        ]
        self.discrete = [(b, contexts[b.slot]) for b in compiled.blocks if b.discrete]
        self.non_negative = [offsets[b.slot] for b in stocks if b.non_negative]
        self.time_slot = compiled.slots["time"]
        self.record_now = False
        self.first_stage_values: list[Any] = v

    def entry(self, slot: int, entry: Evaluator | Block) -> tuple[int, Evaluator]:
        if not isinstance(entry, Block):
            return slot, entry
        block, rows, ctx, holder = entry, self.offsets[slot], self.contexts[slot], self.holder
        view = self.views[slot]
        if isinstance(block, StockBlock):  # the common case, kept short
            if not block.shape:
                row = rows.start
                return slot, lambda v: holder[0][row]
            return slot, lambda v: holder[0][rows].reshape(view[1:])
        shape = block.shape
        if not shape:
            return slot, lambda v: block.output(v, holder[0][rows], ctx)
        return slot, lambda v: fit(block.output(v, holder[0][rows].reshape(view), ctx), shape)

    def derivative(self, t: float, y: np.ndarray, first_stage: bool) -> np.ndarray:
        v = self.v
        self.holder[0] = y
        v[self.time_slot] = t
        for slot, evaluate in self.core:
            v[slot] = evaluate(v)
        if first_stage:
            if self.record_now:
                for slot, evaluate in self.report:
                    v[slot] = evaluate(v)
                self.record()
            if self.discrete:  # their updates need the values at the start of the step
                self.first_stage_values = list(v)
        dy = np.empty_like(y)
        for row, rate in self.stock_rates:
            dy[row] = v[rate]
        for rows, rate, shape in self.array_rates:
            dy[rows].reshape(*shape, -1)[...] = v[rate]
        for rows, block, ctx in self.continuous:
            dy[rows] = block.derivative(v, y[rows], ctx)
        for rows, block, ctx, view in self.array_continuous:
            dy[rows].reshape(view)[...] = block.derivative(v, y[rows].reshape(view), ctx)
        return dy

    def record(self) -> None:
        k = self.saved
        for out, slot in self.recorders:
            out[k] = self.v[slot]
        self.saved += 1

    def run(self, progress: Callable[[int], None] | None) -> RunOutput:
        """Integrate over the time grid; the caller silences numpy's floating-point warnings."""
        n_steps, flags, times = time_grid(self.spec)
        slots = self.compiled.slots
        n_saved = int(flags.sum())
        self.recorders = [  # time-major: one contiguous write per saved time
            (np.empty((n_saved, *self.compiled.shapes[slots[name]], self.n_runs)), slots[name])
            for name in self.compiled.outputs
        ]
        self.saved = 0
        y = self.y
        dt = self.spec.time_step
        tick = max(1, n_steps // 100)
        for k in range(n_steps):
            self.record_now = bool(flags[k])
            y = self.integrator.step(times[k], y, dt, self.derivative)
            for rows in self.non_negative:
                y[rows] = np.maximum(y[rows], 0)
            first = self.first_stage_values
            for block, ctx in self.discrete:
                block.update(first, ctx)
            if progress is not None and (k + 1) % tick == 0:
                progress(tick)
        if flags[n_steps]:
            self.holder[0] = y
            v = self.v
            v[self.time_slot] = times[n_steps]
            for slot, evaluate in (*self.core, *self.report):
                v[slot] = evaluate(v)
            self.record()
        if progress is not None and n_steps % tick:
            progress(n_steps % tick)
        values = {
            name: np.moveaxis(out, -1, 0)
            for name, (out, _) in zip(self.compiled.outputs, self.recorders, strict=True)
        }
        return RunOutput(times=_rounded(times[flags], dt), values=values)


def _given(value: Any, shape: tuple[int, ...]) -> Any:
    """A value set by the caller, in the layout of its slot."""
    if not shape:
        return value
    return fit(np.asarray(value, dtype=float).reshape(-1), shape)
