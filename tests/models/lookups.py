"""
Python model 'lookups.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.statefuls import Integ
from pysd.py_backend.lookups import HardcodedLookups
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
    "time_step": lambda: 0.0625,
    "saveper": lambda: 1,
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
    name="FINAL TIME", units="Month", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="INITIAL TIME", units="Month", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="SAVEPER",
    units="Month",
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
    units="Month",
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
    name="effect of price",
    units="Dmnl",
    comp_type="Lookup",
    comp_subtype="Normal",
    depends_on={"__lookup__": "_hardcodedlookup_effect_of_price"},
)
def effect_of_price(x, final_subs=None):
    """
    A table lookup.
    """
    return _hardcodedlookup_effect_of_price(x, final_subs)


_hardcodedlookup_effect_of_price = HardcodedLookups(
    [0.0, 1.0, 2.0, 3.0, 4.0],
    [2.0, 1.5, 1.0, 0.6, 0.5],
    {},
    "interpolate",
    {},
    "_hardcodedlookup_effect_of_price",
)


@component.add(
    name="demand",
    units="units",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_demand": 1},
    other_deps={"_integ_demand": {"initial": {}, "step": {"demand_change": 1}}},
)
def demand():
    """
    Stock driven by lookups.
    """
    return _integ_demand()


_integ_demand = Integ(lambda: demand_change(), lambda: 100, "_integ_demand")


@component.add(
    name="demand change",
    units="units/Month",
    comp_type="Auxiliary",
    comp_subtype="with Lookup",
    depends_on={
        "demand": 1,
        "relative_price": 1,
        "effect_of_price": 1,
        "time": 2,
        "seasonal": 1,
    },
)
def demand_change():
    """
    Change from price, an inline lookup and an out-of-range lookup.
    """
    return (
        demand() * (effect_of_price(relative_price()) - 1) * 0.1
        + np.interp(time(), [0, 5, 10], [0, 5, 0])
        + seasonal(time())
    )


@component.add(
    name="relative price",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time": 1},
)
def relative_price():
    """
    Goes past the end of the table (values beyond x = 4 hold the last y).
    """
    return 0.5 + time() / 4


@component.add(
    name="seasonal",
    units="units/Month",
    comp_type="Lookup",
    comp_subtype="Normal",
    depends_on={"__lookup__": "_hardcodedlookup_seasonal"},
)
def seasonal(x, final_subs=None):
    """
    Called outside its x range at both ends.
    """
    return _hardcodedlookup_seasonal(x, final_subs)


_hardcodedlookup_seasonal = HardcodedLookups(
    [2.0, 3.0, 4.0],
    [-1.0, 1.0, 0.5],
    {},
    "interpolate",
    {},
    "_hardcodedlookup_seasonal",
)


@component.add(
    name="bounded",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"effect_of_price": 2},
)
def bounded():
    """
    Below and above the table.
    """
    return effect_of_price(-1) + effect_of_price(10)
