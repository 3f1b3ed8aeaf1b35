"""The canvas: one item per node, what a step changes, highlights, selection, drag, LOD."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtTest import QTest

from bpstudio.engine import Graph
from bpstudio.model.document import Document
from bpstudio.ui.canvas.graph_scene import GraphScene
from bpstudio.ui.canvas.graph_view import GraphView
from bpstudio.ui.canvas.node_item import NodeItem
from bpstudio.ui.canvas.theme import Theme

MINUS = "\u2212"


def expression() -> Graph:
    """L = (a*b + c) * f, micrograd's first example."""
    g = Graph(output="L")
    g.leaf("a", 2.0)
    g.leaf("b", -3.0)
    g.leaf("c", 10.0)
    g.op("e", "mul", "a", "b")
    g.op("d", "add", "e", "c")
    g.leaf("f", -2.0)
    g.op("L", "mul", "d", "f")
    return g


def reused() -> Graph:
    """L = a*b + a: `a` receives two contributions."""
    g = Graph(output="L")
    g.leaf("a", 2.0)
    g.leaf("b", -3.0)
    g.op("e", "mul", "a", "b")
    g.op("L", "add", "e", "a")
    return g


@pytest.fixture
def doc():
    return Document(expression())


@pytest.fixture
def canvas(qtbot, doc):
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    qtbot.waitExposed(view)
    view.set_zoom(1.0)
    return scene, view


def seed_step(doc) -> int:
    return doc.stepper.program.n_forward


# ---- structure ------------------------------------------------------------------------
def test_every_node_has_an_item_with_label_and_op(canvas, doc):
    scene, _ = canvas
    for nid in doc.graph.nodes:
        item = scene.node_item(nid)
        assert isinstance(item, NodeItem)
        assert item.label_text() == nid
        assert item.pos() == QPointF(*doc.positions()[nid])
    assert scene.node_item("e").op_symbol() == "×"
    assert scene.node_item("d").op_symbol() == "+"
    assert scene.node_item("a").op_symbol() is None


def test_layout_runs_left_to_right(canvas):
    scene, _ = canvas
    x = {n: scene.node_item(n).pos().x() for n in "abcdefL"}
    assert x["a"] < x["e"] < x["d"] < x["L"]


# ---- values, steps and highlights -----------------------------------------------------
def test_pending_before_stepping(canvas):
    scene, _ = canvas
    e = scene.node_item("e")
    assert e.state == "pending" and e.data_text() == "·" and e.grad_text() == ""
    a = scene.node_item("a")
    assert a.state == "computed" and a.data_text() == "2.0"
    assert scene.current_node() is None and not any(
        scene.node_item(n).is_current() for n in "abcdefL")


def test_forward_step_updates_the_touched_item_and_lights_its_inputs(canvas, doc):
    scene, _ = canvas
    gen = scene._fresh.gen
    doc.step()
    assert scene._fresh.gen == gen, "a single step must not refresh every card"
    e = scene.node_item("e")
    assert e.data_text() == f"{MINUS}6.0" and e.state == "computed"
    assert e.is_current() and e.current_kind() == "forward"
    assert scene.node_item("a").marks() == ("current", None)
    lit = scene.lit_edges()
    assert sorted((x.source, x.target) for x in lit) == [("a", "e"), ("b", "e")]
    assert all(x.colour_name() == "forward_edge" for x in lit)
    doc.step()
    assert not e.is_current() and scene.node_item("d").is_current()
    assert scene.node_item("a").marks() == (None, None)


def test_step_back_restores_pending(canvas, doc):
    scene, _ = canvas
    doc.step()
    doc.back()
    assert scene.node_item("e").data_text() == "·"
    assert scene.current_node() is None and not scene.lit_edges()


def test_seed_highlights_the_output_with_grad_one(canvas, doc):
    scene, _ = canvas
    doc.run_to(seed_step(doc) + 1)
    out = scene.node_item("L")
    assert out.current_kind() == "seed" and out.grad_text() == "1.0"
    assert out.grad_state == "final"
    assert scene.node_item("d").grad_text() == ""          # zeroed, not received yet


def test_backward_lights_edges_to_inputs_with_contributions(canvas, doc):
    scene, _ = canvas
    doc.run_to(seed_step(doc) + 2)                          # backward through L = d * f
    assert scene.current_node() == "L" and scene.node_item("L").current_kind() == "backward"
    edges = {e.source: e for e in scene.lit_edges()}
    assert set(edges) == {"d", "f"}
    assert edges["d"].label_text() == f"{MINUS}2.0"          # f.data × L.grad
    assert edges["f"].label_text() == "4.0"
    assert edges["d"].colour_name() == "grad_negative"
    assert edges["f"].colour_name() == "grad_positive"
    assert all(e.points_to_source() for e in edges.values())
    assert scene.node_item("d").grad_text() == f"{MINUS}2.0"
    assert scene.node_item("d").marks() == (None, "grad_negative")


def test_a_pill_paints_nothing_outside_its_bounds(canvas, doc):
    """What a lit edge's pill paints stays inside its boundingRect, so hiding it (a step
    back) repaints all of it: its 2-wide border straddles the rect and once left a
    pink sliver on the stage (presentation at 1920×1080, expression, End ← ← ←)."""
    from PySide6.QtGui import QImage, QPainter, QTransform
    from PySide6.QtWidgets import QStyleOptionGraphicsItem

    scene, _ = canvas
    doc.run_to(seed_step(doc) + 2)
    edge = next(e for e in scene.lit_edges() if e.label_text())
    bounds = edge.boundingRect()
    scale, margin = 4.0, 12
    image = QImage(int(bounds.width() * scale) + 2 * margin,
                   int(bounds.height() * scale) + 2 * margin, QImage.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setWorldTransform(QTransform().translate(margin, margin).scale(scale, scale)
                              .translate(-bounds.left(), -bounds.top()))
    edge.paint(painter, QStyleOptionGraphicsItem())
    painter.end()
    alpha = np.array([[image.pixelColor(x, y).alpha() for x in range(image.width())]
                      for y in range(image.height())])
    inside = np.zeros_like(alpha, dtype=bool)
    inside[margin:margin + int(bounds.height() * scale) + 1,
           margin:margin + int(bounds.width() * scale) + 1] = True
    assert alpha[inside].max() > 0                 # it paints ...
    assert alpha[~inside].max() == 0               # ... and only inside its bounds


def test_second_contribution_shows_the_sum(qtbot):
    doc = Document(reused())
    scene = GraphScene(doc)
    doc.run_to(seed_step(doc) + 2)                          # L = e + a: a gets 1.0
    first = {e.source: e.label_text() for e in scene.lit_edges()}
    assert first["a"] == "1.0"
    assert scene.node_item("a").grad_state == "accumulating"
    doc.step()                                              # e = a * b: a gets b × 1 = −3
    second = {e.source: e.label_text() for e in scene.lit_edges()}
    assert second["a"] == f"1.0 + ({MINUS}3.0) = {MINUS}2.0"
    assert second["b"] == "2.0"
    assert scene.node_item("a").grad_text() == f"{MINUS}2.0"
    assert scene.node_item("a").grad_state == "final"


def test_long_jump_refreshes_everything(canvas, doc):
    scene, _ = canvas
    doc.run_to_end()
    assert scene.node_item("a").grad_text() == "6.0"        # b.data × e.grad = (−3)(−2)
    assert scene.node_item("c").grad_text() == f"{MINUS}2.0"
    assert all(scene.node_item(n).grad_state == "final" for n in "abcdefL")


def test_leaf_edit_marks_downstream_stale(canvas, doc):
    scene, _ = canvas
    doc.run_to_end()
    doc.set_leaf_value("a", 3.0)
    assert scene.node_item("a").data_text() == "3.0"
    for nid in "edL":
        assert scene.node_item(nid).state == "stale", nid
    assert scene.node_item("c").state == "computed"
    assert scene.node_item("c").grad_state == "stale"      # grads from the old values
    doc.run_to_end()
    assert scene.node_item("e").state == "computed"
    assert scene.node_item("e").data_text() == f"{MINUS}9.0"


def test_label_note_and_badges(canvas, doc):
    scene, _ = canvas
    doc.set_label("a", "alpha")
    assert scene.node_item("a").label_text() == "alpha"
    doc.set_note("b", "try b = 4")
    assert scene.node_item("b").has_note()
    assert "try b = 4" in scene.tooltip_text("b")
    scene.set_check_results({"a": (True, 1e-9), "b": (False, 0.3)})
    assert scene.node_item("a").badge() is True and scene.node_item("b").badge() is False
    assert "MISMATCH" in scene.tooltip_text("b")
    scene.set_check_results(None)
    assert scene.node_item("a").badge() is None


def tensor_graph() -> Graph:
    g = Graph(output="s")
    g.leaf("W", np.array([[1.0, 2.0], [3.0, 4.0]]))
    g.leaf("x", np.array([[0.5], [-1.0]]))
    g.leaf("a", 2.0)
    g.op("y", "matmul", "W", "x")
    g.op("z", "mul", "y", "a")
    g.op("s", "sum", "z")
    return g


def test_tensor_cards_show_every_number_of_a_small_tensor(qtbot):
    doc = Document(tensor_graph())
    scene = GraphScene(doc)
    assert scene.node_item("W").label_text() == "W  2×2"
    assert scene.node_item("W").data_text().split() == ["1.0", "2.0", "3.0", "4.0"]
    assert scene.node_item("W").data_text().count("\n") == 1                 # two rows
    doc.run_to_end()
    assert scene.node_item("y").data_text().split("\n") == [f"{MINUS}1.5", f"{MINUS}2.5"]
    assert scene.node_item("W").grad_text().split() == ["1.0", f"{MINUS}2.0", "1.0", f"{MINUS}2.0"]


def test_a_big_tensor_card_shows_min_and_max():
    from bpstudio.ui.canvas.card_text import card_text
    assert card_text(np.arange(30.0).reshape(5, 6)) == "min  0.0\nmax  29.0"


def test_tensor_cards_grow_and_the_layout_makes_room(qtbot):
    doc = Document(tensor_graph())
    scene = GraphScene(doc)
    w, a, y = (scene.node_item(n) for n in ("W", "a", "y"))
    assert a.geo is scene.style().geo                        # a scalar: the theme's card
    assert w.card_rect().width() > a.card_rect().width() + 60
    assert w.card_rect().height() > a.card_rect().height() + 20
    assert y.out_port().x() == pytest.approx(y.pos().x() + y.card_rect().right())
    cards = [scene.node_item(n).keep_clear() for n in doc.stepper.program.ids]
    assert not any(p.intersects(q) for i, p in enumerate(cards) for q in cards[i + 1:])


def test_card_numbers_are_readable_but_never_misleading():
    from bpstudio.ui.canvas.card_text import card_text
    assert card_text(6.8813735870195432) == "6.88137"
    assert card_text(-0.0) == "0.0" and card_text(np.array([[-0.0, 1.0]])) == "0.0  1.0"
    assert card_text(0.9999999) == "1.00000"                  # not "1.0": that is exact
    assert card_text(0.1 + 0.2) == "0.3"
    assert card_text(0.02654904) == "0.026549"                # no zeros where none mislead
    assert card_text(-0.0018919312) == f"{MINUS}0.001892"     # fewer digits, not elided
    assert card_text(-1.23456789e-5) == f"{MINUS}1.235e{MINUS}5"


@pytest.mark.parametrize("theme", [Theme.light(), Theme.projector(), Theme.dark()])
def test_the_longest_card_number_fits_a_scalar_card(qtbot, theme):
    """Every theme draws the cards' text at one size (bigger text is the view's zoom)."""
    from bpstudio.ui.canvas.card_text import SCALAR_CHARS
    from bpstudio.ui.canvas.node_item import number_room
    from bpstudio.ui.canvas.theme import Style
    style = Style(theme)
    widest = max(style.number_metrics.horizontalAdvance(t) for t in
                 (MINUS + "0.001892", MINUS + "1.235e" + MINUS + "5", "8" * SCALAR_CHARS))
    assert widest <= number_room(style, style.geo)


def test_tensor_pills_show_shape_and_first_value(qtbot):
    doc = Document(tensor_graph())
    scene = GraphScene(doc)
    doc.run_to(seed_step(doc) + 3)                          # back through z = y * a
    labels = {e.source: e.label_text() for e in scene.lit_edges()}
    assert labels == {"y": "2×1 [2.0, …]", "a": f"{MINUS}4.0"}
    doc.step()                                              # y = W @ x
    labels = {e.source: e.label_text() for e in scene.lit_edges()}
    assert labels == {"W": "2×2 [1.0, …]", "x": "2×1 [8.0, …]"}


def card_and_op_circle(item, leaf: bool) -> list:
    """The card and (not for a leaf) the square round its op circle, in the scene."""
    from PySide6.QtCore import QRectF
    rects = [item.card_rect().translated(item.pos())]
    if not leaf:
        g, r = item.geo, item.geo.op_radius
        rects.append(QRectF(item.x() + g.op_center_x - r, item.y() - r, 2 * r, 2 * r))
    return rects


@pytest.mark.parametrize("name, step", [("expression.json", 5), ("neuron.json", 7), ("neuron.json", 8),
                                        ("net-2-2-2-matrix.json", 9), ("net-2-2-2.json", 30)])
def test_pills_cover_no_card_and_no_arrowhead(qtbot, name, step):
    """No pill covers a card's title or numbers, its op circle (neuron.json step 7 once
    hid `tanh` under the pill of n.grad), or another pill."""
    from pathlib import Path
    doc = Document.open(Path(__file__).parents[1] / "resources" / "examples" / name)
    scene = GraphScene(doc)
    doc.run_to(step)
    pills = [e.keep_clear() for e in scene.lit_edges()]
    assert pills and all(not p.isEmpty() for p in pills)
    cards = [r for n in doc.stepper.program.ids
             for r in card_and_op_circle(scene.node_item(n), doc.graph.nodes[n].is_leaf)]
    assert not any(p.intersects(c) for p in pills for c in cards)
    assert not any(p.intersects(q) for i, p in enumerate(pills) for q in pills[i + 1:])


# ---- selection and dragging ----------------------------------------------------------------
def test_selection_signal(canvas, qtbot):
    scene, _ = canvas
    with qtbot.waitSignal(scene.node_selected) as blocker:
        scene.select_node("c")
    assert blocker.args == ["c"] and scene.selected_node() == "c"
    with qtbot.waitSignal(scene.node_selected) as blocker:
        scene.select_node(None)
    assert blocker.args == [""] and scene.selected_node() is None


def test_click_selects_and_drag_end_emits_once(canvas, qtbot, doc):
    scene, view = canvas
    item = scene.node_item("a")
    start = item.pos()
    moves, selections = [], []
    scene.node_moved_by_user.connect(lambda *a: moves.append(a))
    scene.node_selected.connect(selections.append)
    vp = view.viewport()
    p0 = view.mapFromScene(start)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, p0)
    for k in range(1, 6):
        QTest.mouseMove(vp, p0 + QPoint(0, 12 * k))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, p0 + QPoint(0, 60))
    assert selections == ["a"]
    assert len(moves) == 1
    nid, ox, oy, nx, ny = moves[0]
    assert (nid, ox, oy) == ("a", start.x(), start.y())
    assert nx == pytest.approx(start.x(), abs=1) and ny == pytest.approx(start.y() + 60, abs=2)
    assert doc.positions()["a"] == (start.x(), start.y())   # the window's undo command moves it
    doc.move_node("a", (nx, ny))
    assert item.pos() == QPointF(nx, ny)
    doc.move_node("a", (start.x(), start.y()))               # undo
    assert item.pos() == start


def test_click_on_background_pans_not_moves(canvas, qtbot):
    scene, view = canvas
    moves = []
    scene.node_moved_by_user.connect(lambda *a: moves.append(a))
    vp = view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, QPoint(5, 5))
    QTest.mouseMove(vp, QPoint(60, 60))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, QPoint(60, 60))
    assert moves == [] and scene.selected_node() is None


# ---- view: zoom, level of detail, theme ---------------------------------------------------------
def test_level_of_detail_switch(canvas, qtbot):
    scene, view = canvas
    item = scene.node_item("d")
    view.center_on_node("d", animate=False)
    view.grab()
    assert item.last_detail == "full"
    view.set_zoom(0.25)
    view.center_on_node("d", animate=False)
    view.grab()
    assert item.last_detail == "plain" and not scene.is_overview()
    view.set_zoom(0.05)
    assert scene.is_overview()
    view.set_zoom(1.0)
    assert not scene.is_overview()


def test_wheel_zooms_and_fit_shows_everything(canvas):
    scene, view = canvas
    before = view.scale_factor()
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(centre, view.mapToGlobal(centre.toPoint()).toPointF(), QPoint(0, 0),
                        QPoint(0, 240), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    view.wheelEvent(wheel)
    assert view.scale_factor() > before
    view.zoom_out()
    view.fit()
    visible = view.visible_scene_rect()
    for nid in "abcdefL":
        assert visible.contains(scene.node_item(nid).sceneBoundingRect())


def test_center_on_node_and_follow(canvas, doc):
    scene, view = canvas
    view.set_zoom(4.0)                                      # the graph no longer fits
    view.center_on_node("L", animate=False)
    assert view.visible_scene_rect().contains(scene.node_item("L").pos())
    view.center_on_node("a", animate=False)
    view.set_follow(True)
    doc.run_to(seed_step(doc) + 1)
    view._animation and view._animation.setCurrentTime(10_000)   # finish the glide now
    assert view.visible_scene_rect().contains(scene.node_item("L").sceneBoundingRect())
    view.set_follow(False)
    doc.reset()
    assert view.visible_scene_rect().contains(scene.node_item("L").pos())


def test_theme_switch(canvas, doc):
    scene, view = canvas
    doc.run_to(seed_step(doc) + 2)
    scene.set_theme(Theme.dark())
    assert scene.backgroundBrush().color() == QColor(Theme.dark().background)
    assert scene.style().theme.name == "dark"
    assert scene.node_item("L").is_current() and len(scene.lit_edges()) == 2
    scene.set_theme(Theme.projector())
    assert scene.style().theme.border_width > Theme.light().border_width
    assert not view.grab().isNull()


def test_current_node_is_painted_in_the_current_colour(canvas, doc):
    """The thick border of the current card must be there in the pixels."""
    scene, view = canvas
    doc.run_to(seed_step(doc) + 3)                          # backward through d
    view.center_on_node("d", animate=False)
    image = view.grab().toImage()
    card = scene.node_item("d").card_rect().translated(scene.node_item("d").pos())
    border = view.mapFromScene(QPointF(card.center().x(), card.top()))
    want = QColor(Theme.light().current)
    near = [QColor(image.pixel(border.x(), border.y() + dy)) for dy in range(-3, 4)]
    assert any(abs(c.red() - want.red()) + abs(c.green() - want.green())
               + abs(c.blue() - want.blue()) < 40 for c in near)


def test_new_document_rebuilds(canvas, doc):
    scene, _ = canvas
    other = Document(reused())
    scene.set_document(other)
    assert scene.node_item("a").label_text() == "a"
    with pytest.raises(KeyError):
        scene.node_item("f")
    doc.step()                                               # the old document is disconnected
    assert scene.current_node() is None
    other.step()
    assert scene.current_node() == "e"


# ---- geometry helpers and big-graph machinery ---------------------------------------------
def test_edges_leave_and_arrive_horizontally_and_steep_ones_run_mid_gap():
    from bpstudio.ui.canvas.edge_geometry import edge_polylines
    starts = np.array([[0.0, 0.0], [0.0, 0.0]])
    ends = np.array([[100.0, 40.0], [100.0, 5000.0]])        # gentle, steep
    xs, ys = edge_polylines(starts, ends, 12)
    assert xs.shape == (2, 12)
    assert list(xs[:, 0]) + list(ys[:, 0]) == pytest.approx([0, 0, 0, 0])
    assert list(xs[:, -1]) + list(ys[:, -1]) == pytest.approx([100, 100, 40, 5000])
    assert ys[0, 1] == pytest.approx(0.0, abs=1.0)           # leaves horizontally
    assert list(xs[1, 5:7]) == pytest.approx([50.0, 50.0])                 # the long run is mid-gap
    assert ys[1, 6] - ys[1, 5] > 4000


def test_clipping_keeps_only_what_crosses_the_rectangle():
    from PySide6.QtCore import QRectF

    from bpstudio.ui.canvas.edge_geometry import clipped_segments
    xs = np.array([[0.0, 1000.0], [0.0, 10.0]])
    ys = np.array([[0.0, 0.0], [500.0, 500.0]])
    path, length = clipped_segments(xs, ys, QRectF(100, -10, 50, 20))
    assert length == pytest.approx(50.0)
    assert path.elementCount() == 2
    assert path.boundingRect().left() == pytest.approx(100.0)


def test_a_lit_edge_is_clipped_in_python_to_the_segments_numpy_finds():
    """clipped_path (plain Python, a lit stroke's few points) against clipped_segments
    (numpy): the same segments for random polylines, steep, flat and upright ones."""
    from PySide6.QtCore import QRectF

    from bpstudio.ui.canvas.edge_geometry import (
        SMALL_CLIP,
        clipped_path,
        clipped_segments,
    )

    def segments(path):
        return [(round(e.x, 6), round(e.y, 6), e.type) for e in map(path.elementAt, range(path.elementCount()))]

    rng = np.random.default_rng(11)
    found = 0
    for trial in range(600):
        xs, ys = rng.uniform(-300, 300, (2, int(rng.integers(1, 3)), int(rng.integers(2, 14))))
        if trial % 3 == 1:
            ys[:] = ys[:, :1]                                  # flat
        elif trial % 3 == 2:
            xs[:] = xs[:, :1]                                  # upright
        rect = QRectF(*rng.uniform(-200, 0, 2), *rng.uniform(10, 300, 2))
        assert xs.size <= SMALL_CLIP
        expected = segments(clipped_segments(xs, ys, rect)[0])
        assert segments(clipped_path(xs, ys, rect)) == expected, trial
        found += len(expected)
    assert found > 500


def test_a_solid_lit_stroke_is_clipped_as_joined_runs_of_the_same_segments():
    """clipped_path(joined=True), for solid strokes: the same segments as the numpy
    clip, but a run that meets inside the rect is one polyline (its round joins drawn
    as the whole path draws them); a polyline wholly inside comes back as itself."""
    from PySide6.QtCore import QRectF

    from bpstudio.ui.canvas.edge_geometry import clipped_path, clipped_segments

    def pieces(path):
        """(subpath count, the segments as ((x0, y0), (x1, y1)) pairs)."""
        points = [(round(e.x, 6), round(e.y, 6), e.isMoveTo())
                  for e in map(path.elementAt, range(path.elementCount()))]
        pairs = [(a[:2], b[:2]) for a, b in itertools.pairwise(points) if not b[2]]
        return sum(p[2] for p in points), pairs

    rng = np.random.default_rng(5)
    merged = 0
    for trial in range(400):
        xs, ys = rng.uniform(-300, 300, (2, 1, int(rng.integers(2, 14))))
        rect = QRectF(*rng.uniform(-200, 0, 2), *rng.uniform(10, 300, 2))
        runs, joined = pieces(clipped_path(xs, ys, rect, joined=True))
        cuts, expected = pieces(clipped_segments(xs, ys, rect)[0])
        assert joined == expected, trial
        assert runs <= cuts
        merged += cuts - runs
    assert merged > 100
    xs, ys = rng.uniform(0, 100, (2, 1, 12))
    runs, joined = pieces(clipped_path(xs, ys, QRectF(-1, -1, 102, 102), joined=True))
    assert runs == 1 and len(joined) == 11


def test_a_bundle_clips_only_the_edges_whose_box_meets_the_rect_to_the_same_path(qtbot):
    """EdgeBundle.edge_path skips edges wholly beside the exposed rect before cutting
    segments (a pan's strip meets few of a bundle's long edges): the path and length
    are those of cutting every edge, for rects meeting none, some and all of them."""
    from PySide6.QtCore import QRectF

    from bpstudio.ui.canvas.edge_geometry import clipped_segments
    from bpstudio.ui.canvas.edge_layer import CURVE_SAMPLES, EdgeLayer
    from bpstudio.ui.canvas.theme import Style

    def elements(path):
        return [(e.x, e.y, e.type) for e in map(path.elementAt, range(path.elementCount()))]

    rng = np.random.default_rng(2)
    n = 400
    positions = np.c_[rng.integers(0, 12, n) * 220.0, rng.uniform(-20_000, 20_000, n)]
    src, dst = rng.integers(0, n, 1500), rng.integers(0, n, 1500)
    layer = EdgeLayer(Style(Theme.light()), positions, src, dst, per_tile=100)
    kinds = set()
    for trial in range(60):
        rect = QRectF(*rng.uniform([-500, -25_000], [2500, 20_000]), *rng.uniform(5, 3000, 2))
        for bundle in layer.bundles:
            if not len(bundle.starts):
                continue
            path, length = bundle.edge_path(CURVE_SAMPLES, rect, False)
            xs, ys = bundle._points[CURVE_SAMPLES]
            expected, expected_length = clipped_segments(xs, ys, rect)
            assert elements(path) == elements(expected), trial
            assert length == pytest.approx(expected_length, rel=1e-12, abs=1e-9)
            box = bundle._boxes[CURVE_SAMPLES]
            meets = ((box[:, 2] >= rect.left()) & (box[:, 0] <= rect.right())
                     & (box[:, 3] >= rect.top()) & (box[:, 1] <= rect.bottom()))
            kinds.add("none" if not meets.any() else "all" if meets.all() else "some")
    assert kinds == {"none", "some", "all"}


def test_moving_a_node_rebuilds_only_its_bundles():
    from bpstudio.ui.canvas.edge_layer import EdgeLayer
    from bpstudio.ui.canvas.theme import Style
    positions = np.array([[0.0, 0.0], [0.0, 90.0], [220.0, 45.0]])
    layer = EdgeLayer(Style(Theme.light()), positions, np.array([0, 1]), np.array([2, 2]))
    dirty = layer.move(0, 0.0, -400.0, ())
    assert dirty.top() <= -400 - 30 and dirty.bottom() >= 0
    assert layer.bounds().top() <= -400


def test_refresh_all_fills_only_what_is_seen(qtbot):
    g = Graph(output="n199")
    g.leaf("n0", 0.5)
    for i in range(1, 200):
        g.op(f"n{i}", "tanh", f"n{i - 1}")
    doc = Document(g)
    scene = GraphScene(doc)
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.set_zoom(1.0)
    view.center_on_node("n0", animate=False)
    doc.run_to_end()                                          # a long jump: refresh_all
    view.grab()
    fresh = [scene.node_item(f"n{i}")._gen == scene._fresh.gen for i in range(200)]
    assert fresh[0] and not fresh[199]
    assert scene.node_item("n199").data_text() != "·"        # reading refills it


def test_square_sends_two_labelled_contributions_to_one_card(qtbot):
    g = Graph(output="s")
    g.leaf("a", 3.0)
    g.op("s", "mul", "a", "a")
    doc = Document(g)
    scene = GraphScene(doc)
    doc.run_to_end()
    labels = [e.label_text() for e in scene.lit_edges()]
    assert labels == ["3.0", "3.0 + 3.0 = 6.0"]
    first, second = scene.lit_edges()
    assert first.boundingRect().center().y() > second.boundingRect().center().y()  # apart
    assert scene.node_item("a").grad_text() == "6.0"


def test_pill_spot_areas_match_a_brute_force_count():
    """covered_near / covered_grid (separable overlaps, one matrix product) against the
    overlap area of every pill with every box, written out one pair at a time."""
    from bpstudio.ui.canvas.pill_spots import covered_grid, covered_near
    rng = np.random.default_rng(3)
    left, top = rng.uniform(-100, 100, 12), rng.uniform(-100, 100, 12)
    boxes = np.stack([left, top, left + rng.uniform(5, 60, 12), top + rng.uniform(5, 40, 12),
                      rng.choice([1.0, 0.001, 0.1], 12)], axis=1)
    hw, hh = 30.0, 11.0

    def area(x, y):
        total = 0.0
        for l, t, r, b, w in boxes:
            ox = max(0.0, min(x + hw, r) - max(x - hw, l))
            oy = max(0.0, min(y + hh, b) - max(y - hh, t))
            total += ox * oy * w
        return total

    px, py, rows = rng.uniform(-80, 80, 9), rng.uniform(-80, 80, 9), np.array([0.0, -25.0, 25.0])
    want = [area(px[s], py[s] + rows[r]) for r in range(3) for s in range(9)]
    assert covered_near(px, py, rows, hw, hh, boxes) == pytest.approx(want, abs=1e-9)
    xs, ys = rng.uniform(-80, 80, 7), rng.uniform(-80, 80, 5)
    grid = covered_grid(xs, ys, hw, hh, boxes)
    assert grid.shape == (5, 7)
    assert grid.ravel() == pytest.approx([area(x, y) for y in ys for x in xs], abs=1e-9)


def test_a_lit_edge_has_the_points_and_pill_spots_numpy_gives():
    """A lit edge's line and spots in plain Python (edge_geometry.edge_polyline,
    edge_item._interp) are the very numbers of edge_polylines and np.interp."""
    from bpstudio.ui.canvas.edge_geometry import edge_polyline, edge_polylines
    from bpstudio.ui.canvas.edge_item import _interp

    rng = np.random.default_rng(21)
    steep = 0
    for trial in range(2000):
        x0, y0, x1, y1 = rng.uniform(-3000, 3000, 4).tolist()
        if trial % 4 == 0:
            y1 = y0                                            # flat
        if trial % 5 == 0:
            x1 = x0 + float(rng.uniform(0, 60))                # steep, short gap
        bow = [0.0, 40.0, -40.0, 13.3][trial % 4]
        xs, ys = edge_polylines(np.array([[x0, y0]]), np.array([[x1, y1]]), 24,
                                np.array([bow]) if bow else None)
        assert edge_polyline(x0, y0, x1, y1, 24, bow) == (xs[0].tolist(), ys[0].tolist()), trial
        steep += x1 - x0 > 0 and abs(y1 - y0) > 1.5 * (x1 - x0)
        run = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs[0]), np.diff(ys[0])))])
        at = np.clip(rng.uniform(-50, run[-1] + 50, 12), 0.0, run[-1])
        at[:3] = 0.0, run[-1], run[5]                          # the ends, a sample point
        assert _interp(at.tolist(), run.tolist(), xs[0].tolist()) == np.interp(at, run, xs[0]).tolist()
    assert steep > 300
