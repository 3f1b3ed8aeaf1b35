"""What the scene marks on cards besides their numbers: numeric-check badges, grads the
quiz keeps hidden, the card where the first NaN/∞ starts, and the card tooltip.

A mixin of GraphScene: it uses the scene's `_doc`, `_items`, `_checks`, `_origin`,
`_origin_text`, `_refresh_item` and `_highlight_step`.
"""
from __future__ import annotations

from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QToolTip

from ...engine import fmt
from .node_item import NodeItem

HIDDEN_TEXT = "?"         # a grad the quiz keeps hidden


class CardMarks:
    def set_check_results(self, results: dict[str, tuple[bool, float]] | None) -> None:
        """Numeric-check badge per leaf: (ok?, relative error); None or {} clears."""
        results = dict(results or {})
        for nid in set(self._checks) - set(results):
            if nid in self._items:
                self._items[nid].set_badge(None)
        for nid, (ok, _err) in results.items():
            if nid in self._items:
                self._items[nid].set_badge(bool(ok))
        self._checks = results

    # ---- quiz: grads kept hidden until revealed (ui/quiz.py) --------------------------
    _hidden: frozenset = frozenset()

    def set_hidden_grads(self, node_ids) -> None:
        """Cards, tooltips and lit edges show `?` for these nodes' grads (and lit edges
        lose their sign colour) until the set changes; an empty set shows everything."""
        hidden = frozenset(node_ids)
        if hidden == self._hidden:
            return
        changed, self._hidden = hidden ^ self._hidden, hidden
        for nid in changed:
            if nid in self._items:
                self._refresh_item(nid)
        self._highlight_step()

    def hidden_grads(self) -> frozenset:
        return self._hidden

    def helpEvent(self, event) -> None:
        """Tooltip: full-precision numbers, the note and the check result."""
        item = self.itemAt(event.scenePos(), QTransform())
        if not isinstance(item, NodeItem):
            QToolTip.hideText()
            return
        QToolTip.showText(event.screenPos(), self.tooltip_text(item.node_id), event.widget())

    def tooltip_text(self, nid: str) -> str:
        st = self._doc.stepper
        lines = [f"{self._doc.graph.nodes[nid].label}   ({self._doc.graph.nodes[nid].op})",
                 f"data = {fmt(st.value(nid)) if st.value_state(nid) != 'pending' else 'not computed yet'}",
                 f"grad = {fmt(st.grad(nid)) if st.grad(nid) is not None else '—'}  ({st.grad_state(nid)})"]
        if nid in self._hidden:
            lines[2] = f"grad = {HIDDEN_TEXT}  (quiz: not revealed yet)"
        if nid in self._checks:
            ok, err = self._checks[nid]
            lines.append(f"numeric check: {'ok' if ok else 'MISMATCH'} (relative error {err:.2e})")
        if self._doc.note(nid):
            lines.append(f"note: {self._doc.note(nid)}")
        if self._origin == nid and self._origin_text:
            lines.append(f"NaN/∞ starts here: {self._origin_text}")
        return "\n".join(lines)

    def set_nonfinite_origin(self, node_id: str | None, text: str = "") -> None:
        """Mark the card where the first NaN/∞ (evaluation order) starts; None clears."""
        old, self._origin, self._origin_text = self._origin, node_id, text
        if old != node_id and old in self._items:
            self._items[old].set_nonfinite_origin(False)
        if node_id in self._items:
            self._items[node_id].set_nonfinite_origin(True)
