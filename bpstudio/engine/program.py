"""Compile a graph into an ordered list of steps.

Steps are numbered 0 .. total-1:
  0 .. F-1         forward: compute one op node (leaves hold their values from the start)
  F                seed: the output's grad := 1 (every other grad := 0)
  F+1 .. 2F        backward: one op node sends grad to each of its inputs

The forward order is level-major (level = longest path from a leaf), then by op,
then by insertion order. It is a valid topological order, it reads as "waves" in
a lecture, and it lets the fast path run each (level, op) group as one numpy call.
"""
from __future__ import annotations

from dataclasses import dataclass

from .graph import Graph
from .nogc import paused_gc
from .ops import LEAF, OPS

FORWARD, SEED, BACKWARD = "forward", "seed", "backward"


@dataclass
class Program:
    graph: Graph
    ids: list[str]                  # node ids, index = node number
    index: dict[str, int]
    ops: list[str]                  # op name per node
    inputs: list[tuple[int, ...]]   # input node numbers per node
    attrs: list[dict]
    level: list[int]
    op_nodes: list[int]             # forward order of op nodes (node numbers)
    users: list[int]                # number of input edges that read each node
    output: int
    shapes: dict[str, tuple]
    back_nodes: list[int] | None = None   # backward order (node numbers); None: reverse forward

    def initial_values(self) -> list:
        """Leaves hold their (current) values, op nodes nothing yet."""
        values: list = [None] * len(self.ids)
        nodes, ids = self.graph.nodes, self.ids
        for k in self.leaf_nodes:
            values[k] = nodes[ids[k]].value
        return values

    @property
    def n_forward(self) -> int:
        return len(self.op_nodes)

    @property
    def total(self) -> int:
        return 2 * len(self.op_nodes) + 1

    def kind(self, step: int) -> str:
        f = len(self.op_nodes)
        if step < f:
            return FORWARD
        return SEED if step == f else BACKWARD

    def node_at(self, step: int) -> int:
        """The node number a step is about (the output for the seed step)."""
        f = len(self.op_nodes)
        if step < f:
            return self.op_nodes[step]
        if step == f:
            return self.output
        return self.back_nodes[step - f - 1]

    def forward_step_of(self, node: int) -> int | None:
        return self._fpos.get(node)

    def backward_step_of(self, node: int) -> int | None:
        p = self._bpos.get(node)
        return None if p is None else len(self.op_nodes) + 1 + p

    def __post_init__(self):
        self._fpos = {n: k for k, n in enumerate(self.op_nodes)}
        default = self.op_nodes[::-1]
        custom = self.back_nodes is not None and self.back_nodes != default
        if not custom:
            self.back_nodes = default
        self._bpos = {n: k for k, n in enumerate(self.back_nodes)}
        nodes = self.graph.nodes
        self.labels = {nid: nodes[nid].label for nid in self.ids}
        self.all_scalar = all(s == () for s in self.shapes.values())
        self.leaf_nodes = [k for k, o in enumerate(self.ops) if o == LEAF]
        self.initial_vstate = bytes(1 if o == LEAF else 0 for o in self.ops)
        self.vectorisable = not custom and self.all_scalar and all(
            OPS[o].local is not None for o in self.ops if o != LEAF)


def compile_graph(graph: Graph) -> Program:
    """Validate and compile. Raises GraphError."""
    with paused_gc():
        return _compile(graph)


def _compile(graph: Graph) -> Program:
    topo, shapes = graph.checked()
    index = {nid: k for k, nid in enumerate(topo)}
    nodes = [graph.nodes[nid] for nid in topo]
    inputs = [tuple(index[i] for i in n.inputs) for n in nodes]
    level = [0] * len(nodes)
    users = [0] * len(nodes)
    for k, ins in enumerate(inputs):
        for i in ins:
            users[i] += 1
            if level[i] + 1 > level[k]:
                level[k] = level[i] + 1
    ops = [n.op for n in nodes]
    op_order = sorted((k for k in range(len(nodes)) if ops[k] != LEAF),
                      key=lambda k: (level[k], ops[k], k))
    return Program(graph, topo, index, ops, inputs, [n.attrs for n in nodes], level,
                   op_order, users, index[graph.output], shapes,
                   _backward_order(graph, index, inputs, op_order))


def _backward_order(graph: Graph, index: dict, inputs: list, op_order: list[int]):
    """The graph's explicit backward order (e.g. PyTorch's own) as node numbers, if it
    names every op node once and each node comes after all the nodes that use it."""
    order = getattr(graph, "backward_order", None)
    if not order:
        return None
    nums = [index.get(nid, -1) for nid in order]
    if sorted(nums) != sorted(op_order):
        return None
    pos = {n: k for k, n in enumerate(nums)}
    for n in nums:
        if any(j in pos and pos[j] < pos[n] for j in inputs[n]):
            return None
    return nums


def attrs_key(attrs: dict) -> tuple:
    return tuple(sorted(attrs.items()))


def groups(program: Program) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of forward steps with the same level, op and attrs."""
    out = []
    order = program.op_nodes
    start = 0
    for k in range(1, len(order) + 1):
        if k == len(order) or not _same_group(program, order[start], order[k]):
            out.append((start, k))
            start = k
    return out


def _same_group(p: Program, a: int, b: int) -> bool:
    return (p.level[a] == p.level[b] and p.ops[a] == p.ops[b]
            and attrs_key(p.attrs[a]) == attrs_key(p.attrs[b]))


def is_vectorisable(program: Program) -> bool:
    return program.vectorisable

