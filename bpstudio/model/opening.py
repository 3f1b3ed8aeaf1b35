"""Building a Document from a file in plain steps, so a worker thread can do it
(reading and checking, compiling the steps, the layout) and report between them.
No Qt: the window's loader (ui/window/loader.py) runs this off the GUI thread.
Also: a Document rebuilt from a recovery copy (io/recovery.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .document import Document

PHASES = 3          # reading + checking, compiling the steps, laying out


class OpenCancelled(Exception):
    """The user cancelled the open; the current document stays."""


def open_document(path: str | Path, report: Callable[[int, str], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> Document:
    """Document.open(path) with its layout done, reporting (phase, text) before each
    phase; raises OpenCancelled between phases once `cancelled()` is true."""
    path = Path(path)
    report = report or (lambda _phase, _text: None)

    def phase(k: int, text: str) -> None:
        if cancelled is not None and cancelled():
            raise OpenCancelled(str(path))
        report(k, text)

    phase(0, "reading and checking")
    if path.suffix.lower() == ".py":
        from ..io.snippet import load_snippet
        graph, save_to = load_snippet(path), None          # a snippet saves as JSON
    else:
        from ..io import load
        graph, save_to = load(path), path
    phase(1, f"compiling the steps of {len(graph.nodes):,} nodes")
    doc = Document(graph, save_to, source=path)
    phase(2, "laying out")
    doc.positions()
    phase(PHASES, "done")
    return doc


def recovered_document(store, entry) -> Document:
    """The document a recovery copy holds, pointing at its original file, modified."""
    graph = store.load(entry)
    doc = Document(graph, entry.path, source=entry.source)
    doc.set_modified(True)
    return doc
