"""A validated run request: what every backend is handed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.model.ir import Expr, LookupTable, Model, TimeSpec

__all__ = ["RunRequest"]


@dataclass(frozen=True)
class RunRequest:
    """A validated run request, with names resolved to identifiers.

    Attributes
    ----------
    model : Model
    n_runs : int
    values : dict of identifier -> float or ndarray, shape (n_runs,)
        Per-run or shared values of constants.
    overrides : dict of identifier -> Expr
        Replacement equations (time series and interventions).
    lookups : dict of identifier -> LookupTable
    outputs : tuple of str
        Identifiers to record.
    spec : TimeSpec
    method : str
    run_coords : dict of model name -> ndarray, shape (n_runs,)
        Parameter values to attach to the ``run`` dimension.
    """

    model: Model
    n_runs: int
    values: dict[str, Any]
    overrides: dict[str, Expr]
    lookups: dict[str, LookupTable]
    outputs: tuple[str, ...]
    spec: TimeSpec
    method: str
    run_coords: dict[str, np.ndarray]
