"""The canvas's fast paths answer as Qt's scene would: the card index (card_index.py)
finds the same keep-clear boxes as asking the scene's items, so the pills land on the
same spots; the cards sit on shelves (card_factory.CardShelf)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from bpstudio.model.diagram import network_neurons
from bpstudio.ui.canvas.card_factory import CardShelf
from bpstudio.ui.canvas.card_index import scene_obstacles
from bpstudio.ui.canvas.graph_scene import GraphScene
from bpstudio.ui.canvas.node_item import NodeItem
from bpstudio.ui.canvas.theme import Theme


def boxes(rows: np.ndarray, area: QRectF) -> list[tuple]:
    """The rows that meet `area`, rounded, sorted: what a pill there must avoid."""
    left, top, right, bottom = area.getCoords()
    keep = [r for r in rows.tolist() if r[0] < right and left < r[2] and r[1] < bottom and top < r[3]]
    return sorted(tuple(round(v, 6) for v in r) for r in keep)


def areas(scene, rng) -> list[QRectF]:
    """Round every lit pill (as the search asks) and random spots of the stage."""
    out = [edge.keep_clear().adjusted(-150, -60, 150, 60) for edge in scene.lit_edges()
           if edge.label_text()]
    r = scene.sceneRect()
    for _ in range(12):
        x, y = rng.uniform(r.left(), r.right()), rng.uniform(r.top(), r.bottom())
        out.append(QRectF(x, y, rng.uniform(20, 400), rng.uniform(20, 300)))
    return out


def assert_same_obstacles(scene, rng) -> int:
    me = scene.lit_edges()[0] if scene.lit_edges() else None
    asked = 0
    for area in areas(scene, rng):
        fast = boxes(scene.pill_obstacles(me, area), area)    # cards made or not
        scene.show_area(area)                                 # Qt's: the cards made there
        slow = boxes(scene_obstacles(scene, me, area), area)
        assert fast == slow, area
        asked += len(slow)
    return asked


def pill_spots(doc, scene) -> list:
    """Where every backward step's pills go."""
    spots = []
    doc.run_to(doc.stepper.program.n_forward + 1)
    while doc.stepper.cursor < doc.stepper.total:
        doc.step()
        spots.append([(e.label_text(), round(e.keep_clear().x(), 6), round(e.keep_clear().y(), 6))
                      for e in scene.lit_edges()])
    return spots


@pytest.mark.parametrize("name", ["net-2-2-2.json", "neuron.json", "net-2-2-2-matrix.json"])
def test_pills_land_where_asking_the_scene_puts_them(canvas, monkeypatch, name):
    doc, scene, _ = canvas(name)
    fast = pill_spots(doc, scene)
    monkeypatch.setattr(GraphScene, "pill_obstacles", None)     # the items path
    slow = pill_spots(doc, scene)
    assert fast == slow
    assert any(len(step) > 1 for step in fast)


def test_the_index_follows_moves_folds_themes_and_the_overview(canvas):
    doc, scene, view = canvas("moons-mlp.json")
    rng = np.random.default_rng(7)
    doc.run_to(doc.stepper.program.n_forward + 40)
    seen = assert_same_obstacles(scene, rng)
    nid = doc.stepper.node_at(doc.stepper.cursor)
    x, y = doc.positions()[nid]
    doc.move_node(nid, (x + 333.0, y - 71.0))                   # a drag, an undo
    seen += assert_same_obstacles(scene, rng)
    doc.add_groups([{**g, "collapsed": True} for g in network_neurons(doc.graph)])
    assert scene.groups().folded and scene.groups().cards      # the neuron diagram
    seen += assert_same_obstacles(scene, rng)
    doc.set_groups_collapsed([g["id"] for g in doc.groups()][:5], False)   # some opened
    seen += assert_same_obstacles(scene, rng)
    scene.set_theme(Theme.dark().scaled(1.6))                   # bigger cards
    seen += assert_same_obstacles(scene, rng)
    view.set_zoom(0.02)                                         # the overview: no cards
    assert scene.is_overview()
    assert_same_obstacles(scene, rng)
    view.set_zoom(1.0)
    seen += assert_same_obstacles(scene, rng)
    assert seen > 50                        # the areas did meet cards


def test_cards_sit_on_shelves_and_the_current_one_rises_with_its_shelf(canvas):
    doc, scene, _ = canvas("moons-mlp.json")
    for nid in doc.stepper.program.ids:
        scene.node_item(nid)                                   # made when first needed
    cards = [i for i in scene.items() if isinstance(i, NodeItem)]
    assert len(cards) == len(doc.stepper.program.ids)
    shelves = {c.parentItem() for c in cards}
    assert all(isinstance(s, CardShelf) for s in shelves)
    top = [i for i in scene.items() if i.parentItem() is None]
    assert len(top) < len(cards) / 20                          # 984 cards, ~20 shelves
    doc.run_to(3)
    current = scene.node_item(scene.current_node())
    assert current.parentItem().zValue() == 1
    assert {s.zValue() for s in shelves - {current.parentItem()}} == {0}
    doc.run_to(300)
    now = scene.node_item(scene.current_node())
    if now.parentItem() is not current.parentItem():
        assert current.parentItem().zValue() == 0
    assert now.parentItem().zValue() == 1
