"""The start-up offer: one row per recovery copy whose window crashed, with the file's
name and folder, when it was autosaved, and Recover / Open saved / Discard. Every
row is decided on its own; "Decide later" keeps the copies for the next start."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QGridLayout, QHBoxLayout,
                               QLabel, QPushButton, QVBoxLayout, QWidget)

ACTIONS = (("recover", "Recover"), ("open", "Open saved"), ("discard", "Discard"))
DONE_TEXT = {"recover": "recovered", "open": "opened the saved file", "discard": "discarded"}


def when(t: float, now: float | None = None) -> str:
    """'today 09:41:02 (3 min ago)', or the date when not today."""
    now = time.time() if now is None else now
    stamp = time.localtime(t)
    same_day = time.strftime("%Y%m%d", stamp) == time.strftime("%Y%m%d", time.localtime(now))
    day = "today" if same_day else time.strftime("%Y-%m-%d", stamp)
    ago = max(0, int(now - t))
    rel = (f"{ago} s ago" if ago < 60 else f"{ago // 60} min ago" if ago < 3600
           else f"{ago // 3600} h ago" if ago < 86400 else f"{ago // 86400} days ago")
    return f"{day} {time.strftime('%H:%M:%S', stamp)} ({rel})"


class RecoveryDialog(QDialog):
    chosen = Signal(object, str)      # entry, "recover" | "open" | "discard"

    def __init__(self, entries, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Recover unsaved work")
        self.setObjectName("recoveryDialog")
        self.entries = list(entries)
        self._buttons: dict[str, dict[str, QPushButton]] = {}
        self._states: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        count = len(self.entries)
        what = "a graph" if count == 1 else f"{count} graphs"
        intro = QLabel(f"bpstudio closed without saving {what}. The autosaved "
                       f"{'copy is' if count == 1 else 'copies are'} kept until you choose:")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        for row, entry in enumerate(self.entries):
            if row:
                line = QFrame(frameShape=QFrame.HLine, frameShadow=QFrame.Sunken)
                grid.addWidget(line, 2 * row - 1, 0, 1, 2)
            self._add_row(grid, 2 * row, entry)
        layout.addLayout(grid)
        later = QDialogButtonBox()
        later_button = later.addButton("Decide later", QDialogButtonBox.RejectRole)
        later_button.setToolTip("Keep the copies; they are offered again at the next start")
        later.rejected.connect(self.reject)
        layout.addWidget(later)
        self.setMinimumWidth(680)
        first = self._buttons[self.entries[0].key]["recover"]
        first.setDefault(True)
        first.setFocus()

    def _add_row(self, grid: QGridLayout, row: int, entry) -> None:
        name = QLabel(f"<b>{_escape(entry.name)}</b>")
        where = "not saved yet" if entry.untitled else entry.original
        detail = QLabel(f"{_escape(where)}<br>autosaved {when(entry.time)}")
        detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        detail.setForegroundRole(QPalette.PlaceholderText)      # secondary text
        text = QWidget()
        box = QVBoxLayout(text)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(name)
        box.addWidget(detail)
        grid.addWidget(text, row, 0)
        buttons = QWidget()
        line = QHBoxLayout(buttons)
        line.setContentsMargins(0, 0, 0, 0)
        self._buttons[entry.key] = {}
        for action, label in ACTIONS:
            b = QPushButton(label)
            b.setObjectName(f"{action}Button")
            b.setAutoDefault(False)
            b.clicked.connect(lambda _=False, e=entry, a=action: self.choose(e, a))
            line.addWidget(b)
            self._buttons[entry.key][action] = b
        saved = entry.path or entry.source
        self._buttons[entry.key]["open"].setEnabled(bool(saved))
        if not saved:
            self._buttons[entry.key]["open"].setToolTip("this graph was never saved")
        state = QLabel()
        state.hide()
        line.addWidget(state)
        self._states[entry.key] = state
        grid.addWidget(buttons, row, 1, Qt.AlignRight | Qt.AlignVCenter)

    def buttons(self, entry_or_key) -> dict[str, QPushButton]:
        key = getattr(entry_or_key, "key", entry_or_key)
        return self._buttons[key]

    def choose(self, entry, action: str) -> None:
        """One row decided: its buttons go, what happened shows; the last one closes."""
        for b in self._buttons[entry.key].values():
            b.hide()
        state = self._states[entry.key]
        state.setText(DONE_TEXT[action])
        state.show()
        self.chosen.emit(entry, action)
        left = self.undecided()
        if not left:
            self.accept()
            return
        following = self._buttons[left[0].key]["recover"]    # Return decides the next row
        following.setDefault(True)
        following.setFocus()

    def undecided(self) -> list:
        return [e for e in self.entries if self._states[e.key].isHidden()]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
