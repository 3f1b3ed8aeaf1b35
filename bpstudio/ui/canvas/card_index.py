"""What a step's pills must keep clear of, found without asking Qt's scene.

The pill search (pill_spots.free_spot) asks, a few times a step, for the keep-clear
boxes near an edge. Asking the scene for its items there and each card for its boxes
costs ~0.1 ms a question at 20k cards; here the cards' boxes are numpy rows: the card
centres are the edge layer's live positions (edge_layer.EdgeLayer.positions, kept in
step with every move), each card's box offsets are read once (node_item.box_offsets,
so that cards not made yet count too: card_set.py),
and groups of neighbouring cards carry bounds, so a question looks at the few groups
that meet its area. The few other obstacles (the step's other pills, the summary
cards of folded groups) are asked for directly.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QRectF

from .pill_spots import items_in, obstacles


class CardIndex:
    """The keep-clear boxes of the cards (in program order) centred at `positions`
    (n×2, updated in place by the owner), in the groups of neighbours `owner` names
    (card_factory.neighbours); `shape_of(i)` gives card i's box offsets. Tell it
    when cards move (`moved`) or change shape (`reshaped`); which cards are hidden
    is given with each question."""

    def __init__(self, shape_of: Callable[[int], tuple], positions: np.ndarray, owner: np.ndarray):
        self._shape_of = shape_of
        self._xy = positions
        self._order = np.argsort(owner, kind="stable")        # nodes, group by group
        self._owner = owner[self._order]
        self._offsets: np.ndarray | None = None   # per card in _order: 2×5 box offsets
        self._rows = np.zeros((0, 5))             # every box, group by group
        self._row_node = np.zeros(0, np.int64)    # ... whose card it is
        self._starts = np.zeros(1, np.int64)      # group g's rows: starts[g]:starts[g + 1]
        self._bounds: np.ndarray | None = None    # groups×4; None: rows to be made
        self._hidden_for: object = None           # the `hidden` the mask was made for
        self._shown = np.ones(len(positions), bool)

    def reshaped(self) -> None:
        """Cards may have changed size (a new theme)."""
        self._offsets = self._bounds = None

    def moved(self) -> None:
        self._bounds = None

    def _read_shapes(self) -> None:
        """Each card's boxes around its centre (two rows; weight 0: no op circle)."""
        shapes: dict[tuple, np.ndarray] = {}
        self._offsets = np.zeros((len(self._order), 2, 5))
        for k, i in enumerate(self._order.tolist()):
            boxes = self._shape_of(i)
            if boxes not in shapes:
                shapes[boxes] = np.zeros((2, 5))
                shapes[boxes][:len(boxes)] = boxes
            self._offsets[k] = shapes[boxes]

    def _make_rows(self) -> None:
        if self._offsets is None:
            self._read_shapes()
        boxes = self._offsets.copy()
        boxes[:, :, :4] += self._xy[self._order][:, None, [0, 1, 0, 1]]
        real = boxes[:, :, 4] > 0
        self._rows = boxes[real]
        self._row_node = np.repeat(self._order, real.sum(axis=1))
        groups = np.repeat(self._owner, real.sum(axis=1))
        count = int(self._owner.max(initial=-1)) + 1
        self._starts = np.searchsorted(groups, np.arange(count + 1))
        if not len(self._rows):
            self._bounds = np.zeros((0, 4))
            return
        lo = np.minimum.reduceat(self._rows[:, :2], self._starts[:-1])
        hi = np.maximum.reduceat(self._rows[:, 2:4], self._starts[:-1])
        self._bounds = np.hstack([lo, hi])

    def _shown_mask(self, hidden, ids_index: dict) -> np.ndarray:
        """Which cards show, given `hidden` (node ids; the same object: the same mask)."""
        if hidden is not self._hidden_for:
            self._shown = np.ones(len(self._xy), bool)
            self._shown[[ids_index[nid] for nid in hidden if nid in ids_index]] = False
            self._hidden_for = hidden
        return self._shown

    def boxes_in(self, area: QRectF, hidden, ids_index: dict) -> np.ndarray:
        """(k, 5): the boxes (left, top, right, bottom, weight) of the cards not in
        `hidden` that meet `area`."""
        if self._bounds is None:
            self._make_rows()
        left, top, right, bottom = area.getCoords()
        b, s = self._bounds, self._starts
        near = np.flatnonzero((b[:, 0] < right) & (left < b[:, 2]) & (b[:, 1] < bottom) & (top < b[:, 3]))
        if not len(near):
            return np.zeros((0, 5))
        if len(near) == 1:                          # the usual case: a view, not a copy
            rows = slice(s[near[0]], s[near[0] + 1])
        else:
            rows = np.concatenate([np.arange(s[g], s[g + 1]) for g in near.tolist()])
        r = self._rows[rows]
        meet = (r[:, 0] < right) & (left < r[:, 2]) & (r[:, 1] < bottom) & (top < r[:, 3])
        if hidden:
            meet &= self._shown_mask(hidden, ids_index)[self._row_node[rows]]
        return r[meet]


def scene_obstacles(scene, me, area: QRectF) -> np.ndarray:
    """The same question asked of any scene's items (the reference; scenes without an
    index): the boxes of every visible item meeting `area`, but `me`'s."""
    found = obstacles(items_in(scene, area), me)
    return np.array(found, dtype=float).reshape(-1, 5)
