"""Sensitivity and uncertainty sweeps: the description, its execution in chunks, the results.

A :class:`Sweep` says what is uncertain (parameters with bounds or
distributions, optionally in groups), how to sample it (a method of
:data:`simulator.analysis.sensitivity.METHODS` and a sample size ``N``, with a
seed), what to look at (outputs: a variable at chosen years, a KPI over a
window, or every saved time) and around which run (a base scenario, or a
model alone, plus policy scenarios to compare on the same samples).
:func:`load_sweep` reads one from YAML, :func:`run_sweep` runs it::

    sample matrix X, shape (n_rows, n_params)
      -> for each scenario, chunks of X through the batched engine, on an executor
         (in this process, on every local core, or on a Dask cluster)
      -> each finished chunk into a store (on disk: resumable), shape (n_block, n_t) per output
      -> per output, all runs read back: sensitivity indices (SALib) or percentile bands,
         also of policy - baseline
      -> SweepResult: xarray Datasets, saved atomically with provenance

A sweep file (see ``scenarios/sweeps/`` for complete ones)::

    name: tax incentive effect
    scenario: ../baseline.yaml          # or  model: ../../models/cbec_cluster.mdl
    compare: [../tax_incentives.yaml]   # policies, run on the same samples
    method: sobol                       # sobol morris fast rbd_fast delta pawn
    N: 256                              #   monte_carlo latin
    seed: 20240614
    parameters:                         # bounds (uniform), or dist: triang/norm/lognorm
      - {name: capital elasticity to after tax margin, bounds: [0.5, 1.5]}
      - {name: share elasticity to competitiveness, dist: triang, bounds: [1, 3], mode: 1.5}
      - {name: price elasticity of competitiveness, dist: norm, mean: 1.5, sd: 0.2}
    outputs:
      - {variable: cluster development index U2, at: [2030, 2035]}
      - {variable: CBEC total trade, stat: integral, window: [2025, 2035]}
      - {variable: coupling coordination degree D, at: all}
    # how to run it (optional; none of these changes the results)
    chunk_size: 8192                    # runs per engine batch
    executor: dask                      # local (default), processes, dask
    scheduler: tcp://scheduler-host:8786      # for dask

Results do not depend on ``chunk_size``, on the executor, or on how often the
sweep was interrupted and resumed: each chunk is a batch, and a batch gives
each member what running it alone gives.

Modules: :mod:`~simulator.sweep.description` (the :class:`Sweep` model),
:mod:`~simulator.sweep.load` (YAML), :mod:`~simulator.sweep.job` (the unit of
work shipped to workers), :mod:`~simulator.sweep.plan` (scenarios and checks
against the model), :mod:`~simulator.sweep.store` (chunk stores),
:mod:`~simulator.sweep.execution` (:func:`run_sweep`),
:mod:`~simulator.sweep.analyse` (indices and bands) and
:mod:`~simulator.sweep.results` (:class:`SweepResult` and its files).
"""

from simulator.sweep.description import KPIS, Output, Parameter, Sweep, TimeOverrides
from simulator.sweep.execution import run_sweep
from simulator.sweep.load import load_sweep
from simulator.sweep.plan import plan_cases
from simulator.sweep.results import FORMATS, SweepResult

__all__ = [
    "FORMATS",
    "KPIS",
    "Output",
    "Parameter",
    "Sweep",
    "SweepResult",
    "TimeOverrides",
    "load_sweep",
    "plan_cases",
    "run_sweep",
]
