"""
Python model 'builtins.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.functions import (
    modulo,
    if_then_else,
    step,
    quantum,
    integer,
    ramp,
    xidz,
    zidz,
    pulse,
)
from pysd.py_backend.statefuls import Integ
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
    "final_time": lambda: 10,
    "time_step": lambda: 0.125,
    "saveper": lambda: 0.25,
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
    name="level",
    units="units",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_level": 1},
    other_deps={"_integ_level": {"initial": {}, "step": {"growth": 1, "decay": 1}}},
)
def level():
    """
    A stock driven by every stateless builtin.
    """
    return _integ_level()


_integ_level = Integ(lambda: growth() - decay(), lambda: 50, "_integ_level")


@component.add(
    name="growth",
    units="units/Month",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"rate": 1, "level": 1, "time": 5, "height": 1, "slope": 1},
)
def growth():
    """
    Inflow.
    """
    return (
        rate() * level() * (1 + 0.1 * float(np.sin(time())))
        + step(__data["time"], height(), 3)
        + ramp(__data["time"], slope(), 2, 6)
        + pulse(__data["time"], 4, width=1)
        + pulse(__data["time"], 1, repeat_time=2, width=0.5, end=9)
    )


@component.add(
    name="decay",
    units="units/Month",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"level": 3, "life": 1, "time": 2},
)
def decay():
    """
    Outflow.
    """
    return (
        level() / float(np.maximum(life(), 1))
        + float(np.minimum(float(np.abs(-0.5)), 0.25))
        + if_then_else(
            np.logical_and(level() > 60, time() < 8),
            lambda: 1,
            lambda: if_then_else(
                np.logical_or(np.logical_not(time() >= 5), level() == 0),
                lambda: 0.5,
                lambda: -0.2,
            ),
        )
    )


@component.add(
    name="rate",
    units="1/Month",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def rate():
    """
    Growth rate.
    """
    return 0.05


@component.add(
    name="height", units="units/Month", comp_type="Constant", comp_subtype="Normal"
)
def height():
    """
    Step height.
    """
    return 2


@component.add(
    name="slope", units="units/Month/Month", comp_type="Constant", comp_subtype="Normal"
)
def slope():
    """
    Ramp slope.
    """
    return 0.3


@component.add(name="life", units="Month", comp_type="Constant", comp_subtype="Normal")
def life():
    """
    Average life.
    """
    return 12


@component.add(
    name="math mix",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"rate": 2, "time": 5, "level": 5},
)
def math_mix():
    """
    Transcendental functions.
    """
    return (
        float(np.exp(-rate() * time()))
        + float(np.log(level()))
        + float((np.log(level()) / np.log(10)))
        + float(np.sqrt(level()))
        + float(np.power(rate(), 2))
        + float(np.cos(time()))
        + float(np.tan(0.1 * time()))
        + float(np.arcsin(0.5))
        + float(np.arccos(0.2))
        + float(np.arctan(time()))
        + float(np.sinh(0.1))
        + float(np.cosh(0.1))
        + float(np.tanh(time() - 5))
        + level() ** 0.5
        - -level()
        + 2**3**0.5
    )


@component.add(
    name="rounding",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"level": 6},
)
def rounding():
    """
    Integer arithmetic.
    """
    return (
        integer(level() / 7)
        + integer(-level() / 7)
        + modulo(level(), 7)
        + modulo(-level(), 7)
        + quantum(level(), 3)
        + quantum(level(), 0)
    )


@component.add(
    name="guards",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"level": 2, "time": 2},
)
def guards():
    """
    Division guards.
    """
    return xidz(level(), time() - 5, -1) + zidz(level(), time() - 5) + xidz(1, 0, 7)


@component.add(
    name="clock",
    units="Month",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "time": 1,
        "initial_time": 1,
        "final_time": 1,
        "time_step": 1,
        "saveper": 1,
    },
)
def clock():
    """
    Control variables in an equation.
    """
    return time() + initial_time() + final_time() * time_step() + saveper()


@component.add(
    name="comparisons",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"level": 6},
)
def comparisons():
    """
    Comparison operators used as numbers.
    """
    return (
        if_then_else(level() > 55, lambda: 1, lambda: 0)
        + if_then_else(level() >= 55, lambda: 2, lambda: 0)
        + if_then_else(level() < 55, lambda: 4, lambda: 0)
        + if_then_else(level() <= 55, lambda: 8, lambda: 0)
        + if_then_else(level() != 55, lambda: 16, lambda: 0)
        + if_then_else(level() == 50, lambda: 32, lambda: 0)
    )
