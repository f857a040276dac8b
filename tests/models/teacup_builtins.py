"""
Python model 'teacup_builtins.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.functions import pulse, ramp
from pysd.py_backend.statefuls import Integ, Smooth, Delay
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
    "final_time": lambda: 30,
    "time_step": lambda: 0.125,
    "saveper": lambda: time_step(),
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
    name="INITIAL TIME", units="Minutes", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    """
    The initial time for the simulation.
    """
    return __data["time"].initial_time()


@component.add(
    name="FINAL TIME", units="Minutes", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="TIME STEP", units="Minutes", comp_type="Constant", comp_subtype="Normal"
)
def time_step():
    """
    The time step for the simulation.
    """
    return __data["time"].time_step()


@component.add(
    name="SAVEPER",
    units="Minutes",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time_step": 1},
)
def saveper():
    """
    The save time step for the simulation.
    """
    return __data["time"].saveper()


#######################################################################
#                           MODEL VARIABLES                           #
#######################################################################


@component.add(
    name="Room Temperature",
    units="Degrees Fahrenheit",
    comp_type="Constant",
    comp_subtype="Normal",
)
def room_temperature():
    return 70


@component.add(
    name="Characteristic Time",
    units="Minutes",
    comp_type="Constant",
    comp_subtype="Normal",
)
def characteristic_time():
    return 10


@component.add(
    name="pulse input",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time": 2},
)
def pulse_input():
    return pulse(__data["time"], 5, repeat_time=4, magnitude=2) + pulse(
        __data["time"], 3, magnitude=1
    )


@component.add(
    name="ramp input",
    comp_type="Stateful",
    comp_subtype="Delay",
    depends_on={
        "time": 1,
        "cooling_effect": 1,
        "_smooth_ramp_input": 1,
        "_delay_ramp_input": 1,
    },
    other_deps={
        "_smooth_ramp_input": {
            "initial": {"teacup_temperature": 1},
            "step": {"teacup_temperature": 1},
        },
        "_delay_ramp_input": {
            "initial": {"room_temperature": 1},
            "step": {"room_temperature": 1},
        },
    },
)
def ramp_input():
    return (
        ramp(__data["time"], 0.1, 5)
        + cooling_effect()
        + _smooth_ramp_input() / 1000
        + _delay_ramp_input() / 1000
    )


_smooth_ramp_input = Smooth(
    lambda: teacup_temperature(),
    lambda: 2,
    lambda: teacup_temperature(),
    lambda: 1,
    "_smooth_ramp_input",
)

_delay_ramp_input = Delay(
    lambda: room_temperature(),
    lambda: 2,
    lambda: room_temperature(),
    lambda: 3,
    time_step,
    "_delay_ramp_input",
)


@component.add(
    name="cooling effect",
    comp_type="Auxiliary",
    comp_subtype="with Lookup",
    depends_on={"time": 1},
)
def cooling_effect():
    return np.interp(time(), [0.0, 10.0, 20.0], [0.0, 0.5, 0.8])


@component.add(
    name="Heat Loss to Room",
    units="Degrees Fahrenheit/Minute",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "teacup_temperature": 1,
        "room_temperature": 1,
        "characteristic_time": 1,
        "pulse_input": 1,
        "ramp_input": 1,
    },
)
def heat_loss_to_room():
    return (
        (teacup_temperature() - room_temperature()) / characteristic_time()
        + pulse_input()
        + ramp_input()
    )


@component.add(
    name="Teacup Temperature",
    units="Degrees Fahrenheit",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_teacup_temperature": 1},
    other_deps={
        "_integ_teacup_temperature": {"initial": {}, "step": {"heat_loss_to_room": 1}}
    },
)
def teacup_temperature():
    """
    The temperature of the tea.
    """
    return _integ_teacup_temperature()


_integ_teacup_temperature = Integ(
    lambda: -heat_loss_to_room(), lambda: 180, "_integ_teacup_temperature"
)
