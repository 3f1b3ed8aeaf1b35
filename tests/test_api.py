"""The Python API: micrograd-compatible Value, and importing real micrograd graphs."""
import random

import pytest

from bpstudio import Graph, Stepper, Value


def test_value_is_micrograd_compatible_on_the_lecture_expression():
    a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    L.backward()
    assert L.data == -8.0
    assert [x.grad for x in (a, b, c, e, d, f)] == [6.0, -4.0, -2.0, -2.0, -2.0, 4.0]
    assert e._prev == {a, b} and e._op == "*" and L.label == "L"


def test_reflected_ops_division_power_and_reuse():
    x = Value(3.0)
    y = 2 - x / 4 + 1 * x ** 2 - (-x).relu() + x.exp().log() + 10 / x
    y.backward()
    expect = -1 / 4 + 2 * 3.0 + 1 - 10 / 9     # d/dx, computed by hand
    assert y.data == pytest.approx(2 - 0.75 + 9 - 0 + 3 + 10 / 3)
    assert x.grad == pytest.approx(expect)
    b = Value(3.0); s = b + b; s.backward()
    assert b.grad == 2.0


def test_backward_has_no_recursion_limit():
    x = Value(1.0)
    v = x
    for _ in range(20_000):
        v = v * 1.0 + 0.0
    v.backward()
    assert x.grad == 1.0


def test_graph_from_our_value_keeps_labels_and_order():
    a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    e = a * b; e.label = "e"
    g = Graph.from_value(e)
    assert list(g.nodes) == ["a", "b", "e"]
    assert g.nodes["e"].inputs == ("a", "b") and g.output == "e"


def test_graph_from_real_micrograd_values():
    micrograd = pytest.importorskip("micrograd.engine")
    nn = pytest.importorskip("micrograd.nn")
    random.seed(7)
    model = nn.MLP(2, [4, 1])
    x = [micrograd.Value(0.5), micrograd.Value(-1.5)]
    a = micrograd.Value(1.5)
    loss = (1 + -1.0 * model(x)).relu() + (a * a) ** 2 + a / 3
    loss.backward()
    g = Graph.from_value(loss, parameters=model.parameters() + [a])
    s = Stepper(g)
    s.run_to_end()
    assert s.value(g.output) == pytest.approx(loss.data, abs=1e-12)
    params = model.parameters() + [a]
    leaves = {n.id: n for n in g.nodes.values() if n.is_leaf and n.role == "parameter"}
    assert len(leaves) == len(params)
    got = sorted(s.grad(i) for i in leaves)
    assert got == pytest.approx(sorted(p.grad for p in params), abs=1e-12)
