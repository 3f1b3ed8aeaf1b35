"""Fast card painting: the parts that do not change from step to step are rendered
once per (kind of card, zoom) into a pixmap and blitted; text is QStaticText.

A card drawn from scratch costs ~0.6 ms (antialiased rounded rectangles and circle,
seven text layouts); blit + static text is several times cheaper, which is what
keeps "refresh every visible card" inside one frame.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPixmap,
    QStaticText,
    QTransform,
)

from .theme import CardGeometry, Style

# (leaf, op symbol, current, pending, selected, card geometry)
FrameKey = tuple[bool, str | None, bool, bool, bool, CardGeometry]
MAX_FRAMES = 96


def static_text(text: str) -> QStaticText:
    st = QStaticText(text)
    st.setTextFormat(Qt.PlainText)
    st.setPerformanceHint(QStaticText.AggressiveCaching)
    return st


def card_rect(style: Style, geo: CardGeometry | None = None) -> QRectF:
    """The card of a node centred on (0, 0); `geo` for a card of its own size (tensors)."""
    g = geo or style.geo
    return QRectF(-g.width / 2, -g.height / 2, g.width, g.height)


def row_rects(style: Style, geo: CardGeometry | None = None) -> tuple[QRectF, QRectF]:
    card = card_rect(style, geo)
    top = card.top() + (geo or style.geo).header
    h = (card.bottom() - top) / 2
    return (QRectF(card.left(), top, card.width(), h),
            QRectF(card.left(), top + h, card.width(), h))


def draw_frame(painter: QPainter, style: Style, bounds: QRectF, key: FrameKey) -> None:
    """Blit the static part of a card whose item bounding rect is `bounds`. Vector
    devices (SVG, PDF, printers) and rotated or sheared views get it painted."""
    t = painter.worldTransform()
    scale = t.m11()
    engine = painter.paintEngine()
    if (engine is None or engine.type() != QPaintEngine.Raster or t.m12() or t.m21()
            or abs(t.m22() - scale) > 1e-9):
        paint_frame(painter, style, key)
        return
    dpr = painter.device().devicePixelRatioF() if painter.device() else 1.0
    pix = _frame(style, key, bounds, round(scale, 4), dpr)
    origin = t.map(bounds.topLeft())
    painter.setWorldTransform(QTransform())
    painter.drawPixmap(QPointF(round(origin.x()), round(origin.y())), pix)
    painter.setWorldTransform(t)


def _frame(style: Style, key: FrameKey, bounds: QRectF, scale: float, dpr: float) -> QPixmap:
    cache = style.cache.setdefault("frames", {})
    if cache.get("scale") != (scale, dpr) or len(cache) > MAX_FRAMES:
        cache.clear()
        cache["scale"] = (scale, dpr)
    pix = cache.get(key)
    if pix is None:
        size = bounds.size() * scale * dpr
        pix = QPixmap(max(1, round(size.width())), max(1, round(size.height())))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setRenderHint(QPainter.TextAntialiasing, True)
        p.scale(scale, scale)
        p.translate(-bounds.topLeft())
        paint_frame(p, style, key)
        p.end()
        cache[key] = pix
    return pix


def paint_frame(painter: QPainter, s: Style, key: FrameKey) -> None:
    """Everything of a card that does not depend on its numbers or label."""
    leaf, symbol, current, pending, selected, geo = key
    card = card_rect(s, geo)
    r = geo.radius
    painter.setBrush(Qt.NoBrush)
    if current:
        painter.setPen(s.glow_pen)
        painter.drawRoundedRect(card, r, r)
    painter.setPen(Qt.NoPen)
    painter.setBrush(s.brush["card"])
    painter.drawRoundedRect(card, r, r)
    painter.setBrush(s.brush["leaf_header" if leaf else "header"])
    painter.drawPath(_header_path(card, geo.header, r))
    data_row, grad_row = row_rects(s, geo)
    painter.setPen(s.color["card_border"])
    painter.drawLine(QPointF(card.left(), data_row.top()), QPointF(card.right(), data_row.top()))
    painter.setFont(s.caption_font)
    painter.setPen(s.caption_pen)
    inset = 6.0 if leaf else geo.op_inset + 3.0     # node_item.caption_inset
    for row, caption in ((data_row, "data"), (grad_row, "grad")):
        painter.drawText(row.adjusted(inset, 0, 0, 0), Qt.AlignLeft | Qt.AlignVCenter, caption)
    painter.setBrush(Qt.NoBrush)
    painter.setPen(s.current_pen if current else s.pending_pen if pending else s.border_pen)
    painter.drawRoundedRect(card, r, r)
    if selected:
        painter.setPen(s.selection_pen)
        pad = geo.margin * 0.7
        painter.drawRoundedRect(card.adjusted(-pad, -pad, pad, pad), r + pad, r + pad)
    if not leaf:
        _paint_op(painter, s, geo, symbol or "")


def _paint_op(painter: QPainter, s: Style, g: CardGeometry, symbol: str) -> None:
    cx, rad = g.op_center_x, g.op_radius
    if cx + rad < -g.width / 2:
        painter.setPen(s.stub_pen)
        painter.drawLine(QPointF(cx + rad, 0.0), QPointF(-g.width / 2, 0.0))
    painter.setPen(s.op_pen)
    painter.setBrush(s.brush["op_fill"])
    painter.drawEllipse(QPointF(cx, 0.0), rad, rad)
    painter.setFont(op_symbol_font(s, symbol, rad))
    painter.setPen(s.text_pen)
    painter.drawText(QRectF(cx - rad, -rad, 2 * rad, 2 * rad), Qt.AlignCenter, symbol)


OP_FILL = 0.86               # a symbol's width is at most this share of its circle's


def op_symbol_font(s: Style, symbol: str, radius: float) -> QFont:
    """The font an op symbol is drawn in so that it fits its circle (`tanh`, `mean`):
    the theme's op font (small for 3+ characters), condensed and then smaller if the
    text is still wider than OP_FILL of the circle."""
    cache = s.cache.setdefault("op_fonts", {})
    key = (symbol, radius)
    if key not in cache:
        font = QFont(s.op_font if len(symbol) <= 2 else s.op_small_font)
        room = 2 * radius * OP_FILL
        if QFontMetricsF(font).horizontalAdvance(symbol) > room:
            font.setStretch(QFont.Condensed)
        while QFontMetricsF(font).horizontalAdvance(symbol) > room and font.pixelSize() > 7:
            font.setPixelSize(font.pixelSize() - 1)
        cache[key] = font
    return cache[key]


def _header_path(card: QRectF, height: float, radius: float) -> QPainterPath:
    """The card's top band: rounded on top, square where it meets the data row."""
    path = QPainterPath()
    path.addRoundedRect(QRectF(card.left(), card.top(), card.width(), height * 2), radius, radius)
    square = QPainterPath()
    square.addRect(QRectF(card.left(), card.top(), card.width(), height))
    return path.intersected(square)
