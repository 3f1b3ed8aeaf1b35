"""Quiz mode: during the backward pass the grads a step produces stay hidden ("?") on
the cards, the lit edges and the chain-rule text until the lecturer reveals them, so
the class can answer first.

The quiz only decides *what* is hidden; it hands the set to whoever shows grads
(the canvas, the chain-rule panel, the presentation bar) through `hidden_changed`.
A step once revealed stays revealed when the lecturer comes back to it, until the
numbers change (an edit, training) or the quiz is switched off and on again.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Quiz(QObject):
    hidden_changed = Signal(object)       # frozenset of node ids whose grad shows "?"
    toggled = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.on = False
        self.revealed: set[int] = set()     # cursors whose answers were shown
        self.hidden: frozenset = frozenset()

    # ---- document ---------------------------------------------------------------
    def set_document(self, doc) -> None:
        if self.doc is not None:
            self._connect(self.doc, False)
        self.doc = doc
        self.revealed.clear()
        self._connect(doc, True)
        self.update()

    def _connect(self, doc, on: bool) -> None:
        pairs = [(doc.cursor_moved, self._moved), (doc.leaf_edited, self._numbers_changed),
                 (doc.values_replaced, self._numbers_changed)]
        if hasattr(doc, "structure_changed"):         # step into / collapse
            pairs.append((doc.structure_changed, self._numbers_changed))
        for signal, slot in pairs:
            (signal.connect if on else signal.disconnect)(slot)

    def _moved(self, _old: int, _new: int) -> None:
        self.update()

    def _numbers_changed(self, *_args) -> None:
        self.revealed.clear()
        self.update()

    # ---- the lecturer's keys ------------------------------------------------------
    def set_on(self, on: bool) -> None:
        on = bool(on)
        if on != self.on:
            self.on = on
            self.revealed.clear()
            self.toggled.emit(on)
            self.update()

    def reveal(self) -> bool:
        """Show the hidden answers of the current step. False if nothing was hidden."""
        if not self.hidden:
            return False
        self.revealed.add(self.doc.stepper.cursor)
        self.update()
        return True

    def is_hiding(self) -> bool:
        return bool(self.hidden)

    # ---- what is hidden ---------------------------------------------------------------
    def compute(self) -> frozenset:
        """The targets of the current backward step, unless revealed (or quiz off)."""
        if not self.on or self.doc is None:
            return frozenset()
        s = self.doc.stepper
        if s.cursor == 0 or s.cursor in self.revealed or s.kind(s.cursor - 1) != "backward":
            return frozenset()
        return frozenset(f.target for f in s.current.flows)

    def update(self) -> None:
        hidden = self.compute()
        if hidden != self.hidden:
            self.hidden = hidden
            self.hidden_changed.emit(hidden)
