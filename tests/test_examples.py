"""Every worked example of the seeds, through the command line, gives the seeds' numbers."""
import json
from pathlib import Path

import numpy as np
import pytest

from bpstudio.cli.main import main

EX = Path(__file__).resolve().parents[1] / "resources" / "examples"

# seed 003: W=[[6,-3],[-2,5]], V=[[1,-2],[0.25,2]], x=(3,1), t=(1,0)
Y = [0.73194171, 0.12303186]
LOSS = 0.08699208
GRAD_V = [[-0.10518769, 0.02654905], [-0.00189193, 0.00047752]]
GRAD_W = [[-5.34381484e-08, 1.42014367e-03], [-1.78127161e-08, 4.73381224e-04]]


def grad_json(capsys, *args):
    assert main(["grad", *map(str, args), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    return out, {n["id"]: n for n in out["nodes"]}


def test_expression(capsys):
    out, n = grad_json(capsys, EX / "expression.json")
    assert out["output"] == "L" and n["L"]["data"] == -8.0
    grads = {k: n[k]["grad"] for k in "abcedf"}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "e": -2.0, "d": -2.0, "f": 4.0}
    assert {k: n[k]["label"] for k in "abcdefL"} == {k: k for k in "abcdefL"}


@pytest.mark.parametrize("name", ["neuron.json", "neuron.py"])
def test_neuron(capsys, name):
    _, n = grad_json(capsys, EX / name)
    by_label = {v["label"]: v for v in n.values()}
    assert by_label["o"]["data"] == pytest.approx(0.7071067811865476, abs=1e-12)
    expect = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for k, v in expect.items():
        assert by_label[k]["grad"] == pytest.approx(v, abs=1e-12), k


def test_expression_snippet_matches_json(capsys):
    _, a = grad_json(capsys, EX / "expression.json")
    _, b = grad_json(capsys, EX / "expression.py")
    by_label = {v["label"]: v for v in b.values()}
    for k in "abcdefL":
        assert (by_label[k]["data"], by_label[k]["grad"]) == (a[k]["data"], a[k]["grad"])


def test_accumulate(capsys):
    _, n = grad_json(capsys, EX / "accumulate.json")
    assert n["a"]["grad"] == 2.0


def test_router(capsys):
    _, n = grad_json(capsys, EX / "router.json")
    # L = max(a,b)·relu(d) + relu(c), a=2 b=−1 c=−0.5 d=3: max routes all to a, relu(c) is shut
    assert n["L"]["data"] == 6.0
    assert {k: n[k]["grad"] for k in "abcd"} == {"a": 3.0, "b": 0.0, "c": 0.0, "d": 2.0}


def test_net_222_scalar_row0(capsys):
    _, n = grad_json(capsys, EX / "net-2-2-2.json", "--row", 0)
    assert [n["y1"]["data"], n["y2"]["data"]] == pytest.approx(Y, abs=1e-8)
    assert n["L"]["data"] == pytest.approx(LOSS, abs=1e-8)
    for i in range(2):
        for j in range(2):
            assert n[f"V{i + 1}{j + 1}"]["grad"] == pytest.approx(GRAD_V[i][j], abs=1e-8)
            assert n[f"W{i + 1}{j + 1}"]["grad"] == pytest.approx(GRAD_W[i][j], abs=1e-8)


def test_net_222_matrix_row0(capsys):
    _, n = grad_json(capsys, EX / "net-2-2-2-matrix.json")
    np.testing.assert_allclose(n["Y"]["data"], [Y], atol=1e-8)
    assert n["L"]["data"] == pytest.approx(LOSS, abs=1e-8)
    np.testing.assert_allclose(n["V"]["grad"], GRAD_V, atol=1e-8)
    np.testing.assert_allclose(n["W"]["grad"], GRAD_W, atol=1e-8)


def test_net_222_row1_binds_the_second_training_row(capsys):
    _, n = grad_json(capsys, EX / "net-2-2-2.json", "--row", 1)
    assert (n["x1"]["data"], n["x2"]["data"], n["t1"]["data"], n["t2"]["data"]) == (-1, 4, 0, 1)
    assert n["L"]["data"] == pytest.approx(0.33025203, abs=1e-8)   # seed: init_loss_2


def test_moons_mlp_opens_and_checks(capsys):
    out, n = grad_json(capsys, EX / "moons-mlp.json", "--row", 3)
    params = [v for v in n.values() if v["op"] == "leaf" and v["id"].startswith("l")]
    assert len(params) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1          # 337, as micrograd


@pytest.mark.parametrize("name", ["expression.json", "neuron.json", "accumulate.json",
                                  "net-2-2-2.json", "net-2-2-2-matrix.json", "router.json"])
def test_numeric_check_agrees(capsys, name):
    assert main(["check", str(EX / name)]) == 0


def test_every_example_file_opens(capsys):
    files = sorted(EX.glob("*.json")) + sorted(EX.glob("*.py"))
    files = [f for f in files if f.name != "build.py"]
    assert len(files) >= 10
    for f in files:
        if f.name in RUN_ONLY:      # trains in PyTorch: the safe reader refuses, pointing to run
            assert main(["grad", str(f)]) == 2, f
            assert "bpstudio run" in capsys.readouterr().err
        else:
            assert main(["grad", str(f)]) == 0, f


RUN_ONLY = {"torch-moons-mlp.py"}   # scripts for `bpstudio run` / `python`, not the safe reader


def test_moons_opens_on_row_0_with_a_loss_to_backpropagate():
    """moons-mlp.json holds dataset row 0 in x1, x2, y (what `grad` binds), and that row
    is one the untrained net gets wrong: the hinge loss, computed here from the file's
    weights by plain numpy, is > 0 and equals the graph's own value."""
    from bpstudio import load
    from bpstudio.engine import Stepper
    doc = json.loads((EX / "moons-mlp.json").read_text())
    nodes = {n["id"]: n for n in doc["nodes"]}
    row = doc["dataset"]["rows"][0]
    assert [nodes[c]["value"] for c in ("x1", "x2", "y")] == row
    act = np.array(row[:2])
    for layer, width in ((1, 16), (2, 16), (3, 1)):
        w = np.array([[nodes[f"l{layer}n{k}.w{i}"]["value"] for i in range(1, len(act) + 1)]
                      for k in range(1, width + 1)])
        b = np.array([nodes[f"l{layer}n{k}.b"]["value"] for k in range(1, width + 1)])
        act = w @ act + b
        if layer < 3:
            act = np.maximum(act, 0.0)
    loss = max(0.0, 1.0 - row[2] * float(act[0]))
    assert loss > 0.1
    stepper = Stepper(load(EX / "moons-mlp.json"))
    stepper.run_to_end()
    assert float(stepper.value("L")) == pytest.approx(loss, abs=1e-12)
