"""Build a bpstudio Graph from walked PyTorch autograd records (see torch_walk).

Each autograd node becomes one or a few op nodes (AddmmBackward0: a matmul and an
add), tagged with PyTorch's class name in `Node.origin`. Leaves come from
AccumulateGrad (parameters) and from saved tensors that need no grad (inputs,
targets, constants). A constant PyTorch did not save (the `t` in `y - t`) is solved
from a result it did save downstream; `witness` keeps every value PyTorch computed,
for the check that follows.
"""
from __future__ import annotations

import numpy as np

from .node import GraphError
from .ops import LEAF, OPS
from .torch_names import Names
from .torch_walk import TNode, is_tensor, to_numpy


class Builder:
    def __init__(self, graph, names: Names, float32: bool):
        self.g = graph
        self.names = names
        self.float32 = float32
        self.out_id: dict[int, str] = {}          # autograd node -> its output's node id
        self.groups: dict[int, list[str]] = {}    # autograd node -> op nodes made for it
        self.witness: dict[str, object] = {}      # node id -> the value PyTorch computed
        self.solvers: dict[str, tuple] = {}       # unknown constant -> (op node, solve)
        self._leaf_by_key: dict[tuple, str] = {}
        self._counts: dict[str, int] = {}
        self.cur: TNode | None = None
        self._keep: list = []

    # ---- ids ---------------------------------------------------------------
    def fresh(self, name: str) -> str:
        """A caller's name, made unique (h, h#1, ...)."""
        if name not in self.g.nodes:
            return name
        k = 1
        while f"{name}#{k}" in self.g.nodes:
            k += 1
        return f"{name}#{k}"

    def struct(self, prefix: str) -> str:
        """A structural name: add1, add2, param1, const1, ..."""
        while True:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            cand = f"{prefix}{self._counts[prefix]}"
            if cand not in self.g.nodes:
                return cand

    # ---- leaves --------------------------------------------------------------
    def parameter(self, t: TNode) -> str:
        v = t.variable
        name = self.names.of_tensor(v)
        nid = self.fresh(name) if name else self.struct("param")
        self.g.leaf(nid, to_numpy(v), nid, "parameter")
        self._keep.append(v)
        return nid

    def tensor_leaf(self, tensor, role: str) -> str:
        key = (tensor.data_ptr(), tuple(tensor.shape), tuple(tensor.stride()), str(tensor.dtype))
        if key in self._leaf_by_key and tensor.data_ptr():
            return self._leaf_by_key[key]
        self._keep.append(tensor)
        name = self.names.of_tensor(tensor)
        nid = self.fresh(name) if name else self.struct("target" if role == "target" else "const")
        role = role if role == "target" else ("input" if name else "constant")
        self.g.leaf(nid, to_numpy(tensor), nid, role)
        self._leaf_by_key[key] = nid
        return nid

    def number(self, x: float, base: str = "const") -> str:
        nid = self.struct(base)
        self.g.leaf(nid, float(x), nid, "constant")
        return nid

    def unknown(self, solve) -> str:
        """A constant PyTorch did not keep: `solve(out, other)` finds it later."""
        nid = self.struct("const")
        self.g.leaf(nid, None, nid, "constant")
        self.solvers[nid] = (None, solve)
        return nid

    # ---- inputs of the current autograd node -------------------------------
    def inp(self, slot: int, key: str | None = None, role: str = "input") -> str | None:
        """The node feeding input `slot`: its producer, else a leaf from the saved tensor
        `key` (None when PyTorch saved nothing for it)."""
        t = self.cur
        nxt = t.nexts[slot] if slot < len(t.nexts) else None
        val = t.saved.get(key) if key else None
        if nxt is not None:
            pid = self.out_id[nxt]
            if is_tensor(val):
                self.witness.setdefault(pid, to_numpy(val))
            return pid
        if is_tensor(val):
            return self.tensor_leaf(val, role)
        return None

    def has_input(self, slot: int) -> bool:
        return slot < len(self.cur.nexts) and self.cur.nexts[slot] is not None

    # ---- op nodes --------------------------------------------------------------
    def op(self, name: str, *inputs: str, **attrs) -> str:
        nid = self.struct(name)
        self.g.op(nid, name, *inputs, **attrs)
        self.g.nodes[nid].origin = self.cur.cls
        self.groups.setdefault(self.cur.index, []).append(nid)
        return nid

    def solved_by(self, const: str, op_node: str) -> None:
        self.solvers[const] = (op_node, self.solvers[const][1])

    def scaled(self, nid: str, k) -> str:
        """nid × k (PyTorch's alpha/beta), or nid itself when k is 1."""
        if k is None or float(k) == 1.0:
            return nid
        return self.op("mul", nid, self.number(float(k), "alpha"))

    def name_output(self, t: TNode, out: str) -> str:
        """Give the autograd node's output the caller's variable name, if there is one."""
        name = self.names.of_fn(t.fn)
        if not name or out not in self.groups.get(t.index, ()) or out != self.groups[t.index][-1]:
            return out
        if name in self.g.nodes:
            name = self.fresh(name)
        node = self.g.nodes.pop(out)
        node.id = node.label = name
        self.g.nodes[name] = node
        self.groups[t.index][-1] = name
        if out in self.witness:
            self.witness[name] = self.witness.pop(out)
        self.solvers = {c: (name if o == out else o, f) for c, (o, f) in self.solvers.items()}
        return name

    # ---- constants PyTorch did not save --------------------------------------
    def solve_unknowns(self) -> None:
        """Fill each unknown constant from its op node's saved result, in passes."""
        if not self.solvers:
            return
        self._derive_inputs()
        for _ in range(len(self.solvers) + 1):
            values = evaluate(self.g, partial=True)
            left = [c for c in self.solvers if self.g.nodes[c].value is None]
            if not left:
                return
            for c in left:
                self._try_solve(c, values)
        left = [c for c in self.solvers if self.g.nodes[c].value is None]
        if left:
            op_node = self.solvers[left[0]][0]
            origin = self.g.nodes[op_node].origin if op_node else "?"
            raise GraphError(
                f"node {op_node!r} ({origin}): PyTorch kept no copy of the constant it adds or "
                "subtracts and nothing downstream saved its result, so it cannot be rebuilt; make "
                "the constant a tensor (torch.tensor(...)) used in a product, or give it "
                "requires_grad=True", op_node)

    def _derive_inputs(self) -> None:
        """Results PyTorch saved only after σ, tanh or exp: their inputs by inversion
        (used to solve constants, never checked against)."""
        self.derived: dict = {}
        with np.errstate(all="ignore"):
            for nid, w in list(self.witness.items()):
                n = self.g.nodes[nid]
                inv = _INVERSES.get(n.op)
                if inv is not None and n.inputs[0] not in self.witness:
                    v = inv(np.asarray(w, dtype=np.float64))
                    if np.all(np.isfinite(v)):
                        self.derived[n.inputs[0]] = v

    def _try_solve(self, c: str, values: dict) -> None:
        op_node, solve = self.solvers[c]
        known = self.witness.get(op_node, self.derived.get(op_node))
        if known is None:
            return
        node = self.g.nodes[op_node]
        others = [self.witness.get(i, values.get(i)) for i in node.inputs if i != c]
        if any(v is None for v in others):
            return
        value = _compact(np.asarray(solve(known, *others), dtype=np.float64),
                         self.float32)
        leaf = self.g.nodes[c]
        leaf.value = value
        name = self.names.by_value(value, exclude=self.g.nodes)
        if name and name not in self.g.nodes:
            self._rename_leaf(c, name)

    def _rename_leaf(self, old: str, new: str) -> None:
        nodes = self.g.nodes
        items = [(k, v) for k, v in nodes.items()]
        nodes.clear()
        for k, v in items:
            if k == old:
                v.id = v.label = new
                v.role = "input"
                k = new
            v.inputs = tuple(new if i == old else i for i in v.inputs)
            nodes[k] = v
        self.solvers[new] = self.solvers.pop(old)
        for table in (self.witness,):
            if old in table:
                table[new] = table.pop(old)


_INVERSES = {"sigmoid": lambda r: np.log(r) - np.log1p(-r), "tanh": np.arctanh, "exp": np.log}


def _compact(value: np.ndarray, float32: bool):
    """A solved constant: one number when it is the same everywhere, float32-rounded
    when the model is float32 (so 1.0 comes back as 1.0, not 1.0000000298)."""
    if float32:
        value = value.astype(np.float32).astype(np.float64)
    value = value + 0.0                                  # −0.0 reads as 0.0
    if value.size and np.all(value == value.flat[0]):
        return float(value.flat[0])
    return value


def evaluate(graph, partial: bool = False) -> dict:
    """Every node's value in float64, in topological order (missing inputs: skipped)."""
    values: dict = {}
    with np.errstate(all="ignore"):
        for nid in graph.topo_order():
            n = graph.nodes[nid]
            if n.op == LEAF:
                if n.value is not None:
                    values[nid] = n.value
                continue
            ins = [values.get(i) for i in n.inputs]
            if any(v is None for v in ins):
                if partial:
                    continue
                raise GraphError(f"node {nid!r}: an input has no value", nid)
            values[nid] = OPS[n.op].forward(ins, n.attrs)
    return values
