"""Live plots of training: the loss per epoch and the gradient norm per layer.

Both plots keep their data in growable numpy buffers, create their curves once and
call `setData` from a QTimer (at most ~30 times a second, only when something new
arrived), with auto-downsampling and clip-to-view so a million points stay smooth.
Non-finite losses are kept and *marked* (a red cross at the last finite value and a
note naming the node), never dropped.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from .live_plot import INK, LivePlot, Series, font, live_curve, style_plot

GRAD_REDRAW_MS = 100                 # the gradient norms: ≤ 10 redraws a second
LOSS_PEN = "#1660d8"
NAN_RED = "#d1242f"
# Okabe–Ito: tells colours apart for colour-blind viewers and on washed-out projectors
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#000000",
           "#f0e442"]
MAX_GROUPS = len(PALETTE)


class LossPlot(LivePlot):
    """Loss per epoch; log-scale toggle; hover shows the exact epoch and loss."""

    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, "loss", "loss")
        self.marked: tuple[int, float, str] | None = None
        self.curve = live_curve(self.item, pg.mkPen(LOSS_PEN, width=3))
        self._build_marker()
        self._build_hover()

    def _build_marker(self) -> None:
        self.nan_marker = self.item.plot([], [], pen=None, symbol="x", symbolSize=22,
                                         symbolPen=pg.mkPen(NAN_RED, width=4),
                                         symbolBrush=NAN_RED)
        self.nan_text = pg.TextItem("", color=NAN_RED, anchor=(1, 1))
        self.nan_text.setFont(font(16, bold=True))
        self.item.addItem(self.nan_text, ignoreBounds=True)

    def _build_hover(self) -> None:
        self.vline = pg.InfiniteLine(angle=90, pen=pg.mkPen("#8c939b", width=1.5))
        self.vline.hide()
        self.item.addItem(self.vline, ignoreBounds=True)
        self.hover_label = pg.TextItem("", color=INK, fill=QColor(255, 255, 255, 220))
        self.hover_label.setFont(font(16, bold=True))
        self.hover_label.hide()
        self.item.addItem(self.hover_label, ignoreBounds=True)
        self.hover_dot = self.item.plot([], [], pen=None, symbol="o", symbolSize=11,
                                        symbolBrush=LOSS_PEN, symbolPen="w")
        self.scene().sigMouseMoved.connect(self._mouse_moved)

    # ---- data ------------------------------------------------------------------------
    def append_ticks(self, ticks) -> None:
        """Add one point per tick; a non-finite tick is kept (NaN) and marked."""
        xs = np.fromiter((t.epoch + (1 if t.nonfinite else 0) for t in ticks), float, len(ticks))
        ys = np.fromiter((t.loss for t in ticks), float, len(ticks))
        self.data.extend(xs, ys[None])
        bad = next((t for t in ticks if t.nonfinite or not math.isfinite(t.loss)), None)
        if bad is not None and self.marked is None:
            self.mark_nonfinite(bad.epoch + (1 if bad.nonfinite else 0), bad.nonfinite or "")
        self._dirty = True

    def mark_nonfinite(self, epoch: int, node: str) -> None:
        """A red cross at the last finite loss, with 'NaN at epoch k, node x'."""
        y = self.data.y[0, :self.data.n]
        finite = y[np.isfinite(y)]
        last = float(finite[-1]) if len(finite) else 0.0
        self.data._bounds(np.array([last]))          # the view keeps the mark in sight
        self.marked = (epoch, last, node)
        where = f", node {node}" if node else ""
        self.nan_text.setText(f"NaN/∞ at epoch {epoch}{where}")
        self._place_marker()
        self._dirty = True

    def clear_data(self) -> None:
        super().clear_data()
        self.marked = None
        self.nan_marker.setData([], [])
        self.nan_text.setText("")

    def set_log(self, flag: bool) -> None:
        self.log = bool(flag)
        self.item.setLogMode(False, self.log)
        self.item.setLabel("left", "loss (log scale)" if self.log else "loss", color=INK,
                           **{"font-size": "15pt"})
        self._place_marker()
        self._view = None
        self._dirty = True

    # ---- drawing ---------------------------------------------------------------------
    def _redraw(self) -> None:
        n = self.data.n
        y = self.data.y[0, :n]
        if self.log:
            y = np.where(y > 0, y, np.nan)       # log of 0 has no place on the axis
        self.curve.setData(self.data.x[:n], y)

    def _place_marker(self) -> None:
        if self.marked is None:
            return
        epoch, y, _ = self.marked
        self.nan_marker.setData([epoch], [y if not self.log or y > 0 else 1e-12])
        shown = math.log10(y) if self.log and y > 0 else y
        self.nan_text.setPos(epoch, shown)
        right_half = epoch > 0.5 * max(float(self.data.x[max(self.data.n - 1, 0)]), 10.0)
        self.nan_text.setAnchor((1, 1) if right_half else (0, 1))

    # ---- hover -----------------------------------------------------------------------
    def value_at(self, x: float) -> tuple[int, float] | None:
        """The data point nearest to epoch x: (epoch, loss)."""
        n = self.data.n
        if n == 0:
            return None
        xs = self.data.x[:n]
        k = int(np.clip(np.searchsorted(xs, x), 0, n - 1))
        if k > 0 and abs(xs[k - 1] - x) <= abs(xs[k] - x):
            k -= 1
        return int(xs[k]), float(self.data.y[0, k])

    def _mouse_moved(self, pos) -> None:
        vb = self.item.getViewBox()
        hit = vb.sceneBoundingRect().contains(pos) and self.value_at(
            vb.mapSceneToView(pos).x())
        for it in (self.vline, self.hover_label, self.hover_dot):
            it.setVisible(bool(hit))
        if not hit:
            return
        epoch, loss = hit
        self.vline.setPos(epoch)
        self.hover_label.setText(hover_text(epoch, loss))
        (left, right), (_, top) = vb.viewRange()
        self.hover_label.setAnchor((1, 0) if epoch > (left + right) / 2 else (0, 0))
        self.hover_label.setPos(epoch, top)
        finite = math.isfinite(loss)
        self.hover_dot.setData([epoch] if finite else [], [loss] if finite else [])


def hover_text(epoch: int, loss: float) -> str:
    value = f"{loss:.8g}" if math.isfinite(loss) else ("NaN" if math.isnan(loss) else "∞")
    return f" epoch {epoch}\n loss {value} "


# ---- gradient norms per layer ------------------------------------------------------------
_NEURON = re.compile(r"(.*\d)n\d+$")       # "l1n3" -> layer "l1" (micrograd MLP ids)


def param_group(node_id: str) -> str:
    """The layer a parameter belongs to: 'l1n3.w1' -> 'l1', 'W11' -> 'W', 'W' -> 'W'."""
    if "." in node_id:
        head = node_id.split(".", 1)[0]
        m = _NEURON.fullmatch(head)
        return m.group(1) if m else head
    return node_id.rstrip("0123456789") or node_id


def group_title(name: str) -> str:
    """'l2' -> 'layer 2'; anything else as it is."""
    m = re.fullmatch(r"l(\d+)", name)
    return f"layer {m.group(1)}" if m else name


class GradNormPlot(LivePlot):
    """‖grad‖ per layer (all of the layer's parameter grads as one vector), log y."""

    def __init__(self, parent=None):
        super().__init__(parent, redraw_ms=GRAD_REDRAW_MS)
        style_plot(self, "gradient norm per layer", "‖grad‖ (log scale)")
        self.log = True
        self.item.setLogMode(False, True)
        self.groups: list[str] = []
        self.index: dict[str, int] = {}
        self._key, self._zero_since = "", None
        self.curves: list = []

    def set_parameters(self, ids: list[str]) -> None:
        """Fix the groups (the curves and legend) from the graph's parameter ids."""
        self.clear_curves()
        names: dict[str, int] = {}
        for nid in ids:
            names[param_group(nid)] = names.get(param_group(nid), 0) + 1
        group_of = param_group
        if len(names) > MAX_GROUPS:                  # too many to tell apart: one total
            names, group_of = {"all": len(ids)}, (lambda _nid: "all")
        self.groups = list(names)
        self.index = {nid: self.groups.index(group_of(nid)) for nid in ids}
        self.data = Series(len(self.groups))
        keys = []
        for k, (name, count) in enumerate(names.items()):
            color = PALETTE[k % len(PALETTE)]
            self.curves.append(live_curve(self.item, pg.mkPen(color, width=3)))
            keys.append(f"<span style='color:{color}; font-weight:bold'>━━ {group_title(name)}"
                        f"</span> ({count})")
        # the key sits in the title: a legend box would hide the curves of a small plot
        self._key = "‖grad‖ per layer: &nbsp;" + " &nbsp; ".join(keys)
        self._zero_since = None
        self._title()
        self._dirty = True

    def _title(self) -> None:
        note = "" if self._zero_since is None else \
            f" &nbsp;<span style='color:#57606a'>· all 0 from epoch {self._zero_since}</span>"
        self.title_fit.set(self._key + note)

    def clear_data(self) -> None:
        super().clear_data()
        if self._zero_since is not None:
            self._zero_since = None
            self._title()

    def clear_curves(self) -> None:
        for c in self.curves:
            self.item.removeItem(c)
        self.curves = []

    def append_ticks(self, ticks) -> None:
        ticks = [t for t in ticks if not t.nonfinite]
        if not ticks or not self.groups:
            return
        ys = np.zeros((len(self.groups), len(ticks)))
        index = self.index
        for j, t in enumerate(ticks):
            col = ys[:, j]
            for nid, g in t.grad_norms.items():
                k = index.get(nid)
                if k is not None:
                    col[k] += g * g
        self.data.extend([t.epoch for t in ticks], np.sqrt(ys))
        self._note_zeros(ticks, ys)
        self._dirty = True

    def _note_zeros(self, ticks, ys: np.ndarray) -> None:
        """Zero grads have no place on a log axis: say so in the title instead."""
        alive = np.flatnonzero(ys.any(axis=0))
        since = ticks[alive[-1] + 1].epoch if len(alive) and alive[-1] + 1 < len(ticks) else \
            (None if len(alive) else self._zero_since or ticks[0].epoch)
        if since != self._zero_since:
            self._zero_since = since
            self._title()

    def latest(self) -> dict[str, float]:
        n = self.data.n
        return {g: float(self.data.y[k, n - 1]) for k, g in enumerate(self.groups)} if n else {}

    def _redraw(self) -> None:
        n = self.data.n
        x = self.data.x[:n]
        for k, curve in enumerate(self.curves):
            y = self.data.y[k, :n]
            curve.setData(x, np.where(y > 0, y, np.nan))
