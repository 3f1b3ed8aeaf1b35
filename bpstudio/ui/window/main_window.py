"""The main window: canvas in the centre, inspector on the right, chain-rule and training
panels below (tabbed).

The window owns the undo stack and the file life cycle (window_files.FileOps);
stepping and editing go straight to Document mutators (the lecture commands, runs that
stop, notes, the quiz's reveal: window_lecture.LectureOps), and every widget follows
the document through its signals. Presentation mode (presentation.py) reuses the same
widgets full screen with the chrome hidden.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea

from ...model.diagram import neuron_summary, open_as_diagram
from ...model.document import Document
from ..canvas.graph_scene import GraphScene
from ..canvas.graph_view import GraphView
from ..commands.edit import UndoBinding
from ..lecture.presentation import Presentation, clamp_scale
from ..lecture.quiz import Quiz
from ..lecture.window_ops import LectureOps
from ..panels.breakpoints import BreakpointMarkers, Watches
from ..panels.inspector import Inspector
from ..panels.step_panel import StepPanel
from ..training.panel import TrainingPanel
from .actions import WindowActions
from .dialogs import ABOUT_TEXT, KeyboardMapDialog
from .files import MAX_RECENT, OPENABLE, FileOps, load_error_text  # noqa: F401
from .loader import AsyncOpener
from .node_ops import NodeOps
from .parts import (
    CheckRunner,
    DockHeights,
    NodeStatus,
    NonFiniteTracker,
    step_counter_text,
)
from .recovery import RecoveryKeeper, data_root


class MainWindow(FileOps, LectureOps, NodeOps, QMainWindow):
    def __init__(self, document: Document, settings: QSettings | None = None, theme=None):
        super().__init__()
        self.settings = settings if settings is not None else QSettings("bpstudio", "bpstudio")
        self.doc: Document | None = None
        self.last_error = ""
        self.error_box: QMessageBox | None = None
        self._hovered: str | None = None
        self._fitted = False
        self.text_scale = clamp_scale(_float(self.settings.value("textScale"), 1.0))
        self.undo_stack = QUndoStack(self)
        self._undo_binding = UndoBinding(self.undo_stack)
        open_as_diagram(document)
        self.scene = GraphScene(document, theme)
        self.view = GraphView(self.scene)
        self.presentation = Presentation(self)
        self.setCentralWidget(self.presentation.container)
        self.quiz = Quiz(self)
        self.watches = Watches(self.settings)
        self.markers = BreakpointMarkers(self.scene)
        self._build_docks(document)
        self.step_panel.summary = self.neuron_summary_lines
        self.push_watches_to_training()
        self.checker = CheckRunner(self)
        self.checker.finished.connect(self._check_finished)
        self.actions_ = WindowActions(self)
        self._build_status_bar()
        self.node_status = NodeStatus(self)
        self._build_safety_net()
        self._connect_parts()
        self.setAcceptDrops(True)
        self.view.viewport().installEventFilter(self)
        self.view.viewport().setMouseTracking(True)     # hover info without a button down
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self.canvas_menu)
        self.resize(1400, 850)
        self._restore_settings()
        self.set_document(document)
        self.step_panel.set_text_scale(self.text_scale)
        self.presentation.set_text_scale(self.text_scale)
        self.view.set_text_scale(self.text_scale)
        if self.settings.value("darkCanvas", False) in (True, "true"):
            self.actions_.dark.setChecked(True)
        else:
            self.presentation.set_theme(self.canvas_theme())

    # ---- construction --------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:                 # fit once the viewport has its real size
            self._fitted = True
            QTimer.singleShot(0, self.frame_view)

    def _build_docks(self, document: Document) -> None:
        self.inspector = Inspector(push=self.undo_stack.push)
        inspector = QScrollArea(widgetResizable=True, frameShape=QScrollArea.NoFrame)
        inspector.setWidget(self.inspector)
        # Below, beside the chain rule: the canvas keeps the window's full width (a
        # ten-layer graph fits with readable text; see GraphView.fit).
        self.inspector_dock = self._dock("Inspector", inspector, Qt.BottomDockWidgetArea)
        self.step_panel = StepPanel(push=self.undo_stack.push)
        self.step_dock = self._dock("Chain rule", self.step_panel, Qt.BottomDockWidgetArea)
        self.step_dock.dockLocationChanged.connect(self._step_dock_moved)
        self.training = TrainingPanel(document, self.undo_stack)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.NoFrame)
        scroll.setWidget(self.training)        # its plots may be squeezed, not the canvas
        self.training_dock = self._dock("Training", scroll, Qt.BottomDockWidgetArea)
        self.splitDockWidget(self.step_dock, self.inspector_dock, Qt.Horizontal)
        self.tabifyDockWidget(self.step_dock, self.training_dock)
        self.step_dock.raise_()
        self.resizeDocks([self.step_dock, self.inspector_dock], [1000, 400], Qt.Horizontal)
        self.resizeDocks([self.step_dock], [250], Qt.Vertical)
        self._dock_heights = DockHeights(self, {self.step_dock: 250, self.training_dock: 560})

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "") + "Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                         | QDockWidget.DockWidgetClosable)
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

    def _build_safety_net(self) -> None:
        """Big files open in a worker (loader.py); autosave, recovery and locks (recovery.py)."""
        self.opener = AsyncOpener(self)
        self.opener.opened.connect(self._show_opened)
        self.opener.failed.connect(self._open_failed)
        self.recovery = RecoveryKeeper(self, data_root(self.settings))

    def _connect_parts(self) -> None:
        self.scene.node_selected.connect(self._node_selected)
        self.scene.node_moved_by_user.connect(self._node_moved_by_user)
        self.scene.current_node_changed.connect(self.inspector.set_current)
        self.step_panel.step_clicked.connect(lambda row: self.doc.run_to(row + 1))
        self.step_panel.edit_committed.connect(self.view.setFocus)
        self.inspector.edit_committed.connect(self.view.setFocus)
        self.inspector.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.quiz.hidden_changed.connect(self._hidden_changed)
        self.quiz.toggled.connect(lambda on: self.show_message(
            "quiz on: backward steps hide their answers until Space" if on else "quiz off", 4000))
        self.training.message.connect(lambda text: self.show_message(text, 15000))
        self.training.diverged.connect(self._training_diverged)

    # ---- the document ----------------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        """Show `doc` (a fresh undo history); the previous document is dropped."""
        old = self.doc
        if old is not None:
            self._connect_doc(old, False)
        self.doc = doc
        self.statusBar().clearMessage()               # nothing said about the old document
        self.node_status.clear()
        self.nonfinite = NonFiniteTracker(doc)
        self.check_label.setText("")
        self.checker.cancel()
        self._undo_binding.set_document(doc)
        if old is not None:
            open_as_diagram(doc)
            self.scene.set_document(doc)
        self.step_panel.set_document(doc)
        self.inspector.set_document(doc)
        self.inspector.set_current(self.scene.current_node())
        if self.training.doc is not doc:
            self.training.set_document(doc)
        if not self.presentation.active:
            self.training_dock.setVisible(bool(doc.graph.dataset))
            self.step_dock.raise_()
        self.quiz.set_document(doc)
        self.markers.sync(doc.breakpoints())
        self._connect_doc(doc, True)
        self.actions_.live.setChecked(doc.live)
        self._update_title()
        self._cursor_moved(0, doc.stepper.cursor)
        self.frame_view()
        self.recovery.attach(doc)

    def _connect_doc(self, doc: Document, on: bool) -> None:
        pairs = [(doc.cursor_moved, self._cursor_moved), (doc.modified_changed, self._modified_changed),
                 (doc.leaf_edited, self._leaf_edited), (doc.live_changed, self._live_changed),
                 (doc.values_replaced, self._values_replaced),
                 (doc.breakpoint_changed, self._breakpoints_changed),
                 (doc.note_changed, self._notes_changed),
                 (doc.step_note_changed, self._notes_changed),
                 (doc.groups_changed, self.refit)]          # folding re-lays out: fit again
        if hasattr(doc, "structure_changed"):             # step into / collapse
            pairs.append((doc.structure_changed, self._structure_changed))
        for signal, slot in pairs:
            (signal.connect if on else signal.disconnect)(slot)

    def frame_view(self) -> None:
        """The zoom and centre saved with the file; else fit (presenting: legibly)."""
        view = self.doc.graph.view or {}
        if "zoom" in view and "center" in view:
            self.view.set_zoom(float(view["zoom"]))
            self.view.centerOn(QPointF(*map(float, view["center"])))
            self.presentation.forget_frame()
        elif self.presentation.active:
            self.presentation.frame()
        else:
            self.view.fit()

    def store_view_state(self) -> None:
        """Zoom and view centre go into the file on save: a lecture opens as prepared."""
        centre = self.view.visible_scene_rect().center()
        self.doc.graph.view["zoom"] = round(self.view.scale_factor(), 4)
        self.doc.graph.view["center"] = [round(centre.x(), 1), round(centre.y(), 1)]

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
        self._mark_nonfinite_origin()
        self._mask_inspector()
        self.node_status.refresh()
        self.presentation.refresh()

    def _hidden_changed(self, hidden) -> None:
        self.scene.set_hidden_grads(hidden)
        self.step_panel.set_hidden(hidden)
        self.inspector.refresh()
        self._mask_inspector()
        self.presentation.refresh()

    def _mask_inspector(self) -> None:
        """Quiz: the inspector (which refreshes itself first) must not give the answer."""
        if self.inspector.node_id in self.quiz.hidden:
            self.inspector.grad_label.setText("?")

    def _notes_changed(self, *_args) -> None:
        self.presentation.refresh()

    def _values_replaced(self) -> None:
        """Training (or a dataset row) put new numbers in: redraw everything."""
        self.scene.refresh_all()
        self.inspector.refresh()
        self.nonfinite.rescan()
        self.nonfinite_label.setText(self.nonfinite.message())
        self._mark_nonfinite_origin()
        self.node_status.refresh()
        self.presentation.refresh()

    def _structure_changed(self) -> None:
        """Step into / collapse: new nodes and steps (the scene rebuilds itself)."""
        self.step_panel.set_document(self.doc)
        self.inspector.refresh()
        self.markers.sync(self.doc.breakpoints())
        self.nonfinite = NonFiniteTracker(self.doc)
        self._cursor_moved(self.doc.stepper.cursor, self.doc.stepper.cursor)
        self.refit()

    def neuron_summary_lines(self) -> list[str] | None:
        """On the neuron diagram, what the last step did to its neuron (else None)."""
        folded = self.scene.groups().folded
        return neuron_summary(self.doc, folded) if folded else None

    def refit(self, *_args) -> None:
        """After the graph changed shape (step into, collapse, folding): fit again,
        readably (around the current step if the whole graph is too big)."""
        self.presentation.frame() if self.presentation.active else self.view.fit()
        self.step_panel.refresh()

    def _mark_nonfinite_origin(self) -> None:
        first = self.nonfinite.found
        self.scene.set_nonfinite_origin(first and first.node, first.detail if first else "")

    def _training_diverged(self, epoch: int, node_id: str) -> None:
        node = self.doc.graph.nodes.get(node_id)
        what = node.label if node else node_id
        self.nonfinite_label.setText(f"⚠ training diverged at epoch {epoch}: {what} is not finite")

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

    # ---- checks -----------------------------------------------------------------------------
    def numeric_check(self) -> None:
        self.statusBar().showMessage("checking gradients with central differences…")
        self.checker.start(self.doc)

    def _check_finished(self, doc, results, summary: str) -> None:
        if doc is not self.doc:
            return
        self.scene.set_check_results({r.node: (r.ok, r.error) for r in results})
        self.show_message(summary)
        ok = bool(results) and all(r.ok for r in results)
        self.check_label.setText(("✓ " if ok else "✗ ") + summary)
        self.check_label.setStyleSheet(f"color: {'#1a7f37' if ok else '#d32f2f'};")

    # ---- settings ------------------------------------------------------------------------------
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
            self.presentation.leave()            # remember the desk layout, not the stage
            self.save_settings()
            self.checker.cancel()
            self.training.shutdown()
            self.opener.shutdown()
            self.recovery.close()
            event.accept()
        else:
            event.ignore()

    # ---- help ------------------------------------------------------------------------------
    def keyboard_map(self) -> KeyboardMapDialog | None:
        """F1 or ?: the keyboard map (an overlay over the canvas when presenting)."""
        if self.presentation.active:
            self.presentation.toggle_keys()
            return None
        dialog = KeyboardMapDialog(self.actions_.all(), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def about(self) -> None:
        box = QMessageBox(QMessageBox.Information, "About bpstudio", ABOUT_TEXT,
                          QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()



def _float(value, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
