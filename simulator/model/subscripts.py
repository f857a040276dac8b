"""Subscript ranges as PySD reads them: dimensions, subranges, mappings, element dims.

The rules follow PySD's ``SubscriptManager`` so that an array element has the
dimensions PySD gives it: a range may be defined with the names of other
ranges (expanded to their labels), ``B <-> A`` copies A, ``A: ... -> B`` maps
A onto B element by element, and an element defined piecewise
(``x[North] = ...``, ``x[South] = ...``) runs over the first range whose
labels are exactly the union of its pieces' labels (or, failing that, the
first range that contains them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from simulator.errors import UnsupportedConstructError
from simulator.model.ir import Dimension

__all__ = ["Subscripts"]

Refuse = Callable[[str], UnsupportedConstructError]


class Subscripts:
    """The dimensions of one model, with PySD's lookup rules.

    Parameters
    ----------
    ranges : sequence of PySD ``AbstractSubscriptRange``
    refuse : callable
        Makes the error for a construct we cannot run (the caller sets the element).
    set_element : callable
        Tells the caller which range is being read, for messages.
    """

    def __init__(
        self, ranges: Sequence[Any], refuse: Refuse, set_element: Callable[[str], None]
    ) -> None:
        raw: dict[str, list[str]] = {}
        copies: dict[str, str] = {}
        mappings: dict[str, tuple[str, ...]] = {}
        for entry in ranges:
            set_element(entry.name)
            subs = entry.subscripts
            if isinstance(subs, dict):
                raise refuse("a subscript range read from a file (GET DIRECT SUBSCRIPT)")
            mapping = []
            for target in entry.mapping:
                if not isinstance(target, str):
                    raise refuse("a subscript mapping that lists elements (only A -> B is run)")
                mapping.append(target)
            if isinstance(subs, str):
                copies[entry.name] = subs
            else:
                raw[entry.name] = [str(s) for s in subs]
            mappings[entry.name] = tuple(mapping)
        for name, source in copies.items():
            if source not in raw and source not in copies:
                set_element(name)
                raise refuse(f"a copy of the unknown subscript range '{source}'")
        elements = {name: self._expand(name, raw, copies) for name in mappings}
        self.dimensions: dict[str, Dimension] = {}
        for name in mappings:
            labels = elements[name]
            if len(set(labels)) != len(labels):
                set_element(name)
                raise refuse("a subscript range that lists an element twice")
            parent = next(
                (
                    other
                    for other, theirs in elements.items()
                    if other != name and set(labels) < set(theirs)
                ),
                None,
            )
            for target in mappings[name]:
                if target not in elements or len(elements[target]) != len(labels):
                    set_element(name)
                    raise refuse(f"a mapping onto {target!r}, not a range of as many elements")
            self.dimensions[name] = Dimension(name, tuple(labels), parent, mappings[name])
        self.labels: set[str] = {label for d in self.dimensions.values() for label in d.elements}

    @staticmethod
    def _expand(name: str, raw: Mapping[str, list[str]], copies: Mapping[str, str]) -> list[str]:
        seen: set[str] = set()
        while name in copies and name not in seen:
            seen.add(name)
            name = copies[name]
        out: list[str] = []
        for label in raw.get(name, []):
            if label in raw and label != name:
                out.extend(Subscripts._expand(label, raw, copies))
            else:
                out.append(label)
        return out

    def range_of(self, entry: str) -> str:
        """The range a left-hand-side entry names: itself, or the first range holding a label."""
        if entry in self.labels:
            return next(n for n, d in self.dimensions.items() if entry in d.elements)
        return entry

    def labels_of(self, entry: str) -> tuple[str, ...]:
        """The labels an entry stands for: one label, or a range's labels."""
        if entry in self.labels:
            return (entry,)
        return self.dimensions[entry.removesuffix("!")].elements

    def is_known(self, entry: str) -> bool:
        return entry in self.labels or entry.removesuffix("!") in self.dimensions

    def element_dims(self, lhs_list: Sequence[Sequence[str]], refuse: Refuse) -> tuple[str, ...]:
        """The dimensions of an element defined by these left-hand sides (PySD's merge rule)."""
        n_axes = len(lhs_list[0])
        if any(len(lhs) != n_axes for lhs in lhs_list):
            raise refuse("definitions with different numbers of subscripts")
        for lhs in lhs_list:
            for entry in lhs:
                if not self.is_known(entry) or entry.endswith("!"):
                    raise refuse(f"the unknown subscript '{entry}'")
        dims: list[str] = []
        for i in range(n_axes):
            union: set[str] = set()
            for lhs in lhs_list:
                union.update(self.labels_of(lhs[i]))
            written = [lhs[i] for lhs in lhs_list if lhs[i] in self.dimensions]
            exact = [d for d in written if set(self.dimensions[d].elements) == union]
            others = {lhs[j] for lhs in lhs_list for j in range(n_axes) if j != i}
            choice = exact[0] if exact else None
            if choice is None:
                for name, dim in self.dimensions.items():
                    if set(dim.elements) == union and name not in others:
                        choice = name
                        break
            if choice is None:
                for name, dim in self.dimensions.items():
                    if union <= set(dim.elements) and name not in others:
                        choice = name
                        break
            if choice is None:
                raise refuse("subscripts that no single range contains")
            dims.append(choice)
        if len(set(dims)) != len(dims):
            raise refuse("the same subscript range twice on one left-hand side")
        return tuple(dims)
