"""The inspector: everything about the selected node, and the edits a student may make.

Edits never touch the model directly: they become QUndoCommands handed to `push`,
so Enter in the data box is exactly one undoable step.
"""
from __future__ import annotations

import json
import math

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...engine import OPS, fmt
from ..commands.edit import RenameCommand, SetNoteCommand, SetValueCommand
from .step_panel import DisplayLabels

ERROR_STYLE = "QLineEdit { border: 2px solid #d32f2f; }"


def parse_value(text: str, old):
    """Parse what a user typed into a leaf's data box. Returns (value, error message).

    Scalars: a float ('−3', '2.5e-3'). Tensors: nested JSON lists of the same shape as
    the old value ('[[1, 2], [3, 4]]'). Never eval.
    """
    text = text.strip().replace("\u2212", "-")
    if not text:
        return None, "type a number"
    if isinstance(old, np.ndarray):
        try:
            value = np.asarray(json.loads(text), dtype=np.float64)
        except (ValueError, TypeError):
            return None, f"not a nested list of numbers of shape {old.shape}"
        if value.shape != old.shape:
            return None, f"shape {value.shape} does not match {old.shape}"
        if not np.all(np.isfinite(value)):
            return None, "every element must be a finite number"
        return value, ""
    try:
        value = float(text)
    except ValueError:
        return None, f"'{text}' is not a number"
    if not math.isfinite(value):
        return None, "the value must be finite"
    return value, ""


def edit_text(value) -> str:
    """The editable text of a leaf's value (round-trips exactly through parse_value)."""
    if isinstance(value, np.ndarray):
        return json.dumps(value.tolist())
    return repr(float(value)).replace("-", "\u2212")     # the minus the canvas shows


def local_derivative_lines(doc, node_id: str) -> list[str]:
    """'∂e/∂a = b.data = −3.0' per input (numbers once the inputs are known)."""
    p = doc.stepper.program
    s = doc.stepper
    i = p.index[node_id]
    op = OPS.get(p.ops[i])
    if op is None or not p.inputs[i]:
        return []
    labels = DisplayLabels(s.labels)
    out = labels[node_id]
    ins = [labels[p.ids[j]] for j in p.inputs[i]]
    k = (p.attrs[i] or {}).get("exponent")
    numbers = _local_numbers(doc, i, op)
    lines = []
    for slot, name in enumerate(ins):
        text = op.local_text[slot] if slot < len(op.local_text) else "?"
        text = text.format(out=out, a=ins[0], b=ins[-1], k=fmt(k) if k is not None else "k")
        line = f"∂{out}/∂{name} = {text}"
        if numbers is not None and not _is_number(text):
            line += f" = {fmt(numbers[slot])}"
        lines.append(line)
    return lines


def _is_number(text: str) -> bool:
    try:
        float(text.replace("\u2212", "-"))
        return True
    except ValueError:
        return False


def _local_numbers(doc, i: int, op):
    s, p = doc.stepper, doc.stepper.program
    ins = [s.values[j] for j in p.inputs[i]]
    if op.local is None or s.values[i] is None or any(v is None for v in ins):
        return None
    with np.errstate(all="ignore"):
        return op.local(ins, s.values[i], p.attrs[i])


class Inspector(QWidget):
    """Label, op, role, data, grad, local derivative, states, note, and the live toggle."""

    edit_committed = Signal()           # after Enter committed something (focus may move)
    message = Signal(str)               # a short line for the status bar

    def __init__(self, push=None, parent=None):
        super().__init__(parent)
        self.doc = None
        self.selected: str | None = None     # the node the user clicked
        self.current: str | None = None      # the current step's node (shown if none is)
        self.push = push or (lambda cmd: cmd.redo())
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.title = QLabel()
        self.caption = QLabel()
        self.caption.setObjectName("inspectorCaption")
        self.caption.setStyleSheet("color: palette(dark);")
        font = self.title.font()
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.label_edit = QLineEdit()
        self.label_edit.setObjectName("labelEdit")
        self.label_edit.returnPressed.connect(self._commit_label)
        self.op_label, self.role_label = QLabel(), QLabel()
        self.data_edit = QLineEdit()
        self.data_edit.setObjectName("dataEdit")
        self.data_edit.returnPressed.connect(self._commit_value)
        self.data_edit.textEdited.connect(lambda _t: self._set_error(""))
        self.error_label = QLabel()
        self.error_label.setObjectName("dataError")
        self.error_label.setStyleSheet("color: #d32f2f;")
        self.error_label.setWordWrap(True)
        self.grad_label, self.local_label = QLabel(), QLabel()
        self.local_label.setWordWrap(True)
        self.state_label, self.grad_state_label = QLabel(), QLabel()
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setPlaceholderText("a note for the lecture (Enter saves)")
        self.note_edit.returnPressed.connect(self._commit_note)
        self.live_box = QCheckBox("Live: recompute everything after each edit")
        self.live_box.toggled.connect(self._live_toggled)
        for w in (self.data_edit, self.grad_label, self.local_label):
            w.setFont(_bigger(w.font(), 1.15))
        for w in (self.grad_label, self.local_label, self.op_label, self.role_label,
                  self.state_label, self.grad_state_label):
            w.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._layout()

    def _layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Label", self.label_edit)
        form.addRow("Op", self.op_label)
        form.addRow("Role", self.role_label)
        form.addRow("Data", self.data_edit)
        form.addRow("", self.error_label)
        form.addRow("Grad", self.grad_label)
        form.addRow("Local ∂", self.local_label)
        form.addRow("Value", self.state_label)
        form.addRow("Grad state", self.grad_state_label)
        form.addRow("Note", self.note_edit)
        col = QVBoxLayout(self)
        col.addWidget(self.title)
        col.addWidget(self.caption)
        col.addLayout(form)
        col.addWidget(self.live_box)
        col.addStretch(1)

    # ---- document and selection ---------------------------------------------------
    def set_document(self, doc) -> None:
        if self.doc is not None:
            for sig in (self.doc.cursor_moved, self.doc.leaf_edited, self.doc.label_changed,
                        self.doc.note_changed, self.doc.live_changed):
                sig.disconnect(self._model_changed)
        self.doc = doc
        self.selected = self.current = None
        for sig in (doc.cursor_moved, doc.leaf_edited, doc.label_changed,
                    doc.note_changed, doc.live_changed):
            sig.connect(self._model_changed)
        self.refresh()

    @property
    def node_id(self) -> str | None:
        """The node shown: the selected one, else the current step's."""
        return self.selected or self.current

    def _known(self, node_id: str | None) -> str | None:
        ok = node_id and self.doc is not None and node_id in self.doc.graph.nodes
        return node_id if ok else None

    def set_node(self, node_id: str | None) -> None:
        """Show the selected node (None: follow the current step again)."""
        self.selected = self._known(node_id)
        self._set_error("")
        self.refresh(force=True)

    def set_current(self, node_id: str | None) -> None:
        shown = self.node_id
        self.current = self._known(node_id)
        if self.node_id != shown:
            self._set_error("")
            self.refresh(force=True)

    def _model_changed(self, *_args) -> None:
        self.refresh()

    # ---- showing ------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        self.live_box.blockSignals(True)
        self.live_box.setChecked(bool(self.doc and self.doc.live))
        self.live_box.setEnabled(self.doc is not None)
        self.live_box.blockSignals(False)
        nid = self.node_id
        editing = (self.doc is not None and nid is not None)
        for w in (self.label_edit, self.data_edit, self.note_edit):
            w.setEnabled(editing)
        if not editing:
            self.title.setText("Select a node" if self.doc else "No document")
            self.caption.setText("click a card, or step: the current node shows here")
            for w in (self.op_label, self.role_label, self.grad_label, self.local_label,
                      self.state_label, self.grad_state_label):
                w.setText("")
            for w in (self.label_edit, self.data_edit, self.note_edit):
                w.setText("")
            return
        self._show_node(nid, force)

    def _show_node(self, nid: str, force: bool) -> None:
        doc, s = self.doc, self.doc.stepper
        node = doc.graph.nodes[nid]
        op = "leaf" if node.is_leaf else f"{node.op} ({OPS[node.op].symbol})"
        shape = np.shape(s.value(nid)) if s.value(nid) is not None else ()
        if shape:
            op += " · shape " + "×".join(str(n) for n in shape)
        self.title.setText(s.labels.get(nid, node.label))        # the display name
        self.caption.setText("selected" if self.selected else "the current step's node")
        _set_unless_editing(self.label_edit, node.label, force)
        self.op_label.setText(op)
        self.role_label.setText(node.role or "computed")
        value, grad = s.value(nid), s.grad(nid)
        self.data_edit.setReadOnly(not node.is_leaf)
        if node.is_leaf:
            _set_unless_editing(self.data_edit, edit_text(node.value), force)
            self.data_edit.setToolTip("type a new value and press Enter (Ctrl+Z undoes)")
        else:
            self.data_edit.setText("" if value is None else fmt(value))
            self.data_edit.setPlaceholderText("pending: not computed yet")
            self.data_edit.setToolTip("computed by the forward pass")
        self.grad_label.setText(fmt(grad) if grad is not None else "—")
        lines = local_derivative_lines(doc, nid)
        self.local_label.setText("\n".join(lines) if lines else "— (a leaf has no inputs)")
        self.state_label.setText(s.value_state(nid))
        self.grad_state_label.setText(s.grad_state(nid))
        _set_unless_editing(self.note_edit, doc.note(nid), force)

    def _set_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        self.data_edit.setStyleSheet(ERROR_STYLE if text else "")

    # ---- committing -----------------------------------------------------------------
    def _commit_value(self) -> None:
        if self.doc is None or self.node_id is None:
            return
        node = self.doc.graph.nodes[self.node_id]
        if not node.is_leaf:
            return
        value, error = parse_value(self.data_edit.text(), node.value)
        if error:
            self._set_error(error)
            self.message.emit(f"{node.label}: {error}")
            return
        self._set_error("")
        self.data_edit.setModified(False)
        old = node.value
        if np.shape(old) == np.shape(value) and np.array_equal(old, value) \
                and str(old) == str(value):
            return
        self.push(SetValueCommand(self.doc, self.node_id, old, value))
        self.refresh(force=True)
        self.edit_committed.emit()

    def _commit_label(self) -> None:
        if self.doc is None or self.node_id is None:
            return
        node = self.doc.graph.nodes[self.node_id]
        new = self.label_edit.text().strip()
        self.label_edit.setModified(False)
        if new and new != node.label:
            self.push(RenameCommand(self.doc, self.node_id, node.label, new))
            self.edit_committed.emit()
        self.refresh(force=True)

    def _commit_note(self) -> None:
        if self.doc is None or self.node_id is None:
            return
        old = self.doc.note(self.node_id)
        new = self.note_edit.text().strip()
        self.note_edit.setModified(False)
        if new != old:
            self.push(SetNoteCommand(self.doc, self.node_id, old, new))
            self.edit_committed.emit()

    def _live_toggled(self, flag: bool) -> None:
        if self.doc is not None:
            self.doc.set_live(flag)


def _set_unless_editing(edit: QLineEdit, text: str, force: bool) -> None:
    """Don't overwrite what the user is in the middle of typing."""
    if force or not (edit.hasFocus() and edit.isModified()):
        edit.setText(text)
        edit.setModified(False)


def _bigger(font, factor: float):
    font.setPointSizeF(max(font.pointSizeF(), 9.0) * factor)
    return font
