"""The whole pass as pictures: an animated GIF or numbered PNG frames, cursor 0 .. end.

Frames are drawn one at a time and written as they come (gif_writer.py streams the
GIF), each of a bounded size (pass_camera.py: the whole graph when it fits readably,
else a fixed frame that follows the step), so a thousand-step graph costs the memory
of one frame. `gif_job` / `frames_job` are generators that yield (done, total) after
each frame: the command line runs them through, the window runs them in slices
between events with a Cancel button. A file appears only when complete; stopping a
job early (closing the generator) or an error leaves nothing behind.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from ...model import diagram
from .export import paint, render_background
from .gif_writer import GifStream, Quantizer
from .graph_scene import GraphScene
from .pass_camera import PassCamera

FRAME_MS = 600                 # one step per 0.6 s in an animated GIF


class PassPictures:
    """The frames of one whole-pass export. `stops`: the cursors drawn -- every cursor
    0 .. total, or, when the scene shows a neuron diagram (folded groups), the cursors
    the window's Step stops at, one neuron at a time. The camera (pass_camera.py) shows
    the whole graph, fitted to `size` if given, or follows the step when that would not
    be readable; `caption` adds a band below with the step counter and what the step
    did. The document itself does not move: frames come from a sibling."""

    def __init__(self, document, theme=None, size: tuple[int, int] | None = None,
                 scale: float = 1.0, caption: bool = True):
        self.doc = document.sibling()
        self.scene = GraphScene(self.doc, theme)
        self._owner = self.scene.groups().folded
        st = self.doc.stepper
        self.stops = (diagram.boundaries(st.program, self._owner) if self._owner
                      else list(range(st.total + 1)))
        self._size, self._scale = size, scale
        self._background: tuple = (None, None)   # (last frame, its edges once drawn apart)
        self.rewind()
        self._band = Caption(self.scene, self.camera.size.width(),
                             3 if self._owner else 2) if caption else None

    def rewind(self) -> None:
        """A fresh camera (after drawing sample frames out of order)."""
        self.camera = PassCamera(self.scene, self._size, self._scale, frames=len(self.stops))

    def image(self, k: int) -> QImage:
        """The frame of cursor `k`: the scene as the camera shows it, the band below."""
        self.doc.run_to(k)
        frame = self.camera.frame(self.doc.stepper)
        band = self._band
        h = frame.size.height() + (band.height if band else 0)
        image = QImage(frame.pixels.width(), round(h * frame.dpr), QImage.Format_RGB32)
        image.setDevicePixelRatio(frame.dpr)
        image.fill(self.scene.style().color["background"])
        painter = QPainter(image)
        try:
            paint(self.scene, painter, frame, self._edges_of(frame))
            if band:
                lines = diagram.neuron_summary(self.doc, self._owner) if self._owner else None
                band.draw(painter, frame.size.height(), self.doc.stepper, lines)
        finally:
            painter.end()
        return image

    def _edges_of(self, frame):
        """The frame's static edges as a picture, drawn once the camera has stayed for
        a second frame (net-2-2-2's still camera: ~20% a frame); None while it moves,
        where a separate picture would only add a copy."""
        last, picture = self._background
        if frame != last:
            self._background = (frame, None)
            return None
        if picture is None:
            picture = render_background(self.scene, frame)
            self._background = (frame, picture)
        return picture

    def images(self, steps=None):
        for k in self.stops if steps is None else steps:
            yield k, self.image(k)


def pass_images(document, theme=None, size: tuple[int, int] | None = None, scale: float = 1.0,
                caption: bool = True, steps=None):
    """(cursor, QImage) for every stop of the pass (see PassPictures)."""
    yield from PassPictures(document, theme, size, scale, caption).images(steps)


def frames_job(document, directory, theme=None, size=None, scale: float = 1.0,
               caption: bool = True, written: list | None = None):
    """frame-000.png, frame-001.png, ... one per stop (named by its cursor); yields
    (done, total) and appends each path to `written`. Stopped early, it removes the
    frames it wrote."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pictures = PassPictures(document, theme, size, scale, caption)
    total = len(pictures.stops)
    digits = len(str(pictures.stops[-1]))
    written = [] if written is None else written
    done = False
    try:
        for n, (k, image) in enumerate(pictures.images(), 1):
            path = directory / f"frame-{k:0{digits}d}.png"
            if not image.save(str(path), "PNG"):
                raise OSError(f"cannot write {path}")
            written.append(path)
            yield n, total
        done = True
    finally:
        if not done:
            for path in written:
                path.unlink(missing_ok=True)
            written.clear()


def export_frames(document, directory, theme=None, size=None, scale: float = 1.0,
                  caption: bool = True) -> list[Path]:
    """Every frame as a numbered PNG in `directory` (made if missing)."""
    written: list[Path] = []
    for _ in frames_job(document, directory, theme, size, scale, caption, written):
        pass
    return written


def gif_job(document, path, theme=None, size=None, scale: float = 1.0,
            caption: bool = True, frame_ms: int = FRAME_MS):
    """Write an animated GIF of the whole pass (needs Pillow), looping; the first and
    last frames are held a little longer so the loop reads as start ... end. Yields
    (done, total) after each frame; the file is replaced only when complete."""
    _pillow()
    path = Path(path)
    pictures = PassPictures(document, theme, size, scale, caption)
    stops, total = pictures.stops, pictures.stops[-1]
    colours = [(c.red(), c.green(), c.blue()) for c in _style_of(theme).color.values()]
    ends = [_pil(pictures.image(k)) for k in (0, total)]
    quantizer = Quantizer(ends, colours)
    width, height = ends[0].width, ends[0].height
    del ends
    pictures.rewind()
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(part, "wb") as fp:
            gif = GifStream(fp, width, height, quantizer.palette)
            for n, (k, image) in enumerate(pictures.images(), 1):
                gif.add(quantizer.indices(_pil(image)), _duration(k, total, frame_ms))
                yield n, len(stops)
            gif.close()
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def export_gif(document, path, theme=None, size=None, scale: float = 1.0,
               caption: bool = True, frame_ms: int = FRAME_MS) -> Path:
    """`gif_job`, run through."""
    for _ in gif_job(document, path, theme, size, scale, caption, frame_ms):
        pass
    return Path(path)


def _duration(k: int, total: int, frame_ms: int) -> int:
    return frame_ms * 2 if k == 0 else frame_ms * 4 if k == total else frame_ms


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError("GIF export needs Pillow (pip install Pillow)") from None
    return Image


def _style_of(theme):
    from .theme import Style, Theme
    return Style(theme or Theme.light())


def _pil(image: QImage):
    """A PIL RGB copy of a Format_RGB32 image (bytes B, G, R, X on little-endian)."""
    from PIL import Image
    if image.format() != QImage.Format_RGB32:
        image = image.convertToFormat(QImage.Format_RGB32)
    raw = "BGRX" if sys.byteorder == "little" else "XRGB"
    return Image.frombuffer("RGB", (image.width(), image.height()), image.constBits(),
                            "raw", raw, image.bytesPerLine(), 1)


class Caption:
    """A band under each frame: 'step 3 / 7 · forward' and that step's chain-rule
    line(s), in the theme's colours, sized for the frame's width."""

    def __init__(self, scene: GraphScene, width: int, body_lines: int = 2):
        from PySide6.QtGui import QFont, QFontMetricsF
        s = scene.style()
        self._style, self._width = s, width
        px = max(12, min(30, round(self._width / 64)))
        self._head_font = QFont(s.theme.font_family)
        self._head_font.setPixelSize(px)
        self._head_font.setBold(True)
        self._body_font = QFont(s.theme.number_family)
        self._body_font.setPixelSize(px)
        self._pad = round(px * 0.7)
        self._head_h = QFontMetricsF(self._head_font).height()
        self._body = QFontMetricsF(self._body_font)
        self._lines = body_lines
        self.height = round(2 * self._pad + self._head_h + body_lines * self._body.height())

    def draw(self, p: QPainter, top: float, stepper, lines: list[str] | None = None) -> None:
        """The band, its top edge at `top` (logical pixels): the step counter, then
        `lines` (default: the step's chain-rule lines)."""
        p.fillRect(QRectF(0, top, self._width, self.height), self._style.color["header"])
        p.setPen(self._style.color["card_border"])
        p.drawLine(QPointF(0, top), QPointF(self._width, top))
        x, y = self._pad, top + self._pad
        p.setFont(self._head_font)
        p.setPen(self._style.color["caption"])
        p.drawText(QRectF(x, y, self._width - 2 * x, self._head_h), Qt.AlignLeft, step_title(stepper))
        p.setFont(self._body_font)
        p.setPen(self._style.color["text"])
        y += self._head_h
        for line in (lines or step_lines(stepper))[:self._lines]:
            text = self._body.elidedText(line, Qt.ElideRight, self._width - 2 * x)
            p.drawText(QRectF(x, y, self._width - 2 * x, self._body.height()), Qt.AlignLeft, text)
            y += self._body.height()


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
