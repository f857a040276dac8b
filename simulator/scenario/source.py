"""Safe YAML reading that remembers the line of every key and list item.

Only PyYAML's ``SafeLoader`` is used: plain scalars become numbers, booleans,
``None`` or strings, and no tag can construct a Python object. Nothing in a
scenario file is ever evaluated as code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import ScenarioSyntaxError

__all__ = ["WHOLE_FILE", "Document", "Key", "field_name", "read_document"]

#: The field named by errors about the file as a whole.
WHOLE_FILE = "(whole file)"
_KEY_LINE = re.compile(r"^[ ]*(?:-[ ]+)?(?P<key>[^\s#'\"\[{-][^:#]*?)[ ]*:(?:[ ]|$)")

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")

#: A position in a document: mapping keys and list indices from the root.
Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """The plain data of one YAML file and the line of each of its parts.

    Attributes
    ----------
    path : Path
        The file.
    data : Any
        Plain Python data: dicts, lists, str, int, float, bool, None.
    lines : Mapping[Key, int]
        1-based line of each mapping key and list item; ``()`` is the root.
    """

    path: Path
    data: Any
    lines: Mapping[Key, int] = field(default_factory=dict)

    def line(self, key: Key) -> int:
        """The line of ``key``, or of its nearest ancestor that has one."""
        for n in range(len(key), -1, -1):
            if key[:n] in self.lines:
                return self.lines[key[:n]]
        return 1


def field_name(key: Key) -> str:
    """A readable field path.

    Examples
    --------
    >>> field_name(("interventions", 2, "at"))
    'interventions[2].at'
    >>> field_name(())
    ''
    """
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def read_document(path: Path) -> Document:
    """Read one YAML file safely, recording lines.

    Parameters
    ----------
    path : Path
        An existing file.

    Returns
    -------
    Document

    Raises
    ------
    ScenarioSyntaxError
        The file cannot be read, is not YAML, is empty, holds several
        documents, has a non-string or duplicate key, or uses an unsafe tag.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioSyntaxError(path, 1, WHOLE_FILE, f"cannot read the file ({exc})") from None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ScenarioSyntaxError(
                path, 1, WHOLE_FILE, "the file is empty; expected a mapping of keys"
            )
        lines: dict[Key, int] = {(): root.start_mark.line + 1}
        data = _Converter(path, loader, lines).convert(root, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        field = _enclosing_key(text, line) or WHOLE_FILE
        raise ScenarioSyntaxError(path, line, field, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioSyntaxError(path, 1, WHOLE_FILE, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioSyntaxError(
            path, lines[()], WHOLE_FILE, f"expected a mapping of keys at the top, got {_kind(data)}"
        )
    return Document(path, data, lines)


class _Converter:
    """Walks a composed node tree, building plain data and the line table."""

    def __init__(self, path: Path, loader: yaml.SafeLoader, lines: dict[Key, int]) -> None:
        self.path = path
        self.loader = loader
        self.lines = lines

    def convert(self, node: yaml.Node, key: Key) -> Any:
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
            raise ScenarioSyntaxError(
                self.path,
                node.start_mark.line + 1,
                field_name(key) or WHOLE_FILE,
                f"the tag '{node.tag}' is not allowed; scenario files hold plain data only",
            )
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, key)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.lines[(*key, i)] = item.start_mark.line + 1
                items.append(self.convert(item, (*key, i)))
            return items
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.MappingNode, key: Key) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            name = self.loader.construct_object(key_node, deep=True)
            if not isinstance(name, str):
                raise ScenarioSyntaxError(
                    self.path, line, field_name(key), f"keys must be text, got {name!r}"
                )
            if name in out:
                raise ScenarioSyntaxError(
                    self.path, line, field_name((*key, name)), "duplicate key"
                )
            self.lines[(*key, name)] = line
            out[name] = self.convert(value_node, (*key, name))
        return out


def _enclosing_key(text: str, line: int) -> str:
    r"""The dotted key path in effect at ``line``, guessed from indentation (for syntax errors).

    Examples
    --------
    >>> _enclosing_key("time:\n  start: 1\n  dt: [\n", 3)
    'time.dt'
    """
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines()[:line]:
        match = _KEY_LINE.match(raw)
        if match is None:
            continue
        indent = match.start("key")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"].strip()))
    return ".".join(key for _, key in stack)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"
