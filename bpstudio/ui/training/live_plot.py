"""The plumbing of the live training plots: a growable buffer with running bounds,
projector-legible styling, a log axis that labels decades, and `LivePlot` — a
PlotWidget that redraws from a QTimer and follows its data in coarse steps.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont

REDRAW_MS = 33                       # ≤ 30 redraws a second
INK = "#1f2328"
TITLE_PT = (15, 14, 13, 12, 11, 10)  # a title shrinks to fit its plot, never cut


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


def font(px: int, bold: bool = False) -> QFont:
    """DejaVu Sans at a pixel size (the canvas's family)."""
    f = QFont("DejaVu Sans")
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def style_plot(w: pg.PlotWidget, title: str, left: str, bottom: str = "epoch",
               grid: bool = True) -> None:
    """White, with dark, large axis text: legible from the back row."""
    w.setBackground("w")
    item = w.getPlotItem()
    w.title_fit = FittedTitle(w)
    w.title_fit.set(title)
    for name, text in (("left", left), ("bottom", bottom)):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(INK, width=1.5))
        axis.setTextPen(pg.mkPen(INK))
        axis.setTickFont(font(15))
        axis.setLabel(text, color=INK, **{"font-size": "15pt"})
        axis.enableAutoSIPrefix(False)          # "loss (x0.001)" only confuses
    item.showGrid(x=grid, y=grid, alpha=0.18)
    item.setMenuEnabled(False)
    w.setMinimumSize(240, 150)


class FittedTitle(QObject):
    """A plot's title at the largest size (≤ 15 pt) that fits the plot's width, fitted
    again whenever the plot is resized."""

    def __init__(self, widget: pg.PlotWidget):
        super().__init__(widget)
        self.widget = widget
        self.html = ""
        widget.installEventFilter(self)

    def set(self, html: str) -> None:
        self.html = html
        self.fit()

    def room(self) -> float:
        """The title is centred over the plot area (right of the left axis): it fits when
        it reaches neither edge of the widget."""
        centre = self.widget.getPlotItem().getViewBox().sceneBoundingRect().center().x()
        if centre <= 0:
            centre = self.widget.width() / 2
        return 2 * min(centre, self.widget.width() - centre) - 12.0

    def width(self) -> float:
        return self.widget.getPlotItem().titleLabel.item.boundingRect().width()

    def fit(self) -> None:
        item = self.widget.getPlotItem()
        for pt in TITLE_PT:
            item.setTitle(self.html, color=INK, size=f"{pt}pt")
            if self.width() <= self.room():
                break

    def fits(self) -> bool:
        return self.width() <= self.room()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.widget and event.type() == QEvent.Resize:
            self.fit()
        return False


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
            elif hi - lo < 2.5 and round(mantissa, 6) in (2.0, 5.0):
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


def live_curve(item, pen) -> pg.PlotDataItem:
    """A curve for growing data: auto-downsampled ('peak' keeps the envelope) to about
    1.5 samples per pixel — thick lines cost per segment, and pyqtgraph's default of 5
    made a 3 px curve 5× slower to paint — and clipped to the visible range."""
    curve = item.plot(pen=pen, connect="finite")
    curve.opts["autoDownsampleFactor"] = 1.5
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    return curve


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
        """Start over (a new file): no data, and the axes back to their first range
        (following again, even if the last file's plot was zoomed by hand)."""
        self.data.clear()
        self._view = None
        self._dirty = True
        self.follow = True
        self.item.setXRange(0.0, 1.0, padding=0.02)
        self.item.setYRange(0.0, 1.0, padding=0.03)
        self.item.autoBtn.hide()

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
