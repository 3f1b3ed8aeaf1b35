"""bpstudio: a step-through debugger for backpropagation.

Python API (no Qt is imported until show/draw are called):
    from bpstudio import Value, Graph, Stepper, load, save
    bpstudio.show(L)        # the window on your own Value (micrograd's too), a Graph or a file
    bpstudio.draw(L)        # a picture for notebooks: data and grad on every card
"""
from __future__ import annotations

import sys
from pathlib import Path

from .api import Value
from .engine import Graph, GraphError, Stepper
from .version import __version__

__all__ = ["Value", "Graph", "GraphError", "Stepper", "load", "save", "show", "draw",
           "__version__"]


def load(path) -> Graph:
    """Open a bpstudio JSON graph, or a micrograd-style .py snippet (read, never run)."""
    if Path(path).suffix.lower() == ".py":
        from .io.snippet import load_snippet
        return load_snippet(path)
    from .io import load as load_json
    return load_json(path)


def save(graph: Graph, path) -> None:
    """Save atomically as a bpstudio JSON graph."""
    from .io import save as save_json
    save_json(graph, path)


def show(x, *, title: str | None = None, block: bool | None = None):
    """Open the bpstudio window on `x`: a bpstudio or micrograd Value (or any object with
    .data, ._prev, ._op), a Graph or a file path. Unlabelled nodes take the names of your
    variables that hold them. If backward() has run, the window opens at the end of the
    pass with those grads (checked against the chain rule), else after the forward pass.
    From a script it blocks until the window closes, like plt.show(); from IPython or
    Jupyter the window is a separate process and show returns it at once (block=True/False
    overrides). Numbers that do not add up raise GraphError naming the node."""
    from .model.from_object import document_of
    doc = document_of(x, names=_caller_names(sys._getframe(1)), title=title)
    from .ui.show import open_window
    return open_window(doc, block=block)


def draw(x, step: int | None = None, theme: str = "light"):
    """A picture of `x` for notebooks, drawn by the canvas's own code (a drop-in for
    micrograd's draw_dot): shows as PNG/SVG in Jupyter, `.save("graph.png" or ".svg")`.
    `step`: the cursor to draw (default as show: the end when grads are set);
    theme: light, dark or projector."""
    from .model.from_object import document_of
    doc = document_of(x, names=_caller_names(sys._getframe(1)), step=step)
    from .ui.notebook import Picture
    return Picture(doc, theme)


def _caller_names(frame) -> dict[int, str]:
    from .model.from_object import names_in
    try:
        return names_in(frame.f_locals, frame.f_globals)
    finally:
        del frame
