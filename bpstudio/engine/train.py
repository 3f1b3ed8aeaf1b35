"""Training as a plain generator of ticks (no threads here; the UI runs it in a worker).

One epoch = forward + backward of the graph over the dataset rows (vectorised
across rows by BatchEvaluator), then SGD (with optional momentum) on the leaves
whose role is "parameter". With reduction "sum" the grads of all rows are summed
and `w -= lr * grad` — exactly the seed notes' convention; "mean" divides by the
number of rows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .batch import BatchEvaluator, GroupBatchEvaluator
from .graph import Graph
from .nonfinite import forward_text
from .ops import LEAF
from .program import Program, compile_graph


@dataclass
class TrainSettings:
    lr: float = 0.1
    epochs: int = 100
    momentum: float = 0.0
    batch: int | None = None          # rows per update; None = the whole dataset
    reduction: str = "sum"            # "sum" | "mean" over rows
    stop_grad_above: float | None = None   # watch: stop when a parameter's |grad| explodes
    stop_grad_below: float | None = None   # watch: stop when a parameter's |grad| vanishes

    @classmethod
    def from_graph(cls, graph: Graph, **overrides) -> "TrainSettings":
        t = dict(graph.training or {})
        s = cls(**{k: t[k] for k in ("lr", "epochs", "momentum", "batch", "reduction")
                   if t.get(k) is not None})
        for k, v in overrides.items():
            if v is not None:
                setattr(s, k, v)
        return s


@dataclass
class Tick:
    """One epoch's plain record: what a plot or a log line needs."""
    epoch: int                         # 1-based
    loss: float                        # before this epoch's update; summed or averaged over rows
    row_losses: np.ndarray
    grad_norms: dict[str, float]       # per parameter leaf
    params: dict[str, object]          # the parameters after this epoch's update
    nonfinite: str | None = None       # the first node (topological order) that went NaN/inf
    watch: str | None = None           # why a grad watch stopped training, e.g. "|W11.grad| = ..."
    extra: dict = field(default_factory=dict)


def _with_loss_as_output(graph: Graph) -> Graph:
    """The graph to train: its training "loss" node as the output when the file names
    one other than the output (the same nodes, shared: write_back reaches the file's)."""
    loss = (graph.training or {}).get("loss")
    if not loss or loss == graph.output or loss not in graph.nodes:
        return graph
    view = Graph(graph.title, loss)
    view.nodes = graph.nodes
    return view


class Trainer:
    """Owns its copy of the parameters; the graph is not touched until `write_back`."""

    def __init__(self, graph: Graph, rows: np.ndarray, bindings: list[tuple[str, tuple | None]],
                 settings: TrainSettings, program: Program | None = None):
        self.graph = graph
        self.p = program or compile_graph(_with_loss_as_output(graph))
        loss = self.p.ids[self.p.output]
        shape = tuple(self.p.shapes.get(loss, ()))
        if shape and int(np.prod(shape)) != 1:
            raise ValueError(f"the loss {loss!r} is a {'×'.join(map(str, shape))} tensor: "
                             f"training needs a scalar loss (the file's training loss or output)")
        self.rows = np.asarray(rows, dtype=np.float64)
        self.settings = settings
        idx = self.p.index
        binds = [(idx[n], i) for n, i in bindings]
        self.param_nodes = [k for k in self.p.leaf_nodes
                            if graph.nodes[self.p.ids[k]].role == "parameter"]
        self.eval = (GroupBatchEvaluator(self.p, binds) if self.p.vectorisable else
                     BatchEvaluator(self.p, binds, wanted=set(self.param_nodes)))
        self.params = {k: _copy(graph.nodes[self.p.ids[k]].value) for k in self.param_nodes}
        self.velocity = {k: 0.0 for k in self.param_nodes}
        self.epoch = 0

    def evaluate(self, params: dict | None = None):
        """Forward over all rows: (values, batched flags)."""
        return self.eval.forward(self.rows, self.params if params is None else params)

    def row_losses(self, vals, n_rows: int | None = None) -> np.ndarray:
        """The loss of each row (the output of a forward pass over rows)."""
        out = np.asarray(vals[self.p.output], dtype=np.float64)
        n = len(self.rows) if n_rows is None else n_rows
        return np.broadcast_to(out, (n,)) if out.ndim == 0 else out

    def run_epoch(self) -> Tick:
        """One pass over the rows; the tick's loss is the one computed before the update."""
        s = self.settings
        n = len(self.rows)
        size = s.batch or n
        norms: dict[str, float] = {}
        losses = []
        for lo in range(0, n, size):
            rows = self.rows if size >= n else self.rows[lo:lo + size]
            vals, grads, bad = self._gradients(rows)
            losses.append(np.array(self.row_losses(vals, min(size, n - lo)), dtype=np.float64))
            if bad:
                tick = self._tick(bad, norms, np.concatenate(losses))
                tick.extra["nonfinite"] = self.describe_nonfinite(vals, bad, grads is None)
                return tick
            self._update(grads, norms)
        self.epoch += 1
        tick = self._tick(None, norms, np.concatenate(losses))
        tick.watch = self.watch_hit(norms)
        return tick

    def watch_hit(self, norms: dict[str, float]) -> str | None:
        """The first parameter whose grad norm crossed a watch threshold, in words."""
        hi, lo = self.settings.stop_grad_above, self.settings.stop_grad_below
        for nid, n in norms.items():
            if hi is not None and n > hi:
                return f"|{nid}.grad| = {n:.3g} > {hi:g} (exploding)"
            if lo is not None and n < lo:
                return f"|{nid}.grad| = {n:.3g} < {lo:g} (vanishing)"
        return None

    def _gradients(self, rows: np.ndarray):
        vals, batched = self.eval.forward(rows, self.params)
        if not np.all(np.isfinite(vals[self.p.output])):     # NaN/inf reach the loss
            return vals, None, self.first_nonfinite(vals) or self.p.ids[self.p.output]
        scale = 1.0 / len(rows) if self.settings.reduction == "mean" else 1.0
        seed = np.full(len(rows), scale) if batched is None or batched[self.p.output] else scale
        grads = self.eval.backward(vals, batched, seed)
        pg = self.eval.param_grads(grads, self.param_nodes)
        if not all(g is None or np.isfinite(g).all() for g in pg):
            return vals, None, self.first_nonfinite(grads)
        return vals, grads, None

    def _update(self, grads, norms: dict) -> None:
        s = self.settings
        ids, params, velocity = self.p.ids, self.params, self.velocity
        for k, g in zip(self.param_nodes, self.eval.param_grads(grads, self.param_nodes)):
            if g is None:
                continue
            norms[ids[k]] = abs(g) if isinstance(g, float) else math.sqrt(float(np.vdot(g, g)))
            if s.momentum:
                velocity[k] = s.momentum * velocity[k] + g
                g = velocity[k]
            params[k] = params[k] - s.lr * g

    def _tick(self, bad: str | None, norms: dict, losses: np.ndarray) -> Tick:
        total = float(losses.sum() if self.settings.reduction == "sum" else losses.mean())
        return Tick(self.epoch, total, losses, norms,
                    {self.p.ids[k]: _copy(v) for k, v in self.params.items()}, bad)

    def describe_nonfinite(self, vals, node_id: str, forward: bool) -> str:
        """'node 'd' (div) is not finite: 0.5 ÷ 0.0 = inf (row 3)' for a value that went
        non-finite in the forward pass; a shorter line for a grad."""
        p = self.p
        k = p.index[node_id]
        op = p.ops[k]
        v = np.asarray(vals[k], dtype=np.float64)
        if op == LEAF or not forward or v.ndim == 0 or v.shape[0] != self._rows_in(vals):
            return f"node {node_id!r} ({op}) is not finite"
        r = int(np.argwhere(~np.isfinite(v.reshape(v.shape[0], -1)).all(axis=1))[0][0]) \
            if v.ndim > 1 else int(np.flatnonzero(~np.isfinite(v))[0])
        ins = [self._row_value(vals, j, r) for j in p.inputs[k]]
        text = forward_text(op, ins, v[r], p.attrs[k])
        return f"node {node_id!r} ({op}) is not finite: {text} (row {r})"

    def _rows_in(self, vals) -> int:
        out = np.asarray(vals[self.p.output])
        return out.shape[0] if out.ndim else 1

    def _row_value(self, vals, j: int, r: int):
        v = np.asarray(vals[j], dtype=np.float64)
        batched = isinstance(self.eval, GroupBatchEvaluator) or self.eval.batched[j]
        return v[r] if batched and v.ndim else v

    def first_nonfinite(self, vals) -> str | None:
        """The first node, in topological order, holding NaN or ±inf."""
        k = self.eval.first_nonfinite(vals)
        return None if k is None else self.p.ids[k]

    def write_back(self) -> None:
        """Put the trained parameters into the graph's leaves."""
        for k, v in self.params.items():
            self.graph.nodes[self.p.ids[k]].value = _copy(v)

    def reset(self, initial: dict[int, object]) -> None:
        self.params = {k: _copy(v) for k, v in initial.items()}
        self.velocity = {k: 0.0 for k in self.param_nodes}
        self.epoch = 0


def train(trainer: Trainer, epochs: int | None = None) -> Iterator[Tick]:
    """Yield one Tick per epoch; stop early at a non-finite value or a grad watch
    (the tick says which)."""
    for _ in range(trainer.settings.epochs if epochs is None else epochs):
        tick = trainer.run_epoch()
        yield tick
        if tick.nonfinite or tick.watch:
            return


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else float(v)
