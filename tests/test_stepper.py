"""The stepper: seed numbers, exact step back, accumulation, staleness, big graphs."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpstudio import Value
from bpstudio.engine import Graph, Stepper
from bpstudio.engine.gradcheck import check_gradients
from bpstudio.engine.stepper import FAST_PATH_MIN_STEPS


def expression(c=10.0):
    g = Graph(output="L")
    g.leaf("a", 2.0); g.leaf("b", -3.0); g.leaf("c", c)
    g.op("e", "mul", "a", "b"); g.op("d", "add", "e", "c")
    g.leaf("f", -2.0); g.op("L", "mul", "d", "f")
    return g


def state(s: Stepper):
    """Everything that stepping can change, in a form compared bit for bit."""
    def exact(v):
        return None if v is None else (np.asarray(v).tobytes(), np.shape(v))
    return (s.cursor, [exact(v) for v in s.values], bytes(s.vstate),
            [exact(g) for g in s.grads], list(s.received), s.grads_stale)


def test_expression_forward_then_backward_numbers():
    s = Stepper(expression())
    assert s.total == 7
    assert s.value("e") is None and s.value_state("e") == "pending"
    s.run_to(3)
    assert (s.value("e"), s.value("d"), s.value("L")) == (-6.0, 4.0, -8.0)
    assert s.phase == "forward" and s.grad("a") is None
    s.run_to_end()
    grads = {n: s.grad(n) for n in "abcdefL"}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}


def test_backward_record_carries_upstream_local_contribution():
    s = Stepper(expression())
    s.run_to_end()
    rec = s.current
    assert rec.kind == "backward" and rec.node == "e"
    fa = rec.flows[0]
    assert (fa.target, fa.local, fa.upstream, fa.contribution) == ("a", -3.0, -2.0, 6.0)
    assert (fa.grad_before, fa.grad_after) == (0.0, 6.0)
    line = rec.lines(s.labels)[0]
    assert line.startswith("a.grad += b.data × e.grad = (−3.0) × (−2.0) = 6.0")


def test_fan_out_accumulates_with_plus_equals():
    g = Graph(output="b")
    g.leaf("a", 3.0)
    g.op("b", "add", "a", "a")
    s = Stepper(g)
    s.run_to_end()
    first, second = s.current.flows
    assert (first.grad_before, first.grad_after) == (0.0, 1.0)
    assert (second.grad_before, second.grad_after) == (1.0, 2.0)
    assert s.grad("a") == 2.0 and s.grad_state("a") == "final"
    assert "a.grad = 1.0 + 1.0 = 2.0" in s.current.lines(s.labels)[1]


def test_grad_states_none_accumulating_final():
    g = Graph(output="L")
    g.leaf("a", 2.0); g.op("p", "mul", "a", "a"); g.op("q", "neg", "a"); g.op("L", "add", "p", "q")
    s = Stepper(g)
    s.run_to(s.program.n_forward + 1)           # seed applied
    assert s.grad_state("L") == "final" and s.grad_state("a") == "none"
    while s.grad_state("a") == "none":
        s.step()
    assert s.grad_state("a") == "accumulating"
    s.run_to_end()
    assert s.grad_state("a") == "final" and s.grad("a") == 2 * 2.0 - 1


def test_step_back_after_every_step_restores_state_exactly():
    for g in (expression(), _neuron_graph(), _mlp_graph(3)[0]):
        s = Stepper(g)
        while s.cursor < s.total:
            before = state(s)
            s.step()
            after = state(s)
            s.back()
            assert state(s) == before
            s.step()
            assert state(s) == after
        while s.back():
            pass
        assert state(s) == state(Stepper(g))


def test_run_to_node_and_reset():
    s = Stepper(expression())
    s.run_to_node("d", "forward")
    assert s.cursor == 2 and s.value("d") == 4.0 and s.value_state("L") == "pending"
    s.run_to_node("e", "backward")
    assert s.current.node == "e" and s.grad("a") == 6.0
    s.reset()
    assert s.cursor == 0 and s.value("e") is None and s.grad("a") is None


def test_set_leaf_marks_downstream_stale_and_rewinds():
    s = Stepper(expression())
    s.run_to_end()
    cursor = s.set_leaf("a", 3.0)
    assert cursor == 0 == s.cursor
    assert [s.value_state(n) for n in "edL"] == ["stale"] * 3
    assert s.value("e") == -6.0                     # old number kept, shown dimmed
    assert s.grad_state("b") == "stale"
    s.run_to_end()
    assert s.value("L") == (3 * -3 + 10) * -2 and s.grad("b") == -2 * 3.0
    assert s.value_state("e") == "computed"


def test_set_leaf_rewinds_only_to_first_affected_step():
    s = Stepper(expression())
    s.run_to(3)
    assert s.set_leaf("f", 5.0) == 2               # only L depends on f
    assert s.value_state("e") == "computed" and s.value_state("L") == "stale"


def _neuron_graph():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return Graph.from_value(o)


def test_neuron_seed_numbers():
    s = Stepper(_neuron_graph())
    s.run_to_end()
    assert s.value("o") == pytest.approx(0.7071067811865476, abs=1e-12)
    expect = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for k, v in expect.items():
        assert s.grad(k) == pytest.approx(v, abs=1e-12)


def _mlp_graph(n_points, seed=0):
    """A micrograd-style MLP loss built with our Value (plain Python floats)."""
    rng = np.random.default_rng(seed)
    ws = [[[Value(rng.uniform(-1, 1)) for _ in range(nin)] + [Value(0.0)]
           for _ in range(nout)] for nin, nout in ((2, 8), (8, 8), (8, 1))]
    total = Value(0.0)
    for _ in range(n_points):
        x = [float(v) for v in rng.normal(size=2)]
        y = float(rng.choice([-1.0, 1.0]))
        acts = x
        for li, layer in enumerate(ws):
            outs = []
            for neuron in layer:
                act = neuron[-1]
                for w, a in zip(neuron[:-1], acts):
                    act = act + w * a
                outs.append(act.relu() if li < 2 else act)
            acts = outs
        total = total + (1 + -y * acts[0]).relu()
    loss = total * (1.0 / n_points)
    return Graph.from_value(loss), loss


def test_fast_run_to_end_is_identical_to_stepping():
    g, loss = _mlp_graph(12)
    fast, slow = Stepper(g), Stepper(g)
    assert fast.total >= FAST_PATH_MIN_STEPS
    fast.run_to_end()
    assert fast._batch is not None                     # the vectorised path ran
    while slow.step():
        pass
    assert state(fast) == state(slow)
    for k in (0, slow.program.n_forward, slow.program.n_forward + 1, slow.total - 1):
        a, b = fast.record(k), slow.record(k)
        assert a.lines(fast.labels) == b.lines(slow.labels)
    while fast.cursor > fast.total - 50:               # step back through lazy records
        fast.back()
        slow.back()
        assert state(fast) == state(slow)


def test_fast_path_agrees_with_our_value_backward():
    g, loss = _mlp_graph(10, seed=3)
    loss.backward()
    s = Stepper(g)
    s.run_to_end()
    assert s.value(g.output) == loss.data
    leaves = [n for n in g.nodes.values() if n.is_leaf]
    assert len(leaves) > 100


def test_hundred_thousand_node_chain():
    n = 100_000
    g = Graph(output=f"v{n - 1}")
    g.leaf("v0", 0.5)
    g.leaf("c", 1e-6, role="constant")
    for i in range(1, n):
        g.op(f"v{i}", "add" if i % 2 else "mul", f"v{i - 1}", "c" if i % 2 else "one")
        if i == 2:
            g.leaf("one", 1.0, role="constant")
    s = Stepper(g)
    s.run_to_end()
    assert s.grad("v0") == 1.0
    assert s.grad("c") == pytest.approx(n // 2, rel=1e-9)
    assert s.value(g.output) == pytest.approx(0.5 + 1e-6 * (n // 2), rel=1e-9)
    s.back()
    s.reset()
    assert s.value(g.output) is None


SMOOTH_UNARY = ["tanh", "sigmoid", "neg"]
SMOOTH_BINARY = ["add", "sub", "mul"]


@st.composite
def dags(draw):
    """Random scalar DAGs whose nodes are reused by several consumers."""
    n_leaves = draw(st.integers(1, 4))
    values = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n_leaves,
                           max_size=n_leaves))
    g = Graph(output=None)
    names = []
    for i, v in enumerate(values):
        names.append(g.leaf(f"x{i}", v))
    for k in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            op = draw(st.sampled_from(SMOOTH_BINARY))
            a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            names.append(g.op(f"n{k}", op, a, b))
        else:
            op = draw(st.sampled_from(SMOOTH_UNARY))
            names.append(g.op(f"n{k}", op, draw(st.sampled_from(names))))
    g.output = names[-1]
    return g


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_match_central_differences(g):
    for r in check_gradients(g, eps=1e-6, tol=1e-5):
        assert r.ok, (r.node, r.analytic, r.numeric)


@settings(max_examples=60, deadline=None)
@given(dags())
def test_random_dags_step_back_exactly(g):
    s = Stepper(g)
    snapshots = [state(s)]
    while s.step():
        snapshots.append(state(s))
    while s.cursor:
        s.back()
        assert state(s) == snapshots[s.cursor]


def test_non_finite_values_are_computed_not_hidden():
    g = Graph(output="y")
    g.leaf("x", -1.0)
    g.op("y", "log", "x")
    s = Stepper(g)
    s.run_to_end()
    assert math.isnan(s.value("y"))


def test_long_jump_back_equals_stepping_back():
    g, _ = _mlp_graph(12, seed=5)
    a, b = Stepper(g), Stepper(g)
    for s in (a, b):
        s.run_to(s.program.n_forward // 2)
        s.step()                                     # a record made one by one
        s.run_to_end()
    a.reset()                                        # the fast rewind
    while b.back():
        pass
    assert state(a) == state(b) == state(Stepper(g))
    a.run_to_end(); b.run_to_end()
    a.run_to(7); b.run_to(a.total - 1)
    while b.cursor > 7:
        b.back()
    assert state(a) == state(b)


def test_long_jump_back_into_backward_phase_equals_stepping_back():
    g, _ = _mlp_graph(14, seed=9)
    a, b = Stepper(g), Stepper(g)
    a.run_to_end(); b.run_to_end()
    k = a.program.n_forward + 40
    a.run_to(k)
    while b.cursor > k:
        b.back()
    assert state(a) == state(b)
    a.back(); b.back()
    assert state(a) == state(b)
