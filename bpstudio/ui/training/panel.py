"""The training dock: play / pause / one epoch / reset, the settings, and the live plots.

Training runs in TrainingRunner's worker process; this panel only receives tick lists.
Settings edits are QUndoCommands on the window's stack (the document is the truth; the
panel and the runner follow `training_changed`). While training, the canvas follows the
weights a few times a second (`document.replace_values`); when training stops, the
document holds the current weights and the chosen dataset row, ready to step through.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedLayout,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ...engine.train import TrainSettings
from ...io.validate_settings import MAX_EPOCHS
from .boundary_plot import BoundaryPlot
from .commands import SetTrainingCommand
from .loss_plot import GradNormPlot, LossPlot
from .runner import TrainingRunner
from .spin_box import LogSpinBox

CANVAS_MS = 250                      # the canvas follows the weights at ≤ 4 Hz
STATUS_MS = 100
DEFAULTS = TrainSettings()
STYLE = """
QWidget { font-size: 15px; }
QPushButton { font-size: 16px; font-weight: bold; padding: 6px 14px; }
QLabel#trainingStatus { font-size: 21px; font-weight: bold; color: #1f2328; }
QLabel#trainingError { font-size: 17px; font-weight: bold; color: #d1242f; }
QLabel#trainingHint { font-size: 18px; color: #57606a; }
"""


class TrainingPanel(QWidget):
    message = Signal(str)                  # for the window's status bar
    diverged = Signal(int, str)            # (epoch, node id)
    running_changed = Signal(bool)

    def __init__(self, document, undo_stack, parent=None):
        super().__init__(parent)
        self.doc = None
        self.undo_stack = undo_stack
        self.runner = TrainingRunner(self)
        self._pushed = None                 # the tick whose weights the canvas shows
        self.setStyleSheet(STYLE)
        self._build()
        self._connect_runner()
        self._timers()
        self.set_document(document)

    # ---- construction ----------------------------------------------------------------
    def _build(self) -> None:
        self.hint = QLabel(objectName="trainingHint", alignment=Qt.AlignCenter, wordWrap=True)
        body = QWidget()
        col = QVBoxLayout(body)
        col.addLayout(self._build_buttons())
        col.addLayout(self._build_settings())
        self.error = QLabel(objectName="trainingError", wordWrap=True)
        self.error.hide()
        col.addWidget(self.error)
        self.loss_plot, self.grad_plot, self.boundary = LossPlot(), GradNormPlot(), BoundaryPlot()
        self.plots = QGridLayout()
        col.addLayout(self.plots, 1)
        self.set_orientation(Qt.Horizontal)
        self.stack = QStackedLayout(self)
        self.stack.addWidget(body)
        self.stack.addWidget(self.hint)
        self.body = body

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        icon = self.style().standardIcon
        self.play_button = QPushButton(icon(QStyle.SP_MediaPlay), "Play", objectName="trainPlay")
        self.play_button.setToolTip("train until the epochs setting; press again to pause")
        self.step_button = QPushButton(icon(QStyle.SP_MediaSkipForward), "One epoch",
                                       objectName="trainStep")
        self.reset_button = QPushButton(icon(QStyle.SP_BrowserReload), "Reset weights",
                                        objectName="trainReset")
        self.reset_button.setToolTip("back to the weights the graph had when training started")
        self.play_button.clicked.connect(self.play_pause)
        self.step_button.clicked.connect(self.one_epoch)
        self.reset_button.clicked.connect(self.reset_weights)
        self.status = QLabel("epoch 0", objectName="trainingStatus")
        for w in (self.play_button, self.step_button, self.reset_button):
            w.setIconSize(QSize(20, 20))
            row.addWidget(w)
        row.addSpacing(16)
        row.addWidget(self.status, 1)
        return row

    def _build_settings(self) -> QVBoxLayout:
        """Two rows of settings, so the dock needs no scrolling at the default size."""
        rows = QVBoxLayout()
        self.lr = LogSpinBox(objectName="trainLr")
        self.epochs = QSpinBox(objectName="trainEpochs", minimum=1, maximum=MAX_EPOCHS,
                               singleStep=100, keyboardTracking=False)
        self.momentum = QDoubleSpinBox(objectName="trainMomentum", minimum=0.0, maximum=0.999,
                                       decimals=3, singleStep=0.1, keyboardTracking=False)
        self.batch = QSpinBox(objectName="trainBatch", minimum=0, keyboardTracking=False,
                              specialValueText="all rows")
        self.reduction = QComboBox(objectName="trainReduction")
        self.reduction.addItems(["sum", "mean"])
        self.row = QSpinBox(objectName="trainRow", minimum=0, keyboardTracking=False)
        self.row.setToolTip("the dataset row the canvas shows when training stops")
        self.log_scale = QCheckBox("log loss", objectName="trainLog")
        for group in ((("learning rate", self.lr), ("epochs", self.epochs),
                       ("momentum", self.momentum)),
                      (("batch", self.batch), ("loss over rows", self.reduction),
                       ("show row", self.row), ("", self.log_scale))):
            row = QHBoxLayout()
            for text, w in group:
                if text:
                    row.addWidget(QLabel(text))
                row.addWidget(w)
                row.addSpacing(8)
            row.addStretch(1)
            rows.addLayout(row)
        self.lr.valueChanged.connect(lambda v: self._edited("lr", float(v)))
        self.epochs.valueChanged.connect(lambda v: self._edited("epochs", int(v)))
        self.momentum.valueChanged.connect(lambda v: self._edited("momentum", float(v)))
        self.batch.valueChanged.connect(lambda v: self._edited("batch", int(v) or None))
        self.reduction.currentTextChanged.connect(lambda t: self._edited("reduction", t))
        self.row.valueChanged.connect(self._row_changed)
        self.log_scale.toggled.connect(lambda on: self.loss_plot.set_log(on))
        return rows

    def set_orientation(self, orientation) -> None:
        """Horizontal (a wide dock): loss and grads stacked, boundary beside them.
        Vertical (a tall, narrow dock): all three stacked."""
        for w in (self.loss_plot, self.grad_plot, self.boundary):
            self.plots.removeWidget(w)
        if orientation == Qt.Horizontal:
            self.plots.addWidget(self.loss_plot, 0, 0)
            self.plots.addWidget(self.grad_plot, 1, 0)
            self.plots.addWidget(self.boundary, 0, 1, 2, 1)
            self.plots.setColumnStretch(0, 3)
            self.plots.setColumnStretch(1, 2)
        else:
            for k, w in enumerate((self.loss_plot, self.grad_plot, self.boundary)):
                self.plots.addWidget(w, k, 0)
            self.plots.setColumnStretch(1, 0)

    def _connect_runner(self) -> None:
        r = self.runner
        self.boundary.request = r.request_boundary
        r.boundary_computed.connect(self.boundary.show_result)
        r.ticks_arrived.connect(self._ticks)
        r.paused.connect(lambda: self._stopped("paused"))
        r.finished.connect(lambda: self._stopped("finished"))
        r.diverged.connect(self._diverged)
        r.watch_stopped.connect(self._watch_stopped)
        r.failed.connect(self._failed)
        r.state_changed.connect(self._state_changed)

    def _timers(self) -> None:
        self.canvas_timer = QTimer(self, interval=CANVAS_MS, timeout=self._push_to_canvas)
        self.status_timer = QTimer(self, interval=STATUS_MS, timeout=self._update_status)
        self.canvas_timer.start()
        self.status_timer.start()

    # ---- the document ----------------------------------------------------------------
    def set_document(self, doc) -> None:
        """Follow `doc` (a new file): training starts over from its weights."""
        if self.doc is not None:
            self._connect_doc(self.doc, False)
        self.runner.shutdown()
        self.doc = doc
        self._pushed = None
        self._clear_plots()
        self.error.hide()
        self._connect_doc(doc, True)
        n_rows = self._row_count(doc)
        if not n_rows:
            self.hint.setText("This graph has no dataset, so there is nothing to train.\n"
                              "Open a file with a dataset, e.g. moons-mlp.json or net-2-2-2.json.")
            self.stack.setCurrentWidget(self.hint)
            self.boundary.set_graph(None)
            return
        self.stack.setCurrentWidget(self.body)
        self.row.setMaximum(n_rows - 1)
        self.batch.setMaximum(n_rows)
        for key in ("lr", "epochs", "momentum", "batch", "reduction"):
            self._show_setting(key)
        params = doc.parameter_values()
        self.grad_plot.set_parameters(list(params))
        self.boundary.set_graph(doc.graph, doc.base_dir)
        self._ensure_loaded()              # the worker starts now: Play answers at once
        self._update_status()

    def _connect_doc(self, doc, on: bool) -> None:
        pairs = [(doc.training_changed, self._setting_changed), (doc.leaf_edited, self._leaf_edited)]
        if hasattr(doc, "structure_changed"):        # step into / collapse: a new graph
            pairs.append((doc.structure_changed, self._structure_changed))
        for signal, slot in pairs:
            (signal.connect if on else signal.disconnect)(slot)

    def _structure_changed(self, *_args) -> None:
        self.set_document(self.doc)                  # the worker's copy is out of date

    @staticmethod
    def _row_count(doc) -> int:
        if not (doc.graph.dataset or {}).get("columns"):
            return 0
        try:
            from ...io.dataset import load_rows
            return len(load_rows(doc.graph, doc.base_dir))
        except Exception:
            return 0

    def setting(self, key: str):
        """The document's value, or the engine's default when the file has none."""
        value = self.doc.training_setting(key)
        return getattr(DEFAULTS, key) if value is None and key != "batch" else value

    def _show_setting(self, key: str) -> None:
        value = self.setting(key)
        w = {"lr": self.lr, "epochs": self.epochs, "momentum": self.momentum,
             "batch": self.batch, "reduction": self.reduction}[key]
        w.blockSignals(True)
        if key == "reduction":
            w.setCurrentText(str(value))
        else:                          # a spin box takes an int32 in its range, no more
            w.setValue(min(max(value or 0, w.minimum()), w.maximum()))
        w.blockSignals(False)

    def _edited(self, key: str, value) -> None:
        old = self.doc.training_setting(key)
        if old == value and (old is None) == (value is None):
            return
        self.undo_stack.push(SetTrainingCommand(self.doc, key, old, value))

    def _setting_changed(self, key: str) -> None:
        if key in ("lr", "epochs", "momentum", "batch", "reduction"):
            self._show_setting(key)
            self.runner.set_setting(key, self.setting(key))

    def _leaf_edited(self, node_id: str) -> None:
        node = self.doc.graph.nodes.get(node_id)
        if self.runner.running or node is None or node.role != "parameter":
            return
        if self.runner.initial is not None:          # training began: continue from here
            self.runner.set_params({node_id: node.value})
        self.boundary.update_params(self.doc.parameter_values())

    def _row_changed(self, row: int) -> None:
        if self.doc is not None and not self.runner.running:
            self.doc.replace_values({}, row=row)

    # ---- controls ----------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if not self.runner.loaded:
            self.runner.load(self.doc.graph, self.doc.base_dir)
            self.runner.set_boundary_spec(self.boundary.spec)
            self._send_watches()

    def set_watches(self, above: float | None, below: float | None) -> None:
        """Grad watches that stop training (None = off); kept across new workers."""
        self._watches = (above, below)
        self._send_watches()

    def _send_watches(self) -> None:
        above, below = getattr(self, "_watches", (None, None))
        if self.runner.loaded:
            self.runner.set_setting("stop_grad_above", above)
            self.runner.set_setting("stop_grad_below", below)

    def _watch_stopped(self, epoch: int, why: str) -> None:
        self._update_status()
        self.message.emit(f"training stopped after epoch {epoch}: {why}")

    def _begin(self) -> None:
        """Load if needed; the first play or step fixes the weights Reset returns to."""
        self._ensure_loaded()
        if self.runner.initial is None:          # a first start (or a fresh worker)
            self.runner.begin(self.doc.parameter_values())
            self._clear_plots()
        self.error.hide()

    def play_pause(self) -> None:
        if self.runner.running:
            self.runner.pause()
            return
        self._begin()
        self.runner.play()

    def one_epoch(self) -> None:
        if self.runner.running:
            return
        self._begin()
        self.runner.one_epoch()

    def reset_weights(self) -> None:
        values = self.runner.reset()
        if values is None:                           # nothing trained yet
            return
        self._clear_plots()
        self.error.hide()
        self._pushed = None
        self.doc.replace_values(values, row=self.row.value())
        self.boundary.update_params(values)
        self.message.emit("weights reset to their values when training started")

    # ---- from the runner -------------------------------------------------------------------
    def _ticks(self, ticks: list) -> None:
        self.loss_plot.append_ticks(ticks)
        self.grad_plot.append_ticks(ticks)
        self.boundary.update_params(ticks[-1].params)

    def _push_to_canvas(self) -> None:
        tick = self.runner.latest
        if self.runner.running and tick is not None and tick is not self._pushed:
            self._pushed = tick
            self.doc.replace_values(tick.params)

    def _stopped(self, why: str) -> None:
        tick = self.runner.latest
        if tick is not None:
            self._pushed = tick
            self.doc.replace_values(tick.params, row=self.row.value())
        self._update_status()
        if why == "finished" and tick is not None:
            self.message.emit(f"training done: {tick.epoch} epochs, loss {tick.loss:.6g}")

    def _diverged(self, epoch: int, node_id: str) -> None:
        node = self.doc.graph.nodes.get(node_id)
        what = f"node {node.label!r} ({node.op})" if node else f"node {node_id!r}"
        latest = self.runner.latest
        engine = (latest.extra.get("nonfinite") if latest is not None else None) or \
            f"{what} is NaN or ±∞"
        text = (f"Training stopped at epoch {epoch}: {engine} — the first node "
                f"(in topological order) that is not finite. Lower the learning rate or "
                f"reset the weights.")
        self.error.setText(text)
        self.error.show()
        tick = self.runner.latest
        if tick is not None:
            bad = [k for k, v in enumerate(tick.row_losses) if not math.isfinite(v)]
            if bad:
                self.row.blockSignals(True)
                self.row.setValue(bad[0])         # the row that went wrong, to step through
                self.row.blockSignals(False)
            self.doc.replace_values(tick.params, row=self.row.value())
        self._update_status()
        self.message.emit(f"training stopped at epoch {epoch}: {what} is not finite")
        self.diverged.emit(epoch, node_id)

    def _failed(self, text: str) -> None:
        self.error.setText(f"Cannot train: {text}")
        self.error.show()
        self.message.emit(f"cannot train: {text}")

    def _state_changed(self, state: str) -> None:
        running = state == "running"
        self.play_button.setText("Pause" if running else "Play")
        self.play_button.setIcon(self.style().standardIcon(
            QStyle.SP_MediaPause if running else QStyle.SP_MediaPlay))
        self.step_button.setEnabled(not running)
        self.row.setEnabled(not running)
        self.running_changed.emit(running)
        self._update_status()

    def _update_status(self) -> None:
        tick = self.runner.latest
        if tick is None:
            self.status.setText("epoch 0 · press Play")
            return
        loss = f"{tick.loss:.6g}" if math.isfinite(tick.loss) else "NaN"
        epoch = tick.epoch + (1 if tick.nonfinite else 0)
        state = self.runner.state
        tail = {"running": f"{self.runner.epochs_per_second:,.0f} epochs/s",
                "finished": "done", "diverged": "stopped: not finite"}.get(state, "paused")
        self.status.setText(f"epoch {epoch} · loss {loss} · {tail}")

    def _clear_plots(self) -> None:
        self.loss_plot.clear_data()
        self.grad_plot.clear_data()

    def shutdown(self) -> None:
        """Stop the worker process (call from the window's closeEvent)."""
        self.runner.shutdown()
        self.boundary.shutdown()
