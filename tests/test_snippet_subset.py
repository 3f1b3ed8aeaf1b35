"""The safe reader's wider subset, each piece from real lecture or seed code (issue 11)."""
from __future__ import annotations

import math

import pytest

from bpstudio.engine import Stepper
from bpstudio.io.snippet import SnippetError, parse_snippet

NEURON = """\
# inputs x1,x2
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
# weights w1,w2
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
# bias of the neuron
b = Value(6.8813735870195432, label='b')
# x1*w1 + x2*w2 + b
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
"""
NEURON_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}


def run(src: str):
    g = parse_snippet(src)
    s = Stepper(g)
    s.run_to_end()
    return g, s


def grads(g, s, names):
    return {k: pytest.approx(s.grad(g.by_label(k).id), abs=1e-12) for k in names}


def test_tuple_unpacking_seed_003():
    # seed 003's forward pass, with Values: "x1, x2 = 3., 1." and pairs of weights
    src = ("x1, x2 = Value(3.), Value(1.)\nw11, w21 = Value(6.), Value(-2.)\n"
           "w12, w22 = Value(-3.), Value(5.)\n"
           "h1_in = w11*x1 + w21*x2\nh2_in = w12*x1 + w22*x2\n"
           "h1_out, h2_out = h1_in.sigmoid(), h2_in.sigmoid()\n")
    g, s = run(src)
    assert s.value("h1_in") == 16.0 and s.value("h2_in") == -4.0
    assert s.value("h1_out") == pytest.approx(0.9999998874648379, abs=1e-15)  # seed: >>> value
    assert g.output == "h2_out"


def test_plain_numbers_unpacked_and_used_as_constants():
    # seed 003: "x1, x2 = 3., 1." then arithmetic; numbers fold, Values make the graph
    g, s = run("x1, x2 = 3., 1.\nw = Value(6.)\nh1_in = w*x1 + (- 2)*x2\n")
    assert s.value("h1_in") == 16.0 and s.grad("w") == 3.0
    consts = sorted(n.value for n in g.nodes.values() if n.role == "constant")
    assert consts == [-2.0, 3.0]                # (- 2)*x2 is one number, as in Python


def test_lists_indexing_loops_zip_and_sum():
    # the lecture's Neuron.__call__ written out: sum((wi*xi for wi, xi in zip(w, x)), b)
    src = ("x = [2.0, 0.0]\nw = [Value(-3.0, label='w1'), Value(1.0, label='w2')]\n"
           "b = Value(6.8813735870195432, label='b')\n"
           "act = sum((wi*xi for wi, xi in zip(w, x)), b)\nout = act.tanh()\n")
    g, s = run(src)
    assert s.value("out") == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert grads(g, s, ["w1", "w2", "b"]) == {"w1": 1.0, "w2": 0.0, "b": 0.5}
    # the same with a for loop over range() and indexing, and a list built by append
    src = ("xs = [Value(2.0, label='x1'), Value(0.0, label='x2')]\nws = []\n"
           "for v in [-3.0, 1.0]:\n    ws.append(Value(v))\n"
           "act = Value(6.8813735870195432, label='b')\n"
           "for i in range(len(ws)):\n    act = act + ws[i] * xs[i]\n"
           "ws[0].label = 'w1'\nws[-1].label = 'w2'\no = act.tanh()\n")
    g, s = run(src)
    assert s.value("o") == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert grads(g, s, NEURON_GRADS) == NEURON_GRADS
    assert len(g) == 5 + 4 + 1          # 5 leaves, 2 mul + 2 add, tanh


def test_sum_without_start_is_pythons_0_plus():
    g, s = run("vs = [Value(1.0), Value(2.0), Value(3.5)]\ntotal = sum(vs)\n")
    leaves = [n for n in g.nodes.values() if n.is_leaf]
    assert [(n.id, n.role, n.value) for n in leaves] == [
        ("leaf1", "parameter", 1.0), ("leaf2", "parameter", 2.0), ("leaf3", "parameter", 3.5),
        ("const1", "constant", 0.0)]                    # ((0 + v1) + v2) + v3, as Python
    assert s.value("total") == 6.5 and [s.grad(n.id) for n in leaves[:3]] == [1.0] * 3


def test_enumerate_and_nested_loops_and_comprehension():
    src = ("ps = [Value(float(k)) for k in range(1, 4)]\nL = Value(0.0, label='zero')\n"
           "for i, p in enumerate(ps):\n    for j in range(2):\n        L = L + p * (i + j)\n")
    g, s = run(src)
    # L = sum_i sum_j p_i (i + j) = 1*(0+1) + 2*(1+2) + 3*(2+3) = 22
    assert s.value(g.output) == 22.0
    leaves = [n.id for n in g.nodes.values() if n.is_leaf and n.role != "constant"]
    assert [s.grad(n) for n in leaves[:3]] == [1.0, 3.0, 5.0]


def test_keyword_arguments():
    g, s = run("x = Value(data=1.0, label='x')\ny = Value(label='w', data=-2.0)\nz = x * y\n")
    assert (g["x"].value, g["x"].label, g["y"].label, s.value("z")) == (1.0, "x", "w", -2.0)


def test_constant_expressions_and_math():
    src = ("import math\nx = Value(2.0)\ny = (1 + 2) * x + math.pi - math.exp(1) "
           "+ x ** (1 / 2) + Value(math.e)\n")
    g, s = run(src)
    want = 3 * 2.0 + math.pi - math.e + math.sqrt(2.0) + math.e
    assert s.value("y") == pytest.approx(want, abs=1e-12)
    assert s.grad("x") == pytest.approx(3 + 0.5 / math.sqrt(2.0), abs=1e-12)
    g, _ = run("x = Value(2.0)\ny = x * (2 ** 3 // 3 % 5)\n")
    assert [n.value for n in g.nodes.values() if n.role == "constant"] == [2.0]


def test_data_reads_and_fstring_labels():
    # the lecture's numerical check: L1 = L.data ... (L2 - L1)/h
    src = ("h = 0.001\na = Value(2.0)\nL1 = (a * a).data\nb = Value(2.0 + h)\n"
           "L2 = (b * b).data\nslope = Value((L2 - L1) / h, label=f'slope h={h}')\n")
    g, s = run(src)
    assert g["slope"].value == pytest.approx(4.001, abs=1e-9)
    assert g["slope"].label == "slope h=0.001"


def test_lecture_nudge_before_backward_changes_nothing():
    # lecture 1, cells 7 + 10: the nudge runs before any backward, so every grad is 0
    src = ("a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nc = Value(10.0, label='c')\n"
           "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\n"
           "L = d * f; L\n"
           "a.data += 0.01 * a.grad\nb.data += 0.01 * b.grad\nc.data += 0.01 * c.grad\n"
           "f.data += 0.01 * f.grad\n\ne = a * b\nd = e + c\nL = d * f\n\nprint(L.data)\n")
    g, s = run(src)
    assert g.output == "L_2" and s.value("L_2") == -8.0 and s.value("L") == -8.0


def test_data_set_before_use():
    # lecture 1, cell 11 (body of lol()): b.data += h before b is used
    g, s = run("h = 0.001\na = Value(2.0)\nb = Value(-3.0)\nb.data += h\ne = a*b\n")
    assert g["b"].value == -3.0 + 0.001 and s.value("e") == 2 * (-3.0 + 0.001)
    with pytest.raises(SnippetError, match="after the node was used"):
        parse_snippet("a = Value(2.0)\ne = a * a\na.data += 0.5\n")


def test_manual_backward_lines_are_accepted():
    # lecture 1, cells 15-28: o.backward(), o.grad = 1.0, o._backward(), x1.grad = ...
    src = NEURON + ("o = n.tanh(); o.label = 'o'\no.backward()\no.grad = 1.0\no._backward()\n"
                    "n._backward()\nx1.grad = w1.data * x1w1.grad\nx1w1.grad = 0.5\n"
                    "1 - o.data**2\n# o = tanh(n)\n")
    g, s = run(src)
    assert g.output == "o" and grads(g, s, NEURON_GRADS) == NEURON_GRADS


def test_notebook_lines_are_skipped():
    src = ("import math\nimport numpy as np\nimport matplotlib.pyplot as plt\n%matplotlib inline\n"
           "!pip install micrograd\nget_ipython().run_line_magic('matplotlib', 'inline')\n"
           + NEURON + "o = n.tanh(); o.label = 'o'\n"
           "dot = draw_dot(o)\ndraw_dot(o).render('gout', format='svg')\ndot.render('x')\n"
           "display(dot)\ndot\nplt.plot([1, 2], [3, 4]); plt.grid();\n")
    g, s = run(src)
    assert g.output == "o" and grads(g, s, NEURON_GRADS) == NEURON_GRADS
    with pytest.raises(SnippetError, match="draw_dot"):
        parse_snippet(NEURON + "dot = draw_dot(n)\nm = dot * 2\n")


def test_second_half_class_and_exp_form_of_tanh():
    # lecture 2, cells 7 + 11: micrograd's Value class, then tanh written with exp
    src = ("class Value:\n  def __init__(self, data, _children=(), _op='', label=''):\n"
           "    self.data = data\n  def __add__(self, other):\n"
           "    other = other if isinstance(other, Value) else Value(other)\n"
           "    out = Value(self.data + other.data, (self, other), '+')\n    return out\n"
           "  def __mul__(self, other):\n"
           "    other = other if isinstance(other, Value) else Value(other)\n"
           "    out = Value(self.data * other.data, (self, other), '*')\n    return out\n"
           "  def __pow__(self, other):\n"
           "    out = Value(self.data**other, (self,), f'**{other}')\n    return out\n"
           "  def __truediv__(self, other): # self / other\n    return self * other**-1\n"
           "  def __sub__(self, other): # self - other\n    return self + (-other)\n"
           "  def exp(self):\n    x = self.data\n"
           "    out = Value(math.exp(x), (self, ), 'exp')\n    return out\n"
           + NEURON + "# ----\ne = (2*n).exp()\no = (e - 1) / (e + 1)\n# ----\n"
           "o.label = 'o'\no.backward()\ndraw_dot(o)\n")
    g, s = run(src)
    assert s.value(g.output) == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert grads(g, s, NEURON_GRADS) == NEURON_GRADS


def test_a_class_that_computes_something_else_is_refused():
    src = ("class Value:\n  def __add__(self, other):\n"
           "    return Value(self.data - other.data, (self, other), '+')\n"
           "a = Value(1.0)\nb = a + a\n")
    with pytest.raises(SnippetError) as info:
        parse_snippet(src, "cls.py")
    assert str(info.value).startswith("cls.py:5:5: the Value class defined at line 1 differs")
    assert "self.data - other.data" in str(info.value) and "bpstudio run cls.py" in str(info.value)


def test_torch_vocabulary_lecture_2_cell_13():
    src = ("import torch\n\n"
           "x1 = torch.Tensor([2.0]).double()                ; x1.requires_grad = True\n"
           "x2 = torch.Tensor([0.0]).double()                ; x2.requires_grad = True\n"
           "w1 = torch.Tensor([-3.0]).double()               ; w1.requires_grad = True\n"
           "w2 = torch.Tensor([1.0]).double()                ; w2.requires_grad = True\n"
           "b = torch.Tensor([6.8813735870195432]).double()  ; b.requires_grad = True\n"
           "n = x1*w1 + x2*w2 + b\no = torch.tanh(n)\n\nprint(o.data.item())\no.backward()\n\n"
           "print('---')\nprint('x2', x2.grad.item())\nprint('w2', w2.grad.item())\n")
    g, s = run(src)
    assert g.output == "o" and g["x1"].role == "parameter"
    assert float(s.value("o")[0]) == pytest.approx(math.sqrt(0.5), abs=1e-12)
    got = {k: float(s.grad(k)[0]) for k in NEURON_GRADS}
    assert got == {k: pytest.approx(v, abs=1e-12) for k, v in NEURON_GRADS.items()}


def test_torch_matrices_functional_and_methods():
    # seed 003's numpy block in torch form: H = sigmoid(X @ W), Y = sigmoid(H @ V)
    src = ("import torch\nimport torch.nn.functional as F\n"
           "X = torch.tensor([[3., 1.]])\nT = torch.tensor([[1., 0.]])\n"
           "W = torch.tensor([[6., -3.], [-2., 5.]], requires_grad=True)\n"
           "V = torch.tensor([[1., -2.], [0.25, 2.]], requires_grad=True, dtype=torch.float64)\n"
           "H = torch.sigmoid(X @ W)\nY = (H @ V).sigmoid()\n"
           "loss = F.mse_loss(Y, T, reduction='sum')\nmean = ((Y - T) ** 2).mean()\n"
           "m2 = torch.nn.functional.mse_loss(Y, T)\nloss.backward()\nprint(W.grad)\n")
    g, s = run(src)
    assert g.output == "loss" and g["T"].role == "target" and g["W"].role == "parameter"
    assert s.value("Y").tolist() == [[pytest.approx(0.73194171, abs=5e-9),
                                      pytest.approx(0.12303186, abs=5e-9)]]
    assert s.value("loss") == pytest.approx(0.08699208259994781, abs=1e-15)
    assert s.value("mean") == pytest.approx(0.08699208259994781 / 2, abs=1e-15)
    assert s.value("m2") == pytest.approx(0.08699208259994781 / 2, abs=1e-15)
    assert s.grad("V").tolist() == [[pytest.approx(-0.10518769, abs=5e-9),
                                     pytest.approx(0.02654905, abs=5e-9)],
                                    [pytest.approx(-0.00189193, abs=5e-9),
                                     pytest.approx(0.00047752, abs=5e-9)]]
    assert s.grad("W")[0][0] == pytest.approx(-5.34381484e-08, abs=1e-15)
