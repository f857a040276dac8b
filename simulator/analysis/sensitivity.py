"""SALib behind one adapter: sampling and analysis methods, chosen by name.

This is the only module that imports SALib. A :class:`Method` pairs a sampler
with an analyser and says which sample sizes ``N`` it accepts; :data:`METHODS`
holds them by name, so a new SALib method is one more entry::

    sobol      Saltelli/Sobol' sampling; S1, ST, S2 with confidence intervals
    morris     elementary effects; mu, mu*, sigma
    fast       extended FAST (eFAST); S1, ST
    rbd_fast   random balance designs FAST; S1
    delta      Borgonovo's moment-independent delta (and S1)
    pawn       PAWN, CDF-based (Kolmogorov-Smirnov over conditioning slices)
    monte_carlo, latin
               plain Monte Carlo and Latin hypercube samples, for uncertainty
               bands (no indices)

Shapes: a sample matrix ``X`` has shape ``(n_rows, n_factors)``, one column per
uncertain parameter; model results ``Y`` have shape ``(n_rows, n_targets)``,
one column per quantity analysed (an output at one time, or a KPI). Indices
come back with shape ``(n_targets, n_labels)`` (``(n_targets, n_labels,
n_labels)`` for S2), where the labels are the groups, or the factors when no
group is given.

Randomness comes only from the ``seed`` argument (``int``, a
:class:`numpy.random.Generator` or ``None`` for fresh entropy). SALib's FAST,
delta and PAWN analysers seed numpy's legacy global generator; they run inside
:func:`_contained`, which restores its state (and the warning filters SALib
changes) afterwards, so their results depend on ``seed`` alone and the
caller's global state is untouched.

Sobol' indices are computed here, vectorised over targets, with the estimators
and bootstrap of ``SALib.analyze.sobol`` (Saltelli et al. 2010,
doi:10.1016/j.cpc.2009.09.018; Saltelli 2002, doi:10.1016/S0010-4655(02)00280-1):
the same numbers as SALib for a single target (tested), but one pass for every
saved time of every output instead of one SALib call each. A target with no
variance gets NaN indices (SALib returns zeros with a warning).
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import importlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

import numpy as np

from simulator.errors import SweepError

__all__ = [
    "DISTRIBUTIONS",
    "METHODS",
    "Distribution",
    "Factor",
    "Method",
    "MethodKind",
    "Problem",
    "SampleSize",
    "Seed",
    "analyse",
    "get_method",
    "resolve_options",
    "salib_version",
    "sample",
]

Seed = int | np.random.Generator | None

#: Elements (about d^2 n t) of the arrays the Sobol' analyser builds per block of targets.
_BOOTSTRAP_BLOCK = 1 << 22


def salib_version() -> str:
    """The installed SALib version, for provenance."""
    from importlib.metadata import version

    return version("SALib")


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


# -- methods ---------------------------------------------------------------------------------------


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


def get_method(name: str) -> Method:
    """The method registered as ``name``.

    Raises
    ------
    SweepError
        Unknown name, with a did-you-mean suggestion.
    """
    try:
        return METHODS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(METHODS), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise SweepError(
            f"unknown method '{name}'; {hint}use one of {', '.join(METHODS)}"
        ) from None


def resolve_options(method: Method, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The method's defaults updated with ``options``, each checked by name and type.

    Raises
    ------
    SweepError
        An unknown option, or a value of the wrong type.

    Examples
    --------
    >>> resolve_options(METHODS["morris"], {"num_levels": 6})["num_levels"]
    6
    """
    resolved = dict(method.options)
    for key, value in (options or {}).items():
        if key not in method.options:
            known = ", ".join(method.options) or "none"
            raise SweepError(f"method '{method.name}' has no option '{key}' (options: {known})")
        default = method.options[key]
        if default is not None and not _same_kind(default, value):
            raise SweepError(
                f"option '{key}' of method '{method.name}' takes a {type(default).__name__}, "
                f"got {value!r}"
            )
        resolved[key] = value
    return resolved


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def sample(
    problem: Problem,
    method: str | Method,
    n: int,
    *,
    seed: Seed = None,
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Draw the sample matrix of ``method``.

    Parameters
    ----------
    problem : Problem
    method : str or Method
    n : int
        The base sample size ``N`` (what it counts depends on the method).
    seed : int, numpy.random.Generator or None
    options : mapping, optional
        Method options (see ``METHODS[name].options``).

    Returns
    -------
    ndarray, shape (n_rows, n_factors)
        ``n_rows = method.n_rows(n, len(problem.labels), options)``.

    Raises
    ------
    SweepError
        ``n`` not allowed, options unknown, groups or distributions the method
        does not support.

    Examples
    --------
    >>> p = Problem((Factor("a", params=(0, 1)), Factor("b", params=(10, 20))))
    >>> X = sample(p, "sobol", 8, seed=1)
    >>> X.shape
    (48, 2)
    >>> bool(np.all((X[:, 1] >= 10) & (X[:, 1] <= 20)))
    True
    """
    method = get_method(method) if isinstance(method, str) else method
    resolved = resolve_options(method, options)
    _check_problem(problem, method)
    reason = method.sample_size.problem(n, resolved)
    if reason:
        raise SweepError(f"method '{method.name}': {reason}")
    with _contained():
        X = method.sampler(problem, n, seed, resolved)
    return np.ascontiguousarray(X, dtype=float)


def analyse(
    problem: Problem,
    method: str | Method,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    seed: Seed = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Sensitivity indices of each column of ``Y``.

    Parameters
    ----------
    problem : Problem
    method : str or Method
        A method of kind :attr:`MethodKind.INDICES`.
    X : ndarray, shape (n_rows, n_factors)
        The sample matrix from :func:`sample` (same method and options).
    Y : ndarray, shape (n_rows,) or (n_rows, n_targets)
    seed : int, numpy.random.Generator or None
        For bootstrap confidence intervals.
    options : mapping, optional

    Returns
    -------
    dict of str -> ndarray
        Index name -> shape ``(n_targets, n_labels)`` (``(n_labels,)`` when ``Y`` is
        1-D), or ``(n_targets, n_labels, n_labels)`` for pairwise indices. Confidence
        half-widths are ``<index>_conf``. Targets without variance give NaN.

    Examples
    --------
    >>> p = Problem((Factor("a"), Factor("b")))
    >>> X = sample(p, "sobol", 256, seed=2)
    >>> S = analyse(p, "sobol", X, 3 * X[:, 0] + X[:, 1], seed=2)
    >>> np.round(S["S1"], 1)
    array([0.9, 0.1])
    """
    method = get_method(method) if isinstance(method, str) else method
    if method.analyser is None:
        raise SweepError(f"method '{method.name}' gives uncertainty bands, not sensitivity indices")
    resolved = resolve_options(method, options)
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    single = Y.ndim == 1
    Y2 = Y[:, None] if single else Y
    if X.ndim != 2 or X.shape != (Y2.shape[0], len(problem.factors)):
        raise SweepError(
            f"X has shape {X.shape} and Y {Y.shape}; expected (n_rows, {len(problem.factors)}) "
            "and (n_rows,) or (n_rows, n_targets)"
        )
    with _contained():
        result = method.analyser(problem, X, Y2, _int_seed(seed), resolved)
    return {k: v[0] for k, v in result.items()} if single else result


def _check_problem(problem: Problem, method: Method) -> None:
    if problem.grouped and not method.groups:
        raise SweepError(f"method '{method.name}' does not support groups of factors")
    if method.bounded_only:
        for f in problem.factors:
            if not DISTRIBUTIONS[f.dist].bounded:
                raise SweepError(
                    f"method '{method.name}' needs bounded distributions (unif, triang); "
                    f"factor '{f.name}' is {f.dist}"
                )


def _int_seed(seed: Seed) -> int:
    """A positive int for SALib's analysers (which treat 0 and None as 'use the global RNG')."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(1, 2**31 - 1))


@contextlib.contextmanager
def _contained() -> Iterator[None]:
    """Undo SALib's side effects: numpy's global RNG state, warning filters and format."""
    state = np.random.get_state()  # noqa: NPY002 (saved to undo SALib's seeding)
    formatwarning = warnings.formatwarning
    try:
        # record=True swallows what SALib shows even after it resets the filters (delta does)
        with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
        warnings.formatwarning = formatwarning


# -- samplers --------------------------------------------------------------------------------------


def _sobol_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import sobol as salib_sobol_sampler

    return salib_sobol_sampler.sample(
        problem.salib(),
        n,
        calc_second_order=options["calc_second_order"],
        scramble=options["scramble"],
        seed=seed,
    )


def _morris_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import morris as salib_morris_sampler

    return salib_morris_sampler.sample(
        problem.salib(), n, num_levels=options["num_levels"], seed=seed
    )


def _fast_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import fast_sampler as salib_fast_sampler

    return salib_fast_sampler.sample(problem.salib(), n, M=options["M"], seed=seed)


def _latin_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import latin as salib_latin

    return salib_latin.sample(problem.salib(), n, seed=seed)


def _monte_carlo_sample(
    problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]
) -> np.ndarray:
    from SALib.util import scale_samples

    salib_problem = problem.salib()
    rng = np.random.default_rng(seed)
    labels = problem.labels
    unit = rng.random((n, len(labels)))
    column = {label: i for i, label in enumerate(labels)}
    keys = [f.group or f.name for f in problem.factors] if problem.grouped else problem.names
    U = unit[:, [column[k] for k in keys]]
    return np.asarray(scale_samples(U, salib_problem))


# -- analysers -------------------------------------------------------------------------------------


def _sobol_analyse(
    problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, options: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Sobol' indices of every column of ``Y`` at once, as ``SALib.analyze.sobol`` computes them.

    The bootstrap draws the same resamples as SALib (``integers(n, size=(n, resamples))``
    from ``default_rng(seed)``); a resample mean is a row of ``counts @ values / n``,
    so every resample, factor and target is one matrix product.
    """
    d = len(problem.labels)
    second = bool(options["calc_second_order"])
    step = 2 * d + 2 if second else d + 2
    if Y.shape[0] % step:
        raise SweepError(
            f"Sobol' analysis: {Y.shape[0]} rows is not a multiple of {step}; "
            "was the sample drawn with the same calc_second_order?"
        )
    n, n_targets = Y.shape[0] // step, Y.shape[1]
    resamples = int(options["num_resamples"])
    z = NormalDist().inv_cdf(0.5 + float(options["conf_level"]) / 2)
    r = np.random.default_rng(seed).integers(n, size=(n, resamples))
    counts = np.stack([np.bincount(r[:, b], minlength=n) for b in range(resamples)]) / n
    keys = ("S1", "ST", "S2") if second else ("S1", "ST")
    out = {}
    for key in keys:
        shape = (n_targets, d, d) if key == "S2" else (n_targets, d)
        out[key] = np.full(shape, np.nan)
        out[f"{key}_conf"] = np.full(shape, np.nan)
    mean, std = Y.mean(axis=0), Y.std(axis=0)
    varied = np.flatnonzero(std > 1e3 * np.finfo(float).eps * np.maximum(1.0, np.abs(mean)))
    block = max(1, _BOOTSTRAP_BLOCK // (n * (d * d + 2 * d + 4)))
    for start in range(0, len(varied), block):
        cols = varied[start : start + block]
        Ys = (Y[:, cols] - mean[cols]) / std[cols]
        A, B = Ys[0::step], Ys[step - 1 :: step]  # (n, t)
        AB = np.stack([Ys[j + 1 :: step] for j in range(d)])  # (d, n, t)
        BA = np.stack([Ys[j + 1 + d :: step] for j in range(d)]) if second else None
        point = _sobol_estimates(A, AB, BA, B, lambda f: np.mean(f, axis=-2))
        boot = _sobol_estimates(A, AB, BA, B, lambda f: np.einsum("bn,...nt->...bt", counts, f))
        for key, value in point.items():
            out[key][cols] = np.moveaxis(value, -1, 0)
            spread = z * boot[key].std(axis=-2, ddof=1)  # over resamples
            out[f"{key}_conf"][cols] = np.moveaxis(spread, -1, 0)
    return out


def _sobol_estimates(
    A: np.ndarray,
    AB: np.ndarray,
    BA: np.ndarray | None,
    B: np.ndarray,
    mean: Callable[[np.ndarray], np.ndarray],
) -> dict[str, np.ndarray]:
    """Saltelli 2010 first and total order and Saltelli 2002 second order, over variance.

    ``A``, ``B`` have shape ``(n, t)``, ``AB``, ``BA`` ``(d, n, t)``; ``mean`` averages
    over the ``n`` axis (second to last) and may return a resample axis in its place.
    Results: ``(d, ..., t)`` for S1 and ST, ``(d, d, ..., t)`` for S2 (upper triangle;
    NaN elsewhere).
    """
    mean_ab = (mean(A) + mean(B)) / 2
    var = (mean(A * A) + mean(B * B)) / 2 - mean_ab**2
    s1 = mean(B * (AB - A)) / var
    estimates = {"S1": s1, "ST": 0.5 * mean((A - AB) ** 2) / var}
    if BA is not None:
        d = AB.shape[0]
        s2 = np.full((d, *s1.shape), np.nan)
        upper = np.triu_indices(d, 1)
        vjk = (mean(BA[upper[0]] * AB[upper[1]]) - mean(A * B)) / var
        s2[upper] = vjk - s1[upper[0]] - s1[upper[1]]
        estimates["S2"] = s2
    return estimates


#: ``analyse_one(salib_problem, X, y, seed, options)``: SALib's indices of one target.
OneTarget = Callable[
    [dict[str, Any], np.ndarray, np.ndarray, int, Mapping[str, Any]], Mapping[str, Any]
]


def _per_target(analyse_one: OneTarget, keys: Sequence[str]) -> Analyser:
    """An analyser that calls SALib once per target, leaving NaN for constant targets."""

    def analyser(
        problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, options: Mapping[str, Any]
    ) -> dict[str, np.ndarray]:
        salib_problem = problem.salib()
        n_labels = len(problem.labels)
        out = {key: np.full((Y.shape[1], n_labels), np.nan) for key in keys}
        for t in range(Y.shape[1]):
            y = np.ascontiguousarray(Y[:, t])
            if not np.all(np.isfinite(y)) or np.ptp(y) <= np.finfo(float).eps * max(
                1.0, float(np.abs(y).max())
            ):
                continue
            result = analyse_one(salib_problem, X, y, seed, options)
            for key in keys:
                out[key][t] = np.ma.filled(np.ma.asarray(result[key], dtype=float), np.nan)
        return out

    return analyser


def _salib_analyze(module: str, *, takes_x: bool = True, **fixed: Any) -> OneTarget:
    """``SALib.analyze.<module>.analyze`` on one target, the method's options passed by name.

    The options of each method in :data:`METHODS` are named as SALib's keyword arguments.
    """

    def analyse_one(
        problem: dict[str, Any], X: np.ndarray, y: np.ndarray, seed: int, options: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        analyze = importlib.import_module(f"SALib.analyze.{module}").analyze
        inputs = (X, y) if takes_x else (y,)
        return analyze(problem, *inputs, seed=seed, **options, **fixed)

    return analyse_one


def _delta_one(
    problem: dict[str, Any], X: np.ndarray, y: np.ndarray, seed: int, options: Mapping[str, Any]
) -> Mapping[str, Any]:
    result = _salib_analyze("delta", method="all")(problem, X, y, seed, options)
    return {
        "delta": result["delta_raw"],
        "delta_conf": result["delta_raw_conf"],
        "S1": result["S1"],
        "S1_conf": result["S1_conf"],
    }


_CONF = {"num_resamples": 100, "conf_level": 0.95}


def _runs_n(n: int, labels: int, options: Mapping[str, Any]) -> int:
    return n


#: Methods by name.
METHODS: Mapping[str, Method] = MappingProxyType(
    {
        "sobol": Method(
            name="sobol",
            title="Sobol' variance-based indices (Saltelli/Sobol' sampling)",
            sampler=_sobol_sample,
            n_rows=lambda n, g, o: n * (2 * g + 2 if o["calc_second_order"] else g + 2),
            sample_size=SampleSize(lambda o: 4, power_of_two=True, meaning="base samples"),
            analyser=_sobol_analyse,
            indices=("S1", "ST"),
            options={"calc_second_order": True, "scramble": True, **_CONF},
            reference="Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018",
        ),
        "morris": Method(
            name="morris",
            title="Morris elementary effects (screening)",
            sampler=_morris_sample,
            n_rows=lambda n, g, o: n * (g + 1),
            sample_size=SampleSize(lambda o: 2, meaning="trajectories"),
            analyser=_per_target(
                _salib_analyze("morris"), ("mu", "mu_star", "mu_star_conf", "sigma")
            ),
            indices=("mu_star", "sigma"),
            options={"num_levels": 4, **_CONF},
            bounded_only=True,
            reference="Morris 1991, doi:10.1080/00401706.1991.10484804",
        ),
        "fast": Method(
            name="fast",
            title="Extended Fourier amplitude sensitivity test (eFAST)",
            sampler=_fast_sample,
            n_rows=lambda n, g, o: n * g,
            sample_size=SampleSize(lambda o: 4 * o["M"] ** 2 + 1, meaning="runs per factor"),
            analyser=_per_target(
                _salib_analyze("fast", takes_x=False), ("S1", "S1_conf", "ST", "ST_conf")
            ),
            indices=("S1", "ST"),
            options={"M": 4, **_CONF},
            groups=False,
            bounded_only=True,
            reference="Saltelli et al. 1999, doi:10.1080/00401706.1999.10485594",
        ),
        "rbd_fast": Method(
            name="rbd_fast",
            title="Random balance designs FAST",
            sampler=_latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2 * o["M"] + 1),
            analyser=_per_target(_salib_analyze("rbd_fast"), ("S1", "S1_conf")),
            indices=("S1",),
            options={"M": 10, **_CONF},
            groups=False,
            reference="Tarantola et al. 2006, doi:10.1016/j.ress.2005.06.003",
        ),
        "delta": Method(
            name="delta",
            title="Borgonovo's delta moment-independent measure",
            sampler=_latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 20),
            analyser=_per_target(_delta_one, ("delta", "delta_conf", "S1", "S1_conf")),
            indices=("delta", "S1"),
            options=dict(_CONF),
            groups=False,
            reference="Borgonovo 2007, doi:10.1016/j.ress.2006.04.015",
        ),
        "pawn": Method(
            name="pawn",
            title="PAWN density-based indices",
            sampler=_latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2 * o["S"]),
            analyser=_per_target(
                _salib_analyze("pawn"), ("minimum", "mean", "median", "maximum", "CV", "stdev")
            ),
            indices=("median",),
            options={"S": 10},
            reference="Pianosi and Wagener 2015, doi:10.1016/j.envsoft.2015.01.004",
        ),
        "monte_carlo": Method(
            name="monte_carlo",
            title="Plain Monte Carlo sample (uncertainty bands)",
            sampler=_monte_carlo_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2),
        ),
        "latin": Method(
            name="latin",
            title="Latin hypercube sample (uncertainty bands)",
            sampler=_latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2),
            reference="McKay et al. 1979, doi:10.2307/1268522",
        ),
    }
)
