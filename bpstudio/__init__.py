"""bpstudio: a step-through debugger for backpropagation.

Python API (no Qt is imported):
    from bpstudio import Value, Graph, Stepper, load, save
"""
from __future__ import annotations

from pathlib import Path

from .api import Value
from .engine import Graph, GraphError, Stepper

__version__ = "0.1.0"
__all__ = ["Value", "Graph", "GraphError", "Stepper", "load", "save", "__version__"]


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
