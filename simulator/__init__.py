"""Vectorised system-dynamics simulation, and the CBEC x industrial-cluster model.

The public API, used by the CLI and the notebooks::

    import simulator
    model = simulator.load_model("models/cbec_cluster.mdl")
    ds = simulator.simulate(model, {"enterprise income tax points waived": [0.0, 5.0]})
"""

from simulator.analysis.compare import Comparison, compare_scenarios
from simulator.engine.compile import CompiledModel, compile_model
from simulator.engine.integrators import INTEGRATORS
from simulator.engine.results import to_pysd_frame
from simulator.engine.simulate import ENGINES, simulate
from simulator.errors import (
    AlgebraicLoopError,
    ModelError,
    ModelFileError,
    ScenarioError,
    SimulationError,
    SimulatorError,
    SimulatorWarning,
    SweepError,
    UndefinedReferenceError,
    UnknownNameError,
    UnsupportedConstructError,
)
from simulator.loading import load_model
from simulator.model.ir import Element, ElementKind, LookupTable, Model, TimeSpec
from simulator.scenario import Scenario, load_scenario, run_scenario
from simulator.version import package_version

__version__ = package_version()

__all__ = [
    "ENGINES",
    "INTEGRATORS",
    "AlgebraicLoopError",
    "Comparison",
    "CompiledModel",
    "Element",
    "ElementKind",
    "LookupTable",
    "Model",
    "ModelError",
    "ModelFileError",
    "Scenario",
    "ScenarioError",
    "SimulationError",
    "SimulatorError",
    "SimulatorWarning",
    "SweepError",
    "TimeSpec",
    "UndefinedReferenceError",
    "UnknownNameError",
    "UnsupportedConstructError",
    "__version__",
    "compare_scenarios",
    "compile_model",
    "load_model",
    "load_scenario",
    "run_scenario",
    "simulate",
    "to_pysd_frame",
]

# -- sensitivity and uncertainty sweeps -----------------------------------------------------------
from simulator.analysis.sensitivity import METHODS as SENSITIVITY_METHODS

# the live what-if in notebooks (ipywidgets is imported only when explore() is called)
from simulator.errors import (
    ExploreError,
    MissingExtraError,
    SweepDistributionError,
    SweepFileError,
    SweepNameError,
    SweepRangeError,
    SweepSampleSizeError,
    SweepSchemaError,
    SweepSyntaxError,
)
from simulator.executors import EXECUTORS, Executor
from simulator.report.explore import Lever, explore
from simulator.report.sensitivity_plots import (
    plot_fan,
    plot_indices,
    plot_indices_over_time,
    plot_morris,
    plot_policy_effect,
)
from simulator.sweep import Sweep, SweepResult, load_sweep, run_sweep

__all__ += [
    "EXECUTORS",
    "SENSITIVITY_METHODS",
    "Executor",
    "Sweep",
    "SweepDistributionError",
    "SweepFileError",
    "SweepNameError",
    "SweepRangeError",
    "SweepResult",
    "SweepSampleSizeError",
    "SweepSchemaError",
    "SweepSyntaxError",
    "load_sweep",
    "plot_fan",
    "plot_indices",
    "plot_indices_over_time",
    "plot_morris",
    "plot_policy_effect",
    "run_sweep",
]

# -- the live what-if in notebooks
__all__ += ["ExploreError", "Lever", "MissingExtraError", "explore"]
