"""The overview map: a small picture of the whole graph in a corner of the canvas,
shown only while the view shows part of it (a graph too big to read whole). Dots are
the cards, the orange frame is what the view shows; a click or drag moves the view
there. A child widget of the view (it draws over the viewport, not in the scene).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

MAP_W, MAP_H, MARGIN = 220, 140, 10
MAX_DOTS = 4000               # a huge graph: every n-th card is enough for a map


class OverviewMap(QWidget):
    def __init__(self, view):
        super().__init__(view)
        self._view = view
        self.setFixedSize(MAP_W, MAP_H)
        self.setCursor(Qt.PointingHandCursor)
        self.setAttribute(Qt.WA_OpaquePaintEvent)   # a step repaints the map, not the canvas under it
        self.setToolTip("overview: click to move the view there")
        self._dots: QPixmap | None = None      # the cards, drawn once per layout
        self._dots_key = None
        self._dot: QPoint | None = None        # where the current node's dot was painted
        self.hide()

    # ---- geometry ------------------------------------------------------------------
    def place(self) -> None:
        port = self._view.viewport().geometry()
        self.move(port.right() - MAP_W - MARGIN, port.bottom() - MAP_H - MARGIN)

    def _frame(self) -> tuple[QRectF, float]:
        """(scene rect, map pixels per scene unit), the scene centred in the map."""
        rect = self._view.graph_scene().sceneRect()
        k = min((MAP_W - 8) / max(rect.width(), 1.0), (MAP_H - 8) / max(rect.height(), 1.0))
        return rect, k

    def to_map(self, p: QPointF) -> QPointF:
        rect, k = self._frame()
        ox = (MAP_W - rect.width() * k) / 2
        oy = (MAP_H - rect.height() * k) / 2
        return QPointF(ox + (p.x() - rect.left()) * k, oy + (p.y() - rect.top()) * k)

    def to_scene(self, p: QPointF) -> QPointF:
        rect, k = self._frame()
        ox = (MAP_W - rect.width() * k) / 2
        oy = (MAP_H - rect.height() * k) / 2
        return QPointF(rect.left() + (p.x() - ox) / k, rect.top() + (p.y() - oy) / k)

    def sync(self) -> None:
        """Show when the view does not show the whole graph; repaint the frame."""
        scene = self._view.graph_scene()
        if scene is None:
            return
        whole = self._view.visible_scene_rect().adjusted(-2, -2, 2, 2).contains(scene.sceneRect())
        self.setVisible(not whole)
        if not whole:
            self.place()
            self.raise_()
            self.update()

    def current_moved(self) -> None:
        """A step: repaint only round the old and the new dot, and only when the dot
        moved a pixel (at 20k nodes most steps stay in place on a 220-pixel map)."""
        if not self.isVisible():
            return
        at = self._current_dot()
        if at == self._dot:
            return
        for p in (self._dot, at):
            if p is not None:
                self.update(QRect(p.x() - 6, p.y() - 6, 13, 13))
        self._dot = at

    def _current_dot(self) -> QPoint | None:
        scene = self._view.graph_scene()
        node = scene.current_node() if scene is not None else None
        return self.to_map(scene.node_item(node).pos()).toPoint() if node else None

    # ---- painting and clicks -----------------------------------------------------------
    def _dots_pixmap(self) -> QPixmap:
        """Background and card dots, redrawn only when the scene rect or theme changes
        (a step only moves the frame and the current dot: cheap at 20k nodes)."""
        scene = self._view.graph_scene()
        key = (scene.sceneRect().getRect(), id(scene.style()), len(scene.map_points(1)))
        if self._dots is not None and self._dots_key == key:
            return self._dots
        s = scene.style()
        pix = QPixmap(MAP_W, MAP_H)
        pix.fill(QColor(s.color["background"]))
        p = QPainter(pix)
        p.setPen(QPen(s.color["card_border"], 1))
        p.drawRect(QRectF(0.5, 0.5, MAP_W - 1, MAP_H - 1))
        p.setPen(Qt.NoPen)
        p.setBrush(s.color["overview_card"])
        p.drawRects(self._dot_rects(scene.map_points(MAX_DOTS)))
        p.end()
        self._dots, self._dots_key = pix, key
        return pix

    def _dot_rects(self, points: list) -> list[QRectF]:
        """A 3×2 dot at each scene point, in map pixels (to_map, for all at once)."""
        rect, k = self._frame()
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        xs = (MAP_W - rect.width() * k) / 2 + (xy[:, 0] - rect.left()) * k - 1.5
        ys = (MAP_H - rect.height() * k) / 2 + (xy[:, 1] - rect.top()) * k - 1.0
        return [QRectF(x, y, 3, 2) for x, y in zip(xs.tolist(), ys.tolist())]

    def paintEvent(self, event) -> None:
        scene = self._view.graph_scene()
        if scene is None:                  # the view lost its scene (being torn down)
            return
        s = scene.style()
        dots, self._dot = self._dots_pixmap(), self._current_dot()
        frame = self._view.visible_scene_rect()    # all read before the painter starts
        p = QPainter(self)
        p.drawPixmap(0, 0, dots)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(Qt.NoPen)
        if self._dot is not None:
            p.setBrush(s.color["current"])
            p.drawEllipse(QPointF(self._dot), 3.5, 3.5)
        p.setBrush(Qt.NoBrush)
        p.setPen(QPen(s.color["current"], 2))
        p.drawRect(QRectF(self.to_map(frame.topLeft()), self.to_map(frame.bottomRight())))
        p.end()

    def mousePressEvent(self, event) -> None:
        self._jump(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            self._jump(event.position())
        event.accept()

    def _jump(self, pos: QPointF) -> None:
        self._view.centerOn(self.to_scene(pos))
        self.sync()
