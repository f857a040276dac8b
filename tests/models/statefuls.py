"""
Python model 'statefuls.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.functions import modulo, step, active_initial
from pysd.py_backend.statefuls import (
    Integ,
    Initial,
    Forecast,
    DelayFixed,
    DelayN,
    SampleIfTrue,
    Smooth,
    Delay,
    Trend,
)
from pysd import Component

__pysd_version__ = "3.14.3"

__data = {"scope": None, "time": lambda: 0}

_root = Path(__file__).parent


component = Component()

#######################################################################
#                          CONTROL VARIABLES                          #
#######################################################################

_control_vars = {
    "initial_time": lambda: 0,
    "final_time": lambda: 20,
    "time_step": lambda: 0.25,
    "saveper": lambda: 0.5,
}


def _init_outer_references(data):
    for key in data:
        __data[key] = data[key]


@component.add(name="Time")
def time():
    """
    Current time of the model.
    """
    return __data["time"]()


@component.add(
    name="FINAL TIME", units="Week", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="INITIAL TIME", units="Week", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="SAVEPER",
    units="Week",
    limits=(0.0, np.nan),
    comp_type="Constant",
    comp_subtype="Normal",
)
def saveper():
    """
    The frequency with which output is stored.
    """
    return __data["time"].saveper()


@component.add(
    name="TIME STEP",
    units="Week",
    limits=(0.0, np.nan),
    comp_type="Constant",
    comp_subtype="Normal",
)
def time_step():
    """
    The time step for the simulation.
    """
    return __data["time"].time_step()


#######################################################################
#                           MODEL VARIABLES                           #
#######################################################################


@component.add(
    name="signal",
    units="units/Week",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time": 2, "inventory": 1},
)
def signal():
    """
    An input that the stateful builtins track.
    """
    return (
        10
        + 5 * float(np.sin(time() / 2))
        + step(__data["time"], 4, 3)
        + inventory() / 100
    )


@component.add(
    name="inventory",
    units="units",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_inventory": 1},
    other_deps={
        "_integ_inventory": {"initial": {}, "step": {"production": 1, "shipments": 1}}
    },
)
def inventory():
    """
    Stock feeding back into the signal.
    """
    return _integ_inventory()


_integ_inventory = Integ(
    lambda: production() - shipments(), lambda: 100, "_integ_inventory"
)


@component.add(
    name="production",
    units="units/Week",
    comp_type="Stateful",
    comp_subtype="Delay",
    depends_on={"_delay_production": 1, "_delay_production_1": 1},
    other_deps={
        "_delay_production": {
            "initial": {"signal": 1, "delay_time": 1},
            "step": {"signal": 1, "delay_time": 1},
        },
        "_delay_production_1": {"initial": {"signal": 1}, "step": {"signal": 1}},
    },
)
def production():
    """
    Material delays.
    """
    return _delay_production() + _delay_production_1() * 0.1


_delay_production = Delay(
    lambda: signal(),
    lambda: delay_time(),
    lambda: signal(),
    lambda: 3,
    time_step,
    "_delay_production",
)

_delay_production_1 = Delay(
    lambda: signal(),
    lambda: 1,
    lambda: signal(),
    lambda: 1,
    time_step,
    "_delay_production_1",
)


@component.add(
    name="shipments",
    units="units/Week",
    comp_type="Stateful",
    comp_subtype="Smooth",
    depends_on={"_smooth_shipments": 1, "_smooth_shipments_1": 1},
    other_deps={
        "_smooth_shipments": {
            "initial": {"signal": 1},
            "step": {"signal": 1, "smooth_time": 1},
        },
        "_smooth_shipments_1": {"initial": {"signal": 1}, "step": {"signal": 1}},
    },
)
def shipments():
    """
    Information delays.
    """
    return _smooth_shipments() + _smooth_shipments_1() * 0.1


_smooth_shipments = Smooth(
    lambda: signal(),
    lambda: smooth_time(),
    lambda: signal(),
    lambda: 1,
    "_smooth_shipments",
)

_smooth_shipments_1 = Smooth(
    lambda: signal(), lambda: 2, lambda: signal(), lambda: 3, "_smooth_shipments_1"
)


@component.add(
    name="delay time", units="Week", comp_type="Constant", comp_subtype="Normal"
)
def delay_time():
    """
    Average delay.
    """
    return 3


@component.add(
    name="smooth time", units="Week", comp_type="Constant", comp_subtype="Normal"
)
def smooth_time():
    """
    Averaging time.
    """
    return 2


@component.add(
    name="smooth variants",
    units="units/Week",
    comp_type="Stateful",
    comp_subtype="Smooth",
    depends_on={
        "_smooth_smooth_variants": 1,
        "_smooth_smooth_variants_1": 1,
        "_smooth_smooth_variants_2": 1,
    },
    other_deps={
        "_smooth_smooth_variants": {"initial": {}, "step": {"signal": 1}},
        "_smooth_smooth_variants_1": {"initial": {}, "step": {"signal": 1}},
        "_smooth_smooth_variants_2": {"initial": {}, "step": {"signal": 1}},
    },
)
def smooth_variants():
    """
    Smooths with initial values and order.
    """
    return (
        _smooth_smooth_variants()
        + _smooth_smooth_variants_1()
        + _smooth_smooth_variants_2()
    )


_smooth_smooth_variants = Smooth(
    lambda: signal(), lambda: 2, lambda: 5, lambda: 1, "_smooth_smooth_variants"
)

_smooth_smooth_variants_1 = Smooth(
    lambda: signal(), lambda: 3, lambda: 8, lambda: 3, "_smooth_smooth_variants_1"
)

_smooth_smooth_variants_2 = Smooth(
    lambda: signal(), lambda: 2, lambda: 4, lambda: 4, "_smooth_smooth_variants_2"
)


@component.add(
    name="delay variants",
    units="units/Week",
    comp_type="Stateful",
    comp_subtype="Delay",
    depends_on={
        "_delay_delay_variants": 1,
        "_delay_delay_variants_1": 1,
        "_delayn_delay_variants": 1,
        "_delayfixed_delay_variants": 1,
        "_delayn_delay_variants_1": 1,
    },
    other_deps={
        "_delay_delay_variants": {"initial": {}, "step": {"signal": 1}},
        "_delay_delay_variants_1": {"initial": {}, "step": {"signal": 1}},
        "_delayn_delay_variants": {"initial": {"signal": 1}, "step": {"signal": 1}},
        "_delayfixed_delay_variants": {"initial": {}, "step": {"signal": 1}},
        "_delayn_delay_variants_1": {
            "initial": {"time": 1},
            "step": {"signal": 1, "time": 1},
        },
    },
)
def delay_variants():
    """
    Delays with initial values, order, fixed delays and a varying delay time.
    """
    return (
        _delay_delay_variants()
        + _delay_delay_variants_1()
        + _delayn_delay_variants()
        + _delayfixed_delay_variants()
        + _delayn_delay_variants_1()
    )


_delay_delay_variants = Delay(
    lambda: signal(),
    lambda: 2,
    lambda: 1,
    lambda: 1,
    time_step,
    "_delay_delay_variants",
)

_delay_delay_variants_1 = Delay(
    lambda: signal(),
    lambda: 1.5,
    lambda: 2,
    lambda: 3,
    time_step,
    "_delay_delay_variants_1",
)

_delayn_delay_variants = DelayN(
    lambda: signal(),
    lambda: 2,
    lambda: signal(),
    lambda: 5,
    time_step,
    "_delayn_delay_variants",
)

_delayfixed_delay_variants = DelayFixed(
    lambda: signal(), lambda: 1.5, lambda: 3, time_step, "_delayfixed_delay_variants"
)

_delayn_delay_variants_1 = DelayN(
    lambda: signal(),
    lambda: 1 + 0.5 * time(),
    lambda: 4,
    lambda: 2,
    time_step,
    "_delayn_delay_variants_1",
)


@component.add(
    name="trends",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Forecast",
    depends_on={"_trend_trends": 1, "_forecast_trends": 1},
    other_deps={
        "_trend_trends": {"initial": {"signal": 1}, "step": {"signal": 1}},
        "_forecast_trends": {"initial": {"signal": 1}, "step": {"signal": 1}},
    },
)
def trends():
    """
    Trend and forecast.
    """
    return _trend_trends() + _forecast_trends()


_trend_trends = Trend(lambda: signal(), lambda: 2, lambda: 0.1, "_trend_trends")

_forecast_trends = Forecast(
    lambda: signal(), lambda: 3, lambda: 2, lambda: 0, "_forecast_trends"
)


@component.add(
    name="sampled",
    units="units/Week",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={"_sampleiftrue_sampled": 1, "_initial_sampled": 1},
    other_deps={
        "_sampleiftrue_sampled": {"initial": {}, "step": {"time": 1, "signal": 1}},
        "_initial_sampled": {"initial": {"signal": 1}, "step": {}},
    },
)
def sampled():
    """
    Discrete sampling and the initial value.
    """
    return _sampleiftrue_sampled() + _initial_sampled()


_sampleiftrue_sampled = SampleIfTrue(
    lambda: modulo(time(), 2) < 0.01,
    lambda: signal(),
    lambda: 0,
    "_sampleiftrue_sampled",
)

_initial_sampled = Initial(lambda: signal() * 2, "_initial_sampled")


@component.add(
    name="active",
    units="units",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"_active_initial_active": 1},
    other_deps={"_active_initial_active": {"initial": {}, "step": {"inventory": 1}}},
)
def active():
    """
    Uses 7 at initialisation and inventory/2 afterwards.
    """
    return active_initial(__data["time"].stage, lambda: inventory() * 0.5, 7)


@component.add(
    name="started",
    units="units",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_started": 1},
    other_deps={"_integ_started": {"initial": {"active": 1}, "step": {"active": 1}}},
)
def started():
    """
    A stock whose initial value comes from ACTIVE INITIAL.
    """
    return _integ_started()


_integ_started = Integ(lambda: active() / 100, lambda: active(), "_integ_started")


@component.add(
    name="nonneg stock",
    units="units",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_nonneg_stock": 1},
    other_deps={"_integ_nonneg_stock": {"initial": {}, "step": {}}},
)
def nonneg_stock():
    """
    Drains below zero (Vensim does not clip plain INTEG).
    """
    return _integ_nonneg_stock()


_integ_nonneg_stock = Integ(lambda: -10, lambda: 5, "_integ_nonneg_stock")
