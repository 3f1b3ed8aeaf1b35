"""Groups on the canvas (model/groups.py): an expanded group is a dashed titled box
around its members ("l1n3 · ‖grad‖ = 0.123"); a collapsed one is ONE summary card at
the group's centre ("l1n3 (neuron, 8 nodes)", the output's data, the grad norm).

Folding moves nothing in the document. The hidden members' cards are drawn at the
summary card's centre through the scene's own move path (`_geometry_changed`), so
the edges that enter or leave the group end at the summary card and internal edges
shrink under it; expanding puts every card back at the document's position.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem

from ...engine import fmt
from ...model import groups as gm
from .group_box import GroupBox
from .step_highlight import number_text
from .theme import Style

CARD_WIDTH = 1.4          # summary card width in card widths (covers the op circle's port)
LINE_HEIGHT = 28.0        # a neuron's card in the diagram: one line, title | data | ‖grad‖
LINE_NUMBER = "−8.888e−8"  # the widest number a line card leaves room for


def norm_text(norm) -> str:
    return "—" if norm is None else fmt(norm, 4)


def line_number(x) -> str:
    """A number on a neuron's line card: 4 significant digits, at most 9 characters."""
    from .card_text import short_number
    return short_number(x, 4, 9)


class GroupFrame(GroupBox):
    """An expanded group's box; its title band can be clicked to select the group."""

    def __init__(self, style: Style, group: dict, members: list):
        self.group_id = group["id"]
        super().__init__(style, group.get("title") or self.group_id, members)
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self.setZValue(-1.5)               # nested boxes: the inner ones stay clickable

    def set_title(self, title: str) -> None:
        if title != self.title:
            self.title = title
            self.update()

    def _head(self) -> QRectF:
        r = self._rect
        return QRectF(r.left(), r.top(), r.width(), self._style.label_metrics.height() + 12)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self._head())
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        super().paint(painter, option, widget)
        if self.isSelected():
            painter.setBrush(Qt.NoBrush)
            painter.setPen(self._style.selection_pen)
            painter.drawRoundedRect(self._rect.adjusted(-4, -4, 4, 4), 16, 16)


class SummaryCard(QGraphicsItem):
    """A collapsed group: a card (drawn as a small stack) with label, data and ‖grad‖."""

    def __init__(self, style: Style, group: dict, label: str):
        super().__init__()
        self.group_id = group["id"]
        self._style = style
        self._label = label
        self._title = group.get("title") or self.group_id
        self.line = group.get("kind") == "neuron"      # one compact line per neuron
        self._data = self._norm = ""
        self._current: str | None = None
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setZValue(2.5)                # over the hidden members' (lit) edges: they end at its side

    # ---- setters / getters ----------------------------------------------------------
    def set_numbers(self, data: str, norm: str) -> None:
        if (data, norm) != (self._data, self._norm):
            self._data, self._norm = data, norm
            self.update()

    def set_current(self, kind: str | None) -> None:
        if kind != self._current:
            self._current = kind
            self.update()

    def set_style(self, style: Style) -> None:
        self.prepareGeometryChange()
        self._style = style
        self.update()

    def label_text(self) -> str:
        return self._label

    def data_text(self) -> str:
        return self._data

    def norm_text(self) -> str:
        return self._norm

    def is_current(self) -> bool:
        return self._current is not None

    def card_rect(self) -> QRectF:
        g, s = self._style.geo, self._style
        if self.line:
            number = s.number_metrics.horizontalAdvance(LINE_NUMBER)
            w = (s.label_metrics.horizontalAdvance(self._title) + 2 * number
                 + s.caption_width + 44)
            return QRectF(-w / 2, -LINE_HEIGHT / 2, w, LINE_HEIGHT)
        w = max(g.width * CARD_WIDTH, s.label_metrics.horizontalAdvance(self._label) + 28)
        return QRectF(-w / 2, -g.height / 2, w, g.height)

    def keep_clear(self) -> QRectF:
        """Pills stay off the card's text."""
        return self.card_rect().translated(self.pos()).adjusted(-2, -2, 2, 2)

    def boundingRect(self) -> QRectF:
        return self.card_rect().adjusted(-14, -14, 14, 14)

    # ---- painting ---------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        s, card, r = self._style, self.card_rect(), self._style.geo.radius
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        for d in ((3,) if self.line else (8, 4)):      # the stack: several nodes folded
            painter.setPen(s.border_pen)
            painter.setBrush(s.brush["card"])
            painter.drawRoundedRect(card.translated(d, -d), r, r)
        if self._current:
            painter.setPen(s.glow_pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(card, r, r)
        painter.setPen(Qt.NoPen)
        painter.setBrush(s.brush["card"])
        painter.drawRoundedRect(card, r, r)
        if self.line:
            self._paint_line(painter, s, card)
        else:
            head = QRectF(card.left(), card.top(), card.width(), s.geo.header)
            painter.fillRect(head.adjusted(1, 1, -1, 0), s.brush["header"])
            self._paint_rows(painter, s, card, head)
        painter.setBrush(Qt.NoBrush)
        painter.setPen(s.current_pen if self._current else s.border_pen)
        painter.drawRoundedRect(card, r, r)
        if self.isSelected():
            painter.setPen(s.selection_pen)
            painter.drawRoundedRect(card.adjusted(-10, -10, 10, 10), r + 10, r + 10)

    def _paint_line(self, painter: QPainter, s: Style, card: QRectF) -> None:
        """title | data | ‖∇‖ norm, on one line (the diagram's neuron card)."""
        title_w = s.label_metrics.horizontalAdvance(self._title) + 16
        head = QRectF(card.left(), card.top(), title_w, card.height())
        painter.fillRect(head.adjusted(1, 1, 0, -1), s.brush["header"])
        painter.setPen(s.color["card_border"])
        painter.drawLine(head.topRight(), head.bottomRight())
        painter.setFont(s.label_font)
        painter.setPen(s.text_pen)
        painter.drawText(head, Qt.AlignCenter, self._title)
        number = s.number_metrics.horizontalAdvance(LINE_NUMBER)
        data = QRectF(head.right() + 6, card.top(), number, card.height())
        norm = QRectF(card.right() - 8 - number, card.top(), number, card.height())
        painter.setFont(s.caption_font)
        painter.setPen(s.caption_pen)
        painter.drawText(QRectF(data.right() + 4, card.top(), s.caption_width + 8, card.height()),
                         Qt.AlignLeft | Qt.AlignVCenter, "‖∇‖")
        painter.setFont(s.number_font)
        painter.setPen(s.text_pen)
        painter.drawText(data, Qt.AlignRight | Qt.AlignVCenter, self._data)
        painter.drawText(norm, Qt.AlignRight | Qt.AlignVCenter, self._norm)

    def _paint_rows(self, painter: QPainter, s: Style, card: QRectF, head: QRectF) -> None:
        painter.setFont(s.label_font)
        painter.setPen(s.text_pen)
        label = s.label_metrics.elidedText(self._label, Qt.ElideMiddle, card.width() - 12)
        painter.drawText(head, Qt.AlignCenter, label)
        h = (card.bottom() - head.bottom()) / 2
        painter.setPen(s.color["card_border"])
        painter.drawLine(QPointF(card.left(), head.bottom()), QPointF(card.right(), head.bottom()))
        for k, (caption, text) in enumerate((("data", self._data), ("‖grad‖", self._norm))):
            row = QRectF(card.left() + 8, head.bottom() + k * h, card.width() - 16, h)
            painter.setFont(s.caption_font)
            painter.setPen(s.caption_pen)
            painter.drawText(row, Qt.AlignLeft | Qt.AlignVCenter, caption)
            painter.setFont(s.number_font)
            painter.setPen(s.text_pen)
            painter.drawText(row, Qt.AlignRight | Qt.AlignVCenter, text)


def summary_label(graph, group: dict) -> str:
    n = len(gm.present_members(graph, group))
    kind = group.get("kind")
    return f"{group.get('title') or group['id']} ({kind + ', ' if kind else ''}{n} nodes)"


def frame_title(group: dict, norm) -> str:
    return f"{group.get('title') or group['id']}  ·  ‖grad‖ = {norm_text(norm)}"


def card_numbers(doc, group: dict, line: bool = False) -> tuple[str, str]:
    value = gm.group_value(doc, group)
    outs = gm.outputs(doc.graph, group)
    scalar = value is not None and getattr(value, "ndim", 0) == 0
    text = line_number if line and scalar else number_text
    data = text(value) if value is not None else ("·" if len(outs) == 1 else
                                                  f"{len(outs)} outputs")
    return data, norm_text(gm.group_grad_norm(doc, group))
