"""Run one scenario."""

from __future__ import annotations

import xarray as xr

from simulator.engine.simulate import simulate
from simulator.scenario.resolved import Scenario

__all__ = ["run_scenario", "scenario_attrs"]


def scenario_attrs(scenario: Scenario) -> dict[str, str]:
    """Provenance of a scenario, for a Dataset's attrs."""
    return {
        "scenario": scenario.name,
        "scenario_hash": scenario.digest,
        "scenario_file": str(scenario.source or ""),
    }


def run_scenario(scenario: Scenario, *, progress: bool = False) -> xr.Dataset:
    """Run ``scenario`` on its model.

    Parameters
    ----------
    scenario : Scenario
        From :func:`simulator.load_scenario`.
    progress : bool
        Show a progress bar.

    Returns
    -------
    xarray.Dataset
        Dims ``run`` (length 1) and ``time``; the scenario's outputs and KPI
        variables; provenance (model hash, scenario hash, package version)
        in ``attrs``.

    Examples
    --------
    >>> import simulator
    >>> scenario = simulator.load_scenario("scenarios/tax_incentives.yaml")
    >>> ds = simulator.run_scenario(scenario)
    >>> ds["coupling coordination degree D"].dims
    ('run', 'time')
    >>> ds.attrs["scenario_hash"] == scenario.digest
    True
    """
    model = scenario.load_model()
    dataset = simulate(model, **scenario.simulate_kwargs(model), progress=progress)
    dataset.attrs.update(scenario_attrs(scenario))
    return dataset
