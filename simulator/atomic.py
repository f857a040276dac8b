"""Atomic file writes: a file is either absent, as it was, or whole.

Every file the package writes (outputs, plots, reports, sweep chunks) goes
through :func:`atomic_write`, so a crash or Ctrl-C never leaves a half-written
file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["TEMPORARY_SUFFIX", "atomic_write"]

#: Suffix of the temporary files; a process killed outright may leave one behind.
TEMPORARY_SUFFIX = ".tmp"


def atomic_write(path: str | Path, write: Callable[[Path], Any], *, durable: bool = False) -> Path:
    """Write through a temporary file in the same folder, then rename it over ``path``.

    ``path`` is either untouched or whole, whatever interrupts the write; an
    interrupted write removes its temporary file too, unless the process is
    killed outright (the leftover is named ``.<name>.<random>.tmp``).

    Parameters
    ----------
    path : str or Path
        The destination; its folder is created if needed.
    write : callable
        ``write(tmp_path)`` writes the complete content to the path it is given.
    durable : bool
        Flush the file to disk before the rename, so that it also survives a
        power cut.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = atomic_write(folder / "a.txt", lambda p: p.write_text("done"))
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX
    )
    os.close(handle)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it the usual mode
        if durable:
            descriptor = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
