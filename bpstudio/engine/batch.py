"""Evaluate a one-example graph over many dataset rows at once.

Nodes that depend on bound leaves (inputs, targets) hold an array with a leading
row axis: shape (R,) + the node's own shape. Parameters and constants keep their
own shape, so their grads come out summed over the rows — the seeds' convention.
The graph's Python dispatch is paid once per batch, not once per row.
"""
from __future__ import annotations

import numpy as np

from .node import GraphError
from .ops import OPS, reduce_to_shape
from .ops_tensor import TENSOR_OPS
from .program import Program

REDUCTIONS = {"sum", "mean", "sse", "mse"}


class BatchEvaluator:
    """Forward + backward of `program` over rows bound to leaves.

    Which nodes carry a row axis depends only on the bindings, so every node's
    forward and backward is planned once (reshapes, reduction axes) and an epoch is
    a loop of plain numpy calls."""

    def __init__(self, program: Program, bindings: list[tuple[int, tuple | None]],
                 wanted: set[int] | None = None):
        self.p = program
        self.bindings = bindings            # per column: (node number, element index or None)
        self.bound = sorted({n for n, _ in bindings})
        self.shape = [program.shapes[nid] for nid in program.ids]
        self.batched = _batched_flags(program, set(self.bound))
        self.needs_grad = _needs_grad(program, wanted if wanted is not None else
                                      set(program.leaf_nodes) - set(self.bound))
        self.plans = [_NodePlan(self, n) for n in program.op_nodes]
        self._rows_key = None
        self._bound_vals: dict[int, np.ndarray] = {}

    def leaf_values(self, rows: np.ndarray, params: dict[int, object]) -> list:
        """Values of every node before the forward pass; bound leaves get a row axis."""
        p = self.p
        vals: list = [None] * len(p.ids)
        nodes, ids = p.graph.nodes, p.ids
        for k in p.leaf_nodes:
            vals[k] = params[k] if k in params else nodes[ids[k]].value
        if self._rows_key is not rows:
            self._bound_vals = self._bind(rows, vals)
            self._rows_key = rows
        for k, v in self._bound_vals.items():
            vals[k] = v
        return vals

    def _bind(self, rows: np.ndarray, vals: list) -> dict[int, np.ndarray]:
        r = len(rows)
        out = {k: np.broadcast_to(np.asarray(vals[k], dtype=np.float64),
                                  (r,) + self.shape[k]).copy() for k in self.bound}
        for col, (k, idx) in enumerate(self.bindings):
            if idx is None:
                out[k][...] = rows[:, col].reshape((r,) + (1,) * len(self.shape[k]))
            else:
                out[k][(slice(None),) + idx] = rows[:, col]
        return out

    def forward(self, rows: np.ndarray, params: dict[int, object]):
        """Returns (values, batched flags); the output value has one entry per row."""
        vals = self.leaf_values(rows, params)
        with np.errstate(all="ignore"):
            for plan in self.plans:
                vals[plan.node] = plan.forward([vals[j] for j in plan.inputs])
        return vals, self.batched

    def backward(self, vals: list, batched, seed) -> list:
        """Grads of every node; the output's grad starts at `seed` (per row or scalar)."""
        grads: list = [None] * len(self.p.ids)
        grads[self.p.output] = seed
        with np.errstate(all="ignore"):
            for plan in reversed(self.plans):
                g = grads[plan.node]
                if g is None:
                    continue
                contribs = plan.backward([vals[j] for j in plan.inputs], vals[plan.node], g)
                for j, c in zip(plan.inputs, contribs):
                    if c is not None:
                        grads[j] = c if grads[j] is None else grads[j] + c
        return grads

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


def _needs_grad(p: Program, wanted: set[int]) -> list[bool]:
    """Nodes whose grad leads to a wanted leaf (others' grads are never computed)."""
    flags = [k in wanted for k in range(len(p.ids))]
    for n in p.op_nodes:
        flags[n] = any(flags[j] for j in p.inputs[n])
    return flags


def _batched_flags(p: Program, bound: set[int]) -> list[bool]:
    flags = [k in bound for k in range(len(p.ids))]
    for n in p.op_nodes:
        flags[n] = any(flags[j] for j in p.inputs[n])
    return flags


class _NodePlan:
    """One op node's batched forward and backward, with its reshapes worked out."""

    def __init__(self, ev: BatchEvaluator, n: int):
        p = ev.p
        self.node, self.inputs = n, p.inputs[n]
        self.op, self.attrs = OPS[p.ops[n]], p.attrs[n]
        self.name = p.ops[n]
        self.batched = ev.batched[n]
        if self.batched and self.name in TENSOR_OPS:
            raise GraphError(f"node {p.ids[n]!r}: {self.name} works along tensor axes and cannot "
                             "be trained row by row over a dataset yet; step it instead", p.ids[n])
        flags = [ev.batched[j] for j in self.inputs]
        shapes = [ev.shape[j] for j in self.inputs]
        rank = max(len(s) for s in shapes)
        self.reshape = [((-1,) + (1,) * (rank - len(s)) + s) if b and rank > len(s) else None
                        for s, b in zip(shapes, flags)]
        self.fits = [_fit_plan(s, b, rank) if ev.needs_grad[j] else None
                     for j, s, b in zip(self.inputs, shapes, flags)]

    def _aligned(self, ins: list) -> list:
        return [x if r is None else x.reshape(r) for x, r in zip(ins, self.reshape)]

    def forward(self, ins: list):
        if not self.batched:
            return self.op.forward(ins, self.attrs)
        if self.name in REDUCTIONS:
            return _reduce_forward(self.name, self._aligned(ins))
        if self.name == "matmul":
            return ins[0] @ ins[1]
        return self.op.forward(self._aligned(ins), self.attrs)

    def backward(self, ins: list, out, g) -> list:
        if not self.batched:
            return self.op.contributions(ins, out, g, self.attrs)
        fa, fb = self.fits[0], self.fits[-1]
        if self.name == "matmul":
            a, b = ins
            return [fa(g @ np.swapaxes(b, -1, -2)) if fa else None,
                    fb(np.swapaxes(a, -1, -2) @ g) if fb else None]
        if self.name in REDUCTIONS:
            raw = _reduce_vjp(self.name, self._aligned(ins), g)
        else:
            raw = self.op.local(self._aligned(ins), out, self.attrs)
            raw = [g * loc if fit else None for fit, loc in zip(self.fits, raw)]
        return [fit(c) if fit else None for fit, c in zip(self.fits, raw)]


def _fit_plan(shape: tuple, batched: bool, rank: int):
    """A function that reduces a (rows, ...) contribution to the input's own shape."""
    if not batched:
        def fit_unbatched(c):
            lead = np.ndim(c) - len(shape)
            if lead and np.shape(c)[lead:] == shape:      # only the row axis to sum
                return np.add.reduce(c, axis=tuple(range(lead)))
            return reduce_to_shape(c, shape)
        return fit_unbatched
    aligned = (1,) * (rank - len(shape)) + shape

    def fit(c):
        if c.shape[1:] == shape:
            return c
        c = np.broadcast_to(c, np.broadcast_shapes(c.shape, (c.shape[0],) + aligned))
        return np.reshape(reduce_to_shape(c, (c.shape[0],) + aligned), (-1,) + shape)
    return fit


def _axes(x) -> tuple:
    return tuple(range(1, np.ndim(x)))


def _reduce_forward(op_name: str, ins: list):
    if op_name in ("sum", "mean"):
        x = ins[0]
        total = np.add.reduce(x, axis=_axes(x))
        return total / np.size(x[0]) if op_name == "mean" else total
    sq = np.square(np.subtract(ins[0], ins[1]))
    total = np.add.reduce(sq, axis=_axes(sq))
    return total if op_name == "sse" else total / np.size(sq[0])


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
