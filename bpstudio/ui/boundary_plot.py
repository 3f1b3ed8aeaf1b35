"""The decision boundary of a model with two inputs (as in micrograd's demo / TF Playground).

The model's score is evaluated over a grid spanning the data with the engine's batch
evaluator (target columns filled with 0) in a worker thread — 10k rows of the ~1k-node
moons MLP cost tens of milliseconds, chunked by 1000 rows. Requests are latest-wins and
the plot asks at most a few times a second. The picture: the score as an image
(blue ↔ white ↔ orange, saturating at the targets' values), the boundary as an
isocurve at the midpoint of the targets, and the data points coloured by target.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from .live_plot import INK, style_plot
from .training_runner import lower_priority

GRID = 100
CHUNK = 1000
REFRESH_MS = 300
LOW, HIGH = "#1f5fbf", "#e8710a"                 # points: the two classes
LOW_BG, HIGH_BG = "#9dbff0", "#f7bf8e"           # the regions, lighter


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
    from ..io.dataset import resolve_columns
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


def boundary_lines(spec: BoundarySpec, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marching squares at the threshold (pyqtgraph's, pure Python: ~20 ms for 100×100,
    which is why it runs here in the worker), in data coordinates."""
    lines = pg.functions.isocurve(score, spec.threshold, connected=True, extendToEdge=True)
    xs, ys = spec.xs, spec.ys
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    px, py = [], []
    for line in lines:
        pts = np.asarray(line, dtype=np.float64)
        px += [xs[0] - dx / 2 + pts[:, 0] * dx, [np.nan]]
        py += [ys[0] - dy / 2 + pts[:, 1] * dy, [np.nan]]
    if not px:
        return np.empty(0), np.empty(0)
    return np.concatenate(px), np.concatenate(py)


class BoundaryModel:
    """Qt-free: evaluates the score over the grid for given parameter values."""

    def __init__(self, graph, base_dir, spec: BoundarySpec):
        from ..cli_train import make_trainer
        self.spec = spec
        self.trainer = make_trainer(graph, base_dir)
        self.grid = spec.grid_rows()
        self.k = self.trainer.p.index[spec.score]

    def evaluate(self, params: dict[str, object]):
        """(the score at every grid point, shape (len(xs), len(ys)); the boundary as
        (x, y) arrays with NaN between pieces; the share of data rows on the side of the
        boundary their target is on, or None without targets)."""
        index = self.trainer.p.index
        by_node = {index[k]: v for k, v in params.items() if k in index}
        out = np.empty(len(self.grid))
        for lo in range(0, len(self.grid), CHUNK):
            out[lo:lo + CHUNK] = self._scores(self.grid[lo:lo + CHUNK], by_node)
        score = out.reshape(len(self.spec.xs), len(self.spec.ys))
        return score, boundary_lines(self.spec, score), self._accuracy(by_node)

    def _scores(self, rows: np.ndarray, by_node: dict) -> np.ndarray:
        vals, _ = self.trainer.eval.forward(rows, by_node)
        return self._score(vals[self.k], len(rows))

    def _accuracy(self, by_node: dict) -> float | None:
        s = self.spec
        if s.target is None:
            return None
        rows = s.rows.copy()
        rows[:, s.target] = 0.0
        side = self._scores(rows, by_node) > s.threshold
        return float(np.mean(side == (s.rows[:, s.target] > s.threshold)))

    def _score(self, v, r: int) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 0 or v.shape[0] != r:
            v = np.broadcast_to(v, (r,) + v.shape)
        if v.ndim == 1:
            return v
        c = self.spec.component
        return v[(slice(None),) + c] if c is not None and len(c) == v.ndim - 1 \
            else v.reshape(r, -1)[:, 0]


class BoundaryWorker(QObject):
    """One worker thread; `request(params)` replaces any request not yet started."""

    computed = Signal(int, object)          # (generation, (score, lines, accuracy))
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending = None
        self._gen = 0
        self._quit = False
        self.busy = False
        self._thread: threading.Thread | None = None

    def start(self, graph, base_dir, spec: BoundarySpec) -> int:
        self.stop()
        with self._cond:
            self._quit, self._pending, self._gen = False, None, self._gen + 1
            gen = self._gen
        self._thread = threading.Thread(target=self._work, args=(graph, base_dir, spec, gen),
                                        name="bpstudio-boundary", daemon=True)
        self._thread.start()
        return gen

    def stop(self) -> None:
        with self._cond:
            self._quit = True
            self._gen += 1
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
        self.busy = False

    def request(self, params: dict) -> None:
        with self._cond:
            self._pending = params
            self.busy = True
            self._cond.notify_all()

    def _work(self, graph, base_dir, spec, gen: int) -> None:
        lower_priority()
        try:
            model = BoundaryModel(graph, base_dir, spec)
        except Exception as exc:              # reported, never raised in a thread
            self.failed.emit(" ".join(str(exc).split()))
            return
        while True:
            with self._cond:
                while self._pending is None and not self._quit:
                    self._cond.wait()
                if self._quit or gen != self._gen:
                    return
                params, self._pending = self._pending, None
            result = model.evaluate(params)
            with self._cond:
                self.busy = self._pending is not None
            self.computed.emit(gen, result)


class SmoothImage(pg.ImageItem):
    """Bilinear scaling: a 100×100 grid reads as a smooth field, not as blocks."""

    def paint(self, painter, *args):
        painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
        super().paint(painter, *args)


class BoundaryPlot(QWidget):
    """The picture, or a one-line hint when the dataset does not have two inputs."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.spec: BoundarySpec | None = None
        self._gen = 0
        self._latest: dict | None = None
        self._title = ""
        self.score: np.ndarray | None = None
        self.accuracy: float | None = None
        self.refreshes = 0
        self.worker = BoundaryWorker(self)
        self.worker.computed.connect(self._computed)
        self.worker.failed.connect(self._show_hint)
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._submit)
        self._timer.start()

    def _build(self) -> None:
        self.plot = pg.PlotWidget()
        style_plot(self.plot, "decision boundary", "", "", grid=False)
        self.plot.getPlotItem().setAspectLocked(False)
        self.image = SmoothImage()
        cmap = pg.ColorMap([0.0, 0.5, 1.0], [QColor(LOW_BG), QColor("#ffffff"), QColor(HIGH_BG)])
        self.image.setLookupTable(cmap.getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.line = pg.PlotDataItem([], [], pen=pg.mkPen(INK, width=3), connect="finite")
        self.plot.addItem(self.line)
        self.points = pg.ScatterPlotItem(size=15, pen=pg.mkPen("w", width=1.5))
        self.plot.addItem(self.points)
        self.hint = QLabel()
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #57606a; font-size: 16px;")
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.hint)

    # ---- public ----------------------------------------------------------------------
    def set_graph(self, graph, base_dir=None, params: dict | None = None) -> None:
        """Show the boundary of `graph` (a copy is taken), or a hint why there is none."""
        self.worker.stop()
        self.spec = None
        self._latest = None
        if graph is None or not (graph.dataset or {}).get("columns"):
            return self._show_hint("no dataset: nothing to draw")
        try:
            from ..io.dataset import load_rows
            rows = np.asarray(load_rows(graph, base_dir), dtype=np.float64)
            spec = boundary_spec(graph, rows)
        except Exception as exc:
            return self._show_hint(" ".join(str(exc).split()))
        if isinstance(spec, str):
            return self._show_hint(spec)
        self.spec = spec
        self._setup_axes(graph, spec)
        self._gen = self.worker.start(graph.copy(), base_dir, spec)
        start = params if params is not None else \
            {n.id: n.value for n in graph.leaves() if n.role == "parameter"}
        self.update_params(start)
        self.stack.setCurrentWidget(self.plot)

    def update_params(self, params: dict) -> None:
        """The latest weights; drawn at the next refresh (a few times a second)."""
        self._latest = params

    def shutdown(self) -> None:
        self._timer.stop()
        self.worker.stop()

    @property
    def available(self) -> bool:
        return self.spec is not None

    # ---- internals -----------------------------------------------------------------------
    def _show_hint(self, text: str) -> None:
        self.spec = None
        self.hint.setText(text)
        self.stack.setCurrentWidget(self.hint)

    def _setup_axes(self, graph, spec: BoundarySpec) -> None:
        from ..io.dataset import resolve_columns
        cols = resolve_columns(graph, graph.dataset["columns"])
        names = [graph.nodes[cols[j][0]].label for j in spec.inputs]
        item = self.plot.getPlotItem()
        item.setLabel("bottom", names[0], color=INK, **{"font-size": "15pt"})
        item.setLabel("left", names[1], color=INK, **{"font-size": "15pt"})
        self._title = f"decision boundary: {graph.nodes[spec.score].label} = {spec.threshold:g}"
        item.setTitle(self._title, color=INK, size="15pt")
        xs, ys = spec.xs, spec.ys
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        self.image.setImage(np.full((len(xs), len(ys)), spec.threshold), levels=spec.levels)
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys)))
        self.line.setData([], [])
        self._set_points(spec)
        item.setRange(xRange=(xs[0], xs[-1]), yRange=(ys[0], ys[-1]), padding=0)

    def _set_points(self, spec: BoundarySpec) -> None:
        r = spec.rows
        t = r[:, spec.target] if spec.target is not None else np.zeros(len(r))
        high = t > spec.threshold
        brushes = [pg.mkBrush(HIGH if h else LOW) for h in high]
        symbols = ["t" if h else "o" for h in high]    # shape too, not colour alone
        self.points.setData(r[:, spec.inputs[0]], r[:, spec.inputs[1]], brush=brushes,
                            symbol=symbols)

    def _submit(self) -> None:
        if self.spec is not None and self._latest is not None and not self.worker.busy:
            self.worker.request(self._latest)
            self._latest = None

    def _computed(self, gen: int, result) -> None:
        if gen != self._gen or self.spec is None:
            return
        self.score, (lx, ly), self.accuracy = result
        self.refreshes += 1
        self.image.setImage(self.score, levels=self.spec.levels, autoLevels=False)
        self.line.setData(lx, ly, connect="finite")
        if self.accuracy is not None:
            self.plot.getPlotItem().setTitle(
                f"{self._title} · accuracy {100 * self.accuracy:.0f}%", color=INK, size="15pt")
