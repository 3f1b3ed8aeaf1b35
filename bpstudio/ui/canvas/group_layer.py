"""The scene's groups: boxes for expanded groups, summary cards for collapsed ones, and
the hidden members' cards drawn at their summary card (see group_item.py).

While any group is folded the canvas shows a diagram: the graph with each folded
group as one node (model/diagram.quotient), laid out afresh with the cards' own
sizes, compact (a network's neurons read as layers); the document's positions are
untouched and come back when the last group opens.

Owned by `GraphScene`, made again whenever the scene is rebuilt; it connects to the
document's `groups_changed` (rebuild) and to the signals that change numbers.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

from ...model import diagram
from ...model import groups as gm
from ...model.layout import layered_layout
from .group_box import GroupBox
from .group_item import (
    GroupFrame,
    SummaryCard,
    card_numbers,
    frame_title,
    summary_label,
)
from .pill_spots import pill_row

DIAGRAM_COLUMN_GAP = 60.0   # clear space between a diagram's columns (edges, arrowheads)
DIAGRAM_ROW_GAP = 8.0       # ... and between cards of one column (16 neurons fit a window)


class GroupLayer:
    def __init__(self, scene, doc, items: dict, style):
        self._scene, self._doc, self._items, self._style = scene, doc, items, style
        self.frames: dict[str, GroupFrame] = {}
        self.cards: dict[str, SummaryCard] = {}
        self.folded: dict[str, str] = {}        # hidden member id -> its card's group id
        self._current: str | None = None        # group id whose card is lit
        self._busy = False
        self._relaid = False                    # items drawn at the diagram's positions
        self._pairs = ((doc.groups_changed, self.rebuild), (doc.cursor_moved, self._numbers),
                       (doc.values_replaced, self._numbers), (doc.leaf_edited, self._numbers))
        for signal, slot in self._pairs:
            signal.connect(slot)

    def detach(self) -> None:
        """The scene is about to drop its items: stop listening to the document."""
        for signal, slot in self._pairs:
            signal.disconnect(slot)

    # ---- building -------------------------------------------------------------------
    def rebuild(self) -> None:
        """Lay every group out from the document (after any change to the groups)."""
        if not (self.frames or self.cards or self._doc.groups() or self._relaid):
            return                       # nothing drawn, nothing to draw
        self._busy = True
        try:
            self._unfold()
            for item in [*self.frames.values(), *self.cards.values()]:
                self._scene.removeItem(item)
            self.frames, self.cards, self._current = {}, {}, None
            groups = [g for g in self._doc.groups() if gm.present_members(self._doc.graph, g)]
            owner = {m: g["id"] for m, g in gm.folded(groups).items() if m in self._items}
            for g in groups:
                self._add(g, owner)
            self._fold(owner)
        finally:
            self._busy = False
        self._numbers()
        self._scene._highlight_step()
        self._scene.layout_changed.emit()

    def _add(self, g: dict, owner: dict) -> None:
        members = [self._items[m] for m in gm.present_members(self._doc.graph, g)]
        if g.get("collapsed") and g["id"] in owner.values():
            card = SummaryCard(self._style, g, summary_label(self._doc.graph, g))
            self.cards[g["id"]] = card
            self._scene.addItem(card)
        elif not all(m.node_id in owner for m in members):
            frame = GroupFrame(self._style, g, members)
            self.frames[g["id"]] = frame
            self._scene.addItem(frame)

    def _diagram_positions(self, owner: dict) -> dict:
        """The graph with every folded group as one node, laid out with card sizes."""
        ids, edges = diagram.quotient(self._doc.graph, owner)
        sizes = {}
        for nid in ids:
            if nid in self.cards:
                r = self.cards[nid].card_rect()
                sizes[nid] = (r.width(), r.height())
            else:
                geo = self._items[nid].geo
                op = 0.0 if self._items[nid].op_symbol() is None else geo.op_radius * 2
                sizes[nid] = (geo.width + op, geo.height)
        return layered_layout(ids, edges, sizes=sizes, layer_gap=DIAGRAM_COLUMN_GAP,
                              node_gap=DIAGRAM_ROW_GAP)

    def _fold(self, owner: dict) -> None:
        """Hide the folded members; with any folded, draw everything at the diagram's
        positions (each folded member at its card). The document keeps its positions."""
        self.folded = owner
        if owner:
            pos = self._diagram_positions(owner)
            for gid, card in self.cards.items():
                card.setPos(*pos[gid])
            moved = []
            for nid, item in self._items.items():
                x, y = pos[owner.get(nid, nid)]
                if item.pos().x() != x or item.pos().y() != y:
                    item.setPos(x, y)
                    moved.append(nid)
            for nid in owner:
                self._items[nid].setVisible(False)
            self._relaid = True
            self._scene._geometry_changed(moved)
        for frame in self.frames.values():
            frame.refit()
        self._grow_scene_rect()

    def _unfold(self) -> None:
        """Every card back at the document's position, the folded ones visible again."""
        if not (self.folded or self._relaid):
            return
        pos = self._doc.positions()
        hidden, self.folded, self._relaid = list(self.folded), {}, False
        moved = []
        for nid, item in self._items.items():
            x, y = pos[nid]
            if item.pos().x() != x or item.pos().y() != y:
                item.setPos(x, y)
                moved.append(nid)
        for nid in hidden:
            if nid in self._items:
                self._items[nid].setVisible(True)     # its shelf hides it in the overview
        self._scene._geometry_changed(moved)

    def _grow_scene_rect(self) -> None:
        """The scene rect fits what is drawn now (Fit shows a folded graph compact)."""
        self._scene._fit_scene_rect()
        rect = self._scene.sceneRect()
        if self._relaid:                  # the diagram: just round its cards
            rect = QRectF()
            for item in [*self.cards.values(), *self._items.values()]:
                if item.isVisible() or item in self.cards.values():
                    rect = rect.united(item.mapRectToScene(item.card_rect()))
            row = pill_row(self._style)                   # room for pills above and below
            rect = rect.adjusted(-34, -row, 22, row)      # op circles on the left
        for item in self._scene.items():
            if isinstance(item, (GroupBox, SummaryCard)):
                rect = rect.united(item.sceneBoundingRect().adjusted(-8, -8, 8, 8))
        self._scene.setSceneRect(rect)

    # ---- the scene's hooks --------------------------------------------------------------
    def moved(self, node_ids) -> None:
        """Cards moved (a drag, an undo): refit boxes; a folded member stays folded."""
        if self._busy or not (self.frames or self.folded):
            return
        ids = set(node_ids)
        if ids & set(self.folded):
            self.rebuild()
            return
        for gid, frame in self.frames.items():
            if frame.involves(ids):
                frame.refit()

    def highlight(self, node: str | None) -> None:
        """The current step's node is folded: light its card, hide lit edges inside it."""
        if not self.cards:
            return
        gid = self.folded.get(node) if node else None
        if self._current in self.cards and self._current != gid:
            self.cards[self._current].set_current(None)
        if gid is not None:
            self.cards[gid].set_current(self._doc.stepper.current.kind)
        self._current = gid
        for edge in self._scene.lit_edges(settle=False):
            inside = self.folded.get(edge.source)
            if inside is not None and inside == self.folded.get(edge.target):
                edge.hide_lit()

    def port(self, node_id: str, side: str):
        """Where a lit edge ends at a folded node: the middle of its card's left ("in")
        or right ("out") side, so the arrowhead shows beside the card, not under it.
        None for a node drawn as itself."""
        card = self.cards.get(self.folded.get(node_id, ""))
        if card is None:
            return None
        rect = card.mapRectToScene(card.card_rect())
        return QPointF(rect.left() if side == "in" else rect.right(), rect.center().y())

    def set_style(self, style) -> None:
        self._style = style
        for item in [*self.frames.values(), *self.cards.values()]:
            item.set_style(style)

    # ---- numbers ----------------------------------------------------------------------
    def _numbers(self, *_args) -> None:
        for gid, card in self.cards.items():
            card.set_numbers(*card_numbers(self._doc, self._group(gid), card.line))
        for gid, frame in self.frames.items():
            g = self._group(gid)
            frame.set_title(frame_title(g, gm.group_grad_norm(self._doc, g)))

    def _group(self, gid: str) -> dict:
        return self._doc.group(gid) or {"id": gid, "members": []}

    # ---- lookups (actions, tests) --------------------------------------------------------
    def selected_group(self) -> str | None:
        for item in self._scene.selectedItems():
            if isinstance(item, (GroupFrame, SummaryCard)):
                return item.group_id
        return None
