"""Pictures of the canvas for slides: PNG, SVG, an animated GIF or numbered PNGs of
the whole pass, and DOT text.

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
from PySide6.QtGui import QImage, QPainter

from .graph_scene import GraphScene
from .graph_view import FIT_MAX_SCALE

FIT_MARGIN = 2.0               # the margin QGraphicsView.fitInView leaves on each side
MAX_PIXELS = 40_000_000        # a bigger picture is drawn at a smaller scale
FRAME_MS = 600                 # one step per 0.6 s in an animated GIF


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


def paint(scene: GraphScene, painter: QPainter, frame: Frame) -> None:
    """Paint `frame` of the scene onto `painter` (logical pixels) at (0, 0)."""
    target = QRectF(0, 0, frame.size.width(), frame.size.height())
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    painter.fillRect(target, scene.style().color["background"])
    with seen_at(scene, frame.zoom):
        scene.render(painter, target, frame.source, Qt.IgnoreAspectRatio)


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


# ---- the whole pass: numbered PNGs, animated GIF --------------------------------------------
def pass_images(document, theme=None, size: tuple[int, int] | None = None, scale: float = 1.0,
                caption: bool = True, steps=None):
    """(step, QImage) for every cursor 0 .. total: the forward pass, the seed, the
    backward pass. The camera stays put (the whole graph, fitted to `size` if given);
    `caption` adds a band below with the step counter and its chain-rule line(s).
    The document itself does not move: frames come from a sibling."""
    doc = document.sibling()
    scene = GraphScene(doc, theme)
    frame = fitted(scene, *size, dpr=scale) if size else whole_graph(scene, scale)
    band = Caption(scene, frame) if caption else None
    for k in (range(doc.stepper.total + 1) if steps is None else steps):
        doc.run_to(k)
        image = render_image(scene, frame)
        yield k, (band.add(image, doc.stepper) if band else image)


def export_frames(document, directory, theme=None, size=None, scale: float = 1.0,
                  caption: bool = True) -> list[Path]:
    """frame-000.png, frame-001.png, ... one per cursor position."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    digits = len(str(document.stepper.total))
    return [_save_image(image, directory / f"frame-{k:0{digits}d}.png")
            for k, image in pass_images(document, theme, size, scale, caption)]


def export_gif(document, path, theme=None, size=None, scale: float = 1.0,
               caption: bool = True, frame_ms: int = FRAME_MS) -> Path:
    """An animated GIF of the whole pass (needs Pillow), looping; the first and last
    frames are held a little longer so the loop reads as start ... end."""
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError("GIF export needs Pillow (pip install Pillow)") from None
    total = document.stepper.total
    ends = dict(pass_images(document, theme, size, scale, caption, steps=(0, total)))
    colours = [(c.red(), c.green(), c.blue()) for c in _style_of(theme).color.values()]
    palette = _palette([_pil(ends[0]), _pil(ends[total])], colours)
    frames = (_pil(image).quantize(palette=palette, dither=Image.Dither.NONE)
              for _, image in pass_images(document, theme, size, scale, caption))
    first = next(frames)
    durations = [frame_ms * 2] + [frame_ms] * max(0, total - 1) + [frame_ms * 4]
    path = Path(path)
    first.save(path, "GIF", save_all=True, append_images=frames, loop=0,
               duration=durations[:total + 1], disposal=1, optimize=False)
    return path


def _style_of(theme):
    from .theme import Style, Theme
    return Style(theme or Theme.light())


def _pil(image: QImage):
    from PIL import Image
    rgb = image.convertToFormat(QImage.Format_RGB888)
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), bytes(rgb.constBits()),
                            "raw", "RGB", rgb.bytesPerLine(), 1)


def _palette(images, theme_colours):
    """One palette for every frame (no flicker): the theme's own colours exactly (a
    thin green ✓ must stay green), the rest from the frames' antialiasing shades."""
    from PIL import Image
    width = max(im.width for im in images)
    sheet = Image.new("RGB", (width, sum(im.height for im in images)))
    y = 0
    for im in images:
        sheet.paste(im, (0, y))
        y += im.height
    exact = list(dict.fromkeys(theme_colours))[:64]
    shades = sheet.quantize(colors=256 - len(exact), method=Image.Quantize.MEDIANCUT,
                            dither=Image.Dither.NONE).getpalette()[:3 * (256 - len(exact))]
    flat = [c for rgb in exact for c in rgb] + shades
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + [0] * (768 - len(flat)))
    return palette


class Caption:
    """A band under each frame: 'step 3 / 7 · forward' and that step's chain-rule
    line(s), in the theme's colours, sized for the frame's width."""

    BODY_LINES = 2

    def __init__(self, scene: GraphScene, frame: Frame):
        from PySide6.QtGui import QFont, QFontMetricsF
        s = scene.style()
        self._style, self._width = s, frame.size.width()
        px = max(12, min(30, round(self._width / 64)))
        self._head_font = QFont(s.theme.font_family)
        self._head_font.setPixelSize(px)
        self._head_font.setBold(True)
        self._body_font = QFont(s.theme.number_family)
        self._body_font.setPixelSize(px)
        self._pad = round(px * 0.7)
        self._head_h = QFontMetricsF(self._head_font).height()
        self._body = QFontMetricsF(self._body_font)
        self.height = round(2 * self._pad + self._head_h + self.BODY_LINES * self._body.height())

    def add(self, image: QImage, stepper) -> QImage:
        dpr = image.devicePixelRatio()
        top = image.height() / dpr                       # logical pixels
        out = QImage(image.width(), round((top + self.height) * dpr), image.format())
        out.setDevicePixelRatio(dpr)
        out.fill(self._style.color["header"])
        p = QPainter(out)
        p.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        p.drawImage(QPointF(0, 0), image)
        p.setPen(self._style.color["card_border"])
        p.drawLine(QPointF(0, top), QPointF(self._width, top))
        x, y = self._pad, top + self._pad
        p.setFont(self._head_font)
        p.setPen(self._style.color["caption"])
        p.drawText(QRectF(x, y, self._width - 2 * x, self._head_h), Qt.AlignLeft, step_title(stepper))
        p.setFont(self._body_font)
        p.setPen(self._style.color["text"])
        y += self._head_h
        for line in step_lines(stepper)[:self.BODY_LINES]:
            text = self._body.elidedText(line, Qt.ElideRight, self._width - 2 * x)
            p.drawText(QRectF(x, y, self._width - 2 * x, self._body.height()), Qt.AlignLeft, text)
            y += self._body.height()
        p.end()
        return out


def step_title(stepper) -> str:
    """'step 5 / 7 · backward' (the kind of the step just applied)."""
    c, total = stepper.cursor, stepper.total
    phase = "start" if c == 0 else "done" if c >= total else stepper.kind(c - 1)
    return f"step {c} / {total} · {phase}"


def step_lines(stepper) -> list[str]:
    rec = stepper.current
    if rec is None:
        return ["the leaves hold their values; nothing computed yet"]
    return rec.lines(stepper.labels)


def qt_app():
    """The running QApplication, or a new one for headless rendering."""
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication(["bpstudio-render"])
