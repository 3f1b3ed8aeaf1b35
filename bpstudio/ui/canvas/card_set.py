"""A scene's cards, made when they are first needed.

A 65k-node graph would take half a second to make its 65k cards (NodeItems, in
Python) and a quarter more for Qt to index them, yet a view shows a few dozen of
them. So the scene holds its cards here: the shelves (card_factory.CardShelf, ~64
neighbouring cards each) are placed at once, empty; a card is made the first time
it is asked for (`cards[nid]`: the step's cards, a selection, a search), and a
shelf's cards all together when a view or an export is about to paint an area the
shelf meets (`make_in`). A new card is made as it would have been at the start, at its
current position, and then `dress`ed by the scene with what it marks on cards
(badges, the NaN/∞ origin); its numbers it pulls when painted (card_cache.Freshness).

`CardSet` reads like the dict of every card it replaces (`nid in cards`, `cards[nid]`,
iteration over every id); `made()` and `peek(nid)` see only the cards that exist,
for the work that a card made later would do itself.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np
from PySide6.QtCore import QRectF

from .card_factory import CardShelf
from .node_item import NodeItem, card_bounds


class CardSet(Mapping):
    """The cards of `ids` (program order; `index`: id -> place) centred at `positions`
    (n×2, the edge layer's live array), on the shelves `owner` names (card_factory.
    neighbours). `make(nid, geometry, (x, y))` makes one card in `style`; `dress(card)`
    finishes it."""

    def __init__(self, ids: list[str], index: dict[str, int], positions: np.ndarray,
                 owner: np.ndarray, geometries: dict, make: Callable, dress: Callable, style):
        self._ids, self._index = ids, index          # index: id -> position in ids
        self._xy = positions
        self._owner = owner.tolist()
        self._geometries = geometries
        self._make, self._dress = make, dress
        self._made: dict[str, NodeItem] = {}
        count = int(owner.max(initial=-1)) + 1
        self.shelves = [CardShelf() for _ in range(count)]
        self._order = np.argsort(owner, kind="stable")      # members in program order
        self._starts = np.searchsorted(owner[self._order], np.arange(count + 1))
        self._members = [self._order[a:b].tolist() for a, b in zip(self._starts, self._starts[1:])]
        self._unmade = np.ones(count, bool)
        self._bounds = np.zeros((count, 4))
        self._bounds_from_positions(style)

    # ---- the dict of every card ----------------------------------------------------------
    def __getitem__(self, nid: str) -> NodeItem:
        card = self._made.get(nid)
        if card is None:
            card = self._make_card(self._index[nid])            # KeyError: no such node
        return card

    def __contains__(self, nid) -> bool:
        return nid in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    # ---- the cards that exist --------------------------------------------------------------
    def made(self) -> list[NodeItem]:
        return list(self._made.values())

    def peek(self, nid: str) -> NodeItem | None:
        """`nid`'s card if it has been made (None: it will be made up to date)."""
        return self._made.get(nid)

    def count_made(self) -> int:
        return len(self._made)

    # ---- making ----------------------------------------------------------------------------
    def set_maker(self, make: Callable, style) -> None:
        """Cards made from now on come from `make` in `style` (a new theme: the shelves
        still to be made get bounds for its card sizes)."""
        self._make = make
        self._bounds_from_positions(style)

    def make_in(self, area: QRectF) -> int:
        """Make the cards of every shelf that meets `area`; returns how many were made."""
        if not self._unmade.any():
            return 0
        left, top, right, bottom = area.getCoords()
        b = self._bounds
        hit = self._unmade & (b[:, 0] < right) & (left < b[:, 2]) & (b[:, 1] < bottom) & (top < b[:, 3])
        shelves = np.flatnonzero(hit).tolist()
        for k in shelves:
            self._make_shelf(k)
        return sum(len(self._members[k]) for k in shelves)

    def _make_shelf(self, k: int) -> None:
        """Every card of shelf k not made yet."""
        self._unmade[k] = False
        made, ids = self._made, self._ids
        for i in self._members[k]:
            if ids[i] not in made:
                self._make_card(i)

    def _make_card(self, i: int) -> NodeItem:
        nid, xy = self._ids[i], self._xy
        card = self._make(nid, self._geometries.get(nid), (float(xy[i, 0]), float(xy[i, 1])))
        card.setParentItem(self.shelves[self._owner[i]])
        self._made[nid] = card
        self._dress(card)
        return card

    def _bounds_from_positions(self, style) -> None:
        """Each unmade shelf's bounds: its cards' bounds (as cards with an op circle,
        which reach furthest) at their positions."""
        n = len(self._ids)
        if n == 0:
            return
        r = card_bounds(style, False, None)
        box = np.tile([r.left(), r.top(), r.right(), r.bottom()], (n, 1))
        for nid, geo in self._geometries.items():
            if nid in self._index:
                g = card_bounds(style, False, geo)
                box[self._index[nid]] = (g.left(), g.top(), g.right(), g.bottom())
        box = (box + self._xy[:, [0, 1, 0, 1]])[self._order]
        starts = self._starts[:-1]
        self._bounds = np.hstack([np.minimum.reduceat(box[:, :2], starts),
                                  np.maximum.reduceat(box[:, 2:], starts)])
