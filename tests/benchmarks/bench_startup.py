"""Start to first window: a fresh Python process imports bpstudio, opens the default
example and paints the main window once (offscreen). No anchor."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from bpstudio.ui.app import initial_document
from bpstudio.ui.window.main_window import MainWindow
app = QApplication(sys.argv[:1])
doc, _ = initial_document(None)
w = MainWindow(doc, settings=QSettings(sys.argv[1], QSettings.IniFormat))
w.resize(1400, 850)
w.show()
w.grab()                    # forces a complete paint of the window
"""


def _once(tmp: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, os.path.join(tmp, "s.ini")], env=env,
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def run(rows: list, repeat: int = 3) -> None:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        _once(tmp)                                   # warm the OS file cache
        t = statistics.median(_once(tmp) for _ in range(repeat))
    rows.append({"name": "start to first window (process start → painted)", "bpstudio_s": t,
                 "anchor": None, "anchor_s": None, "speedup": None})


if __name__ == "__main__":
    out: list = []
    run(out)
    print(out)
