"""A titled, dashed box drawn behind a set of cards: a composite op that was stepped
into ("o = tanh(n) · stepped into"), so the class sees which primitives stand for it.

The box only reads its members' positions; the scene refits it when they move and
rebuilds it with everything else when the structure changes.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from .theme import Style

PAD = 18.0


class GroupBox(QGraphicsItem):
    def __init__(self, style: Style, title: str, members: list):
        super().__init__()
        self.title = title
        self._members = members            # NodeItems
        self._ids = {m.node_id for m in members}
        self._style = style
        self._rect = QRectF()
        self.setZValue(-1)                 # behind the cards, above the edges
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.refit()

    def involves(self, node_ids) -> bool:
        return not self._ids.isdisjoint(node_ids)

    def refit(self) -> None:
        rect = QRectF()
        for m in self._members:
            rect = rect.united(m.mapRectToScene(m.card_rect()))
        fm = self._style.label_metrics
        head = fm.height() + 8
        self.prepareGeometryChange()
        self._rect = rect.adjusted(-PAD - 24, -PAD - head, PAD, PAD)   # room for op circles

    def set_style(self, style: Style) -> None:
        self._style = style
        self.refit()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        s = self._style
        painter.setRenderHint(QPainter.Antialiasing, True)
        pen = QPen(s.color["caption"], 1.6, Qt.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(s.tint("op_fill", 70))
        painter.drawRoundedRect(self._rect, 14, 14)
        painter.setFont(s.label_font)
        painter.setPen(s.color["caption"])
        fm = s.label_metrics
        text = fm.elidedText(self.title, Qt.ElideRight, max(40.0, self._rect.width() - 28))
        painter.drawText(QPointF(self._rect.left() + 14, self._rect.top() + 6 + fm.ascent()), text)


def expansion_boxes(doc, items: dict, style: Style) -> list[GroupBox]:
    """One box per composite op stepped into: its parts and the node itself."""
    from ...model.structure import records
    boxes = []
    for nid, rec in records(doc.graph).items():
        members = [items[m] for m in [*rec.get("parts", ()), nid] if m in items]
        if nid not in items or len(members) < 2:
            continue
        labels = doc.graph.nodes
        args = ", ".join(labels[i].label if i in labels else i for i in rec.get("inputs", ()))
        title = f"{labels[nid].label} = {rec.get('op', '?')}({args})  ·  stepped into"
        boxes.append(GroupBox(style, title, members))
    return boxes
