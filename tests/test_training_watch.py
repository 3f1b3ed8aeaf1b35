"""Grad watches stop training in the app too (issue 5: conditions that stop a training)."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.window.main_window import MainWindow

WAIT = 60_000


def test_vanishing_grad_watch_stops_training_with_the_reason(qtbot, tmp_path):
    w = MainWindow(Document.open(EXAMPLES / "net-2-2-2.json"),
                   settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    w.watches.set_thresholds(1.0, 1e-6)
    w.set_watch("grad_below", True)                     # pushes the watch to training
    messages = []
    w.training.message.connect(messages.append)
    try:
        with qtbot.waitSignal(w.training.runner.watch_stopped, timeout=WAIT) as blocker:
            w.training.play_pause()
        epoch, why = blocker.args
        assert epoch == 1 and "W11.grad" in why and "vanishing" in why  # |grad W11| ≈ 5e-8
        qtbot.waitUntil(lambda: not w.training.runner.running, timeout=WAIT)
        assert any("vanishing" in m for m in messages)
    finally:
        w.training.shutdown()
