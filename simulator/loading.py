"""``load_model``: read a model file and check that the engine can run all of it."""

from __future__ import annotations

from pathlib import Path

from simulator.engine.compile import compile_model
from simulator.model.ir import Model
from simulator.model.load import read_model

__all__ = ["load_model"]


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
    model = read_model(path)
    compile_model(model, outputs=())
    return model
