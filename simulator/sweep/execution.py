"""Run a sweep: sample, run every scenario chunk by chunk on an executor into a store, analyse."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simulator.analysis import sensitivity as sa
from simulator.executors import EXECUTORS, Executor, get_executor
from simulator.sweep.analyse import analyse_outputs, samples_dataset
from simulator.sweep.description import RESULT_NEUTRAL, Sweep
from simulator.sweep.plan import Case, plan_cases
from simulator.sweep.results import SweepResult
from simulator.sweep.store import ChunkStore, DiskStore, Layout, open_store
from simulator.version import package_version

__all__ = ["run_sweep", "sweep_hash"]


def run_sweep(
    sweep: Sweep,
    *,
    executor: str | Executor | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    store: str | Path | None = None,
    quiet: bool = False,
) -> SweepResult:
    """Sample, run every scenario on the same samples in chunks, and analyse.

    Parameters
    ----------
    sweep : Sweep
    executor : str or Executor, optional
        A name from :data:`simulator.executors.EXECUTORS`: ``local`` (in this
        process, each chunk vectorised), ``processes`` (every local core) or
        ``dask`` (a cluster at ``scheduler``); or an executor you opened (it is
        left open). Default: the sweep's ``executor``, else ``dask`` when a
        scheduler is given, else ``local``.
    scheduler : str, optional
        Address of a Dask scheduler, ``tcp://HOST:PORT`` (default: the sweep's).
    chunk_size : int, optional
        Runs per chunk; bounds memory, does not change results. Default: the
        size of the chunks in ``store`` when it holds this sweep already (a
        resumed sweep keeps its chunks), else ``sweep.chunk_size``.
    store : str or Path, optional
        Folder for the raw results, written chunk by chunk (one subfolder per
        sweep hash, see :mod:`simulator.sweep.store`). Running the same sweep
        with the same store again resumes it: finished chunks are read, not
        run. A sweep without a ``seed`` takes the seed its store recorded.
        Default: chunks are kept in memory.
    quiet : bool
        No progress bar.

    Returns
    -------
    SweepResult
        The same, bit for bit, whatever the executor, the chunk size and the
        interruptions (``provenance`` names the executor and the store).

    Raises
    ------
    SweepFileError
        Names not in the model (:class:`~simulator.errors.SweepNameError`),
        years not saved or windows outside the run
        (:class:`~simulator.errors.SweepRangeError`), all before any run.
    SweepError
        ``store`` holds this sweep in chunks of another size, or other samples.
    SimulationError
        An unknown executor, a missing or unreachable scheduler.
    ScenarioError, ModelError
        From loading the scenarios or the model.

    Examples
    --------
    >>> from simulator.sweep import load_sweep
    >>> sweep = load_sweep("tests/bad_sweeps/_valid.yaml")
    >>> result = run_sweep(sweep.replace(n=8), quiet=True)
    >>> ds = result["Teacup Temperature"]
    >>> ds["ST"].dims, ds.sizes["run"]  # N (2 d + 2) = 8 x 6
    (('scenario', 'time', 'factor'), 48)
    """
    method = sa.get_method(sweep.method)
    cases = plan_cases(sweep)
    digest = sweep_hash(sweep, cases)
    recorded = DiskStore.recorded(store, digest) if store is not None else None
    if sweep.seed is not None:
        seed = sweep.seed
    elif recorded is not None:
        seed = recorded.seed
    else:
        seed = int(np.random.default_rng().integers(2**62))
    sample_seq, analysis_seq = np.random.SeedSequence(seed).spawn(2)
    with _open_executor(sweep, executor, scheduler) as runner:
        if store is None or not DiskStore.complete(store, digest):
            runner.start()  # workers start while the parameters are sampled
        X = sa.sample(
            sweep.problem,
            method,
            sweep.n,
            seed=np.random.default_rng(sample_seq),
            options=sweep.method_options,
        )
        layout = Layout(
            sweep_hash=digest,
            seed=seed,
            n_rows=X.shape[0],
            chunk_size=chunk_size or (recorded or sweep).chunk_size,
            cases=tuple(c.label for c in cases),
            outputs=tuple((o.key, max(1, len(cases[0].times[o.key]))) for o in sweep.outputs),
        )
        with open_store(store, layout, X) as chunks:
            _execute(cases, X, chunks, runner, quiet)
            provenance = _provenance(sweep, cases, digest, seed, X.shape[0], runner, chunks)
            outputs = analyse_outputs(sweep, cases, chunks, X, analysis_seq, provenance)
    return SweepResult(sweep, samples_dataset(sweep, X, provenance), outputs, provenance)


def sweep_hash(sweep: Sweep, cases: Sequence[Case]) -> str:
    """SHA-256 of everything that decides a sweep's results.

    The sweep's fields, except those of :data:`RESULT_NEUTRAL` and the paths
    of its files, which are replaced by their contents' hashes: the same sweep
    moved to another folder, or run on another executor, has the same hash.
    """
    content = sweep.model_dump(
        mode="json", exclude={*RESULT_NEUTRAL, "scenario", "model", "compare"}
    )
    content["sources"] = [c.digest for c in cases]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _open_executor(
    sweep: Sweep, executor: str | Executor | None, scheduler: str | None
) -> contextlib.AbstractContextManager[Executor]:
    """The executor to use; one opened here is closed after the sweep, one given is not."""
    if isinstance(executor, Executor):
        return contextlib.nullcontext(executor)
    given = scheduler is not None or sweep.scheduler is not None
    name = executor or sweep.executor or ("dask" if given else "local")
    address = scheduler
    if address is None and "scheduler" in getattr(EXECUTORS.get(name), "options", ()):
        address = sweep.scheduler  # the file's address, for an executor that takes one
    return get_executor(name, scheduler=address)


def _execute(
    cases: Sequence[Case], X: np.ndarray, store: ChunkStore, executor: Executor, quiet: bool
) -> None:
    """Run the chunks ``store`` lacks, scenario by scenario, and put each in as it finishes."""
    from tqdm import tqdm

    layout = store.layout
    resumed = len(store.completed)
    desc = f"sweep, {resumed} chunks resumed" if resumed else "sweep"
    total = layout.n_rows * len(cases)
    with tqdm(total=total, initial=store.rows_done, unit="run", disable=quiet, desc=desc) as bar:
        for index, case in enumerate(cases):
            pending = store.pending(index)
            if not pending:
                continue
            blocks = (X[layout.rows(chunk)] for chunk in pending)
            with contextlib.closing(executor.map(case.job, blocks)) as finished:
                for position, values in finished:
                    chunk = pending[position]
                    store.put(index, chunk, values)
                    bar.update(layout.size(chunk))


def _provenance(
    sweep: Sweep,
    cases: Sequence[Case],
    digest: str,
    seed: int,
    n_rows: int,
    executor: Executor,
    store: ChunkStore,
) -> dict[str, Any]:
    return {
        "sweep_name": sweep.name,
        "sweep_hash": digest,
        "sweep_file": str(sweep._origin.path) if sweep._origin else "",
        "method": sweep.method,
        "N": sweep.n,
        "n_runs": n_rows,
        "seed": seed,
        "model_file": str(cases[0].model.source or ""),
        "model_hash": cases[0].model.source_hash,
        "scenarios": " | ".join(c.label for c in cases),
        "scenario_hashes": " ".join(c.digest for c in cases),
        "executor": executor.name,
        "store": store.location,
        "package_version": package_version(),
        "salib_version": sa.salib_version(),
    }
