"""The methods by name, and the checking of their options."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from simulator.analysis.sensitivity.method import Method, SampleSize
from simulator.analysis.sensitivity.salib import delta_one, per_target, salib_analyze
from simulator.analysis.sensitivity.samplers import (
    fast_sample,
    latin_sample,
    monte_carlo_sample,
    morris_sample,
    sobol_sample,
)
from simulator.analysis.sensitivity.sobol import sobol_analyse
from simulator.errors import SweepError

__all__ = ["METHODS", "get_method", "resolve_options"]


_CONF = {"num_resamples": 100, "conf_level": 0.95}


def _runs_n(n: int, labels: int, options: Mapping[str, Any]) -> int:
    return n


#: Methods by name.
METHODS: Mapping[str, Method] = MappingProxyType(
    {
        "sobol": Method(
            name="sobol",
            title="Sobol' variance-based indices (Saltelli/Sobol' sampling)",
            sampler=sobol_sample,
            n_rows=lambda n, g, o: n * (2 * g + 2 if o["calc_second_order"] else g + 2),
            sample_size=SampleSize(lambda o: 4, power_of_two=True, meaning="base samples"),
            analyser=sobol_analyse,
            indices=("S1", "ST"),
            options={"calc_second_order": True, "scramble": True, **_CONF},
            reference="Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018",
        ),
        "morris": Method(
            name="morris",
            title="Morris elementary effects (screening)",
            sampler=morris_sample,
            n_rows=lambda n, g, o: n * (g + 1),
            sample_size=SampleSize(lambda o: 2, meaning="trajectories"),
            analyser=per_target(
                salib_analyze("morris"), ("mu", "mu_star", "mu_star_conf", "sigma")
            ),
            indices=("mu_star", "sigma"),
            options={"num_levels": 4, **_CONF},
            bounded_only=True,
            reference="Morris 1991, doi:10.1080/00401706.1991.10484804",
        ),
        "fast": Method(
            name="fast",
            title="Extended Fourier amplitude sensitivity test (eFAST)",
            sampler=fast_sample,
            n_rows=lambda n, g, o: n * g,
            sample_size=SampleSize(lambda o: 4 * o["M"] ** 2 + 1, meaning="runs per factor"),
            analyser=per_target(
                salib_analyze("fast", takes_x=False), ("S1", "S1_conf", "ST", "ST_conf")
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
            sampler=latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2 * o["M"] + 1),
            analyser=per_target(salib_analyze("rbd_fast"), ("S1", "S1_conf")),
            indices=("S1",),
            options={"M": 10, **_CONF},
            groups=False,
            reference="Tarantola et al. 2006, doi:10.1016/j.ress.2005.06.003",
        ),
        "delta": Method(
            name="delta",
            title="Borgonovo's delta moment-independent measure",
            sampler=latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 20),
            analyser=per_target(delta_one, ("delta", "delta_conf", "S1", "S1_conf")),
            indices=("delta", "S1"),
            options=dict(_CONF),
            groups=False,
            reference="Borgonovo 2007, doi:10.1016/j.ress.2006.04.015",
        ),
        "pawn": Method(
            name="pawn",
            title="PAWN density-based indices",
            sampler=latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2 * o["S"]),
            analyser=per_target(
                salib_analyze("pawn"), ("minimum", "mean", "median", "maximum", "CV", "stdev")
            ),
            indices=("median",),
            options={"S": 10},
            reference="Pianosi and Wagener 2015, doi:10.1016/j.envsoft.2015.01.004",
        ),
        "monte_carlo": Method(
            name="monte_carlo",
            title="Plain Monte Carlo sample (uncertainty bands)",
            sampler=monte_carlo_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2),
        ),
        "latin": Method(
            name="latin",
            title="Latin hypercube sample (uncertainty bands)",
            sampler=latin_sample,
            n_rows=_runs_n,
            sample_size=SampleSize(lambda o: 2),
            reference="McKay et al. 1979, doi:10.2307/1268522",
        ),
    }
)


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
