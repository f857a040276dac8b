"""Executors: one sweep in this process, on local worker processes and on a Dask cluster.

A real ``distributed.LocalCluster`` (two worker processes, one thread each,
on 127.0.0.1 only) stands in for a cluster. The answers: results are the same
bit for bit on every executor and chunk size; each worker receives a job once
however many chunks it runs; a worker killed in the middle of a sweep loses
no chunk and repeats none; the CLI, interrupted by SIGINT and started again,
resumes to exactly the result of an uninterrupted run; a lost scheduler stops
a sweep with a message, and another cluster resumes it; and the workers of
``processes`` run without Dask's memory trimming and stack profiler.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sweep_helpers import assert_same_results

import simulator
from simulator.errors import SimulationError
from simulator.executors import DaskExecutor, get_executor

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "models"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, Any]]:
    """A two-process Dask cluster on the loopback interface: (scheduler address, client)."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        yield local.scheduler_address, client


def teacup_sweep(n: int, dt: float = 0.25, **changes: Any) -> simulator.Sweep:
    """A Sobol' sweep of the teacup: N (2 d + 2) = 6 N runs of 20 minutes."""
    spec: dict[str, Any] = {
        "model": MODELS / "teacup.mdl",
        "time": {"stop": 20, "saveper": 1, "dt": dt},
        "method": "sobol",
        "N": n,
        "seed": 7,
        "parameters": [
            {"name": "room temperature", "bounds": [60, 80]},
            {"name": "characteristic time", "dist": "triang", "bounds": [5, 15], "mode": 8},
        ],
        "outputs": [
            {"variable": "Teacup Temperature", "at": "all"},
            {"variable": "teacup temperature", "stat": "mean", "window": [5, 15]},
        ],
        **changes,
    }
    return simulator.Sweep.model_validate(spec)


def completions(store: Path) -> list[tuple[int, int]]:
    """(scenario, chunk) of every completion the store recorded, in order."""
    (log,) = store.glob("*/completed.jsonl")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [(e["case"], e["chunk"]) for e in entries]


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# -- the same results everywhere -------------------------------------------------------------------


def test_every_executor_and_chunk_size_gives_the_same_results_bit_for_bit(
    cluster: tuple[str, Any], tmp_path: Path
) -> None:
    address, _ = cluster
    base = tmp_path / "base.yaml"
    base.write_text(f"name: base\nmodel: {MODELS / 'linear.mdl'}\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "name: more c\nextends: base.yaml\ninterventions:\n  - {variable: c, type: step, "
        "at: 5, to: 5}\n"
    )
    sweep = simulator.Sweep(
        scenario=base,
        compare=[policy],
        method="sobol",
        N=32,
        seed=4,
        parameters=[{"name": k, "bounds": [0.5, 2]} for k in ("a", "b", "d")],
        outputs=[
            {"variable": "Level", "at": "all"},
            {"variable": "Output", "stat": "integral"},
        ],
    )
    reference = simulator.run_sweep(sweep, chunk_size=10_000, quiet=True)  # one chunk
    ragged = simulator.run_sweep(sweep, chunk_size=7, store=tmp_path / "local", quiet=True)
    assert_same_results(ragged, reference)
    with get_executor("processes", workers=2) as processes:
        on_processes = simulator.run_sweep(sweep, executor=processes, chunk_size=50, quiet=True)
    assert_same_results(on_processes, reference)
    assert on_processes.provenance["executor"] == "processes"
    on_dask = simulator.run_sweep(  # executor and scheduler from the sweep's own keys
        sweep.replace(executor="dask", scheduler=address, chunk_size=13),
        store=tmp_path / "dask",
        quiet=True,
    )
    assert_same_results(on_dask, reference)
    assert on_dask.provenance["executor"] == "dask"
    assert len(completions(tmp_path / "dask")) == 2 * -(-sweep.n_runs // 13)


class CountingJob:
    """A job that appends its process id to ``path`` each time it is unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        with self.path.open("a") as log:
            log.write(f"{os.getpid()}\n")

    def __call__(self, block: np.ndarray) -> dict[str, np.ndarray]:
        time.sleep(0.02)  # long enough for both workers to take blocks
        return {"twice": 2 * block, "pid": np.full((len(block), 1), os.getpid())}


def test_each_worker_receives_the_job_once_however_many_blocks_it_runs(
    cluster: tuple[str, Any], tmp_path: Path
) -> None:
    address, client = cluster
    log = tmp_path / "unpickled.txt"
    blocks = [np.full((3, 2), float(i)) for i in range(40)]
    with DaskExecutor(address) as executor:
        results = dict(executor.map(CountingJob(log), blocks))
    assert sorted(results) == list(range(40))
    for index, result in results.items():
        np.testing.assert_array_equal(result["twice"], 2 * blocks[index])
    workers = set(client.run(os.getpid).values())
    ran_on = {int(r["pid"][0, 0]) for r in results.values()}
    assert ran_on == workers  # both workers ran blocks...
    assert sorted(map(int, log.read_text().split())) == sorted(workers)  # ...and got the job once


def _reads_a_missing_file(block: np.ndarray) -> dict[str, np.ndarray]:
    raise FileNotFoundError(2, "No such file or directory", "/nonexistent/input.csv")


def test_an_os_error_a_block_raises_on_a_worker_is_raised_as_it_is(
    cluster: tuple[str, Any],
) -> None:
    address, _ = cluster
    with (
        DaskExecutor(address) as executor,
        pytest.raises(FileNotFoundError, match=r"/nonexistent/input\.csv"),
    ):
        list(executor.map(_reads_a_missing_file, [np.ones((2, 1))]))  # not "lost the scheduler"


def test_a_scheduler_that_does_not_answer_is_an_error_that_says_what_to_do() -> None:
    executor = DaskExecutor("tcp://127.0.0.1:9", timeout=1)  # nothing listens on port 9
    with pytest.raises(SimulationError, match=r"cannot reach the Dask scheduler.*dask scheduler"):
        next(executor.map(CountingJob(Path(os.devnull)), [np.zeros((1, 1))]))


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("spark", {}, "unknown executor 'spark'; use one of local, processes, dask"),
        ("local", {"scheduler": "tcp://127.0.0.1:8786"}, "'local' takes no scheduler; use .* dask"),
        ("dask", {}, "needs the address of a Dask scheduler: --scheduler tcp://HOST:PORT"),
        ("processes", {"workers": 0}, "at least one worker"),
        ("dask", {"scheduler": "localhost"}, "'localhost' is not the address .* tcp://HOST:PORT"),
        ("dask", {"scheduler": "tcp://h:x"}, "'tcp://h:x' is not the address of a Dask scheduler"),
    ],
)
def test_executor_settings_are_checked(name: str, options: dict, message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        get_executor(name, **options)


def test_a_sweep_file_names_its_executor_and_scheduler(tmp_path: Path) -> None:
    text = (ROOT / "tests" / "bad_sweeps" / "_valid.yaml").read_text()
    text = text.replace("../models", str(MODELS))
    path = tmp_path / "sweep.yaml"
    path.write_text(text + "executor: dask\nscheduler: tcp://127.0.0.1:8786\n")
    sweep = simulator.load_sweep(path)
    assert (sweep.executor, sweep.scheduler) == ("dask", "tcp://127.0.0.1:8786")
    path.write_text(text + "executor: local\nscheduler: tcp://127.0.0.1:8786\n")
    line = len(text.splitlines()) + 2
    with pytest.raises(simulator.SweepSchemaError, match=rf":{line}: scheduler: executor 'local'"):
        simulator.load_sweep(path)
    path.write_text(text + "executor: spark\n")
    with pytest.raises(simulator.SweepSchemaError, match=rf":{line - 1}: executor: unknown exec"):
        simulator.load_sweep(path)
    path.write_text(text + "executor: dask\nscheduler: scheduler-host\n")
    with pytest.raises(simulator.SweepSchemaError, match=rf":{line}: scheduler: 'scheduler-host' "):
        simulator.load_sweep(path)


# -- failures and interruptions --------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["dask", "processes"])
def test_the_cli_interrupted_by_sigint_resumes_to_the_uninterrupted_result(
    executor: str, cluster: tuple[str, Any], tmp_path: Path
) -> None:
    address, _ = cluster
    sweep = teacup_sweep(2048, dt=0.015625)  # 12,288 runs: 96 chunks of 128 runs
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps(sweep.model_dump(mode="json", by_alias=True)))
    out = tmp_path / "out"
    where = ["--scheduler", address] if executor == "dask" else ["--executor", "processes"]
    command = [sys.executable, "-m", "simulator.cli", "sensitivity", str(path), "-o", str(out)]
    command += [*where, "--chunk-size", "128", "--no-plots", "--quiet"]
    # In a session of its own, so that SIGINT can go to the whole process group, as a
    # terminal's Ctrl-C does: with ``processes`` it reaches the workers too.
    first = subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    store = out / "chunks"
    wait_for(lambda: list(store.glob("*/completed.jsonl")), "the first chunk")
    wait_for(lambda: len(completions(store)) >= 5, "five chunks")
    os.killpg(first.pid, signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert err.splitlines() == [
        f"cbec-sd: interrupted; finished chunks are kept in {store}: run the same command "
        "again to resume"
    ]
    done = completions(store)
    assert 5 <= len(done) < 96
    assert not list(store.rglob("*.tmp"))  # no partial chunk file
    assert not (out / "sweep.json").exists()

    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert completions(store)[: len(done)] == done
    assert sorted(completions(store)) == [(0, c) for c in range(96)]  # each chunk once
    uninterrupted = simulator.run_sweep(simulator.load_sweep(path), quiet=True)
    assert_same_results(simulator.SweepResult.load(out), uninterrupted)


def test_a_worker_killed_mid_sweep_loses_no_chunk_and_repeats_none(
    cluster: tuple[str, Any], tmp_path: Path
) -> None:
    address, client = cluster
    sweep = teacup_sweep(2048, dt=0.0078125)  # 12,288 runs: 48 chunks of 256 runs
    store = tmp_path / "store"
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = simulator.run_sweep(
                sweep, executor="dask", scheduler=address, chunk_size=256, store=store, quiet=True
            )
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    before = client.run(os.getpid)
    sweeping = threading.Thread(target=run)
    sweeping.start()
    wait_for(lambda: list(store.glob("*/completed.jsonl")), "the first chunk")
    wait_for(lambda: len(completions(store)) >= 3, "three chunks")
    victim = next(iter(before.values()))
    os.kill(victim, signal.SIGKILL)
    done_at_kill = len(completions(store))
    sweeping.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    assert done_at_kill < 48  # the worker died mid-sweep
    assert sorted(completions(store)) == [(0, c) for c in range(48)]  # each chunk once
    wait_for(lambda: len(client.run(os.getpid)) == 2, "the nanny to restart the worker")
    assert victim not in client.run(os.getpid).values()
    assert_same_results(outcome["result"], simulator.run_sweep(sweep, quiet=True))


def test_a_lost_scheduler_stops_the_sweep_with_a_message_and_a_new_cluster_resumes_it(
    cluster: tuple[str, Any], tmp_path: Path
) -> None:
    address_file = tmp_path / "scheduler.json"
    quietly: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    on_file = ("--scheduler-file", str(address_file))
    loopback = ("--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0")
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", *loopback, *on_file], **quietly
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", "--nthreads", "1", *on_file],
        **quietly,
    )
    sweep = teacup_sweep(2048, dt=0.0078125)  # 12,288 runs: 48 chunks of 256 runs
    store = tmp_path / "store"
    outcome: dict[str, Any] = {}
    try:
        wait_for(address_file.exists, "the scheduler")
        address = json.loads(address_file.read_text())["address"]
        executor = DaskExecutor(address, timeout=2)  # also how long to wait for a reconnection

        def run() -> None:
            try:
                simulator.run_sweep(
                    sweep, executor=executor, chunk_size=256, store=store, quiet=True
                )
            except BaseException as exc:  # handed to the test's thread
                outcome["error"] = exc

        sweeping = threading.Thread(target=run)
        sweeping.start()
        wait_for(lambda: list(store.glob("*/completed.jsonl")), "the first chunk")
        wait_for(lambda: len(completions(store)) >= 3, "three chunks")
        scheduler.kill()
        sweeping.join(timeout=60)
        executor.close()
    finally:
        scheduler.kill()
        worker.kill()
    error = outcome.get("error")
    assert isinstance(error, SimulationError), error
    assert str(error).startswith(f"lost the connection to the Dask scheduler at {address}")
    finished = completions(store)
    assert 3 <= len(finished) < 48
    result = simulator.run_sweep(
        sweep, executor="dask", scheduler=cluster[0], chunk_size=256, store=store, quiet=True
    )
    assert sorted(completions(store)) == [(0, c) for c in range(48)]  # each chunk once
    assert completions(store)[: len(finished)] == finished  # the first ones were kept
    assert_same_results(result, simulator.run_sweep(sweep, quiet=True))


_SETTINGS_PROBE = """
import json, os
from simulator.executors import ProcessesExecutor

def settings(dask_worker):
    return {
        "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "profiling": "profile" in dask_worker.periodic_callbacks,
    }

with ProcessesExecutor(workers=2) as executor:
    executor.start()
    workers = list(executor.client.run(settings).values())
print(json.dumps({"workers": workers, "client": os.environ.get("MALLOC_TRIM_THRESHOLD_")}))
"""


def test_processes_workers_run_without_dasks_memory_trimming_and_profiler() -> None:
    # In a fresh process: a Dask nanny started earlier in this one (the cluster fixture's)
    # has put Dask's MALLOC_TRIM_THRESHOLD_ into os.environ for good.
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    command = [sys.executable, "-c", _SETTINGS_PROBE]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["client"] is None  # Dask left this process's environment alone...
    assert seen["workers"] == 2 * [  # ...and the workers run without it and the profiler
        {"MALLOC_TRIM_THRESHOLD_": None, "profiling": False}
    ]
