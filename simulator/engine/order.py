"""Dependency order of a plan's nodes: the static, init, core and report lists.

A node's dependencies are the slots its plan expressions read (``time`` for the
clock operators); a block's are the arguments its phase reads
(:data:`~simulator.engine.plan.BLOCK_ARGS`). Cycles are reported by element name.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping, Sequence

from simulator.engine.plan import (
    BLOCK_ARGS,
    TIME_OPERATORS,
    Apply,
    Load,
    Lookup,
    NodeKind,
    Plan,
    PlanBlock,
    PlanExpr,
    PlanNode,
    PlanTable,
    Reduce,
)
from simulator.errors import AlgebraicLoopError
from simulator.model.ir import Model
from simulator.model.load import CONTROL_NAMES, TIME_NAMES

__all__ = ["Order", "plan_loads"]


def plan_loads(expr: PlanExpr) -> set[int]:
    """Slots an expression reads (``time`` included for the clock operators)."""
    found: set[int] = set()
    stack: list[PlanExpr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Load):
            found.add(node.slot)
        elif isinstance(node, Apply):
            stack.extend(node.args)
            if node.op in TIME_OPERATORS:
                found.add(-1)  # stands for time; resolved by the caller
        elif isinstance(node, Reduce | Lookup):
            stack.append(node.arg)
    return found


def plan_has_op(expr: PlanExpr, op: str) -> bool:
    stack: list[PlanExpr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Apply):
            if node.op == op:
                return True
            stack.extend(node.args)
        elif isinstance(node, Reduce | Lookup):
            stack.append(node.arg)
    return False


class Order:
    """Dependency order of the plan's nodes: the static, init, core and report lists."""

    def __init__(
        self, model: Model, nodes: list[PlanNode], blocks: list[PlanBlock], slots: Mapping[str, int]
    ) -> None:
        self.model = model
        self.nodes = nodes
        self.blocks = blocks
        self.slots = slots
        self.time = slots["time"]
        self.deps_cache: dict[tuple[int, str], set[int]] = {}

    def exprs(self, node: PlanNode) -> list[PlanExpr]:
        if node.expr is not None:
            return [node.expr]
        return [p.expr for p in node.pieces]

    def deps(self, slot: int, phase: str) -> set[int]:
        """Slots a node needs: ``phase`` is "init" or "run"."""
        key = (slot, phase)
        if key not in self.deps_cache:
            node = self.nodes[slot]
            if node.kind is NodeKind.BLOCK:
                block = self.blocks[node.block]
                phases = BLOCK_ARGS[block.kind]
                indices = phases.init if phase == "init" else phases.output
                found = {block.args[i] for i in indices}
            else:
                found = set()
                for expr in self.exprs(node):
                    found |= plan_loads(expr)
                if -1 in found:
                    found.discard(-1)
                    found.add(self.time)
            self.deps_cache[key] = found
        return self.deps_cache[key]

    def plan(self, outputs: tuple[str, ...], tables: tuple[PlanTable, ...]) -> Plan:
        block_slots = {b.slot for b in self.blocks}
        dynamic = self.dependents({self.time} | block_slots) | self.active_initial_nodes()
        every = range(len(self.nodes))
        control = {self.slots[n] for n in CONTROL_NAMES}
        static = [
            s
            for s in self.toposort(
                [s for s in every if s not in dynamic and s != self.time], "run", ""
            )
            if s not in control
        ]
        init = [
            s
            for s in self.toposort([s for s in every if s in dynamic], "init", "initialisation")
            if s != self.time
        ]
        step_args = {b.args[i] for b in self.blocks for i in BLOCK_ARGS[b.kind].step}
        needed_core = self.needed(step_args, dynamic)
        needed_report = self.needed({self.slots[o] for o in outputs}, dynamic) - needed_core
        run_order = self.toposort([s for s in every if s in dynamic], "run", "")
        core = [s for s in run_order if s in needed_core and s != self.time]
        report = [s for s in run_order if s in needed_report and s != self.time]
        init_blocks = [self.nodes[s].block for s in init if self.nodes[s].kind is NodeKind.BLOCK]
        order = sorted(init_blocks, key=lambda b: self.blocks[b].kind != "stock")
        renumber = {old: new for new, old in enumerate(order)}
        blocks = tuple(self.blocks[b] for b in order)
        nodes = tuple(
            PlanNode(
                n.slot,
                n.name,
                n.owner,
                n.dims,
                n.shape,
                n.kind,
                n.expr,
                n.pieces,
                renumber[n.block],
            )
            if n.kind is NodeKind.BLOCK
            else n
            for n in self.nodes
        )
        return Plan(
            nodes=nodes,
            slots=dict(self.slots),
            inputs={n: self.slots[n] for n in TIME_NAMES},
            static=tuple(static),
            init=tuple(init),
            core=tuple(core),
            report=tuple(report),
            blocks=blocks,
            tables=tables,
            outputs=outputs,
        )

    def dependents(self, roots: set[int]) -> set[int]:
        """Nodes that (transitively) depend on any root, roots included."""
        children: dict[int, set[int]] = {s: set() for s in range(len(self.nodes))}
        for slot in range(len(self.nodes)):
            for dep in self.deps(slot, "run") | self.deps(slot, "init"):
                children[dep].add(slot)
        seen = set(roots)
        stack = list(roots)
        while stack:
            for child in children[stack.pop()]:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def active_initial_nodes(self) -> set[int]:
        found = {
            n.slot
            for n in self.nodes
            if any(plan_has_op(e, "active_initial") for e in self.exprs(n))
        }
        return self.dependents(found) if found else set()

    def needed(self, roots: set[int], dynamic: set[int]) -> set[int]:
        """Dynamic nodes needed at run time to compute ``roots``."""
        seen: set[int] = set()
        stack = [r for r in roots if r in dynamic]
        while stack:
            slot = stack.pop()
            if slot in seen:
                continue
            seen.add(slot)
            stack.extend(d for d in self.deps(slot, "run") if d in dynamic)
        return seen

    def toposort(self, slots: list[int], phase: str, label: str) -> list[int]:
        members = set(slots)
        sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
        for slot in slots:
            sorter.add(slot, *(d for d in self.deps(slot, phase) if d in members))
        try:
            return list(sorter.static_order())
        except graphlib.CycleError as exc:
            names = [self.nodes[s].name for s in exc.args[1]]
            raise AlgebraicLoopError(
                self.model.source, _readable_cycle(names, self.model), label
            ) from None


def _readable_cycle(nodes: Sequence[str], model: Model) -> list[str]:
    names: list[str] = []
    for node in nodes[:-1] if len(nodes) > 1 and nodes[0] == nodes[-1] else nodes:
        owner = node.split("::")[0]
        element = model.elements.get(owner)
        label = element.name if element is not None else owner
        if not names or names[-1] != label:
            names.append(label)
    if len(names) > 1 and names[0] == names[-1]:
        names.pop()
    return names
