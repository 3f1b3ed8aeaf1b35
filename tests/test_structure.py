"""Step into / collapse: a composite op spelled out in place and folded back, with the
same numbers, positions that come back, a cursor carried over, undo and the canvas."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bpstudio.ui.commands.structure import (
    CollapseCommand,
    ExpandCommand,
    collapse_command,
    expand_command,
)
from PySide6.QtGui import QUndoStack

from bpstudio.engine import GraphError
from bpstudio.model.document import Document
from bpstudio.ui.canvas.graph_scene import GraphScene

EX = Path(__file__).resolve().parents[1] / "resources" / "examples"
NEURON_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}


def leaf_grads(doc: Document) -> dict[str, float]:
    doc.run_to_end()
    return {n.id: doc.stepper.grad(n.id) for n in doc.graph.leaves() if "/" not in n.id}


def shape(doc: Document):
    return [(n.id, n.op, n.inputs, n.label) for n in doc.graph.nodes.values()]


def test_step_into_tanh_gives_the_fused_grads():
    doc = Document.open(EX / "neuron.json")
    fused = leaf_grads(doc)
    doc.expand("o")
    assert doc.graph.nodes["o"].op == "div" and "o/exp" in doc.graph.nodes
    expanded = leaf_grads(doc)
    for k, v in NEURON_GRADS.items():
        assert expanded[k] == pytest.approx(v, abs=1e-12)
        assert abs(expanded[k] - fused[k]) <= 1e-12
    assert doc.stepper.value("o") == pytest.approx(0.7071067811865476, abs=1e-12)


def test_collapse_returns_to_the_fused_graph_and_positions():
    doc = Document.open(EX / "neuron.json")
    before, positions = shape(doc), dict(doc.positions())
    doc.expand("o")
    assert doc.positions()["o"][0] > positions["o"][0]          # a gap opened for the parts
    assert all(positions["n"][0] < doc.positions()[p][0] < doc.positions()["o"][0]
               for p in doc.graph.view["expanded"]["o"]["parts"])
    doc.collapse("o")
    assert shape(doc) == before
    assert doc.positions() == positions
    assert "expanded" not in doc.graph.view
    for k, v in NEURON_GRADS.items():
        assert leaf_grads(doc)[k] == pytest.approx(v, abs=1e-12)


def test_one_signal_per_structure_change():
    doc = Document.open(EX / "neuron.json")
    seen = []
    doc.structure_changed.connect(lambda: seen.append("structure"))
    doc.cursor_moved.connect(lambda *a: seen.append("cursor"))
    doc.expand("o")
    doc.collapse("o")
    assert seen == ["structure", "structure"] and doc.modified


def test_cursor_past_the_composite_lands_after_its_last_primitive():
    doc = Document.open(EX / "neuron.json")
    doc.run_to_node("o")                               # tanh's forward step just applied
    doc.expand("o")
    rec = doc.stepper.current
    assert (rec.kind, rec.node) == ("forward", "o")    # o = num / den, the last primitive
    parts = doc.graph.view["expanded"]["o"]["parts"]
    assert all(doc.stepper.value_state(p) == "computed" for p in parts)
    assert doc.stepper.value("o") == pytest.approx(0.7071067811865476, abs=1e-12)


def test_cursor_before_the_composite_stays_put():
    doc = Document.open(EX / "neuron.json")
    doc.run_to(2)
    done = {doc.stepper.node_at(k) for k in range(2)}
    doc.expand("o")
    assert doc.stepper.cursor == 2
    assert {doc.stepper.node_at(k) for k in range(2)} == done


def test_cursor_in_the_backward_pass_is_carried_both_ways():
    doc = Document.open(EX / "neuron.json")
    doc.run_to_end()
    doc.expand("o")
    assert doc.stepper.cursor == doc.stepper.total
    f = doc.stepper.program.n_forward
    doc.run_to(f + 3)                   # seed, o's and one more primitive's backward step
    doc.collapse("o")                   # tanh's backward step is not complete: before it
    assert doc.stepper.cursor == doc.stepper.program.n_forward + 1
    assert doc.stepper.grad("n") == 0.0


def test_only_composites_step_in_and_only_expanded_ones_collapse():
    doc = Document.open(EX / "neuron.json")
    assert doc.can_expand("o") and not doc.can_expand("n")
    with pytest.raises(GraphError):
        doc.expand("n")
    with pytest.raises(GraphError):
        doc.collapse("o")
    doc.expand("o")
    assert not doc.can_expand("o")
    assert doc.expanded_owner("o/exp") == "o" and doc.expanded_owner("o") == "o"
    assert doc.expanded_owner("n") is None


@pytest.mark.parametrize("file,node", [("net-2-2-2.json", "h1"), ("net-2-2-2-matrix.json", "H"),
                                       ("net-2-2-2-matrix.json", "L")])
def test_other_composites_keep_every_grad(file, node):
    doc = Document.open(EX / file)
    fused = leaf_grads(doc)
    doc.expand(node)
    expanded = leaf_grads(doc)
    for k, v in fused.items():
        np.testing.assert_allclose(expanded[k], v, rtol=1e-12, atol=1e-12)
    doc.collapse(node)
    for k, v in leaf_grads(doc).items():
        np.testing.assert_allclose(v, fused[k], rtol=0, atol=0)


def test_expanded_file_saves_reopens_and_collapses(tmp_path):
    doc = Document.open(EX / "neuron.json")
    doc.expand("o")
    doc.save(tmp_path / "n.json")
    again = Document.open(tmp_path / "n.json")
    assert "o/exp" in again.graph.nodes and again.expanded_owner("o/den") == "o"
    again.collapse("o")
    assert again.graph.nodes["o"].op == "tanh" and len(again.graph.nodes) == 10
    for k, v in NEURON_GRADS.items():
        assert leaf_grads(again)[k] == pytest.approx(v, abs=1e-12)


def test_live_document_stays_at_the_end():
    doc = Document.open(EX / "neuron.json")
    doc.set_live(True)
    doc.expand("o")
    assert doc.stepper.cursor == doc.stepper.total


# ---- undo and the canvas --------------------------------------------------------------------
def test_undo_redo_of_step_into(qtbot):
    doc = Document.open(EX / "neuron.json")
    doc.run_to(3)
    stack = QUndoStack()
    before = shape(doc)
    stack.push(ExpandCommand(doc, "o"))
    assert "o/exp" in doc.graph.nodes and stack.undoText() == "Step into o"
    stack.undo()
    assert shape(doc) == before and doc.stepper.cursor == 3
    stack.redo()
    assert doc.graph.nodes["o"].op == "div"
    stack.push(CollapseCommand(doc, "o"))
    assert shape(doc) == before
    stack.undo()
    assert "o/exp" in doc.graph.nodes


def test_menu_helpers_pick_the_right_command():
    doc = Document.open(EX / "neuron.json")
    assert expand_command(doc, "n") is None and collapse_command(doc, "o") is None
    assert isinstance(expand_command(doc, "o"), ExpandCommand)
    doc.expand("o")
    cmd = collapse_command(doc, "o/exp")
    assert isinstance(cmd, CollapseCommand) and cmd.node_id == "o"
    assert expand_command(doc, None) is None and collapse_command(doc, "nope") is None


def test_canvas_rebuilds_on_step_into_and_collapse(qtbot):
    doc = Document.open(EX / "neuron.json")
    doc.run_to_end()
    scene = GraphScene(doc)
    scene.select_node("o")
    doc.expand("o")
    item = scene.node_item("o/exp")
    assert (item.pos().x(), item.pos().y()) == doc.positions()["o/exp"]
    assert scene.node_item("o").op_symbol() != "tanh"
    assert scene.selected_node() == "o"
    assert scene.node_item("x1").grad_text() == "\u22121.5"
    doc.collapse("o")
    with pytest.raises(KeyError):
        scene.node_item("o/exp")
    assert scene.node_item("o").op_symbol() == "tanh"
    assert scene.current_node() == doc.stepper.current.node


# ---- the menu entries (File ▸ Export, Step ▸ Step into / Collapse) ----------------------------
class _Actions:
    """The part of WindowActions the menu builders use."""

    def __init__(self, w):
        self.w, self.made = w, []

    def _add(self, menu, title, text, slot, keys=(), **kw):
        from bpstudio.ui.window.actions import make_action
        action = make_action(self.w, text, slot, keys, menu=title, **kw)
        menu.addAction(action)
        self.made.append(action)
        return action


@pytest.fixture
def window(qtbot):
    from PySide6.QtWidgets import QMainWindow

    from bpstudio.ui.canvas.graph_view import GraphView

    class Window(QMainWindow):
        def __init__(self):
            super().__init__()
            self.doc = Document.open(EX / "neuron.json")
            self.scene = GraphScene(self.doc)
            self.view = GraphView(self.scene)
            self.setCentralWidget(self.view)
            self.undo_stack = QUndoStack(self)
            self.errors = []

        def show_error(self, text, title=""):
            self.errors.append(text)

    w = Window()
    qtbot.addWidget(w)
    w.resize(900, 600)
    return w


def test_step_into_and_collapse_from_the_step_menu(window):
    from bpstudio.ui.window.export_actions import add_structure_actions
    wa = _Actions(window)
    add_structure_actions(wa, window.menuBar().addMenu("Step"), "Step", window)
    assert [a.shortcuts()[0].toString() for a in wa.made] == ["I", "O"]
    window.doc.run_to_end()
    window.scene.select_node("n")
    wa.step_into.trigger()                       # n is an add: nothing to step into
    assert "o/exp" not in window.doc.graph.nodes and window.undo_stack.count() == 0
    window.scene.select_node("o")
    wa.step_into.trigger()
    assert "o/exp" in window.doc.graph.nodes
    window.scene.select_node("o/num")
    wa.collapse.trigger()
    assert window.doc.graph.nodes["o"].op == "tanh" and window.undo_stack.count() == 2
    window.undo_stack.undo()
    assert "o/exp" in window.doc.graph.nodes


def test_file_export_menu_writes_every_kind(window, tmp_path):
    pytest.importorskip("PIL")
    from bpstudio.ui.window import export_actions
    wa = _Actions(window)
    export_actions.add_export_actions(wa, window.menuBar().addMenu("File"), "File", window)
    assert len(wa.made) == len(export_actions.KINDS) and all(a.shortcuts() for a in wa.made)
    window.doc.run_to(4)
    for kind, name in (("png", "a.png"), ("view", "v.png"), ("svg", "a.svg"), ("dot", "a.dot"),
                       ("gif", "a.gif"), ("frames", "frames")):
        out = export_actions.export_to(window, kind, tmp_path / name)
        assert out is not None and out.exists(), kind
    assert len(list((tmp_path / "frames").glob("frame-*.png"))) == window.doc.stepper.total + 1
    assert window.doc.stepper.cursor == 4 and not window.errors
    assert export_actions.export_to(window, "png", tmp_path / "nope" / "x.png") is None
    assert window.errors and "nope" in window.errors[0]


def test_a_box_marks_what_was_stepped_into(qtbot):
    from bpstudio.ui.canvas.group_box import GroupBox
    doc = Document.open(EX / "neuron.json")
    scene = GraphScene(doc)
    doc.expand("o")
    boxes = [i for i in scene.items() if isinstance(i, GroupBox)]
    assert [b.title for b in boxes] == ["o = tanh(n)  ·  stepped into"]
    box = boxes[0].sceneBoundingRect()
    for nid in ["o", *doc.graph.view["expanded"]["o"]["parts"]]:
        assert box.contains(scene.node_item(nid).sceneBoundingRect().center())
    assert not box.contains(scene.node_item("n").pos())
    assert scene.sceneRect().contains(box)
    doc.collapse("o")
    assert not [i for i in scene.items() if isinstance(i, GroupBox)]
