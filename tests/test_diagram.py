"""The neuron / layer diagram (issue 9 item 2): moons-mlp.json opens as MLP(2, [16, 16, 1])
with one readable card per neuron, laid out afresh as layers; stepping moves one
neuron at a time; I opens a neuron in place, O folds it back; the 2-2-2 net's neurons
are found from its structure and are one key (D) away."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from bpstudio.model import diagram
from bpstudio.model.document import Document
from bpstudio.model.layout import layered_layout
from bpstudio.paths import EXAMPLES
from bpstudio.ui.canvas.group_item import SummaryCard
from bpstudio.ui.canvas.node_item import NodeItem
from bpstudio.ui.window.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


def open_window(qtbot, settings, name) -> MainWindow:
    w = MainWindow(Document.open(EXAMPLES / name), settings)
    w.ask_save_changes = lambda: "discard"
    w.presentation.use_fullscreen = False
    qtbot.addWidget(w)
    w.resize(1400, 850)                       # MainWindow's default size
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    w.frame_view()
    return w


def drawn_cards(w) -> list:
    return [it for it in w.scene.items() if it.isVisible()
            and isinstance(it, (NodeItem, SummaryCard))]


def scene_rect_of(card):
    return card.mapRectToScene(card.card_rect())


def test_moons_opens_as_a_readable_layer_diagram(qtbot, settings):
    w = open_window(qtbot, settings, "moons-mlp.json")
    doc = w.doc
    assert not doc.modified
    cards = drawn_cards(w)
    neurons = {c.group_id for c in cards if isinstance(c, SummaryCard)}
    assert len(neurons) == 16 + 16 + 1 and len(cards) <= 60
    # laid out as layers: l1 neurons share one x, l2 another, l3n1 right of them
    x = {g: w.scene.groups().cards[g].pos().x() for g in neurons}
    assert len({x[f"l1n{k}"] for k in range(1, 17)}) == 1
    assert len({x[f"l2n{k}"] for k in range(1, 17)}) == 1
    assert x["l1n1"] < x["l2n1"] < x["l3n1"]
    rects = [scene_rect_of(c) for c in cards]          # no two cards overlap
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    visible = w.view.visible_scene_rect()
    assert all(visible.contains(r) for r in rects)      # every card on screen ...
    assert w.view.text_px_on_screen() >= 11.0           # ... and readable
    assert doc.positions()["l1n3"] == pytest.approx(doc.positions()["l1n3"])   # untouched


def test_stepping_the_diagram_moves_one_neuron_at_a_time(qtbot, settings):
    w = open_window(qtbot, settings, "moons-mlp.json")
    doc, cards = w.doc, w.scene.groups().cards
    w.step_forward()
    st = doc.stepper
    # the first neuron is done: its output computed, its card lit, nothing else lit
    assert st.value_state("l1n1") == "computed" and cards["l1n1"].is_current()
    assert sum(c.is_current() for c in cards.values()) == 1
    assert st.value_state("l1n2") == "pending"
    w.step_forward()
    assert st.value_state("l1n2") == "computed" and cards["l1n2"].is_current()
    summary = w.step_panel.text()
    assert "neuron l1n2 (forward" in summary and "inputs x1 = " in summary
    w.step_back()
    assert st.value_state("l1n2") == "pending" and cards["l1n1"].is_current()
    stops = diagram.boundaries(st.program, w.scene.groups().folded)
    assert len(stops) < 100 < st.total                 # 1287 steps, 73 diagram steps
    doc.run_to(st.program.n_forward + 1)              # just after the seed
    while diagram.group_of_step(st.program, w.scene.groups().folded, st.cursor) is None:
        w.step_forward()                               # the loss's own nodes: one each
    w.step_forward()
    text = w.step_panel.text()
    assert "neuron l3n1 (backward" in text and "upstream grad" in text
    assert cards["l3n1"].is_current()


def test_step_into_opens_a_neuron_in_place_and_collapse_restores_the_diagram(qtbot, settings):
    w = open_window(qtbot, settings, "moons-mlp.json")
    before = {g: c.pos() for g, c in w.scene.groups().cards.items()}
    w.scene.groups().cards["l1n3"].setSelected(True)
    w.actions_.step_into.trigger()
    assert not w.doc.group("l1n3")["collapsed"]
    inside = [w.scene.node_item(m) for m in w.doc.group("l1n3")["members"]]
    assert all(it.isVisible() for it in inside)
    rects = [scene_rect_of(c) for c in drawn_cards(w)]  # the layout made room
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    w.scene.select_node("l1n3.m1")
    w.actions_.collapse.trigger()
    assert w.doc.group("l1n3")["collapsed"]
    after = {g: c.pos() for g, c in w.scene.groups().cards.items()}
    assert after == before


def test_the_2_2_2_net_opens_scalar_with_its_neurons_one_key_away(qtbot, settings):
    w = open_window(qtbot, settings, "net-2-2-2.json")
    assert w.doc.groups() == [] and not w.scene.groups().cards
    w.actions_.diagram.trigger()                           # D
    cards = w.scene.groups().cards
    assert set(cards) == {"h1", "h2", "y1", "y2"}
    assert set(w.doc.group("h1")["members"]) == {"W11", "W21", "x1W1", "x2W1", "h1_in", "h1"}
    rects = [scene_rect_of(c) for c in drawn_cards(w)]
    assert all(w.view.visible_scene_rect().contains(r) for r in rects)
    w.actions_.diagram.trigger()                           # D again: every node
    assert not w.scene.groups().cards and not w.scene.groups().folded
    pos = w.doc.positions()
    assert all(w.scene.node_item(n).pos().x() == pos[n][0] for n in w.doc.graph.nodes)


def test_layout_with_card_sizes_keeps_clear_space_between_cards():
    ids = ["a", "b", "c", "d"]
    edges = [("a", "c"), ("b", "c"), ("c", "d")]
    sizes = {"a": (100, 60), "b": (300, 20), "c": (50, 50), "d": (80, 30)}
    pos = layered_layout(ids, edges, sizes=sizes, layer_gap=40, node_gap=10)
    assert abs(pos["a"][1] - pos["b"][1]) >= (60 + 20) / 2 + 10 - 1e-9
    assert pos["c"][0] - pos["a"][0] == pytest.approx((300 + 50) / 2 + 40)
    assert pos["d"][0] - pos["c"][0] == pytest.approx((50 + 80) / 2 + 40)


def test_presentation_bar_shows_the_neuron_summary(qtbot, settings):
    """In presentation, the bar says what the diagram step did to its neuron (its
    inputs, weights, output; on the way back the weights' grads), not the plain
    scalar step that happened to be its last."""
    w = open_window(qtbot, settings, "moons-mlp.json")
    w.presentation.enter()
    w.step_forward()
    w.step_forward()
    bar = w.presentation.bar.text()
    st = w.doc.stepper
    assert "neuron l1n2 (forward" in bar and "weights " in bar and "output " in bar
    assert "inputs x1 = " in bar
    doc = w.doc
    doc.run_to(st.program.n_forward + 1)
    while diagram.group_of_step(st.program, w.scene.groups().folded, st.cursor) is None:
        w.step_forward()
    w.step_forward()
    bar = w.presentation.bar.text()
    assert "neuron l3n1 (backward" in bar and "weights' grads" in bar
    w.presentation.leave()


def test_the_neuron_summary_counts_the_steps_that_are_its_own(qtbot, settings):
    """Backward on moons, a neuron's scalar steps interleave with its neighbours': the
    summary says how many of the range's steps are the neuron's (counted here from the
    program), never "steps 691–1203" as though all 513 were."""
    import re
    w = open_window(qtbot, settings, "moons-mlp.json")
    st, p = w.doc.stepper, w.doc.stepper.program
    folded = w.scene.groups().folded
    w.doc.run_to(p.total)
    seen = {"interleaved": 0, "contiguous": 0}
    while st.cursor > p.n_forward + 1:
        lines = diagram.neuron_summary(w.doc, folded)
        if lines:
            _title, rest = re.match(r"neuron (\S+) \(backward, ([^)]*)\)", lines[0]).groups()
            gid = diagram.group_of_step(p, folded, st.cursor - 1)
            members = set(w.doc.group(gid)["members"])
            numbers = [int(x) for x in re.findall(r"\d+", rest)]
            first, last = numbers[-2:]
            own = sum(p.ids[p.node_at(k)] in members for k in range(first - 1, last))
            assert last == st.cursor and p.ids[p.node_at(first - 1)] in members
            if own == last - first + 1:
                assert rest == f"steps {first}–{last}", lines[0]
                seen["contiguous"] += 1
            else:
                assert rest == f"{own} steps in {first}–{last}", lines[0]
                seen["interleaved"] += 1
        w.step_back()
    assert seen["interleaved"] and seen["contiguous"], seen


def test_lit_edges_end_beside_neuron_cards_not_under_them(qtbot, settings):
    """Backward through l2n7 on moons: the edge into l1n1 once ended inside l1n1's card
    (the hidden member's own port, under the wider summary card), arrowhead unseen."""
    w = open_window(qtbot, settings, "moons-mlp.json")
    st = w.doc.stepper
    w.doc.run_to(1201)
    edges = [e for e in w.scene.lit_edges() if e.isVisible()]
    assert edges
    rects = [scene_rect_of(c).adjusted(1, 1, -1, -1) for c in drawn_cards(w)]
    for edge in edges:
        for end in edge.ends():
            assert not any(r.contains(end) for r in rects), (edge.source, edge.target, end)
    assert st.cursor == 1201
