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
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont

REDRAW_MS = 33                       # the loss: ≤ 30 redraws a second
GRAD_REDRAW_MS = 100                 # the gradient norms: ≤ 10 a second
INK = "#1f2328"
LOSS_PEN = "#1660d8"
NAN_RED = "#d1242f"
# Okabe–Ito: tells colours apart for colour-blind viewers and on washed-out projectors
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#000000",
           "#f0e442"]
MAX_GROUPS = len(PALETTE)


class Series:
    """A growable float64 buffer (x and any number of y columns), with the running
    bounds of the finite y values (so following the data never rescans a million points)."""

    def __init__(self, columns: int = 1):
        self.x = np.empty(1024)
        self.y = np.empty((columns, 1024))
        self.clear()

    def extend(self, xs, ys) -> None:
        """xs: (k,), ys: (columns, k)."""
        k = len(xs)
        if self.n + k > len(self.x):
            cap = max(2 * len(self.x), self.n + k)
            self.x = np.resize(self.x, cap)
            y = np.empty((self.y.shape[0], cap))
            y[:, :self.n] = self.y[:, :self.n]
            self.y = y
        self.x[self.n:self.n + k] = xs
        self.y[:, self.n:self.n + k] = ys
        self.n += k
        self._bounds(np.asarray(ys, dtype=np.float64))

    def _bounds(self, ys: np.ndarray) -> None:
        finite = ys[np.isfinite(ys)]
        if len(finite):
            self.lo, self.hi = min(self.lo, finite.min()), max(self.hi, finite.max())
            pos = finite[finite > 0]
            if len(pos):
                self.lo_pos = min(self.lo_pos, pos.min())

    def clear(self) -> None:
        self.n = 0
        self.lo, self.hi, self.lo_pos = math.inf, -math.inf, math.inf


def _font(px: int, bold: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def style_plot(w: pg.PlotWidget, title: str, left: str, bottom: str = "epoch",
               grid: bool = True) -> None:
    """White, with dark, large axis text: legible from the back row."""
    w.setBackground("w")
    item = w.getPlotItem()
    item.setTitle(title, color=INK, size="15pt")
    for name, text in (("left", left), ("bottom", bottom)):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(INK, width=1.5))
        axis.setTextPen(pg.mkPen(INK))
        axis.setTickFont(_font(15))
        axis.setLabel(text, color=INK, **{"font-size": "15pt"})
        axis.enableAutoSIPrefix(False)          # "loss (x0.001)" only confuses
    item.showGrid(x=grid, y=grid, alpha=0.18)
    item.setMenuEnabled(False)
    w.setMinimumSize(260, 200)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_text(exponent: int) -> str:
    """0.001 … 1000, else 10⁻⁸-style."""
    if -3 <= exponent <= 3:
        return f"{10.0 ** exponent:g}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


class LogAxis(pg.AxisItem):
    """A log axis that labels decades (and 2, 5 when less than a decade shows),
    instead of crowding every minor tick with a number."""

    def logTickStrings(self, values, scale, spacing):
        lo, hi = self.range
        out = []
        for v in values:
            e = math.floor(v + 1e-9)
            mantissa = 10 ** (v - e)
            if abs(v - round(v)) < 1e-6:
                out.append(decade_text(round(v)))
            elif hi - lo < 1.3 and round(mantissa, 6) in (2.0, 5.0):
                out.append(f"{10.0 ** v:.3g}")
            else:
                out.append("")
        return out


FINE = (1, 1.5, 2, 3, 5, 7.5)


def nice(v: float, up: bool = True, mantissas=(1, 2, 5)) -> float:
    """The nearest m × 10^k (m one of `mantissas`) at or above (or below) v > 0."""
    e = math.floor(math.log10(v))
    steps = [m * 10.0 ** k for k in (e - 1, e, e + 1) for m in mantissas]
    if up:
        return min(x for x in steps if x >= v * (1 - 1e-12))
    return max(x for x in steps if x <= v * (1 + 1e-12))


class LivePlot(pg.PlotWidget):
    """A plot that redraws from a QTimer (only when new data arrived) and follows its
    data in coarse steps (x to a round number of epochs, y to 1-2-5 steps), so
    the axes — cached as pixmaps — are not re-rendered on every frame. Zooming or
    panning by hand stops the following; the plot's "A" button resumes it."""

    def __init__(self, parent=None, redraw_ms: int = REDRAW_MS):
        super().__init__(parent, axisItems={"left": LogAxis("left")})
        self.item = self.getPlotItem()
        self.data = Series()
        self.log, self.follow, self.redraws, self._dirty, self._view = False, True, 0, False, None
        for name in ("left", "bottom"):
            self.item.getAxis(name).setCacheMode(pg.QtWidgets.QGraphicsItem.DeviceCoordinateCache)
        self.item.disableAutoRange()
        vb = self.item.getViewBox()
        vb.sigRangeChangedManually.connect(self._manual)
        self.item.autoBtn.clicked.connect(self._resume)
        self._timer = QTimer(self, interval=redraw_ms, timeout=self._tick)
        self._timer.start()

    @property
    def points(self) -> int:
        return self.data.n

    def clear_data(self) -> None:
        self.data.clear()
        self._view = None
        self._dirty = True

    def _tick(self) -> None:
        if self._dirty:
            self._dirty = False
            self.redraws += 1
            self._redraw()
            if self.follow:
                self._fit()

    def _manual(self, *_):
        self.follow = False

    def _resume(self, *_):
        self.follow, self._view = True, None
        self._fit()

    def _fit(self) -> None:
        view = self.view_range()
        if view is not None and view != self._view:
            self._view = view
            (x0, x1), (y0, y1) = view
            self.item.setXRange(x0, x1, padding=0.02)
            self.item.setYRange(y0, y1, padding=0.03)
            self.item.autoBtn.hide()

    def view_range(self):
        """((x0, x1), (y0, y1)) in view units (log10 for a log axis), or None."""
        d = self.data
        if d.n == 0 or d.hi < d.lo:
            return None
        xr = (0.0, nice(max(float(d.x[d.n - 1]), 10.0), True, FINE))
        if self.log:
            if not math.isfinite(d.lo_pos):
                return None
            return xr, (math.log10(nice(d.lo_pos, up=False)), math.log10(nice(d.hi)))
        lo = -nice(-d.lo * 1.05, True, FINE) if d.lo < 0 else 0.0
        return xr, (lo, nice(d.hi * 1.05, True, FINE) if d.hi > 0 else 1.0)


class LossPlot(LivePlot):
    """Loss per epoch; log-scale toggle; hover shows the exact epoch and loss."""

    def __init__(self, parent=None):
        super().__init__(parent)
        style_plot(self, "loss", "loss")
        self.marked: tuple[int, float, str] | None = None
        self.curve = self.item.plot(pen=pg.mkPen(LOSS_PEN, width=3), connect="finite")
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self._build_marker()
        self._build_hover()

    def _build_marker(self) -> None:
        self.nan_marker = self.item.plot([], [], pen=None, symbol="x", symbolSize=22,
                                         symbolPen=pg.mkPen(NAN_RED, width=4),
                                         symbolBrush=NAN_RED)
        self.nan_text = pg.TextItem("", color=NAN_RED, anchor=(1, 1))
        self.nan_text.setFont(_font(16, bold=True))
        self.item.addItem(self.nan_text, ignoreBounds=True)

    def _build_hover(self) -> None:
        self.vline = pg.InfiniteLine(angle=90, pen=pg.mkPen("#8c939b", width=1.5))
        self.vline.hide()
        self.item.addItem(self.vline, ignoreBounds=True)
        self.hover_label = pg.TextItem("", color=INK, fill=QColor(255, 255, 255, 220))
        self.hover_label.setFont(_font(16, bold=True))
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
        self.legend = self.item.addLegend(offset=(-10, 10), labelTextSize="14pt",
                                          labelTextColor=INK, brush=QColor(255, 255, 255, 220),
                                          pen=pg.mkPen("#c0c4c8"))
        self.groups: list[str] = []
        self.index: dict[str, int] = {}
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
        for k, (name, count) in enumerate(names.items()):
            pen = pg.mkPen(PALETTE[k % len(PALETTE)], width=3)
            curve = self.item.plot(pen=pen, name=f"{group_title(name)}  ({count} param"
                                                 f"{'s' * (count != 1)})", connect="finite")
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves.append(curve)
        self._dirty = True

    def clear_curves(self) -> None:
        for c in self.curves:
            self.item.removeItem(c)
        self.legend.clear()
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
        self._dirty = True

    def latest(self) -> dict[str, float]:
        n = self.data.n
        return {g: float(self.data.y[k, n - 1]) for k, g in enumerate(self.groups)} if n else {}

    def _redraw(self) -> None:
        n = self.data.n
        x = self.data.x[:n]
        for k, curve in enumerate(self.curves):
            y = self.data.y[k, :n]
            curve.setData(x, np.where(y > 0, y, np.nan))
