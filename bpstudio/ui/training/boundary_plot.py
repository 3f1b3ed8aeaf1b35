"""The decision boundary of a model with two inputs (as in micrograd's demo / TF Playground).

The model's score over a grid spanning the data (target columns filled with 0) is
evaluated by the training worker process with the engine's batch evaluator (10k rows
of the ~1k-node moons MLP: tens of milliseconds), together with the boundary line
(vectorised marching squares) and the training accuracy. This widget only draws: the
score as an image (blue ↔ white ↔ orange, saturating at the targets' values), the
line at the midpoint of the targets, and the data points coloured (and shaped) by
target. It asks for a new picture at most a few times a second, one request at a time.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from .live_plot import INK, style_plot
from .worker import BoundarySpec, boundary_spec

REFRESH_MS = 300
STALE_SECONDS = 3.0                  # an unanswered request is given up after this
LOW, HIGH = "#1f5fbf", "#e8710a"                 # points: the two classes
LOW_BG, HIGH_BG = "#9dbff0", "#f7bf8e"           # the regions, lighter


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
        self.request: Callable[[dict], bool] | None = None   # sends params to the worker
        self._latest: dict | None = None
        self._asked_at: float | None = None
        self._title = ""
        self.score: np.ndarray | None = None
        self.accuracy: float | None = None
        self.refreshes = 0
        self._build()
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self._submit)
        self._timer.start()

    def _build(self) -> None:
        self.plot = pg.PlotWidget()
        style_plot(self.plot, "decision boundary", "", "", grid=False)
        self.plot.getPlotItem().setAspectLocked(False)
        self.image = SmoothImage()
        cmap = pg.ColorMap([0.0, 0.5, 1.0], [QColor(LOW_BG), QColor("#ffffff"), QColor(HIGH_BG)])
        self.image.setLookupTable(cmap.getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        pen = pg.mkPen(INK, width=3)
        pen.setCapStyle(Qt.RoundCap)
        self.line = pg.PlotDataItem([], [], pen=pen, connect="finite")
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
        """Show the boundary of `graph`, or a hint why there is none; the picture
        arrives once the worker answers (see `request`)."""
        self.spec, self.score, self.accuracy = None, None, None
        self._latest, self._asked_at = None, None
        if graph is None or not (graph.dataset or {}).get("columns"):
            return self._show_hint("no dataset: nothing to draw")
        try:
            from ...io.dataset import load_rows
            rows = np.asarray(load_rows(graph, base_dir), dtype=np.float64)
            spec = boundary_spec(graph, rows)
        except Exception as exc:
            return self._show_hint(" ".join(str(exc).split()))
        if isinstance(spec, str):
            return self._show_hint(spec)
        self.spec = spec
        self._setup_axes(graph, spec)
        self.update_params(params if params is not None else
                           {n.id: n.value for n in graph.leaves() if n.role == "parameter"})
        self.stack.setCurrentWidget(self.plot)

    def update_params(self, params: dict) -> None:
        """The latest weights; drawn at the next refresh (a few times a second)."""
        self._latest = params

    def shutdown(self) -> None:
        self._timer.stop()

    @property
    def available(self) -> bool:
        return self.spec is not None

    # ---- internals -----------------------------------------------------------------------
    def _show_hint(self, text: str) -> None:
        self.spec = None
        self.hint.setText(text)
        self.stack.setCurrentWidget(self.hint)

    def _setup_axes(self, graph, spec: BoundarySpec) -> None:
        from ...io.dataset import resolve_columns
        cols = resolve_columns(graph, graph.dataset["columns"])
        names = [graph.nodes[cols[j][0]].label for j in spec.inputs]
        item = self.plot.getPlotItem()
        item.setLabel("bottom", names[0], color=INK, **{"font-size": "15pt"})
        item.setLabel("left", names[1], color=INK, **{"font-size": "15pt"})
        self._title = f"decision boundary: {graph.nodes[spec.score].label} = {spec.threshold:g}"
        self.plot.title_fit.set(self._title)
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
        if self._asked_at is not None and time.monotonic() - self._asked_at > STALE_SECONDS:
            self._asked_at = None                       # lost (the worker restarted)
        if self.spec is None or self._latest is None or self._asked_at is not None:
            return
        if self.request is not None and self.request(self._latest):
            self._latest, self._asked_at = None, time.monotonic()

    def show_result(self, result) -> None:
        """Draw the worker's answer: (score grid, boundary x/y, accuracy)."""
        self._asked_at = None
        if self.spec is None:
            return
        score, (lx, ly), self.accuracy = result
        if np.shape(score) != (len(self.spec.xs), len(self.spec.ys)):
            return                                      # an answer for another graph
        self.score = score
        self.refreshes += 1
        self.image.setImage(score, levels=self.spec.levels, autoLevels=False)
        self.line.setData(lx, ly, connect="finite")
        if self.accuracy is not None:
            self.plot.title_fit.set(f"{self._title} · accuracy {100 * self.accuracy:.0f}%")
