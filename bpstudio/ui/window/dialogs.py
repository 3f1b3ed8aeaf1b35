"""Dialogs: the keyboard map (generated from the actions), New from snippet, About,
a note, and the watch thresholds. All are opened with open() (never a blocking exec)
where the window drives them, so a lecture (and a test) never waits on one."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ...version import __version__
from .actions import keyboard_rows


class KeyboardMapDialog(QDialog):
    def __init__(self, actions, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard map — bpstudio")
        rows = keyboard_rows(actions)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.table)
        col.addWidget(buttons)
        self.table.setWordWrap(False)
        self.table.resizeRowsToContents()
        self.resize(560, 500)

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3))
                for r in range(self.table.rowCount())]


class SnippetDialog(QDialog):
    """Paste micrograd-style code; parsed with `ast` (never executed); errors inline."""

    PLACEHOLDER = ("a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\n"
                   "e = a * b; e.label = 'e'\nL = e.tanh(); L.label = 'L'\nL.backward()")

    def __init__(self, parent=None, text: str = ""):
        super().__init__(parent)
        self.setWindowTitle("New from snippet — bpstudio")
        self.graph = None
        self.editor = QPlainTextEdit(text)
        self.editor.setPlaceholderText(self.PLACEHOLDER)
        font = self.editor.font()
        font.setFamily("DejaVu Sans Mono")
        font.setStyleHint(font.StyleHint.Monospace)
        self.editor.setFont(font)
        self.error = QLabel()
        self.error.setObjectName("snippetError")
        self.error.setStyleSheet("color: #d32f2f;")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(QLabel("Paste micrograd-style code (it is read, never run):"))
        col.addWidget(self.editor, 1)
        col.addWidget(self.error)
        col.addWidget(buttons)
        self.resize(640, 480)

    def try_accept(self) -> bool:
        from ...engine import GraphError
        from ...io.snippet import SnippetError, parse_snippet
        try:
            graph = parse_snippet(self.editor.toPlainText(), path="<snippet>")
            graph.validate()
        except (SnippetError, GraphError) as exc:
            self.error.setText(str(exc))
            return False
        self.graph = graph
        self.accept()
        return True


class NoteDialog(QDialog):
    """One line of text for a node or a step; `accepted_text(text)` on OK."""

    def __init__(self, title: str, what: str, text: str, on_accept, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.edit = QLineEdit(text, objectName="noteDialogEdit")
        self.edit.setMinimumWidth(520)
        self.edit.selectAll()
        self._on_accept = on_accept
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(QLabel(what, wordWrap=True))
        col.addWidget(self.edit)
        col.addWidget(buttons)

    def accept(self) -> None:
        self._on_accept(self.edit.text().strip())
        super().accept()


class ThresholdDialog(QDialog):
    """The two watch thresholds: exploding (|grad| above) and vanishing (|grad| below)."""

    def __init__(self, above: float, below: float, on_accept, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Watch thresholds — bpstudio")
        self.above = QLineEdit(f"{above:g}", objectName="aboveEdit")
        self.below = QLineEdit(f"{below:g}", objectName="belowEdit")
        self.error = QLabel(objectName="thresholdError", wordWrap=True)
        self.error.setStyleSheet("color: #d32f2f;")
        self._on_accept = on_accept
        form = QFormLayout()
        form.addRow("stop when |grad| is above", self.above)
        form.addRow("stop when |grad| is below", self.below)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(self.error)
        col.addWidget(buttons)

    def values(self) -> tuple[float, float] | None:
        try:
            above = float(self.above.text().replace("\u2212", "-"))
            below = float(self.below.text().replace("\u2212", "-"))
        except ValueError:
            self.error.setText("type two numbers, e.g. 100 and 1e-6")
            return None
        if not (above > 0 and below > 0) or above != above or below != below:
            self.error.setText("both thresholds must be positive numbers")
            return None
        return above, below

    def accept(self) -> None:
        values = self.values()
        if values is not None:
            self._on_accept(*values)
            super().accept()


ABOUT_TEXT = (f"<h3>bpstudio {__version__}</h3><p>A step-through debugger for backpropagation: "
              "watch every forward value and every chain-rule product, one step at a time, "
              "forwards and backwards.</p><p>→ step, ← back, Home reset, End run to the end; "
              "F11 presents, Q quizzes, B sets a breakpoint, ? lists every key.</p>")
