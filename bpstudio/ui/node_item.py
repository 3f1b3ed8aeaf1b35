"""One value node on the canvas: an op circle feeding a card with label | data | grad.

The item is dumb: the scene hands it strings and states through setters and it
paints them. It reads nothing from the model. To keep "refresh every card" cheap on
big graphs the scene may instead bump a shared generation number; an item whose
generation is old asks the scene to refill it (`Freshness.pull`) the next time it is
painted or read, so only visible cards do the work.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem

from .theme import Style

TEXT_LOD = 0.42          # below this zoom cards paint as plain rectangles, without text
PENDING_TEXT = "·"
STALE_MARK = "↻"
FINAL_MARK = "✓"
PENDING, COMPUTED, STALE = "pending", "computed", "stale"


class Freshness:
    """Shared by a scene's items: the current generation and how to refill an item."""

    __slots__ = ("gen", "pull")

    def __init__(self, pull: Callable[["NodeItem"], None]):
        self.gen = 0
        self.pull = pull


class NodeItem(QGraphicsRectItem):
    """Bounding rect = the rect of QGraphicsRectItem (no pen), so indexing stays in C++."""

    def __init__(self, node_id: str, style: Style, fresh: Freshness,
                 parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.node_id = node_id
        self._style = style
        self._fresh = fresh
        self._gen = -1
        self._label = node_id
        self._op_symbol: str | None = None
        self._leaf = True
        self._data = PENDING_TEXT
        self._grad = ""
        self._state = PENDING
        self._grad_state = "none"
        self._current: str | None = None       # 'forward' | 'seed' | 'backward'
        self._data_mark: str | None = None     # theme colour name tinting the data row
        self._grad_mark: str | None = None
        self._note = False
        self._badge: bool | None = None
        self.last_detail: str | None = None    # 'full' | 'plain': what the last paint drew
        self.setPen(style.no_pen)
        self.setFlags(QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemIsMovable)
        self._fit_bounds()

    # ---- setters (the scene calls these) -----------------------------------------
    def set_content(self, label: str, op_symbol: str | None) -> None:
        """Label text and op symbol (None for a leaf)."""
        leaf = op_symbol is None
        if leaf != self._leaf:
            self._leaf = leaf
            self._fit_bounds()
        self._label, self._op_symbol = label, op_symbol
        self.update()

    def fill(self, data: str, grad: str, state: str, grad_state: str, gen: int) -> None:
        """Numbers and states without scheduling a repaint (safe inside paint)."""
        self._data, self._grad = data, grad
        self._state, self._grad_state = state, grad_state
        self._gen = gen

    def set_current(self, kind: str | None) -> None:
        if kind != self._current:
            self._current = kind
            self.setZValue(1 if kind else 0)
            self.update()

    def set_marks(self, data_mark: str | None, grad_mark: str | None) -> None:
        """Tint the data / grad row with a theme colour (inputs of the current step)."""
        if (data_mark, grad_mark) != (self._data_mark, self._grad_mark):
            self._data_mark, self._grad_mark = data_mark, grad_mark
            self.update()

    def set_note(self, has_note: bool) -> None:
        if has_note != self._note:
            self._note = has_note
            self.update()

    def set_badge(self, ok: bool | None) -> None:
        if ok != self._badge:
            self._badge = ok
            self.update()

    def set_style(self, style: Style) -> None:
        self._style = style
        self._fit_bounds()
        self.update()

    # ---- getters (tests, inspector) -----------------------------------------------
    def _fresh_now(self) -> None:
        if self._gen != self._fresh.gen:
            self._fresh.pull(self)

    def label_text(self) -> str:
        return self._label

    def op_symbol(self) -> str | None:
        return self._op_symbol

    def data_text(self) -> str:
        self._fresh_now()
        return self._data

    def grad_text(self) -> str:
        self._fresh_now()
        return self._grad

    @property
    def state(self) -> str:
        self._fresh_now()
        return self._state

    @property
    def grad_state(self) -> str:
        self._fresh_now()
        return self._grad_state

    def is_current(self) -> bool:
        return self._current is not None

    def current_kind(self) -> str | None:
        return self._current

    def marks(self) -> tuple[str | None, str | None]:
        return self._data_mark, self._grad_mark

    def has_note(self) -> bool:
        return self._note

    def badge(self) -> bool | None:
        return self._badge

    def in_port(self) -> QPointF:
        """Scene point where input edges arrive (the op circle's left side)."""
        return self.mapToScene(QPointF(self._style.geo.in_port_x, 0.0))

    def out_port(self) -> QPointF:
        return self.mapToScene(QPointF(self._style.geo.out_port_x, 0.0))

    def card_rect(self) -> QRectF:
        g = self._style.geo
        return QRectF(-g.width / 2, -g.height / 2, g.width, g.height)

    def _fit_bounds(self) -> None:
        g = self._style.geo
        left = (-g.width / 2) if self._leaf else g.in_port_x
        self.setRect(QRectF(left - g.margin, -g.height / 2 - g.margin,
                            g.width / 2 - left + 2 * g.margin, g.height + 2 * g.margin))

    # ---- painting -----------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self._gen != self._fresh.gen:
            self._fresh.pull(self)
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < TEXT_LOD:
            self.last_detail = "plain"
            self._paint_plain(painter)
            return
        self.last_detail = "full"
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        s = self._style
        card = self.card_rect()
        r = s.geo.radius
        if self._current:
            painter.setPen(s.glow_pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(card, r, r)
        self._paint_card(painter, s, card)
        self._paint_rows(painter, s, card)
        self._paint_outlines(painter, s, card)
        self._paint_corners(painter, s, card)
        if not self._leaf:
            self._paint_op(painter, s)

    def _paint_plain(self, painter: QPainter) -> None:
        s = self._style
        if self._current:
            colour = s.color["current"]
        elif self.isSelected():
            colour = s.color["selection"]
        elif self._state == PENDING:
            colour = s.color["pending"]
        else:
            colour = s.color["overview_card"]
        painter.fillRect(self.card_rect(), colour)

    def _paint_op(self, painter: QPainter, s: Style) -> None:
        g = s.geo
        cx, rad = g.op_center_x, g.op_radius
        if cx + rad < -g.width / 2:
            painter.setPen(s.stub_pen)
            painter.drawLine(QPointF(cx + rad, 0.0), QPointF(-g.width / 2, 0.0))
        painter.setPen(s.op_pen)
        painter.setBrush(s.brush["op_fill"])
        painter.drawEllipse(QPointF(cx, 0.0), rad, rad)
        symbol = self._op_symbol or ""
        painter.setFont(s.op_font if len(symbol) <= 2 else s.op_small_font)
        painter.setPen(s.text_pen)
        painter.drawText(QRectF(cx - rad, -rad, 2 * rad, 2 * rad), Qt.AlignCenter, symbol)

    def _paint_card(self, painter: QPainter, s: Style, card: QRectF) -> None:
        r = s.geo.radius
        painter.setPen(Qt.NoPen)
        painter.setBrush(s.brush["card"])
        painter.drawRoundedRect(card, r, r)
        painter.setBrush(s.brush["leaf_header" if self._leaf else "header"])
        painter.drawPath(_header_path(card, s.geo.header, r))
        painter.setFont(s.label_font)
        painter.setPen(s.text_pen)
        head = QRectF(card.left() + 6, card.top(), card.width() - 12, s.geo.header)
        label = painter.fontMetrics().elidedText(self._label, Qt.ElideMiddle, int(head.width()))
        painter.drawText(head, Qt.AlignCenter, label)

    def _row_rects(self, card: QRectF) -> tuple[QRectF, QRectF]:
        top = card.top() + self._style.geo.header
        h = (card.bottom() - top) / 2
        return (QRectF(card.left(), top, card.width(), h),
                QRectF(card.left(), top + h, card.width(), h))

    def _paint_rows(self, painter: QPainter, s: Style, card: QRectF) -> None:
        data_row, grad_row = self._row_rects(card)
        for row, mark in ((data_row, self._data_mark), (grad_row, self._grad_mark)):
            if mark:
                painter.fillRect(row.adjusted(2, 1, -2, -1), s.tint(mark, 60))
        painter.setPen(s.color["card_border"])
        painter.drawLine(QPointF(card.left(), data_row.top()), QPointF(card.right(), data_row.top()))
        self._paint_row(painter, s, data_row, "data", self._data, self._state)
        self._paint_row(painter, s, grad_row, "grad", self._grad, self._grad_state)
        if self._grad_state == "accumulating":
            painter.setPen(s.accumulating_pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawRoundedRect(grad_row.adjusted(4, 2, -4, -2), 4, 4)

    def _paint_row(self, painter, s: Style, row: QRectF, caption: str, text: str, state: str):
        painter.setFont(s.caption_font)
        painter.setPen(s.caption_pen)
        inner = row.adjusted(8 if self._leaf else s.geo.op_inset + 4, 0, -8, 0)
        painter.drawText(inner, Qt.AlignLeft | Qt.AlignVCenter, caption)
        if state == "final":
            painter.setPen(s.color["final"])
            painter.drawText(inner.adjusted(28, 0, 0, 0), Qt.AlignLeft | Qt.AlignVCenter, FINAL_MARK)
        elif state == STALE:
            painter.setPen(s.color["stale_marker"])
            painter.drawText(inner.adjusted(28, 0, 0, 0), Qt.AlignLeft | Qt.AlignVCenter, STALE_MARK)
        painter.setFont(s.stale_font if state == STALE else s.number_font)
        painter.setPen(_number_colour(s, state))
        room = int(inner.width() - 40)
        shown = s.number_metrics.elidedText(text, Qt.ElideRight, room) if text else text
        painter.drawText(inner, Qt.AlignRight | Qt.AlignVCenter, shown)

    def _paint_corners(self, painter: QPainter, s: Style, card: QRectF) -> None:
        if self._note:
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.brush["note"])
            tip = card.topLeft()
            painter.drawPolygon([tip + QPointF(-4, -4), tip + QPointF(12, -4), tip + QPointF(-4, 12)])
        if self._badge is not None:
            centre = card.topRight() + QPointF(-2, 0)
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.brush["check_ok" if self._badge else "check_bad"])
            painter.drawEllipse(centre, 10, 10)
            painter.setPen(s.badge_pen)
            painter.setFont(s.badge_font)
            painter.drawText(QRectF(centre.x() - 10, centre.y() - 10, 20, 20), Qt.AlignCenter,
                             "✓" if self._badge else "✗")

    def _paint_outlines(self, painter: QPainter, s: Style, card: QRectF) -> None:
        r = s.geo.radius
        painter.setBrush(Qt.NoBrush)
        if self._current:
            painter.setPen(s.current_pen)
        elif self._state == PENDING:
            painter.setPen(s.pending_pen)
        else:
            painter.setPen(s.border_pen)
        painter.drawRoundedRect(card, r, r)
        if self.isSelected():
            painter.setPen(s.selection_pen)
            pad = s.geo.margin * 0.7
            painter.drawRoundedRect(card.adjusted(-pad, -pad, pad, pad), r + pad, r + pad)


def _number_colour(s: Style, state: str):
    if state == PENDING:
        return s.color["pending"]
    if state == STALE:
        return s.color["stale"]
    if state == "accumulating":
        return s.color["accumulating"]
    return s.color["text"]


_HEADER_CACHE: dict[tuple, QPainterPath] = {}


def _header_path(card: QRectF, height: float, radius: float) -> QPainterPath:
    """The card's top band: rounded on top, square where it meets the data row."""
    key = (card.x(), card.y(), card.width(), height, radius)
    path = _HEADER_CACHE.get(key)
    if path is None:
        path = QPainterPath()
        path.addRoundedRect(QRectF(card.left(), card.top(), card.width(), height * 2), radius, radius)
        square = QPainterPath()
        square.addRect(QRectF(card.left(), card.top(), card.width(), height))
        path = path.intersected(square)
        _HEADER_CACHE[key] = path
    return path
