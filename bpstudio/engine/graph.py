"""Computation graphs: nodes with stable string ids, validation, topological order.

Nothing here recurses, so a 100,000-node chain is as easy as a 3-node one.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import Iterable

import numpy as np

from .node import ROLES, GraphError, Node  # noqa: F401  (re-exported)
from .ops import LEAF, OPS, as_value
from .ops_tensor import attr_ok


class Graph:
    """An ordered collection of nodes with one output."""

    def __init__(self, title: str = "", output: str | None = None):
        self.title = title
        self.nodes: dict[str, Node] = {}
        self.output = output
        self.dataset: dict | None = None
        self.training: dict | None = None
        self.view: dict = {}
        self.backward_order: list[str] | None = None   # op node ids; None: reverse forward

    # ---- building ------------------------------------------------------
    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise GraphError(f"duplicate node id {node.id!r}", node.id)
        self.nodes[node.id] = node
        return node

    def leaf(self, id: str, value, label: str = "", role: str = "parameter") -> str:
        self.add(Node(id, LEAF, (), label, role, value))
        return id

    def op(self, id: str, op: str, *inputs: str, label: str = "", **attrs) -> str:
        self.add(Node(id, op, tuple(inputs), label, None, None, dict(attrs)))
        return id

    def copy(self) -> "Graph":
        g = Graph(self.title, self.output)
        for n in self.nodes.values():
            g.nodes[n.id] = replace(n, attrs=dict(n.attrs), value=_copy_value(n.value))
        g.dataset = _deepcopy_json(self.dataset)
        g.training = _deepcopy_json(self.training)
        g.view = _deepcopy_json(self.view) or {}
        g.backward_order = list(self.backward_order) if self.backward_order else None
        return g

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.is_leaf]

    def by_label(self, label: str) -> Node:
        for n in self.nodes.values():
            if n.label == label:
                return n
        raise KeyError(label)

    def consumers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {nid: [] for nid in self.nodes}
        for n in self.nodes.values():
            for i in n.inputs:
                if i in out:
                    out[i].append(n.id)
        return out

    # ---- order and checks ---------------------------------------------
    def topo_order(self) -> list[str]:
        """Kahn's algorithm in insertion order; raises GraphError on a cycle."""
        indeg = {nid: 0 for nid in self.nodes}
        users = self.consumers()
        for n in self.nodes.values():
            indeg[n.id] = len(n.inputs)
        ready = deque(nid for nid, d in indeg.items() if d == 0)
        order = []
        while ready:
            nid = ready.popleft()
            order.append(nid)
            for u in users[nid]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    ready.append(u)
        if len(order) != len(self.nodes):
            cycle = self._find_cycle({nid for nid, d in indeg.items() if d > 0})
            raise GraphError("cycle: " + " → ".join(cycle), cycle[0])
        return order

    def _find_cycle(self, stuck: set[str]) -> list[str]:
        """Walk inputs inside the stuck set until a node repeats."""
        start = next(nid for nid in self.nodes if nid in stuck)
        seen: dict[str, int] = {}
        path: list[str] = []
        nid = start
        while nid not in seen:
            seen[nid] = len(path)
            path.append(nid)
            nid = next(i for i in self.nodes[nid].inputs if i in stuck)
        loop = path[seen[nid]:]
        loop.reverse()
        return loop + [loop[0]]

    def validate(self) -> list[str]:
        """Check the whole graph; return the topological order. Raises GraphError."""
        return self.checked()[0]

    def checked(self) -> tuple[list[str], dict[str, tuple]]:
        """Check the whole graph; return (topological order, shapes). Raises GraphError."""
        if not self.nodes:
            raise GraphError("the graph has no nodes")
        for n in self.nodes.values():
            _check_node(n, self.nodes)
        if self.output is None:
            raise GraphError("no output node given")
        if self.output not in self.nodes:
            raise GraphError(f"output {self.output!r} is not a node", self.output)
        order = self.topo_order()
        return order, self.shapes(order)

    def shapes(self, order: list[str] | None = None) -> dict[str, tuple]:
        """Infer every node's shape; raises GraphError naming a mismatch."""
        shapes: dict[str, tuple] = {}
        for nid in order or self.topo_order():
            n = self.nodes[nid]
            if n.is_leaf:
                shapes[nid] = _not_empty(nid, np.shape(n.value))
                continue
            ins = [shapes[i] for i in n.inputs]
            op = OPS[n.op]
            if op.local is not None and not any(ins):      # scalars in, scalar out
                shapes[nid] = ()
                continue
            try:
                shapes[nid] = _not_empty(nid, tuple(op.shape(ins, n.attrs)))
            except ValueError as exc:
                raise GraphError(f"node {nid!r} ({n.op}): shape mismatch {ins}: {exc}", nid) from None
        return shapes

    def set_value(self, node_id: str, value) -> None:
        node = self.nodes[node_id]
        if not node.is_leaf:
            raise GraphError(f"node {node_id!r} is computed by {node.op}, not a leaf", node_id)
        value = as_value(value)
        _check_finite(node_id, value)
        if np.shape(value) != np.shape(node.value):
            raise GraphError(f"node {node_id!r}: shape {np.shape(value)} does not match "
                             f"{np.shape(node.value)}", node_id)
        node.value = value

    @classmethod
    def from_value(cls, root, parameters: Iterable | None = None, title: str = "") -> "Graph":
        from .torch_walk import is_tensor
        if is_tensor(root):
            from .torch_bridge import graph_from_torch
            from .torch_names import caller_locals
            return graph_from_torch(cls, root, names=None, title=title,
                                    local_vars=caller_locals())
        from .convert import graph_from_value
        return graph_from_value(cls, root, parameters, title)

    @classmethod
    def from_torch(cls, output, *, names=None, module=None, title: str = "",
                   check: bool = True) -> "Graph":
        """Open a PyTorch computation: walk `output.grad_fn` back to the parameters.

        Call it BEFORE `output.backward()` (PyTorch frees the saved tensors bpstudio
        reads when backward runs), or after `output.backward(retain_graph=True)`;
        otherwise it raises GraphError saying so. Names come from
        `module.named_parameters()`, then `names` ({name: tensor}), then the caller's
        variable names, else structural names (add1, param2). The graph is then
        checked, not trusted: evaluated in float64 and compared with every tensor
        PyTorch computed, and PyTorch's own backward is run (torch.autograd.grad with
        retain_graph=True) and every leaf grad compared; a mismatch is a GraphError
        naming the node. The backward step order follows PyTorch's recorded order.
        """
        from .torch_bridge import graph_from_torch
        from .torch_names import caller_locals
        return graph_from_torch(cls, output, names=names, module=module, title=title,
                                local_vars=caller_locals(), check=check)

    def expand(self, node_id: str) -> "Graph":
        from .expand import expand_node
        return expand_node(self, node_id)


def _check_node(n: Node, nodes: dict[str, Node]) -> None:
    if not isinstance(n.id, str) or not n.id:
        raise GraphError("a node id must be a non-empty string", None)
    if n.is_leaf:
        if n.inputs:
            raise GraphError(f"node {n.id!r} is a leaf but has inputs", n.id)
        if n.role not in ROLES:
            raise GraphError(f"node {n.id!r}: unknown role {n.role!r} "
                             f"(expected one of {', '.join(ROLES)})", n.id)
        if n.value is None:
            raise GraphError(f"node {n.id!r}: a leaf needs a value", n.id)
        _check_finite(n.id, n.value)
        return
    op = OPS.get(n.op)
    if op is None:
        raise GraphError(f"node {n.id!r}: unknown op {n.op!r}", n.id)
    if len(n.inputs) != op.arity:
        raise GraphError(f"node {n.id!r}: {n.op} takes {op.arity} input(s), "
                         f"got {len(n.inputs)}", n.id)
    for i in n.inputs:
        if i not in nodes:
            raise GraphError(f"node {n.id!r}: input {i!r} is not a node", n.id)
    for a in op.attrs:
        if not attr_ok(a, n.attrs.get(a)):
            what = "a list of whole numbers" if a == "shape" else "a finite number"
            raise GraphError(f"node {n.id!r}: {n.op} needs {what} {a!r}", n.id)


def _not_empty(node_id: str, shape: tuple) -> tuple:
    """A tensor with no numbers (a 0 in its shape) has nothing to show or step."""
    if 0 in shape:
        raise GraphError(f"node {node_id!r}: an empty tensor (shape {shape}); "
                         "every node needs at least one number", node_id)
    return shape


def _check_finite(node_id: str, value) -> None:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise GraphError(f"node {node_id!r}: value is not finite ({value!r})", node_id)
        return
    if not np.all(np.isfinite(value)):
        raise GraphError(f"node {node_id!r}: value is not finite ({value!r})", node_id)


def _copy_value(v):
    return v.copy() if isinstance(v, np.ndarray) else v


def _deepcopy_json(x):
    if isinstance(x, dict):
        return {k: _deepcopy_json(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_deepcopy_json(v) for v in x]
    return x
