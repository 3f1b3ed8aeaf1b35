"""Groups: neurons / layers boxed, folded into one summary card with the grad norm;
nothing in the document (numbers, steps, positions) changes; saved; undoable."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from bpstudio.ui.commands.groups import (
    AddGroupsCommand,
    CollapseGroupsCommand,
    UngroupCommand,
    suggest_command,
    toggle_command,
)
from PySide6.QtGui import QUndoStack

from bpstudio.engine import fmt
from bpstudio.io import GraphFormatError
from bpstudio.model.document import Document
from bpstudio.model.groups import (
    card_positions,
    group_grad_norm,
    group_value,
    outputs,
    suggest_groups,
)
from bpstudio.ui.canvas.graph_scene import GraphScene

EX = Path(__file__).resolve().parents[1] / "resources" / "examples"
MOONS = EX / "moons-mlp.json"


def moons(x1=0.8, x2=-0.35) -> Document:
    doc = Document.open(MOONS)
    doc.set_leaf_value("x1", x1)          # the file's row is (0, 0): every grad would be 0
    doc.set_leaf_value("x2", x2)
    return doc


# ---- the model ---------------------------------------------------------------------------
def test_suggestions_follow_the_ids():
    graph = Document.open(MOONS).graph
    neurons, layers = suggest_groups(graph, "neuron"), suggest_groups(graph, "layer")
    assert [len([g for g in neurons if g["id"].startswith(f"l{k}n")]) for k in (1, 2, 3)] \
        == [16, 16, 1]
    assert len(neurons) == 33 and [g["id"] for g in layers] == ["l1", "l2", "l3"]
    l1n3 = next(g for g in neurons if g["id"] == "l1n3")
    assert l1n3["members"][-1] == "l1n3" and "l1n3.w1" in l1n3["members"]
    assert len(l1n3["members"]) == 8 and l1n3["kind"] == "neuron"
    assert set(layers[0]["members"]) == {m for g in neurons if g["id"].startswith("l1n")
                                         for m in g["members"]}
    assert outputs(graph, l1n3) == ["l1n3"]
    for name in ("expression.json", "net-2-2-2.json", "neuron.json"):
        g = Document.open(EX / name).graph
        assert suggest_groups(g, "neuron") == [] and suggest_groups(g, "layer") == []


def test_grad_norm_matches_numpy_from_the_stepper():
    doc = moons()
    doc.add_groups(suggest_groups(doc.graph, "neuron") + suggest_groups(doc.graph, "layer"))
    assert group_grad_norm(doc, doc.group("l2n5")) is None            # no backward yet
    doc.run_to_end()
    st = doc.stepper
    assert any(group_grad_norm(doc, g) for g in doc.groups())
    for g in doc.groups():
        params = [m for m in g["members"] if doc.graph.nodes[m].role == "parameter"]
        expect = math.sqrt(float(np.sum([np.square(st.grad(m)) for m in params])))
        assert group_grad_norm(doc, g) == pytest.approx(expect, rel=1e-12, abs=1e-300)
    assert group_value(doc, doc.group("l1n3")) == st.value("l1n3")
    assert group_value(doc, doc.group("l3n1")) == st.value("l3n1.s16")
    assert group_value(doc, doc.group("l1")) is None                  # 16 outputs


def test_group_mutators_emit_once_and_report_changes():
    doc = Document.open(MOONS)
    seen = []
    doc.groups_changed.connect(lambda: seen.append(1))
    assert doc.add_groups(suggest_groups(doc.graph)) and len(seen) == 1
    assert not doc.add_groups(suggest_groups(doc.graph)) and len(seen) == 1
    assert doc.set_group_collapsed("l1n3", True) and not doc.set_group_collapsed("l1n3", True)
    assert doc.set_groups_collapsed([g["id"] for g in doc.groups()], True) and len(seen) == 3
    assert doc.remove_group("l1n3") and not doc.remove_group("l1n3") and len(seen) == 4
    assert doc.add_group("mine", ["x1", "x2"], "inputs") and doc.group("mine")["title"] == "inputs"
    with pytest.raises(KeyError):
        doc.set_group_collapsed("nope", True)
    assert doc.modified


def test_groups_and_collapsed_state_survive_save_and_reopen(tmp_path):
    doc = Document.open(MOONS)
    doc.add_groups(suggest_groups(doc.graph, "layer"))
    doc.set_group_collapsed("l2", True)
    out = doc.save(tmp_path / "g.json")
    again = Document.open(out)
    assert again.groups() == doc.groups() and again.group("l2")["collapsed"] is True
    assert "positions" not in again.graph.view


def test_file_format_checks_groups(tmp_path):
    import json
    text = json.loads(MOONS.read_text())
    for bad in ({"groups": {}}, {"groups": [{"id": 3, "members": []}]},
                {"groups": [{"id": "a", "members": "x1"}]},
                {"groups": [{"id": "a", "members": [], "collapsed": "yes"}]},
                {"groups": [{"id": "a", "members": []}, {"id": "a", "members": []}]}):
        text["view"] = bad
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(text))
        with pytest.raises(GraphFormatError):
            Document.open(path)


def test_cards_of_one_column_stack_evenly():
    pos = card_positions({"a": (0, 500), "b": (40, -900), "c": (1000, 7), "d": (20, 0)}, 100)
    assert pos["c"] == (1000, 7)
    assert [pos[g][1] for g in ("b", "d", "a")] == pytest.approx([-233.33, -133.33, -33.33],
                                                                  abs=0.01)
    assert pos["a"][0] == pos["b"][0] == pos["d"][0] == 20


# ---- the canvas ------------------------------------------------------------------------------
def _drawn(scene, ids):
    return {n: (scene.node_item(n).pos().x(), scene.node_item(n).pos().y()) for n in ids}


def test_collapse_hides_members_and_expand_restores_them(qtbot):
    doc = moons()
    doc.run_to_end()
    scene = GraphScene(doc)
    doc.add_groups(suggest_groups(doc.graph))
    layer = scene.groups()
    before = dict(doc.positions())
    drawn = _drawn(scene, doc.graph.nodes)
    assert drawn == before and "l1n3" in layer.frames and not layer.cards
    assert layer.frames["l1n3"].title.startswith("l1n3  ·  ‖grad‖ = ")
    doc.set_group_collapsed("l1n3", True)
    card = layer.cards["l1n3"]
    members = doc.group("l1n3")["members"]
    assert card.label_text() == "l1n3 (neuron, 8 nodes)" and "l1n3" not in layer.frames
    assert all(not scene.node_item(m).isVisible() for m in members)
    assert all(scene.node_item(m).pos() == card.pos() for m in members)
    assert scene.node_item("l1n4").isVisible()
    norm = group_grad_norm(doc, doc.group("l1n3"))
    assert norm and card.norm_text() == fmt(norm, 4)
    i = doc.stepper.program.index["l1n3"]
    assert tuple(scene._edges.positions[i]) == (card.pos().x(), card.pos().y())
    assert doc.positions() == before and "positions" not in doc.graph.view
    doc.set_group_collapsed("l1n3", False)
    assert "l1n3" not in layer.cards and not layer.folded
    assert _drawn(scene, doc.graph.nodes) == before
    assert all(scene.node_item(m).isVisible() for m in members)
    assert np.array_equal(scene._edges.positions, np.array([before[n] for n in scene._ids]))
    assert doc.positions() == before


def test_layers_fold_neurons_inside_them(qtbot):
    doc = moons()
    scene = GraphScene(doc)
    doc.add_groups(suggest_groups(doc.graph) + suggest_groups(doc.graph, "layer"))
    doc.set_groups_collapsed(["l1n3", "l1"], True)
    layer = scene.groups()
    assert set(layer.cards) == {"l1"} and layer.folded["l1n3.w1"] == "l1"
    assert not any(gid.startswith("l1n") for gid in layer.frames)     # inside the folded layer
    assert layer.cards["l1"].label_text() == "l1 (layer, 128 nodes)"
    doc.set_group_collapsed("l1", False)
    assert set(layer.cards) == {"l1n3"} and "l1" in layer.frames


def test_stepping_while_collapsed_lights_the_summary_card(qtbot):
    doc = moons()
    scene = GraphScene(doc)
    doc.add_groups(suggest_groups(doc.graph))
    doc.set_groups_collapsed(["l1n3", "l2n1"], True)
    layer = scene.groups()
    doc.run_to_node("l1n3.m1")
    assert scene.current_node() == "l1n3.m1" and layer.cards["l1n3"].is_current()
    assert not layer.cards["l2n1"].is_current()
    assert [e.source for e in scene.lit_edges()] == ["x1"]   # w1 -> m1 is inside the card
    doc.run_to_node("l2n1.m3")              # l2n1.m3 = w3 * l1n3: from card to card
    assert layer.cards["l2n1"].is_current() and not layer.cards["l1n3"].is_current()
    doc.run_to_node("l1n4.m1")
    assert not any(c.is_current() for c in layer.cards.values())
    assert scene.node_item("l1n4.m1").is_current()


def test_undo_redo_of_grouping(qtbot):
    doc = moons()
    scene = GraphScene(doc)
    stack = QUndoStack()
    before = dict(doc.positions())
    stack.push(suggest_command(doc, "neuron"))
    assert len(doc.groups()) == 33 and suggest_command(doc, "neuron") is None
    scene.select_node("l1n3.m2")
    cmd = toggle_command(doc, scene)
    assert isinstance(cmd, CollapseGroupsCommand) and cmd.changed == ["l1n3"]
    stack.push(cmd)
    assert doc.group("l1n3")["collapsed"] and "l1n3" in scene.groups().cards
    stack.push(UngroupCommand(doc, "l1n2"))
    assert doc.group("l1n2") is None
    stack.undo()
    assert [g["id"] for g in doc.groups()][:3] == ["l1n1", "l1n2", "l1n3"]
    stack.undo()
    assert not doc.group("l1n3")["collapsed"] and not scene.groups().cards
    stack.undo()
    assert doc.groups() == [] and "groups" not in doc.graph.view
    stack.redo()
    stack.redo()
    assert scene.groups().cards["l1n3"].isVisible()
    assert doc.positions() == before
    assert isinstance(AddGroupsCommand(doc, [], "x"), AddGroupsCommand)


def test_step_menu_group_actions(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from bpstudio.ui.window.main_window import MainWindow
    w = MainWindow(moons(), settings=QSettings(str(tmp_path / "g.ini"),
                                               QSettings.IniFormat))
    w.ask_save_changes = lambda: "discard"
    qtbot.addWidget(w)
    w.view.set_zoom(0.6)                        # cards shown (the overview hides them)
    assert len(w.doc.groups()) == 33            # it opened as a neuron diagram (test_diagram)
    w.doc.remove_groups([g["id"] for g in w.doc.groups()])
    wa = w.actions_
    assert wa.toggle_group.shortcuts()[0].toString() == "G"
    wa.group_neurons.trigger()
    wa.group_layers.trigger()
    assert len(w.doc.groups()) == 36
    w.scene.select_node("l2n4.w3")
    wa.toggle_group.trigger()
    assert w.doc.group("l2n4")["collapsed"]
    w.scene.groups().cards["l2n4"].setSelected(True)
    wa.toggle_group.trigger()                   # the selected card: expand it again
    assert not w.doc.group("l2n4")["collapsed"]
    wa.toggle_groups.trigger()
    assert all(g["collapsed"] for g in w.doc.groups())
    assert set(w.scene.groups().cards) == {"l1", "l2", "l3"}
    w.undo_stack.undo()
    w.scene.select_node("l1n1.w1")
    wa.ungroup.trigger()
    assert w.doc.group("l1n1") is None and w.doc.group("l1") is not None

