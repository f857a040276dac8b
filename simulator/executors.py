"""Executors: run a job on blocks of a parameter matrix, chosen by name.

A *job* is a callable that takes a block of the sample matrix, shape
``(n_block, n_params)``, and returns a mapping of name -> array whose first
axis has length ``n_block``. An executor maps a job over blocks and yields
``(index, result)`` pairs, in any order; the caller puts each result in place.
Because a batched run gives each member what running it alone gives (the
engine's vectorisation contract), results do not depend on the executor or
on how the matrix is cut into blocks.

Only ``local`` exists today. A ``processes`` or ``dask`` executor subclasses
:class:`Executor`, implements :meth:`Executor.map` (jobs are picklable: they
hold the model and settings, and compile lazily), and registers itself in
:data:`EXECUTORS`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from simulator.errors import SimulationError

__all__ = ["EXECUTORS", "Executor", "Job", "LocalExecutor", "get_executor"]

#: ``job(block) -> {name: array}``; ``block`` has shape (n_block, n_params), arrays (n_block, ...).
Job = Callable[[np.ndarray], Mapping[str, np.ndarray]]


class Executor(abc.ABC):
    """Runs a job over blocks of a matrix.

    Subclasses set :attr:`name` and implement :meth:`map`. Executors are
    context managers; :meth:`close` releases workers (nothing for ``local``).
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def map(
        self, job: Job, blocks: Iterable[np.ndarray]
    ) -> Iterator[tuple[int, Mapping[str, np.ndarray]]]:
        """Run ``job`` on every block.

        Parameters
        ----------
        job : callable
            ``job(block) -> {name: array}``.
        blocks : iterable of ndarray, each shape (n_block, n_params)

        Yields
        ------
        index : int
            Position of the block in ``blocks``.
        result : mapping of str -> ndarray, each shape (n_block, ...)
        """

    def close(self) -> None:  # noqa: B027 (a no-op unless the executor holds workers)
        """Release any resources; the executor is not used afterwards."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """In this process, one block after another; each block runs vectorised.

    Examples
    --------
    >>> blocks = [np.ones((2, 1)), 2 * np.ones((3, 1))]
    >>> [(i, r["y"].tolist()) for i, r in LocalExecutor().map(lambda b: {"y": b[:, 0]}, blocks)]
    [(0, [1.0, 1.0]), (1, [2.0, 2.0, 2.0])]
    """

    name = "local"

    def map(
        self, job: Job, blocks: Iterable[np.ndarray]
    ) -> Iterator[tuple[int, Mapping[str, np.ndarray]]]:
        for index, block in enumerate(blocks):
            yield index, job(block)


#: Executors by name.
EXECUTORS: dict[str, type[Executor]] = {"local": LocalExecutor}


def get_executor(name: str | Executor, **options: Any) -> Executor:
    """An executor by name (an :class:`Executor` is returned as is).

    Raises
    ------
    SimulationError
        Unknown name.

    Examples
    --------
    >>> get_executor("local").name
    'local'
    """
    if isinstance(name, Executor):
        return name
    try:
        factory = EXECUTORS[name]
    except KeyError:
        known = ", ".join(sorted(EXECUTORS))
        raise SimulationError(f"unknown executor '{name}'; use one of {known}") from None
    return factory(**options)
