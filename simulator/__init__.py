"""Vectorised system-dynamics simulation, and the CBEC x industrial-cluster model.

The public API, used by the CLI and the notebooks::

    import simulator
    model = simulator.load_model("models/cbec_cluster.mdl")
    ds = simulator.simulate(model, {"tax incentive for cluster firms": [0.0, 0.05]})
"""

from simulator.engine.compile import CompiledModel, compile_model
from simulator.engine.integrators import INTEGRATORS
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
from simulator.model.ir import Element, ElementKind, LookupTable, Model, TimeSpec
from simulator.loading import load_model
from simulator.results import package_version

__version__ = package_version()

__all__ = [
    "ENGINES",
    "INTEGRATORS",
    "AlgebraicLoopError",
    "CompiledModel",
    "Element",
    "ElementKind",
    "LookupTable",
    "Model",
    "ModelError",
    "ModelFileError",
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
    "compile_model",
    "load_model",
    "simulate",
]
