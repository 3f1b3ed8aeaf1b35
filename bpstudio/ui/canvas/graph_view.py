"""The canvas view: wheel zoom around the cursor, drag the background to pan,
fit, and an optional "follow" that keeps the current step's node in sight."""
from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, QVariantAnimation
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtWidgets import QGraphicsView

from .graph_scene import GraphScene

MIN_SCALE, MAX_SCALE = 1e-4, 6.0
FIT_MAX_SCALE = 1.6        # a three-node graph should not fill the screen with one card
STEP_FACTOR = 1.25


class GraphView(QGraphicsView):
    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.DontAdjustForAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setCacheMode(QGraphicsView.CacheBackground)      # the edges: see edge_layer
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self._follow = False
        self._animation: QVariantAnimation | None = None
        scene.current_node_changed.connect(self._on_current_node)
        self._scale_changed()

    def graph_scene(self) -> GraphScene:
        return self.scene()

    # ---- zoom -------------------------------------------------------------------------
    def scale_factor(self) -> float:
        return self.transform().m11()

    def _scale_changed(self) -> None:
        self.graph_scene().set_view_scale(self.scale_factor())

    def zoom_by(self, factor: float, around_cursor: bool = False) -> None:
        current = self.scale_factor()
        factor = max(MIN_SCALE / current, min(MAX_SCALE / current, factor))
        anchor = self.transformationAnchor()
        if not around_cursor:
            self.setTransformationAnchor(QGraphicsView.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(anchor)
        self._scale_changed()

    def zoom_in(self) -> None:
        self.zoom_by(STEP_FACTOR)

    def zoom_out(self) -> None:
        self.zoom_by(1 / STEP_FACTOR)

    def set_zoom(self, scale: float) -> None:
        self.zoom_by(scale / self.scale_factor())

    def fit(self) -> None:
        """Show the whole graph (never magnified beyond FIT_MAX_SCALE)."""
        rect = self.graph_scene().sceneRect()
        if rect.isEmpty():
            return
        # As fitInView (2 px margin), but for the viewport without scroll bars: they
        # go once the graph fits, and fitInView would measure with them still there
        # (export.fitted computes the same zoom for headless renders).
        room = self.maximumViewportSize()
        zoom = min((room.width() - 4) / rect.width(), (room.height() - 4) / rect.height(),
                   FIT_MAX_SCALE)
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self.centerOn(rect.center())
        self._scale_changed()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        self.zoom_by(1.0015 ** delta, around_cursor=True)
        event.accept()

    # ---- following the current step ---------------------------------------------------
    def set_follow(self, on: bool) -> None:
        self._follow = bool(on)
        node = self.graph_scene().current_node()
        if self._follow and node:
            self.center_on_node(node)

    def follows(self) -> bool:
        return self._follow

    def _on_current_node(self, node_id: str) -> None:
        if self._follow and node_id and not self._comfortably_visible(node_id):
            self.center_on_node(node_id)

    def _comfortably_visible(self, node_id: str) -> bool:
        view = self.mapToScene(self.viewport().rect()).boundingRect()
        inner = view.adjusted(view.width() * 0.15, view.height() * 0.15,
                              -view.width() * 0.15, -view.height() * 0.15)
        return inner.contains(self.graph_scene().node_item(node_id).pos())

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def center_on_node(self, node_id: str, animate: bool = True) -> None:
        target = self.graph_scene().node_item(node_id).pos()
        if self._animation is not None:
            self._animation.stop()
            self._animation = None
        if not animate:
            self.centerOn(target)
            return
        anim = QVariantAnimation(self)
        anim.setStartValue(self.visible_scene_rect().center())
        anim.setEndValue(QPointF(target))
        anim.setDuration(280)
        anim.setEasingCurve(QEasingCurve.OutCubic)
        anim.valueChanged.connect(self.centerOn)
        anim.start(QVariantAnimation.DeleteWhenStopped)
        self._animation = anim
        anim.finished.connect(self._animation_done)

    def _animation_done(self) -> None:
        self._animation = None
