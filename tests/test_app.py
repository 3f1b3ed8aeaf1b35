"""The desktop app driven as a user would: keys, clicks, the inspector's text boxes."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QApplication, QGraphicsSimpleTextItem, QGraphicsTextItem

from bpstudio.engine import Graph
from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.app import builtin_expression, initial_document, run_app
from bpstudio.ui.panels.inspector import parse_value
from bpstudio.ui.window.dialogs import KeyboardMapDialog, SnippetDialog
from bpstudio.ui.window.main_window import MainWindow

MALFORMED = '{"format": "bpstudio.graph", "version": 1, "nodes": ['
NEURON_SNIPPET = """x1 = Value(2.0, label='x1')
w1 = Value(-3.0, label='w1')
b = Value(6.8813735870195432, label='b')
n = x1*w1 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
"""


def expression_document() -> Document:
    path = EXAMPLES / "expression.json"
    return Document.open(path) if path.exists() else builtin_expression()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


def make_window(qtbot, settings, doc=None) -> MainWindow:
    w = MainWindow(doc or expression_document(), settings)
    w.answers = []                                  # what the user answers, in order
    w.ask_save_changes = lambda: w.answers.pop(0) if w.answers else "discard"
    qtbot.addWidget(w)
    w.resize(1400, 850)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)   # shortcuts need it
    w.view.setFocus()
    return w


@pytest.fixture
def window(qtbot, settings):
    return make_window(qtbot, settings)


def nid(w: MainWindow, label: str) -> str:
    return w.doc.graph.by_label(label).id


def press(qtbot, w, key, times=1, modifier=Qt.NoModifier):
    for _ in range(times):
        qtbot.keyClick(w, key, modifier)


def scene_text(w: MainWindow) -> str:
    """Every text the canvas shows (text items, and the label/data/grad of node cards)."""
    parts = []
    for item in w.scene.items():
        if isinstance(item, QGraphicsSimpleTextItem):
            parts.append(item.text())
        elif isinstance(item, QGraphicsTextItem):
            parts.append(item.toPlainText())
        elif hasattr(item, "data_text"):                    # the canvas's node cards
            parts.extend((item.label_text(), item.data_text(), item.grad_text()))
    return "\n".join(parts)


def inspect(w, qtbot, label: str):
    w.scene.select_node(nid(w, label))
    qtbot.waitUntil(lambda: w.inspector.node_id == nid(w, label))
    return w.inspector


# ---- stepping -------------------------------------------------------------------------

def test_forward_pass_shows_values(window, qtbot):
    w = window
    s = w.doc.stepper
    assert s.cursor == 0 and "step 0 / 7" in w.actions_.counter.text()
    for label in "edL":
        assert s.value_state(nid(w, label)) == "pending"
    assert inspect(w, qtbot, "e").data_edit.text() == ""
    w.view.setFocus()
    expected = [("e", "e = a × b = 2.0 × (−3.0) = −6.0"), ("d", "d = e + c = (−6.0) + 10.0 = 4.0"),
                ("L", "L = d × f = 4.0 × (−2.0) = −8.0")]
    for label, line in expected:
        press(qtbot, w, Qt.Key_Right)
        assert w.scene.current_node() == nid(w, label)
        assert line in w.step_panel.text()
    assert "step 3 / 7 · forward" in w.actions_.counter.text()
    shown = scene_text(w)
    for value in ("−6.0", "4.0", "−8.0"):
        assert value in shown
    for label, value in (("e", "−6.0"), ("d", "4.0"), ("L", "−8.0")):
        assert inspect(w, qtbot, label).data_edit.text() == value


def test_backward_pass_then_back_to_start(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_Right, 3)
    expected = [("L", "L.grad = 1.0"),
                ("L", "d.grad += f.data × L.grad = (−2.0) × 1.0 = −2.0"),
                ("d", "e.grad += 1 × d.grad = 1.0 × (−2.0) = −2.0"),
                ("e", "a.grad += b.data × e.grad = (−3.0) × (−2.0) = 6.0")]
    for label, line in expected:
        press(qtbot, w, Qt.Key_Right)
        assert w.scene.current_node() == nid(w, label)
        assert line in w.step_panel.text()
    assert "b.grad += a.data × e.grad = 2.0 × (−2.0) = −4.0" in w.step_panel.text()
    assert "mul swaps" in w.step_panel.text()
    s = w.doc.stepper
    assert s.cursor == s.total and not w.actions_.step.isEnabled()
    press(qtbot, w, Qt.Key_Right)                        # nothing left to do
    assert s.cursor == s.total
    assert inspect(w, qtbot, "a").grad_label.text() == "6.0"
    assert w.inspector.grad_state_label.text() == "final"
    w.view.setFocus()
    press(qtbot, w, Qt.Key_Left, s.total)
    assert s.cursor == 0 and not w.actions_.back.isEnabled()
    for label in "edL":
        assert s.value_state(nid(w, label)) == "pending"
    assert all(g is None for g in s.grads)
    assert "Ready" in w.step_panel.text()


def test_home_end_and_run_to_selected(window, qtbot):
    w = window
    s = w.doc.stepper
    press(qtbot, w, Qt.Key_End)
    assert s.cursor == s.total and "done" in w.actions_.counter.text()
    press(qtbot, w, Qt.Key_Home)
    assert s.cursor == 0
    w.scene.select_node(nid(w, "d"))
    w.view.setFocus()
    press(qtbot, w, Qt.Key_R, modifier=Qt.ControlModifier)
    assert w.scene.current_node() == nid(w, "d") and s.kind(s.cursor - 1) == "forward"
    press(qtbot, w, Qt.Key_R, modifier=Qt.ControlModifier)
    assert w.scene.current_node() == nid(w, "d") and s.kind(s.cursor - 1) == "backward"
    w.scene.select_node(nid(w, "a"))
    press(qtbot, w, Qt.Key_R, modifier=Qt.ControlModifier)
    assert s.grad_state(nid(w, "a")) == "final"


def test_clicking_a_step_row_jumps_there(window, qtbot):
    w = window
    lst = w.step_panel.list
    for row in (5, 1, 6, 0):
        index = w.step_panel.model.index(row)
        lst.scrollTo(index)
        qtbot.mouseClick(lst.viewport(), Qt.LeftButton, pos=lst.visualRect(index).center())
        assert w.doc.stepper.cursor == row + 1
        assert w.step_panel.model.data(index, Qt.BackgroundRole) is not None
    assert "forward" in w.step_panel.model.data(w.step_panel.model.index(0))
    lst.setFocus()                                   # arrows still step, not move a cell
    press(qtbot, w, Qt.Key_Right)
    assert w.doc.stepper.cursor == 2


# ---- editing ---------------------------------------------------------------------------

def type_into(qtbot, edit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


def test_edit_leaf_marks_stale_recomputes_and_undoes(window, qtbot):
    w = window
    s = w.doc.stepper
    press(qtbot, w, Qt.Key_End)
    insp = inspect(w, qtbot, "a")
    type_into(qtbot, insp.data_edit, "3.0")
    assert w.doc.graph.nodes[nid(w, "a")].value == 3.0
    assert w.undo_stack.count() == 1 and w.isWindowModified()
    for label in "edL":
        assert s.value_state(nid(w, label)) == "stale"
    assert s.grad_state(nid(w, "b")) == "stale"
    assert s.cursor == 0                                   # rewound to the first affected step
    press(qtbot, w, Qt.Key_End)                            # focus went back to the canvas
    assert s.value(nid(w, "L")) == pytest.approx(-2.0)     # (3·−3 + 10)·−2
    assert s.grad(nid(w, "b")) == pytest.approx(-6.0)      # a · f = 3 · −2
    assert inspect(w, qtbot, "b").grad_label.text() == "−6.0"
    w.view.setFocus()
    press(qtbot, w, Qt.Key_Z, modifier=Qt.ControlModifier)
    assert w.doc.graph.nodes[nid(w, "a")].value == 2.0
    assert not w.isWindowModified()
    press(qtbot, w, Qt.Key_Z, modifier=Qt.ControlModifier | Qt.ShiftModifier)
    assert w.doc.graph.nodes[nid(w, "a")].value == 3.0 and w.isWindowModified()
    assert inspect(w, qtbot, "a").data_edit.text() == "3.0"


def test_bad_value_is_refused_with_a_message(window, qtbot):
    w = window
    insp = inspect(w, qtbot, "a")
    type_into(qtbot, insp.data_edit, "two")
    assert w.doc.graph.nodes[nid(w, "a")].value == 2.0
    assert w.undo_stack.count() == 0
    assert "not a number" in insp.error_label.text()
    assert "d32f2f" in insp.data_edit.styleSheet()
    insp.data_edit.setText("\u22121.5")                   # a typographic minus is fine
    qtbot.keyClick(insp.data_edit, Qt.Key_Return)          # (keyClicks types ASCII only)
    assert w.doc.graph.nodes[nid(w, "a")].value == -1.5
    assert insp.error_label.text() == "" and insp.data_edit.styleSheet() == ""


def test_parse_value_scalars_and_tensors():
    assert parse_value("2.5e-3", 1.0) == (0.0025, "")
    old = np.zeros((2, 2))
    value, err = parse_value("[[1, 2], [3, 4]]", old)
    assert err == "" and value.tolist() == [[1, 2], [3, 4]]
    assert "shape" in parse_value("[1, 2]", old)[1]
    assert parse_value("__import__('os')", old)[0] is None
    assert parse_value("nan", 1.0)[0] is None
    assert parse_value("", 1.0)[0] is None


def test_rename_and_note_are_undoable(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_Right)
    insp = inspect(w, qtbot, "a")
    type_into(qtbot, insp.label_edit, "alpha")
    assert "e = alpha × b" in w.step_panel.text()
    type_into(qtbot, insp.note_edit, "the weight")
    assert w.doc.note(nid(w, "alpha")) == "the weight"
    assert w.undo_stack.count() == 2
    w.undo_stack.undo()
    w.undo_stack.undo()
    assert w.doc.graph.nodes[nid(w, "a")].label == "a" and w.doc.note(nid(w, "a")) == ""
    assert "e = a × b" in w.step_panel.text()


def test_live_mode_recomputes_at_once(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_L, modifier=Qt.ControlModifier)
    assert w.doc.live and w.inspector.live_box.isChecked()
    assert w.doc.stepper.cursor == w.doc.stepper.total
    type_into(qtbot, inspect(w, qtbot, "a").data_edit, "3")
    s = w.doc.stepper
    assert s.cursor == s.total and s.grad(nid(w, "b")) == pytest.approx(-6.0)


def test_dragging_a_node_is_one_undoable_move(window):
    w = window
    a = nid(w, "a")
    x, y = w.doc.positions()[a]
    w.scene.node_moved_by_user.emit(a, x, y, x + 40.0, y - 10.0)
    assert w.doc.positions()[a] == (x + 40.0, y - 10.0) and w.isWindowModified()
    w.undo_stack.undo()
    assert w.doc.positions()[a] == (x, y) and not w.isWindowModified()


# ---- files ------------------------------------------------------------------------------

def test_malformed_file_reports_and_keeps_document(window, qtbot, tmp_path):
    w = window
    press(qtbot, w, Qt.Key_Right, 2)
    bad = tmp_path / "broken.json"
    bad.write_text(MALFORMED)
    doc, title = w.doc, w.windowTitle()
    assert not w.open_path(bad)
    assert "broken.json" in w.last_error and "\n" not in w.last_error
    assert w.error_box is not None and w.error_box.isVisible()
    assert w.error_box.text() == w.last_error
    assert w.doc is doc and doc.stepper.cursor == 2 and w.windowTitle() == title
    w.error_box.close()


def test_save_and_reopen_round_trip(window, qtbot, tmp_path):
    pytest.importorskip("bpstudio.io.fileformat")
    w = window
    a = nid(w, "a")
    x, y = w.doc.positions()[a]
    w.scene.node_moved_by_user.emit(a, x, y, x + 33.0, y + 7.0)
    type_into(qtbot, inspect(w, qtbot, "b").data_edit, "-4.5")
    press(qtbot, w, Qt.Key_Right, 2)
    before = {n: (w.doc.graph.nodes[n].value, w.doc.positions()[n]) for n in w.doc.graph.nodes}
    target = tmp_path / "saved.json"
    assert w.save_to(target) and not w.isWindowModified()
    assert w.windowTitle().startswith("saved.json")
    assert w.open_path(target)
    after = {n: (w.doc.graph.nodes[n].value, w.doc.positions()[n]) for n in w.doc.graph.nodes}
    assert after == before
    assert w.doc.stepper.cursor == 2
    assert str(target.resolve()) in w.recent_files()


def test_unsaved_edits_ask_before_opening(window, qtbot, tmp_path):
    w = window
    snippet = tmp_path / "neuron.py"
    snippet.write_text(NEURON_SNIPPET)
    type_into(qtbot, inspect(w, qtbot, "a").data_edit, "5")
    doc = w.doc
    w.answers = ["cancel"]
    assert not w.open_path(snippet) and w.doc is doc
    w.answers = ["discard"]
    assert w.open_path(snippet) and w.doc is not doc
    assert w.windowTitle().startswith("neuron.py") and not w.isWindowModified()
    assert w.undo_stack.count() == 0


def test_dropping_a_file_opens_it(window, qtbot, tmp_path):
    w = window
    snippet = tmp_path / "dropped.py"
    snippet.write_text(NEURON_SNIPPET)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(snippet))])
    event = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    w.dropEvent(event)
    assert w.doc.source == snippet


def test_close_remembers_geometry_and_recent(qtbot, settings, tmp_path):
    w = make_window(qtbot, settings)
    snippet = tmp_path / "n.py"
    snippet.write_text(NEURON_SNIPPET)
    assert w.open_path(snippet)
    w.close()
    assert settings.value("geometry") is not None
    assert str(snippet.resolve()) in w.recent_files()
    again = make_window(qtbot, settings)
    assert again.actions_.recent_menu.actions()[0].text() == str(snippet.resolve())


def test_snippet_dialog_shows_errors_inline(qtbot):
    dialog = SnippetDialog(text="a = Value(2.0)\nb = a.frobnicate()\n")
    qtbot.addWidget(dialog)
    assert not dialog.try_accept()
    assert "2:" in dialog.error.text()
    dialog.editor.setPlainText(NEURON_SNIPPET)
    assert dialog.try_accept() and dialog.graph is not None


# ---- help, check, status ----------------------------------------------------------------------

def test_keyboard_map_lists_every_shortcut(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_F1)
    dialog = w.findChild(KeyboardMapDialog)
    assert dialog is not None and dialog.isVisible()
    listed = {(row[1], row[2]) for row in dialog.rows()}
    with_keys = [a for a in w.findChildren(QAction) if a.shortcuts()]
    assert len(with_keys) >= 15
    for action in with_keys:
        keys = ", ".join(s.toString(s.SequenceFormat.NativeText) for s in action.shortcuts())
        assert (action.text().replace("&", ""), keys) in listed
    dialog.close()


def test_numeric_check_reports_in_status_bar(window, qtbot):
    w = window
    with qtbot.waitSignal(w.checker.finished, timeout=10000):
        press(qtbot, w, Qt.Key_G, modifier=Qt.ControlModifier)
    qtbot.waitUntil(lambda: "agree" in w.statusBar().currentMessage())
    assert w.statusBar().currentMessage().startswith("4 leaves agree, worst error")
    assert w.check_label.text().startswith("✓ 4 leaves agree")
    type_into(qtbot, inspect(w, qtbot, "a").data_edit, "3")     # the badges are now stale
    assert w.check_label.text() == ""


def test_nan_is_flagged_in_status_bar(qtbot, settings):
    g = Graph("nan", output="y")
    g.leaf("x", -1.0)
    g.op("y", "log", "x")
    w = make_window(qtbot, settings, Document(g))
    assert w.nonfinite_label.text() == ""
    press(qtbot, w, Qt.Key_Right)
    assert "NaN at node y" in w.nonfinite_label.text()
    press(qtbot, w, Qt.Key_Left)
    assert w.nonfinite_label.text() == ""


def test_selection_shows_node_in_status_bar(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_End)
    w.scene.select_node(nid(w, "e"))
    qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("e · mul"))
    assert "grad −2.0" in w.statusBar().currentMessage()


def test_hovering_a_card_describes_it(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_End)
    item = w.scene.node_item(nid(w, "b"))
    pos = w.view.mapFromScene(item.mapToScene(item.card_rect().center()))
    qtbot.mouseMove(w.view.viewport(), pos)
    qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("b · leaf"))
    assert "grad −4.0 (final)" in w.statusBar().currentMessage()


def test_every_example_opens(window):
    files = sorted(Path(EXAMPLES).glob("*.json")) + sorted(Path(EXAMPLES).glob("*.py"))
    files = [f for f in files if f.name not in ("build.py", "torch-moons-mlp.py")]  # run-only
    for path in files:
        assert window.open_path(path), window.last_error
        assert window.doc.source == path


# ---- starting the app ----------------------------------------------------------------------------

def test_initial_document_falls_back_with_a_reason(tmp_path):
    doc, error = initial_document(None)
    assert error == "" and len(doc.graph) == 7
    doc, error = initial_document(tmp_path / "missing.json")
    assert "missing.json" in error and len(doc.graph) == 7


def test_run_app_shows_the_window_and_returns(qapp, tmp_path):
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):    # never the user's settings
        QSettings.setPath(fmt, QSettings.UserScope, str(tmp_path))
    seen = {}

    def close_window():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen["title"] = widget.windowTitle()
                widget.close()
        QApplication.quit()

    QTimer.singleShot(0, close_window)
    assert run_app() == 0
    assert seen["title"].endswith("— bpstudio")
