"""Every edge of the graph, drawn as the scene's background.

A 65k-node graph has ~126k edges; one QGraphicsItem each costs seconds to build and
makes every repaint walk and stroke them. Here edges are grouped in bundles (the
edges leaving ~300 neighbouring nodes) and painted by `GraphScene.drawBackground`,
which the view caches (`QGraphicsView.CacheBackground`): a step that repaints one
card blits the edges underneath instead of stroking the thousands of long edges that
cross a dense region, and a pan strokes only the newly exposed strip.

Zoomed out, edges are straight 1-pixel lines and -- below the overview zoom -- the
bundles also draw their cards as plain rectangles (the card items are hidden then).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from .edge_geometry import clipped_segments, edge_polylines, polyline_path, twin_bow
from .theme import CardGeometry, Style

CURVE_LOD = 0.3             # curves at or above this zoom, straight lines below
CURVE_SAMPLES = 12          # points per curved edge
AA_PIXEL_LIMIT = 40_000     # longer total stroke in one repaint: thin lines, no antialiasing
                            # (antialiased lines cost ~50-100 ns per pixel of length)


class EdgeBundle:
    """The edges leaving one group of nodes, and that group's card rectangles."""

    __slots__ = ("_boxes", "_card_path", "_full", "_points", "bows", "cards", "ends", "sizes",
                 "starts")
    # _points[samples] = (xs, ys); _full[samples] = (path, total length);
    # _boxes[samples] = each edge's (left, top, right, bottom)

    def __init__(self):
        self.starts = self.ends = self.cards = np.zeros((0, 2))
        self.bows: np.ndarray | None = None          # twin edges' bows (twin_bows below)
        self.sizes: np.ndarray | None = None        # k×2 card sizes; None: all geo's
        self._points: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._full: dict[int, tuple[QPainterPath, float]] = {}
        self._boxes: dict[int, np.ndarray] = {}
        self._card_path: QPainterPath | None = None

    def set_geometry(self, starts: np.ndarray, ends: np.ndarray, cards: np.ndarray,
                     geo: CardGeometry, sizes: np.ndarray | None = None,
                     bows: np.ndarray | None = None) -> tuple[float, float, float, float]:
        """Store edge endpoints, card centres, (if not all `geo`'s) card sizes and (if
        any) twin edges' bows; return (left, top, right, bottom)."""
        self.starts, self.ends, self.cards, self.sizes = starts, ends, cards, sizes
        self.bows = bows
        self._points, self._full, self._boxes, self._card_path = {}, {}, {}, None
        pts = [a for a in (starts, ends) if len(a)]
        if len(cards):
            half = (sizes / 2 if sizes is not None else np.array([geo.width / 2, geo.height / 2])) + 2
            pts += [cards - half, cards + half]
        if not pts:
            return (0.0, 0.0, -1.0, -1.0)                     # empty: intersects nothing
        allp = np.concatenate(pts)
        bow = float(np.abs(bows).max()) if bows is not None and len(bows) else 0.0
        lo, hi = allp.min(axis=0) - 4 - (0, bow), allp.max(axis=0) + 4 + (0, bow)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def edge_path(self, samples: int, rect: QRectF, whole: bool) -> tuple[QPainterPath, float]:
        """The edges as polylines; clipped to `rect` unless the bundle lies `whole` in it.
        Returns the path and its total length in scene units (the cost of stroking)."""
        if not len(self.starts):
            return QPainterPath(), 0.0
        if samples not in self._points:
            self._points[samples] = edge_polylines(self.starts, self.ends, samples, self.bows)
        xs, ys = self._points[samples]
        if not whole:
            return self._clipped(samples, xs, ys, rect)
        if samples not in self._full:
            length = float(np.hypot(np.diff(xs, axis=1), np.diff(ys, axis=1)).sum())
            self._full[samples] = (polyline_path(xs, ys), length)
        return self._full[samples]

    def _clipped(self, samples: int, xs: np.ndarray, ys: np.ndarray,
                 rect: QRectF) -> tuple[QPainterPath, float]:
        """clipped_segments of the edges whose own box meets `rect`: the same segments
        (an edge wholly beside the rect has none there), without cutting every segment
        of a bundle whose long edges cross a pan's strip (65k nodes: ~1 ms a bundle)."""
        box = self._boxes.get(samples)
        if box is None:
            box = self._boxes[samples] = np.stack([xs.min(axis=1), ys.min(axis=1),
                                                   xs.max(axis=1), ys.max(axis=1)], axis=1)
        left, top, right, bottom = rect.getCoords()
        meets = np.flatnonzero((box[:, 2] >= left) & (box[:, 0] <= right)
                               & (box[:, 3] >= top) & (box[:, 1] <= bottom))
        if not len(meets):
            return QPainterPath(), 0.0
        if len(meets) == len(box):
            return clipped_segments(xs, ys, rect)
        return clipped_segments(xs[meets], ys[meets], rect)

    def card_path(self, geo: CardGeometry) -> QPainterPath:
        if self._card_path is None:
            w, h = ((self.sizes[:, :1], self.sizes[:, 1:]) if self.sizes is not None
                    else (geo.width, geo.height))
            self._card_path = rects_path(self.cards, w, h)
        return self._card_path

    def forget_cards(self) -> None:
        self._card_path = None


class EdgeLayer:
    """Bundles of ~`per_tile` nodes: bands a few layers wide, cut by height. An edge
    belongs to its input's bundle. Groups are fixed when built; moving a node only
    rebuilds the bundles it touches. `sizes` (n×2 card width, height) when some cards
    are not the theme's size (tensors): ports and overview rectangles follow them."""

    BAND_WIDTH = 900.0

    def __init__(self, style: Style, positions: np.ndarray, src: np.ndarray, dst: np.ndarray,
                 per_tile: int = 300, sizes: np.ndarray | None = None):
        self._style = style
        self.positions = positions            # n×2 card centres, updated in place on moves
        self.sizes = sizes
        self._src, self._dst = src, dst
        self._bows = twin_bows(src, dst)
        self.overview = False
        self.node_group = group_nodes(positions, self.BAND_WIDTH, per_tile)
        count = int(self.node_group.max()) + 1 if len(self.node_group) else 0
        self._nodes_of = _members(self.node_group, count)
        self._edges_of = _members(self.node_group[src], count)
        self.bundles = [EdgeBundle() for _ in range(count)]
        self._bounds = np.zeros((count, 4))
        for t in range(count):
            self._rebuild(t)

    def _rebuild(self, t: int) -> QRectF:
        """Recompute bundle t from the positions; return the area to repaint."""
        g = self._style.geo
        old = self._bounds[t].copy()
        edges, nodes = self._edges_of[t], self._nodes_of[t]
        starts = self.positions[self._src[edges]]
        ends = self.positions[self._dst[edges]]
        sizes = None
        if self.sizes is None:
            starts, ends = starts + (g.out_port_x, 0.0), ends + (g.in_port_x, 0.0)
        else:                       # ports at each card's own half width (theme.CardGeometry)
            starts = starts + np.c_[self.sizes[self._src[edges], 0] / 2, np.zeros(len(edges))]
            in_x = g.in_port_x + g.width / 2 - self.sizes[self._dst[edges], 0] / 2
            ends = ends + np.c_[in_x, np.zeros(len(edges))]
            sizes = self.sizes[nodes]
        bows = None if self._bows is None else self._bows[edges]
        self._bounds[t] = self.bundles[t].set_geometry(starts, ends, self.positions[nodes], g,
                                                       sizes, bows)
        new = self._bounds[t]
        lo, hi = np.minimum(old[:2], new[:2]), np.maximum(old[2:], new[2:])
        return QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])

    def move(self, node: int, x: float, y: float, inputs) -> QRectF:
        """Node `node` (with input nodes `inputs`) now sits at (x, y); returns the
        scene area whose edges changed."""
        self.positions[node] = (x, y)
        dirty = QRectF()
        for t in {int(self.node_group[node]), *(int(self.node_group[j]) for j in inputs)}:
            dirty = dirty.united(self._rebuild(t))
        return dirty

    def set_style(self, style: Style) -> None:
        self._style = style
        for t in range(len(self.bundles)):
            self._rebuild(t)

    def draw(self, painter: QPainter, rect: QRectF) -> None:
        """Paint the edges (and, in overview, the cards) that meet `rect`."""
        b = self._bounds
        hit = np.nonzero((b[:, 2] >= rect.left()) & (b[:, 0] <= rect.right())
                         & (b[:, 3] >= rect.top()) & (b[:, 1] <= rect.bottom()))[0]
        if not len(hit):
            return
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        samples = CURVE_SAMPLES if lod >= CURVE_LOD else 2
        inside = ((b[hit, 0] >= rect.left()) & (b[hit, 2] <= rect.right())
                  & (b[hit, 1] >= rect.top()) & (b[hit, 3] <= rect.bottom()))
        paths = [self.bundles[t].edge_path(samples, rect, bool(whole))
                 for t, whole in zip(hit.tolist(), inside.tolist())]
        smooth = samples > 2 and sum(n for _, n in paths) * lod <= AA_PIXEL_LIMIT
        s = self._style
        painter.setRenderHint(QPainter.Antialiasing, smooth)
        painter.setPen(s.edge_pen if smooth else s.edge_pen_fast)
        painter.setBrush(s.no_brush)
        for path, n in paths:
            if n:
                painter.drawPath(path)
        if self.overview:
            painter.setPen(s.no_pen)
            painter.setBrush(s.brush["overview_card"])
            for t in hit.tolist():
                if len(self.bundles[t].cards):
                    painter.drawPath(self.bundles[t].card_path(s.geo))

    def overhang(self) -> np.ndarray:
        """How far (x, y) the biggest card reaches past the theme's card from its centre."""
        if self.sizes is None:
            return np.zeros(2)
        g = self._style.geo
        return np.maximum(self.sizes.max(axis=0) - (g.width, g.height), 0.0) / 2

    def bounds(self) -> QRectF:
        if not len(self._bounds):
            return QRectF()
        lo, hi = self._bounds[:, :2].min(axis=0), self._bounds[:, 2:].max(axis=0)
        return QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])


def twin_bows(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """How far (scene y) each edge bows at its middle so that edges between the same two
    nodes (a + a, a * a) are distinct curves: the first below, the next above
    (±TWIN_BOW / 2 for two). None when no two edges share their ends (the usual case)."""
    if len(src) < 2:
        return None
    key = dst.astype(np.int64) * (int(src.max()) + 1) + src
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.searchsorted(sorted_key, sorted_key, side="left")
    last = np.searchsorted(sorted_key, sorted_key, side="right")
    if int((last - first).max()) < 2:
        return None
    bows = np.empty(len(src))
    bows[order] = twin_bow(np.arange(len(src)) - first, last - first)
    return bows


def rects_path(centres: np.ndarray, width: float, height: float) -> QPainterPath:
    """Filled rectangles (closed polygons) centred on each row of `centres`."""
    cx, cy = centres[:, :1], centres[:, 1:]
    left, right, top, bottom = cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2
    xs = np.hstack([left, right, right, left, left])
    ys = np.hstack([top, top, bottom, bottom, top])
    return polyline_path(xs, ys)


def group_nodes(positions: np.ndarray, band_width: float, per_tile: int) -> np.ndarray:
    """Bundle number per node: bands of x, each sorted by y and cut every `per_tile`."""
    n = len(positions)
    if n == 0:
        return np.zeros(0, np.int64)
    band = np.floor(positions[:, 0] / band_width).astype(np.int64)
    order = np.lexsort((positions[:, 1], band))
    sorted_band = band[order]
    first = np.searchsorted(sorted_band, sorted_band, side="left")
    chunk = (np.arange(n) - first) // per_tile
    _, group_sorted = np.unique(sorted_band * (n + 1) + chunk, return_inverse=True)
    group = np.empty(n, np.int64)
    group[order] = group_sorted.ravel()
    return group


def _members(owner: np.ndarray, count: int) -> list[np.ndarray]:
    """Indices grouped by owner: out[t] = the indices i with owner[i] == t."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(count + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(count)]
