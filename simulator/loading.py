"""``load_model``: read a model file, check that the engine can run all of it, cache the IR.

Translating a large Vensim file takes PySD a second or more; the frozen IR it
becomes is cached on disk, keyed by the file's bytes, the versions of this
package and PySD and the IR's layout version (``IR_VERSION``), so the CLI and
sweep workers load a model they have seen in milliseconds, and a pickle
written by older code is never read. ``CBEC_SD_CACHE_DIR`` moves the cache; ``CBEC_SD_NO_CACHE=1``
turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from dataclasses import replace
from pathlib import Path

from simulator.atomic import atomic_write
from simulator.engine.compile import compile_model
from simulator.model.ir import IR_VERSION, Model
from simulator.model.load import read_model
from simulator.model.pysd_adapter import pysd_version
from simulator.version import package_version

__all__ = ["cache_directory", "load_model"]


def cache_directory() -> Path | None:
    """Where loaded models are cached, or None when caching is off."""
    if os.environ.get("CBEC_SD_NO_CACHE"):
        return None
    configured = os.environ.get("CBEC_SD_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cbec-sd" / "models"


def load_model(path: str | Path) -> Model:
    """Load a Vensim ``.mdl`` or XMILE ``.xmile``/``.stmx`` model.

    Everything the engine cannot run is refused here, before any run:
    unsupported functions, subscripts, macros and external data
    (:class:`~simulator.errors.UnsupportedConstructError`), references to
    undefined names (:class:`~simulator.errors.UndefinedReferenceError`) and
    algebraic loops (:class:`~simulator.errors.AlgebraicLoopError`).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Model
        The frozen IR: ``model.stocks``, ``model.constants``, ``model.describe()``...

    Examples
    --------
    >>> model = load_model("tests/models/teacup.mdl")
    >>> [s.name for s in model.stocks]
    ['Teacup Temperature']
    >>> model["room temperature"].value
    70.0
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError:
        return read_model(path)  # raises the ModelFileError that explains it
    digest = hashlib.sha256(raw).hexdigest()
    key = hashlib.sha256(
        "\0".join(
            [digest, package_version(), pysd_version(), f"ir{IR_VERSION}", path.suffix]
        ).encode()
    ).hexdigest()
    cached = _read_cache(key)
    if cached is not None and cached.source_hash == digest:
        return replace(cached, source=path)
    model = read_model(path)
    compile_model(model, outputs=())
    _write_cache(key, model)
    return model


def _read_cache(key: str) -> Model | None:
    directory = cache_directory()
    if directory is None:
        return None
    try:
        with open(directory / f"{key}.pickle", "rb") as handle:
            model = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        return None
    return model if isinstance(model, Model) else None


def _write_cache(key: str, model: Model) -> None:
    """Best effort: a cache that cannot be written is no error."""
    directory = cache_directory()
    if directory is None:
        return
    with contextlib.suppress(OSError, pickle.PicklingError):
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(directory / f"{key}.pickle", lambda path: path.write_bytes(data))
