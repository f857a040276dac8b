"""The executor interface and the in-process ``local`` executor.

A *job* is a picklable callable that takes a block of the sample matrix,
shape ``(n_block, n_params)``, and returns a mapping of name -> array whose
first axis has length ``n_block``. An executor maps a job over blocks and
yields ``(index, result)`` pairs as blocks finish, in any order.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import ClassVar, Self

import numpy as np

__all__ = ["Executor", "Finished", "Job", "LocalExecutor"]

#: ``job(block) -> {name: array}``; ``block`` has shape (n_block, n_params), arrays (n_block, ...).
Job = Callable[[np.ndarray], Mapping[str, np.ndarray]]

#: What :meth:`Executor.map` returns: ``(index of the block, the job's result)`` as blocks finish.
Finished = Generator[tuple[int, Mapping[str, np.ndarray]], None, None]


class Executor(abc.ABC):
    """Runs a job over blocks of a matrix.

    Subclasses set :attr:`name` (their key in :data:`EXECUTORS`) and
    :attr:`options` (the keyword arguments their constructor takes), and
    implement :meth:`map`. Executors are context managers; :meth:`close`
    releases workers (nothing for ``local``).
    """

    name: ClassVar[str]
    options: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def map(self, job: Job, blocks: Iterable[np.ndarray]) -> Finished:
        """Run ``job`` on every block.

        Parameters
        ----------
        job : callable
            ``job(block) -> {name: array}``; picklable for executors with workers.
        blocks : iterable of ndarray, each shape (n_block, n_params)
            Taken lazily, as workers become free.

        Yields
        ------
        index : int
            Position of the block in ``blocks``.
        result : mapping of str -> ndarray, each shape (n_block, ...)

        Notes
        -----
        Closing the generator early (``contextlib.closing``) cancels the blocks
        still running.
        """

    def start(self) -> None:  # noqa: B027 (a no-op unless the executor has workers to start)
        """Start acquiring workers without waiting for them.

        Workers then start while the caller prepares the work (samples the
        parameters, say); :meth:`map` waits for them. Optional: :meth:`map`
        starts them anyway.
        """

    def close(self) -> None:  # noqa: B027 (a no-op unless the executor holds workers)
        """Release any resources; the executor is not used afterwards."""

    def __enter__(self) -> Self:
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

    def map(self, job: Job, blocks: Iterable[np.ndarray]) -> Finished:
        for index, block in enumerate(blocks):
            yield index, job(block)
