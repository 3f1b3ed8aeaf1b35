"""The training worker: a child process that owns the Trainer. No Qt in here.

Why a process and not a thread: the trainer is Python-heavy (one numpy call per op
group, hundreds per epoch). In a thread it holds the GIL most of the time, and the
GUI thread's every return from a Qt call waits for it — measured on 2 cores under
load, a 10 ms timer's lateness reached 50–90 ms at the 99th percentile, while the
same idle GUI next to three CPU hogs in *other* processes stayed under 3 ms. So the
trainer and the decision-boundary evaluation run in a spawned process, niced, and
talk to the GUI through a pipe of plain tuples (pickled Tick records).

GUI -> worker:  ("graph", graph, base_dir) first, then
                ("mode", "run" | "step" | "idle"), ("settings", {key: value}),
                ("params", {id: value}), ("reset", gen, {id: value}),
                ("boundary_spec", BoundarySpec | None), ("boundary", {id: value}), ("quit",)
worker -> GUI:  ("ready",), ("error", text), ("started", gen), ("ticks", gen, [Tick]),
                ("stopped", gen, reason, epoch, node), ("boundary", result)
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass

import numpy as np

FLUSH_SECONDS = 0.03
GRID = 100                           # the boundary picture: GRID × GRID points
CHUNK = 1000                         # rows per forward pass (cache-friendly)


def lower_priority(niceness: int = 10) -> None:
    """Let the GUI process win the CPU under load (POSIX; a no-op elsewhere)."""
    try:
        os.nice(max(0, niceness - os.nice(0)))
    except (AttributeError, OSError):
        pass


def worker_main(conn, gen: int = 0) -> None:
    """The child process's entry point: receive the graph, build the trainer, then serve
    until told to quit (or until the GUI's end of the pipe closes)."""
    lower_priority()
    try:
        _, graph, base_dir = conn.recv()             # ("graph", graph copy, base dir)
    except (EOFError, OSError):
        return
    try:
        from ...model.training import make_trainer
        trainer = make_trainer(graph, base_dir)
    except Exception as exc:                 # reported to the GUI, never raised here
        conn.send(("error", " ".join(str(exc).split()) or type(exc).__name__))
        _serve_until_quit(conn)
        return
    conn.send(("ready",))
    try:
        Worker(conn, trainer, gen).run()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass                                 # the GUI went away
    except Exception as exc:                 # the engine's own words, never "exit code 1"
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", f"training failed: {' '.join(str(exc).split())} "
                                f"({type(exc).__name__})"))
            _serve_until_quit(conn)


def _serve_until_quit(conn) -> None:
    """After a failed build: answer nothing, but stay until the GUI says goodbye (so
    the GUI reads the error before it sees the pipe close)."""
    try:
        while conn.recv()[0] != "quit":
            pass
    except (EOFError, OSError):
        pass


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else float(v)


class Worker:
    """Run epochs while told to; between epochs, read every pending message."""

    def __init__(self, conn, trainer, gen: int = 0):
        self.conn, self.trainer = conn, trainer
        self.mode = "idle"
        self.gen = gen
        self.target = int(trainer.settings.epochs)
        self.buf: list = []
        self.active = False           # an epoch ran since the last "stopped"
        self.reported = False         # "started" sent since the last "stopped"
        self.quit = False
        self.boundary: BoundaryEvaluator | None = None
        self.boundary_params = None
        self.last_flush = time.monotonic()

    def run(self) -> None:
        while self._next():
            tick = self.trainer.run_epoch()
            self.buf.append(tick)
            self.active = True
            if tick.nonfinite:
                self.mode = "idle"
                self._stop("diverged", tick.epoch + 1, tick.nonfinite)
            elif tick.watch:
                self.mode = "idle"
                self._stop("watch", tick.epoch, tick.watch)
            elif time.monotonic() - self.last_flush >= FLUSH_SECONDS:
                self._flush()

    def _next(self) -> bool:
        """Between epochs: messages, the boundary, stop or go. False = quit."""
        while True:
            while self.conn.poll():
                self._handle(self.conn.recv())
            if self.quit:
                return False
            self._boundary()
            tr = self.trainer
            if self.mode == "run" and tr.epoch >= self.target:
                if self.active:                      # reached the epochs setting
                    self.mode = "idle"
                    self._stop("finished")
                    continue
                self.target = tr.epoch + max(1, int(tr.settings.epochs))   # one more round
            if self.mode in ("run", "step"):
                if not self.reported:
                    self.reported = True
                    self.conn.send(("started", self.gen))
                if self.mode == "step":
                    self.mode = "idle"
                return True
            if self.active:
                self._stop("paused")
            self._handle(self.conn.recv())           # idle: wait for the next message

    def _handle(self, msg) -> None:
        kind = msg[0]
        tr = self.trainer
        if kind == "mode":
            self.mode = msg[1]
        elif kind == "settings":
            for key, value in msg[1].items():
                setattr(tr.settings, key, value)
                if key == "epochs":
                    self.target = int(value)
        elif kind == "params":
            tr.params.update(self._by_node(msg[1]))
        elif kind == "reset":
            self.gen, self.buf, self.active, self.reported = msg[1], [], False, False
            self.mode = "idle"
            tr.reset({**tr.params, **self._by_node(msg[2])})
        elif kind == "boundary_spec":
            self.boundary = msg[1] and BoundaryEvaluator(tr, msg[1])
        elif kind == "boundary":
            self.boundary_params = msg[1]
        elif kind == "quit":
            self.quit = True

    def _by_node(self, values: dict) -> dict:
        index = self.trainer.p.index
        return {index[k]: _copy(v) for k, v in values.items() if k in index}

    def _boundary(self) -> None:
        if self.boundary_params is not None and self.boundary is not None:
            params, self.boundary_params = self.boundary_params, None
            self.conn.send(("boundary", self.boundary.evaluate(params)))

    def _stop(self, reason: str, epoch: int = 0, node: str = "") -> None:
        self._flush()
        self.active = self.reported = False
        self.conn.send(("stopped", self.gen, reason, epoch, node))

    def _flush(self) -> None:
        if self.buf:
            self.conn.send(("ticks", self.gen, self.buf))
            self.buf = []
        self.last_flush = time.monotonic()


# ---- the decision boundary (evaluated here, drawn by boundary_plot.py) -------------------
@dataclass
class BoundarySpec:
    """Which columns are the two inputs and the target, the score node, the grid."""
    inputs: tuple[int, int]
    target: int | None
    score: str
    component: tuple | None          # element of a tensor score (matches the target column)
    rows: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    levels: tuple[float, float]

    @property
    def threshold(self) -> float:
        return (self.levels[0] + self.levels[1]) / 2

    def grid_rows(self) -> np.ndarray:
        """Every grid point as a full dataset row (other columns 0), x-major."""
        gx, gy = np.meshgrid(self.xs, self.ys, indexing="ij")
        out = np.zeros((gx.size, self.rows.shape[1]))
        out[:, self.inputs[0]] = gx.ravel()
        out[:, self.inputs[1]] = gy.ravel()
        return out


def boundary_spec(graph, rows: np.ndarray, grid: int = GRID) -> BoundarySpec | str:
    """The spec, or a sentence saying why there is no boundary picture."""
    from ...io.dataset import resolve_columns
    cols = resolve_columns(graph, graph.dataset["columns"])
    role = [graph.nodes[nid].role for nid, _ in cols]
    inputs = [j for j, r in enumerate(role) if r == "input"]
    if len(inputs) != 2:
        return f"a decision boundary needs exactly two input columns (this dataset has {len(inputs)})"
    target = next((j for j, r in enumerate(role) if r == "target"), None)
    score, component = score_node(graph, cols[target] if target is not None else None)
    lo, hi = rows[:, inputs].min(axis=0), rows[:, inputs].max(axis=0)
    pad = np.maximum((hi - lo) * 0.15, 0.5)
    axes = [np.linspace(a, b, grid) for a, b in zip(lo - pad, hi + pad)]
    t = rows[:, target] if target is not None else np.array([0.0, 1.0])
    levels = (float(t.min()), float(t.max())) if t.max() > t.min() else (t.min() - 1.0, t.max() + 1.0)
    return BoundarySpec((inputs[0], inputs[1]), target, score, component, rows, *axes, levels)


def score_node(graph, target) -> tuple[str, tuple | None]:
    """The model's prediction: what the loss compares with the target (`y - t`, `y*t`, …)."""
    if target is not None:
        tid, idx = target
        for n in graph.nodes.values():
            if tid in n.inputs:
                others = [i for i in n.inputs if i != tid and not graph.nodes[i].is_leaf]
                if others:
                    return others[0], idx
    for n in graph.nodes.values():
        if n.label == "score":
            return n.id, None
    return graph.output, None


class BoundaryEvaluator:
    """The score over the grid with the trainer's batch evaluator (its own params)."""

    def __init__(self, trainer, spec: BoundarySpec):
        self.trainer, self.spec = trainer, spec
        self.grid = spec.grid_rows()
        self.k = trainer.p.index[spec.score]

    def evaluate(self, params: dict[str, object]):
        """(score of shape (len(xs), len(ys)), boundary (x, y) with NaN between segments,
        share of the data rows on their target's side, or None without a target)."""
        index = self.trainer.p.index
        by_node = {index[k]: v for k, v in params.items() if k in index}
        out = np.empty(len(self.grid))
        for lo in range(0, len(self.grid), CHUNK):
            out[lo:lo + CHUNK] = self._scores(self.grid[lo:lo + CHUNK], by_node)
        score = out.reshape(len(self.spec.xs), len(self.spec.ys))
        return score, contour(self.spec, score), self._accuracy(by_node)

    def _scores(self, rows: np.ndarray, by_node: dict) -> np.ndarray:
        vals, _ = self.trainer.eval.forward(rows, by_node)
        v = np.asarray(vals[self.k], dtype=np.float64)
        r = len(rows)
        if v.ndim == 0 or v.shape[0] != r:
            v = np.broadcast_to(v, (r,) + v.shape)
        c = self.spec.component
        if v.ndim == 1:
            return v
        return v[(slice(None),) + c] if c is not None and len(c) == v.ndim - 1 \
            else v.reshape(r, -1)[:, 0]

    def _accuracy(self, by_node: dict) -> float | None:
        s = self.spec
        if s.target is None:
            return None
        rows = s.rows.copy()
        rows[:, s.target] = 0.0
        side = self._scores(rows, by_node) > s.threshold
        return float(np.mean(side == (s.rows[:, s.target] > s.threshold)))


def contour(spec: BoundarySpec, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marching squares at the threshold, vectorised: one segment per crossed cell (two
    for a saddle), as x/y arrays in data units with a NaN after every segment."""
    t = spec.threshold
    s = np.where(np.isfinite(score), score, t)
    corners = (s[:-1, :-1], s[1:, :-1], s[:-1, 1:], s[1:, 1:])        # 00, 10, 01, 11
    i, j = np.meshgrid(np.arange(s.shape[0] - 1), np.arange(s.shape[1] - 1), indexing="ij")
    edges = ((0, 1, 0, 0), (2, 3, 0, 1), (0, 2, 1, 0), (1, 3, 1, 1))   # bottom, top, left, right
    px, py, ok = [], [], []
    for a, b, vertical, offset in edges:
        va, vb = corners[a], corners[b]
        with np.errstate(all="ignore"):
            f = (t - va) / (vb - va)
        ok.append((va > t) != (vb > t))
        px.append(i + (offset if vertical else f))
        py.append(j + (f if vertical else offset))
    px, py, ok = np.array(px), np.array(py), np.array(ok)
    seg = _pairs(ok, corners, t)
    x = spec.xs[0] + px * (spec.xs[1] - spec.xs[0])
    y = spec.ys[0] + py * (spec.ys[1] - spec.ys[0])
    out = [(x[e1, ci, cj], y[e1, ci, cj], x[e2, ci, cj], y[e2, ci, cj]) for e1, e2, ci, cj in seg]
    if not out:
        return np.empty(0), np.empty(0)
    x1, y1, x2, y2 = (np.concatenate(v) for v in zip(*out))
    nan = np.full(len(x1), np.nan)
    return np.column_stack([x1, x2, nan]).ravel(), np.column_stack([y1, y2, nan]).ravel()


def _pairs(ok: np.ndarray, corners, t: float) -> list:
    """Which two crossed edges each segment joins: [(edge, edge, cell i's, cell j's)]."""
    count = ok.sum(axis=0)
    out = []
    ci, cj = np.nonzero(count == 2)
    if len(ci):
        first = np.argmax(ok[:, ci, cj], axis=0)
        second = 3 - np.argmax(ok[::-1, ci, cj], axis=0)
        out.append((first, second, ci, cj))
    ci, cj = np.nonzero(count == 4)                  # a saddle: split by the centre value
    if len(ci):
        centre = sum(c[ci, cj] for c in corners) / 4 > t
        low_corner = corners[0][ci, cj] > t
        same = centre == low_corner                  # the centre joins corner 00's side
        zero = np.zeros(len(ci), dtype=int)
        out.append((zero, np.where(same, 3, 2), ci, cj))      # bottom–right or bottom–left
        out.append((zero + 1, np.where(same, 2, 3), ci, cj))  # top–left or top–right
    return out
