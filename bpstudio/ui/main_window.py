"""The main window: canvas in the centre, inspector on the right, chain-rule panel below.

The window owns the undo stack and the file life cycle (open, save, recent files,
unsaved-changes question); stepping and editing go straight to Document mutators,
and every widget follows the document through its signals.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox)

from ..model.document import Document
from .dialogs import ABOUT_TEXT, KeyboardMapDialog, SnippetDialog
from .commands import MoveNodeCommand, UndoBinding
from .graph_scene import GraphScene
from .graph_view import GraphView
from .inspector import Inspector
from .step_panel import StepPanel
from .actions import WindowActions
from .window_parts import (CheckRunner, NonFiniteTracker, dropped_paths,
                           run_to_selected_step, step_counter_text)

MAX_RECENT = 8
OPENABLE = "Graphs and snippets (*.json *.py);;bpstudio graph (*.json);;Python snippet (*.py)"


class MainWindow(QMainWindow):
    def __init__(self, document: Document, settings: QSettings | None = None, theme=None):
        super().__init__()
        self.settings = settings if settings is not None else QSettings("bpstudio", "bpstudio")
        self.doc: Document | None = None
        self.last_error = ""
        self.error_box: QMessageBox | None = None
        self._hovered: str | None = None
        self._fitted = False
        self.undo_stack = QUndoStack(self)
        self._undo_binding = UndoBinding(self.undo_stack)
        self.scene = GraphScene(document, theme)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self._build_docks()
        self.checker = CheckRunner(self)
        self.checker.finished.connect(self._check_finished)
        self.actions_ = WindowActions(self)
        if self.settings.value("darkCanvas", False) in (True, "true"):
            self.actions_.dark.setChecked(True)
        self._build_status_bar()
        self._connect_parts()
        self.setAcceptDrops(True)
        self.view.viewport().installEventFilter(self)
        self.view.viewport().setMouseTracking(True)     # hover info without a button down
        self.resize(1400, 850)
        self._restore_settings()
        self.set_document(document)

    # ---- construction --------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:                 # fit once the viewport has its real size
            self._fitted = True
            QTimer.singleShot(0, self.view.fit)

    def _build_docks(self) -> None:
        self.inspector = Inspector(push=self.undo_stack.push)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.step_panel = StepPanel()
        self.step_dock = self._dock("Chain rule", self.step_panel, Qt.BottomDockWidgetArea)
        self.step_dock.dockLocationChanged.connect(self._step_dock_moved)
        self.resizeDocks([self.inspector_dock], [340], Qt.Horizontal)
        self.resizeDocks([self.step_dock], [250], Qt.Vertical)

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "") + "Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _step_dock_moved(self, area) -> None:
        side = area in (Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea)
        self.step_panel.set_orientation(Qt.Vertical if side else Qt.Horizontal)

    def _build_status_bar(self) -> None:
        self.check_label = QLabel()
        self.check_label.setObjectName("checkSummary")
        self.statusBar().addPermanentWidget(self.check_label)
        self.nonfinite_label = QLabel()
        self.nonfinite_label.setObjectName("nonfinite")
        self.nonfinite_label.setStyleSheet("color: #d32f2f; font-weight: bold;")
        self.statusBar().addPermanentWidget(self.nonfinite_label)

    def _connect_parts(self) -> None:
        self.scene.node_selected.connect(self._node_selected)
        self.scene.node_moved_by_user.connect(self._node_moved_by_user)
        self.scene.current_node_changed.connect(self.inspector.set_current)
        self.step_panel.step_clicked.connect(lambda row: self.doc.run_to(row + 1))
        self.inspector.edit_committed.connect(self.view.setFocus)
        self.inspector.message.connect(lambda text: self.statusBar().showMessage(text, 5000))

    # ---- the document ----------------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        """Show `doc` (a fresh undo history); the previous document is dropped."""
        old = self.doc
        if old is not None:
            old.cursor_moved.disconnect(self._cursor_moved)
            old.modified_changed.disconnect(self._modified_changed)
            old.leaf_edited.disconnect(self._leaf_edited)
            old.live_changed.disconnect(self._live_changed)
        self.doc = doc
        self.nonfinite = NonFiniteTracker(doc)
        self.check_label.setText("")
        self.checker.cancel()
        self._undo_binding.set_document(doc)
        if old is not None:
            self.scene.set_document(doc)
        self.step_panel.set_document(doc)
        self.inspector.set_document(doc)
        self.inspector.set_current(self.scene.current_node())
        doc.cursor_moved.connect(self._cursor_moved)
        doc.modified_changed.connect(self._modified_changed)
        doc.leaf_edited.connect(self._leaf_edited)
        doc.live_changed.connect(self._live_changed)
        self.actions_.live.setChecked(doc.live)
        self._update_title()
        self._cursor_moved(0, doc.stepper.cursor)
        self.view.fit()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.doc.title}[*] — bpstudio" if self.doc else "bpstudio")
        self.setWindowModified(bool(self.doc and self.doc.modified))

    def _modified_changed(self, _flag: bool) -> None:
        self._update_title()

    def _cursor_moved(self, old: int, new: int) -> None:
        s = self.doc.stepper
        self.actions_.update_enabled(s.cursor, s.total)
        self.actions_.counter.setText(step_counter_text(s))
        self.nonfinite_label.setText(self.nonfinite.update(old, new))

    def _leaf_edited(self, node_id: str) -> None:
        self.scene.set_check_results({})          # old badges no longer apply
        self.check_label.setText("")
        label = self.doc.graph.nodes[node_id].label
        if not self.doc.live:
            self.statusBar().showMessage(f"{label} changed: downstream values and grads are "
                                         f"stale until the steps run again", 8000)

    def _live_changed(self, flag: bool) -> None:
        self.actions_.live.blockSignals(True)
        self.actions_.live.setChecked(flag)
        self.actions_.live.blockSignals(False)

    def _node_selected(self, node_id: str) -> None:
        node_id = node_id or None
        self.inspector.set_node(node_id)
        if node_id and self.doc and node_id in self.doc.graph.nodes:
            self.statusBar().showMessage(self.describe_node(node_id))

    def describe_node(self, node_id: str) -> str:
        from ..engine import fmt
        s = self.doc.stepper
        node = self.doc.graph.nodes[node_id]
        kind = f"leaf ({node.role})" if node.is_leaf else node.op
        value = s.value(node_id)
        return (f"{node.label} · {kind} · data {fmt(value) if value is not None else 'pending'}"
                f" · grad {fmt(s.grad(node_id)) if s.grad(node_id) is not None else '—'}"
                f" ({s.grad_state(node_id)})")

    def _node_moved_by_user(self, node_id: str, ox: float, oy: float, nx: float, ny: float):
        self.undo_stack.push(MoveNodeCommand(self.doc, node_id, (ox, oy), (nx, ny)))

    # ---- stepping (the Step menu) -------------------------------------------------------
    def step_forward(self) -> None:
        self.doc.step()

    def step_back(self) -> None:
        self.doc.back()

    def run_to_end(self) -> None:
        self.doc.run_to_end()

    def reset(self) -> None:
        self.doc.reset()

    def run_to_selected(self) -> None:
        node_id = self.scene.selected_node()
        if not node_id:
            self.statusBar().showMessage("select a node first (click it on the canvas)", 5000)
            return
        self.doc.run_to(run_to_selected_step(self.doc, node_id))

    def numeric_check(self) -> None:
        self.statusBar().showMessage("checking gradients with central differences…")
        self.checker.start(self.doc)

    def _check_finished(self, doc, results, summary: str) -> None:
        if doc is not self.doc:
            return
        self.scene.set_check_results({r.node: (r.ok, r.error) for r in results})
        self.statusBar().showMessage(summary)
        ok = bool(results) and all(r.ok for r in results)
        self.check_label.setText(("✓ " if ok else "✗ ") + summary)
        self.check_label.setStyleSheet(f"color: {'#1a7f37' if ok else '#d32f2f'};")

    # ---- files ---------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Load a file; on failure show why and keep the current document."""
        path = Path(path)
        try:
            doc = Document.open(path)
        except Exception as exc:    # any failure to load is reported, never fatal
            self.show_error(load_error_text(path, exc), "Cannot open file")
            return False
        if not self.maybe_save():
            return False
        self.set_document(doc)
        self.add_recent(path)
        self.statusBar().showMessage(f"opened {path}", 5000)
        return True

    def open_dialog(self) -> None:
        start = str(self.doc.source.parent) if self.doc and self.doc.source else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open graph", start, OPENABLE)
        if path:
            self.open_path(path)

    def new_from_snippet(self) -> None:
        dialog = SnippetDialog(self)
        if dialog.exec() and dialog.graph is not None and self.maybe_save():
            self.set_document(Document(dialog.graph))

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

    # ---- recent files and settings ---------------------------------------------------------
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

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("windowState")
        if state is not None:
            self.restoreState(state)
        self.actions_.rebuild_recent(self.recent_files())

    def save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.sync()

    def closeEvent(self, event) -> None:
        if self.maybe_save():
            self.save_settings()
            self.checker.cancel()
            event.accept()
        else:
            event.ignore()

    # ---- help ------------------------------------------------------------------------------
    def keyboard_map(self) -> KeyboardMapDialog:
        dialog = KeyboardMapDialog(self.actions_.all(), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def about(self) -> None:
        box = QMessageBox(QMessageBox.Information, "About bpstudio", ABOUT_TEXT,
                          QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    # ---- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:
        paths = dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    def _hover(self, pos) -> None:
        """Describe the node under the mouse in the status bar (or the selection)."""
        item = self.view.itemAt(pos)
        while item is not None and not isinstance(getattr(item, "node_id", None), str):
            item = item.parentItem()
        node_id = item.node_id if item is not None else None
        if node_id == self._hovered or self.doc is None:
            return
        self._hovered = node_id
        shown = node_id or self.scene.selected_node()
        if shown and shown in self.doc.graph.nodes:
            self.statusBar().showMessage(self.describe_node(shown))
        else:
            self.statusBar().clearMessage()

    def eventFilter(self, obj, event) -> bool:
        """Hover info, and drops on the canvas open files too (not handed to the scene)."""
        kind = event.type()
        if kind == QEvent.MouseMove and obj is self.view.viewport():
            self._hover(event.position().toPoint())
        if kind in (QEvent.DragEnter, QEvent.DragMove) and dropped_paths(event.mimeData()):
            event.acceptProposedAction()
            return True
        if kind == QEvent.Drop and dropped_paths(event.mimeData()):
            self.dropEvent(event)
            return True
        return super().eventFilter(obj, event)


def load_error_text(path: Path, exc: Exception) -> str:
    """One line that names the file: the loaders' 'FILE:LINE: message' as is."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if str(path) in text or path.name in text:
        return text
    return f"{path}: {text}"
