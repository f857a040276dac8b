"""Samplers of the methods, each SALib's own (Monte Carlo drawn here, scaled by SALib)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simulator.analysis.sensitivity.problem import Problem, Seed


def sobol_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import sobol as salib_sobol_sampler

    return salib_sobol_sampler.sample(
        problem.salib(),
        n,
        calc_second_order=options["calc_second_order"],
        scramble=options["scramble"],
        seed=seed,
    )


def morris_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import morris as salib_morris_sampler

    return salib_morris_sampler.sample(
        problem.salib(), n, num_levels=options["num_levels"], seed=seed
    )


def fast_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import fast_sampler as salib_fast_sampler

    return salib_fast_sampler.sample(problem.salib(), n, M=options["M"], seed=seed)


def latin_sample(problem: Problem, n: int, seed: Seed, options: Mapping[str, Any]) -> np.ndarray:
    from SALib.sample import latin as salib_latin

    return salib_latin.sample(problem.salib(), n, seed=seed)


def monte_carlo_sample(
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
