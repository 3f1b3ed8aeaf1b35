"""The training panel: a worker thread trains, the UI stays responsive and follows along.

No timing assertions (speed belongs to tests/benchmarks/): the live run prints a 10 ms
timer's lateness while moons-mlp trains and asserts that the timer, the plots and the
worker all made progress together. Everything waits with generous timeouts so a loaded
2-core machine passes too.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QUndoStack

from bpstudio.engine import Graph
from bpstudio.engine.train import Tick
from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.training.live_plot import decade_text
from bpstudio.ui.training.loss_plot import GradNormPlot, LossPlot, hover_text, param_group
from bpstudio.ui.training.panel import TrainingPanel
from bpstudio.ui.training.spin_box import next_125
from bpstudio.ui.training.worker import BoundarySpec, boundary_spec, contour

WAIT = 60_000                        # ms: generous, for a busy CI machine


@pytest.fixture
def make_panel(qtbot):
    made = []

    def make(doc):
        stack = QUndoStack()
        panel = TrainingPanel(doc, stack)
        panel.stack_ = stack                 # keep the stack alive with the panel
        qtbot.addWidget(panel)
        panel.resize(1400, 900)
        panel.show()
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()


def open_example(name: str) -> Document:
    return Document.open(EXAMPLES / name)


def nan_document() -> Document:
    g = Graph(output="L")
    g.leaf("x", 1.0, role="input")
    g.leaf("w", 0.5)
    g.op("xw", "mul", "x", "w")
    g.op("lg", "log", "xw")
    g.op("L", "neg", "lg")
    g.dataset = {"columns": ["x"], "rows": [[1.0], [-2.0]]}
    g.training = {"loss": "L", "lr": 0.1, "epochs": 50}
    return Document(g)


class Lateness:
    """A 10 ms timer that records how late each timeout was."""

    def __init__(self, interval_ms: int = 10):
        self.interval = interval_ms / 1000
        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def start(self) -> None:
        self.times.clear()
        self.timer.start()

    def stop(self) -> np.ndarray:
        self.timer.stop()
        return np.maximum(np.diff(self.times) - self.interval, 0.0)


# ---- the live run ------------------------------------------------------------------------
def test_moons_trains_while_the_ui_keeps_handling_events(qtbot, make_panel):
    doc = open_example("moons-mlp.json")
    panel = make_panel(doc)
    doc.set_training("epochs", 1_000_000)           # keeps running until paused
    first = dict(doc.parameter_values())
    probe = Lateness()
    probe.start()
    panel.play_button.click()
    qtbot.waitUntil(lambda: panel.loss_plot.points >= 60 and panel.loss_plot.redraws >= 5
                    and panel.boundary.refreshes >= 2 and len(probe.times) >= 300,
                    timeout=WAIT)
    late = probe.stop()
    p99 = float(np.percentile(late, 99))
    print(f"\ntimer lateness p50 {1e3 * np.median(late):.1f} ms, p99 {1e3 * p99:.1f} ms, "
          f"max {1e3 * late.max():.1f} ms over {len(late)} timeouts; "
          f"{panel.runner.epochs_per_second:.0f} epochs/s")
    assert len(late) >= 299                          # the event loop kept serving the timer
    assert panel.grad_plot.points > 0 and "epochs/s" in panel.status.text()

    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.play_button.click()                   # pause
    tick = panel.runner.latest
    for nid in ("l1n1.w1", "l3n1.w16"):
        assert doc.graph.nodes[nid].value == tick.params[nid] != first[nid]
    assert panel.loss_plot.points == tick.epoch

    paused_at = tick.epoch
    panel.play_button.click()                       # resume
    qtbot.waitUntil(lambda: panel.runner.latest.epoch >= paused_at + 5, timeout=WAIT)
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.play_pause()
    assert panel.loss_plot.points == panel.runner.latest.epoch > paused_at

    panel.reset_button.click()                      # reset: the weights training began with
    assert doc.parameter_values() == first
    assert panel.loss_plot.points == 0 and panel.runner.latest is None
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.step_button.click()
    assert panel.runner.latest.epoch == 1


def test_net_2_2_2_one_epoch_button_matches_the_seed(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        qtbot.mouseClick(panel.step_button, Qt.LeftButton)
    assert panel.runner.latest.epoch == 1
    assert doc.graph.nodes["V11"].value == pytest.approx(1.05259373, abs=1e-8)
    assert doc.graph.nodes["V12"].value == pytest.approx(-2.01327451, abs=1e-8)
    doc.run_to_end()                                 # the canvas steps through row 0 …
    assert doc.stepper.value("L") == pytest.approx(0.08153138, abs=1e-8)
    panel.row.setValue(1)                            # … and row 1, with the new weights
    doc.run_to_end()
    assert doc.stepper.value("L") == pytest.approx(0.29280989, abs=1e-8)


def test_net_2_2_2_runs_200_epochs_and_shows_the_vanishing_hidden_grads(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    with qtbot.waitSignal(panel.runner.finished, timeout=WAIT):
        panel.play_pause()
    assert panel.runner.latest.epoch == 200 == panel.loss_plot.points
    assert "done" in panel.status.text()
    norms = panel.grad_plot.latest()
    assert set(norms) == {"W", "V"} and norms["W"] < norms["V"] / 5
    qtbot.waitUntil(lambda: panel.boundary.accuracy == 1.0, timeout=WAIT)


def test_learning_rate_edit_is_undoable_and_reaches_the_worker(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    stack = panel.undo_stack
    panel.lr.stepBy(1)                               # 0.5 -> 1 (1-2-5 steps)
    assert doc.training_setting("lr") == 1.0 and stack.count() == 1
    stack.undo()
    assert doc.training_setting("lr") == 0.5 and panel.lr.value() == 0.5
    stack.redo()
    assert panel.lr.value() == 1.0
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()
    # the same gradient as the seed's step, twice the rate: 1 + 2 × 0.05259373
    assert doc.graph.nodes["V11"].value == pytest.approx(1.10518746, abs=1e-8)


def test_learning_rate_changes_while_running(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    doc.set_training("epochs", 1_000_000)
    panel.play_pause()
    qtbot.waitUntil(lambda: panel.runner.latest is not None, timeout=WAIT)
    panel.lr.setValue(2.0)
    assert doc.training_setting("lr") == 2.0
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.play_pause()
    assert panel.runner.running is False


def test_settings_edits_are_commands(qtbot, make_panel):
    doc = open_example("moons-mlp.json")
    panel = make_panel(doc)
    panel.epochs.setValue(300)
    panel.momentum.setValue(0.9)
    panel.batch.setValue(10)
    panel.reduction.setCurrentText("sum")
    assert [doc.training_setting(k) for k in ("epochs", "momentum", "batch", "reduction")] \
        == [300, 0.9, 10, "sum"]
    assert panel.undo_stack.count() == 4
    for _ in range(4):
        panel.undo_stack.undo()
    assert panel.batch.text() == "all rows" and panel.reduction.currentText() == "mean"
    assert doc.training_setting("epochs") == 100


# ---- divergence ----------------------------------------------------------------------------
def test_nan_stops_training_and_names_the_node(qtbot, make_panel):
    doc = nan_document()
    panel = make_panel(doc)
    reported = []
    panel.message.connect(reported.append)
    with qtbot.waitSignal(panel.diverged, timeout=WAIT) as blocker:
        panel.play_pause()
    epoch, node = blocker.args
    assert (epoch, node) == (1, "lg")
    assert panel.runner.state == "diverged" and not panel.runner.running
    assert panel.error.isVisible() and "'lg'" in panel.error.text()
    assert any("lg" in m for m in reported)
    assert panel.loss_plot.marked is not None and panel.loss_plot.marked[2] == "lg"
    assert "epoch 1" in panel.loss_plot.nan_text.toPlainText()
    assert panel.loss_plot.points == 1 and math.isnan(panel.loss_plot.data.y[0, 0])
    assert panel.row.value() == 1                   # the row x = −2 that made it NaN
    assert doc.graph.nodes["x"].value == -2.0


# ---- documents -------------------------------------------------------------------------------
def test_graph_without_dataset_shows_a_hint(qtbot, make_panel):
    panel = make_panel(open_example("expression.json"))
    assert panel.stack.currentWidget() is panel.hint
    assert "no dataset" in panel.hint.text()
    panel.set_document(open_example("net-2-2-2.json"))
    assert panel.stack.currentWidget() is panel.body


def test_new_document_starts_over(qtbot, make_panel):
    panel = make_panel(open_example("net-2-2-2.json"))
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()
    moons = open_example("moons-mlp.json")
    panel.set_document(moons)
    assert panel.loss_plot.points == 0 and panel.runner.initial is None
    assert panel.grad_plot.groups == ["l1", "l2", "l3"]
    assert panel.lr.value() == 0.5 and panel.reduction.currentText() == "mean"


def test_reset_or_new_file_while_running_drops_ticks_still_in_flight(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    first = dict(doc.parameter_values())
    panel = make_panel(doc)
    doc.set_training("epochs", 1_000_000)
    panel.play_pause()
    qtbot.waitUntil(lambda: panel.loss_plot.points > 100, timeout=WAIT)
    panel.reset_weights()
    qtbot.wait(300)
    assert panel.loss_plot.points == 0 and panel.runner.state == "idle"
    assert doc.parameter_values() == first
    panel.play_pause()
    qtbot.waitUntil(lambda: panel.loss_plot.points > 100, timeout=WAIT)
    panel.set_document(open_example("net-2-2-2-matrix.json"))
    qtbot.wait(300)
    assert panel.loss_plot.points == 0 and panel.runner.state == "idle"
    assert panel.grad_plot.groups == ["W", "V"]


def test_rapid_commands_never_leave_the_runner_stuck(qtbot, make_panel):
    rng = np.random.default_rng(3)
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    doc.set_training("epochs", 1_000_000)
    actions = [panel.play_pause, panel.one_epoch, panel.reset_weights,
               lambda: panel.lr.setValue(float(rng.choice([0.5, 1.0])))]
    for k in rng.integers(0, len(actions), 60):
        actions[k]()
        qtbot.wait(int(rng.integers(0, 15)))
    panel.runner.pause()
    qtbot.waitUntil(lambda: panel.runner.state != "running", timeout=WAIT)
    qtbot.wait(100)
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()
    assert panel.loss_plot.points == panel.runner.latest.epoch     # no stale ticks
    assert panel.play_button.text() == "Play"


def test_a_killed_worker_is_reported_and_replaced(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()
    with qtbot.waitSignal(panel.runner.failed, timeout=WAIT) as blocker:
        panel.runner._proc.kill()
    assert "training process stopped" in blocker.args[0] and panel.error.isVisible()
    assert not panel.runner.loaded
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()                            # a fresh worker, from the doc's weights
    assert panel.runner.latest.epoch == 1 == panel.loss_plot.points


def test_row_box_binds_the_row_when_stopped(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    panel.row.setValue(1)
    assert (doc.graph.nodes["x1"].value, doc.graph.nodes["x2"].value) == (-1.0, 4.0)


def test_weight_edited_on_the_canvas_while_paused_is_trained_from(qtbot, make_panel):
    doc = open_example("net-2-2-2.json")
    panel = make_panel(doc)
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()
    doc.set_leaf_value("V11", 7.0)
    with qtbot.waitSignal(panel.runner.paused, timeout=WAIT):
        panel.one_epoch()
    assert abs(doc.graph.nodes["V11"].value - 7.0) < 0.5


# ---- the plots on their own ---------------------------------------------------------------------
def ticks(losses, start=1):
    return [Tick(start + k, loss, np.zeros(1), {"W11": 1e-6, "V11": 0.1}, {})
            for k, loss in enumerate(losses)]


def test_loss_plot_hover_log_scale_and_a_million_points(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    plot.append_ticks(ticks([1.0, 0.5, 0.25, 0.0]))
    assert plot.value_at(2.4) == (2, 0.5) and plot.value_at(99) == (4, 0.0)
    assert hover_text(2, 0.5) == " epoch 2\n loss 0.5 "
    plot.set_log(True)
    qtbot.waitUntil(lambda: plot.redraws >= 1)
    assert math.isnan(plot.curve.yData[3])           # log of 0: a gap, not an error
    vb = plot.item.getViewBox()
    plot._mouse_moved(vb.mapViewToScene(QPointF(3, math.log10(0.25))))
    assert plot.vline.isVisible() and "epoch 3" in plot.hover_label.toPlainText()
    n = 1_000_000
    x = np.arange(5, n + 5, dtype=float)
    plot.data.extend(x, (1 / x)[None])
    plot._dirty = True
    qtbot.waitUntil(lambda: plot.redraws >= 2)
    shown = plot.curve.getData()[0]
    assert plot.points == n + 4 and len(shown) < n / 10   # downsampled for the screen


def test_grad_norm_plot_groups_by_layer():
    assert param_group("l1n3.w1") == "l1" and param_group("l2n12.b") == "l2"
    assert param_group("W11") == "W" and param_group("V12") == "V" and param_group("W") == "W"
    assert param_group("out.b") == "out"
    plot = GradNormPlot()
    plot.set_parameters(["W11", "W12", "V11", "V12"])
    plot.append_ticks([Tick(1, 1.0, np.zeros(1), {"W11": 3e-8, "W12": 4e-8, "V11": 0.1,
                                                 "V12": 0.0}, {})])
    assert plot.latest() == pytest.approx({"W": 5e-8, "V": 0.1})
    plot.set_parameters([f"p{k}.w" for k in range(20)])
    assert plot.groups == ["all"]


def test_decade_labels_and_125_steps():
    assert [decade_text(e) for e in (-8, -3, 0, 2, 5)] == ["10⁻⁸", "0.001", "1", "100", "10⁵"]
    assert [next_125(v, True) for v in (0.5, 1.0, 0.2, 0.3)] == [1.0, 2.0, 0.5, 0.5]
    assert [next_125(v, False) for v in (0.5, 1.0, 0.01)] == [0.2, 0.5, 0.005]


def test_boundary_specs_of_the_examples():
    from bpstudio import load
    from bpstudio.io.dataset import load_rows
    for name, score, component, levels in (("moons-mlp.json", "l3n1.s16", None, (-1, 1)),
                                           ("net-2-2-2.json", "y1", None, (0, 1)),
                                           ("net-2-2-2-matrix.json", "Y", (0, 0), (0, 1))):
        g = load(EXAMPLES / name)
        spec = boundary_spec(g, load_rows(g))
        assert (spec.score, spec.component, spec.levels) == (score, component, levels)
        assert spec.grid_rows().shape == (len(spec.xs) * len(spec.ys), len(g.dataset["columns"]))
    g = nan_document().graph
    assert "two input columns" in boundary_spec(g, load_rows(g))


def test_boundary_contour_is_a_vectorised_marching_squares():
    xs = ys = np.linspace(-2, 2, 100)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    spec = BoundarySpec((0, 1), 2, "s", None, np.zeros((2, 3)), xs, ys, (-1.0, 1.0))
    x, y = contour(spec, gx ** 2 + gy ** 2 - 1)          # the unit circle
    r = np.hypot(x, y)[np.isfinite(x)]
    assert len(r) > 300 and np.allclose(r, 1, atol=2e-3)
    saddle = BoundarySpec((0, 1), 2, "s", None, np.zeros((2, 3)), np.array([0.0, 1.0]),
                          np.array([0.0, 1.0]), (-1.0, 1.0))
    x, y = contour(saddle, np.array([[1.0, -1.0], [-1.0, 1.0]]))
    assert np.isnan(x).sum() == 2                        # two segments, corners 00 and 11 cut off


def test_the_worker_process_imports_no_qt():
    code = ("import sys, bpstudio.ui.training.worker; "
            "sys.exit(any(m.split('.')[0] in ('PySide6', 'pyqtgraph') for m in sys.modules))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
