"""Headless pictures for `bpstudio render`: the document drawn as the canvas draws it, no window.

The command line calls `draw` only (the one door from `cli` into `ui` besides `ui.app`).
"""
from __future__ import annotations

from pathlib import Path

from .canvas import export, pass_export
from .canvas.graph_scene import GraphScene
from .canvas.theme import Theme

DEFAULT_SCALE = 2.0
THEMES = {"light": Theme.light, "dark": Theme.dark, "projector": Theme.projector}


class RenderError(Exception):
    """One line for the user: `OUT:0: cannot write: why`."""


def draw(doc, *, out: Path | None, frames: Path | None, theme: str = "light",
         size: tuple[int, int] | None = None, scale: float | None = None,
         caption: bool = True, progress=None) -> None:
    """Write OUT (.png/.svg/.gif) and/or numbered frames into FRAMES for `doc`'s cursor.
    `progress(done, total, what)` is called after each frame of a GIF or frames export."""
    style = THEMES[theme]()
    scale = scale or (1.0 if size else DEFAULT_SCALE)
    app = export.qt_app()  # noqa: F841 (kept alive while drawing)
    if out is not None and out.suffix.lower() in (".png", ".svg"):
        _write(lambda: _picture(doc, style, out, size, scale), out)
    elif out is not None and out.suffix.lower() == ".gif":
        job = pass_export.gif_job(doc, out, style, size, scale, caption)
        _write(lambda: _run(job, progress, out), out)
    if frames is not None:
        job = pass_export.frames_job(doc, frames, style, size, scale, caption)
        _write(lambda: _run(job, progress, frames), frames)


def _run(job, progress, what: Path) -> None:
    for done, total in job:
        if progress is not None:
            progress(done, total, what)


def _picture(doc, theme, out: Path, size, scale) -> None:
    scene = GraphScene(doc, theme)
    frame = export.fitted(scene, *size, dpr=scale) if size else export.whole_graph(scene, scale)
    if out.suffix.lower() == ".png":
        export.export_png(scene, out, frame=frame)
    else:
        export.export_svg(scene, out, frame=frame, title=doc.graph.title or doc.title)


def _write(action, out: Path) -> None:
    try:
        action()
    except (OSError, RuntimeError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise RenderError(f"{out}:0: cannot write: {getattr(exc, 'strerror', None) or text}") \
            from None
