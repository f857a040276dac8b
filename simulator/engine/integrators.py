"""Explicit Runge-Kutta integrators, declared by their Butcher tableaux.

The run loop (:mod:`simulator.engine.simulate`) owns the bookkeeping; a method
only says how the stage derivatives combine. ``euler`` reproduces Vensim and
PySD exactly: ``y(t + dt) = y(t) + dy/dt(t) * dt``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.errors import SimulationError

__all__ = ["INTEGRATORS", "ExplicitRungeKutta", "get_integrator"]

Derivative = Callable[[float, np.ndarray, bool], np.ndarray]


@dataclass(frozen=True)
class ExplicitRungeKutta:
    """An explicit Runge-Kutta method.

    Attributes
    ----------
    name : str
    a : tuple of tuple of float
        Lower-triangular stage coefficients; row ``i`` has ``i`` entries.
    b : tuple of float
        Weights of the stage derivatives.
    c : tuple of float
        Stage times as fractions of the step.
    order : int
        Order of accuracy.
    """

    name: str
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    c: tuple[float, ...]
    order: int

    def step(self, t: float, y: np.ndarray, dt: float, f: Derivative) -> np.ndarray:
        """Advance ``y`` by one step.

        Parameters
        ----------
        t : float
            Time at the start of the step.
        y : ndarray, shape (n_rows, n_runs)
            State at ``t``.
        dt : float
        f : callable ``f(t, y, first_stage) -> dy/dt``
            ``first_stage`` is True for the stage at ``t`` itself, where the
            run loop records outputs and takes discrete updates.

        Returns
        -------
        ndarray, shape (n_rows, n_runs)
        """
        if len(self.b) == 1:  # Euler, written as Vensim does for identical rounding
            return y + f(t, y, True) * dt
        stages: list[np.ndarray] = []
        for i, (row, ci) in enumerate(zip(self.a, self.c, strict=True)):
            y_stage = y
            for aij, k in zip(row, stages, strict=False):
                if aij:
                    y_stage = y_stage + (dt * aij) * k
            stages.append(f(t + ci * dt, y_stage, i == 0))
        increment = sum((bi * k for bi, k in zip(self.b, stages, strict=True) if bi), 0.0)
        return y + dt * increment


INTEGRATORS: dict[str, ExplicitRungeKutta] = {
    "euler": ExplicitRungeKutta("euler", a=((),), b=(1.0,), c=(0.0,), order=1),
    "rk4": ExplicitRungeKutta(
        "rk4",
        a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
        b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
        c=(0.0, 0.5, 0.5, 1.0),
        order=4,
    ),
}


def get_integrator(name: str) -> ExplicitRungeKutta:
    """The integrator registered under ``name`` (case-insensitive).

    Raises
    ------
    SimulationError
        For an unknown name, listing the known ones.
    """
    try:
        return INTEGRATORS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(INTEGRATORS))
        raise SimulationError(f"unknown integration method '{name}'; use one of {known}") from None
