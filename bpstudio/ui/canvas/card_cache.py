"""What a scene's cards share (`Freshness`): the generation of their numbers, with
how to refill a card whose numbers are older, and the cards that keep a picture of
themselves.

A card that is painted again unchanged (a lit edge of the step passes over it, a
neighbour's glow moves) keeps a pixmap of itself, so that Qt blits it instead of
calling `NodeItem.paint` (QGraphicsItem.DeviceCoordinateCache; Qt draws it anew
after the card's `update()` or at a new zoom). Cards take it on their second paint
in a view, not at birth: setting it costs ~2 µs a card, 0.15 s at 65k cards, and most
cards are never painted. Exports paint without it (a vector file gets vectors).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QPixmapCache
from PySide6.QtWidgets import QGraphicsItem

MAX_CACHED = 3000            # cards keeping a pixmap; the oldest drop theirs
PIXMAP_CACHE_KB = 96 * 1024  # Qt's pixmap cache (10 MB by default: ~200 cards)


class Freshness:
    """Shared by a scene's items: the current generation, how to refill an item,
    and which items keep a pixmap of themselves (oldest first)."""

    __slots__ = ("cached", "gen", "pull")

    def __init__(self, pull: Callable):
        self.gen = 0
        self.pull = pull
        self.cached: dict = {}

    def bump(self) -> None:
        """Every card's numbers are old: the cached pictures too."""
        self.gen += 1
        for card in self.cached:
            card.update()

    def keep_picture(self, card: QGraphicsItem) -> None:
        """`card` keeps a pixmap of itself from now on (its next paint fills it)."""
        if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
            QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
        card.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.cached[card] = None
        if len(self.cached) > MAX_CACHED:
            oldest = next(iter(self.cached))
            del self.cached[oldest]
            oldest.setCacheMode(QGraphicsItem.NoCache)

    def drop_pictures(self) -> None:
        """No card keeps a pixmap (an export paints them afresh, as vectors too)."""
        for card in self.cached:
            card.setCacheMode(QGraphicsItem.NoCache)
        self.cached.clear()
