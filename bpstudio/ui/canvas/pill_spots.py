"""Where an edge's pill may go (edge_item.py): the spots tried along the edge and
beside it, what a pill there must keep clear of (cards, their op circles, the other
pills of the step, the stage's edge) and how much of it a pill at each spot covers."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QTransform

SPOT_STEP = 16.0            # pill positions tried along the edge, this far apart
SPOT_REACH = 128.0          # ... up to this far from the preferred one
SPOT_OFFSETS = np.concatenate([[0.0], np.outer(np.arange(1, SPOT_REACH // SPOT_STEP + 1) * SPOT_STEP,
                                                [1.0, -1.0]).ravel()])   # 0, +16, -16, +32 ...
ROWS = np.array([0.0, -1.0, 1.0, -2.0, 2.0])   # on the edge, rows above and below
FAR_ROWS = np.arange(-4.0, 5.0)             # the wider search: rows, and ...
FAR_WIDTHS, FAR_STEPS = 1.5, 8               # ... up to 1.5 pill widths left and right
FAR_XS = np.linspace(-1.0, 1.0, 2 * FAR_STEPS + 1)   # the wider search's columns, in reaches
LABEL_PAD = 3.0             # clear space kept around a pill
OFF_STAGE_WEIGHT = 0.1      # a pill's area off the scene rect, against one over a card


def pill_row(style) -> float:
    """The room a row of pills needs above and below the cards (the stage's margin)."""
    return style.edge_metrics.height() + 16


def _overlap(c: np.ndarray, half, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(len(c), len(lo)): how far the spans [c - half, c + half] overlap [lo, hi] (≥ 0);
    `half`: one half width, or one for each of c."""
    half = np.asarray(half, dtype=float)[..., None] if np.ndim(half) else half
    o = np.minimum(c[:, None] + half, hi)
    o -= np.maximum(c[:, None] - half, lo)
    return np.maximum(o, 0.0, out=o)


def covered_near(px: np.ndarray, py: np.ndarray, rows: np.ndarray, hw: float, hh: float,
                 b: np.ndarray) -> np.ndarray:
    """For pills of half size (hw, hh) centred at (px[s], py[s] + rows[r]): the weighted
    area of the obstacles b (left, top, right, bottom, weight rows) each covers, flat
    (row-major: every spot of the first row, then the next)."""
    ox = _overlap(px, hw, b[:, 0], b[:, 2])
    ox *= b[:, 4]
    oy = _overlap((py[None, :] + rows[:, None]).ravel(), hh, b[:, 1], b[:, 3])
    oy = oy.reshape(len(rows), len(px), -1)
    oy *= ox
    return oy.sum(axis=-1).ravel()


def covered_grid(xs: np.ndarray, ys: np.ndarray, hw: float, hh: float,
                 b: np.ndarray) -> np.ndarray:
    """The same for the grid of pills at (xs[j], ys[i]), shape (len(ys), len(xs)): the
    overlaps separate into x and y, and the areas are one small matrix product."""
    ox = _overlap(xs, hw, b[:, 0], b[:, 2])
    ox *= b[:, 4]
    return _overlap(ys, hh, b[:, 1], b[:, 3]) @ ox.T


def free_spots(find, stage: QRectF, px: np.ndarray, py: np.ndarray, row: float,
               sizes: list[tuple[float, float]]) -> list[tuple[tuple[float, float], float]]:
    """For pills of each of `sizes` ((w, h) pairs of one height: a label and its short
    form): the first of the points (then the same a row above, a row below) where the
    pill covers nothing; if none is clear, the nearest clear spot around the first
    point (a few pill widths and rows away); else the least covered. `find(area)`: the
    obstacles that may meet `area`, as (k, 5) rows (left, top, right, bottom, weight;
    card_index.py); `stage`: the scene rect (what Fit shows), which a pill stays
    inside. Returns, per size, ((x, y), the weighted area covered there). All sizes
    and spots are scored in one pass over the obstacles of one question (in a dense
    graph the first spot is seldom free)."""
    widths = np.array([w for w, _ in sizes], dtype=float)
    h = sizes[0][1]
    reach_x, reach_y = FAR_WIDTHS * widths, float(FAR_ROWS.max()) * row
    w = float(widths.max())
    area = QRectF(QPointF(min(px.min(), px[0] - reach_x.max()) - w, py.min() - h - reach_y),
                  QPointF(max(px.max(), px[0] + reach_x.max()) + w, py.max() + h + reach_y))
    b = np.concatenate([find(area), np.array(outside(stage))])
    n, m = len(px), len(sizes)
    far_xs = px[0] + FAR_XS[None, :] * reach_x[:, None]                  # sizes × columns
    xs = np.concatenate([np.broadcast_to(px, (m, n)), far_xs], axis=1)
    ox = _overlap(xs.ravel(), (widths / 2 + LABEL_PAD).repeat(n + len(FAR_XS)), b[:, 0], b[:, 2])
    ox *= b[:, 4]
    ox = ox.reshape(m, xs.shape[1], -1)                                  # sizes × xs × k
    ys = np.concatenate([(py[None, :] + ROWS[:, None] * row).ravel(), py[0] + FAR_ROWS * row])
    oy = _overlap(ys, h / 2 + LABEL_PAD, b[:, 1], b[:, 3])              # ys × k
    near = (oy[:len(ROWS) * n].reshape(1, len(ROWS), n, -1) * ox[:, None, :n]).sum(axis=-1)
    far = oy[len(ROWS) * n:] @ ox[:, n:].transpose(0, 2, 1)              # sizes × rows × cols
    return [_choose(near[i].ravel(), far[i], far_xs[i], px, py, row) for i in range(m)]


def _choose(hit: np.ndarray, far: np.ndarray, far_xs: np.ndarray, px, py, row):
    """Of the spots on or by the edge (`hit`, rows × spots, flat) the first clear one;
    if none is, the least covered, nearest spot of the wider grid (`far`, rows ×
    columns at `far_xs`) when it covers less; else the least covered on the edge."""
    if hit.min() > 0 and far.min() < hit.min():       # clear, or covering less (an op circle only)
        ys = py[0] + FAR_ROWS * row
        dist = np.hypot(far_xs[None, :] - px[0], (ys[:, None] - py[0]) * 2)
        k = int(np.lexsort((dist.ravel(), far.ravel()))[0])   # least covered, nearest
        i, j = divmod(k, len(far_xs))
        return (float(far_xs[j]), float(ys[i])), float(far[i, j])
    best = int(np.argmin(hit))                  # the first clear one, if any is
    r, k = divmod(best, len(px))
    return (float(px[k]), float(py[k] + ROWS[r] * row)), float(hit[best])


def outside(stage: QRectF, far: float = 1e5, weight: float = OFF_STAGE_WEIGHT) -> list[tuple]:
    """Four bands around the stage (left, top, right, bottom, weight rows): a pill off
    the stage counts as covering them, so the search keeps it where Fit shows it (a
    little over the edge, where the view has room, rather than over a card's numbers)."""
    left, top, right, bottom = stage.getCoords()
    return [(left - far, top - far, left, bottom + far, weight),
            (right, top - far, right + far, bottom + far, weight),
            (left, top - far, right, top, weight), (left, bottom, right, bottom + far, weight)]


def items_in(scene, area: QRectF) -> list:
    """The items whose bounds meet `area` (a superset of the obstacles there: every
    item's keep-clear boxes lie inside its bounding rect)."""
    return scene.items(area, Qt.IntersectsItemBoundingRect, Qt.AscendingOrder, QTransform())


def obstacles(items, me) -> list[tuple[float, ...]]:
    """What a pill must not cover, as (left, top, right, bottom, weight): every item's
    `clear_boxes()` (cards, their op circles, other pills); cards of other kinds (group
    summaries) by their `card_rect()`. Others (lines, the pill itself) are no obstacle."""
    out = []
    for item in items:
        if item is me:
            continue
        boxes = getattr(item, "clear_boxes", None)
        if boxes is not None:
            out.extend(boxes())
        elif hasattr(item, "card_rect"):
            out.append((*item.mapRectToScene(item.card_rect()).getCoords(), 1.0))
    return out
