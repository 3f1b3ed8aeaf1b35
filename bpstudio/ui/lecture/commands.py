"""Undoable lecture edits: a step's note and a breakpoint. Like commands.py, each
command only calls Document mutators, so every view follows the document's signals."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand


class SetStepNoteCommand(QUndoCommand):
    """The note shown while step `step` is the current one (`step` = the cursor)."""

    def __init__(self, doc, step: int, old: str, new: str, parent=None):
        super().__init__(f"Note on step {step}", parent)
        self.doc, self.step, self.old, self.new = doc, step, old, new

    def redo(self) -> None:
        self.doc.set_step_note(self.step, self.new)

    def undo(self) -> None:
        self.doc.set_step_note(self.step, self.old)


class BreakpointCommand(QUndoCommand):
    """Set (on=True) or clear a breakpoint on one node."""

    def __init__(self, doc, node_id: str, on: bool, parent=None):
        label = doc.graph.nodes[node_id].label
        super().__init__(f"{'Breakpoint on' if on else 'No breakpoint on'} {label}", parent)
        self.doc, self.node_id, self.on = doc, node_id, bool(on)

    def redo(self) -> None:
        self.doc.set_breakpoint(self.node_id, self.on)

    def undo(self) -> None:
        self.doc.set_breakpoint(self.node_id, not self.on)


def clear_breakpoints(doc, stack) -> int:
    """Clear every breakpoint as one undoable macro; returns how many there were."""
    ids = doc.breakpoints()
    if ids:
        stack.beginMacro(f"Clear {len(ids)} breakpoint{'s' if len(ids) > 1 else ''}")
        for nid in ids:
            stack.push(BreakpointCommand(doc, nid, False))
        stack.endMacro()
    return len(ids)
