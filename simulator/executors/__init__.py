"""Executors: run a job on blocks of a parameter matrix, chosen by name.

A *job* is a picklable callable that takes a block of the sample matrix,
shape ``(n_block, n_params)``, and returns a mapping of name -> array whose
first axis has length ``n_block``. An executor maps a job over blocks and
yields ``(index, result)`` pairs as blocks finish, in any order; the caller
puts each result in place. Because a batched run gives each member what
running it alone gives (the engine's vectorisation contract), results do not
depend on the executor or on how the matrix is cut into blocks.

======================  ===================================================================
name                    where blocks run
======================  ===================================================================
``local`` (default)     in this process, one after another, each block vectorised
``processes``           one worker process per local core (a Dask ``LocalCluster`` on
                        127.0.0.1, its workers forked from this process on Linux)
``dask``                any Dask cluster, given its scheduler's address ``tcp://HOST:PORT``
                        (``dask scheduler`` and ``dask worker``, dask-jobqueue, Kubernetes)
======================  ===================================================================

On Dask, a job goes to each worker once, as a worker plugin (also to workers
that join or restart later); tasks carry only the job's name and a block. At
most two blocks per worker thread are in flight, so neither the client nor
the scheduler holds the whole matrix. A worker that dies takes no block with
it: the scheduler runs its blocks elsewhere, and each block's result reaches
the caller once. Dask is imported here only, and only when a Dask executor
starts; see ``docs/scaling.md``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

from simulator.errors import SimulationError
from simulator.executors.base import Executor, Finished, Job, LocalExecutor
from simulator.executors.dask import DaskExecutor, ProcessesExecutor, checked_address

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "Finished",
    "Job",
    "LocalExecutor",
    "ProcessesExecutor",
    "check_options",
    "get_executor",
]

#: Executors by name.
EXECUTORS: dict[str, type[Executor]] = {
    "local": LocalExecutor,
    "processes": ProcessesExecutor,
    "dask": DaskExecutor,
}


def check_options(name: str, options: Mapping[str, Any]) -> type[Executor]:
    """The executor class called ``name``, if it takes every option given (not None).

    Raises
    ------
    SimulationError
        Unknown name, an option the executor does not take, or a scheduler
        address Dask cannot read (checked when Dask is installed).

    Examples
    --------
    >>> check_options("dask", {"scheduler": "tcp://127.0.0.1:8786"}).__name__
    'DaskExecutor'
    >>> check_options("local", {"scheduler": "tcp://127.0.0.1:8786"})
    Traceback (most recent call last):
    simulator.errors.SimulationError: executor 'local' takes no scheduler; use executor dask
    """
    try:
        factory = EXECUTORS[name]
    except KeyError:
        known = ", ".join(EXECUTORS)
        raise SimulationError(f"unknown executor '{name}'; use one of {known}") from None
    for key, value in options.items():
        if value is not None and key not in factory.options:
            takers = " or ".join(n for n, c in EXECUTORS.items() if key in c.options)
            raise SimulationError(f"executor '{name}' takes no {key}; use executor {takers}")
    address = options.get("scheduler")
    if address is not None and importlib.util.find_spec("distributed") is not None:
        checked_address(address)
    return factory


def get_executor(name: str | Executor, **options: Any) -> Executor:
    """An executor by name (an :class:`Executor` is returned as is).

    Parameters
    ----------
    name : str or Executor
        A key of :data:`EXECUTORS`.
    **options
        The executor's options (``scheduler`` for ``dask``, ``workers`` for
        ``processes``); options that are None are left out.

    Raises
    ------
    SimulationError
        Unknown name, an option the executor does not take, or one it lacks.

    Examples
    --------
    >>> get_executor("local").name
    'local'
    >>> get_executor("dask", scheduler="tcp://127.0.0.1:8786").scheduler  # connects on first use
    'tcp://127.0.0.1:8786'
    """
    if isinstance(name, Executor):
        return name
    factory = check_options(name, options)
    return factory(**{k: v for k, v in options.items() if v is not None})
