"""One scenario file -> a validated :class:`ScenarioFile`, errors placed at file, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from simulator.errors import ScenarioSchemaError
from simulator.model.names import suggest
from simulator.scenario.schema import (
    INTERVENTION_TYPES,
    KPI,
    Pulse,
    Ramp,
    ScenarioFile,
    Step,
    Table,
    TimeSection,
)
from simulator.scenario.source import Document, Key, field_name, read_document

__all__ = ["ParsedFile", "parse_file"]

_BY_TYPE: dict[str, type[BaseModel]] = {
    "step": Step,
    "ramp": Ramp,
    "pulse": Pulse,
    "window": Pulse,
    "table": Table,
}


@dataclass(frozen=True)
class ParsedFile:
    """A scenario file checked against the schema.

    Attributes
    ----------
    document : Document
        Its data and the line of every key.
    spec : ScenarioFile
        The validated content.
    """

    document: Document
    spec: ScenarioFile

    @property
    def path(self) -> Path:
        """The file."""
        return self.document.path

    def where(self, *key: str | int) -> tuple[Path, int, str]:
        """File, line and field name of ``key``."""
        return self.path, self.document.line(key), field_name(key)


def parse_file(path: Path) -> ParsedFile:
    """Read and validate one scenario file (without following ``extends``).

    Raises
    ------
    ScenarioSyntaxError
        Not valid YAML.
    ScenarioSchemaError
        An unknown key, a missing key, a value of the wrong type or out of range;
        the first problem found, placed at its line.
    """
    document = read_document(path)
    try:
        spec = ScenarioFile.model_validate(document.data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: document.line(_data_key(document.data, e)))
        raise _schema_error(document, errors[0]) from None
    return ParsedFile(document, spec)


def _data_key(data: Any, error: ErrorDetails) -> Key:
    """The error's location as a path into the data (union tags dropped)."""
    key: list[str | int] = []
    node = data
    for part in error["loc"]:
        if isinstance(node, dict) and part not in node and part == node.get("type"):
            continue  # pydantic adds the tag of a discriminated union to the location
        key.append(part)
        node = node.get(part) if isinstance(node, dict) else _item(node, part)
    return tuple(key)


def _item(node: Any, part: str | int) -> Any:
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _schema_error(document: Document, error: ErrorDetails) -> ScenarioSchemaError:
    key = _data_key(document.data, error)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _allowed_keys(document.data, key[:-1])
        close = suggest(str(key[-1]), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
        problem = f"unknown key '{key[-1]}'{hint}"
    elif kind == "missing":
        problem = f"missing required key '{key[-1]}'"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        key = (*key, "type")
        types = ", ".join(INTERVENTION_TYPES)
        if kind == "union_tag_invalid" and isinstance(value, dict):
            problem = f"unknown intervention type '{value.get('type')}'; use one of: {types}"
        else:
            problem = f"missing required key 'type' (one of: {types})"
    elif kind == "value_error":
        problem = str(ctx.get("error", error["msg"]))
    elif kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        problem = f"must be {'above' if 'gt' in ctx else 'at least'} {bound}, got {value!r}"
    elif kind in ("float_type", "float_parsing", "int_type"):
        problem = f"expected a number, got {_shown(value)}"
    elif kind == "finite_number":
        problem = f"expected a finite number, got {value!r}"
    elif kind in ("string_type",):
        problem = f"expected text, got {_shown(value)}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        problem = f"expected a mapping of keys, got {_shown(value)}"
    elif kind in ("tuple_type", "list_type"):
        problem = f"expected a list, got {_shown(value)}"
    elif kind == "literal_error":
        problem = f"expected one of {ctx.get('expected', '')}, got {value!r}"
    else:
        problem = f"{error['msg']} (got {_shown(value)})"
    return ScenarioSchemaError(document.path, document.line(key), field_name(key), problem)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _allowed_keys(data: Any, parent: Key) -> list[str]:
    """The keys the schema allows at ``parent``."""
    model: type[BaseModel] = ScenarioFile
    if parent[:1] == ("time",):
        model = TimeSection
    elif parent[:1] == ("kpis",):
        model = KPI
    elif parent[:1] == ("interventions",) and len(parent) >= 2:
        node = _item(data.get("interventions"), parent[1])
        tag = node.get("type") if isinstance(node, dict) else None
        model = _BY_TYPE.get(str(tag), Step)
    return list(model.model_fields)
