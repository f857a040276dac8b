"""Uncertain parameters of a what-if: one fixed matrix of draws, made once from a seed.

Every move of a slider reruns the ensemble on the same draws (common random
numbers), so a band changes only because the levers did, never because new
draws were taken.

``uncertainty`` is one of

* a mapping of parameter name to a distribution: a
  :class:`~simulator.analysis.sensitivity.Factor`, a sweep-file style
  mapping (``{"dist": "triang", "bounds": [1, 3], "mode": 1.5}``), a
  ``(low, high)`` pair (uniform), a frozen :mod:`scipy.stats` distribution
  (anything with ``ppf``), or a 1-D array of samples (resampled);
* a :class:`pandas.DataFrame` of joint samples (e.g. posterior draws), one
  column per parameter, from which ``draws`` rows are taken;
* a :class:`~simulator.sweep.Sweep`, whose parameters' distributions are used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.sensitivity import Factor
from simulator.errors import ExploreError, SimulatorError
from simulator.sweep import Sweep
from simulator.sweep.description import Parameter

__all__ = ["DEFAULT_DRAWS", "Uncertainty", "make_draws"]

#: Ensemble size when a distribution (not a sample) is given and ``draws`` is not.
DEFAULT_DRAWS = 500

Uncertainty = Mapping[str, Any] | pd.DataFrame | Sweep


def _stats() -> Any:
    from scipy import stats  # imported on first use: `import simulator` stays light

    return stats


#: Factor distributions as scipy frozen distributions: dist code -> params -> distribution.
_SCIPY: dict[str, Callable[[tuple[float, ...]], Any]] = {
    "unif": lambda p: _stats().uniform(loc=p[0], scale=p[1] - p[0]),
    "triang": lambda p: _stats().triang((p[1] - p[0]) / (p[2] - p[0]), loc=p[0], scale=p[2] - p[0]),
    "norm": lambda p: _stats().norm(loc=p[0], scale=p[1]),
    "lognorm": lambda p: _stats().lognorm(s=p[1], scale=np.exp(p[0])),
}


@dataclass(frozen=True)
class _Column:
    name: str
    ppf: Callable[[np.ndarray], np.ndarray] | None = None
    samples: np.ndarray | None = None


def make_draws(uncertainty: Uncertainty, draws: int | None, seed: int) -> pd.DataFrame:
    """Draw the ensemble's parameter values once.

    Parameters
    ----------
    uncertainty : mapping, DataFrame or Sweep
        See the module docstring.
    draws : int, optional
        Number of draws (default :data:`DEFAULT_DRAWS`, or every row of a
        DataFrame that has at most that many).
    seed : int
        The only source of randomness.

    Returns
    -------
    DataFrame, shape (draws, n_parameters)
        One column per parameter, in the order given.

    Raises
    ------
    ExploreError
        An empty or unreadable specification, a bad number of draws.

    Examples
    --------
    >>> d = make_draws({"a": (0.0, 1.0), "b": {"dist": "norm", "mean": 5, "sd": 1}}, 4, seed=1)
    >>> d.shape, list(d.columns)
    ((4, 2), ['a', 'b'])
    >>> bool(((d["a"] >= 0) & (d["a"] <= 1)).all())
    True
    """
    rng = np.random.default_rng(seed)
    if isinstance(uncertainty, pd.DataFrame):
        return _resample_rows(uncertainty, draws, rng)
    if isinstance(uncertainty, Sweep):
        columns = [
            _Column(p.name, _SCIPY[p.dist](p.factor().params).ppf) for p in uncertainty.parameters
        ]
    elif isinstance(uncertainty, Mapping):
        columns = [_column(str(name), spec) for name, spec in uncertainty.items()]
    else:
        raise ExploreError(
            "uncertainty must be a mapping of parameter -> distribution, a DataFrame of samples "
            f"or a Sweep, got {type(uncertainty).__name__}"
        )
    if not columns:
        raise ExploreError("uncertainty names no parameter; give at least one, or leave it out")
    n = _count(draws, DEFAULT_DRAWS)
    unit = rng.random((n, len(columns)))  # one column of uniforms per parameter, fixed by seed
    data = {}
    for k, column in enumerate(columns):
        if column.samples is not None:
            data[column.name] = column.samples[(unit[:, k] * len(column.samples)).astype(int)]
        else:
            assert column.ppf is not None
            data[column.name] = np.asarray(column.ppf(unit[:, k]), dtype=float)
    return pd.DataFrame(data)


def _column(name: str, spec: Any) -> _Column:
    if isinstance(spec, Factor):
        return _Column(name, _SCIPY[spec.dist](spec.params).ppf)
    if isinstance(spec, Mapping):
        try:
            parameter = Parameter(name=name, **spec)
        except (TypeError, ValueError) as error:  # pydantic's ValidationError is a ValueError
            raise ExploreError(f"uncertainty '{name}': {error}") from None
        problems = parameter.problems()
        if problems:
            raise ExploreError(f"uncertainty '{name}': " + "; ".join(m for _, m, _ in problems))
        factor = parameter.factor()
        return _Column(name, _SCIPY[factor.dist](factor.params).ppf)
    if hasattr(spec, "ppf"):
        return _Column(name, spec.ppf)
    if isinstance(spec, tuple) and len(spec) == 2:
        try:
            factor = Factor(name, "unif", spec)
        except SimulatorError as error:
            raise ExploreError(f"uncertainty '{name}': {error}") from None
        return _Column(name, _SCIPY["unif"](factor.params).ppf)
    samples = np.asarray(spec, dtype=float) if _numeric(spec) else None
    if samples is not None and samples.ndim == 1 and samples.size and np.isfinite(samples).all():
        return _Column(name, samples=samples)
    raise ExploreError(
        f"uncertainty '{name}': expected a distribution ((low, high), a sweep-style mapping, "
        f"a Factor, a scipy.stats distribution) or a 1-D array of samples, got {spec!r}"
    )


def _numeric(spec: Any) -> bool:
    try:
        np.asarray(spec, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _resample_rows(
    samples: pd.DataFrame, draws: int | None, rng: np.random.Generator
) -> pd.DataFrame:
    if samples.empty:
        raise ExploreError("uncertainty: the DataFrame of samples has no rows or no columns")
    try:
        values = samples.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ExploreError("uncertainty: the DataFrame of samples must hold numbers only") from None
    n = _count(draws, min(len(samples), DEFAULT_DRAWS))
    rows = rng.choice(len(samples), size=n, replace=n > len(samples))
    return pd.DataFrame(values[rows], columns=[str(c) for c in samples.columns])


def _count(draws: int | None, default: int) -> int:
    n = default if draws is None else draws
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ExploreError(f"draws must be a whole number of at least 2, got {draws!r}")
    return int(n)
