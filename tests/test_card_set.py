"""The canvas makes a card when it is first needed (canvas/card_set.py): a card made
late is the card that would have been made at the start and kept up to date, what
a view or an export shows is the same picture, and a view makes only the cards
round what it shows (none in the overview)."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QApplication

from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.canvas.export import frame_for, render_image
from bpstudio.ui.canvas.graph_scene import GraphScene
from bpstudio.ui.canvas.node_item import NodeItem
from bpstudio.ui.canvas.theme import Theme

EXAMPLE = "moons-mlp.json"           # 984 cards: about 20 shelves


def made(scene) -> list[NodeItem]:
    return [i for i in scene.items() if isinstance(i, NodeItem)]


def card_state(card: NodeItem) -> tuple:
    p = card.pos()
    return (card.label_text(), card.op_symbol(), card.data_text(), card.grad_text(), card.state,
            card.grad_state, card.badge(), card.nonfinite_origin, card.has_note(), card.marks(),
            card.current_kind(), (p.x(), p.y()), card.isVisible(), card.geo, card.zValue(),
            card.boundingRect().getRect(), card.box_offsets())


def test_a_card_made_late_is_the_card_made_at_the_start(qapp):
    doc = Document.open(EXAMPLES / EXAMPLE)
    eager, lazy = GraphScene(doc), GraphScene(doc)
    ids = doc.stepper.program.ids
    for nid in ids:
        eager.node_item(nid)
    assert len(made(lazy)) < len(ids) / 4
    leaves = [n for n in ids if doc.graph.nodes[n].op == "leaf"]
    inner = [n for n in ids if doc.graph.nodes[n].op != "leaf"]
    doc.run_to(doc.stepper.program.n_forward + 40)
    for scene in (eager, lazy):
        scene.set_check_results({leaves[-1]: (True, 1e-9), leaves[-2]: (False, 0.25)})
        scene.set_nonfinite_origin(inner[-3], "tanh(∞)")
        scene.set_hidden_grads({leaves[-3], inner[-4]})
    doc.set_note(leaves[-5], "a note")
    doc.set_label(inner[-6], "renamed")
    x, y = doc.positions()[inner[-7]]
    doc.move_node(inner[-7], (x + 40.0, y - 30.0))
    for scene in (eager, lazy):
        scene.set_theme(Theme.dark().scaled(1.4))
    doc.step()
    assert len(made(lazy)) < len(ids) / 2             # still: most are not made
    for nid in ids:
        assert card_state(lazy.node_item(nid)) == card_state(eager.node_item(nid)), nid


def test_an_export_of_a_lazy_scene_is_the_picture_of_an_eager_one(qapp):
    doc = Document.open(EXAMPLES / EXAMPLE)
    eager, lazy = GraphScene(doc), GraphScene(doc)
    for nid in doc.stepper.program.ids:
        eager.node_item(nid)
    doc.run_to(doc.stepper.program.n_forward + 25)
    r = eager.sceneRect()
    area = QRectF(r.center().x() - 500, r.center().y() - 300, 1000, 600)
    before = len(made(lazy))
    images = [render_image(scene, frame_for(scene, 1.0, area)) for scene in (eager, lazy)]
    assert len(made(lazy)) > before                   # the export made the cards there
    assert images[0] == images[1]


def test_a_view_makes_the_cards_round_what_it_shows(canvas):
    doc, scene, view = canvas(EXAMPLE)
    view.set_follow(False)
    view.set_zoom(1.0)
    view.center_on_node(doc.stepper.program.ids[0], animate=False)
    view.grab()
    QApplication.processEvents()
    shown = view.visible_scene_rect()
    cards = made(scene)
    assert 0 < len(cards) < len(doc.stepper.program.ids) / 3
    centres = {nid for nid, (x, y) in doc.positions().items() if shown.contains(x, y)}
    assert centres <= {c.node_id for c in cards}
    far = max(doc.positions(), key=lambda nid: doc.positions()[nid][0])
    assert far not in {c.node_id for c in cards}
    view.center_on_node(far, animate=False)           # panned there: made on the paint
    view.grab()
    assert far in {c.node_id for c in made(scene)}
    count = len(made(scene))
    view.set_zoom(0.02)                               # the overview draws no cards
    assert scene.is_overview()
    view.center_on_node(doc.stepper.program.ids[len(doc.stepper.program.ids) // 2], animate=False)
    view.grab()
    assert len(made(scene)) == count
