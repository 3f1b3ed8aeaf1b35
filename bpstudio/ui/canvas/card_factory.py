"""Making a document's cards (NodeItems), so that a big file's can be made ahead, a
chunk at a time between events, while the old document still shows: the window's
opener (window/loader.py) runs `CardBatch.make` in slices, and `GraphScene` then
only places them (graph_scene._build)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsItem

from .card_text import card_geometries, layout_gaps
from .edge_layer import group_nodes
from .node_item import NodeItem
from .step_highlight import op_symbol

SHELF_SIZE = 64            # cards per shelf
SHELF_BAND = 900.0         # ... neighbours: bands this wide, cut by height


class CardShelf(QGraphicsItem):
    """An invisible parent of ~SHELF_SIZE neighbouring cards. Qt's scene, on every
    update, walks its top-level items to find the dirty ones (~10 ns each: 0.7 ms a
    step at 65k cards); with the cards on shelves it walks the shelves and then only
    the shelf of a dirty card. A shelf sits at the origin, so a card's pos() is its
    scene position; it paints nothing."""

    def __init__(self):
        super().__init__()
        self.setFlag(QGraphicsItem.ItemHasNoContents)

    def boundingRect(self) -> QRectF:
        return QRectF()

    def parentItem(self):
        """None, as Qt's would say, but without PySide's side effect: asked from Python,
        QGraphicsItem.parentItem() of a top-level item hands the item (and its cards)
        to Python, which then deletes them with its last reference, or twice."""

    def paint(self, painter, option, widget=None) -> None:
        pass


def neighbours(xy: np.ndarray) -> np.ndarray:
    """A group number per card centred at xy: ~SHELF_SIZE neighbours a group (the
    shelves, and card_index.CardIndex's groups)."""
    return group_nodes(xy, SHELF_BAND, SHELF_SIZE)


def shelve(cards: list, owner: np.ndarray) -> list[CardShelf]:
    """Put `cards` on the shelves `owner` (neighbours) names; returns the shelves (to
    add to the scene, which adds their cards); the scene keeps them (CardShelf.parentItem)."""
    if not cards:
        return []
    owner = owner.tolist()
    shelves = [CardShelf() for _ in range(max(owner) + 1)]
    for card, k in zip(cards, owner):
        card.setParentItem(shelves[k])
    return shelves


def card_label(doc, nid: str) -> str:
    """The card's title: the display name (model/naming.py), a tensor's shape after it."""
    label = doc.stepper.labels.get(nid, nid)
    shape = doc.stepper.program.shapes.get(nid, ())
    return f"{label}  {'×'.join(map(str, shape))}" if shape else label


def card_symbol(doc, nid: str) -> str | None:
    node = doc.graph.nodes[nid]
    return op_symbol(node.op, node.attrs)


def make_card(doc, nid: str, style, fresh, geometry, pos) -> NodeItem:
    """A node's card at `pos`, with its note mark."""
    return card_maker(doc, style, fresh)(nid, geometry, pos)


def card_maker(doc, style, fresh):
    """make_card for many cards of one document: `(nid, geometry, pos) -> NodeItem`,
    the document's names, shapes, op symbols and notes looked up once (65k cards)."""
    labels, shapes = doc.stepper.labels, doc.stepper.program.shapes
    nodes, notes = doc.graph.nodes, (doc.graph.view or {}).get("notes", {})
    symbols: dict[str, str | None] = {}      # op -> symbol, for ops without attributes

    def make(nid: str, geometry, pos) -> NodeItem:
        node = nodes[nid]
        if node.attrs:
            symbol = op_symbol(node.op, node.attrs)
        elif node.op in symbols:
            symbol = symbols[node.op]
        else:
            symbol = symbols[node.op] = op_symbol(node.op, None)
        label, shape = labels.get(nid, nid), shapes.get(nid, ())
        if shape:
            label = f"{label}  {'×'.join(map(str, shape))}"
        card = NodeItem(nid, style, fresh, label, symbol, geometry)
        card.setPos(*pos)
        if notes.get(nid):
            card.set_note(True)
        return card
    return make


class CardBatch:
    """The cards of one document for one scene style, made ahead of `set_document`."""

    def __init__(self, doc, style, fresh):
        self.doc, self.style, self.fresh = doc, style, fresh
        self.geometries = card_geometries(doc.stepper.program)   # tensors' cards are bigger
        doc.set_layout_gaps(*layout_gaps(self.geometries.values()))  # as the scene will
        self.positions = doc.positions()
        self.cards: dict[str, NodeItem] = {}

    def make(self, chunk: int = 500):
        """A generator: makes `chunk` cards per step, yields how many are made."""
        ids, make = self.doc.stepper.program.ids, card_maker(self.doc, self.style, self.fresh)
        for k, nid in enumerate(ids):
            self.cards[nid] = make(nid, self.geometries.get(nid), self.positions.get(nid, (0.0, 0.0)))
            if k % chunk == chunk - 1:
                yield k + 1
        yield len(ids)

    def fits(self, doc, style) -> bool:
        """Made for this document, in this style, and complete."""
        return (doc is self.doc and style is self.style and doc.positions() is self.positions
                and len(self.cards) == len(doc.stepper.program.ids))
