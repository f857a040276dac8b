"""The unit of work an executor ships: one scenario's runs on a block of the sample matrix.

A :class:`ChunkJob` holds the model (its frozen IR), the run settings, which
column of a block is which constant, and a :class:`Reducer` per output. Called
on a block of shape ``(n_block, n_params)`` it runs the block as one vectorised
batch and returns each output reduced to shape ``(n_block, n_t)``. Because a
batch gives each member what running it alone gives, the result for a row does
not depend on the block it was in, nor on where the block ran.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine.compile import CompiledModel, compile_model
from simulator.engine.integrators import get_integrator
from simulator.engine.run import RunOutput, run_compiled
from simulator.engine.simulate import RunRequest
from simulator.model.ir import Model
from simulator.sweep.description import KPIS

__all__ = ["ChunkJob", "Reducer"]


@dataclass(frozen=True)
class Reducer:
    """Turns one output's saved series, shape (n_runs, n_saved), into its analysed values.

    Attributes
    ----------
    key : str
        The output's key in the results.
    ident : str
        The model identifier of the variable.
    positions : ndarray of int, shape (n_window,)
        Which saved times to keep.
    times : ndarray, shape (n_window,)
        Those times.
    stat : str or None
        A key of :data:`~simulator.sweep.description.KPIS`, or None to keep the
        values themselves.

    Examples
    --------
    >>> series = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]])
    >>> Reducer("y", "y", np.array([0, 2]), np.array([0.0, 2.0]), None)(series).tolist()
    [[1.0, 4.0], [0.0, 1.0]]
    >>> Reducer("y", "y", np.array([0, 2]), np.array([0.0, 2.0]), "change")(series).tolist()
    [[3.0], [1.0]]
    """

    key: str
    ident: str
    positions: np.ndarray
    times: np.ndarray
    stat: str | None

    def __call__(self, series: np.ndarray) -> np.ndarray:
        """Shape (n_runs, n_window) for values, (n_runs, 1) for a KPI."""
        window = series[:, self.positions]
        return window if self.stat is None else KPIS[self.stat](window, self.times)[:, None]


class ChunkJob:
    """One scenario's runs: a block of the sample matrix -> reduced outputs.

    Parameters
    ----------
    model : Model
    request : RunRequest
        Settings of the scenario's runs (time, method, overrides, lookups, outputs).
    columns : tuple of str
        The identifier each column of a block sets.
    base_values : mapping of identifier -> float
        Constants every run shares (the scenario's values).
    reducers : tuple of Reducer

    Notes
    -----
    Pickling (for a process or a Dask worker) sends the model's frozen IR and
    the settings, about 70 kB for the CBEC model, not the compiled closures and
    not the model file: workers need no shared file system. A job compiles on
    its first call and keeps the result, so a worker that holds one job
    compiles once however many blocks it runs.
    """

    def __init__(
        self,
        model: Model,
        request: RunRequest,
        columns: tuple[str, ...],
        base_values: Mapping[str, Any],
        reducers: tuple[Reducer, ...] = (),
    ) -> None:
        self.model = model
        self.request = request
        self.columns = columns
        self.base_values = dict(base_values)
        self.reducers = reducers
        self._compiled: CompiledModel | None = None

    def __getstate__(self) -> dict[str, Any]:
        fields = dataclasses.fields(self.request)
        request = {f.name: getattr(self.request, f.name) for f in fields if f.name != "model"}
        return {
            "model": self.model,
            "request": request,
            "columns": self.columns,
            "base_values": self.base_values,
            "reducers": self.reducers,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.model = state["model"]
        self.request = RunRequest(model=self.model, **state["request"])
        self.columns = state["columns"]
        self.base_values = state["base_values"]
        self.reducers = state["reducers"]
        self._compiled = None

    @property
    def compiled(self) -> CompiledModel:
        """The compiled model (compiled on first use)."""
        if self._compiled is None:
            r = self.request
            self._compiled = compile_model(self.model, r.outputs, r.overrides, r.lookups)
        return self._compiled

    def run(self, values: Mapping[str, Any], n_runs: int) -> RunOutput:
        """Run a batch of ``n_runs`` with these constant ``values`` (identifier -> value)."""
        integrator = get_integrator(self.request.method)
        return run_compiled(self.compiled, values, n_runs, self.request.spec, integrator)

    def __call__(self, block: np.ndarray) -> dict[str, np.ndarray]:
        """Run a block, shape (n_block, n_params); -> output key -> (n_block, n_t)."""
        values = dict(self.base_values)
        for i, ident in enumerate(self.columns):
            values[ident] = np.ascontiguousarray(block[:, i])
        output = self.run(values, block.shape[0])
        return {r.key: r(output.values[r.ident]) for r in self.reducers}
