"""What the canvas leaves until it is seen, and what it keeps once seen: a step's
pills are placed when a view is about to paint where they may land (or an export,
or a getter asks), on the same spots as at once; a card painted again keeps a
picture of itself (card_cache.py), which its new numbers replace; the scene is not
told of window activation."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QRect
from PySide6.QtWidgets import QApplication, QGraphicsItem

from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.canvas import edge_item
from bpstudio.ui.canvas.export import export_svg
from bpstudio.ui.canvas.graph_scene import GraphScene


@pytest.fixture
def searches(monkeypatch):
    """How many pill searches ran (pill_spots.free_spots, as edge_item calls it)."""
    calls = []
    real = edge_item.free_spots

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(edge_item, "free_spots", counted)
    return calls


def pills(scene) -> list[tuple]:
    return [(e.label_text(), tuple(round(v, 6) for v in e.keep_clear().getCoords()))
            for e in scene.lit_edges()]


def test_pills_off_screen_wait_until_a_view_shows_them(canvas, searches):
    doc, scene, view = canvas("net-2-2-2.json")
    view.set_follow(False)
    view.set_zoom(2.0)
    view.center_on_node(doc.stepper.program.ids[0], animate=False)   # a leaf, far left
    step = doc.stepper.program.n_forward + 2        # backward, by the output (far right)
    doc.run_to(step)
    view.grab()
    QApplication.processEvents()
    assert searches == []                           # nothing placed for an unseen step
    view.center_on_node(doc.stepper.node_at(step), animate=False)
    view.grab()
    assert searches                                 # the paint placed them
    placed = [e for e in scene.lit_edges(settle=False) if e.boundingRect().isValid()]
    assert len(placed) == len(scene.lit_edges(settle=False)) >= 2
    # The same spots as placing them at once, in a scene with no view.
    other = Document.open(EXAMPLES / "net-2-2-2.json")
    at_once = GraphScene(other)
    other.run_to(step)
    assert pills(scene) == pills(at_once)


def test_getters_and_exports_place_pending_pills(canvas, searches, tmp_path):
    doc, scene, view = canvas("net-2-2-2.json")
    view.set_follow(False)
    view.set_zoom(2.0)
    view.center_on_node(doc.stepper.program.ids[0], animate=False)
    doc.run_to(doc.stepper.program.n_forward + 2)
    view.grab()
    assert searches == []
    export_svg(scene, tmp_path / "step.svg")
    assert searches
    assert all(e.label_text() and e.keep_clear().isValid() for e in scene.lit_edges())


def cached_view_of(canvas, name: str):
    doc, scene, view = canvas(name)
    doc.run_to_end()
    view.fit()
    for _ in range(3):                   # painted again: the cards keep a picture
        view.grab()
    return doc, scene, view


def test_a_card_painted_again_keeps_a_picture_its_new_numbers_replace(canvas):
    doc, scene, view = cached_view_of(canvas, "expression.json")
    card = scene.node_item("L")
    assert card.cacheMode() == QGraphicsItem.DeviceCoordinateCache
    area = view.mapFromScene(card.sceneBoundingRect()).boundingRect() & view.viewport().rect()
    assert not area.isEmpty()

    def picture():
        return view.grab(QRect(area.topLeft() + view.viewport().pos(), area.size())).toImage()

    before = picture()
    assert doc.set_leaf_value("a", 3.0)            # L is stale now: its card must say so
    QApplication.processEvents()
    after = picture()
    assert after != before
    assert card.state == "stale" or card.data_text() != "−8.0"


def test_a_vector_export_draws_cards_as_vectors_not_their_pictures(canvas, tmp_path):
    _doc, scene, _view = cached_view_of(canvas, "expression.json")
    assert scene.node_item("L").cacheMode() == QGraphicsItem.DeviceCoordinateCache
    svg = export_svg(scene, tmp_path / "graph.svg").read_text()
    assert "<image" not in svg
    assert scene.node_item("L").cacheMode() == QGraphicsItem.NoCache


def test_the_scene_is_not_told_of_window_activation(canvas):
    _doc, scene, view = canvas("expression.json")
    seen = []

    class Spy(QGraphicsItem):
        def boundingRect(self):
            return scene.sceneRect()

        def paint(self, *args):
            pass

        def sceneEvent(self, event):
            seen.append(event.type())
            return super().sceneEvent(event)

    spy = Spy()
    scene.addItem(spy)
    for kind in (QEvent.WindowActivate, QEvent.WindowDeactivate):
        QApplication.sendEvent(view.viewport(), QEvent(kind))
    assert QEvent.WindowActivate not in seen and QEvent.WindowDeactivate not in seen
    assert not scene.isActive()
    scene.removeItem(spy)


def test_a_leader_line_shows_only_with_its_pill(canvas, qtbot):
    """A pill moved off its edge has a dotted leader line, a scene item of its own: it
    shows while its lit edge does and goes with it at the next step (forward, back,
    Home), never left behind on the canvas."""
    from PySide6.QtWidgets import QGraphicsLineItem

    doc, scene, _view = canvas("net-2-2-2.json")
    shown_at = set()

    def check():
        edges = scene.lit_edges(settle=True)
        owned = {id(e._leader_line) for e in edges if e.isVisible() and e._leader_line}
        for line in (i for i in scene.items() if isinstance(i, QGraphicsLineItem)):
            if line.isVisible():
                assert id(line) in owned, f"a stray leader line at step {doc.stepper.cursor}"
                shown_at.add(doc.stepper.cursor)

    for _ in range(doc.stepper.total):
        doc.step()
        check()
    for _ in range(12):
        doc.back()
        check()
    doc.reset()
    check()
    assert shown_at, "net-2-2-2 has steps whose pills need a leader"


def test_a_scene_deleted_with_a_card_selected_says_nothing(qtbot, capfd):
    """Qt deletes a scene whose Python side is still held (a closed document's, at
    exit): its destructor emits selectionChanged for the selected card, and the
    handler once ran on the dead scene (RuntimeError: Internal C++ object already
    deleted, a traceback on stderr)."""
    import shiboken6

    scene = GraphScene(Document.open(EXAMPLES / "expression.json"))
    scene.node_item("a").setSelected(True)
    capfd.readouterr()
    shiboken6.delete(scene)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "already deleted" not in err, err
