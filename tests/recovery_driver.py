"""Drives the real app (bpstudio.ui.app.run_app) for tests/test_recovery_kill.py:

    python tests/recovery_driver.py edit FILE      # edit, print EDITED, keep running
    python tests/recovery_driver.py recover FILE   # wait for the offer, Recover, print JSON

The edit: leaf a = 2.75, a note on a, the cursor at step 3 (the test kills the
process 5 s later). Recover prints what the window then holds, as one JSON line.
"""
from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bpstudio.ui.app import run_app
from bpstudio.ui.commands.edit import SetNoteCommand, SetValueCommand
from bpstudio.ui.window.main_window import MainWindow

NEW_VALUE, NOTE, CURSOR = 2.75, "a was 2.0 in the file", 3
DIALOG_TIMEOUT_S = 20.0


def window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))


def edit() -> None:
    w = window()
    doc = w.doc
    a = doc.graph.by_label("a").id
    w.undo_stack.push(SetValueCommand(doc, a, doc.graph.nodes[a].value, NEW_VALUE))
    w.undo_stack.push(SetNoteCommand(doc, a, doc.note(a), NOTE))
    doc.run_to(CURSOR)
    print("EDITED", flush=True)


def recover(deadline: float) -> None:
    w = window()
    dialog = w.recovery.dialog
    if dialog is None:
        if time.monotonic() > deadline:
            print("NO DIALOG", flush=True)
            QApplication.exit(3)
        else:
            QTimer.singleShot(100, lambda: recover(deadline))
        return
    offered = [{"name": e.name, "original": e.original, "pid": e.pid} for e in dialog.entries]
    dialog.buttons(dialog.entries[0])["recover"].click()
    doc = w.doc
    a = doc.graph.by_label("a").id
    print(json.dumps({"offered": offered, "a": doc.graph.nodes[a].value, "note": doc.note(a),
                      "cursor": doc.stepper.cursor, "modified": doc.modified,
                      "path": str(doc.path), "dialog_open": w.recovery.dialog is not None
                      and w.recovery.dialog.isVisible()}), flush=True)
    QApplication.exit(0)


if __name__ == "__main__":
    app = QApplication(sys.argv[:1])      # run_app uses this one; the timers need it
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "edit":
        QTimer.singleShot(0, edit)
    else:
        QTimer.singleShot(0, lambda: recover(time.monotonic() + DIALOG_TIMEOUT_S))
    sys.exit(run_app(path, argv=sys.argv[:1]))
