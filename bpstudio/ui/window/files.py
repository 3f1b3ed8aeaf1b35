"""The window's file life cycle (a mixin of MainWindow): open, drop, save, recent files
and the unsaved-changes question. A file that fails to load leaves the current
document untouched and shows the one-line reason."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ...model.document import Document
from .dialogs import SnippetDialog
from .loader import wants_thread
from .parts import dropped_paths

MAX_RECENT = 8
OPENABLE = "Graphs and snippets (*.json *.py);;bpstudio graph (*.json);;Python snippet (*.py)"


class FileOps:
    """Needs: self.doc, self.settings, self.undo_stack, self.actions_, self.opener
    (loader.AsyncOpener, whose opened/failed go to _show_opened/_open_failed),
    set_document, store_view_state, _update_title."""

    # ---- opening ---------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Load a file; on failure show why and keep the current document. A big file
        loads in a worker thread (loader.py): True then means 'opening'."""
        path = Path(path)
        if wants_thread(path):
            self.opener.start(path)
            return True
        try:
            doc = Document.open(path)
        except Exception as exc:    # any failure to load is reported, never fatal
            self._open_failed(path, exc)
            return False
        return self._show_opened(path, doc)

    def _show_opened(self, path: Path, doc: Document) -> bool:
        """Show a loaded document."""
        if not self.maybe_save():
            return False
        self.set_document(doc)
        self.add_recent(path)
        self.statusBar().showMessage(f"opened {path}", 5000)
        return True

    def _open_failed(self, path: Path, exc: Exception) -> None:
        self.show_error(load_error_text(path, exc), "Cannot open file")

    def open_dialog(self) -> None:
        start = str(self.doc.source.parent) if self.doc and self.doc.source else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open graph", start, OPENABLE)
        if path:
            self.open_path(path)

    def new_from_snippet(self) -> None:
        dialog = SnippetDialog(self)
        if dialog.exec() and dialog.graph is not None and self.maybe_save():
            self.set_document(Document(dialog.graph))

    # ---- saving ----------------------------------------------------------------------------
    def save(self) -> bool:
        path = self.doc.path
        if path is None or path.suffix.lower() != ".json":
            return self.save_as()
        return self.save_to(path)

    def save_as(self) -> bool:
        src = self.doc.path or self.doc.source
        suggested = str(src.with_suffix(".json")) if src else "graph.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save graph as", suggested,
                                              "bpstudio graph (*.json)")
        return self.save_to(path) if path else False

    def save_to(self, path: str | Path) -> bool:
        self.store_view_state()
        try:
            target = self.doc.save(path)
        except Exception as exc:
            self.show_error(f"{path}: {exc}", "Cannot save")
            return False
        self.undo_stack.setClean()
        self.add_recent(target)
        self._update_title()
        self.statusBar().showMessage(f"saved {target}", 5000)
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document."""
        if self.doc is None or not self.doc.modified:
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def ask_save_changes(self) -> str:
        """'save' | 'discard' | 'cancel'. Tests replace this method."""
        buttons = QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel
        answer = QMessageBox.question(self, "Unsaved changes",
                                      f"Save the changes to {self.doc.title}?", buttons,
                                      QMessageBox.Save)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def show_error(self, text: str, title: str = "bpstudio") -> None:
        """Record the one-line reason and show it in a window-modal (non-blocking) box."""
        self.last_error = text
        self.statusBar().showMessage(text, 10000)
        if self.error_box is not None:
            self.error_box.close()
        self.error_box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        self.error_box.setWindowModality(Qt.WindowModal)
        self.error_box.open()

    # ---- recent files ----------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recentFiles", files[:MAX_RECENT])
        self.actions_.rebuild_recent(self.recent_files())

    # ---- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])


def load_error_text(path: Path, exc: Exception) -> str:
    """One line that names the file: the loaders' 'FILE:LINE: message' as is."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if str(path) in text or path.name in text:
        return text
    return f"{path}: {text}"
