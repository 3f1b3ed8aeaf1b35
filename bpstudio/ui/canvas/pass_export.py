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

from .export import paint
from .gif_writer import GifStream, Quantizer
from .graph_scene import GraphScene
from .pass_camera import PassCamera

FRAME_MS = 600                 # one step per 0.6 s in an animated GIF


def pass_images(document, theme=None, size: tuple[int, int] | None = None, scale: float = 1.0,
                caption: bool = True, steps=None):
    """(step, QImage) for every cursor 0 .. total: the forward pass, the seed, the
    backward pass. The camera (pass_camera.py) shows the whole graph, fitted to `size`
    if given, or follows the step when that would not be readable; `caption` adds a
    band below with the step counter and its chain-rule line(s). The document itself
    does not move: frames come from a sibling."""
    doc = document.sibling()
    scene = GraphScene(doc, theme)
    steps = range(doc.stepper.total + 1) if steps is None else steps
    camera = PassCamera(scene, size, scale, frames=doc.stepper.total + 1)
    band = Caption(scene, camera.size.width()) if caption else None
    for k in steps:
        doc.run_to(k)
        yield k, _picture(scene, camera.frame(doc.stepper), band, doc.stepper)


def _picture(scene, frame, band, stepper) -> QImage:
    """One frame: the scene as `frame` shows it, the caption band below."""
    h = frame.size.height() + (band.height if band else 0)
    image = QImage(frame.pixels.width(), round(h * frame.dpr), QImage.Format_RGB32)
    image.setDevicePixelRatio(frame.dpr)
    image.fill(scene.style().color["background"])
    painter = QPainter(image)
    try:
        paint(scene, painter, frame)
        if band:
            band.draw(painter, frame.size.height(), stepper)
    finally:
        painter.end()
    return image


def frames_job(document, directory, theme=None, size=None, scale: float = 1.0,
               caption: bool = True):
    """frame-000.png, frame-001.png, ... one per cursor position; yields (done, total).
    Stopped early, it removes the frames it wrote."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    total = document.stepper.total + 1
    digits = len(str(total - 1))
    written: list[Path] = []
    done = False
    try:
        for k, image in pass_images(document, theme, size, scale, caption):
            path = directory / f"frame-{k:0{digits}d}.png"
            if not image.save(str(path), "PNG"):
                raise OSError(f"cannot write {path}")
            written.append(path)
            yield k + 1, total
        done = True
    finally:
        if not done:
            for path in written:
                path.unlink(missing_ok=True)


def export_frames(document, directory, theme=None, size=None, scale: float = 1.0,
                  caption: bool = True) -> list[Path]:
    """Every frame as a numbered PNG in `directory` (made if missing)."""
    for _ in frames_job(document, directory, theme, size, scale, caption):
        pass
    digits = len(str(document.stepper.total))
    return [Path(directory) / f"frame-{k:0{digits}d}.png"
            for k in range(document.stepper.total + 1)]


def gif_job(document, path, theme=None, size=None, scale: float = 1.0,
            caption: bool = True, frame_ms: int = FRAME_MS):
    """Write an animated GIF of the whole pass (needs Pillow), looping; the first and
    last frames are held a little longer so the loop reads as start ... end. Yields
    (done, total) after each frame; the file is replaced only when complete."""
    _pillow()
    path = Path(path)
    total = document.stepper.total
    ends = dict(pass_images(document, theme, size, scale, caption, steps=(0, total)))
    colours = [(c.red(), c.green(), c.blue()) for c in _style_of(theme).color.values()]
    quantizer = Quantizer([_pil(ends[0]), _pil(ends[total])], colours)
    width, height = ends[0].width(), ends[0].height()
    del ends
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(part, "wb") as fp:
            gif = GifStream(fp, width, height, quantizer.palette)
            for k, image in pass_images(document, theme, size, scale, caption):
                gif.add(quantizer.indices(_pil(image)), _duration(k, total, frame_ms))
                yield k + 1, total + 1
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

    BODY_LINES = 2

    def __init__(self, scene: GraphScene, width: int):
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
        self.height = round(2 * self._pad + self._head_h + self.BODY_LINES * self._body.height())

    def draw(self, p: QPainter, top: float, stepper) -> None:
        """The band, its top edge at `top` (logical pixels)."""
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
        for line in step_lines(stepper)[:self.BODY_LINES]:
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
