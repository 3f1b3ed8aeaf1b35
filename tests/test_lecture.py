"""Lecture mode driven from the keyboard, as a lecturer at a projector would: presentation
mode, the quiz, notes, breakpoints and watches, session state, the training dock."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QFontInfo
from PySide6.QtWidgets import QApplication, QMenu

from bpstudio.engine import Graph
from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.lecture.widgets import LINE_PX
from bpstudio.ui.window.dialogs import KeyboardMapDialog, NoteDialog
from bpstudio.ui.window.main_window import MainWindow

EXPRESSION = EXAMPLES / "expression.json"


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


def make_window(qtbot, settings, doc=None) -> MainWindow:
    w = MainWindow(doc or Document.open(EXPRESSION), settings)
    w.ask_save_changes = lambda: "discard"
    w.presentation.use_fullscreen = False     # the offscreen screen is 800×800: size by hand
    qtbot.addWidget(w)
    w.resize(1400, 850)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.view.setFocus()
    return w


@pytest.fixture
def window(qtbot, settings):
    return make_window(qtbot, settings)


def press(qtbot, w, key, times=1, modifier=Qt.NoModifier):
    for _ in range(times):
        qtbot.keyClick(w, key, modifier)


def nid(w, label: str) -> str:
    return w.doc.graph.by_label(label).id


def type_into(qtbot, edit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


# ---- presentation mode ----------------------------------------------------------------------

FORWARD = ["e = a × b = 2.0 × (−3.0) = −6.0", "d = e + c = (−6.0) + 10.0 = 4.0",
           "L = d × f = 4.0 × (−2.0) = −8.0"]
BACKWARD = ["L.grad = 1.0", "d.grad += f.data × L.grad = (−2.0) × 1.0 = −2.0",
            "e.grad += 1 × d.grad = 1.0 × (−2.0) = −2.0",
            "a.grad += b.data × e.grad = (−3.0) × (−2.0) = 6.0"]


def test_presentation_keyboard_only_forward_backward_and_back(window, qtbot):
    w = window
    bar = w.presentation.bar
    press(qtbot, w, Qt.Key_F11)
    assert w.presentation.active and w.actions_.present.isChecked()
    w.resize(1920, 1080)
    qtbot.waitUntil(lambda: w.width() == 1920 and w.height() == 1080)
    assert not w.menuBar().isVisible() and not w.statusBar().isVisible()
    assert not w.actions_.toolbar.isVisible()
    assert not w.step_dock.isVisible() and not w.inspector_dock.isVisible()
    assert bar.isVisible() and w.presentation.badge.isVisible()
    assert w.scene.theme().name == "projector"
    assert QFontInfo(bar.lines.font()).pixelSize() >= 28          # from the back of the room
    assert bar.lines.font().pixelSize() == LINE_PX and LINE_PX >= 28
    assert bar.width() == 1920
    assert "Press → to compute" in bar.text()
    for line in FORWARD + BACKWARD:
        press(qtbot, w, Qt.Key_Right)
        assert line in bar.text(), bar.text()
        assert w.presentation.badge.counter == w.actions_.counter.text()
    assert "mul swaps" in bar.text()
    s = w.doc.stepper
    assert s.cursor == s.total
    press(qtbot, w, Qt.Key_Left, s.total)
    assert s.cursor == 0 and "Ready" in bar.text()
    press(qtbot, w, Qt.Key_Escape)
    assert not w.presentation.active and not w.actions_.present.isChecked()
    assert w.menuBar().isVisible() and w.step_dock.isVisible() and w.inspector_dock.isVisible()
    assert w.actions_.toolbar.isVisible() and not bar.isVisible()
    assert w.scene.theme().name == "light"


def test_text_size_theme_and_keyboard_overlay_in_presentation(window, qtbot, settings):
    w = window
    press(qtbot, w, Qt.Key_F11)
    bar = w.presentation.bar
    press(qtbot, w, Qt.Key_Equal, modifier=Qt.ControlModifier)
    bigger = bar.lines.font().pixelSize()
    assert bigger > LINE_PX and float(settings.value("textScale")) > 1.0
    press(qtbot, w, Qt.Key_Minus, 2, modifier=Qt.ControlModifier)
    assert bar.lines.font().pixelSize() < LINE_PX
    press(qtbot, w, Qt.Key_0, modifier=Qt.ControlModifier)
    assert bar.lines.font().pixelSize() == LINE_PX and float(settings.value("textScale")) == 1.0
    press(qtbot, w, Qt.Key_T)
    assert w.scene.theme().name == "projector-dark" and w.actions_.dark.isChecked()
    press(qtbot, w, Qt.Key_T)
    assert w.scene.theme().name == "projector"
    press(qtbot, w, Qt.Key_Question, modifier=Qt.ShiftModifier)
    overlay = w.presentation.keys
    assert overlay.isVisible()
    listed = {(action, keys) for _menu, action, keys in overlay.listed()}
    for action in w.actions_.all():
        if action.shortcuts():
            assert (action.text().replace("&", ""), _keys(action)) in listed
    press(qtbot, w, Qt.Key_Escape)                 # Esc closes the overlay first
    assert not overlay.isVisible() and w.presentation.active
    press(qtbot, w, Qt.Key_Escape)
    assert not w.presentation.active


def test_text_scale_is_remembered(qtbot, settings):
    w = make_window(qtbot, settings)
    press(qtbot, w, Qt.Key_Equal, modifier=Qt.ControlModifier)
    scale = w.text_scale
    again = make_window(qtbot, settings)
    assert again.text_scale == scale and again.presentation.bar.scale == scale


def test_camera_follows_with_an_animation(qtbot, settings):
    doc = Document.open(EXAMPLES / "net-2-2-2.json")
    w = make_window(qtbot, settings, doc)
    press(qtbot, w, Qt.Key_F11)
    w.view.set_zoom(2.5)
    w.view.centerOn(w.scene.node_item(w.doc.graph.output).pos())
    press(qtbot, w, Qt.Key_Right)                   # the first op is far from the output
    assert w.view.follows() and w.view._animation is not None
    node = w.scene.current_node()
    qtbot.waitUntil(lambda: w.view._animation is None, timeout=5000)
    assert w.view.visible_scene_rect().contains(w.scene.node_item(node).pos())


# ---- quiz ------------------------------------------------------------------------------------

def test_quiz_hides_the_next_grads_until_space(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_Q)
    assert w.quiz.on and w.actions_.quiz.isChecked()
    press(qtbot, w, Qt.Key_Right, 4)                # three forward steps and the seed
    assert w.quiz.hidden == frozenset()
    press(qtbot, w, Qt.Key_Right)                   # L's backward step: d and f get grads
    d, f = w.scene.node_item(nid(w, "d")), w.scene.node_item(nid(w, "f"))
    assert d.grad_text() == "?" and f.grad_text() == "?"
    assert "d.grad += f.data × L.grad = (−2.0) × 1.0 = ?" in w.step_panel.text()
    assert "−2.0" not in w.step_panel.text().split("d.grad +=")[1].split("=")[3]
    assert {e.label_text() for e in w.scene.lit_edges()} == {"?"}
    w.scene.select_node(nid(w, "d"))                 # nor does the inspector tell
    assert w.inspector.node_id == nid(w, "d") and w.inspector.grad_label.text() == "?"
    assert "grad ?" in w.statusBar().currentMessage()
    w.view.setFocus()
    cursor = w.doc.stepper.cursor
    press(qtbot, w, Qt.Key_Right)                   # → first reveals, does not step
    assert w.doc.stepper.cursor == cursor
    assert w.inspector.grad_label.text() == "−2.0"
    w.scene.select_node(None)
    w.view.setFocus()
    assert d.grad_text() == "−2.0" and "= (−2.0) × 1.0 = −2.0" in w.step_panel.text()
    press(qtbot, w, Qt.Key_Right)                   # then steps: e's grad is hidden
    assert w.scene.node_item(nid(w, "e")).grad_text() == "?"
    press(qtbot, w, Qt.Key_Space)                   # Space reveals
    assert w.scene.node_item(nid(w, "e")).grad_text() == "−2.0"
    assert w.doc.stepper.cursor == cursor + 1
    press(qtbot, w, Qt.Key_Left)                    # a step once revealed stays revealed
    assert d.grad_text() == "−2.0"
    press(qtbot, w, Qt.Key_Q)
    assert not w.quiz.on and w.quiz.hidden == frozenset()


def test_quiz_in_presentation_bar(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_F11)
    press(qtbot, w, Qt.Key_Q)
    press(qtbot, w, Qt.Key_Right, 5)
    assert "(−2.0) × 1.0 = ?" in w.presentation.bar.text()
    assert "quiz" in w.presentation.badge.text()
    press(qtbot, w, Qt.Key_Space)
    assert "(−2.0) × 1.0 = −2.0" in w.presentation.bar.text()


# ---- breakpoints and watches ---------------------------------------------------------------------

def test_breakpoint_on_d_stops_end_forward_then_backward(window, qtbot):
    w = window
    s = w.doc.stepper
    d = nid(w, "d")
    w.scene.select_node(d)
    w.view.setFocus()
    press(qtbot, w, Qt.Key_B)
    assert w.doc.breakpoints() == [d] and w.markers.marked() == {d}
    assert w.isWindowModified()
    w.scene.select_node(None)
    press(qtbot, w, Qt.Key_End)
    assert w.scene.current_node() == d and s.kind(s.cursor - 1) == "forward"
    assert "breakpoint on d" in w.statusBar().currentMessage()
    press(qtbot, w, Qt.Key_End)
    assert w.scene.current_node() == d and s.kind(s.cursor - 1) == "backward"
    press(qtbot, w, Qt.Key_End)
    assert s.cursor == s.total
    press(qtbot, w, Qt.Key_Z, modifier=Qt.ControlModifier)     # undo the breakpoint
    assert w.doc.breakpoints() == [] and w.markers.marked() == set()


def test_breakpoint_refused_on_a_leaf_and_cleared_all(window, qtbot):
    w = window
    w.scene.select_node(nid(w, "a"))
    press(qtbot, w, Qt.Key_B)
    assert w.doc.breakpoints() == [] and "leaf" in w.statusBar().currentMessage()
    for label in "eL":
        w.scene.select_node(nid(w, label))
        press(qtbot, w, Qt.Key_B)
    assert len(w.doc.breakpoints()) == 2
    press(qtbot, w, Qt.Key_B, modifier=Qt.ControlModifier | Qt.ShiftModifier)
    assert w.doc.breakpoints() == [] and w.markers.marked() == set()
    w.undo_stack.undo()
    assert len(w.doc.breakpoints()) == 2


def test_context_menu_offers_a_breakpoint(window, qtbot):
    w = window
    item = w.scene.node_item(nid(w, "e"))
    pos = w.view.mapFromScene(item.mapToScene(item.card_rect().center()))
    menu = w.canvas_menu(pos)
    texts = [a.text() for a in menu.actions()]
    assert "Set breakpoint on e" in texts
    next(a for a in menu.actions() if a.text() == "Set breakpoint on e").trigger()
    assert w.doc.breakpoints() == [nid(w, "e")]
    menu.close()


def nan_graph() -> Graph:
    g = Graph("log of a negative number", output="z")
    g.leaf("x", -1.0)
    g.leaf("w", 2.0)
    g.op("y", "log", "x")
    g.op("z", "mul", "y", "w")
    return g


def test_nan_watch_stops_a_run(qtbot, settings):
    w = make_window(qtbot, settings, Document(nan_graph()))
    s = w.doc.stepper
    press(qtbot, w, Qt.Key_N, modifier=Qt.ControlModifier | Qt.ShiftModifier)
    assert w.watches.enabled["nonfinite"] and w.actions_.watch_actions["nonfinite"].isChecked()
    press(qtbot, w, Qt.Key_End)
    assert s.cursor == 1 and w.scene.current_node() == "y"
    assert "not finite" in w.statusBar().currentMessage()
    press(qtbot, w, Qt.Key_Home)
    press(qtbot, w, Qt.Key_N, modifier=Qt.ControlModifier | Qt.ShiftModifier)   # off
    press(qtbot, w, Qt.Key_End)
    assert s.cursor == s.total


def test_grad_threshold_watches(qtbot, settings, window):
    w = window
    dialog = w.edit_thresholds()
    dialog.above.setText("5")
    dialog.below.setText("1e-3")
    dialog.accept()
    assert w.watches.threshold == {"grad_above": 5.0, "grad_below": 1e-3}
    assert "> 5" in w.actions_.watch_actions["grad_above"].text()
    press(qtbot, w, Qt.Key_E, modifier=Qt.ControlModifier | Qt.ShiftModifier)
    press(qtbot, w, Qt.Key_End)
    assert "|a.grad| = 6 > 5" in w.statusBar().currentMessage()
    bad = w.edit_thresholds()
    bad.above.setText("-1")
    bad.accept()
    assert "positive" in bad.error.text() and w.watches.threshold["grad_above"] == 5.0
    bad.close()


def test_training_divergence_reaches_the_status_bar(qtbot, settings):
    g = Graph(output="L")
    g.leaf("x", 1.0, role="input")
    g.leaf("w", 0.5)
    g.op("xw", "mul", "x", "w")
    g.op("lg", "log", "xw")
    g.op("L", "neg", "lg")
    g.dataset = {"columns": ["x"], "rows": [[1.0], [-2.0]]}
    g.training = {"loss": "L", "lr": 0.1, "epochs": 50}
    w = make_window(qtbot, settings, Document(g))
    assert w.training_dock.isVisible()
    w.training.play_pause()
    qtbot.waitUntil(lambda: "not finite" in w.nonfinite_label.text(), timeout=60_000)
    assert "training diverged" in w.nonfinite_label.text()
    assert "training stopped" in w.statusBar().currentMessage()


# ---- notes -------------------------------------------------------------------------------------

def test_step_and_node_notes_show_when_the_step_is_reached(window, qtbot):
    w = window
    press(qtbot, w, Qt.Key_Right, 2)                 # step 2: d = e + c
    type_into(qtbot, w.step_panel.note_edit, "c shifts everything by ten")
    assert w.doc.step_note(2) == "c shifts everything by ten"
    w.scene.select_node(nid(w, "d"))
    w.view.setFocus()
    press(qtbot, w, Qt.Key_N, modifier=Qt.ShiftModifier)
    dialog = w.findChild(NoteDialog)
    dialog.edit.setText("d is the sum")
    dialog.accept()
    assert w.doc.note(nid(w, "d")) == "d is the sum"
    assert "c shifts everything by ten" in w.step_panel.text()
    assert "d is the sum" in w.step_panel.text()
    press(qtbot, w, Qt.Key_Right)
    assert "c shifts" not in w.step_panel.text() and "d is the sum" not in w.step_panel.text()
    press(qtbot, w, Qt.Key_F11)
    press(qtbot, w, Qt.Key_Left)
    assert "c shifts everything by ten" in w.presentation.bar.text()
    assert "d is the sum" in w.presentation.bar.text()
    press(qtbot, w, Qt.Key_N)                        # presenting: a small dialog
    dialog = [d for d in w.findChildren(NoteDialog) if d.isVisible()][-1]
    dialog.edit.setText("")
    dialog.accept()
    assert w.doc.step_note(2) == "" and "c shifts" not in w.presentation.bar.text()
    w.undo_stack.undo()
    assert w.doc.step_note(2) == "c shifts everything by ten"


# ---- session state -----------------------------------------------------------------------------

def test_notes_breakpoints_cursor_and_zoom_survive_save_and_reopen(window, qtbot, tmp_path):
    w = window
    press(qtbot, w, Qt.Key_Right, 3)
    type_into(qtbot, w.step_panel.note_edit, "the output")
    w.scene.select_node(nid(w, "e"))
    press(qtbot, w, Qt.Key_B)
    type_into(qtbot, w.inspector.note_edit, "a product")
    w.view.setFocus()
    press(qtbot, w, Qt.Key_Plus)
    press(qtbot, w, Qt.Key_Plus)
    zoom = w.view.scale_factor()
    centre = w.view.visible_scene_rect().center()
    target = tmp_path / "lecture.json"
    assert w.save_to(target)
    press(qtbot, w, Qt.Key_F)                        # move away, then reopen
    assert w.open_path(EXPRESSION) and w.open_path(target)
    assert w.doc.stepper.cursor == 3
    assert w.doc.step_note(3) == "the output" and w.doc.note(nid(w, "e")) == "a product"
    assert w.doc.breakpoints() == [nid(w, "e")] and w.markers.marked() == {nid(w, "e")}
    assert w.view.scale_factor() == pytest.approx(zoom, rel=1e-3)
    after = w.view.visible_scene_rect().center()
    assert abs(after.x() - centre.x()) < 2 and abs(after.y() - centre.y()) < 2
    assert "the output" in w.step_panel.text()


# ---- keys ----------------------------------------------------------------------------------------

def _keys(action: QAction) -> str:
    return ", ".join(s.toString(s.SequenceFormat.NativeText) for s in action.shortcuts())


def _menu_actions(menu: QMenu):
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.menu() is not None:
            if action.menu().title() != "Open &Recent":     # the recent files themselves
                yield from _menu_actions(action.menu())
            continue
        yield action


def test_every_action_has_a_key_and_the_map_lists_them_all(window, qtbot):
    w = window
    actions = [a for m in w.menuBar().actions() for a in _menu_actions(m.menu())]
    assert len(actions) >= 38
    assert [a.text() for a in actions if not a.shortcuts()] == []
    press(qtbot, w, Qt.Key_F1)
    dialog = w.findChild(KeyboardMapDialog)
    listed = {(row[1], row[2]) for row in dialog.rows()}
    for action in actions:
        assert (action.text().replace("&", ""), _keys(action)) in listed
    dialog.close()
    sequences = [s.toString() for a in w.findChildren(QAction) for s in a.shortcuts()
                 if a.isEnabled() or a is w.actions_.leave_present]
    assert len(sequences) == len(set(sequences)), "a key bound twice is ambiguous"


# ---- the training dock ---------------------------------------------------------------------------

def test_training_dock_follows_the_document(window, qtbot):
    w = window
    assert w.training_dock.isAncestorOf(w.training) and w.training.doc is w.doc
    assert not w.training_dock.isVisible()            # expression.json has no dataset
    assert w.open_path(EXAMPLES / "net-2-2-2.json")
    assert w.training.doc is w.doc and w.training_dock.isVisible()
    press(qtbot, w, Qt.Key_T, modifier=Qt.ControlModifier)
    assert not w.training_dock.isVisible()
    press(qtbot, w, Qt.Key_T, modifier=Qt.ControlModifier)
    assert w.training_dock.isVisible()
    assert w.open_path(EXPRESSION)
    assert w.training.doc is w.doc and not w.training_dock.isVisible()


# ---- starting in presentation mode --------------------------------------------------------------

def test_run_app_present_starts_in_presentation_mode(qapp, tmp_path):
    from bpstudio.ui.app import run_app
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):    # never the user's settings
        QSettings.setPath(fmt, QSettings.UserScope, str(tmp_path))
    seen = {}

    def close_window():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen["presenting"] = widget.presentation.active
                seen["menu"] = widget.menuBar().isVisible()
                widget.close()
        QApplication.quit()

    QTimer.singleShot(0, close_window)
    assert run_app(str(EXPRESSION), present=True) == 0
    assert seen == {"presenting": True, "menu": False}


def test_cli_passes_present(monkeypatch):
    import bpstudio.ui.app as app
    from bpstudio.cli.main import main
    calls = []
    monkeypatch.setattr(app, "run_app", lambda path, present=False: calls.append((path, present)) or 0)
    assert main(["--present", str(EXPRESSION)]) == 0
    assert calls == [(str(EXPRESSION), True)]


# ---- step into, with the lecture parts following ------------------------------------------------

def test_step_into_tanh_keeps_panels_breakpoints_and_quiz_in_step(qtbot, settings):
    w = make_window(qtbot, settings, Document.open(EXAMPLES / "neuron.json"))
    s0 = w.doc.stepper.total
    w.scene.select_node("n")
    press(qtbot, w, Qt.Key_B)                          # a breakpoint on n
    press(qtbot, w, Qt.Key_End)
    w.scene.select_node("o")
    press(qtbot, w, Qt.Key_I)                          # step into tanh
    assert "o/exp" in w.doc.graph.nodes and w.doc.stepper.total > s0
    assert w.step_panel.model.rowCount() == w.doc.stepper.total
    assert f"/ {w.doc.stepper.total}" in w.actions_.counter.text()
    assert w.markers.marked() == {"n"}
    press(qtbot, w, Qt.Key_Home)
    press(qtbot, w, Qt.Key_End)                        # still stops at n
    assert w.scene.current_node() == "n"
    press(qtbot, w, Qt.Key_Q)
    press(qtbot, w, Qt.Key_End)
    press(qtbot, w, Qt.Key_End)
    assert w.doc.stepper.cursor == w.doc.stepper.total
    assert w.quiz.hidden and all(w.scene.node_item(t).grad_text() == "?" for t in w.quiz.hidden)
