"""One value node on the canvas: an op circle feeding a card with label | data | grad.

The item is dumb: the scene hands it strings and states through setters and it
paints them. It reads nothing from the model. To keep "refresh every card" cheap on
big graphs the scene may instead bump a shared generation number; an item whose
generation is old asks the scene to refill it (`Freshness.pull`) the next time it is
painted or read, so only visible cards do the work.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QStaticText
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem

from .card_cache import Freshness
from .card_paint import card_rect, draw_frame, row_rects, static_text
from .theme import CardGeometry, Style

TEXT_LOD = 0.42          # below this zoom cards paint as plain rectangles, without text
PENDING_TEXT = "·"
PENDING, COMPUTED, STALE = "pending", "computed", "stale"
_FLAGS = QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemIsMovable
CELL_SEP = "  "          # between the numbers of one row of a tensor's text
MARK_ROOM = 9            # after the caption: the ✓ / ↻ mark of the grad row
RIGHT_PAD = 5            # right of the numbers
ARROW_ROOM = 18.0        # right of a card: a backward step's arrowhead (edge_item._arrow)


OP_CIRCLE_WEIGHT = 1e-3     # a pill over an op circle is better than over a card's numbers


def card_bounds(style: Style, leaf: bool, geometry: CardGeometry | None) -> QRectF:
    """A card's bounding rect around its centre: the card and its margin, and left
    of it the op circle (not a leaf's); `geometry` None: the theme's card. One rect
    for all the cards of a shape (kept in the style's cache)."""
    bounds = style.cache.setdefault("bounds", {})
    rect = bounds.get((leaf, geometry))
    if rect is None:
        g = geometry or style.geo
        left = (-g.width / 2) if leaf else g.in_port_x
        rect = bounds[(leaf, geometry)] = QRectF(left - g.margin, -g.height / 2 - g.margin,
                                                 g.width / 2 - left + 2 * g.margin,
                                                 g.height + 2 * g.margin)
    return rect


def box_offsets(style: Style, leaf: bool, geometry: CardGeometry | None) -> tuple[tuple[float, ...], ...]:
    """A card's keep-clear boxes around its centre (NodeItem.clear_boxes): the card
    (weight 1) and its op circle (OP_CIRCLE_WEIGHT); one tuple per shape, cached."""
    offsets = style.cache.setdefault("clear_boxes", {})
    key = (leaf, geometry)
    if key not in offsets:
        g = geometry or style.geo
        card = (-g.width / 2 - 2, -g.height / 2 - 2, g.width / 2 + 2, g.height / 2 + 2, 1.0)
        if leaf or g.in_port_x >= -g.width / 2:
            offsets[key] = (card,)
        else:
            r = g.op_radius
            offsets[key] = (card, (g.in_port_x - 2, -r - 2, card[0], r + 2, OP_CIRCLE_WEIGHT))
    return offsets[key]


class NodeItem(QGraphicsRectItem):
    """Bounding rect = the rect of QGraphicsRectItem (no pen), so indexing stays in C++."""

    # A new card's state, as class attributes (set on the card when they change: a
    # 65k-node graph makes 65k cards, and each assignment in __init__ costs).
    _gen = -1
    _data, _grad = PENDING_TEXT, ""
    _state, _grad_state = PENDING, "none"
    _current: str | None = None         # 'forward' | 'seed' | 'backward'
    _data_mark: str | None = None       # theme colour name tinting the data row
    _grad_mark: str | None = None
    _note = False
    _badge: bool | None = None
    _origin = False                     # the first NaN/∞ in evaluation order starts here
    last_detail: str | None = None      # 'full' | 'plain': what the last paint drew
    _label_text: QStaticText | None = None    # laid out when first painted
    _label_width = 0.0
    _data_text = _grad_text = None
    _data_width = _grad_width = 0.0
    _view_paints = 0                    # full paints in a view (card_cache.py: the second keeps a picture)

    _own_geo: CardGeometry | None = None
    _leaf = False

    def __init__(self, node_id: str, style: Style, fresh: Freshness, label: str = "",
                 op_symbol: str | None = None, geometry: CardGeometry | None = None):
        """`geometry`: a card of its own size (a tensor's grid); None: the theme's card."""
        super().__init__(card_bounds(style, op_symbol is None, geometry))
        self.node_id = node_id
        self._style = style
        if geometry is not None:
            self._own_geo = geometry
        self._fresh = fresh
        self._label = label or node_id
        self._op_symbol = op_symbol             # None for a leaf
        if op_symbol is None:
            self._leaf = True
        self.setPen(style.no_pen)
        self.setFlags(_FLAGS)

    # ---- setters (the scene calls these) -----------------------------------------
    def set_content(self, label: str, op_symbol: str | None) -> None:
        """Label text and op symbol (None for a leaf)."""
        leaf = op_symbol is None
        if leaf != self._leaf:
            self._leaf = leaf
            self._fit_bounds()
        self._label, self._op_symbol = label, op_symbol
        self._label_text = None
        self.update()

    def fill(self, data: str, grad: str, state: str, grad_state: str, gen: int) -> None:
        """Numbers and states without scheduling a repaint (safe inside paint)."""
        self._data, self._grad = data, grad
        self._state, self._grad_state = state, grad_state
        self._gen = gen
        self._layout_numbers()

    def set_current(self, kind: str | None) -> None:
        if kind != self._current:
            self._current = kind
            self.setZValue(1 if kind else 0)
            shelf = self.parentItem()       # card_factory.CardShelf: over the neighbours'
            if shelf is not None:
                shelf.setZValue(1 if kind else 0)
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

    def set_nonfinite_origin(self, on: bool) -> None:
        """A red '!' on the card where the first NaN/∞ (evaluation order) starts."""
        if on != self._origin:
            self._origin = on
            self.update()

    @property
    def nonfinite_origin(self) -> bool:
        return self._origin

    def set_style(self, style: Style) -> None:
        """New theme: texts are laid out again when next painted (cheap for 65k cards)."""
        self._style = style
        self._fit_bounds()
        self._label_text = None
        self._gen = -1
        self.update()

    @property
    def geo(self) -> CardGeometry:
        return self._own_geo or self._style.geo

    def _layout_label(self) -> None:
        fm, room = self._style.label_metrics, self.geo.width - 12
        text = self._label
        if fm.horizontalAdvance(text) > room:
            text = fm.elidedText(text, Qt.ElideMiddle, room)
        self._label_text, self._label_width = static_text(text), fm.horizontalAdvance(text)

    def _layout_numbers(self) -> None:
        self._data_text, self._data_width = self._number(self._data, self._state == STALE)
        self._grad_text, self._grad_width = self._number(self._grad, self._grad_state == STALE)

    def _number(self, text: str, stale: bool):
        """(static text, width) of one line; a tensor's lines as rows of such pairs."""
        if not text:
            return None, 0.0
        s = self._style
        if "\n" in text or CELL_SEP in text:
            return [[s.text(cell, stale) for cell in line.split(CELL_SEP)]
                    for line in text.split("\n")], 0.0
        hit = s.text(text, stale)
        room = number_room(s, self.geo)
        if hit[1] > room:
            fm = s.stale_metrics if stale else s.number_metrics
            hit = s.text(fm.elidedText(text, Qt.ElideRight, room), stale)
        return hit

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
        return self.mapToScene(QPointF(self.geo.in_port_x, 0.0))

    def out_port(self) -> QPointF:
        return self.mapToScene(QPointF(self.geo.out_port_x, 0.0))

    def card_rect(self) -> QRectF:
        return card_rect(self._style, self.geo)

    def keep_clear(self) -> QRectF:
        """Scene area an edge's pill should not cover: the card's title and numbers, and
        its op circle (a pill over `tanh` hides the very op the step differentiates)."""
        boxes = self.clear_boxes()
        left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
        return QRectF(left, top, right - left, bottom - top)

    def clear_boxes(self) -> tuple[tuple[float, ...], ...]:
        """keep_clear() as (left, top, right, bottom, weight) boxes: the card (weight 1)
        and its op circle (OP_CIRCLE_WEIGHT: covered only when nothing else is free)."""
        x, y = self.x(), self.y()
        return tuple((x + a, y + b, x + c, y + d, w) for a, b, c, d, w in self.box_offsets())

    def box_offsets(self) -> tuple[tuple[float, ...], ...]:
        """clear_boxes() around the card's centre (shared by the cards of one shape)."""
        return box_offsets(self._style, self._leaf, self._own_geo)

    def _fit_bounds(self) -> None:
        self.setRect(card_bounds(self._style, self._leaf, self._own_geo))

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
        if widget is not None and self._view_paints < 2:
            self._view_paints += 1
            if self._view_paints == 2:      # painted again: keep a picture (card_cache.py)
                self._fresh.keep_picture(self)
        s = self._style
        key = (self._leaf, self._op_symbol, self._current is not None,
               self._state == PENDING, self.isSelected(), self.geo)
        draw_frame(painter, s, self.rect(), key)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setRenderHint(QPainter.TextAntialiasing, True)
        self._paint_texts(painter, s)
        if self._note or self._badge is not None or self._origin:
            self._paint_corners(painter, s, self.card_rect())

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

    def _paint_texts(self, painter: QPainter, s: Style) -> None:
        data_row, grad_row = row_rects(s, self.geo)
        for row, mark in ((data_row, self._data_mark), (grad_row, self._grad_mark)):
            if mark:
                painter.fillRect(row.adjusted(2, 1, -2, -1), s.tint(mark, 60))
        head = self.card_rect()
        if self._label_text is None:
            self._layout_label()
        painter.setFont(s.label_font)
        painter.setPen(s.text_pen)
        painter.drawStaticText(QPointF(-self._label_width / 2, head.top() + (self.geo.header - s.label_height) / 2),
                               self._label_text)
        self._paint_number(painter, s, data_row, self._data_text, self._data_width, self._state)
        self._paint_number(painter, s, grad_row, self._grad_text, self._grad_width, self._grad_state)
        if self._grad_state == "accumulating":
            bar = QRectF(grad_row.left() + 3, grad_row.top() + 3, 4, grad_row.height() - 6)
            painter.fillRect(bar, s.color["accumulating"])

    def _paint_number(self, painter, s: Style, row: QRectF, text, width: float, state: str):
        top = row.center().y() - s.number_height / 2
        if state in ("final", STALE):
            painter.setFont(s.caption_font)
            painter.setPen(s.color["final" if state == "final" else "stale_marker"])
            mark = s.final_mark if state == "final" else s.stale_mark
            x = self._text_left(s, row)
            painter.drawStaticText(QPointF(x, row.center().y() - s.caption_height / 2), mark)
        if text is None:
            return
        painter.setFont(s.stale_font if state == STALE else s.number_font)
        painter.setPen(_number_colour(s, state))
        if isinstance(text, list):
            self._paint_grid(painter, s, row, text)
        else:
            painter.drawStaticText(QPointF(row.right() - RIGHT_PAD - width, top), text)

    def _text_left(self, s: Style, row: QRectF) -> float:
        """Where the ✓ / ↻ mark goes: after the row's caption."""
        return row.left() + caption_inset(self.geo, self._leaf) + s.caption_width

    def _paint_grid(self, painter: QPainter, s: Style, row: QRectF, rows: list) -> None:
        """A tensor's numbers, right-aligned in equal columns after the caption."""
        cols = max(len(r) for r in rows)
        right = row.right() - RIGHT_PAD
        slot = (right - self._text_left(s, row) - MARK_ROOM) / cols
        y = row.center().y() - len(rows) * s.number_height / 2
        for cells in rows:
            for j, (text, width) in enumerate(cells):
                painter.drawStaticText(QPointF(right - (cols - 1 - j) * slot - width, y), text)
            y += s.number_height

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
        if self._origin:
            centre = card.topRight() + QPointF(-26 if self._badge is not None else -2, 0)
            painter.setPen(Qt.NoPen)
            painter.setBrush(s.brush["check_bad"])
            painter.drawEllipse(centre, 10, 10)
            painter.setPen(s.badge_pen)
            painter.setFont(s.badge_font)
            painter.drawText(QRectF(centre.x() - 10, centre.y() - 10, 20, 20), Qt.AlignCenter, "!")


def caption_inset(geo: CardGeometry, leaf: bool) -> float:
    """Card edge to the "data" / "grad" caption (past the op circle's overlap)."""
    return 6.0 if leaf else geo.op_inset + 3.0


def number_room(s: Style, geo: CardGeometry) -> float:
    """How wide a number on a scalar card may be (wider ones are elided)."""
    return geo.width - caption_inset(geo, False) - s.caption_width - MARK_ROOM - RIGHT_PAD


def _number_colour(s: Style, state: str):
    if state == PENDING:
        return s.color["pending"]
    if state == STALE:
        return s.color["stale"]
    if state == "accumulating":
        return s.color["accumulating"]
    return s.color["text"]
