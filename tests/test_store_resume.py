"""The chunk store: sweeps stream to disk chunk by chunk, and resume where they stopped.

An interruption is simulated by an executor that raises ``KeyboardInterrupt``
after a few chunks (what Ctrl-C does in the middle of a sweep); a recording
executor shows which chunks a resumed sweep runs. The reference answer is
always the same sweep run in one go, compared bit for bit.
``tests/test_executors.py`` interrupts the real CLI with SIGINT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from sweep_helpers import assert_same_results, write_scenarios

import simulator
from simulator.atomic import atomic_write
from simulator.errors import SimulationError, SweepError
from simulator.executors import Executor, Finished, Job, LocalExecutor
from simulator.sweep.store import DiskStore, Layout, MemoryStore, open_store

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad_sweeps"
CHUNK = 16


def teacup_sweep(**changes: object) -> simulator.Sweep:
    """A Sobol' sweep of 96 runs: 6 chunks of 16 runs."""
    return simulator.load_sweep(BAD / "_valid.yaml").replace(n=16, **changes)


class Recording(Executor):
    """Runs in this process and remembers the first sample row of every block it ran."""

    name = "local"

    def __init__(self) -> None:
        self.ran: list[tuple[float, ...]] = []

    def map(self, job: Job, blocks: Iterable[np.ndarray]) -> Finished:
        for index, block in enumerate(blocks):
            self.ran.append(tuple(block[0]))
            yield index, job(block)


class Interrupting(Executor):
    """Like Ctrl-C after ``after`` chunks (of any scenario) have finished."""

    name = "local"

    def __init__(self, after: int) -> None:
        self.left = after

    def map(self, job: Job, blocks: Iterable[np.ndarray]) -> Finished:
        for index, result in LocalExecutor().map(job, blocks):
            if not self.left:
                raise KeyboardInterrupt
            self.left -= 1
            yield index, result


def store_folder(root: Path) -> Path:
    (folder,) = root.iterdir()
    return folder


def interrupt(sweep: simulator.Sweep, root: Path, after: int) -> None:
    with pytest.raises(KeyboardInterrupt):
        simulator.run_sweep(
            sweep, executor=Interrupting(after), chunk_size=CHUNK, store=root, quiet=True
        )


# -- resuming --------------------------------------------------------------------------------------


def test_an_interrupted_sweep_resumes_running_only_the_chunks_it_lacks(tmp_path: Path) -> None:
    sweep = teacup_sweep()
    whole = simulator.run_sweep(sweep, quiet=True)
    interrupt(sweep, tmp_path, after=2)
    folder = store_folder(tmp_path)
    assert [p.name for p in sorted((folder / "chunks").iterdir())] == [
        "case0-chunk000000.nc",
        "case0-chunk000001.nc",
    ]  # and no temporary file
    recording = Recording()
    resumed = simulator.run_sweep(
        sweep, executor=recording, chunk_size=CHUNK, store=tmp_path, quiet=True
    )
    X = whole.samples["X"].values
    assert recording.ran == [tuple(X[c * CHUNK]) for c in range(2, 6)]
    log = DiskStore(folder, resumed_layout(folder)).log()
    assert sorted(log) == [(0, c) for c in range(6)]  # each chunk once
    assert_same_results(resumed, whole)
    assert resumed.provenance["store"] == str(folder)
    again = Recording()
    simulator.run_sweep(sweep, executor=again, chunk_size=CHUNK, store=tmp_path, quiet=True)
    assert again.ran == []


def resumed_layout(folder: Path) -> Layout:
    return Layout.from_json(json.loads((folder / "store.json").read_text()))


def test_a_policy_comparison_resumes_in_the_second_scenario(tmp_path: Path) -> None:
    base, policy = write_scenarios(tmp_path)
    sweep = simulator.Sweep(
        scenario=base,
        compare=[policy],
        method="latin",
        N=50,
        seed=3,
        parameters=[{"name": "a", "bounds": [0, 2]}, {"name": "b", "bounds": [1, 4]}],
        outputs=[{"variable": "Level", "at": "all"}],
    )
    whole = simulator.run_sweep(sweep, quiet=True)
    interrupt(sweep, tmp_path / "store", after=5)  # the base's 4 chunks done, 1 of the policy's
    recording = Recording()
    resumed = simulator.run_sweep(
        sweep, executor=recording, chunk_size=CHUNK, store=tmp_path / "store", quiet=True
    )
    assert len(recording.ran) == 3
    assert_same_results(resumed, whole)
    assert list(resumed["Level"]["scenario"].values) == ["base", "more c", "more c - base"]


def test_a_changed_sweep_gets_a_store_of_its_own(tmp_path: Path) -> None:
    simulator.run_sweep(teacup_sweep(), chunk_size=CHUNK, store=tmp_path, quiet=True)
    recording = Recording()
    sweep = teacup_sweep()
    changed = sweep.replace(
        parameters=[{"name": "room temperature", "bounds": [60, 81]}, sweep.parameters[1]]
    )
    simulator.run_sweep(changed, executor=recording, chunk_size=CHUNK, store=tmp_path, quiet=True)
    assert len(recording.ran) == 6  # every chunk: nothing reused
    assert len(list(tmp_path.iterdir())) == 2


def test_how_a_sweep_runs_does_not_change_its_store(tmp_path: Path) -> None:
    simulator.run_sweep(teacup_sweep(), chunk_size=CHUNK, store=tmp_path, quiet=True)
    recording = Recording()
    elsewhere = teacup_sweep(chunk_size=CHUNK, executor="dask", scheduler="tcp://127.0.0.1:9")
    result = simulator.run_sweep(elsewhere, executor=recording, store=tmp_path, quiet=True)
    assert recording.ran == []  # all chunks found: the scheduler was never contacted
    assert len(list(tmp_path.iterdir())) == 1
    assert result.provenance["executor"] == "local"


def test_resuming_with_another_chunk_size_is_refused_with_what_to_do(tmp_path: Path) -> None:
    interrupt(teacup_sweep(), tmp_path, after=1)
    with pytest.raises(SweepError, match=r"chunks of 16 runs; resume with chunk_size 16"):
        simulator.run_sweep(teacup_sweep(), chunk_size=32, store=tmp_path, quiet=True)


def test_a_sweep_resumed_without_a_chunk_size_keeps_its_stores_chunks(tmp_path: Path) -> None:
    sweep = teacup_sweep()
    assert sweep.chunk_size != CHUNK  # the file's size is not the store's
    interrupt(sweep, tmp_path, after=2)
    recording = Recording()
    resumed = simulator.run_sweep(sweep, executor=recording, store=tmp_path, quiet=True)
    X = resumed.samples["X"].values
    assert recording.ran == [tuple(X[c * CHUNK]) for c in range(2, 6)]  # the store's chunks
    assert_same_results(resumed, simulator.run_sweep(sweep, quiet=True))


def test_a_sweep_without_a_seed_resumes_with_the_seed_its_store_recorded(tmp_path: Path) -> None:
    sweep = teacup_sweep(seed=None)
    interrupt(sweep, tmp_path, after=3)
    seed = resumed_layout(store_folder(tmp_path)).seed
    resumed = simulator.run_sweep(sweep, chunk_size=CHUNK, store=tmp_path, quiet=True)
    assert resumed.provenance["seed"] == seed
    fresh = simulator.run_sweep(sweep.replace(seed=seed), quiet=True)
    for key in fresh.outputs:
        np.testing.assert_array_equal(fresh[key]["ST"].values, resumed[key]["ST"].values)


def test_what_a_killed_process_leaves_behind_is_mended(tmp_path: Path) -> None:
    sweep = teacup_sweep()
    interrupt(sweep, tmp_path, after=3)
    folder = store_folder(tmp_path)
    # killed outright: a temporary file, a finished file not yet logged, a torn log line
    (folder / "chunks" / ".case0-chunk000003.nc.x1y2.tmp").write_bytes(b"half a chunk")
    (folder / "chunks" / "case0-chunk000004.nc").write_bytes(b"not logged: runs again")
    with (folder / "completed.jsonl").open("a") as log:
        log.write('{"case": 0, "chu')
    recording = Recording()
    resumed = simulator.run_sweep(
        sweep, executor=recording, chunk_size=CHUNK, store=tmp_path, quiet=True
    )
    assert len(recording.ran) == 3
    assert not list(folder.rglob("*.tmp"))
    lines = (folder / "completed.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["chunk"] for line in lines) == list(range(6))
    assert_same_results(resumed, simulator.run_sweep(sweep, quiet=True))


def test_a_store_that_holds_other_samples_is_refused(tmp_path: Path) -> None:
    interrupt(teacup_sweep(), tmp_path, after=1)
    samples = store_folder(tmp_path) / "samples.npy"
    X = np.load(samples)
    X[5, 0] += 1e-12
    np.save(samples, X)
    with pytest.raises(SweepError, match="holds other runs than this sweep draws"):
        simulator.run_sweep(teacup_sweep(), chunk_size=CHUNK, store=tmp_path, quiet=True)


LAYOUT = Layout("f" * 64, 1, n_rows=5, chunk_size=2, cases=("a", "b"), outputs=(("y", 3),))


def test_a_store_in_use_by_another_run_is_refused_until_that_run_ends(tmp_path: Path) -> None:
    samples = np.zeros((5, 1))
    with open_store(tmp_path, LAYOUT, samples) as first:
        first.put(0, 0, {"y": np.ones((2, 3))})
        with pytest.raises(SweepError, match=r"is in use by another run of this sweep \(pid "):
            open_store(tmp_path, LAYOUT, samples)
    with open_store(tmp_path, LAYOUT, samples) as second:
        assert second.completed == {(0, 0)}


# -- the stores themselves -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "disk"])
def test_stores_assemble_chunks_in_any_order_and_take_each_once(kind: str, tmp_path: Path) -> None:
    store = MemoryStore(LAYOUT) if kind == "memory" else DiskStore(tmp_path, LAYOUT)
    if isinstance(store, DiskStore):
        store._create(np.zeros((5, 1)))
    values = np.arange(2 * 5 * 3, dtype=float).reshape(2, 5, 3) / 7
    for case, chunk in reversed(list(LAYOUT.units())):
        store.put(case, chunk, {"y": values[case, LAYOUT.rows(chunk)]})
    np.testing.assert_array_equal(store.read("y"), values)  # bit for bit
    with pytest.raises(SimulationError, match="chunk 1 of 'b' is done already"):
        store.put(1, 1, {"y": values[1, 2:4]})
    with pytest.raises(SimulationError, match=r"output 'y' has shape \(2, 2\), expected \(2, 3\)"):
        MemoryStore(LAYOUT).put(0, 0, {"y": np.zeros((2, 2))})


def test_reading_an_unfinished_store_says_how_much_is_missing() -> None:
    store = MemoryStore(LAYOUT)
    store.put(0, 0, {"y": np.zeros((2, 3))})
    with pytest.raises(SimulationError, match="5 chunks of the sweep are not done yet"):
        store.read("y")


def test_an_interrupted_write_leaves_neither_the_file_nor_a_temporary(tmp_path: Path) -> None:
    target = tmp_path / "chunk.nc"

    def write_then_interrupt(path: Path) -> None:
        path.write_bytes(b"the first half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, write_then_interrupt, durable=True)
    assert list(tmp_path.iterdir()) == []
    atomic_write(target, lambda p: p.write_bytes(b"whole"), durable=True)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, write_then_interrupt)
    assert [p.name for p in tmp_path.iterdir()] == ["chunk.nc"]
    assert target.read_bytes() == b"whole"
