"""Training: the seed's single SGD step and 200 epochs, exactly; NaN stops with the node named."""
import json
from pathlib import Path

import numpy as np
import pytest

from bpstudio import load
from bpstudio.cli.main import main
from bpstudio.engine import Graph
from bpstudio.engine.batch import BatchEvaluator
from bpstudio.engine.train import train
from bpstudio.model.training import make_trainer

EX = Path(__file__).resolve().parents[1] / "resources" / "examples"
V_AFTER_ONE = [[1.05259373, -2.01327451], [0.11257513, 2.01227682]]
LOSSES_AFTER_ONE = [0.08153138, 0.29280989]
OUT_AFTER_200 = [[0.94607312, 0.04903031], [0.05606368, 0.95082381]]


def seed_reference(epochs):
    """The seed notes' own numpy loop, recomputed in float64 (independent of bpstudio)."""
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    W = np.array([[6.0, -3.0], [-2.0, 5.0]]); V = np.array([[1.0, -2.0], [0.25, 2.0]])
    X = np.array([[3.0, 1.0], [-1.0, 4.0]]); T = np.array([[1.0, 0.0], [0.0, 1.0]])
    for _ in range(epochs):
        gW, gV = np.zeros_like(W), np.zeros_like(V)
        for x, t in zip(X, T):
            H = sig(x[None] @ W); Y = sig(H @ V)
            gYin = Y * (1 - Y) * 2 * (Y - t)
            gV += H.T @ gYin
            gHin = H * (1 - H) * (gYin @ V.T)
            gW += x[None].T @ gHin
        W -= 0.5 * gW; V -= 0.5 * gV
    Y = sig(sig(X @ W) @ V)
    return W, V, Y, ((Y - T) ** 2).sum(axis=1)


def trained(name, epochs, tmp_path, capsys):
    out = tmp_path / f"{name}-trained.json"
    assert main(["train", str(EX / name), "--epochs", str(epochs), "--save", str(out),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["epochs"] == epochs and len(report["loss"]) == epochs
    return load(out), report


def row_outputs(path_graph, tmp_path, capsys, name):
    f = tmp_path / "g.json"
    from bpstudio import save
    save(path_graph, f)
    rows = []
    for k in (0, 1):
        assert main(["grad", str(f), "--row", str(k), "--json"]) == 0
        nodes = {n["id"]: n for n in json.loads(capsys.readouterr().out)["nodes"]}
        y = nodes["Y"]["data"][0] if "Y" in nodes else [nodes["y1"]["data"], nodes["y2"]["data"]]
        rows.append((y, nodes["L"]["data"]))
    return rows


def test_reference_matches_the_seed():
    W, V, Y, L = seed_reference(1)
    np.testing.assert_allclose(V, V_AFTER_ONE, atol=1e-8)
    np.testing.assert_allclose(L, LOSSES_AFTER_ONE, atol=1e-8)
    np.testing.assert_allclose(seed_reference(200)[2], OUT_AFTER_200, atol=1e-6)


@pytest.mark.parametrize("name", ["net-2-2-2.json", "net-2-2-2-matrix.json"])
def test_one_epoch_is_the_seeds_update(tmp_path, capsys, name):
    g, report = trained(name, 1, tmp_path, capsys)
    v = g.nodes["V"].value if "V" in g.nodes else np.array(
        [[g.nodes[f"V{i}{j}"].value for j in (1, 2)] for i in (1, 2)])
    np.testing.assert_allclose(v, V_AFTER_ONE, atol=1e-8)
    np.testing.assert_allclose(report["row_losses"], LOSSES_AFTER_ONE, atol=1e-8)
    assert report["loss"][0] == pytest.approx(0.08699208 + 0.33025203, abs=1e-8)
    rows = row_outputs(g, tmp_path, capsys, name)
    assert [r[1] for r in rows] == pytest.approx(LOSSES_AFTER_ONE, abs=1e-8)


@pytest.mark.parametrize("name", ["net-2-2-2.json", "net-2-2-2-matrix.json"])
def test_two_hundred_epochs(tmp_path, capsys, name):
    g, _ = trained(name, 200, tmp_path, capsys)
    rows = row_outputs(g, tmp_path, capsys, name)
    np.testing.assert_allclose([r[0] for r in rows], OUT_AFTER_200, atol=1e-6)
    W, V, _, _ = seed_reference(200)
    got_w = g.nodes["W"].value if "W" in g.nodes else np.array(
        [[g.nodes[f"W{i}{j}"].value for j in (1, 2)] for i in (1, 2)])
    np.testing.assert_allclose(got_w, W, atol=1e-10)


def test_moons_reaches_full_accuracy():
    g = load(EX / "moons-mlp.json")
    trainer = make_trainer(g, EX)
    for tick in train(trainer):
        assert tick.nonfinite is None
    vals, _ = trainer.evaluate()
    score = vals[trainer.p.index["l3n1.s16"]]
    labels = trainer.rows[:, 2]
    assert np.mean((score > 0) == (labels > 0)) == 1.0
    assert tick.loss < 0.1 and len(tick.grad_norms) == 337


def test_group_evaluator_matches_per_node_evaluator():
    g = load(EX / "moons-mlp.json")
    fast = make_trainer(g, EX)
    slow = make_trainer(g, EX)
    slow.eval = BatchEvaluator(slow.p, fast.eval.bindings)
    for _ in range(3):
        a, b = fast.run_epoch(), slow.run_epoch()
        assert a.loss == pytest.approx(b.loss, rel=1e-12)
    for k in fast.params:
        assert fast.params[k] == pytest.approx(slow.params[k], rel=1e-9, abs=1e-12)


def test_momentum_and_minibatches_follow_their_definitions():
    g = load(EX / "net-2-2-2.json")
    t = make_trainer(g, EX, momentum=0.9, batch=1)
    p0 = dict(t.params)
    ref = make_trainer(g, EX)               # one row at a time, by hand
    vel = {k: 0.0 for k in p0}
    params = dict(p0)
    for row in ref.rows:
        vals, batched = ref.eval.forward(row[None], params)
        grads = ref.eval.backward(vals, batched, np.ones(1))
        for k in params:
            vel[k] = 0.9 * vel[k] + ref.eval.param_grads(grads, [k])[0]
            params[k] = params[k] - 0.5 * vel[k]
    t.run_epoch()
    for k in params:
        assert t.params[k] == pytest.approx(params[k], rel=1e-12)


def test_nan_stops_training_and_names_the_node(tmp_path, capsys):
    g = Graph(output="L")
    g.leaf("x", 1.0, role="input")
    g.leaf("w", 0.5)
    g.op("xw", "mul", "x", "w")
    g.op("lg", "log", "xw")
    g.op("L", "neg", "lg")
    g.dataset = {"columns": ["x"], "rows": [[1.0], [-2.0]]}
    g.training = {"loss": "L", "lr": 0.1, "epochs": 5}
    f = tmp_path / "nan.json"
    from bpstudio import save
    save(g, f)
    assert main(["train", str(f)]) == 1
    err = capsys.readouterr().err
    assert "'lg'" in err and "epoch 1" in err and err.count("\n") == 1


def test_grad_watches_stop_training(tmp_path, capsys):
    # seed 003's hidden layer: |grad W11| ≈ 5e-8 on the first epoch -> vanishing
    assert main(["train", str(EX / "net-2-2-2.json"), "--stop-grad-below", "1e-6",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["epochs"] == 1
    assert "W11.grad" in err and "vanishing" in err
    g = load(EX / "net-2-2-2.json")
    t = make_trainer(g, EX, stop_grad_above=0.05)
    ticks = list(train(t))
    assert len(ticks) == 1 and "exploding" in ticks[0].watch
    assert max(ticks[0].grad_norms.values()) > 0.05


def test_training_minimises_the_files_loss_node_not_the_output(tmp_path, capsys):
    """Fuzz find: net-2-2-2-matrix.json with its output set to H_in (1×2) but its
    training loss still L: `train` died in the batch backward's matmul, because it
    trained the output. It trains L, with the loss curve of the unchanged file."""
    import json
    from pathlib import Path

    src = Path(__file__).parents[1] / "resources" / "examples" / "net-2-2-2-matrix.json"
    doc = json.loads(src.read_text())
    doc["output"] = "H_in"
    f = tmp_path / "output-is-not-the-loss.json"
    f.write_text(json.dumps(doc))
    assert main(["train", str(src), "--epochs", "3", "--json"]) == 0
    want = json.loads(capsys.readouterr().out)["loss"]
    assert main(["train", str(f), "--epochs", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loss"] == want


def test_a_tensor_output_is_refused_in_one_line(tmp_path, capsys):
    """net-2-2-2-matrix.json without its loss node, the output set to H_in (1×2) and no
    training loss named: `grad` takes it, `train` refuses it (it died in a matmul)."""
    import json
    from pathlib import Path

    from bpstudio.cli.main import main
    doc = json.loads((Path(__file__).parents[1] / "resources" / "examples"
                      / "net-2-2-2-matrix.json").read_text())
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] != "L"]
    doc["output"] = "H_in"
    del doc["training"]["loss"]
    f = tmp_path / "tensor-output.json"
    f.write_text(json.dumps(doc))
    assert main(["train", str(f), "--epochs", "2"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("bpstudio: ")
    assert "'H_in' is a 1×2 tensor" in err[0] and "scalar loss" in err[0]
