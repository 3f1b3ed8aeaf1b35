"""A document from whatever a user's own code holds: a bpstudio or micrograd Value, any
micrograd-like object, a Graph, a Document or a path. No Qt (show, draw and `bpstudio run`
share it).

Nodes without a `.label` are named after the variables that hold them (the caller's
namespace), else structurally (add3, v1). When the user's backward() from this value has
run, its grads are checked against the chain rule and the cursor stands at the end of the
pass (those grads are the end state); otherwise at the end of the forward pass.
"""
from __future__ import annotations

from pathlib import Path

from ..engine import Graph
from ..engine.convert import Snapshot, grads_set, graph_from_value
from ..engine.torch_walk import is_tensor
from .document import Document

HIDDEN_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


def names_in(*namespaces: dict) -> dict[int, str]:
    """{id(object): variable name}; the first namespace and the first name win. Private
    names (IPython's _, _1, __) are skipped."""
    names: dict[int, str] = {}
    for ns in namespaces:
        for name, obj in list(ns.items()):
            if name.startswith("_") or name in HIDDEN_NAMES or not name.isidentifier():
                continue
            names.setdefault(id(obj), name)
    return names


def document_of(x, *, names: dict[int, str] | None = None, title: str | None = None,
                step: int | None = None) -> Document:
    """The document to show for `x` (or for a Snapshot of a Value taken earlier). Raises
    GraphError (numbers that do not add up, not a Value) or the file readers' errors."""
    if isinstance(x, Document):
        doc = x
    elif isinstance(x, (str, Path)):
        doc = Document.open(x)
    elif isinstance(x, Graph):
        doc = Document(x.copy())
    else:
        doc = open_at(*graph_of(x, names=names, title=title))
    if title:
        doc.graph.title = title
    if step is not None:
        doc.run_to(max(0, min(int(step), doc.stepper.total)))
    return doc


def graph_of(x, *, names: dict[int, str] | None = None,
             title: str | None = None) -> tuple[Graph, bool]:
    """(the checked graph of a Value-like `x` or its Snapshot, whether its grads are set).
    A PyTorch tensor goes through Graph.from_torch (before its backward(): PyTorch frees
    what bpstudio reads), opened after the forward pass."""
    root = x.root if isinstance(x, Snapshot) else x
    name = str(getattr(root, "label", "") or "") or (names or {}).get(id(root), "")
    if is_tensor(root):
        return Graph.from_torch(root, title=title or name), False
    return graph_from_value(Graph, x, title=title or name, names=names), grads_set(x)


def open_at(graph: Graph, at_end: bool) -> Document:
    """A document at the end of the pass (the user's grads) or after the forward pass."""
    doc = Document(graph)
    doc.run_to(doc.stepper.total if at_end else doc.stepper.program.n_forward)
    return doc
