"""Colours, fonts and card geometry of the canvas.

`Theme` is plain data (hex strings and sizes) so it can be compared, copied and
saved; `Style` turns one theme into the Qt objects the items paint with, built once
per theme and shared by every item (no QColor/QPen/QFont is created while painting).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen, QStaticText


@dataclass(frozen=True)
class CardGeometry:
    """Sizes in scene units (1 unit = 1 pixel at 100 % zoom). Compact, so a dense graph
    (seed 003's 2-2-2 network, ten layers) fits the default window with its text at
    >= 11 px: with the layout's default gaps (170 between layers, 74 between rows)
    each edge gets ~34 units. A tensor's card has a geometry of its own
    (card_text.card_geometry)."""
    width: float = 122.0          # room for 9 characters of numbers (condensed, 14 px)
    height: float = 58.0
    header: float = 20.0          # label row; data and grad rows share the rest
    radius: float = 7.0
    op_radius: float = 12.0
    op_gap: float = -6.0          # circle edge to card edge: < 0 overlaps, a gate on the card
    margin: float = 14.0          # room around the card for highlight, outline, badges

    @property
    def op_center_x(self) -> float:
        return -self.width / 2 - self.op_gap - self.op_radius

    @property
    def op_inset(self) -> float:
        """How far the op circle reaches into the card (0 if it stays outside)."""
        return max(0.0, -self.op_gap)

    @property
    def in_port_x(self) -> float:
        """Where input edges end (left of the op circle), relative to the card centre."""
        return self.op_center_x - self.op_radius

    @property
    def out_port_x(self) -> float:
        return self.width / 2


GEOMETRY = CardGeometry()


@dataclass(frozen=True)
class Theme:
    name: str = "light"
    background: str = "#f6f6f3"
    card: str = "#ffffff"
    card_border: str = "#8c939b"
    header: str = "#eef1f5"
    leaf_header: str = "#e3ecf8"
    text: str = "#1f2328"
    caption: str = "#6e7781"
    pending: str = "#b4b9bf"          # a value not computed yet
    stale: str = "#a0a6ad"            # computed before an upstream leaf changed
    stale_marker: str = "#bc4c00"
    current: str = "#ff6a00"          # the node of the current step (and its glow)
    selection: str = "#7c3aed"
    forward_edge: str = "#ff6a00"     # input edges of the current forward step
    edge: str = "#a3a9b0"             # every other edge
    op_fill: str = "#fff7e0"
    op_border: str = "#8c939b"
    grad_positive: str = "#1660d8"
    grad_negative: str = "#d1242f"
    grad_zero: str = "#8c939b"
    accumulating: str = "#c98a00"     # some consumers have sent their grad
    final: str = "#1a7f37"            # all consumers have sent their grad
    check_ok: str = "#1a7f37"
    check_bad: str = "#d1242f"
    note: str = "#e0a800"
    overview_card: str = "#9aa3ad"
    font_family: str = "DejaVu Sans Condensed"     # condensed: more text per card width
    number_family: str = "DejaVu Sans Condensed"   # its digits are all one width
    label_px: float = 14.0
    number_px: float = 14.0
    caption_px: float = 10.0
    op_px: float = 14.0
    edge_label_px: float = 13.0
    font_scale: float = 1.0
    border_width: float = 1.3
    edge_width: float = 1.6           # screen pixels, whatever the zoom
    current_width: float = 6.0

    @classmethod
    def light(cls) -> "Theme":
        return cls()

    @classmethod
    def dark(cls) -> "Theme":
        return cls(name="dark", background="#1c1d21", card="#2a2c31", card_border="#5d636b",
                   header="#33363c", leaf_header="#2d3a4d", text="#e8e8e8", caption="#9aa1a9",
                   pending="#5f656d", stale="#6f757d", stale_marker="#ff9e57",
                   current="#ff8a1f", selection="#b18cff", forward_edge="#ff8a1f",
                   edge="#5d636b", op_fill="#3a3424", op_border="#7d838b",
                   grad_positive="#4c9bff", grad_negative="#ff5a5f", grad_zero="#7d838b",
                   accumulating="#f0b429", final="#3fbf5f", check_ok="#3fbf5f",
                   check_bad="#ff5a5f", note="#f0c000", overview_card="#6b727a")

    @classmethod
    def projector(cls) -> "Theme":
        """High contrast and bolder lines for the back row (the text is made big by the
        presentation's zoom, so the cards keep their layout)."""
        return cls(name="projector", background="#ffffff", card="#ffffff",
                   card_border="#30363d", header="#e8ecf0", leaf_header="#d6e4f7",
                   text="#000000", caption="#4a525a", pending="#9aa0a6", stale="#8a9097",
                   current="#ff5a00", edge="#7b828a", grad_positive="#0b4fd0",
                   grad_negative="#c8102e", overview_card="#59616a",
                   border_width=2.0, edge_width=2.2, current_width=8.0)

    def scaled(self, font_scale: float) -> "Theme":
        return replace(self, font_scale=font_scale)


def _pen(color: QColor, width: float, style=Qt.SolidLine, cosmetic=False) -> QPen:
    pen = QPen(color, width, style, Qt.RoundCap, Qt.RoundJoin)
    pen.setCosmetic(cosmetic)
    return pen


def _font(family: str, px: float, bold=False, italic=False) -> QFont:
    font = QFont(family)
    font.setPixelSize(max(1, round(px)))
    font.setBold(bold)
    font.setItalic(italic)
    font.setHintingPreference(QFont.PreferNoHinting)   # smooth scaling when zooming
    return font


def _static(text: str) -> QStaticText:
    st = QStaticText(text)
    st.setTextFormat(Qt.PlainText)
    return st


class Style:
    """The Qt objects for one theme, shared by all items of a scene."""

    def __init__(self, theme: Theme, geometry: CardGeometry = GEOMETRY):
        self.theme = theme
        self.geo = geometry
        self.color = {name: QColor(getattr(theme, name)) for name in theme.__dataclass_fields__
                      if str(getattr(theme, name)).startswith("#")}
        self.brush = {name: QBrush(col) for name, col in self.color.items()}
        self._make_fonts(theme)
        self._make_pens(theme)
        self._tints: dict[tuple[str, int], QBrush] = {}
        self.cache: dict = {}              # per-theme render caches (card frames, texts)

    def _make_fonts(self, theme: Theme) -> None:
        s, sans, mono = theme.font_scale, theme.font_family, theme.number_family
        self.label_font = _font(sans, theme.label_px * s, bold=True)
        self.number_font = _font(mono, theme.number_px * s)
        self.stale_font = _font(mono, theme.number_px * s, italic=True)
        self.caption_font = _font(sans, theme.caption_px * s)
        self.badge_font = _font(sans, 13 * s, bold=True)
        self.op_font = _font(sans, theme.op_px * s, bold=True)
        self.op_small_font = _font(sans, theme.op_px * s * 0.68, bold=True)
        self.edge_font = _font(mono, theme.edge_label_px * s, bold=True)
        self.number_metrics = QFontMetricsF(self.number_font)
        self.stale_metrics = QFontMetricsF(self.stale_font)
        self.label_metrics = QFontMetricsF(self.label_font)
        self.edge_metrics = QFontMetricsF(self.edge_font)
        caption_metrics = QFontMetricsF(self.caption_font)
        self.label_height = self.label_metrics.height()
        self.number_height = self.number_metrics.height()
        self.caption_height = caption_metrics.height()
        self.caption_width = caption_metrics.horizontalAdvance("grad") + 3
        self.final_mark = _static("✓")
        self.stale_mark = _static("↻")

    def _make_pens(self, theme: Theme) -> None:
        c, bw = self.color, theme.border_width
        self.border_pen = _pen(c["card_border"], bw)
        self.pending_pen = _pen(c["pending"], bw, Qt.DashLine)
        self.current_pen = _pen(c["current"], theme.current_width)
        glow = QColor(c["current"])
        glow.setAlpha(70)
        self.glow_pen = _pen(glow, theme.current_width * 3.2)
        self.selection_pen = _pen(c["selection"], 2.6, Qt.DashLine)
        self.op_pen = _pen(c["op_border"], bw)
        self.stub_pen = _pen(c["edge"], 2.0)
        self.edge_pen = _pen(c["edge"], theme.edge_width, cosmetic=True)
        self.edge_pen_fast = _pen(c["edge"], 1.0, cosmetic=True)      # Qt's fast thin-line path
        self.text_pen = QPen(c["text"])
        self.caption_pen = QPen(c["caption"])
        self.badge_pen = QPen(QColor("#ffffff"))
        self.no_pen = QPen(Qt.NoPen)
        self.no_brush = QBrush(Qt.NoBrush)

    def text(self, text: str, stale: bool = False) -> tuple[QStaticText, float]:
        """A number's static text (shared by every card showing it) and its width."""
        texts = self.cache.setdefault("texts", {})
        hit = texts.get((text, stale))
        if hit is None:
            if len(texts) > 20_000:
                texts.clear()
            width = (self.stale_metrics if stale else self.number_metrics).horizontalAdvance(text)
            hit = texts[(text, stale)] = (_static(text), width)
        return hit

    def tint(self, name: str, alpha: int) -> QBrush:
        """A translucent brush of a theme colour (row highlights), made once."""
        brush = self._tints.get((name, alpha))
        if brush is None:
            col = QColor(self.color[name])
            col.setAlpha(alpha)
            brush = self._tints[(name, alpha)] = QBrush(col)
        return brush
