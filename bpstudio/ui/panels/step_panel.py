"""The chain-rule panel: the current step in words and numbers, its notes (the step's
note is edited here), and the list of all steps.

The list is virtual: a QAbstractListModel whose rows are built on demand from the
compiled program (kind and node of a step), shown in a fixed-row-height table view,
so a 130k-step program costs nothing until a row is painted. Clicking a row runs the document to exactly that step.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...engine import OPS, fmt
from ..lecture.commands import SetStepNoteCommand
from .chain_text import gate_hint, nonfinite_hint, step_heading, step_lines, step_notes

PENDING_GREY = QColor(140, 140, 140)
CURRENT_BG = QColor(255, 214, 102)       # the same amber a lecturer sees on the canvas
CURRENT_FG = QColor(20, 20, 20)
NOTE_BG, NOTE_FG = "#fff4c2", "#3d3100"   # a sticky note, readable in light and dark
BODY_PT = 9.0 * 1.75                     # the step's words at text scale 1


class DisplayLabels:
    """Labels as the chain-rule text shows them: a compound label such as 'x1*w1 + x2*w2'
    gets parentheses, so '(x1*w1 + x2*w2).grad' cannot be misread. Wrapped on demand,
    so a 65k-node graph costs nothing per step. A structural name made by
    model/naming.py (`l1n3·Σ2`) is one word and never wrapped."""

    __slots__ = ("base", "structural")
    COMPOUND = frozenset(" +-*/×÷^@()−·")

    def __init__(self, base: dict[str, str]):
        self.base = base
        self.structural = getattr(base, "structural", frozenset())

    def __getitem__(self, node_id: str) -> str:
        label = self.base[node_id]
        if node_id in self.structural:
            return label
        return f"({label})" if self.COMPOUND.intersection(label) else label


def step_summary(stepper, step: int) -> tuple[str, str]:
    """(kind, words) for a step, e.g. ('forward', 'e = a × b') or ('backward', 'e → a, b')."""
    p = stepper.program
    kind = p.kind(step)
    n = p.node_at(step)
    labels = DisplayLabels(stepper.labels)
    out = labels[p.ids[n]]
    ins = [labels[p.ids[j]] for j in p.inputs[n]]
    if kind == "seed":
        return kind, f"{out}.grad = 1"
    if kind == "forward":
        op = OPS[p.ops[n]]
        k = (p.attrs[n] or {}).get("exponent")
        return kind, op.formula.format(out=out, a=ins[0], b=ins[-1],
                                       k=fmt(k) if k is not None else "k")
    return kind, f"{out}.grad → {', '.join(ins)}"


class StepListModel(QAbstractListModel):
    """One row per step of the document's program; row k is step k (shown as k + 1)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_document(self, doc) -> None:
        self.beginResetModel()
        self.doc = doc
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        if parent.isValid() or self.doc is None:
            return 0
        return self.doc.stepper.total

    def data(self, index, role=Qt.DisplayRole):
        if self.doc is None or not index.isValid():
            return None
        k = index.row()
        cursor = self.doc.stepper.cursor
        if role == Qt.DisplayRole:
            kind, words = step_summary(self.doc.stepper, k)
            width = len(str(self.doc.stepper.total))
            return f"{k + 1:>{width}}   {kind:<8}  {words}"
        if role == Qt.BackgroundRole and k == cursor - 1:
            return QBrush(CURRENT_BG)
        if role == Qt.ForegroundRole:
            if k == cursor - 1:
                return QBrush(CURRENT_FG)
            if k >= cursor:
                return QBrush(PENDING_GREY)
        if role == Qt.FontRole and k == cursor - 1:
            return self._bold
        if role == Qt.ToolTipRole:
            return "click to run to here (exact state, forwards or backwards)"
        return None

    def rows_changed(self, lo: int, hi: int) -> None:
        """Repaint rows lo..hi inclusive (clamped)."""
        n = self.rowCount()
        lo, hi = max(0, lo), min(n - 1, hi)
        if lo <= hi:
            self.dataChanged.emit(self.index(lo), self.index(hi))


class StepPanel(QWidget):
    """Top: the current step in a large font. Below (or beside): all steps."""

    step_clicked = Signal(int)          # the row (0-based step index) the user chose
    edit_committed = Signal()           # a note was saved (focus may go back to the canvas)

    def __init__(self, document=None, parent=None, push=None):
        super().__init__(parent)
        self.doc = None
        self.hidden: frozenset = frozenset()     # quiz: grads not revealed yet
        self.push = push or (lambda cmd: cmd.redo())
        self.model = StepListModel(self)
        self._build()
        if document is not None:
            self.set_document(document)

    # ---- construction --------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("stepHeading")
        self.body = QLabel()
        self.body.setObjectName("stepBody")
        self.body.setTextFormat(Qt.RichText)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.body.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.set_text_scale(1.0)
        self.notes = QLabel(objectName="stepNotes", wordWrap=True, textFormat=Qt.RichText)
        self.notes.setStyleSheet(f"QLabel {{ background: {NOTE_BG}; color: {NOTE_FG}; "
                                 f"border-radius: 4px; padding: 4px 8px; }}")
        self.notes.hide()
        self.note_edit = QLineEdit(objectName="stepNoteEdit")
        self.note_edit.setPlaceholderText("a note for this step (Enter saves; shown when "
                                          "the step is reached)")
        self.note_edit.returnPressed.connect(self._commit_note)
        head_font = self.heading.font()
        head_font.setPointSizeF(max(head_font.pointSizeF(), 9.0) * 1.15)
        head_font.setBold(True)
        self.heading.setFont(head_font)
        self.list = self._make_list()
        self.list.clicked.connect(self._row_clicked)
        self.list.activated.connect(self._row_clicked)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self._make_words())
        self.splitter.addWidget(self.list)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self._sized = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _make_words(self) -> QWidget:
        """The step's words (scrolling if long); its notes and note box always in view."""
        top = QWidget()
        col = QVBoxLayout(top)
        col.setContentsMargins(10, 6, 10, 6)
        col.addWidget(self.heading)
        col.addWidget(self.body, 1)
        scroll = QScrollArea()
        scroll.setWidget(top)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        words = QWidget()
        outer = QVBoxLayout(words)
        outer.setContentsMargins(0, 0, 6, 4)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.notes)
        outer.addWidget(self.note_edit)
        return words

    def _make_list(self) -> QTableView:
        """A one-column QTableView: with fixed row heights it never walks all rows.

        (A QListView re-lays out every row on dataChanged / first show: 262k calls
        of rowCount, ~1.3 s, for a 130k-step program; this view needs about 20.)
        """
        view = QTableView()
        view.setObjectName("stepList")
        view.setModel(self.model)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setSelectionMode(QAbstractItemView.NoSelection)
        view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        view.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.Monospace)
        mono.setPointSizeF(max(self.font().pointSizeF(), 9.0) * 1.1)
        view.setFont(mono)
        rows, cols = view.verticalHeader(), view.horizontalHeader()
        rows.hide()
        cols.hide()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setDefaultSectionSize(QFontMetrics(mono).height() + 4)
        cols.setStretchLastSection(True)
        return view

    def set_text_scale(self, scale: float) -> None:
        """The step's words at `scale` × their usual size (View ▸ Larger text)."""
        font = self.body.font()
        font.setPointSizeF(BODY_PT * scale)
        self.body.setFont(font)

    def set_hidden(self, node_ids) -> None:
        """Quiz: show `?` for the grads of these nodes until the set changes."""
        hidden = frozenset(node_ids)
        if hidden != self.hidden:
            self.hidden = hidden
            self.refresh()

    def set_orientation(self, orientation: Qt.Orientation) -> None:
        """Horizontal (text beside list) in a bottom dock; vertical in a side dock."""
        self.splitter.setOrientation(orientation)
        self._sized = False
        self._size_splitter()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._sized:
            self._size_splitter()

    def _size_splitter(self) -> None:
        """The words get about 60 % of the room, the list the rest (once, then the user's)."""
        horizontal = self.splitter.orientation() == Qt.Horizontal
        room = self.width() if horizontal else self.height()
        if room > 50:
            self.splitter.setSizes([int(room * 0.6), room - int(room * 0.6)])
            self._sized = True

    # ---- document --------------------------------------------------------------
    def set_document(self, doc) -> None:
        if self.doc is not None:
            self._connect(self.doc, False)
        self.doc = doc
        self.hidden = frozenset()
        self.model.set_document(doc)
        self._connect(doc, True)
        self.refresh()

    def _connect(self, doc, on: bool) -> None:
        for signal, slot in ((doc.cursor_moved, self._cursor_moved),
                             (doc.label_changed, self._labels_changed),
                             (doc.leaf_edited, self._leaf_edited),
                             (doc.values_replaced, self._leaf_edited),
                             (doc.note_changed, self._leaf_edited),
                             (doc.step_note_changed, self._leaf_edited)):
            (signal.connect if on else signal.disconnect)(slot)

    def _cursor_moved(self, old: int, new: int) -> None:
        lo, hi = min(old, new), max(old, new)
        self.model.rows_changed(lo - 1, hi)
        self.refresh()

    def _labels_changed(self, _node_id: str) -> None:
        self.model.rows_changed(0, self.model.rowCount() - 1)
        self.refresh()

    def _leaf_edited(self, *_args) -> None:
        self.refresh()

    def _commit_note(self) -> None:
        if self.doc is None:
            return
        step = self.doc.stepper.cursor
        old, new = self.doc.step_note(step), self.note_edit.text().strip()
        self.note_edit.setModified(False)
        if new != old:
            self.push(SetStepNoteCommand(self.doc, step, old, new))
        self.edit_committed.emit()

    def focus_note(self) -> None:
        """Put the cursor in the step's note box (Edit ▸ Note on this step)."""
        self.note_edit.setFocus()
        self.note_edit.selectAll()

    def _row_clicked(self, index) -> None:
        if index.isValid():
            self.step_clicked.emit(index.row())

    # ---- the words ---------------------------------------------------------------
    def refresh(self) -> None:
        if self.doc is None:
            return
        s = self.doc.stepper
        self.heading.setText(step_heading(s))
        self.body.setText(self._body_html(s))
        self._show_notes()
        self._show_current_row(s.cursor - 1)

    def _show_notes(self) -> None:
        notes = step_notes(self.doc)
        self.notes.setText("<br>".join(f"<b>{html.escape(who)}:</b> {html.escape(text)}"
                                       for who, text in notes))
        self.notes.setVisible(bool(notes))
        edit = self.note_edit
        if not (edit.hasFocus() and edit.isModified()):
            edit.setText(self.doc.step_note(self.doc.stepper.cursor))
            edit.setModified(False)

    def _show_current_row(self, row: int) -> None:
        """Keep the current row in sight: centred when it has left the visible rows."""
        if row < 0:
            self.list.scrollToTop()
            return
        index = self.model.index(row)
        rect = self.list.visualRect(index)
        if not self.list.viewport().rect().contains(rect):
            self.list.scrollTo(index, QAbstractItemView.PositionAtCenter)

    summary = None     # () -> lines or None: the neuron diagram's summary of its step

    def _body_html(self, s) -> str:
        parts = []
        lines = self.summary() if self.summary is not None and s.cursor else None
        for line in lines or ():
            parts.append(f"<div style='margin-top:4px'><b>{html.escape(line)}</b></div>")
        if s.cursor == 0:
            parts.append("<p>Press <b>→</b> to compute the first node.</p>")
        else:
            for line in step_lines(s, DisplayLabels(s.labels), self.hidden):
                parts.append(_line_html(line))
            if nonfinite_hint(s):
                parts.append(f"<p style='color:#d32f2f'><b>{html.escape(nonfinite_hint(s))}"
                             f"</b></p>")
            if gate_hint(s):
                parts.append(f"<p style='color:{_muted(self)}; font-size:small'><i>"
                             f"{html.escape(gate_hint(s))}</i></p>")
        if s.cursor < s.total:
            kind, words = step_summary(s, s.cursor)
            parts.append(f"<p style='color:{_muted(self)}; font-size:small'>next (→): "
                         f"{kind} · {html.escape(words)}</p>")
        else:
            parts.append(f"<p style='color:{_muted(self)}; font-size:small'>"
                         f"done: every gradient is final</p>")
        return "".join(parts)

    def text(self) -> str:
        """Plain text of what the panel shows (heading, body, notes), for tests and copying."""
        from PySide6.QtGui import QTextDocument
        d = QTextDocument()
        d.setHtml(self.body.text())
        notes = QTextDocument()
        notes.setHtml(self.notes.text() if self.notes.isVisibleTo(self) else "")
        return self.heading.text() + "\n" + d.toPlainText() + "\n" + notes.toPlainText()


def _line_html(line: str) -> str:
    """A backward line 'X;  Y' reads better as X, then Y indented on its own line."""
    head, _, tail = line.partition(";  ")
    out = f"<div style='margin-top:4px'>{html.escape(head)}</div>"
    if tail:
        out += f"<div style='margin-left:2em'>→ {html.escape(tail)}</div>"
    return out


def _muted(widget) -> str:
    """Text colour halfway towards the background: readable, but clearly secondary."""
    pal = widget.palette()
    fg, bg = pal.color(QPalette.WindowText), pal.color(QPalette.Window)
    mix = QColor((fg.red() + bg.red()) // 2, (fg.green() + bg.green()) // 2,
                 (fg.blue() + bg.blue()) // 2)
    return mix.name()


