"""The one module that imports PySD: its translators and its reference runner.

Our loader converts the ``AbstractModel`` that :func:`translate` returns; the
``pysd`` engine of :func:`simulator.simulate` and the differential tests run
models through :func:`run_reference`, PySD's own ``Model.run``.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["pysd_version", "run_reference", "translate"]


def translate(path: Path, kind: str) -> Any:
    """Parse a model file with PySD's translator into its ``AbstractModel``.

    Parameters
    ----------
    path : Path
    kind : {"vensim", "xmile"}
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "vensim":
            from pysd.translators.vensim.vensim_file import VensimFile

            source: Any = VensimFile(path)
        else:
            from pysd.translators.xmile.xmile_file import XmileFile

            source = XmileFile(path)
        source.parse()
        return source.get_abstract_model()


@functools.cache
def pysd_version() -> str:
    """The installed PySD version (read from its metadata, without importing it)."""
    from importlib.metadata import version

    return version("pysd")


def run_reference(
    path: Path,
    runs: Sequence[Mapping[str, Any]],
    outputs: Sequence[str],
    time: Mapping[str, float],
) -> list[pd.DataFrame]:
    """Run each parameter set through PySD's ``Model.run``, one after another.

    Parameters
    ----------
    path : Path
        A Vensim or XMILE file.
    runs : sequence of mapping
        One ``params`` mapping per run (model names -> float or pandas Series).
    outputs : sequence of str
        Model names of the columns to return.
    time : mapping
        ``initial_time``, ``final_time``, ``time_step``, ``saveper``.

    Returns
    -------
    list of DataFrame
        One per run, indexed by time, one column per output.
    """
    import pysd

    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as scratch:
        warnings.simplefilter("ignore")
        # PySD writes its translation beside the model file: keep it out of the user's tree
        copy = Path(scratch) / path.name
        shutil.copyfile(path, copy)
        if path.suffix.lower() == ".mdl":
            model = pysd.read_vensim(str(copy))
        else:
            model = pysd.read_xmile(str(copy))
        frames = []
        for params in runs:
            model.reload()
            frame = model.run(
                params=dict(params),
                return_columns=list(outputs),
                initial_condition="original",
                time_step=time["time_step"],
                saveper=time["saveper"],
                final_time=time["final_time"],
                progress=False,
            )
            frames.append(frame.astype(np.float64))
    return frames
