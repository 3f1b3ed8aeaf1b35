"""`bpstudio render FILE -o OUT.{png,svg,dot,gif} [--step N] ...` — pictures without a window.

It draws what the app's canvas shows at step N: the file opened as the app opens
it, the cursor run to N, the same scene and theme, the whole graph in view. Qt is
imported here only, and only inside the command, with the offscreen platform
unless QT_QPA_PLATFORM says otherwise (no display is needed or used).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

FORMATS = (".png", ".svg", ".dot", ".gif")
THEMES = ("light", "dark", "projector")
DEFAULT_SCALE = 2.0  # keep in step with ui/render.py


def add_parser(sub) -> None:
    r = sub.add_parser("render", help="draw the canvas at a step to PNG, SVG, DOT or GIF",
                       description="Draw what the app's canvas shows at step N, with no window.")
    r.add_argument("file", help="a .json graph or a micrograd-style .py snippet")
    r.add_argument("-o", "--output", metavar="OUT",
                   help="OUT.png, OUT.svg, OUT.dot or OUT.gif (the whole pass, animated)")
    r.add_argument("--frames", metavar="DIR",
                   help="also (or instead) write the whole pass as DIR/frame-NNN.png")
    r.add_argument("--step", type=int, default=None,
                   help="the cursor to draw (default: where the file was saved)")
    r.add_argument("--theme", choices=THEMES, default="light", help="canvas colours (default light)")
    r.add_argument("--scale", type=float, default=None,
                   help="device pixels per screen pixel: 2 draws the canvas as a high-density "
                   f"screen shows it (default {DEFAULT_SCALE:g}; 1 with --width/--height)")
    r.add_argument("--width", type=int, default=None, help="with --height: a W×H canvas, "
                   "the graph fitted in it as View ▸ Fit does")
    r.add_argument("--height", type=int, default=None, help="with --width: the canvas height")
    r.add_argument("--no-caption", action="store_true",
                   help="GIF and frames: no step counter / chain-rule band under each frame")
    r.set_defaults(func=cmd_render)


def cmd_render(args) -> int:
    from .common import CliError
    out = _check_args(args, CliError)
    doc = _open(args.file)
    if args.step is not None:
        _run_to(doc, args.step, args.file)
    if out is not None and out.suffix.lower() == ".dot":
        _write(lambda: _dot(doc, out), out, CliError)
        if args.frames is None:
            return 0
    _use_offscreen_platform()
    from ..ui import render
    progress = _ProgressLine()
    try:
        render.draw(doc, out=out, frames=Path(args.frames) if args.frames else None,
                    theme=args.theme, size=_size(args), scale=args.scale,
                    caption=not args.no_caption, progress=progress if progress.on else None)
    except render.RenderError as exc:
        raise CliError(str(exc)) from None
    finally:
        progress.end()
    return 0


class _ProgressLine:
    """GIF / frames: 'OUT: frame 120 / 1288' rewritten in place on stderr, only when
    stderr is a terminal (a log or a pipe gets nothing)."""

    def __init__(self):
        self.on = sys.stderr.isatty()
        self._shown = False

    def __call__(self, done: int, total: int, what) -> None:
        if self.on and (done == total or done % 5 == 1):
            sys.stderr.write(f"\r{what}: frame {done} / {total}")
            sys.stderr.flush()
            self._shown = True

    def end(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            self._shown = False


def _check_args(args, CliError) -> Path | None:
    if args.output is None and args.frames is None:
        raise CliError("render: give -o OUT.png|.svg|.dot|.gif or --frames DIR (see --help)")
    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in FORMATS:
        raise CliError(f"{out}:0: unknown picture format {out.suffix or '(none)'!r}; "
                       f"use one of {', '.join(FORMATS)}")
    if (args.width is None) != (args.height is None):
        raise CliError("render: give both --width and --height, or neither")
    if args.width is not None and (args.width < 16 or args.height < 16):
        raise CliError("render: --width and --height must be at least 16 pixels")
    if args.scale is not None and not 0 < args.scale <= 20:
        raise CliError("render: --scale must be > 0 and ≤ 20")
    return out


def _open(path: str):
    """The file as the app opens it (no dataset row bound; a big network folded into
    its neuron diagram), or a one-line CliError."""
    from ..model.diagram import open_as_diagram
    from ..model.document import Document
    from .common import open_file
    doc = open_file(path, Document.open)
    open_as_diagram(doc)        # a big network opens as the window opens it: its neurons
    return doc


def _run_to(doc, step: int, path: str) -> None:
    total = doc.stepper.total
    if not 0 <= step <= total:
        clamped = max(0, min(step, total))
        print(f"bpstudio: {path}: step {step} is out of range 0..{total}; drawing step {clamped}",
              file=sys.stderr)
        step = clamped
    doc.run_to(step)


def _dot(doc, out: Path) -> None:
    from ..io.export_dot import to_dot
    out.write_text(to_dot(doc.graph, doc.stepper), encoding="utf-8")


def _write(action, out: Path, CliError) -> None:
    try:
        action()
    except OSError as exc:
        raise CliError(f"{out}:0: cannot write: {exc.strerror or exc}") from None


def _size(args) -> tuple[int, int] | None:
    return (args.width, args.height) if args.width is not None else None


def _use_offscreen_platform() -> None:
    """Nothing is shown, so no display is needed: Qt's offscreen platform, unless the
    user chose one. Must run before Qt is imported."""
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
