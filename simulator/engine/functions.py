"""Stateless Vensim builtins on whole columns of runs.

Each function takes floats or arrays of shape ``(n_runs,)`` and broadcasts as
numpy does. Semantics follow PySD's ``py_backend.functions`` so that runs
match PySD to rounding: ``SMALL_VENSIM`` thresholds, half-step STEP, PULSE
windows, truncating INTEGER.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["SMALL_VENSIM", "STATELESS", "TIME_FUNCTIONS", "interpolate", "power", "zidz"]

#: What Vensim considers zero.
SMALL_VENSIM = 1e-6

Value = Any  # float or ndarray of shape (n_runs,)


def _if_then_else(condition: Value, if_true: Value, if_false: Value) -> Value:
    return np.where(condition, if_true, if_false)


def _integer(x: Value) -> Value:
    return np.trunc(x)


def _quantum(a: Value, b: Value) -> Value:
    return np.where(b < SMALL_VENSIM, a, b * np.trunc(np.divide(a, b)))


def _modulo(x: Value, m: Value) -> Value:
    return x - _quantum(x, m)


def _xidz(numerator: Value, denominator: Value, x: Value) -> Value:
    return np.where(np.abs(denominator) < SMALL_VENSIM, x, np.divide(numerator, denominator))


def zidz(numerator: Value, denominator: Value) -> Value:
    """Vensim's ``ZIDZ``: ``numerator / denominator``, 0 where the denominator is about 0."""
    return np.where(np.abs(denominator) < SMALL_VENSIM, 0.0, np.divide(numerator, denominator))


def power(base: Value, exponent: Value) -> Value:
    """``base ** exponent``, as ``exp(exponent * log(base))`` where ``base > 0``.

    libm's ``pow`` is several times slower than numpy's vectorised ``exp`` and
    ``log``; for a positive base the two agree to a few ulps (relative 1e-15),
    far inside the 1e-9 agreement with PySD. Other bases (zero, negative, NaN)
    use ``np.power``. The choice is made element by element, so a run's value
    does not depend on the batch it is in.

    Examples
    --------
    >>> with np.errstate(all="ignore"):  # the run loop silences numpy's warnings too
    ...     print(power(np.array([4.0, -2.0, 0.0]), 0.5).round(12).tolist(), power(-2.0, 3.0))
    [2.0, nan, 0.0] -8.0
    """
    base_arr = np.asarray(base, dtype=float)
    out = np.exp(np.log(base_arr) * exponent)
    other = ~(base_arr > 0)
    if other.any():
        shape = np.broadcast_shapes(base_arr.shape, np.shape(exponent))
        base_b = np.broadcast_to(base_arr, shape)
        exponent_b = np.broadcast_to(np.asarray(exponent, dtype=float), shape)
        out = np.array(np.broadcast_to(out, shape))
        np.power(base_b, exponent_b, out=out, where=np.broadcast_to(other, shape))
    return out if out.ndim else float(out)


def _log(x: Value, base: Value) -> Value:
    return np.log(x) / np.log(base)


#: name -> function of the arguments alone.
STATELESS: dict[str, Callable[..., Value]] = {
    "abs": np.abs,
    "exp": np.exp,
    "ln": np.log,
    "log": _log,
    "sqrt": np.sqrt,
    "power": power,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "pi": lambda: np.pi,
    "min": np.minimum,
    "max": np.maximum,
    "integer": _integer,
    "modulo": _modulo,
    "quantum": _quantum,
    "xidz": _xidz,
    "zidz": zidz,
    "if_then_else": _if_then_else,
}


def _step(t: float, dt: float, value: Value, start: Value) -> Value:
    return value * (t + dt / 2 > start)


def _ramp(t: float, dt: float, slope: Value, start: Value, finish: Value | None = None) -> Value:
    final = t if finish is None else np.minimum(finish, t)
    return (t + SMALL_VENSIM > start) * slope * (final - start)


def _xramp(t: float, dt: float, slope: Value, start: Value) -> Value:
    return _ramp(t, dt, slope, start)


def _pulse_train(
    t: float,
    dt: float,
    start: Value,
    repeat: Value,
    width: Value,
    end: Value | None = None,
    magnitude: Value | None = None,
) -> Value:
    out = 1.0 if magnitude is None else magnitude / dt
    single = (start - SMALL_VENSIM <= t) & (t < start + width)
    in_cycle = np.mod(t - start + SMALL_VENSIM, repeat) < width
    active = start <= t
    if end is not None:
        active = active & (t < end)
    repeated = active & in_cycle
    return np.where(repeat == 0, single, repeated) * out


def _pulse(t: float, dt: float, start: Value, width: Value) -> Value:
    return _pulse_train(t, dt, start, 0.0, width)


def _xpulse(t: float, dt: float, start: Value, magnitude: Value) -> Value:
    return _pulse_train(t, dt, start, 0.0, 0.5 * dt, magnitude=magnitude)


def _xpulse_train(t: float, dt: float, start: Value, repeat: Value, magnitude: Value) -> Value:
    return _pulse_train(t, dt, start, repeat, 0.5 * dt, magnitude=magnitude)


#: name -> function of (time, time step, *arguments).
TIME_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "step": _step,
    "ramp": _ramp,
    "Xramp": _xramp,
    "pulse": _pulse,
    "Xpulse": _xpulse,
    "pulse_train": _pulse_train,
    "Xpulse_train": _xpulse_train,
}


def interpolate(x: Value, xs: np.ndarray, ys: np.ndarray, kind: str = "interpolate") -> Value:
    """Evaluate a lookup table at ``x``, row by row.

    Parameters
    ----------
    x : float or ndarray, shape (n_runs,)
        Where to evaluate.
    xs : ndarray, shape (n_points,)
        Increasing x values of the table.
    ys : ndarray, shape (n_points,) or (n_runs, n_points)
        The y values, shared by all runs or one row per run.
    kind : {"interpolate", "extrapolate", "hold_backward"}
        ``interpolate`` holds the end values outside the table,
        ``extrapolate`` extends the end segments linearly, ``hold_backward``
        is a step function taking the value at the nearest x to the left.

    Returns
    -------
    float or ndarray, shape (n_runs,)
        One formula serves batches and single runs, so a run's value does not
        depend on the batch it is in.

    Examples
    --------
    >>> xs = np.array([0.0, 10.0]); ys = np.array([0.0, 5.0])
    >>> interpolate(np.array([-1.0, 4.0, 12.0]), xs, ys).tolist()
    [0.0, 2.0, 5.0]
    >>> interpolate(np.array([12.0]), xs, ys, "extrapolate").tolist()
    [6.0]
    """
    if ys.ndim == 1 and kind != "hold_backward":
        inside = np.interp(x, xs, ys)
        if kind == "extrapolate" and len(xs) > 1:
            low = ys[0] + (ys[1] - ys[0]) / (xs[1] - xs[0]) * (np.asarray(x) - xs[0])
            high = ys[-1] + (ys[-1] - ys[-2]) / (xs[-1] - xs[-2]) * (np.asarray(x) - xs[-1])
            return np.where(x < xs[0], low, np.where(x > xs[-1], high, inside))
        return inside
    x_arr = np.asarray(x, dtype=float)
    n = len(xs)
    if n == 1:
        return np.broadcast_to(ys[..., 0], np.broadcast_shapes(x_arr.shape, ys.shape[:-1])) * 1.0
    right = np.searchsorted(xs[1:-1], x_arr, side="right") + 1  # segment index in [1, n - 1]
    left = right - 1
    x0, x1 = xs[left], xs[right]
    if ys.ndim == 1:
        y0 = ys[left]
    else:
        rows = np.arange(ys.shape[0])
        y0, y1 = ys[rows, left], ys[rows, right]
    if kind == "hold_backward":
        below = x_arr < xs[0]
        at_or_above_last = x_arr >= xs[-1]
        return np.where(at_or_above_last, ys[..., -1], np.where(below, ys[..., 0], y0))
    inside = y0 + (y1 - y0) * ((x_arr - x0) / (x1 - x0))
    if kind == "extrapolate":
        return inside
    return np.where(x_arr <= xs[0], ys[..., 0], np.where(x_arr >= xs[-1], ys[..., -1], inside))
