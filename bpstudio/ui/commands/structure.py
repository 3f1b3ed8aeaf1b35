"""Undoable step into / collapse. Each command calls the Document's mutators only;
the canvas rebuilds itself on `structure_changed`.

Undo puts the cursor back where it was when nothing was stepped in between (the
translated cursor is the smallest equivalent one, which may sit a few steps later).
"""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand


class _StructureCommand(QUndoCommand):
    def __init__(self, doc, node_id: str, expanding: bool, parent=None):
        label = doc.graph.nodes[node_id].label
        super().__init__(f"{'Step into' if expanding else 'Collapse'} {label}", parent)
        self.doc, self.node_id, self.expanding = doc, node_id, expanding
        self._before: int | None = None
        self._after: int | None = None

    def _apply(self, expand: bool) -> None:
        (self.doc.expand if expand else self.doc.collapse)(self.node_id)

    def redo(self) -> None:
        self._before = self.doc.stepper.cursor
        self._apply(self.expanding)
        self._after = self.doc.stepper.cursor

    def undo(self) -> None:
        untouched = self.doc.stepper.cursor == self._after
        self._apply(not self.expanding)
        if untouched and self._before is not None:
            self.doc.run_to(self._before)


class ExpandCommand(_StructureCommand):
    """Step into a composite op: its primitives appear in place."""

    def __init__(self, doc, node_id: str, parent=None):
        super().__init__(doc, node_id, True, parent)


class CollapseCommand(_StructureCommand):
    """Fold an expanded composite back into one node (step over it)."""

    def __init__(self, doc, node_id: str, parent=None):
        super().__init__(doc, node_id, False, parent)


def expand_command(doc, node_id: str | None) -> ExpandCommand | None:
    """Step ▸ Step into on `node_id`; None unless it is a composite op (tanh, sigmoid,
    sse, mse)."""
    if node_id and node_id in doc.graph.nodes and doc.can_expand(node_id):
        return ExpandCommand(doc, node_id)
    return None


def collapse_command(doc, node_id: str | None) -> CollapseCommand | None:
    """Step ▸ Collapse on `node_id`: an expanded composite or any of its parts."""
    owner = doc.expanded_owner(node_id) if node_id and node_id in doc.graph.nodes else None
    return CollapseCommand(doc, owner) if owner is not None else None
