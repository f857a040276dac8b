"""Chunk stores: a sweep's raw results, written one finished chunk at a time.

A sweep's runs are cut into chunks of rows of the sample matrix, one chunk
per scenario at a time. Executors hand each finished chunk to a store, which
keeps it; the analysis reads one output at a time back, so a sweep larger
than memory completes, and a sweep that stops (Ctrl-C, a crash, a lost
cluster) resumes where it stopped.

:class:`DiskStore` keeps one folder per sweep, named by the sweep's hash, so
a changed sweep never reuses chunks of another::

    ROOT/<first 16 hex digits of the sweep hash>/
        store.json          the layout: sweep hash, seed, rows, chunk size, scenarios, outputs
        samples.npy         the sample matrix, shape (n_rows, n_params), checked on resume
        chunks/
            case0-chunk000017.nc   one NetCDF file per finished (scenario, chunk): variable
                                   output<i> of shape (n_block, n_t) for output i
        completed.jsonl     one line per finished chunk, appended once its file is in place
        .lock, .owner       locked while a run has the store open; that run's process id

Every file is written to a temporary name and renamed into place, so a chunk
file is whole or absent; a chunk is done when its line is in
``completed.jsonl`` (which is appended only after the rename), and it is
never written twice. :class:`MemoryStore` keeps chunks in a dict, for sweeps
that need no resuming.
"""

from __future__ import annotations

import abc
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from filelock import FileLock, Timeout

from simulator.atomic import atomic_write
from simulator.errors import SimulationError, SweepError

__all__ = ["ChunkStore", "DiskStore", "Layout", "MemoryStore", "open_store"]


Unit = tuple[int, int]  # (scenario index, chunk index)


@dataclass(frozen=True)
class Layout:
    """What a store holds and how it is cut.

    Attributes
    ----------
    sweep_hash : str
        Hash of everything that decides the results (see :func:`~simulator.sweep.run_sweep`).
    seed : int
        The seed the sample matrix was drawn with.
    n_rows : int
        Rows of the sample matrix: runs per scenario.
    chunk_size : int
        Rows per chunk; the last chunk may be shorter.
    cases : tuple of str
        Scenario labels, in order.
    outputs : tuple of (str, int)
        Output key and its number of values per run (saved times, or 1 for a KPI).

    Examples
    --------
    >>> layout = Layout("ab" * 32, 1, n_rows=10, chunk_size=4, cases=("base",),
    ...                 outputs=(("y", 3),))
    >>> layout.n_chunks, [layout.rows(c) for c in range(layout.n_chunks)]
    (3, [slice(0, 4, None), slice(4, 8, None), slice(8, 10, None)])
    """

    sweep_hash: str
    seed: int
    n_rows: int
    chunk_size: int
    cases: tuple[str, ...]
    outputs: tuple[tuple[str, int], ...]

    @property
    def n_chunks(self) -> int:
        """Chunks per scenario."""
        return -(-self.n_rows // self.chunk_size)

    def rows(self, chunk: int) -> slice:
        """The rows of the sample matrix in ``chunk``."""
        start = chunk * self.chunk_size
        return slice(start, min(start + self.chunk_size, self.n_rows))

    def size(self, chunk: int) -> int:
        """The number of rows in ``chunk`` (the last may be short)."""
        return min(self.chunk_size, self.n_rows - chunk * self.chunk_size)

    def units(self) -> Iterator[Unit]:
        """Every (scenario, chunk), scenario by scenario."""
        for case in range(len(self.cases)):
            for chunk in range(self.n_chunks):
                yield case, chunk

    def check(self, unit: Unit, values: Mapping[str, np.ndarray]) -> None:
        """Raise :class:`SimulationError` unless ``values`` fit ``unit``."""
        case, chunk = unit
        if not (0 <= case < len(self.cases) and 0 <= chunk < self.n_chunks):
            raise SimulationError(f"no chunk {chunk} of scenario {case} in this sweep")
        n = self.size(chunk)
        for key, n_t in self.outputs:
            shape = np.shape(values[key]) if key in values else None
            if shape != (n, n_t):
                raise SimulationError(
                    f"chunk {chunk} of '{self.cases[case]}': output '{key}' has shape {shape}, "
                    f"expected {(n, n_t)}"
                )

    def to_json(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Layout:
        """The inverse of :meth:`to_json`."""
        return cls(
            sweep_hash=str(data["sweep_hash"]),
            seed=int(data["seed"]),
            n_rows=int(data["n_rows"]),
            chunk_size=int(data["chunk_size"]),
            cases=tuple(data["cases"]),
            outputs=tuple((str(k), int(n)) for k, n in data["outputs"]),
        )


class ChunkStore(abc.ABC):
    """Where finished chunks go.

    Subclasses implement :meth:`_write`, :meth:`_read_chunk` and set
    :attr:`completed` as chunks arrive; the base class checks shapes, refuses
    to take a chunk twice, and assembles outputs.

    Attributes
    ----------
    layout : Layout
    completed : set of (int, int)
        The (scenario, chunk) pairs done.
    """

    location: str = ""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.completed: set[Unit] = set()

    def close(self) -> None:  # noqa: B027 (a no-op unless the store holds a lock)
        """Let other runs open this store; chunks already put stay done."""

    def __enter__(self) -> ChunkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pending(self, case: int) -> list[int]:
        """Chunks of scenario ``case`` not done yet, in order."""
        return [c for c in range(self.layout.n_chunks) if (case, c) not in self.completed]

    @property
    def rows_done(self) -> int:
        """Runs done, over all scenarios."""
        return sum(self.layout.size(c) for _, c in self.completed)

    def put(self, case: int, chunk: int, values: Mapping[str, np.ndarray]) -> None:
        """Keep a finished chunk: output key -> array, shape (n_block, n_t).

        Raises
        ------
        SimulationError
            The chunk is done already, or its arrays do not fit the layout.
        """
        unit = (case, chunk)
        self.layout.check(unit, values)
        if unit in self.completed:
            raise SimulationError(f"chunk {chunk} of '{self.layout.cases[case]}' is done already")
        self._write(unit, {key: np.asarray(values[key]) for key, _ in self.layout.outputs})
        self.completed.add(unit)

    def read(self, key: str) -> np.ndarray:
        """Every run's values of one output, shape (n_cases, n_rows, n_t).

        Raises
        ------
        SimulationError
            Some chunk is not done.
        """
        layout = self.layout
        missing = [u for u in layout.units() if u not in self.completed]
        if missing:
            raise SimulationError(f"{len(missing)} chunks of the sweep are not done yet")
        n_t = dict(layout.outputs)[key]
        out = np.empty((len(layout.cases), layout.n_rows, n_t))
        for case, chunk in layout.units():
            out[case, layout.rows(chunk)] = self._read_chunk((case, chunk), key)
        return out

    @abc.abstractmethod
    def _write(self, unit: Unit, values: Mapping[str, np.ndarray]) -> None:
        """Keep ``values`` of ``unit`` for good (the chunk counts as done when this returns)."""

    @abc.abstractmethod
    def _read_chunk(self, unit: Unit, key: str) -> np.ndarray:
        """One output of one finished chunk, shape (n_block, n_t)."""


class MemoryStore(ChunkStore):
    """Chunks in a dict: for a sweep that is not to be resumed.

    Examples
    --------
    >>> store = MemoryStore(Layout("0" * 64, 1, 3, 2, ("base",), (("y", 1),)))
    >>> store.put(0, 1, {"y": np.array([[3.0]])})
    >>> store.put(0, 0, {"y": np.array([[1.0], [2.0]])})
    >>> store.read("y")[0, :, 0].tolist()
    [1.0, 2.0, 3.0]
    """

    def __init__(self, layout: Layout) -> None:
        super().__init__(layout)
        self._chunks: dict[Unit, dict[str, np.ndarray]] = {}

    def _write(self, unit: Unit, values: Mapping[str, np.ndarray]) -> None:
        self._chunks[unit] = dict(values)

    def _read_chunk(self, unit: Unit, key: str) -> np.ndarray:
        return self._chunks[unit][key]


class DiskStore(ChunkStore):
    """Chunks as NetCDF files in a folder of their own (see the module's docstring).

    Open one with :func:`open_store`, which also resumes an existing one.
    """

    LAYOUT: ClassVar[str] = "store.json"
    SAMPLES: ClassVar[str] = "samples.npy"
    LOG: ClassVar[str] = "completed.jsonl"
    CHUNKS: ClassVar[str] = "chunks"

    LOCK: ClassVar[str] = ".lock"
    OWNER: ClassVar[str] = ".owner"

    def __init__(self, folder: Path, layout: Layout) -> None:
        super().__init__(layout)
        self.folder = folder
        self.location = str(folder)
        self._lock: FileLock | None = None

    def _acquire(self) -> None:
        """Hold the store's lock, so that two runs of one sweep never run a chunk twice."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / self.LOCK, timeout=0)
        owner = self.folder / self.OWNER
        try:
            lock.acquire()
        except Timeout:
            holder = owner.read_text(encoding="utf-8").strip() if owner.is_file() else ""
            raise SweepError(
                f"{self.folder} is in use by another run of this sweep "
                f"({holder or 'another process'}); wait for it to finish, or stop it"
            ) from None
        owner.write_text(f"pid {os.getpid()}\n", encoding="utf-8")
        self._lock = lock

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @staticmethod
    def folder_for(root: str | Path, sweep_hash: str) -> Path:
        """The folder of the sweep with ``sweep_hash`` under ``root``."""
        return Path(root) / sweep_hash[:16]

    @classmethod
    def recorded(cls, root: str | Path, sweep_hash: str) -> Layout | None:
        """The layout of the store of ``sweep_hash`` under ``root``, if there is one."""
        path = cls.folder_for(root, sweep_hash) / cls.LAYOUT
        if not path.is_file():
            return None
        return Layout.from_json(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def complete(cls, root: str | Path, sweep_hash: str) -> bool:
        """Whether the store of ``sweep_hash`` under ``root`` records every chunk done."""
        layout = cls.recorded(root, sweep_hash)
        if layout is None:
            return False
        done = set(cls(cls.folder_for(root, sweep_hash), layout).log())
        return all(unit in done for unit in layout.units())

    def chunk_path(self, unit: Unit) -> Path:
        """Where the file of ``unit`` goes."""
        case, chunk = unit
        return self.folder / self.CHUNKS / f"case{case}-chunk{chunk:06d}.nc"

    def log(self) -> list[Unit]:
        """Every completion recorded, in order (a chunk done twice would appear twice)."""
        path = self.folder / self.LOG
        if not path.exists():
            return []
        units = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                units.append((int(entry["case"]), int(entry["chunk"])))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash: that chunk runs again
        return units

    def _create(self, samples: np.ndarray) -> None:
        (self.folder / self.CHUNKS).mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / self.SAMPLES, lambda p: _save_npy(p, samples), durable=True)
        text = json.dumps(self.layout.to_json(), indent=2)
        atomic_write(self.folder / self.LAYOUT, lambda p: p.write_text(text, encoding="utf-8"))

    def _resume(self, samples: np.ndarray) -> None:
        recorded = self.recorded(self.folder.parent, self.layout.sweep_hash)
        if recorded is not None and recorded.chunk_size != self.layout.chunk_size:
            size = recorded.chunk_size
            raise SweepError(
                f"{self.folder} holds this sweep's finished chunks of {size} runs; resume with "
                f"chunk_size {size} (or no --chunk-size), or delete the folder to start again"
            )
        stored = np.load(self.folder / self.SAMPLES, mmap_mode="r")
        if recorded != self.layout or not np.array_equal(stored, samples):
            raise SweepError(
                f"{self.folder} holds other runs than this sweep draws (another SALib or "
                "package version?); delete the folder to start again"
            )
        for folder in (self.folder, self.folder / self.CHUNKS):
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)  # from a process killed while writing
        self._mend_log()
        done = set(self.log())
        self.completed = {
            u for u in self.layout.units() if u in done and self.chunk_path(u).is_file()
        }

    def _mend_log(self) -> None:
        """Cut a last line torn by a crash, so that the next line starts on a line of its own."""
        path = self.folder / self.LOG
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def _write(self, unit: Unit, values: Mapping[str, np.ndarray]) -> None:
        case, chunk = unit
        attrs = {
            "sweep_hash": self.layout.sweep_hash,
            "case": case,
            "chunk": chunk,
            "first_row": self.layout.rows(chunk).start,
        }
        keys = [key for key, _ in self.layout.outputs]
        atomic_write(
            self.chunk_path(unit), lambda p: _write_chunk(p, keys, values, attrs), durable=True
        )
        line = json.dumps({"case": case, "chunk": chunk}) + "\n"
        with (self.folder / self.LOG).open("a", encoding="utf-8") as handle:
            handle.write(line)

    def _read_chunk(self, unit: Unit, key: str) -> np.ndarray:
        import netCDF4

        index = [k for k, _ in self.layout.outputs].index(key)
        with netCDF4.Dataset(self.chunk_path(unit), "r") as nc:
            if nc.getncattr("sweep_hash") != self.layout.sweep_hash:
                raise SweepError(f"{self.chunk_path(unit)} belongs to another sweep")
            nc.set_auto_mask(False)
            return np.asarray(nc.variables[f"output{index}"][:])


def open_store(root: str | Path | None, layout: Layout, samples: np.ndarray) -> ChunkStore:
    """The store for a sweep: new, or the one it left under ``root`` (resumed).

    Parameters
    ----------
    root : str, Path or None
        Folder that holds stores, one subfolder per sweep hash; None keeps the
        chunks in memory.
    layout : Layout
    samples : ndarray, shape (n_rows, n_params)
        The sample matrix; a resumed store must hold the same one, bit for bit.

    Returns
    -------
    ChunkStore
        ``completed`` lists the chunks already done.

    Raises
    ------
    SweepError
        The store was cut in chunks of another size, holds other samples, or
        another process has it open.

    Notes
    -----
    A disk store is locked while it is open (a ``filelock`` lock on ``.lock``);
    close it (or use it as a context manager) to let another run open it.
    """
    if root is None:
        return MemoryStore(layout)
    store = DiskStore(DiskStore.folder_for(root, layout.sweep_hash), layout)
    store._acquire()
    try:
        if (store.folder / DiskStore.LAYOUT).is_file():
            store._resume(samples)
        else:
            store._create(samples)
    except BaseException:
        store.close()
        raise
    return store


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.save(handle, array, allow_pickle=False)


def _write_chunk(
    path: Path, keys: list[str], values: Mapping[str, np.ndarray], attrs: Mapping[str, Any]
) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.setncatts(dict(attrs))
        nc.createDimension("run", next(iter(values.values())).shape[0])
        for i, key in enumerate(keys):
            array = values[key]
            nc.createDimension(f"time{i}", array.shape[1])
            variable = nc.createVariable(f"output{i}", "f8", ("run", f"time{i}"))
            variable.setncattr("key", key)
            variable[:] = array
