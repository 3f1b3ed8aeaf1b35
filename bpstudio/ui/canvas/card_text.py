"""What the canvas writes: numbers on cards and edge pills, and how big a tensor's card is.

Numbers are rounded to what a student can read from the back row (6 significant
digits on a scalar card, 4 in a tensor's grid, fewer only when a number would not fit)
but never so that they mislead: a rounded value that would look short and exact keeps
its trailing zeros (0.9999999 reads 1.00000, not 1.0; 0.02654905 reads 0.026549) and
−0.0 reads 0.0.

A tensor card's text is one line per row, cells separated by two spaces; the card
(node_item.py) lays it out as a right-aligned grid. Small tensors (up to 4×4) show
every number, bigger ones their min and max (the shape is in the card's header).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PySide6.QtGui import QFontMetricsF

from ...model.layout import LAYER_GAP, NODE_GAP
from .theme import GEOMETRY, CardGeometry, Theme, _font

MINUS = "\u2212"
SCALAR_DIGITS, SCALAR_CHARS = 6, 9        # a scalar card (test_canvas: fits every theme)
CELL_DIGITS, CELL_CHARS = 4, 9            # one number of a tensor's grid
PILL_DIGITS = 3                           # the first value on a tensor's edge pill
GRID_MAX = 4                              # rows and columns shown in full
CELL_SEP = "  "
EXACT = 1e-9                              # relative error below which rounding is "exact"
REFERENCE_SCALE = 1.0                     # every theme draws text at this size (zoom enlarges)
TENSOR_PILL_ROOM = 16.0                   # tensor pills ("2×2 [−0.105, …]") are longer than scalar ones


def short_number(x, digits: int = SCALAR_DIGITS, max_chars: int = SCALAR_CHARS) -> str:
    """x with `digits` significant digits, fewer (down to 3) if it would be longer than
    `max_chars`: 6.8813735870195432 -> 6.88137, -0.0 -> 0.0, 0.9999999 -> 1.00000."""
    x = float(x)
    text = _rounded(x, digits)
    while len(text) > max_chars and digits > 3:     # one digit less is one character less
        digits = max(3, digits - (len(text) - max_chars))
        text = _rounded(x, digits)
    return text


def _rounded(x: float, digits: int) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return (MINUS if x < 0 else "") + "∞"
    if x == 0.0:
        return "0.0"                                      # −0.0 too
    text = f"{x:.{digits}g}"
    if abs(float(text) - x) > EXACT * abs(x) and _significant(text) <= digits // 2:
        text = f"{x:#.{digits}g}"                         # rounded to a round number: say so
    mantissa, _, exponent = text.partition("e")
    if exponent:
        text = f"{mantissa.rstrip('.')}e{int(exponent)}"
    elif "." not in mantissa:
        text = mantissa + ".0"
    return text.replace("-", MINUS)


def _significant(text: str) -> int:
    """How many significant digits a %g text shows."""
    mantissa = text.partition("e")[0].lstrip("-").replace(".", "")
    return max(len(mantissa.strip("0")), 1)


def grid_shape(shape: tuple) -> tuple[int, int] | None:
    """(rows, columns) of a tensor that its card shows in full (up to 4×4), else None."""
    shape = tuple(shape)
    if 1 <= len(shape) <= 2 and 0 < min(shape) and max(shape) <= GRID_MAX:
        return (1, shape[0]) if len(shape) == 1 else shape
    return None


def card_text(x) -> str:
    """A card's data or grad row: a scalar, a small tensor's rows, or min / max."""
    if x is None:
        return ""
    if not isinstance(x, np.ndarray) or x.ndim == 0:
        return short_number(x)
    grid = grid_shape(x.shape)
    if grid is not None:
        return "\n".join(CELL_SEP.join(short_number(v, CELL_DIGITS, CELL_CHARS) for v in row)
                         for row in x.reshape(grid).tolist())
    if x.size == 0:
        return "[]"
    lo, hi = float(np.min(x)), float(np.max(x))
    return (f"min{CELL_SEP}{short_number(lo, CELL_DIGITS, CELL_CHARS)}\n"
            f"max{CELL_SEP}{short_number(hi, CELL_DIGITS, CELL_CHARS)}")


def number_text(x) -> str:
    """One line: a scalar as on its card; a tensor as its shape and first value (the
    step panel and the tooltip have every number)."""
    if x is None:
        return ""
    if not isinstance(x, np.ndarray) or x.ndim == 0:
        return short_number(x)
    if x.size == 1:
        return f"[{short_number(x.ravel()[0])}]"
    shape = "×".join(map(str, x.shape))
    first = short_number(x.ravel()[0], PILL_DIGITS, CELL_CHARS)
    return f"{shape} [{first}, …]"


# ---- card sizes -----------------------------------------------------------------------
@lru_cache(maxsize=1)
def _reference() -> tuple[float, float, float, float]:
    """(cell width, line height, caption width, column gap) in scene units, measured
    with the largest built-in text so a card's grid fits in every theme."""
    t = Theme()
    number = QFontMetricsF(_font(t.number_family, t.number_px * REFERENCE_SCALE))
    caption = QFontMetricsF(_font(t.font_family, t.caption_px * REFERENCE_SCALE))
    cell = max(number.horizontalAdvance("8" * CELL_CHARS),
               number.horizontalAdvance(MINUS + "8.888e-8"))
    return cell, number.height(), caption.horizontalAdvance("grad") + 3, number.horizontalAdvance("0")


@lru_cache(maxsize=64)
def card_geometry(shape: tuple) -> CardGeometry:
    """The card of a node with value `shape`: the usual one for a scalar; for a tensor
    wide and tall enough for its grid (in both the data and the grad row)."""
    shape = tuple(shape)
    if not shape:
        return GEOMETRY
    rows, cols = grid_shape(shape) or (2, 2)          # a big tensor: min / max
    cell, line, caption, gap = _reference()
    g = GEOMETRY
    width = g.op_inset + 3 + caption + 9 + cols * cell + (cols - 1) * 2 * gap + 5   # node_item
    row = max((g.height - g.header) / 2, rows * line + 8)
    return CardGeometry(width=max(g.width, math.ceil(width)), height=math.ceil(g.header + 2 * row),
                        header=g.header, radius=g.radius, op_radius=g.op_radius,
                        op_gap=g.op_gap, margin=g.margin)


def card_geometries(program) -> dict:
    """node id -> its card's geometry, for the nodes of a compiled program that hold
    tensors ({} for an all-scalar graph: every card is the theme's)."""
    if program.all_scalar:
        return {}
    return {nid: card_geometry(program.shapes.get(nid, ())) for nid in program.ids}


def card_sizes(ids, geometries: dict) -> np.ndarray | None:
    """n × 2 card (width, height) in the order of `ids`; None when all are the theme's."""
    if not geometries:
        return None
    return np.array([(g.width, g.height) for g in (geometries.get(i, GEOMETRY) for i in ids)])


def layout_gaps(geometries) -> tuple[float, float]:
    """(layer gap, node gap) for the layout when some cards are bigger than the theme's:
    the default gaps grown by the biggest card's extra width and height, so every edge
    keeps the room a scalar graph's edges have (plus some for tensor pills)."""
    geos = [g for g in geometries if g is not GEOMETRY]
    if not geos:
        return LAYER_GAP, NODE_GAP
    wider = max(g.width for g in geos) - GEOMETRY.width
    taller = max(g.height for g in geos) - GEOMETRY.height
    return LAYER_GAP + wider + TENSOR_PILL_ROOM, NODE_GAP + taller
