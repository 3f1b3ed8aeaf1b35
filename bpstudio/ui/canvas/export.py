"""Pictures of the canvas for slides: PNG, SVG and DOT text (the whole pass as an
animated GIF or numbered PNGs: pass_export.py, framed by pass_camera.py).

One code path for File ▸ Export and for `bpstudio render`: a `Frame` says which
part of the scene lands on how many pixels, and `render_image` paints the scene's
own items into it (`QGraphicsScene.render`), so an export shows exactly what the
canvas shows at that zoom -- cards, lit edges of the current step, the overview
when zoomed far out -- minus the selection outline, which is UI, not content.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QTransform

from .graph_scene import GraphScene
from .graph_view import FIT_MAX_SCALE

FIT_MARGIN = 2.0               # the margin QGraphicsView.fitInView leaves on each side
MAX_PIXELS = 40_000_000        # a bigger picture is drawn at a smaller scale


@dataclass(frozen=True)
class Frame:
    """A canvas of `size` (logical pixels) whose top-left corner shows scene point
    `origin`, at `zoom`, drawn with `dpr` device pixels per logical pixel (2: as on
    a high-density screen: the same picture, twice as sharp)."""
    origin: QPointF
    zoom: float
    size: QSize
    dpr: float = 1.0

    @property
    def source(self) -> QRectF:
        """The scene rectangle shown."""
        return QRectF(self.origin.x(), self.origin.y(),
                      self.size.width() / self.zoom, self.size.height() / self.zoom)

    @property
    def pixels(self) -> QSize:
        return QSize(max(1, round(self.size.width() * self.dpr)),
                     max(1, round(self.size.height() * self.dpr)))


def whole_graph(scene: GraphScene, scale: float = 1.0) -> Frame:
    """Every card, as the canvas shows them at 100 % zoom, `scale` times as sharp. A
    picture that would pass MAX_PIXELS is drawn zoomed out instead (as the canvas
    would show it at that zoom)."""
    rect = scene.sceneRect()
    factor = min(scale, math.sqrt(MAX_PIXELS / max(1.0, rect.width() * rect.height())))
    zoom, dpr = (1.0, factor) if factor >= 1.0 else (factor, 1.0)
    return frame_for(scene, zoom, rect, dpr)


def frame_for(scene: GraphScene, zoom: float = 1.0, rect: QRectF | None = None,
              dpr: float = 1.0) -> Frame:
    """`rect` of the scene (default: all of it) at `zoom`."""
    rect = scene.sceneRect() if rect is None else rect
    size = QSize(max(1, math.ceil(rect.width() * zoom)), max(1, math.ceil(rect.height() * zoom)))
    return Frame(rect.topLeft(), zoom, size, dpr)


def fitted(scene: GraphScene, width: int, height: int, dpr: float = 1.0) -> Frame:
    """What a `width`×`height` canvas shows after View ▸ Fit (GraphView.fit)."""
    rect = scene.sceneRect()
    zoom = min((width - 2 * FIT_MARGIN) / max(rect.width(), 1e-9),
               (height - 2 * FIT_MARGIN) / max(rect.height(), 1e-9), FIT_MAX_SCALE)
    zoom = max(zoom, 1e-6)
    # QGraphicsView centres a scene smaller than its viewport and scrolls by whole
    # pixels, truncated: the same rounding here gives the same pixels.
    left = math.trunc(rect.center().x() * zoom - width // 2)
    top = math.trunc(rect.center().y() * zoom - height // 2)
    return Frame(QPointF(left / zoom, top / zoom), zoom, QSize(width, height), dpr)


def view_frame(view, scale: float = 1.0) -> Frame:
    """What a GraphView shows now (File ▸ Export ▸ current view), `scale` times as sharp."""
    port = view.viewport().rect()
    return Frame(view.mapToScene(0, 0), view.scale_factor(),
                 QSize(max(1, port.width()), max(1, port.height())), scale)


# ---- painting -------------------------------------------------------------------------
@contextmanager
def seen_at(scene: GraphScene, scale: float):
    """The scene as a view at `scale` shows it (cards or overview), without the
    selection outline; restored afterwards."""
    old = scene.view_scale()
    scene.set_view_scale(scale)
    try:
        with scene.unselected():
            yield
    finally:
        scene.set_view_scale(old)


def paint(scene: GraphScene, painter: QPainter, frame: Frame,
          background: QImage | None = None) -> None:
    """Paint `frame` of the scene onto `painter` (logical pixels) at (0, 0); over
    `background` (render_background's picture of this frame), if given, instead of
    drawing the edges again."""
    target = QRectF(0, 0, frame.size.width(), frame.size.height())
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    if background is None:
        painter.fillRect(target, scene.style().color["background"])
    else:
        painter.drawImage(QPointF(0, 0), background)
    with seen_at(scene, frame.zoom):
        scene.show_area(frame.source)
        scene.background_drawn = background is not None
        try:
            scene.render(painter, target, frame.source, Qt.IgnoreAspectRatio)
        finally:
            scene.background_drawn = False


def render_background(scene: GraphScene, frame: Frame) -> QImage:
    """The background colour and every edge of `frame`, as scene.render would lay them
    under the items (the same clip and transform): a whole-pass export keeps it while
    its camera stays, and paints each step's cards over it (the static edges were a
    quarter of a 1,288-frame GIF's time)."""
    image = QImage(frame.pixels, QImage.Format_RGB32)
    image.setDevicePixelRatio(frame.dpr)
    target, source = QRectF(0, 0, frame.size.width(), frame.size.height()), frame.source
    painter = QPainter(image)
    try:
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        painter.fillRect(target, scene.style().color["background"])
        with seen_at(scene, frame.zoom):
            painter.setClipRect(target, Qt.IntersectClip)
            painter.setWorldTransform(
                QTransform().scale(target.width() / source.width(),
                                   target.height() / source.height())
                .translate(-source.left(), -source.top()), True)
            scene.drawBackground(painter, source)
    finally:
        painter.end()
    return image


def render_image(scene: GraphScene, frame: Frame) -> QImage:
    image = QImage(frame.pixels, QImage.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(frame.dpr)
    image.fill(scene.style().color["background"])
    painter = QPainter(image)
    try:
        paint(scene, painter, frame)
    finally:
        painter.end()
    return image


def export_png(scene: GraphScene, path, scale: float = 1.0, rect: QRectF | None = None,
               frame: Frame | None = None) -> Path:
    """The whole graph at 100 % zoom (or `rect` of the scene, or `frame`) as a PNG,
    `scale` device pixels per logical pixel."""
    image = render_image(scene, frame or _frame(scene, scale, rect))
    return _save_image(image, path)


def _frame(scene: GraphScene, scale: float, rect: QRectF | None) -> Frame:
    return whole_graph(scene, scale) if rect is None else frame_for(scene, 1.0, rect, scale)


def _save_image(image: QImage, path) -> Path:
    path = Path(path)
    if not image.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def export_svg(scene: GraphScene, path, scale: float = 1.0, rect: QRectF | None = None,
               frame: Frame | None = None, title: str = "") -> Path:
    """The same picture as vector graphics (text stays text)."""
    from PySide6.QtSvg import QSvgGenerator
    frame = frame or _frame(scene, scale, rect)
    path = Path(path)
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(frame.pixels)
    gen.setResolution(96)              # CSS pixels: the width reads as frame.pixels px
    gen.setViewBox(QRect(0, 0, frame.size.width(), frame.size.height()))
    gen.setTitle(title or "bpstudio")
    gen.setDescription("made with bpstudio")
    painter = QPainter()
    if not painter.begin(gen):
        raise OSError(f"cannot write {path}")
    try:
        paint(scene, painter, frame)
    finally:
        painter.end()
    if not path.exists():
        raise OSError(f"cannot write {path}")
    return path


def export_dot(document, path) -> Path:
    """Graphviz DOT with the numbers at the document's cursor."""
    from ...io.export_dot import to_dot
    path = Path(path)
    path.write_text(to_dot(document.graph, document.stepper), encoding="utf-8")
    return path


def qt_app():
    """The running QApplication, or a new one for headless rendering."""
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication(["bpstudio-render"])
