"""Undoable edits of the training settings (lr, epochs, momentum, batch, reduction).

Like commands.py, each command only calls the Document mutator; the panel and the
runner follow the document through `training_changed`.
"""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

NAMES = {"lr": "learning rate", "epochs": "epochs", "momentum": "momentum",
         "batch": "batch size", "reduction": "loss reduction", "loss": "loss node"}


def setting_text(key: str, value) -> str:
    if key == "batch" and value is None:
        return "all rows"
    return f"{value:g}" if isinstance(value, float) else str(value)


class SetTrainingCommand(QUndoCommand):
    """Change one training setting; undo puts the old value back (or removes the key)."""

    def __init__(self, doc, key: str, old, new, parent=None):
        super().__init__(f"Set {NAMES.get(key, key)} to {setting_text(key, new)}", parent)
        self.doc, self.key, self.old, self.new = doc, key, old, new

    def redo(self) -> None:
        self.doc.set_training(self.key, self.new)

    def undo(self) -> None:
        self.doc.set_training(self.key, self.old)
