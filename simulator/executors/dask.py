"""Executors on Dask: ``dask`` (any cluster, by its scheduler's address) and ``processes``.

Dask is imported here only, and only when a Dask executor starts; see ``docs/scaling.md``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import importlib.util
import logging
import signal
import sys
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from simulator.errors import SimulationError
from simulator.executors.base import Executor, Finished, Job

__all__ = ["DaskExecutor", "ProcessesExecutor", "checked_address"]


class DaskExecutor(Executor):
    """On a Dask distributed cluster, given its scheduler's address.

    Parameters
    ----------
    scheduler : str
        ``tcp://HOST:PORT`` of a running ``dask scheduler`` (or of any Dask
        cluster: ``cluster.scheduler_address`` of a dask-jobqueue or Kubernetes
        cluster). Connected when the first job arrives.
    timeout : float
        Seconds to wait for the scheduler to answer.

    Raises
    ------
    SimulationError
        No address, Dask not installed, or (on the first job) the scheduler
        does not answer.

    Notes
    -----
    Workers import this package to run a job, so they need it installed, in
    the same version as the client; they need neither the model file nor a
    file system shared with the client (the job carries the model). Run
    workers with one thread each (``dask worker ADDRESS --nthreads 1
    --nworkers N``): the engine is vectorised numpy driven from Python, so
    threads of one process mostly wait for each other.
    """

    name = "dask"
    options = ("scheduler",)

    def __init__(self, scheduler: str | None = None, *, timeout: float = 30.0) -> None:
        _require_dask(self.name)
        if not scheduler:
            raise SimulationError(
                "executor 'dask' needs the address of a Dask scheduler: --scheduler "
                "tcp://HOST:PORT, or 'scheduler:' in the sweep file (see docs/scaling.md)"
            )
        self._unconnected(checked_address(scheduler), timeout)

    def _unconnected(self, scheduler: str, timeout: float) -> None:
        """Set the state of an executor whose client is not connected yet."""
        self.scheduler = scheduler
        self.timeout = timeout
        self._client: Any = None
        self._starting: concurrent.futures.Future[Any] | None = None

    def start(self) -> None:
        if self._client is None and self._starting is None:
            pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cbec-sd-dask")
            self._starting = pool.submit(self._connect)
            pool.shutdown(wait=False)

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (connected on first use, or by :meth:`start`)."""
        if self._client is None:
            starting, self._starting = self._starting, None
            self._client = starting.result() if starting is not None else self._connect()
        return self._client

    def _connect(self) -> Any:
        from distributed import Client

        try:
            return Client(self.scheduler, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SimulationError(
                f"cannot reach the Dask scheduler at {self.scheduler} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS` (see docs/scaling.md)"
            ) from None

    def map(self, job: Job, blocks: Iterable[np.ndarray]) -> Finished:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        client = self.client
        name = f"cbec-sd-job-{uuid.uuid4().hex}"
        client.register_plugin(_job_plugin(job), name=name)
        todo = enumerate(blocks)
        running: dict[Any, int] = {}  # future -> index of its block
        done = as_completed(loop=client.loop)

        def fill() -> None:
            """Keep two blocks per worker thread in flight (workers may join as it runs)."""
            try:
                limit = max(4, 2 * sum(client.nthreads().values()))
                while len(running) < limit and (item := next(todo, None)) is not None:
                    index, block = item
                    future = client.submit(_run_block, name, block, key=f"{name}-{index}")
                    running[future] = index
                    done.add(future)
            except (concurrent.futures.CancelledError, OSError):
                raise self._lost_scheduler() from None

        def collect(future: Any, index: int) -> Mapping[str, np.ndarray]:
            """The result of a finished block; a block's own error is raised as it is."""
            try:
                return future.result()
            except KilledWorker as exc:
                raise SimulationError(
                    f"block {index} killed the workers that ran it ({exc}); if they ran "
                    "out of memory, lower the chunk size"
                ) from None
            except (concurrent.futures.CancelledError, OSError):
                if future.status == "error":  # raised by the job, on a worker
                    raise
                raise self._lost_scheduler() from None  # cancelled, or not fetched

        try:
            fill()
            for future in done:
                index = running.pop(future)
                result = collect(future, index)
                future.release()
                fill()
                yield index, result
        finally:
            with contextlib.suppress(Exception):
                client.cancel(list(running))
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(name)

    def _lost_scheduler(self) -> SimulationError:
        return SimulationError(
            f"lost the connection to the Dask scheduler at {self.scheduler}; chunks that "
            "finished are kept in the sweep's store: start the cluster again and run the "
            "same sweep to resume"
        )

    def close(self) -> None:
        if self._starting is not None:
            with contextlib.suppress(Exception):
                self.client  # noqa: B018 (wait for a start under way, to stop what it started)
        if self._client is not None:
            self._client.close()
            self._client = None


class ProcessesExecutor(DaskExecutor):
    """On every core of this machine: a Dask ``LocalCluster`` of worker processes on 127.0.0.1.

    Parameters
    ----------
    workers : int, optional
        Worker processes, one thread each (default: the cores this process may
        use, after CPU affinity and container quotas, as Dask counts them).

    Notes
    -----
    The cluster starts on :meth:`start` or when the first job arrives, and
    stops on :meth:`close`. On Linux its workers are forked from this process,
    which has the package imported already: they start in a tenth of a second
    instead of the second or two a new Python process takes to import it
    (measured here: 0.09 s against 1.7 s for two workers). The cluster starts
    while this process waits for it, so that nothing else runs in it as the
    workers are forked. Elsewhere workers are spawned, as Dask does by default.

    The cluster is this executor's own, so it is set up for the engine: no
    memory trimming, Dask's monitoring slowed down (about 5 % of a worker's
    time otherwise), and workers that leave Ctrl-C to this process.
    """

    name = "processes"
    options = ("workers",)

    def __init__(self, workers: int | None = None) -> None:
        _require_dask(self.name)
        if workers is not None and workers < 1:
            raise SimulationError(f"executor 'processes' needs at least one worker, not {workers}")
        from dask.system import CPU_COUNT

        self.workers = workers or CPU_COUNT
        self._unconnected("", timeout=60.0)  # the address is known once the cluster runs
        self._cluster: Any = None

    def start(self) -> None:
        self.client  # noqa: B018 (starting takes a moment; see the notes)

    def _connect(self) -> Any:
        import dask.config
        from distributed import Client, LocalCluster

        with dask.config.set(_CLUSTER_SETTINGS):
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # Dask's status server: loopback only
                silence_logs=logging.ERROR,
            )
        self.scheduler = self._cluster.scheduler_address
        try:
            client = Client(self._cluster, timeout=self.timeout, set_as_default=False)
            # Ctrl-C in a terminal also reaches the workers, which would each print a
            # KeyboardInterrupt traceback; the client stops them once it has stopped the sweep.
            client.register_plugin(_interrupts_ignored(), name="cbec-sd-no-sigint")
            return client
        except BaseException:
            self._cluster.close()
            self._cluster = None
            raise

    def close(self) -> None:
        super().close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


#: Dask settings for the cluster a ``processes`` executor starts (and so owns).
_CLUSTER_SETTINGS: dict[str, Any] = {
    # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc return memory
    # to the system so eagerly that the engine's many block-sized temporaries cost 20 % more
    # time; the workers keep glibc's own (adaptive) setting instead.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.multiprocessing-method": "fork" if sys.platform == "linux" else "spawn",
    # Dask's monitoring wakes every process of an idle LocalCluster about 80 times a second
    # (the stack profiler every 10 ms, event-loop ticks every 20 ms, memory every 100 ms),
    # which took 4 % of a core in the client and in each worker here, and the GIL from the
    # engine's thread. Nobody reads those dashboards of this private cluster; a worker's
    # memory is still watched, every second.
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "1s",
}


def checked_address(address: str) -> str:
    """``address`` if Dask can read it as a scheduler's address (no connection is tried).

    Raises
    ------
    SimulationError
        It is not ``[PROTOCOL://]HOST:PORT`` (a TCP or TLS address needs its port).
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(address)
        if protocol in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise SimulationError(
            f"'{address}' is not the address of a Dask scheduler ({exc}); give "
            "tcp://HOST:PORT, as `dask scheduler` prints it"
        ) from None
    return address


def _require_dask(name: str) -> None:
    if importlib.util.find_spec("distributed") is None:
        raise SimulationError(
            f"executor '{name}' needs Dask: pip install 'cbec-sd[dask]' (or dask[distributed])"
        )


# -- on the workers --------------------------------------------------------------------------------


def _run_block(name: str, block: np.ndarray) -> Mapping[str, np.ndarray]:
    """A Dask task: run the job that plugin ``name`` installed on this worker on ``block``."""
    from distributed import get_worker

    plugin: Any = get_worker().plugins[name]
    job: Job = plugin.job
    return job(block)


def _job_plugin(job: Job) -> Any:
    """A worker plugin that holds ``job`` (unpickled once per worker, which compiles it once)."""
    return _plugin_class()(job)


@functools.cache
def _plugin_class() -> type:
    """The plugin's class, made on first use so that importing this module imports no Dask."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class JobPlugin(WorkerPlugin):
        """Keeps a job on a worker until it is unregistered."""

        def __init__(self, job: Job | None) -> None:
            self.job = job

        def __reduce__(self) -> tuple[Any, ...]:
            return (_job_plugin, (self.job,))  # rebuilt by name: the class itself is local

        def teardown(self, worker: Any) -> None:
            self.job = None

    return JobPlugin


def _interrupts_ignored() -> Any:
    """A worker plugin that makes its worker ignore SIGINT (see ``ProcessesExecutor``)."""
    return _interrupt_plugin_class()()


@functools.cache
def _interrupt_plugin_class() -> type:
    """The class of :func:`_interrupts_ignored`, made on first use, as for ``JobPlugin``."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class IgnoreInterrupts(WorkerPlugin):
        """Ctrl-C in a terminal reaches the whole process group: the client handles it."""

        def __reduce__(self) -> tuple[Any, ...]:
            return (_interrupts_ignored, ())

        def setup(self, worker: Any) -> None:
            if threading.current_thread() is threading.main_thread():  # a worker process's loop
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return IgnoreInterrupts
