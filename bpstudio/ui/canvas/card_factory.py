"""Making a document's cards (NodeItems) and the shelves they sit on; card_set.CardSet
makes them when they are first needed."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsItem

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
    each op's symbol worked out once; names and notes read as each card is made (the
    cards of a big graph are made when first shown: card_set.py)."""
    nodes, stepper, graph = doc.graph.nodes, doc.stepper, doc.graph
    symbols: dict[str, str | None] = {}      # op -> symbol, for ops without attributes

    def make(nid: str, geometry, pos) -> NodeItem:
        node = nodes[nid]
        if node.attrs:
            symbol = op_symbol(node.op, node.attrs)
        elif node.op in symbols:
            symbol = symbols[node.op]
        else:
            symbol = symbols[node.op] = op_symbol(node.op, None)
        label, shape = stepper.labels.get(nid, nid), stepper.program.shapes.get(nid, ())
        if shape:
            label = f"{label}  {'×'.join(map(str, shape))}"
        card = NodeItem(nid, style, fresh, label, symbol, geometry)
        card.setPos(*pos)
        if (graph.view or {}).get("notes", {}).get(nid):
            card.set_note(True)
        return card
    return make
