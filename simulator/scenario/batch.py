"""Several scenarios of one model as one batch: their parameters stacked along ``run``.

Scenarios can share a batch when they have the same model file, time
settings, method, lookup overrides and table interventions
(:func:`batch_key`). Constants become arrays of shape ``(n_runs,)``; each
intervened constant gets one equation whose numbers differ by run
(:func:`simulator.scenario.interventions.batch_equation`). By the engine's
vectorisation contract, each run gives what its scenario gives alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from simulator.model.ir import Expr, Model
from simulator.scenario.interventions import Term, batch_equation, table_equation, terms
from simulator.scenario.resolved import Scenario
from simulator.scenario.schema import Table

__all__ = ["batch_key", "batch_kwargs"]


def batch_key(scenario: Scenario) -> Hashable:
    """Scenarios with equal keys can run in one batch."""
    tables = tuple(
        sorted((i.variable, i.points) for i in scenario.interventions if isinstance(i, Table))
    )
    return (
        str(scenario.model_path.resolve()),
        scenario.model_hash,
        scenario.time,
        tuple(sorted(scenario.lookups.items())),
        tables,
    )


def batch_kwargs(scenarios: Sequence[Scenario], model: Model) -> dict[str, Any]:
    """Keyword arguments for :func:`simulator.simulate` running ``scenarios`` as runs.

    Parameters
    ----------
    scenarios : sequence of Scenario
        With equal :func:`batch_key`; run ``r`` is ``scenarios[r]``.
    model : Model

    Returns
    -------
    dict
        As :meth:`Scenario.simulate_kwargs`, with ``params`` values of shape
        ``(n_runs,)`` or per-run expressions, and the union of the outputs.

    Raises
    ------
    ValueError
        The scenarios do not share a batch key, or cannot be stacked.
    """
    if len({batch_key(s) for s in scenarios}) != 1:
        raise ValueError("scenarios in one batch must share model, time, lookups and tables")
    first = scenarios[0]
    groups = [s.intervened() for s in scenarios]
    names = list(dict.fromkeys(n for s in scenarios for n in (*s.constants, *s.intervened())))
    params: dict[str, np.ndarray | Expr] = {}
    for name in names:
        bases = np.array([s.base_value(model, name) for s in scenarios])
        if not any(name in g for g in groups):
            params[name] = bases
            continue
        tables = [i for g in groups for i in g.get(name, []) if isinstance(i, Table)]
        if tables:
            params[name] = table_equation(tables[0])
            continue
        runs: list[list[Term]] = [
            terms(float(base), [i for i in g.get(name, []) if not isinstance(i, Table)])
            for base, g in zip(bases, groups, strict=True)
        ]
        params[name] = batch_equation(bases, runs)
    if not any(isinstance(v, np.ndarray) for v in params.values()) and len(scenarios) > 1:
        # The engine counts runs from array parameters; give it one that changes nothing.
        free = [c for c in model.constants if c.name not in params and c.value is not None]
        if not free:
            raise ValueError("the model has no free constant to carry the batch size")
        params[free[0].name] = np.full(len(scenarios), free[0].value)
    outputs = list(dict.fromkeys(n for s in scenarios for n in s.output_names(model)))
    kwargs = first.simulate_kwargs(model)
    return {**kwargs, "params": params, "outputs": outputs}
