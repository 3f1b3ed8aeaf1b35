"""Evaluate a one-example graph over many dataset rows at once.

Nodes that depend on bound leaves (inputs, targets) hold an array with a leading
row axis: shape (R,) + the node's own shape. Parameters and constants keep their
own shape, so their grads come out summed over the rows — the seeds' convention.
The graph's Python dispatch is paid once per batch, not once per row.
"""
from __future__ import annotations

import numpy as np

from .ops import OPS, reduce_to_shape
from .program import Program

REDUCTIONS = {"sum", "mean", "sse", "mse"}


class BatchEvaluator:
    """Forward + backward of `program` over rows bound to leaves."""

    def __init__(self, program: Program, bindings: list[tuple[int, tuple | None]]):
        self.p = program
        self.bindings = bindings            # per column: (node number, element index or None)
        self.bound = sorted({n for n, _ in bindings})
        self.shape = [program.shapes[nid] for nid in program.ids]

    def leaf_values(self, rows: np.ndarray, params: dict[int, object]) -> list:
        """Values of every node before the forward pass; bound leaves get a row axis."""
        p = self.p
        vals: list = [None] * len(p.ids)
        for k in p.leaf_nodes:
            vals[k] = params.get(k, p.graph.nodes[p.ids[k]].value)
        r = len(rows)
        for k in self.bound:
            vals[k] = np.broadcast_to(np.asarray(vals[k], dtype=np.float64),
                                      (r,) + self.shape[k]).copy()
        for col, (k, idx) in enumerate(self.bindings):
            if idx is None:
                vals[k][...] = rows[:, col].reshape((r,) + (1,) * len(self.shape[k]))
            else:
                vals[k][(slice(None),) + idx] = rows[:, col]
        return vals

    def forward(self, rows: np.ndarray, params: dict[int, object]):
        """Returns (values, batched flags); the output value has one entry per row."""
        p = self.p
        vals = self.leaf_values(rows, params)
        batched = [False] * len(p.ids)
        for k in self.bound:
            batched[k] = True
        with np.errstate(all="ignore"):
            for n in p.op_nodes:
                ins = p.inputs[n]
                batched[n] = any(batched[j] for j in ins)
                vals[n] = self._forward_node(n, [vals[j] for j in ins],
                                             [batched[j] for j in ins], batched[n], len(rows))
        return vals, batched

    def _aligned(self, n: int, ins: list, flags: list[bool], r: int) -> list:
        """Give batched inputs singleton axes so they broadcast against the others."""
        rank = max(len(self.shape[j]) for j in self.p.inputs[n])
        out = []
        for j, x, b in zip(self.p.inputs[n], ins, flags):
            pad = rank - len(self.shape[j])
            out.append(x.reshape((r,) + (1,) * pad + self.shape[j]) if b and pad else x)
        return out

    def _forward_node(self, n: int, ins: list, flags: list[bool], out_batched: bool, r: int):
        op_name, attrs = self.p.ops[n], self.p.attrs[n]
        if not out_batched:
            return OPS[op_name].forward(ins, attrs)
        if op_name in REDUCTIONS:
            return _reduce_forward(op_name, self._aligned(n, ins, flags, r))
        if op_name == "matmul":
            return ins[0] @ ins[1]
        return OPS[op_name].forward(self._aligned(n, ins, flags, r), attrs)

    def backward(self, vals: list, batched: list[bool], seed) -> list:
        """Grads of every node; the output's grad starts at `seed` (per row or scalar)."""
        p = self.p
        grads: list = [None] * len(p.ids)
        grads[p.output] = seed
        with np.errstate(all="ignore"):
            for n in reversed(p.op_nodes):
                g = grads[n]
                if g is None:
                    continue
                ins = p.inputs[n]
                contribs = self._contributions(n, [vals[j] for j in ins],
                                               [batched[j] for j in ins], vals[n], g, batched[n])
                for j, c in zip(ins, contribs):
                    grads[j] = c if grads[j] is None else grads[j] + c
        return grads

    def _contributions(self, n, ins, flags, out, g, out_batched):
        op_name, attrs = self.p.ops[n], self.p.attrs[n]
        op = OPS[op_name]
        if not out_batched:
            return op.contributions(ins, out, g, attrs)
        r = len(out) if np.ndim(out) else len(g)
        if op_name == "matmul":
            a, b = ins
            raw = [g @ np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2) @ g]
        elif op_name in REDUCTIONS:
            raw = _reduce_vjp(op_name, self._aligned(n, ins, flags, r), g)
        else:
            aligned = self._aligned(n, ins, flags, r)
            locs = op.local(aligned, out, attrs)
            raw = [np.asarray(g) * loc for loc in locs]
        return [self._fit(j, c, f, r) for j, c, f in zip(self.p.inputs[n], raw, flags)]

    @staticmethod
    def param_grads(grads: list, nodes: list[int]) -> list:
        """Each parameter's grad, already summed over rows (parameters have no row axis)."""
        return [grads[k] for k in nodes]

    @staticmethod
    def first_nonfinite(vals: list) -> int | None:
        for k, v in enumerate(vals):                # program order is topological
            if v is not None and not np.all(np.isfinite(v)):
                return k
        return None

    def _fit(self, j: int, c, is_batched: bool, r: int):
        """Reduce a contribution to the input's (batched) shape."""
        shape = self.shape[j]
        if not is_batched:
            return reduce_to_shape(c, shape)
        if np.shape(c) == (r,) + shape:
            return c
        c = np.broadcast_to(c, np.broadcast_shapes(np.shape(c), (r,)))
        aligned = (r,) + (1,) * (c.ndim - 1 - len(shape)) + shape
        return np.reshape(reduce_to_shape(c, aligned), (r,) + shape)


def _axes(x) -> tuple:
    return tuple(range(1, np.ndim(x)))


def _reduce_forward(op_name: str, ins: list):
    if op_name == "sum":
        return np.sum(ins[0], axis=_axes(ins[0]))
    if op_name == "mean":
        return np.mean(ins[0], axis=_axes(ins[0]))
    sq = np.square(np.subtract(ins[0], ins[1]))
    return np.sum(sq, axis=_axes(sq)) if op_name == "sse" else np.mean(sq, axis=_axes(sq))


def _reduce_vjp(op_name: str, ins: list, g):
    x = ins[0]
    if op_name in ("sum", "mean"):
        gx = np.reshape(g, (-1,) + (1,) * (np.ndim(x) - 1)) * np.ones_like(x)
        return [gx / (np.size(x[0]) if op_name == "mean" else 1.0)]
    diff = np.subtract(ins[0], ins[1])
    k = 2.0 / np.size(diff[0]) if op_name == "mse" else 2.0
    gd = np.reshape(g, (-1,) + (1,) * (diff.ndim - 1)) * (k * diff)
    return [gd, -gd]


class GroupBatchEvaluator:
    """The same, for all-scalar elementwise graphs: one (nodes × rows) array, one numpy
    call per (level, op) group — tens of calls per epoch instead of thousands."""

    def __init__(self, program: Program, bindings: list[tuple[int, tuple | None]]):
        from .fastpath import plan_for
        self.p = program
        self.bindings = bindings
        self.plan = plan_for(program)
        self.unique = [[len(np.unique(t)) == len(t) for t in g.ins] for g in self.plan.groups]

    def forward(self, rows: np.ndarray, params: dict[int, object]):
        p, r = self.p, len(rows)
        vals = np.empty((len(p.ids), r))
        nodes = p.graph.nodes
        vals[p.leaf_nodes] = np.array([params.get(k, nodes[p.ids[k]].value)
                                       for k in p.leaf_nodes])[:, None]
        for col, (k, _) in enumerate(self.bindings):
            vals[k] = rows[:, col]
        with np.errstate(all="ignore"):
            for g in self.plan.groups:
                vals[g.out] = OPS[g.op].forward([vals[i] for i in g.ins], g.attrs)
        return vals, None

    def backward(self, vals: np.ndarray, batched, seed) -> np.ndarray:
        grads = np.zeros_like(vals)
        grads[self.p.output] = seed
        with np.errstate(all="ignore"):
            for g, unique in zip(reversed(self.plan.groups), reversed(self.unique)):
                up = grads[g.out]
                locs = OPS[g.op].local([vals[i] for i in g.ins], vals[g.out], g.attrs)
                for t, loc, uniq in zip(g.ins, locs, unique):
                    if uniq:
                        grads[t] += up * loc
                    else:
                        np.add.at(grads, t, up * loc)
        return grads

    @staticmethod
    def param_grads(grads: np.ndarray, nodes: list[int]) -> list[float]:
        """Each parameter's grad summed over the rows."""
        return grads[nodes].sum(axis=1).tolist()

    @staticmethod
    def first_nonfinite(vals) -> int | None:
        bad = np.flatnonzero(~np.isfinite(vals).all(axis=1))
        return int(bad[0]) if len(bad) else None
