"""`EdgeItem`: a lit edge of the current step, with its value pill (placed by
pill_spots.py) and, for a pill moved off its edge, a leader line. The static edges
of the whole graph are drawn by `edge_layer.EdgeLayer` as the scene background; the
scene keeps only a handful of `EdgeItem`s, for the current step. Their lines come
from edge_geometry.py, like the static ones.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from functools import partial
from itertools import accumulate
from operator import sub

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QStyleOptionGraphicsItem

from .card_index import scene_obstacles
from .edge_geometry import clipped_path, edge_polyline, polyline_path
from .pill_spots import FAR_ROWS, FAR_WIDTHS, SPOT_OFFSETS, free_spots

SPOT_OFFSET_LIST = SPOT_OFFSETS.tolist()
FAR_ROWS_MAX = float(FAR_ROWS.max())
from .theme import Style

LIT_SAMPLES = 24
LABEL_MAX_DISTANCE = 100.0
COVERS_A_CARD = 1.0         # covered area above this: more than op circles (their weight is 1e-3)
LEADER_MIN = 14.0           # a pill this far from its edge point gets a leader line


def _interp(at: list[float], xp: list[float], fp: list[float]) -> list[float]:
    """np.interp(at, xp, fp) for a few points, as numpy computes each (xp rising)."""
    out, last = [], len(xp) - 1
    for x in at:
        if x <= xp[0]:
            out.append(fp[0])
            continue
        j = bisect_right(xp, x) - 1
        if j >= last:
            out.append(fp[-1])
            continue
        slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])     # xp[j] <= x < xp[j + 1]
        out.append(slope * (x - xp[j]) + fp[j])
    return out


def contribution_width(magnitude: float) -> float:
    """Stroke width for |contribution| on a log scale: 1e-3 -> 2.5 ... 1e3 -> 11."""
    if not magnitude or not math.isfinite(magnitude):
        return 2.5
    return 2.5 + 1.4 * min(max(math.log10(magnitude) + 3.0, 0.0), 6.0)


class _Stroke(QGraphicsItem):
    """One piece of a lit edge's line (and its arrowhead, if the arrow is at this
    end). A lit edge is cut in pieces so that the area repainted when it appears or
    goes is a few thin strips and small squares, not its whole bounding box."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.ItemStacksBehindParent)       # under the label
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption)  # exposedRect
        self.setAcceptedMouseButtons(Qt.NoButton)
        self._xs = self._ys = np.zeros((1, 2))
        self._pen = QPen()
        self._path: QPainterPath | None = None
        self._arrow: QPolygonF | None = None
        self._bounds = QRectF()

    def set_stroke(self, xs: np.ndarray, ys: np.ndarray, pen: QPen,
                   arrow: QPolygonF | None = None) -> None:
        """The piece's points and look; its path is made when it is first painted (a
        step lights edges far off screen too)."""
        self.prepareGeometryChange()
        self._xs, self._ys, self._pen, self._arrow = xs, ys, pen, arrow
        self._path = None
        pad = pen.widthF() / 2 + 1
        lx, ly = xs.ravel().tolist(), ys.ravel().tolist()     # a dozen points: no numpy
        left, right, top, bottom = min(lx), max(lx), min(ly), max(ly)
        self._bounds = QRectF(left - pad, top - pad, right - left + 2 * pad, bottom - top + 2 * pad)
        if arrow is not None:
            self._bounds = self._bounds.united(arrow.boundingRect().adjusted(-1, -1, 1, 1))

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(self._pen)
        painter.setBrush(Qt.NoBrush)
        exposed = option.exposedRect
        # A partly exposed stroke is cut to the exposed region first: Qt would stroke
        # and rasterise all of a long edge (~170 µs for a 2,400-unit one behind an
        # 8-pixel strip, 7 µs cut), and lay a dashed one's dashes along all of it.
        if exposed.contains(self._bounds):
            if self._path is None:
                self._path = polyline_path(self._xs, self._ys)
            painter.drawPath(self._path)
        else:
            pad = self._pen.widthF() + 2
            painter.drawPath(clipped_path(self._xs, self._ys, exposed.adjusted(-pad, -pad, pad, pad),
                                          joined=self._pen.style() == Qt.SolidLine))
        if self._arrow is not None:
            painter.setPen(Qt.NoPen)
            painter.setBrush(self._pen.color())
            painter.drawPolygon(self._arrow)


class EdgeItem(QGraphicsItem):
    """A lit edge of the current step: thick, coloured, arrowed, optionally labelled.
    The item paints the arrow and label; three child strokes paint the line."""

    def __init__(self, style: Style):
        super().__init__()
        self._style = style
        self.source = self.target = ""
        self._p0 = self._p1 = QPointF()
        self._colour = "forward_edge"
        self._width = 4.0
        self._label = ""
        self._arrow_at_start = False
        self._dashed = False
        self._bounds = QRectF()
        self._xs = self._ys = np.zeros((1, 2))
        self._label_at = QPointF()
        self._label_on = QPointF()      # the point of the edge the pill belongs to
        self._leader_line: QGraphicsLineItem | None = None    # under the cards (_place_leader)
        self._label_wh = (0.0, 0.0)
        self._pending: tuple | None = None      # a pill not placed yet (settle)
        self._envelope = QRectF()               # ... and where it may land
        self.settle_step = None                 # StepHighlight.settle: the step's pills, in order
        self._strokes = [_Stroke(self) for _ in range(3)]
        self.setZValue(2)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set_edge(self, source: str, target: str, p0: QPointF, p1: QPointF, colour: str,
                 width: float, label: str = "", arrow_at_start=False, dashed=False,
                 label_slot: int = 0, label_lift: int = 0, bow: float = 0.0,
                 short_label: str = "") -> None:
        """Edge from p0 (source's output port) to p1 (target's input port). Backward
        steps point the arrow at the start: the grad flows into the source. On a long
        edge the label sits near p1 (the current node, the one on screen), stacked by
        `label_slot` so that the labels of one step do not cover each other; twin edges
        between the same two cards (a * a) are bowed apart by `bow` (as the static
        edges are, edge_layer.twin_bows) and move their labels `label_lift` rows up
        (negative: down). Where the label has no free spot, `short_label` (the bare
        contribution of a running sum) is tried instead."""
        self.prepareGeometryChange()
        self.source, self.target = source, target
        self._p0, self._p1 = QPointF(p0), QPointF(p1)
        self._colour, self._width, self._label = colour, width, label
        self._arrow_at_start, self._dashed = arrow_at_start, dashed
        xs, ys = edge_polyline(p0.x(), p0.y(), p1.x(), p1.y(), LIT_SAMPLES, bow)
        self._xs, self._ys = np.array([xs]), np.array([ys])
        self._restroke()
        self._bounds = QRectF()
        self._pending, self._envelope = None, QRectF()
        if label:
            px, py = self._spots(label_slot, label_lift)
            self._pending = (label, short_label, np.array(px), np.array(py))
            self._envelope = self._pill_envelope(label, px, py)
        self._place_leader()
        if getattr(self.scene(), "settle_pills", None) is None:   # no view tells it when
            self.settle()
        self.update()

    def settle(self) -> None:
        """Place the pill that set_edge left pending: the scene asks when a view is
        about to paint where it may land, or before an export; the getters ask too.
        A step far off screen (follow off, a fast run) places no pill at all."""
        if self._pending is None:
            return
        label, short_label, px, py = self._pending
        self._pending = None
        self.prepareGeometryChange()
        labels = [label]
        if short_label and len(short_label) < 0.7 * len(label):
            labels.append(short_label)
        sizes = [self._label_size(text) for text in labels]
        (self._label_at, cost), *short = self._label_anchor(px, py, sizes)
        self._label_wh = sizes[0]
        if short and cost > COVERS_A_CARD and short[0][1] < cost:   # both scored at once
            self._label, self._label_at, self._label_wh = short_label, short[0][0], sizes[1]
        self._label_on = self._nearest_on_edge(self._label_at)
        self._bounds = self._pill_bounds()
        self._place_leader()
        self.update()

    def pending_near(self, area: QRectF) -> bool:
        """Is the pill still to be placed, somewhere it may show in `area`?"""
        return self._pending is not None and self._envelope.intersects(area)

    def _pill_envelope(self, label: str, px: list[float], py: list[float]) -> QRectF:
        """Where the pill search may put a pill for `label` at the spots (px, py)
        (pill_spots.free_spots: by the spots, up to 1.5 widths and four rows beside
        them; a short form is narrower)."""
        w, h = self._label_size(label)
        dx, dy = (FAR_WIDTHS + 1) * w, FAR_ROWS_MAX * self._pill_row() + h
        return QRectF(QPointF(min(px) - dx, min(py) - dy), QPointF(max(px) + dx, max(py) + dy))

    def _settled(self) -> None:
        if self._pending is not None:
            (self.settle_step or self.settle)()

    def _restroke(self) -> None:
        # A dashed stroke's dashes get square caps: from a few pixels away they look
        # as round ones do, and Qt strokes them ~4x faster (a long zero-grad edge's
        # dozens of dashes were most of a step's paint).
        pen = QPen(self._style.color[self._colour], self._width,
                   Qt.DashLine if self._dashed else Qt.SolidLine,
                   Qt.SquareCap if self._dashed else Qt.RoundCap, Qt.RoundJoin)
        h = LIT_SAMPLES // 2
        arrows = (self._arrow() if self._arrow_at_start else None, None,
                  None if self._arrow_at_start else self._arrow())
        for stroke, (lo, hi), arrow in zip(self._strokes, ((0, h), (h - 1, h + 1), (h, LIT_SAMPLES)),
                                           arrows):
            stroke.set_stroke(self._xs[:, lo:hi], self._ys[:, lo:hi], pen, arrow)

    def set_style(self, style: Style) -> None:
        self.prepareGeometryChange()
        self._style = style
        self._restroke()
        if self._pending is not None:
            return
        self._label_wh = self._label_size()
        self._bounds = self._pill_bounds()
        self._place_leader()
        self.update()

    def _place_leader(self) -> None:
        """The leader line of a pill moved off its edge: its own item, under the cards
        (z −0.5), so it never crosses a card's numbers; shown and hidden with the pill."""
        leader = self._leader() if self._label and self._pending is None else None
        line = self._leader_line
        if leader is None or self.scene() is None:
            if line is not None:
                line.setVisible(False)
            return
        if line is None:
            line = self._leader_line = QGraphicsLineItem()
            line.setZValue(-0.5)
            line.setAcceptedMouseButtons(Qt.NoButton)
            self.scene().addItem(line)
        line.setPen(QPen(self._style.color[self._colour], 1.5, Qt.DotLine, Qt.RoundCap))
        line.setLine(QLineF(*leader))
        line.setVisible(self.isVisible())

    def hide_lit(self) -> None:
        """Hide the edge and its leader line (set_edge shows the leader again). Not an
        itemChange override: PySide would call into Python on every change of every
        lit edge, a step's few but each step's."""
        self.setVisible(False)
        if self._leader_line is not None:
            self._leader_line.setVisible(False)

    def label_text(self) -> str:
        self._settled()
        return self._label

    def colour_name(self) -> str:
        return self._colour

    def width(self) -> float:
        return self._width

    def ends(self) -> tuple[QPointF, QPointF]:
        """(source's port, target's port) in the scene."""
        return QPointF(self._p0), QPointF(self._p1)

    def points_to_source(self) -> bool:
        return self._arrow_at_start

    def _pill_row(self) -> float:
        return self._style.edge_metrics.height() + 10

    def _spots(self, slot: int, lift: int) -> tuple[list[float], list[float]]:
        """Where the pill would rather be, best first (x's, y's): halfway along a
        short edge, on a long one a fixed distance from p1 (stacked by `slot`, twins
        moved `lift` rows), then on either side along the edge. (Plain Python: 24
        points, a step's few edges; numpy's cost per call would be most of it.)"""
        xs, ys = self._xs[0].tolist(), self._ys[0].tolist()
        run = list(accumulate(map(math.hypot, map(sub, xs[1:], xs), map(sub, ys[1:], ys)),
                              initial=0.0))
        total, row = run[-1], self._pill_row()
        if total <= 2 * LABEL_MAX_DISTANCE:
            at = total / 2
        else:
            at = total - min(LABEL_MAX_DISTANCE + slot * (row + 2), total / 2)
        spots = [min(max(at + offset, 0.0), total) for offset in SPOT_OFFSET_LIST]
        return _interp(spots, run, xs), [y - lift * row for y in _interp(spots, run, ys)]

    def _label_anchor(self, px: np.ndarray, py: np.ndarray,
                      sizes: list[tuple[float, float]]) -> list[tuple[QPointF, float]]:
        """The pill's centre, for a pill of each of `sizes` (the label, its short
        form): the spot nearest to the first of (px, py), on the edge or else just
        beside it, where the pill covers no card, op circle, arrowhead or other pill
        of this step (pill_spots.free_spots); with the (weighted) area it covers there."""
        scene = self.scene()
        if scene is None:
            return [(QPointF(float(px[0]), float(py[0])), 0.0)] * len(sizes)
        ask = getattr(scene, "pill_obstacles", None)      # GraphScene: its card index
        find = partial(ask, self) if ask is not None else partial(scene_obstacles, scene, self)
        return [(QPointF(x, y), cost) for (x, y), cost
                in free_spots(find, scene.sceneRect(), px, py, self._pill_row(), sizes)]

    def _nearest_on_edge(self, at: QPointF) -> QPointF:
        """The point of the edge's line closest to `at` (where a leader line starts)."""
        xs, ys = self._xs[0], self._ys[0]
        k = int(np.argmin(np.hypot(xs - at.x(), ys - at.y())))
        return QPointF(float(xs[k]), float(ys[k]))

    def _label_size(self, text: str | None = None) -> tuple[float, float]:
        """(w, h) of the pill for `text` (default: the label shown)."""
        text = self._label if text is None else text
        sizes = self._style.cache.setdefault("pill_sizes", {})    # set_edge, then settle
        size = sizes.get(text)
        if size is None:
            if len(sizes) > 4096:
                sizes.clear()
            fm = self._style.edge_metrics
            size = sizes[text] = (fm.horizontalAdvance(text) + 14, fm.height() + 6)
        return size

    def _label_rect(self) -> QRectF:
        w, h = self._label_wh
        mid = self._label_at
        return QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def _pill_bounds(self) -> QRectF:
        """The pill with its 2-wide border, which straddles the rect (and antialiasing):
        all of it is repainted when the pill moves or goes, leaving no trace."""
        return self._label_rect().adjusted(-2, -2, 2, 2) if self._label else QRectF()

    def _leader(self) -> tuple[QPointF, QPointF] | None:
        """A pill the search moved away from its edge (no room there) gets a thin line
        from the edge to the pill's nearest side: (edge point, pill point), else None."""
        rect, on = self._label_rect(), self._label_on
        near = QPointF(min(max(on.x(), rect.left()), rect.right()),
                       min(max(on.y(), rect.top()), rect.bottom()))
        gap = near - on
        return (QPointF(on), near) if gap.manhattanLength() > LEADER_MIN else None

    def keep_clear(self) -> QRectF:
        """The scene area other pills of this step stay out of: this one's."""
        self._settled()
        return self._label_rect() if self._label else QRectF()

    def clear_boxes(self) -> tuple[tuple[float, ...], ...]:
        """As keep_clear(); none while pending (placed after the pills that ask)."""
        if self._pending is not None:
            return ()
        return ((*self.keep_clear().getCoords(), 1.0),) if self._label else ()

    def _arrow(self) -> QPolygonF:
        """The arrowhead: at the source for backward steps (grad flows into it)."""
        size = 7.0 + self._width
        tip = self._p0 if self._arrow_at_start else self._p1
        back = tip.x() + (size if self._arrow_at_start else -size)
        return QPolygonF([tip, QPointF(back, tip.y() - size * 0.6),
                          QPointF(back, tip.y() + size * 0.6)])

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if self._label and lod >= 0.3:
            painter.setRenderHint(QPainter.Antialiasing, True)
            self._paint_label(painter, self._style, self._style.color[self._colour])

    def _paint_label(self, painter: QPainter, s: Style, colour) -> None:
        rect = self._label_rect()
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(s.brush["card"])
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setFont(s.edge_font)
        painter.setPen(colour)
        painter.drawText(rect, Qt.AlignCenter, self._label)
