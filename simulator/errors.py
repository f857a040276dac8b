"""Exceptions raised for errors a user can cause.

Every exception derives from :class:`SimulatorError`. Messages name the file
and line, or the model element, say what was expected, and what to do. The
CLI prints ``str(error)`` and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AlgebraicLoopError",
    "ModelError",
    "ModelFileError",
    "ScenarioError",
    "SimulationError",
    "SimulatorError",
    "SimulatorWarning",
    "SweepError",
    "UndefinedReferenceError",
    "UnknownNameError",
    "UnsupportedConstructError",
]


class SimulatorError(Exception):
    """Base class of every error a user can cause."""


class SimulatorWarning(UserWarning):
    """Base class of warnings issued by the package."""


class ModelError(SimulatorError):
    """A model file cannot be loaded or compiled."""


class ModelFileError(ModelError):
    """The model file is missing, unreadable or not valid Vensim/XMILE."""

    def __init__(self, path: str | Path, problem: str, hint: str = "") -> None:
        self.path = Path(path)
        message = f"{self.path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class UnsupportedConstructError(ModelError):
    """The model uses a construct the engine does not run."""

    def __init__(self, path: str | Path | None, element: str, construct: str) -> None:
        self.path = path
        self.element = element
        self.construct = construct
        where = f"{path}: " if path else ""
        super().__init__(
            f"{where}element '{element}' uses {construct}, which the engine does not "
            "support; rewrite the equation without it"
        )


class AlgebraicLoopError(ModelError):
    """Auxiliaries depend on each other in a cycle with no stock to break it."""

    def __init__(self, path: str | Path | None, cycle: list[str], phase: str = "") -> None:
        self.cycle = cycle
        where = f"{path}: " if path else ""
        chain = " -> ".join([*cycle, cycle[0]])
        what = f"{phase} " if phase else ""
        super().__init__(
            f"{where}{what}algebraic loop: {chain}; break it with a stock, "
            "a SMOOTH/DELAY or an INITIAL"
        )


class UndefinedReferenceError(ModelError):
    """An equation refers to a name the model does not define."""

    def __init__(
        self, path: str | Path | None, element: str, name: str, suggestions: list[str]
    ) -> None:
        self.element = element
        self.name = name
        where = f"{path}: " if path else ""
        hint = f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
        super().__init__(
            f"{where}element '{element}' refers to '{name}', which the model does not "
            f"define{hint}; define it or correct the name"
        )


class UnknownNameError(SimulatorError, KeyError):
    """A name does not match any element of the model."""

    def __init__(self, name: str, suggestions: list[str], where: str = "", what: str = "") -> None:
        self.name = name
        self.suggestions = suggestions
        prefix = f"{where}: " if where else ""
        kind = what or "variable"
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"{prefix}unknown {kind} '{name}'{hint}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SimulationError(SimulatorError):
    """A run request is invalid (bad parameter shapes, time settings, methods)."""


class ScenarioError(SimulatorError):
    """A scenario file is invalid."""


class SweepError(SimulatorError):
    """A sensitivity or uncertainty sweep description is invalid."""


# -- scenario files -------------------------------------------------------------------------------
__all__ += [
    "ScenarioExtendsError",
    "ScenarioFileError",
    "ScenarioModelError",
    "ScenarioNameError",
    "ScenarioRangeError",
    "ScenarioSchemaError",
    "ScenarioSyntaxError",
]


class ScenarioFileError(ScenarioError):
    """An error at a known place in a scenario file: ``file:line: field: problem``.

    Attributes
    ----------
    path : Path
        The scenario file at fault (in an ``extends`` chain, the file that
        holds the bad value).
    line : int
        1-based line number.
    field : str
        Dotted field path, such as ``time.dt`` or ``interventions[2].at``.
    problem : str
        What is wrong, what was expected and, where possible, what to do.
    """

    def __init__(self, path: str | Path, line: int, field: str, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{self.path}:{line}: {field}: " if field else f"{self.path}:{line}: "
        super().__init__(where + problem)


class ScenarioSyntaxError(ScenarioFileError):
    """The file is not valid YAML, or is empty, or holds more than one document."""


class ScenarioSchemaError(ScenarioFileError):
    """A key is unknown or misplaced, or a value has the wrong type or is out of range."""


class ScenarioNameError(ScenarioFileError):
    """A name does not match an element of the model (or names the wrong kind of element)."""

    def __init__(
        self, path: str | Path, line: int, field: str, problem: str, suggestions: list[str]
    ) -> None:
        self.suggestions = suggestions
        super().__init__(path, line, field, problem)


class ScenarioRangeError(ScenarioFileError):
    """Time settings or intervention years are inconsistent with the run's horizon."""


class ScenarioExtendsError(ScenarioFileError):
    """An ``extends`` chain names a missing file or comes back to a file already in it."""


class ScenarioModelError(ScenarioFileError):
    """The scenario's model file is missing or cannot be loaded."""


# -- sweep files ----------------------------------------------------------------------------------
__all__ += [
    "SweepDistributionError",
    "SweepFileError",
    "SweepNameError",
    "SweepRangeError",
    "SweepSampleSizeError",
    "SweepSchemaError",
    "SweepSyntaxError",
]


class SweepFileError(SweepError):
    """An error at a known place in a sweep description: ``file:line: field: problem``.

    A sweep built in Python has no file: the message is ``field: problem``.

    Attributes
    ----------
    loc : tuple of str and int
        Where the field is, such as ``("parameters", 2, "bounds")``.
    field : str
        The same, written ``parameters[2].bounds``.
    problem : str
        What is wrong, what was expected and, where possible, what to do.
    path : Path or None
        The sweep file.
    line : int or None
        1-based line number in ``path``.
    """

    def __init__(
        self,
        loc: tuple[str | int, ...],
        problem: str,
        path: str | Path | None = None,
        line: int | None = None,
    ) -> None:
        self.loc = tuple(loc)
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(self._message())

    @property
    def field(self) -> str:
        text = ""
        for part in self.loc:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                text += f".{part}" if text else str(part)
        return text

    def _message(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path is not None else ""
        field = f"{self.field}: " if self.loc else ""
        return where + field + self.problem

    def at(self, path: str | Path, line: int) -> SweepFileError:
        """The same error, placed at ``line`` of the file ``path``."""
        located = type(self).__new__(type(self))
        located.__dict__.update(self.__dict__)
        located.path, located.line = Path(path), line
        Exception.__init__(located, located._message())
        return located


class SweepSyntaxError(SweepFileError):
    """The file cannot be read, is not valid YAML, is empty or repeats a key."""


class SweepSchemaError(SweepFileError):
    """A key is unknown or misplaced, a value has the wrong type, or settings contradict."""


class SweepNameError(SweepFileError):
    """A parameter or output does not name a suitable element of the model."""

    def __init__(
        self,
        loc: tuple[str | int, ...],
        problem: str,
        suggestions: list[str],
        path: str | Path | None = None,
        line: int | None = None,
    ) -> None:
        self.suggestions = list(suggestions)
        if suggestions:
            problem += f"; did you mean {', '.join(repr(s) for s in suggestions)}?"
        super().__init__(loc, problem, path, line)


class SweepDistributionError(SweepFileError):
    """Bounds are reversed, or distribution parameters are missing or invalid."""


class SweepSampleSizeError(SweepFileError):
    """The sample size ``N`` is not one the method accepts."""


class SweepRangeError(SweepFileError):
    """An output's years or window do not fit the run's saved times."""


# -- the notebook what-if -------------------------------------------------------------------------
__all__ += ["ExploreError", "MissingExtraError"]


class ExploreError(SimulatorError):
    """A live what-if (:func:`simulator.explore`) is asked for something it cannot show."""


class MissingExtraError(SimulatorError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs {package}, which is not installed; "
            f"install the '{extra}' extra: pip install 'cbec-sd[{extra}]'"
        )
