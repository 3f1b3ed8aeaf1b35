"""What the scene marks on cards besides their numbers: numeric-check badges, grads the
quiz keeps hidden, the card where the first NaN/∞ starts, and the card tooltip.

A mixin of GraphScene (with the beacon ring of the current card): it uses the
scene's `_doc`, `_items`, `_style`, `_beacon`, `_zoomed_out`, `_checks`, `_origin`,
`_origin_text`, `_refresh_item` and `_highlight_step`.
"""
from __future__ import annotations

from itertools import chain

from PySide6.QtCore import Qt
from PySide6.QtGui import QPen, QTransform
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QToolTip

from ...engine import fmt
from .node_item import NodeItem

HIDDEN_TEXT = "?"         # a grad the quiz keeps hidden


class CardMarks:
    # ---- the beacon: a ring round the current card when zoomed out ---------------------
    def _make_beacon(self) -> QGraphicsEllipseItem:
        """A ring of fixed screen size around the current node when zoomed out."""
        ring = QGraphicsEllipseItem(-26, -26, 52, 52)
        ring.setFlag(QGraphicsItem.ItemIgnoresTransformations)
        ring.setPen(QPen(self._style.color["current"], 5))
        ring.setBrush(Qt.NoBrush)
        ring.setZValue(5)
        ring.setVisible(False)
        ring.setAcceptedMouseButtons(Qt.NoButton)
        self.addItem(ring)
        return ring

    def _place_beacon(self, node: str | None) -> None:
        if node is None:
            self._beacon.setVisible(False)
            return
        self._beacon.setPos(self._items[node].pos())
        self._beacon.setVisible(self._zoomed_out)

    def set_check_results(self, results: dict[str, tuple[bool, float]] | None) -> None:
        """Numeric-check badge per leaf: (ok?, relative error); None or {} clears."""
        results, old = dict(results or {}), self._checks
        self._checks = results                 # a card made later: the scene's _dress
        for nid, badge in chain(((n, None) for n in set(old) - set(results)),
                                ((n, bool(ok)) for n, (ok, _err) in results.items())):
            card = self._items.peek(nid)
            if card is not None:
                card.set_badge(badge)

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
                self._refresh_item(nid)     # made cards only (the others pull when made)
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
        before, now = self._items.peek(old or ""), self._items.peek(node_id or "")
        if old != node_id and before is not None:    # a card made later: the scene's _dress
            before.set_nonfinite_origin(False)
        if now is not None:
            now.set_nonfinite_origin(True)
