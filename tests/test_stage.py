"""The stage never lies or strands you (issue 9 item 5): each defect found by hand,
driven as a user would."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from test_app import inspect, make_window, nid, press, type_into


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


def card(w, label):
    item = w.scene.node_item(nid(w, label))
    return item.data_text(), item.grad_text()


def test_undo_of_an_edit_then_home_shows_pending_not_the_undone_numbers(qtbot, settings):
    w = make_window(qtbot, settings)
    s = w.doc.stepper
    start = {label: card(w, label) for label in "abcdefL"}       # pending: '·'
    press(qtbot, w, Qt.Key_End)
    type_into(qtbot, inspect(w, qtbot, "a").data_edit, "3")
    w.view.setFocus()
    press(qtbot, w, Qt.Key_End)
    assert card(w, "L")[0] == "−2.0"                       # (3·−3 + 10)·−2
    press(qtbot, w, Qt.Key_Z, modifier=Qt.ControlModifier)
    assert w.doc.graph.nodes[nid(w, "a")].value == 2.0
    press(qtbot, w, Qt.Key_End)
    assert card(w, "L") == ("−8.0", "1.0") and card(w, "a")[1] == "6.0"
    press(qtbot, w, Qt.Key_Home)
    assert s.cursor == 0
    for label in "edL":
        assert s.value_state(nid(w, label)) == "pending"
    assert {label: card(w, label) for label in "abcdefL"} == start
    assert start["e"][0] not in ("−9.0", "−6.0") and start["a"] == ("2.0", "")


@pytest.mark.parametrize("n", [3, 1500])          # 1500: the vectorised fast path
def test_stepping_back_over_a_recomputed_step_finds_it_pending(n):
    from bpstudio.engine import Graph, Stepper
    g = Graph(output=f"s{n}")
    g.leaf("a", 2.0)
    g.leaf("s0", 1.0)
    for k in range(1, n + 1):
        g.op(f"s{k}", "add", f"s{k - 1}", "a")
    s = Stepper(g)
    s.run_to_end()
    s.set_leaf("a", 3.0)
    assert s.value_state(f"s{n}") == "stale" and s.cursor == 0
    s.run_to_end()
    assert s.value(f"s{n}") == 1.0 + 3.0 * n and s.grad("a") == float(n)
    s.reset()
    assert all(s.value_state(f"s{k}") == "pending" for k in range(1, n + 1))
    assert s.grads == [None] * len(s.grads)


# ---- bpstudio --present FILE, then Esc --------------------------------------------------------

def _launch(tmp_path, present: bool, then) -> dict:
    """run_app with settings in tmp_path; `then(window)` runs once it is up."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from bpstudio.paths import EXAMPLES
    from bpstudio.ui.app import run_app
    from bpstudio.ui.window.main_window import MainWindow
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):    # never the user's settings
        QSettings.setPath(fmt, QSettings.UserScope, str(tmp_path))
    seen = {}

    def act():
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and w.isVisible():
                then(w)
                seen.update(chrome(w))
                w.setAttribute(Qt.WA_DeleteOnClose)      # the next test's window gets focus
                w.close()
        QApplication.quit()

    QTimer.singleShot(0, act)
    assert run_app(str(EXAMPLES / "expression.json"), present=present) == 0
    return seen


def chrome(w) -> dict:
    from PySide6.QtWidgets import QDockWidget, QToolBar
    shown = {"menu": w.menuBar().isVisible(), "status": w.statusBar().isVisible(),
             "presenting": w.presentation.active, "fullscreen": w.isFullScreen()}
    for x in w.findChildren(QToolBar) + w.findChildren(QDockWidget):
        if x.parent() is w:
            shown[x.objectName() or x.windowTitle()] = x.isVisible()
    return shown


def test_present_then_escape_brings_the_window_back_and_nothing_leaks(qapp, tmp_path):
    from PySide6.QtTest import QTest
    normal = _launch(tmp_path / "a", False, lambda w: None)
    assert normal["menu"] and not normal["presenting"] and sum(normal.values()) >= 4

    def escape(w):
        from PySide6.QtWidgets import QApplication
        assert w.presentation.active and not w.menuBar().isVisible()
        w.activateWindow()
        for _ in range(20):
            QApplication.processEvents()
        assert QApplication.activeWindow() is w
        QTest.keyClick(w.view, Qt.Key_Escape)
    assert _launch(tmp_path / "b", True, escape) == normal
    assert _launch(tmp_path / "b", False, lambda w: None) == normal     # the next launch
    assert _launch(tmp_path / "c", True, lambda w: None)["presenting"]  # closed while presenting
    assert _launch(tmp_path / "c", False, lambda w: None) == normal


# ---- a bare `bpstudio` ----------------------------------------------------------------------

def test_bare_bpstudio_opens_an_untitled_copy_and_save_asks_where(qtbot, settings, tmp_path,
                                                                  monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from bpstudio.paths import DEFAULT_EXAMPLE
    from bpstudio.ui.app import initial_document
    before = DEFAULT_EXAMPLE.read_bytes()
    doc, error = initial_document(None)
    assert error == "" and doc.path is None and len(doc.graph) == 7
    w = make_window(qtbot, settings, doc)
    assert "expression.json" not in w.windowTitle()
    asked = []
    target = tmp_path / "mine.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (asked.append(a[2]) or str(target), ""))
    press(qtbot, w, Qt.Key_End)
    type_into(qtbot, inspect(w, qtbot, "a").data_edit, "3")
    w.view.setFocus()
    press(qtbot, w, Qt.Key_S, modifier=Qt.ControlModifier)
    assert len(asked) == 1 and "examples" not in asked[0]
    assert target.exists() and DEFAULT_EXAMPLE.read_bytes() == before
    assert w.doc.path == target
    assert w.recent_files() == [str(target)]


# ---- the command line says what it does ------------------------------------------------------

def _all_parsers():
    import argparse

    from bpstudio.cli.main import _app_parser, _parser
    top = _parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return [_app_parser(), top, *sub.choices.values()]


def test_version_help_and_the_help_command(capsys):
    from bpstudio import __version__
    from bpstudio.cli.main import COMMANDS, main
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"bpstudio {__version__}\n"
    assert main(["help"]) == 0
    out, err = capsys.readouterr()
    assert "no such file" not in out + err and err == ""
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and capsys.readouterr().out == out
    for name in COMMANDS:                                # one line each, with what it does
        (line,) = [x for x in out.splitlines() if x.startswith(f"  {name} ")]
        assert len(line.split(None, 1)[1]) > 20
    with pytest.raises(SystemExit) as exit_:
        main(["help", "check"])
    assert exit_.value.code == 0 and "--tol" in capsys.readouterr().out
    assert main(["help", "nonsense"]) == 2


def test_every_option_has_help_text():
    import argparse
    for parser in _all_parsers():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (parser.prog, action.dest)


def test_the_readmes_sample_output_is_what_the_cli_prints(capsys, monkeypatch):
    import re
    import shlex

    from bpstudio.cli.main import main
    from bpstudio.paths import RESOURCES
    root = RESOURCES.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    samples = re.findall(r"```console\n(.*?)```", readme, re.S)
    runs = [chunk for sample in samples for chunk in sample.split("$ ")[1:]]
    assert len(runs) >= 2
    monkeypatch.chdir(root)
    for chunk in runs:
        command, _, expected = chunk.partition("\n")
        args = shlex.split(command)
        assert args[0] == "bpstudio"
        assert main(args[1:]) == 0
        assert capsys.readouterr().out == expected, command


# ---- the status bar and Help ▸ About ---------------------------------------------------------

def test_the_status_bar_never_keeps_a_stale_description(qtbot, settings):
    from bpstudio.paths import EXAMPLES
    w = make_window(qtbot, settings)
    bar = w.statusBar()
    w.scene.select_node(nid(w, "e"))
    assert "data pending" in bar.currentMessage()
    w.view.setFocus()
    press(qtbot, w, Qt.Key_Right)                         # e = a × b is computed now
    assert "data −6.0" in bar.currentMessage() and "pending" not in bar.currentMessage()
    press(qtbot, w, Qt.Key_End)
    assert "grad −2.0 (final)" in bar.currentMessage()
    w.numeric_check()                                     # 'checking…' until it is done
    assert w.open_path(EXAMPLES / "neuron.json")
    assert bar.currentMessage().startswith("opened ")


def test_about_shows_the_version(qtbot, settings):
    from PySide6.QtWidgets import QMessageBox

    from bpstudio import __version__
    w = make_window(qtbot, settings)
    w.about()
    box = next(b for b in w.findChildren(QMessageBox) if b.isVisible())
    assert f"bpstudio {__version__}" in box.text()
    box.close()


# ---- the ? overlay in presentation -----------------------------------------------------------

@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_the_key_overlay_shows_every_row_in_full_at_every_text_size(qtbot, settings, size):
    from PySide6.QtCore import QRect

    from bpstudio.ui.lecture.presentation import SCALE_MAX, SCALE_MIN
    from bpstudio.ui.window.actions import keyboard_rows
    w = make_window(qtbot, settings)
    w.presentation.use_fullscreen = False
    w.resize(*size)
    w.presentation.enter()
    overlay = w.presentation.keys
    for scale in (SCALE_MIN, 1.0, 1.5, SCALE_MAX):
        w.set_text_scale(scale)
        w.keyboard_map()
        qtbot.waitUntil(overlay.isVisible)
        stage = QRect(0, 0, overlay.parentWidget().width(), overlay.parentWidget().height())
        assert stage.contains(overlay.geometry()), (scale, overlay.geometry())
        labels = [overlay.columns.itemAt(i).widget() for i in range(overlay.columns.count())]
        assert overlay.fits(), (scale, overlay.geometry(), [(x.size(), x.sizeHint()) for x in labels])
        assert overlay.listed() == keyboard_rows(w.actions_.all())
        text = " ".join(overlay.columns.itemAt(i).widget().text()
                        for i in range(overlay.columns.count()))
        for _menu, action, _keys in overlay.listed():
            assert action.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in text
        w.keyboard_map()
        assert not overlay.isVisible()


# ---- the training dock -----------------------------------------------------------------------

def _training_window(qtbot, settings, name):
    from PySide6.QtWidgets import QApplication

    from bpstudio.model.document import Document
    from bpstudio.paths import EXAMPLES
    from bpstudio.ui.window.main_window import MainWindow
    w = MainWindow(Document.open(EXAMPLES / name), settings)    # the default size
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.training_dock.show()
    w.training_dock.raise_()
    for _ in range(5):
        QApplication.processEvents()
    return w


@pytest.mark.parametrize("name", ["net-2-2-2.json", "moons-mlp.json"])
def test_the_training_dock_shows_its_plots_without_scrolling(qtbot, settings, name):
    w = _training_window(qtbot, settings, name)
    assert (w.width(), w.height()) == (1400, 850)
    scroll = w.training_dock.widget()
    qtbot.waitUntil(lambda: w.training.loss_plot.height() > 100)
    assert scroll.horizontalScrollBar().maximum() == 0
    assert scroll.verticalScrollBar().maximum() == 0
    panel = w.training
    plots = [panel.loss_plot, panel.grad_plot, panel.boundary.plot]
    from PySide6.QtCore import QPoint, QRect
    port = scroll.viewport()
    for plot in plots:
        where = QRect(plot.mapTo(port, QPoint(0, 0)), plot.size())
        assert plot.isVisible() and port.rect().contains(where) and plot.height() >= 150
    boundary = panel.boundary.plot
    boundary.title_fit.set(boundary.title_fit.html + " · accuracy 100%")
    for plot in plots:
        assert plot.title_fit.fits(), plot.title_fit.html


def test_a_new_file_resets_the_plots_axes(qtbot, settings):
    import numpy as np

    from bpstudio.paths import EXAMPLES
    w = _training_window(qtbot, settings, "net-2-2-2.json")
    loss = w.training.loss_plot
    loss.item.getViewBox().setRange(xRange=(0, 5000), yRange=(0, 40))
    loss.follow = False                                  # as after zooming by hand
    assert w.open_path(EXAMPLES / "moons-mlp.json")
    (x0, x1), (y0, y1) = loss.item.getViewBox().viewRange()
    assert x1 < 2 and y1 < 2 and loss.follow
    assert np.isclose(x0, -0.02, atol=0.05)
