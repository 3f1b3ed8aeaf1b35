"""Where an edge's pill may go: the spots tried along the edge and beside it, and how
much of the cards and other pills a pill at each spot would cover (edge_item.py)."""
from __future__ import annotations

import numpy as np

SPOT_STEP = 12.0            # pill positions tried along the edge, this far apart
SPOT_REACH = 160.0          # ... up to this far from the preferred one
SPOT_OFFSETS = np.concatenate([[0.0], np.outer(np.arange(1, SPOT_REACH // SPOT_STEP + 1) * SPOT_STEP,
                                                [1.0, -1.0]).ravel()])   # 0, +12, -12, +24 ...
ROWS = np.array([[0.0], [-1.0], [1.0], [-2.0], [2.0], [-3.0], [3.0]])   # on the edge, rows above and below
FAR_ROWS = np.arange(-5.0, 6.0)[:, None]     # the wider search: rows, and ...
FAR_WIDTHS, FAR_STEPS = 1.5, 12              # ... up to 1.5 pill widths left and right


def covered(cx: np.ndarray, cy: np.ndarray, hw: float, hh: float, b: np.ndarray) -> np.ndarray:
    """For pills of half size (hw, hh) centred at cx, cy: the area of the obstacle
    rectangles b (left, top, right, bottom rows) each would cover, flat."""
    ox = np.minimum(cx[..., None] + hw, b[:, 2]) - np.maximum(cx[..., None] - hw, b[:, 0])
    oy = np.minimum(cy[..., None] + hh, b[:, 3]) - np.maximum(cy[..., None] - hh, b[:, 1])
    return (np.maximum(ox, 0.0) * np.maximum(oy, 0.0)).sum(axis=-1).ravel()
