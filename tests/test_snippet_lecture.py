"""Karpathy's micrograd lecture cells, pasted as they are (tests/snippet_fixtures/)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bpstudio.cli.main import main

FIXTURES = Path(__file__).resolve().parent / "snippet_fixtures"
NEURON_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}


def grad(capsys, name) -> tuple[str, dict]:
    assert main(["grad", "--json", str(FIXTURES / name)]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    return out["output"], {n["id"]: n for n in out["nodes"]}


def scalar(x):
    return x[0] if isinstance(x, list) else x


def test_expression_then_nudge(capsys):
    # cells 0 (imports, %matplotlib inline), 7 (class + L), 8 (graphviz draw_dot), 9, 10:
    # the nudge runs before any backward, so the grads are 0 and L stays -8
    out, n = grad(capsys, "lecture1-expression-nudge.py")
    assert out == "L_2" and n["L"]["data"] == n["L_2"]["data"] == -8.0
    assert {k: n[k]["grad"] for k in ("a", "b", "c", "f")} == \
        {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_neuron_with_manual_backward_cells(capsys):
    # cell 7 made its own b (the expression's); the neuron's b is the second one
    out, n = grad(capsys, "lecture1-neuron-manual.py")
    assert out == "o" and n["o"]["data"] == pytest.approx(math.sqrt(0.5), abs=1e-12)
    ids = {k: k for k in NEURON_GRADS} | {"b": "b_2"}
    assert n["b_2"]["label"] == "b" and n["b_2"]["data"] == 6.8813735870195432
    assert {k: pytest.approx(n[ids[k]]["grad"], abs=1e-9) for k in NEURON_GRADS} == NEURON_GRADS


def test_accumulate_b_is_a_plus_a(capsys):
    out, n = grad(capsys, "lecture1-accumulate.py")
    assert out == "b_2" and n["b_2"]["op"] == "add"
    assert n["a_2"]["grad"] == 2.0 and n["b_2"]["data"] == 6.0


def test_reused_leaves(capsys):
    # a = -2, b = 3, d = a*b, e = a+b, f = d*e: df/da = e*b + d = -3, df/db = e*a + d = -8
    out, n = grad(capsys, "lecture1-reuse.py")
    assert out == "f_2" and n["f_2"]["data"] == -6.0
    assert (n["a_2"]["grad"], n["b_2"]["grad"]) == (-3.0, -8.0)


def test_tanh_written_with_exp(capsys):
    out, n = grad(capsys, "lecture2-tanh-from-exp.py")
    assert out == "o" and n["o"]["data"] == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert {k: pytest.approx(n[k]["grad"], abs=1e-9) for k in NEURON_GRADS} == NEURON_GRADS


def test_torch_cells_match_torch_itself(capsys):
    out, n = grad(capsys, "lecture2-torch.py")
    assert out == "o"
    torch = pytest.importorskip("torch")
    leaves = {k: torch.tensor([v], dtype=torch.float64, requires_grad=True) for k, v in
              dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432).items()}
    o = torch.tanh(leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"])
    o.backward()
    assert scalar(n["o"]["data"]) == pytest.approx(o.item(), abs=1e-15)
    for k, t in leaves.items():
        assert scalar(n[k]["grad"]) == pytest.approx(t.grad.item(), abs=1e-15), k


def test_mlp_cells_are_refused_with_the_run_hint(capsys):
    f = FIXTURES / "lecture2-mlp.py"
    assert main(["grad", str(f)]) == 2
    err = capsys.readouterr().err
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1)
                if t.startswith("n = MLP(3, [4, 4, 1])"))
    assert err == (f"bpstudio: {f}:{line}:5: MLP(...) makes an object of a class defined in "
                   f"the snippet; the safe reader never runs code, `bpstudio run {f}` runs it "
                   "as Python if you trust it\n")
