"""The scene's groups: boxes for expanded groups, summary cards for collapsed ones, and
the hidden members' cards drawn at their summary card (see group_item.py).

Owned by `GraphScene`, made again whenever the scene is rebuilt; it connects to the
document's `groups_changed` (rebuild) and to the signals that change numbers.
"""
from __future__ import annotations

from ...model import groups as gm
from .group_box import GroupBox
from .group_item import GroupFrame, SummaryCard, card_numbers, frame_title, summary_label


class GroupLayer:
    def __init__(self, scene, doc, items: dict, style):
        self._scene, self._doc, self._items, self._style = scene, doc, items, style
        self.frames: dict[str, GroupFrame] = {}
        self.cards: dict[str, SummaryCard] = {}
        self.folded: dict[str, str] = {}        # hidden member id -> its card's group id
        self._current: str | None = None        # group id whose card is lit
        self._busy = False
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
        if not (self.frames or self.cards or self._doc.groups()):
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
            self._place_cards()
            self._fold(owner)
        finally:
            self._busy = False
        self._numbers()
        self._scene._highlight_step()

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

    def _place_cards(self) -> None:
        """Each card at its members' centre (the document's positions); a column of
        cards as one even stack."""
        pos = self._doc.positions()
        centres = {}
        for gid in self.cards:
            ids = [m for m in gm.present_members(self._doc.graph, self._group(gid))
                   if m in pos]
            xs, ys = [pos[m][0] for m in ids], [pos[m][1] for m in ids]
            centres[gid] = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
        spacing = self._style.geo.height + 46
        for gid, (x, y) in gm.card_positions(centres, spacing).items():
            self.cards[gid].setPos(x, y)

    def _fold(self, owner: dict) -> None:
        """Draw each folded member at its card (the document keeps its position)."""
        self.folded = owner
        for nid, gid in owner.items():
            item = self._items[nid]
            item.setPos(self.cards[gid].pos())
            item.setVisible(False)
        if owner:
            self._scene._geometry_changed(list(owner))
        for frame in self.frames.values():
            frame.refit()
        self._grow_scene_rect()

    def _unfold(self) -> None:
        """Every folded member back at the document's position, visible again."""
        if not self.folded:
            return
        pos, overview = self._doc.positions(), self._scene.is_overview()
        ids, self.folded = list(self.folded), {}
        for nid in ids:
            if nid in self._items:
                self._items[nid].setPos(*pos[nid])
                self._items[nid].setVisible(not overview)
        self._scene._geometry_changed([n for n in ids if n in self._items])

    def _grow_scene_rect(self) -> None:
        """The scene rect fits what is drawn now (Fit shows a folded graph compact)."""
        self._scene._fit_scene_rect()
        rect = self._scene.sceneRect()
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

    def hide_folded(self) -> None:
        """After the scene showed every card again (leaving the overview zoom)."""
        for nid in self.folded:
            self._items[nid].setVisible(False)

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
        for edge in self._scene.lit_edges():
            inside = self.folded.get(edge.source)
            if inside is not None and inside == self.folded.get(edge.target):
                edge.setVisible(False)

    def set_style(self, style) -> None:
        self._style = style
        for item in [*self.frames.values(), *self.cards.values()]:
            item.set_style(style)

    # ---- numbers ----------------------------------------------------------------------
    def _numbers(self, *_args) -> None:
        for gid, card in self.cards.items():
            card.set_numbers(*card_numbers(self._doc, self._group(gid)))
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
