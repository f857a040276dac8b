"""Uncertain parameters as SALib sees them: distributions, factors, the problem."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from simulator.errors import SweepError

__all__ = ["DISTRIBUTIONS", "Distribution", "Factor", "Problem", "Seed"]

Seed = int | np.random.Generator | None


# -- distributions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """A distribution SALib can sample, with named parameters.

    Attributes
    ----------
    code : str
        SALib's name for it.
    parameters : tuple of str
        Parameter names, in the order :attr:`Factor.params` holds them.
    description : str
    check : callable
        ``check(params) -> list of (parameter name, problem)``; empty when valid.
    to_salib : callable
        ``to_salib(params) -> list of float``: SALib's ``bounds`` entry.
    bounded : bool
        Finite support (Morris and FAST sample the ends of the unit interval).
    """

    code: str
    parameters: tuple[str, ...]
    description: str
    check: Callable[[tuple[float, ...]], list[tuple[str, str]]]
    to_salib: Callable[[tuple[float, ...]], list[float]]
    bounded: bool


def _check_interval(lower: float, upper: float) -> list[tuple[str, str]]:
    if not np.isfinite(lower) or not np.isfinite(upper):
        return [("lower", f"bounds must be finite numbers, got [{lower:g}, {upper:g}]")]
    if not lower < upper:
        what = "equal" if lower == upper else "reversed"
        return [
            (
                "lower",
                f"bounds [{lower:g}, {upper:g}] are {what}: write [lower, upper] "
                "with lower < upper",
            )
        ]
    return []


def _check_unif(p: tuple[float, ...]) -> list[tuple[str, str]]:
    return _check_interval(p[0], p[1])


def _check_triang(p: tuple[float, ...]) -> list[tuple[str, str]]:
    lower, mode, upper = p
    problems = _check_interval(lower, upper)
    if not problems and not lower <= mode < upper:
        problems.append(
            (
                "mode",
                f"mode {mode:g} must lie in [lower, upper) = [{lower:g}, {upper:g}) "
                "(SALib's triangular peak cannot sit on the upper bound)",
            )
        )
    return problems


def _check_spread(p: tuple[float, ...]) -> list[tuple[str, str]]:
    mean, sd = p
    problems = []
    if not np.isfinite(mean):
        problems.append(("mean", f"mean must be a finite number, got {mean:g}"))
    if not (np.isfinite(sd) and sd > 0):
        problems.append(("sd", f"sd must be a positive number, got {sd:g}"))
    return problems


def _triang_to_salib(p: tuple[float, ...]) -> list[float]:
    lower, mode, upper = p
    return [lower, upper, (mode - lower) / (upper - lower)]


#: Distributions by SALib code.
DISTRIBUTIONS: Mapping[str, Distribution] = MappingProxyType(
    {
        "unif": Distribution(
            "unif", ("lower", "upper"), "uniform on [lower, upper]", _check_unif, list, True
        ),
        "triang": Distribution(
            "triang",
            ("lower", "mode", "upper"),
            "triangular on [lower, upper] with its peak at mode",
            _check_triang,
            _triang_to_salib,
            True,
        ),
        "norm": Distribution(
            "norm",
            ("mean", "sd"),
            "normal with mean and standard deviation sd",
            _check_spread,
            list,
            False,
        ),
        "lognorm": Distribution(
            "lognorm",
            ("mean", "sd"),
            "lognormal: ln(value) is normal with mean and standard deviation sd",
            _check_spread,
            list,
            False,
        ),
    }
)


@dataclass(frozen=True)
class Factor:
    """One uncertain parameter.

    Attributes
    ----------
    name : str
        Usually a model constant's name.
    dist : str
        A key of :data:`DISTRIBUTIONS`.
    params : tuple of float
        The distribution's parameters, named by ``DISTRIBUTIONS[dist].parameters``.
    group : str or None
        Factors sharing a group are sampled and analysed together.

    Examples
    --------
    >>> Factor("x", "triang", (0.0, 1.0, 4.0)).salib_bounds()
    [0.0, 4.0, 0.25]
    """

    name: str
    dist: str = "unif"
    params: tuple[float, ...] = (0.0, 1.0)
    group: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(float(p) for p in self.params))
        problems = self.problems()
        if problems:
            raise SweepError(f"factor '{self.name}': " + "; ".join(m for _, m in problems))

    def problems(self) -> list[tuple[str, str]]:
        """``(parameter name, problem)`` pairs; empty when the factor is valid."""
        distribution = DISTRIBUTIONS.get(self.dist)
        if distribution is None:
            known = ", ".join(DISTRIBUTIONS)
            return [("dist", f"unknown distribution '{self.dist}'; use one of {known}")]
        if len(self.params) != len(distribution.parameters):
            names = ", ".join(distribution.parameters)
            return [("dist", f"'{self.dist}' takes {len(distribution.parameters)} ({names})")]
        return distribution.check(self.params)

    def salib_bounds(self) -> list[float]:
        """The ``bounds`` entry of SALib's problem for this factor."""
        return DISTRIBUTIONS[self.dist].to_salib(self.params)


@dataclass(frozen=True)
class Problem:
    """The uncertain parameters of a sweep, as SALib sees them.

    Attributes
    ----------
    factors : tuple of Factor

    Examples
    --------
    >>> p = Problem((Factor("a", group="g"), Factor("b", group="g"), Factor("c")))
    >>> p.labels
    ('g', 'c')
    """

    factors: tuple[Factor, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "factors", tuple(self.factors))
        if not self.factors:
            raise SweepError("a sensitivity problem needs at least one factor")

    @property
    def names(self) -> tuple[str, ...]:
        """Factor names: the columns of a sample matrix."""
        return tuple(f.name for f in self.factors)

    @property
    def grouped(self) -> bool:
        """Whether any factor belongs to a group."""
        return any(f.group is not None for f in self.factors)

    @property
    def labels(self) -> tuple[str, ...]:
        """What indices are computed for: groups (in first appearance) or factors."""
        if not self.grouped:
            return self.names
        return tuple(dict.fromkeys(f.group or f.name for f in self.factors))

    def salib(self) -> dict[str, Any]:
        """SALib's problem dict, with neutral internal names (``x0``, ``g0``...)."""
        problem: dict[str, Any] = {
            "num_vars": len(self.factors),
            "names": [f"x{i}" for i in range(len(self.factors))],
            "bounds": [f.salib_bounds() for f in self.factors],
            "dists": [f.dist for f in self.factors],
        }
        if self.grouped:
            index = {label: i for i, label in enumerate(self.labels)}
            problem["groups"] = [f"g{index[f.group or f.name]}" for f in self.factors]
        return problem
