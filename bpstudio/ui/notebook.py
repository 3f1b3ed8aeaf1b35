"""`bpstudio.draw(x)`: a picture object for notebooks, drawn by `bpstudio render`'s own
code (ui/render.py -> canvas/export.py), so it is what the canvas shows.

Jupyter shows it through `_repr_png_` (drawn twice as sharp, displayed at its logical
size) or `_repr_svg_` (text stays text); `.save(path)` writes .png, .svg or .gif.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ..model.document import Document

PNG_SCALE = 2.0


class Picture:
    def __init__(self, doc: Document, theme: str = "light"):
        from .render import THEMES
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r} (expected one of {', '.join(THEMES)})")
        self.doc, self.theme = doc, theme

    def save(self, path, scale: float | None = None) -> Path:
        """Write the picture; the format comes from the suffix (.png, .svg, .gif)."""
        from .render import draw
        path = Path(path)
        if path.suffix.lower() not in (".png", ".svg", ".gif"):
            raise ValueError(f"{path}: expected a .png, .svg or .gif file name")
        _headless_if_no_display()
        draw(self.doc, out=path, frames=None, theme=self.theme, scale=scale)
        return path

    def _bytes(self, suffix: str, scale: float) -> bytes:
        with tempfile.TemporaryDirectory(prefix="bpstudio-draw-") as tmp:
            return self.save(Path(tmp) / f"graph{suffix}", scale).read_bytes()

    def _repr_png_(self):
        data = self._bytes(".png", PNG_SCALE)
        width, height = png_size(data)
        return data, {"width": round(width / PNG_SCALE), "height": round(height / PNG_SCALE)}

    def _repr_svg_(self) -> str:
        return self._bytes(".svg", 1.0).decode("utf-8")

    def __repr__(self) -> str:
        s = self.doc.stepper
        return f"<bpstudio picture of {self.doc.title!r}, step {s.cursor} / {s.total}>"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _headless_if_no_display() -> None:
    """A notebook kernel on a server has no display: draw offscreen there rather than
    let Qt abort the kernel. Only before the first QApplication exists."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        if "PySide6.QtWidgets" not in sys.modules or _no_app():
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _no_app() -> bool:
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() is None
