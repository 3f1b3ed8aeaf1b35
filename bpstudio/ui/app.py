"""Start the desktop app: `run_app(path, present=False)` opens a file (or the default
example), optionally straight in presentation mode."""
from __future__ import annotations

import sys
from pathlib import Path

from ..model.document import Document
from ..paths import DEFAULT_EXAMPLE


def builtin_expression() -> Document:
    """micrograd's L = (a*b + c) * f, for when no example file can be read."""
    from ..engine import Graph
    g = Graph("expression", output="L")
    g.leaf("a", 2.0)
    g.leaf("b", -3.0)
    g.leaf("c", 10.0)
    g.op("e", "mul", "a", "b")
    g.op("d", "add", "e", "c")
    g.leaf("f", -2.0)
    g.op("L", "mul", "d", "f")
    return Document(g)


def initial_document(path: str | Path | None) -> tuple[Document, str]:
    """(document, error text). Falls back to the built-in expression if loading fails.
    Without a path: a copy of the default example, untitled (Save asks where; nothing
    is ever written into resources/examples/)."""
    from .window.files import load_error_text
    target = Path(path) if path else DEFAULT_EXAMPLE
    try:
        doc = Document.open(target)
        if path is None:
            doc.path = doc.source = None
        return doc, ""
    except Exception as exc:        # shown in a dialog once the window is up
        if path is None and not target.exists():
            return builtin_expression(), ""
        return builtin_expression(), load_error_text(target, exc)


def _qt_app_exists() -> bool:
    widgets = sys.modules.get("PySide6.QtWidgets")
    return widgets is not None and widgets.QApplication.instance() is not None


def qt_application(argv: list[str]):
    """The process's QApplication (made once), named so QSettings find bpstudio's."""
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName("bpstudio")
    app.setApplicationName("bpstudio")
    return app


def run_app(path: str | None = None, present: bool = False, argv=None) -> int:
    """Create the QApplication, open `path` (or the default example), show, run.
    `present`: start in presentation mode (full screen, the file's saved view).
    When Qt could not open a window here, one line says why (exit 2), not Qt's abort."""
    if not _qt_app_exists():
        from .platform_check import platform_problem
        if (problem := platform_problem()) is not None:
            print(f"bpstudio: {problem}", file=sys.stderr)
            return 2
    from .window.main_window import MainWindow
    app = qt_application(list(argv) if argv is not None else sys.argv[:1])
    doc, error = initial_document(path)
    window = MainWindow(doc)
    if present:
        window.presentation.enter(frame=False)    # the first show frames the view
    else:
        window.show()
    if error:
        window.show_error(error, "Cannot open file")
    elif doc.source:
        window.add_recent(doc.source)
    window.recovery.offer_on_start()     # the work of a window that crashed, if any
    return app.exec()


if __name__ == "__main__":      # python -m bpstudio.ui.app [FILE]
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
