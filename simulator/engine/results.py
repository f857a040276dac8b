"""Build the ``xarray.Dataset`` a run returns, with provenance in its attrs.

Array variables keep the model's dimension names and element labels: dims
``run``, ``time``, then the subscripts, each with its labels as a coordinate.
:func:`to_pysd_frame` flattens one run to PySD's columns (``name[A,B]``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from simulator.engine.run import RunOutput
from simulator.model.ir import Model
from simulator.version import package_version

__all__ = ["build_dataset", "to_pysd_frame"]


def build_dataset(
    model: Model,
    outputs: tuple[str, ...],
    output: RunOutput,
    run_coords: Mapping[str, np.ndarray],
    attrs: Mapping[str, Any],
) -> xr.Dataset:
    """Assemble a run's outputs.

    Parameters
    ----------
    model : Model
    outputs : tuple of str
        Identifiers, in the order requested.
    output : RunOutput
        ``values[ident]`` has shape ``(n_runs, n_times, *shape)``.
    run_coords : mapping of model name -> ndarray, shape (n_runs,)
        Parameter values, attached as coordinates on ``run``.
    attrs : mapping
        Run settings; provenance is added.

    Returns
    -------
    xarray.Dataset
        Dims ``run``, ``time`` and, for array variables, their dimensions
        (coordinates: the element labels); variables keyed by the model's
        names, each with ``units`` and ``description`` attributes.
    """
    names = {ident: model.elements[ident].name for ident in outputs}
    n_runs = next(iter(output.values.values())).shape[0] if output.values else 1
    data_vars = {}
    used_dims: dict[str, None] = {}
    for ident in outputs:
        element = model.elements[ident]
        used_dims.update(dict.fromkeys(element.dims))
        data_vars[names[ident]] = xr.Variable(
            ("run", "time", *element.dims),
            output.values[ident],
            attrs={"units": element.units, "description": element.documentation},
        )
    coords: dict[str, Any] = {
        "run": np.arange(n_runs),
        "time": xr.Variable("time", output.times, attrs={"units": model.time.units}),
    }
    for dim in used_dims:
        coords[dim] = list(model.dimensions[dim].elements)
    for name, values in run_coords.items():
        if name not in data_vars:
            coords[name] = ("run", values)
    provenance = {
        "model_file": str(model.source) if model.source else "",
        "model_hash": model.source_hash,
        "package_version": package_version(),
    }
    return xr.Dataset(data_vars, coords=coords, attrs={**provenance, **attrs})


def to_pysd_frame(ds: xr.Dataset, run: int = 0) -> pd.DataFrame:
    """One run of a result as PySD returns it: indexed by time, one column per element.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`simulator.simulate`.
    run : int
        Position along ``run`` (or ``scenario``).

    Returns
    -------
    pandas.DataFrame
        Scalar variables keep their names; array variables give one column per
        element, ``name[A,B]`` in row-major order of their dimensions, as
        PySD's flattened output names them.

    Examples
    --------
    >>> import simulator
    >>> ds = simulator.simulate(simulator.load_model("tests/models/arrays_1d.mdl"),
    ...                         outputs=["population"], final_time=1)
    >>> list(to_pysd_frame(ds).columns)
    ['population[North]', 'population[South]', 'population[East]']
    """
    run_dim = "run" if "run" in ds.dims else "scenario"
    columns: dict[str, np.ndarray] = {}
    for name, variable in ds.data_vars.items():
        one = variable.isel({run_dim: run}).transpose("time", ...)
        extra = [d for d in one.dims if d != "time"]
        if not extra:
            columns[str(name)] = one.values
            continue
        flat = one.values.reshape(one.sizes["time"], -1)
        labels = itertools.product(*(one[d].values.tolist() for d in extra))
        for i, combo in enumerate(labels):
            columns[f"{name}[{','.join(map(str, combo))}]"] = flat[:, i]
    return pd.DataFrame(columns, index=pd.Index(ds["time"].values, name="time"))
