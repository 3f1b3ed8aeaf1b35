"""Composite ops expand into primitives with the same numbers; breakpoints and watches;
DOT export."""
from pathlib import Path

import numpy as np
import pytest

from bpstudio import load
from bpstudio.engine import Graph, GraphError, Stepper
from bpstudio.engine.breakpoints import Watch, run_until
from bpstudio.io.export_dot import to_dot

EX = Path(__file__).resolve().parents[1] / "resources" / "examples"


def grads_at_end(g):
    s = Stepper(g)
    s.run_to_end()
    return s, {n.id: s.grad(n.id) for n in g.leaves()}


@pytest.mark.parametrize("file,node", [("neuron.json", "o"), ("net-2-2-2.json", "h1"),
                                       ("net-2-2-2-matrix.json", "H"),
                                       ("net-2-2-2-matrix.json", "L")])
def test_expansion_keeps_every_number(file, node):
    g = load(EX / file)
    fused_s, fused = grads_at_end(g)
    e = g.expand(node)
    assert len(e) > len(g) and e.nodes[node].op != g.nodes[node].op
    exp_s, expanded = grads_at_end(e)
    np.testing.assert_allclose(exp_s.value(g.output), fused_s.value(g.output), rtol=1e-12)
    for k, v in fused.items():
        np.testing.assert_allclose(expanded[k], v, rtol=1e-12, atol=1e-15)


def test_step_into_tanh_gives_the_seed_grads():
    e = load(EX / "neuron.json").expand("o")
    s, grads = grads_at_end(e)
    expect = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for k, v in expect.items():
        assert grads[k] == pytest.approx(v, abs=1e-12)
    assert [n.op for n in e.nodes.values() if n.id.startswith("o/")].count("exp") == 1


def test_only_composites_expand():
    with pytest.raises(GraphError):
        load(EX / "expression.json").expand("e")


def test_breakpoint_stops_at_forward_then_backward_step():
    s = Stepper(load(EX / "expression.json"))
    stop = run_until(s, s.total, {"d"})
    assert stop.node == "d" and s.current.kind == "forward" and s.current.node == "d"
    stop = run_until(s, s.total, {"d"})
    assert stop.node == "d" and s.current.kind == "backward"
    assert run_until(s, s.total, {"d"}) is None and s.cursor == s.total


def test_watches_nonfinite_and_exploding():
    g = Graph(output="L")
    g.leaf("x", -2.0); g.leaf("w", 1.0)
    g.op("xw", "mul", "x", "w"); g.op("lg", "log", "xw"); g.op("L", "neg", "lg")
    s = Stepper(g)
    stop = run_until(s, s.total, (), [Watch("nonfinite")])
    assert stop.node == "lg" and s.current.node == "lg"
    s2 = Stepper(load(EX / "expression.json"))
    stop = run_until(s2, s2.total, (), [Watch("grad_above", 5.0)])
    assert "a.grad" in stop.reason and s2.current.node == "e"
    s3 = Stepper(load(EX / "net-2-2-2.json"))
    stop = run_until(s3, s3.total, (), [Watch("grad_below", 1e-6)])
    assert stop is not None and stop.node == "h1"          # the vanishing hidden-layer grads


def test_dot_export_is_draw_dot_style():
    g = load(EX / "expression.json")
    s = Stepper(g)
    s.run_to_end()
    dot = to_dot(g, s)
    assert dot.startswith("digraph") and "rankdir=LR" in dot
    assert 'label="{ L | data -8.0 | grad 1.0 }"' in dot
    assert dot.count("shape=record") == 7 and dot.count("shape=circle") == 3
