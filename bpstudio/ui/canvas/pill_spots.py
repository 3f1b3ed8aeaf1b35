"""Where an edge's pill may go: the spots tried along the edge and beside it, and how
much of the cards and other pills a pill at each spot would cover (edge_item.py)."""
from __future__ import annotations

import numpy as np

SPOT_STEP = 16.0            # pill positions tried along the edge, this far apart
SPOT_REACH = 128.0          # ... up to this far from the preferred one
SPOT_OFFSETS = np.concatenate([[0.0], np.outer(np.arange(1, SPOT_REACH // SPOT_STEP + 1) * SPOT_STEP,
                                                [1.0, -1.0]).ravel()])   # 0, +16, -16, +32 ...
ROWS = np.array([0.0, -1.0, 1.0, -2.0, 2.0])   # on the edge, rows above and below
FAR_ROWS = np.arange(-4.0, 5.0)             # the wider search: rows, and ...
FAR_WIDTHS, FAR_STEPS = 1.5, 8               # ... up to 1.5 pill widths left and right


def _overlap(c: np.ndarray, half: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(len(c), len(lo)): how far the spans [c - half, c + half] overlap [lo, hi] (≥ 0)."""
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
