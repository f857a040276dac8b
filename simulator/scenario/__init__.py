"""Scenario files: YAML what-ifs validated into frozen :class:`Scenario` objects.

The file format is documented in ``docs/scenarios.md``; its JSON Schema
(``docs/scenario.schema.json``) comes from :func:`json_schema`. The package
reads files safely (:mod:`~simulator.scenario.source`), validates each against
the schema (:mod:`~simulator.scenario.parse`), follows ``extends`` chains
(:mod:`~simulator.scenario.chain`), checks names and years against the model
(:mod:`~simulator.scenario.validate`) and compiles interventions to model
equations (:mod:`~simulator.scenario.interventions`).
"""

from __future__ import annotations

import json
from pathlib import Path

from simulator.scenario.batch import batch_key, batch_kwargs
from simulator.scenario.chain import read_chain
from simulator.scenario.resolved import Scenario, TimeSettings
from simulator.scenario.run import run_scenario, scenario_attrs
from simulator.scenario.schema import KPI, Pulse, Ramp, ScenarioFile, Step, Table, json_schema
from simulator.scenario.validate import resolve

__all__ = [
    "KPI",
    "Pulse",
    "Ramp",
    "Scenario",
    "ScenarioFile",
    "Step",
    "Table",
    "TimeSettings",
    "batch_key",
    "batch_kwargs",
    "json_schema",
    "load_scenario",
    "run_scenario",
    "scenario_attrs",
    "schema_text",
]


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge and validate a scenario file, before any run.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file (see ``docs/scenarios.md``).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Its subclasses name the file, line and field at fault:
        :class:`~simulator.errors.ScenarioSyntaxError` (not YAML),
        :class:`~simulator.errors.ScenarioSchemaError` (keys, types, ranges),
        :class:`~simulator.errors.ScenarioExtendsError` (missing parent, cycle),
        :class:`~simulator.errors.ScenarioModelError` (model file),
        :class:`~simulator.errors.ScenarioNameError` (names not in the model),
        :class:`~simulator.errors.ScenarioRangeError` (time settings, years).

    Examples
    --------
    >>> scenario = load_scenario("scenarios/tax_incentives.yaml")
    >>> scenario.name, scenario.time.start, scenario.time.stop
    ('tax incentives', 2018.0, 2035.0)
    >>> scenario.interventions[0].type, scenario.interventions[0].variable
    ('ramp', 'enterprise income tax points waived')
    """
    scenario, _ = resolve(read_chain(Path(path)))
    return scenario


def schema_text() -> str:
    """The JSON Schema of scenario files as the text of ``docs/scenario.schema.json``."""
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
