"""The canvas view: wheel zoom around the cursor, drag the background to pan,
a readable fit, and an optional "follow" that keeps the current step's node in sight.

Fit never shrinks the cards' text below READABLE_PX on screen (font pixel size × zoom,
times the window's text size): a graph that does not fit that way is shown around
the current step (or the output) with the overview map (minimap.py) in a corner.
"""
from __future__ import annotations

from PySide6.QtCore import (
    QEasingCurve,
    QEvent,
    QObject,
    QPointF,
    QRectF,
    QVariantAnimation,
)
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtWidgets import QGraphicsView

from .graph_scene import GraphScene
from .minimap import OverviewMap

MIN_SCALE, MAX_SCALE = 1e-4, 6.0
READABLE_PX = 11.0         # the smallest card text Fit allows, in screen pixels
FIT_MAX_PX = 22.0          # Fit enlarges a small graph up to text of this size
FIT_MAX_SCALE = 1.6        # the same for headless renders (export.fitted), as a zoom
STEP_FACTOR = 1.25


class _NoActivation(QObject):
    """Keeps the window's activation from the scene. A scene told its view's window
    became active (or not) sorts all of its items and tells each card, which costs a
    tenth of a second at 65k cards on every switch of window; nothing on the canvas
    takes keyboard focus or looks different when active (the window handles keys)."""

    def eventFilter(self, watched, event) -> bool:
        return event.type() in (QEvent.WindowActivate, QEvent.WindowDeactivate)


class GraphView(QGraphicsView):
    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self._no_activation = _NoActivation(self)
        scene.installEventFilter(self._no_activation)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.DontAdjustForAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setCacheMode(QGraphicsView.CacheBackground)      # the edges: see edge_layer
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self._follow = False
        self._text_scale = 1.0
        self._animation: QVariantAnimation | None = None
        self.overview_map = OverviewMap(self)
        scene.current_node_changed.connect(self._on_current_node)
        scene.current_node_changed.connect(self._map_changed)
        self._scale_changed()

    def graph_scene(self) -> GraphScene:
        return self.scene()

    # ---- zoom -------------------------------------------------------------------------
    def scale_factor(self) -> float:
        return self.transform().m11()

    def _scale_changed(self) -> None:
        self.graph_scene().set_view_scale(self.scale_factor())
        self.overview_map.sync()

    def _map_changed(self, *_args) -> None:
        self.overview_map.current_moved()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Paint:        # the cards and the step's pills shown here
            scene = self.graph_scene()
            if scene is not None:
                scene.show_area(self.visible_scene_rect())
        return super().viewportEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.overview_map.sync()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.overview_map.sync()

    # ---- readable text ------------------------------------------------------------------
    def set_text_scale(self, scale: float) -> None:
        """The window's text size (Ctrl+= / Ctrl+− / Ctrl+0): the canvas zooms with it,
        so its text grows and shrinks like the panels', and Fit keeps the factor."""
        scale = float(scale)
        if scale > 0 and scale != self._text_scale:
            ratio, self._text_scale = scale / self._text_scale, scale
            self.zoom_by(ratio)

    def text_scale(self) -> float:
        return self._text_scale

    def readable_scale(self, px: float = READABLE_PX) -> float:
        """The zoom at which the cards' smallest title / number font is `px` on screen
        (times the text size)."""
        return px * self._text_scale / self.graph_scene().text_px()

    def text_px_on_screen(self) -> float:
        """The cards' smallest title / number font as drawn now, in screen pixels."""
        return self.graph_scene().text_px() * self.scale_factor()

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

    def fit(self, px: float = READABLE_PX, focus: str | None = None,
            max_px: float = FIT_MAX_PX) -> bool:
        """Show the whole graph if its text is >= `px` on screen that way (a small
        graph is enlarged, up to `max_px`); else zoom to text of `px` around `focus`
        (default: the current step's node, else the output) and show the overview map.
        True if the whole graph is shown."""
        rect = self.graph_scene().sceneRect()
        if rect.isEmpty():
            return True
        # As fitInView (2 px margin), but for the viewport without scroll bars: they
        # go once the graph fits, and fitInView would measure with them still there
        # (export.fitted computes the same zoom for headless renders).
        room = self.maximumViewportSize()
        whole = min((room.width() - 4) / rect.width(), (room.height() - 4) / rect.height())
        readable = self.readable_scale(px)
        fits = whole >= readable * 0.999
        zoom = min(whole, max(readable, self.readable_scale(max_px))) if fits else readable
        self.setTransform(QTransform.fromScale(zoom, zoom))
        if fits:
            self.centerOn(rect.center())
        else:
            self.centerOn(self._focus_point(focus))
        self._scale_changed()
        return fits

    def _focus_point(self, focus: str | None) -> QPointF:
        scene = self.graph_scene()
        node = focus or scene.current_node() or scene.output_node()
        if node:
            return scene.focus_point(node)
        return scene.sceneRect().center()

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
