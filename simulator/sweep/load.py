"""Read a sweep file: safe YAML, every key mapped to its line for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import SweepFileError, SweepSchemaError, SweepSyntaxError
from simulator.sweep.description import Loc, Sweep, _Origin

__all__ = ["load_sweep"]


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file (YAML, safe loading).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Sweep
        Paths in it resolved against the file's folder. Names are checked
        against the model by :func:`~simulator.sweep.run_sweep`, before anything runs.

    Raises
    ------
    SweepFileError
        A subclass naming the file, line and field at fault.

    Examples
    --------
    >>> sweep = load_sweep("tests/bad_sweeps/_valid.yaml")
    >>> sweep.method, sweep.n, [p.name for p in sweep.parameters]
    ('sobol', 64, ['room temperature', 'characteristic time'])
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepSyntaxError((), f"cannot read the sweep file: {exc}").at(path, 1) from None
    data, lines = _read_yaml(text, path)
    origin = _Origin(path, lines)
    if not isinstance(data, dict):
        raise SweepSchemaError((), "a sweep file is a mapping of keys (name, method, N, ...)").at(
            path, 1
        )
    for key in ("scenario", "model"):
        if isinstance(data.get(key), str):
            data[key] = str(path.parent / data[key])
    if isinstance(data.get("compare"), list):
        data["compare"] = [
            str(path.parent / c) if isinstance(c, str) else c for c in data["compare"]
        ]
    try:
        sweep = Sweep.model_validate(data)  # pydantic's errors become SweepSchemaError in __init__
    except SweepFileError as exc:
        raise exc.at(path, origin.line(exc.loc)) from None
    sweep._origin = origin
    return sweep


def _read_yaml(text: str, path: Path) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML safely; map each key and item to its 1-based line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SweepSyntaxError((), "the file is empty; see scenarios/sweeps/ for examples")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = f"not valid YAML: {exc.problem or exc.context}"
        raise SweepSyntaxError((), problem).at(path, line) from None
    except SweepFileError as exc:
        raise exc.at(path, 1) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    _walk(node, (), lines, path)
    return data, lines


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                error = SweepSyntaxError((*loc, key), "this key is given twice")
                raise error.at(path, line)
            seen.add(key)
            lines[(*loc, key)] = line
            _walk(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), lines, path)
