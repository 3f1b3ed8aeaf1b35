"""bpstudio.Value does what micrograd code does with a Value (issue 11, item 6)."""
import math
import warnings

import pytest

from bpstudio import Graph, Value
from bpstudio.model.from_object import document_of
from bpstudio.paths import EXAMPLES


def test_the_lectures_manual_walkthrough_with_underscore_backward():
    x1 = Value(2.0, label="x1"); x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1"); w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(1 - o.data ** 2) and n.grad == pytest.approx(0.5)
    n._backward(); b._backward(); x1w1x2w2._backward(); x2w2._backward(); x1w1._backward()
    # the lecture's numbers (and PyTorch's): x1 -1.5, w1 1.0, x2 0.5, w2 0.0
    got = [x1.grad, w1.grad, x2.grad, w2.grad, b.grad, x1w1.grad, x2w2.grad]
    assert got == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5, 0.5, 0.5], abs=1e-12)


def test_extra_attributes_like_micrograds_value():
    v = Value(1.0)
    v.note = "mine"
    v._backward = lambda: None          # micrograd code assigns it, too
    assert v.note == "mine"
    v._backward()


def test_bad_domains_are_ieee_values_without_warnings_or_exceptions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(Value(-1.0).log().data)
        assert Value(0.0).log().data == -math.inf
        assert (Value(1.0) / 0).data == math.inf
        assert math.isnan((Value(-8.0) ** (1 / 3)).data)     # not a complex number
        assert (Value(0.0) ** -1).data == math.inf
        assert Value(1000.0).exp().data == math.inf


def test_document_of_a_graph_a_path_and_a_value():
    a = Value(2.0, label="a"); L = a * 3
    doc = document_of(L, title="mine")
    assert doc.graph.title == "mine" and doc.stepper.cursor == doc.stepper.program.n_forward
    g = Graph.from_value(L)
    assert document_of(g).graph is not g                  # a copy: the caller's graph stays
    doc = document_of(EXAMPLES / "expression.json", step=3)
    assert doc.stepper.cursor == 3 and doc.stepper.value("L") == -8.0
