"""`bpstudio.show(x)`'s window: the one door into the window for code outside ui/.

From a plain script the window opens in this process and `open_window` blocks until it
closes, like matplotlib's plt.show(). From IPython/Jupyter it opens in a separate window
process and returns at once, so the kernel stays free. A separate process rather than
IPython's Qt event-loop integration (%gui qt) because: a Jupyter kernel runs Qt only if it
was set up for it, and a notebook that already uses another GUI loop (matplotlib's, tk) or
another Qt binding (PyQt5) in the same process clashes or crashes; a window that hangs or
crashes cannot take the kernel and the user's unsaved work with it; and the kernel can go
on running cells while the window is open. The window gets a copy (the graph as JSON in a
temporary file, deleted once read): show() is a snapshot anyway.

Tests set BPSTUDIO_TEST_WINDOW=DIR: the window writes DIR/shown.json from inside its event
loop once it is up (what it shows), and closes itself when DIR/close appears.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..engine.records import fmt
from ..model.document import Document

TEST_ENV = "BPSTUDIO_TEST_WINDOW"


def in_ipython() -> bool:
    """Running inside IPython or a Jupyter kernel (only looked up if already imported)."""
    ipy = sys.modules.get("IPython")
    get = getattr(ipy, "get_ipython", None)
    return bool(get and get() is not None)


def open_window(doc: Document, *, block: bool | None = None):
    """Show `doc`. block=None: block from a script, not from IPython. Returns None after
    a blocking window closed, else the window process (a WindowProcess)."""
    if block is None:
        block = not in_ipython()
    if block:
        run_window(doc)
        return None
    return spawn_window(doc)


def run_window(doc: Document) -> int:
    """The window in this process, until it closes."""
    from .app import qt_application
    from .window.main_window import MainWindow
    app = qt_application(["bpstudio"])
    window = MainWindow(doc)
    window.show()
    window.raise_()
    _test_hook(window, doc)
    return app.exec()


class WindowProcess(subprocess.Popen):
    """The separate window process show() returns in IPython (wait(), terminate(), ...)."""

    def __repr__(self) -> str:
        state = "open" if self.poll() is None else f"closed ({self.returncode})"
        return f"<bpstudio window, process {self.pid}, {state}>"


def spawn_window(doc: Document) -> WindowProcess:
    """The window in a new process, fed a copy of the graph at the current cursor."""
    from ..io import save
    graph = doc.graph.copy()
    graph.view = dict(graph.view or {}, cursor=doc.stepper.cursor)
    fd, name = tempfile.mkstemp(prefix="bpstudio-show-", suffix=".json")
    os.close(fd)
    save(graph, name)
    return WindowProcess([sys.executable, "-m", "bpstudio.ui.show", name],
                         stdin=subprocess.DEVNULL)


def _child(path: str) -> int:
    """`python -m bpstudio.ui.show GRAPH.json`: open a copy, untitled (Save asks for a name)."""
    from ..io import load
    try:
        graph = load(path)
    finally:
        Path(path).unlink(missing_ok=True)
    return run_window(Document(graph))


def _test_hook(window, doc: Document) -> None:
    folder = os.environ.get(TEST_ENV)
    if not folder:
        return
    from PySide6.QtCore import QTimer
    folder = Path(folder)
    QTimer.singleShot(0, lambda: _report(folder, window, doc))
    timer = QTimer(window)
    timer.timeout.connect(lambda: (folder / "close").exists() and window.close())
    timer.start(50)


def _report(folder: Path, window, doc: Document) -> None:
    s = doc.stepper
    nodes = {nid: {"label": s.labels.get(nid, nid),
                   "value": fmt(s.value(nid), 12, "-"),
                   "grad": fmt(s.grad(nid), 12, "-") if s.grad(nid) is not None else None}
             for nid in doc.graph.nodes}
    report = {"title": window.windowTitle(), "visible": window.isVisible(),
              "cursor": s.cursor, "total": s.total, "nodes": nodes}
    tmp = folder / "shown.json.tmp"
    tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
    tmp.replace(folder / "shown.json")


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
