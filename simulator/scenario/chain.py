"""``extends:`` chains: read a scenario and its ancestors, merge them, remember origins.

Merging rules, ancestor first and each file over its parent:

* ``model`` and each ``time`` key: the nearest file that gives it wins
  (a model path is relative to the file that names it);
* ``constants`` and ``lookups``: merged by Vensim name, the child's value wins;
* ``interventions`` and ``outputs``: the parent's, then the child's;
* ``kpis``: the parent's, a child's KPI with the same label replacing it;
* ``name`` and ``description`` are not inherited: a scenario describes itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import ScenarioError, ScenarioExtendsError, ScenarioSchemaError
from simulator.model.names import canonical
from simulator.scenario.parse import ParsedFile, parse_file
from simulator.scenario.schema import KPI, Pulse, Ramp, Step, Table

__all__ = ["Draft", "Origin", "read_chain"]


@dataclass(frozen=True)
class Origin:
    """Where a merged value came from: a file and a key path in it."""

    file: ParsedFile
    key: tuple[str | int, ...]

    def at(self, *sub: str | int) -> tuple[Path, int, str]:
        """File, line and field of this value, or of a part of it."""
        return self.file.where(*self.key, *sub)


@dataclass
class Draft:
    """A merged scenario, before its names are checked against the model.

    Each entry keeps its :class:`Origin` so that later errors can name the
    file and line the value came from.
    """

    leaf: ParsedFile
    chain: list[ParsedFile]
    model: tuple[Path, Origin] | None = None
    time: dict[str, tuple[Any, Origin]] = field(default_factory=dict)
    constants: dict[str, tuple[str, float, Origin]] = field(default_factory=dict)
    lookups: dict[str, tuple[str, tuple[tuple[float, float], ...], Origin]] = field(
        default_factory=dict
    )
    interventions: list[tuple[Step | Ramp | Pulse | Table, Origin]] = field(default_factory=list)
    outputs: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    kpis: dict[str, tuple[KPI, Origin]] = field(default_factory=dict)


def read_chain(path: Path) -> Draft:
    """Read ``path`` and every file it extends, and merge them.

    Raises
    ------
    ScenarioError
        ``path`` does not exist.
    ScenarioExtendsError
        A parent file is missing, or the chain comes back to a file already in it.
    ScenarioSyntaxError, ScenarioSchemaError
        From the files themselves.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such scenario file")
    chain = [parse_file(path)]
    seen = {path.resolve(): path}
    while chain[-1].spec.extends is not None:
        child = chain[-1]
        assert child.spec.extends is not None
        parent = (child.path.parent / child.spec.extends).resolve()
        if parent in seen:
            loop = " -> ".join(f.path.name for f in chain)
            raise ScenarioExtendsError(
                *child.where("extends"),
                f"'{child.spec.extends}' closes a cycle ({loop} -> {seen[parent].name}); "
                "a scenario cannot extend itself or one of its descendants",
            )
        if not parent.is_file():
            raise ScenarioExtendsError(
                *child.where("extends"),
                f"no such scenario file '{child.spec.extends}' (looked for {parent})",
            )
        seen[parent] = _normalised(child.path.parent / child.spec.extends)
        chain.append(parse_file(seen[parent]))
    draft = Draft(leaf=chain[0], chain=chain)
    for parsed in reversed(chain):
        _merge(draft, parsed)
    return draft


def _merge(draft: Draft, parsed: ParsedFile) -> None:
    spec = parsed.spec
    if spec.model is not None:
        draft.model = (_normalised(parsed.path.parent / spec.model), Origin(parsed, ("model",)))
    if spec.time is not None:
        for key in sorted(spec.time.model_fields_set):
            value = getattr(spec.time, key)
            if value is not None:
                draft.time[key] = (value, Origin(parsed, ("time", key)))
    for section, target in (("constants", draft.constants), ("lookups", draft.lookups)):
        mine: dict[str, str] = {}
        for name, value in getattr(spec, section).items():
            ident = canonical(name)
            if ident in mine:
                raise ScenarioSchemaError(
                    *parsed.where(section, name),
                    f"'{name}' is the same Vensim name as '{mine[ident]}' above; give it once",
                )
            mine[ident] = name
            target[ident] = (name, value, Origin(parsed, (section, name)))
    draft.interventions.extend(
        (item, Origin(parsed, ("interventions", i))) for i, item in enumerate(spec.interventions)
    )
    for i, name in enumerate(spec.outputs):
        draft.outputs.setdefault(canonical(name), (name, Origin(parsed, ("outputs", i))))
    labels: set[str] = set()
    for i, kpi in enumerate(spec.kpis):
        label = kpi.label()
        if label in labels:
            raise ScenarioSchemaError(
                *parsed.where("kpis", i), f"a second KPI labelled '{label}'; give it another name"
            )
        labels.add(label)
        draft.kpis[label] = (kpi, Origin(parsed, ("kpis", i)))


def _normalised(path: Path) -> Path:
    """``a/b/../c`` -> ``a/c``, keeping a relative path relative."""
    return Path(os.path.normpath(path))
