"""Undoable edits. Each command only calls Document mutators, so the model stays the
single source of truth and every change reaches the canvas through its signals.

The QUndoStack's clean state is what decides whether the document counts as modified
(see `bind_clean_state`): undoing back to the saved state clears the window's `*`.
"""
from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtGui import QUndoCommand, QUndoStack

from ...engine import fmt


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


class SetValueCommand(QUndoCommand):
    """Change a leaf's data (float or array)."""

    def __init__(self, doc, node_id: str, old, new, parent=None):
        label = doc.graph.nodes[node_id].label
        super().__init__(f"Set {label} = {fmt(new)}", parent)
        self.doc, self.node_id = doc, node_id
        self.old, self.new = _copy(old), _copy(new)

    def redo(self) -> None:
        self.doc.set_leaf_value(self.node_id, _copy(self.new))

    def undo(self) -> None:
        self.doc.set_leaf_value(self.node_id, _copy(self.old))


class RenameCommand(QUndoCommand):
    def __init__(self, doc, node_id: str, old: str, new: str, parent=None):
        super().__init__(f"Rename {old} to {new}", parent)
        self.doc, self.node_id, self.old, self.new = doc, node_id, old, new

    def redo(self) -> None:
        self.doc.set_label(self.node_id, self.new)

    def undo(self) -> None:
        self.doc.set_label(self.node_id, self.old)


class MoveNodeCommand(QUndoCommand):
    """One finished drag gesture. Never merged: each drag is undone on its own."""

    def __init__(self, doc, node_id: str, old: tuple[float, float],
                 new: tuple[float, float], parent=None):
        label = doc.graph.nodes[node_id].label
        super().__init__(f"Move {label}", parent)
        self.doc, self.node_id = doc, node_id
        self.old, self.new = tuple(old), tuple(new)

    def redo(self) -> None:
        self.doc.move_node(self.node_id, self.new)

    def undo(self) -> None:
        self.doc.move_node(self.node_id, self.old)


class SetNoteCommand(QUndoCommand):
    def __init__(self, doc, node_id: str, old: str, new: str, parent=None):
        label = doc.graph.nodes[node_id].label
        super().__init__(f"Note on {label}", parent)
        self.doc, self.node_id, self.old, self.new = doc, node_id, old, new

    def redo(self) -> None:
        self.doc.set_note(self.node_id, self.new)

    def undo(self) -> None:
        self.doc.set_note(self.node_id, self.old)


class UndoBinding:
    """Keeps `document.modified` equal to 'the undo stack is not at its clean index'."""

    def __init__(self, stack: QUndoStack):
        self.stack = stack
        self.doc = None
        stack.cleanChanged.connect(self._clean_changed)
        stack.indexChanged.connect(self._index_changed)

    def set_document(self, doc) -> None:
        self.doc = doc
        self.stack.clear()
        self.stack.setClean()

    def _clean_changed(self, clean: bool) -> None:
        # QUndoStack's destructor clears itself and emits: nothing to update then.
        if self.doc is not None and shiboken6.isValid(self.stack):
            self.doc.set_modified(not clean)

    def _index_changed(self, _index: int) -> None:
        # A command's mutator marks the document modified; when that lands on the
        # clean index (e.g. undo back to the saved state) the stack wins.
        if self.doc is not None and shiboken6.isValid(self.stack):
            self.doc.set_modified(not self.stack.isClean())
