"""The canvas scene: one NodeItem per node, batched edge tiles, lit edges of the step.

The scene is the only place that reads the model. It connects to the document's
signals itself: a step updates only the items `document.touched()` names plus the
highlight of the old and new step; anything larger bumps a generation number so
each card refills itself when it is next painted (only visible cards do the work).
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from functools import reduce
from itertools import chain

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsScene

from ...engine.nogc import paused_gc
from ...model.document import Document
from .card_cache import Freshness
from .card_factory import card_label, card_maker, card_symbol, neighbours
from .card_index import CardIndex
from .card_set import CardSet
from .card_text import card_geometries, card_sizes, card_text, layout_gaps
from .edge_item import EdgeItem
from .edge_layer import EdgeLayer
from .group_box import expansion_boxes
from .group_layer import GroupLayer
from .node_item import PENDING_TEXT, TEXT_LOD, NodeItem, box_offsets
from .pill_spots import obstacles, pill_row
from .scene_marks import HIDDEN_TEXT, CardMarks
from .scene_selection import SceneSelection
from .step_highlight import StepHighlight
from .theme import Style, Theme

OVERVIEW_SCALE = 0.12     # below this zoom the edge layer draws the cards instead


class GraphScene(CardMarks, SceneSelection, QGraphicsScene):
    node_selected = Signal(str)                                  # '' when cleared
    node_moved_by_user = Signal(str, float, float, float, float)  # id, old x, y, new x, y
    current_node_changed = Signal(str)                           # '' before the first step
    layout_changed = Signal()                                    # groups folded / unfolded

    def __init__(self, document: Document, theme: Theme | None = None):
        super().__init__()
        self._theme = theme or Theme.light()
        self._style = Style(self._theme)
        self._fresh = Freshness(self._pull)
        self._doc: Document | None = None
        self._items: dict[str, NodeItem] = {}
        self._checks: dict[str, tuple[bool, float]] = {}
        self._origin: str | None = None
        self._origin_text = ""
        self._drag_start: dict[str, QPointF] = {}
        self.background_drawn = False      # an export laid the edges down already
        self._selecting = False
        self._last_selected = ""
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        self.setBackgroundBrush(self._style.color["background"])
        # Through a weak reference, not a bound method: a scene deleted while a card is
        # selected emits selectionChanged from its destructor (the card goes with its
        # shelf), after its Python side has gone -- or, the Python side still held,
        # after its C++ side has (isValid).
        me = weakref.ref(self)
        self.selectionChanged.connect(
            lambda: (scene := me()) is not None and shiboken6.isValid(scene)
            and scene._emit_selection())
        self.set_document(document)

    # ---- building ---------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Drop every item and build the canvas for `document` (its cards are made
        when first needed: card_set.py)."""
        if self._doc is not None:
            self._connect(self._doc, False)
        if self._groups is not None:
            self._groups.detach()
        self._doc = document
        self._checks, self._drag_start = {}, {}
        self._current: str | None = None
        self._origin = None
        self._fresh.cached.clear()        # those cards go now
        self.clear()
        with paused_gc():            # 65k items: no cyclic garbage, so skip the GC walks
            self._build()
        self._highlight = StepHighlight(self, self._items, self._style)
        self._boxes = expansion_boxes(document, self._items, self._style)   # stepped into
        for box in self._boxes:
            self.addItem(box)
            self.setSceneRect(self.sceneRect().united(box.boundingRect().adjusted(-8, -8, 8, 8)))
        self._groups = GroupLayer(self, document, self._items, self._style)  # neurons, layers
        self._highlight.folded_port = self._groups.port
        self._groups.rebuild()
        self._connect(document, True)
        self.refresh_all()

    def _connect(self, doc: Document, on: bool) -> None:
        pairs = ((doc.cursor_moved, self._on_cursor_moved), (doc.leaf_edited, self._on_leaf_edited),
                 (doc.label_changed, self._on_label_changed), (doc.node_moved, self._on_node_moved),
                 (doc.note_changed, self._on_note_changed),
                 (doc.structure_changed, self._on_structure_changed))
        for signal, slot in pairs:
            (signal.connect if on else signal.disconnect)(slot)

    def _on_structure_changed(self) -> None:
        """Nodes came or went (step into / collapse): build again, same zoom level,
        same theme, the selection kept when its node still exists."""
        selected = self.selected_node()
        self._selecting = True        # no selection signals while ids are in flux
        try:
            self.set_document(self._doc)
            self.set_view_scale(self._view_scale, force=True)
            if selected in self._items:
                self._items[selected].setSelected(True)
        finally:
            self._selecting = False
        self._emit_selection()        # only if the selected node went away

    def _build(self) -> None:
        program = self._doc.stepper.program
        geos = card_geometries(program)                          # tensors: bigger
        self._doc.set_layout_gaps(*layout_gaps(geos.values()))
        positions = self._doc.positions()
        self._ids = program.ids
        at, origin = positions.get, (0.0, 0.0)
        xy = np.fromiter(chain.from_iterable([at(nid, origin) for nid in self._ids]), float,
                         2 * len(self._ids)).reshape(-1, 2)
        self._overview = False
        src = np.fromiter(chain.from_iterable(program.inputs), np.int64)
        dst = np.repeat(np.arange(len(program.inputs)), [len(ins) for ins in program.inputs])
        self._edges = EdgeLayer(self._style, xy, src, dst, sizes=card_sizes(self._ids, geos))
        groups = neighbours(xy)
        self._items = CardSet(self._ids, program.index, self._edges.positions, groups, geos,
                              card_maker(self._doc, self._style, self._fresh), self._dress,
                              self._style)
        for shelf in self._items.shelves:
            self.addItem(shelf)                   # empty: cards come when needed
        nodes, ids = self._doc.graph.nodes, self._ids
        self._card_index = CardIndex(
            lambda i: box_offsets(self._style, nodes[ids[i]].op == "leaf", geos.get(ids[i])),
            self._edges.positions, groups)
        self._beacon = self._make_beacon()
        self._fit_scene_rect()

    def _fit_scene_rect(self) -> None:
        xy = self._edges.positions
        if len(xy) == 0:
            self.setSceneRect(QRectF(-200, -200, 400, 400))
            return
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        g = self._style.geo                            # card, op circle, glow; tensors more
        pad = np.array([g.width / 2 + 30.0, g.height / 2 + max(24.0, pill_row(self._style))])
        pad += self._edges.overhang()
        self.setSceneRect(QRectF(*(lo - pad), *(hi - lo + 2 * pad)))

    def drawBackground(self, painter, rect: QRectF) -> None:
        """The background colour, then every edge (the view caches the result; a
        whole-pass export draws it once per camera frame: background_drawn)."""
        if self.background_drawn:
            return
        painter.fillRect(rect, self._style.color["background"])
        painter.save()              # the edges may switch antialiasing off; items (and
        self._edges.draw(painter, rect)   # scene.render's shared painter) need it back
        painter.restore()

    # ---- reading the model into items ------------------------------------------------
    def _pull(self, item: NodeItem) -> None:
        st = self._doc.stepper
        i = st.program.index[item.node_id]
        state = ("pending", "computed", "stale")[st.vstate[i]]
        grad_state = st.grad_state(item.node_id)
        data = PENDING_TEXT if state == "pending" else card_text(st.values[i])
        grad = "" if grad_state == "none" else card_text(st.grads[i])
        if grad and item.node_id in self._hidden:
            grad = HIDDEN_TEXT
        item.fill(data, grad, state, grad_state, self._fresh.gen)

    def _refresh_item(self, nid: str) -> None:
        item = self._items.peek(nid)          # a card made later pulls when painted
        if item is not None:
            self._pull(item)
            item.update()

    def _dress(self, card: NodeItem) -> None:
        """A card just made (card_set.py): what the scene marks on cards."""
        check = self._checks.get(card.node_id)
        if check is not None:
            card.set_badge(bool(check[0]))
        if card.node_id == self._origin:
            card.set_nonfinite_origin(True)

    def show_area(self, area: QRectF) -> None:
        """A view or an export is about to paint `area`: its cards made, the step's
        pills that may show there placed."""
        if not self._overview:
            self._items.make_in(area)
        self._highlight.settle(area)

    def refresh_all(self) -> None:
        """Re-read every node. Cheap: visible cards refill when repainted, others later."""
        self._fresh.bump()
        self._highlight_step()
        self.update()

    # ---- document signals -------------------------------------------------------------
    def _on_cursor_moved(self, old: int, new: int) -> None:
        touched = self._doc.touched(old, new)
        if touched is None:
            self.refresh_all()
            return
        for nid in touched:
            self._refresh_item(nid)
        self._highlight_step()

    def _on_leaf_edited(self, node_id: str) -> None:
        self.refresh_all()                # the stale marks reach downstream

    def _on_label_changed(self, node_id: str) -> None:
        card = self._items.peek(node_id)
        if card is not None:
            card.set_content(card_label(self._doc, node_id), card_symbol(self._doc, node_id))

    def _on_note_changed(self, node_id: str) -> None:
        card = self._items.peek(node_id)
        if card is not None:
            card.set_note(bool(self._doc.note(node_id)))

    def _on_node_moved(self, node_id: str, pos) -> None:
        item = self._items[node_id]
        if item.pos() != QPointF(pos[0], pos[1]):
            item.setPos(pos[0], pos[1])
        self._geometry_changed([node_id])

    def _geometry_changed(self, node_ids) -> None:
        program = self._doc.stepper.program
        dirty = QRectF()
        for nid in node_ids:
            i = program.index[nid]
            p = self._items[nid].pos()
            dirty = dirty.united(self._edges.move(i, p.x(), p.y(), program.inputs[i]))
        self.invalidate(dirty, QGraphicsScene.BackgroundLayer)
        self._card_index.moved()
        self.setSceneRect(self.sceneRect().united(self._moved_rect(node_ids)))
        for box in self._boxes:
            if box.involves(node_ids):
                box.refit()
        if self._highlight.involves(node_ids):
            self._highlight_step()
        if self._groups is not None:
            self._groups.moved(node_ids)

    def _moved_rect(self, node_ids) -> QRectF:
        return reduce(QRectF.united, (self._items[n].sceneBoundingRect() for n in node_ids), QRectF())

    # ---- the current step -------------------------------------------------------------
    def current_node(self) -> str | None:
        rec = self._doc.stepper.current
        return rec.node if rec is not None else None

    def output_node(self) -> str | None:
        out = self._doc.graph.output
        return out if out in self._items else None

    def focus_point(self, node_id: str) -> QPointF:
        """Where the view centres to show `node_id` (a folded node: at its group's card)."""
        return self._items[node_id].pos()

    def _highlight_step(self) -> None:
        """Light the current node, its inputs and the edges between them."""
        node = self._highlight.apply(self._doc.stepper, self._hidden)
        self._groups.highlight(node)
        self._place_beacon(node)
        if node != self._current:
            self._current = node
            self.current_node_changed.emit(node or "")

    def pill_obstacles(self, me, area: QRectF) -> np.ndarray:
        """What a pill (`me`) in `area` keeps clear of, as rows for pill_spots.free_spots:
        the cards shown there (card_index.py), the step's other pills, the summary
        cards of folded groups."""
        cards = (np.zeros((0, 5)) if self._overview else
                 self._card_index.boxes_in(area, self._groups.folded, self._doc.stepper.program.index))
        others = [i for i in (*self._groups.cards.values(), *self._highlight.lit_edges())
                  if i.isVisible()]
        extra = obstacles(others, me)
        return np.concatenate([cards, np.array(extra, dtype=float)]) if extra else cards

    def lit_edges(self, settle: bool = True) -> list[EdgeItem]:
        """The edges lit for the current step, their pills placed (`settle`)."""
        return self._highlight.lit_edges(settle)

    def settle_pills(self, area: QRectF | None = None) -> None:
        """Place the step's pills that may show in `area` (None: all; step_highlight)."""
        self._highlight.settle(area)

    # ---- zoom, theme, badges ----------------------------------------------------------
    _zoomed_out = False
    _view_scale = 1.0
    _groups: GroupLayer | None = None

    def groups(self) -> GroupLayer:
        """The group boxes and summary cards (model/groups.py)."""
        return self._groups

    def set_view_scale(self, scale: float, force: bool = False) -> None:
        """Called by the view when its zoom changes: switch between cards and overview."""
        self._view_scale = scale
        overview = scale < OVERVIEW_SCALE
        if overview != self._overview or force:
            self._overview = self._edges.overview = overview
            for shelf in self._items.shelves:    # and their cards
                shelf.setVisible(not overview)
            self.invalidate(self.sceneRect(), QGraphicsScene.BackgroundLayer)
            if not overview:
                self._highlight_step()      # pills placed while cards were hidden
        self._zoomed_out = scale < TEXT_LOD
        self._beacon.setVisible(self._zoomed_out and self._current is not None)

    def view_scale(self) -> float:
        return self._view_scale

    def text_px(self) -> float:
        """Pixel size of the smallest title or number font of the cards (at 100 %)."""
        s = self._style
        return float(min(s.label_font.pixelSize(), s.number_font.pixelSize()))

    def map_points(self, limit: int) -> list:
        """Card centres for the overview map (every n-th of a huge graph)."""
        xy = self._edges.positions
        step = max(1, len(xy) // max(limit, 1))
        return xy[::step].tolist()

    @contextmanager
    def unselected(self):
        """Paint without the selection outline (exports); no selection signals."""
        items = self.selectedItems()
        self._selecting = True
        self._fresh.drop_pictures()               # painted afresh (card_cache.py)
        try:
            for item in items:
                item.setSelected(False)
            yield
        finally:
            for item in items:
                item.setSelected(True)
            self._selecting = False

    def is_overview(self) -> bool:
        return self._overview

    def theme(self) -> Theme:
        return self._theme

    def style(self) -> Style:
        return self._style

    def set_theme(self, theme: Theme) -> None:
        self._theme, self._style = theme, Style(theme)
        self.setBackgroundBrush(self._style.color["background"])
        for item in self._items.made():
            item.set_style(self._style)
        self._items.set_maker(card_maker(self._doc, self._style, self._fresh), self._style)
        self._card_index.reshaped()
        self._edges.set_style(self._style)
        self.invalidate(self.sceneRect(), QGraphicsScene.BackgroundLayer)
        self._highlight.set_style(self._style)
        self._groups.set_style(self._style)
        for box in self._boxes:
            box.set_style(self._style)
        self._beacon.setPen(QPen(self._style.color["current"], 5))
        self._highlight_step()

    def node_item(self, node_id: str) -> NodeItem:
        return self._items[node_id]
