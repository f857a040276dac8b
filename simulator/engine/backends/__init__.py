"""Evaluation backends by name: what ``simulate(..., engine=NAME)`` runs a request with.

A backend is a callable ``(request, progress) -> RunOutput``. The plan-based
ones lower the request's model with :func:`simulator.engine.compile.build_plan`
and run the plan (see :mod:`simulator.engine.plan` for what a backend must
implement); ``pysd`` runs each member through PySD's own ``Model.run`` as the
cross-check.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.engine.backends.pysd import run_pysd
from simulator.engine.request import RunRequest
from simulator.engine.run import RunOutput, run_compiled, time_grid
from simulator.errors import SimulationError

__all__ = ["BACKENDS", "Backend", "get_backend", "register_backend", "run_numpy"]

Backend = Callable[[RunRequest, bool], RunOutput]


def run_numpy(request: RunRequest, progress: bool) -> RunOutput:
    """The reference backend: numpy closures, the whole batch in one vectorised loop."""
    from simulator.engine.compile import compile_model
    from simulator.engine.integrators import get_integrator

    compiled = compile_model(request.model, request.outputs, request.overrides, request.lookups)
    integrator = get_integrator(request.method)
    if not progress:
        return run_compiled(compiled, request.values, request.n_runs, request.spec, integrator)
    from tqdm.auto import tqdm

    steps, _, _ = time_grid(request.spec)  # the loop's own count
    with tqdm(total=steps, desc="simulating", unit="step", leave=False) as bar:
        return run_compiled(
            compiled, request.values, request.n_runs, request.spec, integrator, bar.update
        )


#: Backends by name.
BACKENDS: dict[str, Backend] = {"numpy": run_numpy, "pysd": run_pysd}


def register_backend(name: str, backend: Backend) -> None:
    """Make ``backend`` available as ``simulate(..., engine=name)``."""
    BACKENDS[name] = backend


def get_backend(name: str) -> Backend:
    """The backend registered under ``name``.

    Raises
    ------
    SimulationError
        For an unknown name, listing the known ones.
    """
    try:
        return BACKENDS[name]
    except KeyError:
        raise SimulationError(
            f"unknown engine '{name}'; use one of {', '.join(sorted(BACKENDS))}"
        ) from None
