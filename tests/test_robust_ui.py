"""Issue 10 in the window: a NaN/∞ is named where it starts (status bar, chain-rule panel);
a division by zero steps like any other node; the training dock shows the engine's words."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from bpstudio.engine import Graph
from bpstudio.model.document import Document
from bpstudio.ui.window.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


def open_window(qtbot, settings, graph) -> MainWindow:
    w = MainWindow(Document(graph), settings)
    w.ask_save_changes = lambda: "discard"
    qtbot.addWidget(w)
    w.resize(1400, 850)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)   # shortcuts need it
    w.view.setFocus()
    return w


def exp_graph() -> Graph:
    g = Graph("exp", output="z")
    g.leaf("x", 1000.0)
    g.op("y", "exp", "x")
    g.leaf("w", 2.0)
    g.op("z", "mul", "w", "y")
    return g


def test_first_nonfinite_named_in_status_bar_and_chain_rule_panel(qtbot, settings):
    w = open_window(qtbot, settings, exp_graph())
    w.doc.run_to(1)                                  # y = exp(1000)
    assert "∞ at node y: exp(1000.0) = inf" in w.nonfinite_label.text()
    assert "NaN/∞ starts here: exp(1000.0) = inf" in w.step_panel.text()
    w.doc.run_to(w.doc.stepper.total)                # z and every grad follow; y stays first
    assert w.nonfinite_label.text().startswith("⚠ ∞ at node y: exp(1000.0) = inf")
    assert "starts here: x.grad gets a local derivative inf" in w.step_panel.text()
    w.doc.run_to(0)
    assert w.nonfinite_label.text() == ""


def test_division_by_zero_steps_to_the_end_and_back(qtbot, settings):
    g = Graph("div", output="y")
    g.leaf("a", 1.0)
    g.leaf("b", 0.0)
    g.op("y", "div", "a", "b")
    w = open_window(qtbot, settings, g)
    for _ in range(w.doc.stepper.total):
        qtbot.keyClick(w, Qt.Key_Right)
    s = w.doc.stepper
    assert s.cursor == s.total
    assert s.value("y") == np.inf and s.grad("a") == np.inf and s.grad("b") == -np.inf
    assert "1.0 ÷ 0.0 = inf" in w.nonfinite_label.text()
    w.inspector.set_current("b")                     # the inspector shows it too, no raise
    for _ in range(s.total):
        qtbot.keyClick(w, Qt.Key_Left)
    assert s.cursor == 0 and w.nonfinite_label.text() == ""


def test_training_dock_shows_the_engines_words_for_a_division_by_zero(qtbot, settings):
    g = Graph("t", output="L")
    g.leaf("x", 1.0, role="input")
    g.leaf("w", 0.5)
    g.leaf("c", 0.0, role="constant")
    g.op("xw", "mul", "x", "w")
    g.op("d", "div", "xw", "c")
    g.op("L", "exp", "d")
    g.dataset = {"columns": ["x"], "rows": [[1.0], [2.0]]}
    g.training = {"loss": "L", "lr": 0.1, "epochs": 5}
    w = open_window(qtbot, settings, g)
    w.training.play_pause()
    qtbot.waitUntil(lambda: w.training.error.isVisible(), timeout=60_000)
    text = w.training.error.text()
    assert "node 'd' (div) is not finite: 0.5 ÷ 0.0 = inf (row 0)" in text   # 1 × 0.5 / 0
    assert "exit code" not in text


def test_the_card_where_it_starts_is_marked(qtbot, settings):
    w = open_window(qtbot, settings, exp_graph())
    w.doc.run_to(w.doc.stepper.total)
    marked = [nid for nid in ("x", "y", "w", "z") if w.scene.node_item(nid).nonfinite_origin]
    assert marked == ["y"]
    assert "NaN/∞ starts here: exp(1000.0) = inf" in w.scene.tooltip_text("y")
    w.doc.run_to(0)
    assert not w.scene.node_item("y").nonfinite_origin


def _matrix_net_with(tmp_path, **training) -> str:
    import json
    from pathlib import Path
    doc = json.loads((Path(__file__).parents[1] / "resources" / "examples"
                      / "net-2-2-2-matrix.json").read_text())
    doc["training"].update(training)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize("key", ["epochs", "batch"])
def test_a_40_digit_training_count_is_refused_in_one_line(tmp_path, capsys, key):
    """Fuzz find: epochs of 40 digits loaded, then the training dock's spin box raised
    OverflowError inside set_document (the window was left half set up)."""
    from bpstudio.cli.main import main
    path = _matrix_net_with(tmp_path, **{key: int("1" * 40)})
    assert main(["grad", path]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"bpstudio: {path}:")
    assert f"training {key}" in err[0] and "at most" in err[0] and "(40 digits)" in err[0]


def test_the_training_dock_shows_the_largest_epochs_a_file_may_hold(qtbot, settings, tmp_path):
    w = MainWindow(Document.open(_matrix_net_with(tmp_path, epochs=10_000_000, batch=2)),
                   settings)
    qtbot.addWidget(w)
    assert w.training.epochs.value() == 10_000_000 and w.training.batch.value() == 2
