"""Edges: batched tiles for the whole graph, a few live items for the current step.

A graph of 65k nodes has ~126k edges; one QGraphicsItem each costs seconds to build
and makes every paint walk them. Instead `EdgeTile` draws all the edges leaving one
grid cell of nodes as one path (built lazily on first paint, straight lines when
zoomed out, curves when zoomed in), plus -- when the view is zoomed far out -- that
cell's cards as plain rectangles. `EdgeItem` is the thick, coloured, labelled edge of
the current step; the scene keeps only a handful of them.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from .theme import Style

CURVE_LOD = 0.3          # tiles draw curves at or above this zoom, straight lines below


def bend(p0: QPointF, p1: QPointF) -> tuple[QPointF, QPointF]:
    """Control points of a left-to-right edge: leave and arrive horizontally."""
    dx = max(abs(p1.x() - p0.x()) * 0.5, 30.0)
    return QPointF(p0.x() + dx, p0.y()), QPointF(p1.x() - dx, p1.y())


def contribution_width(magnitude: float) -> float:
    """Stroke width for |contribution| on a log scale: 1e-3 -> 2.5 ... 1e3 -> 11."""
    if not magnitude or not math.isfinite(magnitude):
        return 2.5
    return 2.5 + 1.4 * min(max(math.log10(magnitude) + 3.0, 0.0), 6.0)


class EdgeTile(QGraphicsItem):
    """All edges leaving one cell of the grid, and that cell's cards for the overview."""

    def __init__(self, style: Style):
        super().__init__()
        self._style = style
        self._starts = self._ends = self._cards = np.zeros((0, 2))
        self._lines: QPainterPath | None = None
        self._curves: QPainterPath | None = None
        self._card_path: QPainterPath | None = None
        self._bounds = QRectF()
        self.show_cards = False
        self.setZValue(-2)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set_geometry(self, starts: np.ndarray, ends: np.ndarray, cards: np.ndarray) -> None:
        """Edge endpoints (k×2 scene coordinates) and card centres (m×2)."""
        self.prepareGeometryChange()
        self._starts, self._ends, self._cards = starts, ends, cards
        self._lines = self._curves = self._card_path = None
        g = self._style.geo
        pts = [a for a in (starts, ends) if len(a)]
        if len(cards):
            half = np.array([g.width / 2 + 2, g.height / 2 + 2])
            pts += [cards - half, cards + half]
        if pts:
            allp = np.concatenate(pts)
            lo, hi = allp.min(axis=0), allp.max(axis=0)
            self._bounds = QRectF(lo[0] - 4, lo[1] - 4, hi[0] - lo[0] + 8, hi[1] - lo[1] + 8)
        else:
            self._bounds = QRectF()

    def set_style(self, style: Style) -> None:
        self._style = style
        self._card_path = None
        self.update()

    def edge_count(self) -> int:
        return len(self._starts)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        s = self._style
        if len(self._starts):
            painter.setRenderHint(QPainter.Antialiasing, lod >= CURVE_LOD)
            painter.setPen(s.edge_pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawPath(self._curve_path() if lod >= CURVE_LOD else self._line_path())
        if self.show_cards and len(self._cards):
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.brush["overview_card"])
            painter.drawPath(self._cards_path())

    def _line_path(self) -> QPainterPath:
        if self._lines is None:
            path = QPainterPath()
            for (x0, y0), (x1, y1) in zip(self._starts.tolist(), self._ends.tolist()):
                path.moveTo(x0, y0)
                path.lineTo(x1, y1)
            self._lines = path
        return self._lines

    def _curve_path(self) -> QPainterPath:
        if self._curves is None:
            path = QPainterPath()
            for (x0, y0), (x1, y1) in zip(self._starts.tolist(), self._ends.tolist()):
                dx = max(abs(x1 - x0) * 0.5, 30.0)
                path.moveTo(x0, y0)
                path.cubicTo(x0 + dx, y0, x1 - dx, y1, x1, y1)
            self._curves = path
        return self._curves

    def _cards_path(self) -> QPainterPath:
        if self._card_path is None:
            g = self._style.geo
            path = QPainterPath()
            w, h = g.width, g.height
            for x, y in self._cards.tolist():
                path.addRect(x - w / 2, y - h / 2, w, h)
            self._card_path = path
        return self._card_path


class EdgeItem(QGraphicsItem):
    """A lit edge of the current step: thick, coloured, arrowed, optionally labelled."""

    def __init__(self, style: Style):
        super().__init__()
        self._style = style
        self.source = self.target = ""
        self._p0 = self._p1 = QPointF()
        self._path = QPainterPath()
        self._colour = "forward_edge"
        self._width = 4.0
        self._label = ""
        self._arrow_at_start = False
        self._dashed = False
        self._bounds = QRectF()
        self.setZValue(2)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def set_edge(self, source: str, target: str, p0: QPointF, p1: QPointF, colour: str,
                 width: float, label: str = "", arrow_at_start=False, dashed=False) -> None:
        """Edge from p0 (source's output port) to p1 (target's input port). Backward
        steps point the arrow at the start: the grad flows into the source."""
        self.prepareGeometryChange()
        self.source, self.target = source, target
        self._p0, self._p1 = QPointF(p0), QPointF(p1)
        self._colour, self._width, self._label = colour, width, label
        self._arrow_at_start, self._dashed = arrow_at_start, dashed
        c1, c2 = bend(self._p0, self._p1)
        self._path = QPainterPath(self._p0)
        self._path.cubicTo(c1, c2, self._p1)
        bounds = self._path.boundingRect().adjusted(-18, -18, 18, 18)
        self._bounds = bounds.united(self._label_rect()) if label else bounds
        self.update()

    def set_style(self, style: Style) -> None:
        self.prepareGeometryChange()
        self._style = style
        if self._label:
            self._bounds = self._bounds.united(self._label_rect())
        self.update()

    def label_text(self) -> str:
        return self._label

    def colour_name(self) -> str:
        return self._colour

    def width(self) -> float:
        return self._width

    def points_to_source(self) -> bool:
        return self._arrow_at_start

    def _label_rect(self) -> QRectF:
        fm = self._style.edge_metrics
        w, h = fm.horizontalAdvance(self._label) + 14, fm.height() + 6
        mid = self._path.pointAtPercent(0.5)
        return QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = self._style
        colour = s.color[self._colour]
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.Antialiasing, True)
        pen = QPen(colour, self._width, Qt.DashLine if self._dashed else Qt.SolidLine,
                   Qt.FlatCap, Qt.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self._path)
        self._paint_arrow(painter, colour)
        if self._label and lod >= 0.3:
            self._paint_label(painter, s, colour)

    def _paint_arrow(self, painter: QPainter, colour) -> None:
        size = 7.0 + self._width
        tip = self._p0 if self._arrow_at_start else self._p1
        direction = -1.0 if self._arrow_at_start else 1.0   # arrow points left or right
        back = tip.x() - direction * size
        painter.setPen(Qt.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([tip, QPointF(back, tip.y() - size * 0.6),
                                       QPointF(back, tip.y() + size * 0.6)]))

    def _paint_label(self, painter: QPainter, s: Style, colour) -> None:
        rect = self._label_rect()
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(s.brush["card"])
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setFont(s.edge_font)
        painter.setPen(colour)
        painter.drawText(rect, Qt.AlignCenter, self._label)


class EdgeTiles:
    """Groups nodes into tiles of ~`per_tile` nodes (bands of a few layers, split by
    height) and owns one `EdgeTile` per group; an edge belongs to its source's tile.
    Groups are fixed at build time; moving a node only rebuilds the tiles it touches."""

    BAND_WIDTH = 900.0

    def __init__(self, style: Style, positions: np.ndarray, src: np.ndarray, dst: np.ndarray,
                 per_tile: int = 300):
        self._style = style
        self.positions = positions            # n×2 card centres; updated in place on moves
        self._src, self._dst = src, dst
        self.node_tile = _group(positions, self.BAND_WIDTH, per_tile)
        n_tiles = int(self.node_tile.max()) + 1 if len(self.node_tile) else 0
        self._nodes_of = _members(self.node_tile, n_tiles)
        self._edges_of = _members(self.node_tile[src], n_tiles)
        self.tiles = [EdgeTile(style) for _ in range(n_tiles)]
        for t in range(n_tiles):
            self._rebuild(t)

    def _rebuild(self, t: int) -> None:
        g = self._style.geo
        edges = self._edges_of[t]
        starts = self.positions[self._src[edges]] + (g.out_port_x, 0.0)
        ends = self.positions[self._dst[edges]] + (g.in_port_x, 0.0)
        self.tiles[t].set_geometry(starts, ends, self.positions[self._nodes_of[t]])

    def move(self, node: int, x: float, y: float, inputs: tuple[int, ...]) -> None:
        """Node `node` (whose inputs are `inputs`) now sits at (x, y)."""
        self.positions[node] = (x, y)
        for t in {int(self.node_tile[node]), *(int(self.node_tile[j]) for j in inputs)}:
            self._rebuild(t)

    def set_overview(self, on: bool) -> None:
        for tile in self.tiles:
            if tile.show_cards != on:
                tile.show_cards = on
                tile.update()

    def set_style(self, style: Style) -> None:
        self._style = style
        for t, tile in enumerate(self.tiles):
            tile.set_style(style)
            self._rebuild(t)


def _group(positions: np.ndarray, band_width: float, per_tile: int) -> np.ndarray:
    """Tile number per node: bands of x, each sorted by y and cut every `per_tile`."""
    n = len(positions)
    if n == 0:
        return np.zeros(0, np.int64)
    band = np.floor(positions[:, 0] / band_width).astype(np.int64)
    order = np.lexsort((positions[:, 1], band))
    sorted_band = band[order]
    first = np.searchsorted(sorted_band, sorted_band, side="left")
    chunk = (np.arange(n) - first) // per_tile
    keys = sorted_band * (n + 1) + chunk
    _, tile_sorted = np.unique(keys, return_inverse=True)
    tile = np.empty(n, np.int64)
    tile[order] = tile_sorted.ravel()
    return tile


def _members(owner: np.ndarray, count: int) -> list[np.ndarray]:
    """Indices grouped by owner: out[t] = indices i with owner[i] == t."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(count + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(count)]
