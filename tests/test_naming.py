"""Names a student can follow (issue 9 item 4): every unlabeled or shared-label node
gets a short unique structural name, used on its card, in the step list and in the
chain-rule text; the file keeps the user's labels."""
from __future__ import annotations

import json
import random
import re

import pytest

from bpstudio.engine import Graph
from bpstudio.model.document import Document
from bpstudio.model.naming import display_names
from bpstudio.paths import EXAMPLES
from bpstudio.ui.panels.chain_text import step_lines
from bpstudio.ui.panels.step_panel import DisplayLabels, step_summary

BARE_OP = re.compile(r"(^|[\s(])[+×−*]\.grad")     # `+.grad`, `(×.grad` ...


def all_step_text(doc) -> list[str]:
    s = doc.stepper
    out = []
    for k in range(s.total):
        s.run_to(k + 1)
        out.append(step_summary(s, k)[1])
        out.extend(step_lines(s, DisplayLabels(s.labels)))
    return out


def test_moons_mlp_names_every_neuron_part_and_no_line_reads_plus_grad():
    doc = Document.open(EXAMPLES / "moons-mlp.json")
    names = doc.stepper.labels
    assert len(set(names.values())) == len(names) == 984
    assert names["l1n3.s2"] == "l1n3·Σ2"          # the issue's own example
    assert names["l1n3.s1"] == "l1n3·Σ1"
    assert names["l1n3.m1"] == "l1n3·Π1"          # `w1*x1` is in every neuron
    assert names["l1n3.w1"] == "l1n3·w1"          # `w1` too
    assert names["x1"] == "x1" and names["l1n3"] == "l1n3"
    s = doc.stepper
    s.run_to(s.program.backward_step_of(s.program.index["l1n3.s2"]) + 1)
    lines = step_lines(s, DisplayLabels(names))
    assert lines[0].startswith("l1n3·Σ1.grad += 1 × l1n3·Σ2.grad = ")
    assert not any(BARE_OP.search(t) for t in all_step_text(doc))


def test_the_file_keeps_the_users_labels(tmp_path):
    doc = Document.open(EXAMPLES / "moons-mlp.json")
    out = doc.save(tmp_path / "m.json")
    nodes = {n["id"]: n for n in json.loads(out.read_text())["nodes"]}
    assert nodes["l1n3.s2"]["label"] == "+" and nodes["l1n3.w1"]["label"] == "w1"


def test_labelled_examples_keep_their_labels():
    for name in ("expression", "neuron", "net-2-2-2", "router", "accumulate"):
        doc = Document.open(EXAMPLES / f"{name}.json")
        assert doc.stepper.labels == {n.id: n.label for n in doc.graph.nodes.values()}


def test_op_and_number_without_structure_and_numbered_twins():
    names = display_names([("a", "a", "leaf"), ("v3", "v3", "leaf"), ("v4", "", "add"),
                           ("p", "+", "add"), ("q", "tanh", "tanh"), ("w", "w", "leaf"),
                           ("w#2", "w", "leaf"), ("s", "a*b", "mul"), ("t", "a*b", "mul")])
    assert names == {"a": "a", "v3": "c1", "v4": "Σ1", "p": "Σ2", "q": "tanh1",
                     "w": "w·1", "w#2": "w·2", "s": "Π1", "t": "Π2"}
    assert "a" not in names.structural and "s" in names.structural


def test_a_label_equal_to_a_made_up_name_stays_unique():
    names = display_names([("x", "Σ1", "leaf"), ("y", "+", "add")])
    assert len(set(names.values())) == 2 and names["x"] == "Σ1"


def test_real_micrograd_graph_reads_op_and_number():
    micrograd = pytest.importorskip("micrograd.engine")
    nn = pytest.importorskip("micrograd.nn")
    random.seed(3)
    model = nn.MLP(2, [2, 1])
    loss = model([micrograd.Value(0.5), micrograd.Value(-1.5)])
    doc = Document(Graph.from_value(loss, parameters=model.parameters()))
    names = doc.stepper.labels
    assert len(set(names.values())) == len(names)
    assert {re.sub(r"\d+$", "", n) for n in names.values()} <= {"c", "Π", "Σ", "relu"}
    assert not any(BARE_OP.search(t) for t in all_step_text(doc))


def test_renaming_a_twin_renames_the_other_and_the_card(qtbot):
    from bpstudio.ui.canvas.graph_scene import GraphScene
    g = Graph(output="L")
    g.leaf("a", 2.0, label="w")
    g.leaf("b", 3.0, label="w")
    g.op("L", "mul", "a", "b")
    doc = Document(g)
    scene = GraphScene(doc)
    assert scene.node_item("a").label_text() == "w·1"
    assert scene.node_item("L").label_text() == "L"
    changed = []
    doc.label_changed.connect(changed.append)
    doc.set_label("a", "u")
    assert sorted(changed) == ["a", "b"]
    assert doc.stepper.labels["b"] == "w"
    assert scene.node_item("a").label_text() == "u" and scene.node_item("b").label_text() == "w"


# ---- a + a: two edges, two curves --------------------------------------------------------------

def test_the_two_edges_of_a_plus_a_are_two_distinct_curves(qtbot):
    import numpy as np

    from bpstudio.ui.canvas.edge_geometry import edge_polylines
    from bpstudio.ui.canvas.edge_layer import twin_bows
    from bpstudio.ui.canvas.graph_scene import GraphScene
    assert twin_bows(np.array([0, 1, 2]), np.array([3, 3, 4])) is None     # nothing shared
    bows = twin_bows(np.array([0, 0, 1]), np.array([1, 1, 2]))
    assert bows.tolist() == [20.0, -20.0, 0.0]
    xs, ys = edge_polylines(np.array([[0.0, 0.0]] * 2), np.array([[60.0, 0.0]] * 2), 13, bows[:2])
    assert ys[0, 6] - ys[1, 6] == 40.0 and ys[0, 0] == ys[1, 0] == ys[0, -1] == 0.0
    doc = Document.open(EXAMPLES / "accumulate.json")
    scene = GraphScene(doc)
    for step in (1, doc.stepper.total):          # forward b = a + a, backward into a twice
        doc.run_to(step)
        lit = scene.lit_edges()
        assert len(lit) == 2
        a, b = (sorted(s.boundingRect().getCoords() for s in e.childItems()) for e in lit)
        assert a != b


def test_every_op_symbol_fits_its_circle(qapp):
    from PySide6.QtGui import QFontMetricsF

    from bpstudio.engine import OPS
    from bpstudio.ui.canvas.card_paint import op_symbol_font
    from bpstudio.ui.canvas.step_highlight import op_symbol
    from bpstudio.ui.canvas.theme import Style, Theme
    for theme in (Theme(), Theme.dark()):
        style = Style(theme)
        rad = style.geo.op_radius
        symbols = {op_symbol(op, {"exponent": 2.0}) for op in OPS} | {"^0.5", "^-1"}
        for symbol in symbols:
            font = op_symbol_font(style, symbol, rad)
            width = QFontMetricsF(font).horizontalAdvance(symbol)
            assert width <= 2 * rad * 0.86, (symbol, width, 2 * rad)
            assert font.pixelSize() >= 7, symbol
    assert QFontMetricsF(style.op_small_font).horizontalAdvance("tanh") > 2 * rad * 0.86


@pytest.mark.parametrize("name", ["expression", "neuron", "accumulate", "router", "net-2-2-2",
                                  "net-2-2-2-matrix"])
def test_no_value_pill_covers_a_card_at_any_step(qtbot, name):
    from bpstudio.ui.canvas.graph_scene import GraphScene
    doc = Document.open(EXAMPLES / f"{name}.json")
    scene = GraphScene(doc)
    cards = [scene.node_item(n) for n in doc.graph.nodes]
    pills = 0
    for k in range(1, doc.stepper.total + 1):
        doc.run_to(k)
        for edge in scene.lit_edges():
            pill = edge.keep_clear()
            if pill.isEmpty():
                continue
            pills += 1
            hit = [c for c in cards if c.isVisible()
                   and c.card_rect().translated(c.pos()).intersects(pill)]
            assert not hit, (k, edge.label_text(), [c.node_id for c in hit])
    assert pills >= doc.stepper.program.n_forward
