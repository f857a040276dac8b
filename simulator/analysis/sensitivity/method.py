"""What a sensitivity method is: a sampler, an analyser and the sample sizes it accepts."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.analysis.sensitivity.problem import Problem, Seed

__all__ = ["Analyser", "Method", "MethodKind", "SampleSize", "Sampler"]


class MethodKind(enum.Enum):
    """What a method gives: sensitivity indices, or uncertainty bands from a plain sample."""

    INDICES = "indices"
    BANDS = "bands"


@dataclass(frozen=True)
class SampleSize:
    """The sample sizes ``N`` a method accepts.

    Attributes
    ----------
    minimum : callable
        ``minimum(options) -> int``.
    power_of_two : bool
    meaning : str
        What ``N`` counts for this method (for messages).
    """

    minimum: Callable[[Mapping[str, Any]], int]
    power_of_two: bool = False
    meaning: str = "runs"

    def problem(self, n: int, options: Mapping[str, Any]) -> str | None:
        """Why ``n`` is not allowed, or None.

        Examples
        --------
        >>> SampleSize(lambda o: 4, power_of_two=True).problem(1000, {})
        'N = 1000 is not a power of two; use 512 or 1024'
        """
        low = self.minimum(options)
        if n < low:
            return f"N = {n} is too small; it needs N >= {low} ({self.meaning})"
        if self.power_of_two and n & (n - 1):
            below = 1 << (n.bit_length() - 1)
            return f"N = {n} is not a power of two; use {below} or {below * 2}"
        return None


Sampler = Callable[[Problem, int, Seed, Mapping[str, Any]], np.ndarray]
Analyser = Callable[
    [Problem, np.ndarray, np.ndarray, int, Mapping[str, Any]], dict[str, np.ndarray]
]


@dataclass(frozen=True)
class Method:
    """A sampling design and the analysis that goes with it.

    Attributes
    ----------
    name, title : str
    sampler : callable
        ``sampler(problem, n, seed, options) -> X``, shape ``(n_rows, n_factors)``.
    n_rows : callable
        ``n_rows(n, n_labels, options) -> int``: the runs a sample of size ``n`` needs.
    sample_size : SampleSize
    analyser : callable or None
        ``analyser(problem, X, Y, seed, options) -> {index: array}``; ``Y`` has shape
        ``(n_rows, n_targets)``; arrays have shape ``(n_targets, n_labels)``, or
        ``(n_targets, n_labels, n_labels)`` for pairwise indices.
    indices : tuple of str
        The headline indices (their confidence half-widths are ``<index>_conf``).
    options : mapping
        Every option the method takes, with its default.
    groups : bool
        Whether the method supports groups of factors.
    bounded_only : bool
        Whether every factor needs a distribution with finite support.
    reference : str
    """

    name: str
    title: str
    sampler: Sampler
    n_rows: Callable[[int, int, Mapping[str, Any]], int]
    sample_size: SampleSize
    analyser: Analyser | None = None
    indices: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    groups: bool = True
    bounded_only: bool = False
    reference: str = ""

    @property
    def kind(self) -> MethodKind:
        """Indices for a method with an analyser, else uncertainty bands."""
        return MethodKind.BANDS if self.analyser is None else MethodKind.INDICES
