"""Graph.from_torch: PyTorch computations opened, checked and stepped (skipped without torch)."""
import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)    # idle intra-op threads spin and make later timing tests late
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bpstudio import Graph, GraphError, Stepper  # noqa: E402
from bpstudio.engine.ops import OPS  # noqa: E402


def seed_003_block():
    """Seed 003's PyTorch block, exactly as printed (float32 tensors)."""
    x1 = torch.tensor(3., requires_grad=False)
    x2 = torch.tensor(1., requires_grad=False)
    w11 = torch.tensor(6., requires_grad=True)
    w21 = torch.tensor(-2., requires_grad=True)
    w12 = torch.tensor(-3., requires_grad=True)
    w22 = torch.tensor(5., requires_grad=True)
    v11 = torch.tensor(1., requires_grad=True)
    v21 = torch.tensor(0.25, requires_grad=True)
    v12 = torch.tensor(-2., requires_grad=True)
    v22 = torch.tensor(2., requires_grad=True)
    t1 = torch.tensor(1., requires_grad=False)
    t2 = torch.tensor(0., requires_grad=False)
    h1 = torch.sigmoid(w11*x1 + w21*x2)
    h2 = torch.sigmoid(w12*x1 + w22*x2)
    y1 = torch.sigmoid(v11*h1 + v21*h2)
    y2 = torch.sigmoid(v12*h1 + v22*h2)
    e1 = y1 - t1
    e2 = y2 - t2
    l = e1**2 + e2**2
    return Graph.from_torch(l)           # names come from these local variables


def test_seed_003_pytorch_block_gives_the_seeds_numbers():
    g = seed_003_block()
    s = Stepper(g)
    s.run_to_end()
    assert s.value("y1") == pytest.approx(0.73194171, abs=1e-8)
    assert s.value("y2") == pytest.approx(0.12303186, abs=1e-8)
    assert s.value(g.output) == pytest.approx(0.08699208259994781, abs=1e-12)   # seed: sse
    grad_w = [[s.grad("w11"), s.grad("w12")], [s.grad("w21"), s.grad("w22")]]
    grad_v = [[s.grad("v11"), s.grad("v12")], [s.grad("v21"), s.grad("v22")]]
    np.testing.assert_allclose(grad_w, [[-5.34381484e-08, 1.42014367e-03],
                                        [-1.78127161e-08, 4.73381224e-04]], rtol=0, atol=1e-8)
    np.testing.assert_allclose(grad_v, [[-0.10518769, 0.02654905],
                                        [-0.00189193, 0.00047752]], rtol=0, atol=1e-8)
    assert s.grad("w11") == pytest.approx(-5.34381483665323e-08, rel=1e-6)   # the seed's manual one
    assert {n.id: n.role for n in g.leaves()} == {
        **{w: "parameter" for w in ("w11", "w21", "w12", "w22", "v11", "v21", "v12", "v22")},
        "x1": "input", "x2": "input", "t1": "input", "t2": "input"}
    assert g.nodes["t1"].value == 1.0 and g.nodes["t2"].value == 0.0     # solved, not saved
    assert g["h1"].origin == "SigmoidBackward0" and g["e1"].op == "sub"


def test_names_from_module_then_names_then_structure():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    inp = torch.randn(4, 2)
    g = Graph.from_torch(model(inp).sum(), module=model)
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "inp"} <= set(g.nodes)
    g2 = Graph.from_torch(model(inp).sum(), names={"first": model[0].weight})
    assert "first" in g2.nodes and "model.2.bias" in g2.nodes     # a module among the locals
    z = (model[0].weight * 2).sum()
    g3 = Graph.from_value(z)                                      # from_value dispatches
    assert set(g3.nodes) == {"model.0.weight", "const1", "mul1", "z"}


def _ones_grads(out, leaves):
    return torch.autograd.grad(out, leaves, grad_outputs=torch.ones_like(out), retain_graph=True)


# ---- 200 random float64 computations -------------------------------------------

SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]


def _broadcasts(a, b):
    try:
        torch.broadcast_shapes(a, b)
        return True
    except RuntimeError:
        return False


class RandomComputation:
    """A seeded generator of small float64 computations: the ops above, broadcasting,
    reuse of earlier results, constants PyTorch saves (products, quotients, targets)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.params = []

    def tensor(self, shape, grad=True, positive=False):
        v = self.rng.uniform(0.5, 1.5, shape) if positive else self.rng.normal(size=shape)
        t = torch.tensor(v, dtype=torch.float64, requires_grad=grad)
        if grad:
            self.params.append(t)
        return t

    def pick(self, pool):
        return pool[self.rng.integers(len(pool))]

    def step(self, pool):
        x = self.pick(pool)
        y = self.pick([p for p in pool if _broadcasts(p.shape, x.shape)])
        k = int(self.rng.integers(24))
        c = self.tensor(tuple(x.shape), grad=False, positive=True)
        table = [
            lambda: x + y, lambda: x - y, lambda: x * y, lambda: x / (y * y + 1.0),
            lambda: -x, lambda: x ** 2, lambda: (x * x + 0.5) ** -1.5, lambda: torch.exp(torch.tanh(x)),
            lambda: torch.log(x * x + 1.0), lambda: torch.tanh(x), lambda: torch.sigmoid(x),
            lambda: torch.relu(x) * y, lambda: F.leaky_relu(x, 0.1) * c, lambda: x * c / c.sum(),
            lambda: x * 3.0 - y / 2.0, lambda: (2.0 - x * y) * self.tensor(()),
            lambda: x.sum(dim=0, keepdim=True) * y if x.dim() else x * y,
            lambda: x.mean(dim=-1) if x.dim() else x.mean(),
            lambda: x.softmax(-1) * y if x.dim() else x * y,
            lambda: x.log_softmax(0) * c if x.dim() else x * c,
            lambda: x.T * 1.5 if x.dim() == 2 else x.unsqueeze(0) * y,
            lambda: x.reshape(-1) * 2.0 if x.dim() else x.expand(2, 2) * 1.0,
            lambda: x @ y.T if x.dim() == 2 and y.dim() == 2 and x.shape[1] == y.shape[1] else x + y,
            lambda: F.linear(x, self.tensor((2, x.shape[-1])), self.tensor((2,))) if x.dim() == 2
            else x * y,
        ]
        return table[k]()

    def build(self):
        pool = [self.tensor(self.pick(SHAPES)) for _ in range(2)]
        for _ in range(int(self.rng.integers(3, 8))):
            pool.append(self.step(pool))
        out = pool[-1]
        tail = int(self.rng.integers(4))
        if tail == 0:
            return out.sum()
        if tail == 1:
            return F.mse_loss(out, torch.zeros_like(out) + 0.25)
        if tail == 2:
            return torch.sigmoid(out).mean() + out.sum() * 0.0
        return out      # not a scalar: seeded with ones, like bpstudio


def test_200_random_pytorch_computations_match_forward_and_leaf_grads():
    checked, seen = 0, set()
    for seed in range(200):
        rc = RandomComputation(seed)
        out = rc.build()
        leaves = [p for p in rc.params if p.grad_fn is None]
        g = Graph.from_torch(out, names={f"p{i}": p for i, p in enumerate(leaves)})
        s = Stepper(g)
        s.run_to_end()
        np.testing.assert_allclose(s.value(g.output), out.detach().numpy(), rtol=1e-9, atol=1e-9)
        used = [(f"p{i}", p) for i, p in enumerate(leaves) if f"p{i}" in g.nodes]
        grads = _ones_grads(out, [p for _, p in used])
        for (name, _), ref in zip(used, grads):
            np.testing.assert_allclose(s.grad(name), ref.numpy(), rtol=1e-9, atol=1e-9,
                                       err_msg=f"seed {seed}, leaf {name}")
        checked += len(used)
        seen |= {n.origin for n in g.nodes.values()}
    assert checked > 250
    assert {"AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0", "NegBackward0",
            "PowBackward0", "ExpBackward0", "LogBackward0", "TanhBackward0", "SigmoidBackward0",
            "ReluBackward0", "LeakyReluBackward0", "MmBackward0", "AddmmBackward0", "TBackward0",
            "PermuteBackward0", "ViewBackward0", "UnsqueezeBackward0", "ExpandBackward0",
            "SumBackward0", "SumBackward1", "MeanBackward0", "MeanBackward1", "SoftmaxBackward0",
            "LogSoftmaxBackward0", "MseLossBackward0", "RsubBackward1"} <= seen, seen


def test_linear_cross_entropy_model_matches_to_float32_tolerance():
    torch.manual_seed(3)
    lin = nn.Linear(4, 3)
    xb, yb = torch.randn(8, 4), torch.randint(0, 3, (8,))
    loss = F.cross_entropy(lin(xb), yb)
    g = Graph.from_torch(loss, module=lin)
    assert [g[n].origin for n in g.backward_order][:2] == ["NllLossBackward0", "LogSoftmaxBackward0"]
    s = Stepper(g)
    s.run_to_end()
    assert s.value(g.output) == pytest.approx(loss.item(), rel=1e-6)
    gw, gb = _ones_grads(loss, [lin.weight, lin.bias])
    np.testing.assert_allclose(s.grad("weight"), gw.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(s.grad("bias"), gb.numpy(), rtol=1e-4, atol=1e-6)
    assert g["yb"].role == "target"


# ---- stepping the nn.Sequential MLP in PyTorch's own order -------------------------

def _moons_mlp():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    xb = torch.randn(16, 2)
    yb = (xb[:, :1] > 0).float()
    return model, F.binary_cross_entropy_with_logits(model(xb), yb)


def _fns(out):
    seen, stack, fns = set(), [out.grad_fn], []
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        fns.append(f)
        stack.extend(n for n, _ in f.next_functions)
    return [f for f in fns if type(f).__name__ != "AccumulateGrad"]


def test_stepping_the_mlp_follows_pytorchs_order_and_sums_to_its_grads():
    model, loss = _moons_mlp()
    order, outgoing, handles = [], {}, []
    for f in _fns(loss):           # our own hooks, independent of bpstudio's
        handles.append(f.register_prehook(lambda go, f=f: order.append(f)))
        handles.append(f.register_hook(
            lambda gi, go, f=f: outgoing.__setitem__(id(f), [None if x is None else x.double().numpy()
                                                             for x in gi])))
    g = Graph.from_torch(loss, module=model)
    for h in handles:
        h.remove()
    s = Stepper(g)
    s.run_to(s.program.n_forward + 1)
    backward = []
    while s.cursor < s.total:
        backward.append(s.step())
    # the step list follows PyTorch's recorded order: autograd node by autograd node
    runs = []
    for rec in backward:
        origin = g[rec.node].origin
        if not runs or runs[-1][0] != origin or rec.node in runs[-1][1] or \
                _group_done(runs[-1], g, origin):
            runs.append((origin, []))
        runs[-1][1].append(rec.node)
    assert [r[0] for r in runs] == [type(f).__name__ for f in order]
    # every autograd node's steps send PyTorch's grads to its inputs (slot by slot; which
    # node a slot feeds is bpstudio's record, the grads are from our own hooks above)
    trace = {st.output: st for st in g.torch_trace}
    for (origin, nodes), f in zip(runs, order):
        sent = {}
        for rec in backward:
            if rec.node in nodes:
                for fl in rec.flows:
                    if fl.target not in nodes:
                        sent[fl.target] = sent.get(fl.target, 0.0) + fl.contribution
        slots = trace[nodes[0]].outgoing      # backward order: the output node first
        for (target, _), want in zip(slots, outgoing[id(f)]):
            if target is not None and want is not None:
                np.testing.assert_allclose(sent[target], want, rtol=2e-3, atol=1e-6)
    # step back restores exactly
    snaps = []
    s.reset()
    while s.cursor < s.total:
        snaps.append(([np.copy(v) if v is not None else None for v in s.values],
                      [np.copy(v) if v is not None else None for v in s.grads]))
        s.step()
    while s.cursor > 0:
        s.back()
        vals, grads = snaps[s.cursor]
        for a, b in zip(s.values + s.grads, vals + grads):
            assert (a is None and b is None) or np.array_equal(a, b)


def _group_done(run, g, origin):
    """An Addmm makes two nodes (add, then matmul): a third same-class step starts anew."""
    return origin == "AddmmBackward0" and len(run[1]) == 2 or \
        origin != "AddmmBackward0" and len(run[1]) == 1


# ---- errors -------------------------------------------------------------------

def test_after_backward_the_error_says_what_to_do():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(GraphError, match="retain_graph=True"):
        Graph.from_torch(loss)
    w2 = torch.tensor([1.0, 2.0], requires_grad=True)
    loss2 = (w2 * w2).sum()
    loss2.backward(retain_graph=True)
    assert Graph.from_torch(loss2).nodes["w2"].role == "parameter"


def test_an_unsupported_op_is_named_with_the_supported_list():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GraphError, match=r"SinBackward0 is not supported.*AddmmBackward0"):
        Graph.from_torch(torch.sin(w).sum())


def test_a_mismatch_is_an_error_naming_the_node(monkeypatch):
    wrong = dataclasses.replace(OPS["tanh"], forward=lambda ins, attrs: np.tanh(ins[0]) + 1e-3)
    monkeypatch.setitem(OPS, "tanh", wrong)
    w = torch.tensor([0.5, -0.2], requires_grad=True, dtype=torch.float64)
    hidden = torch.tanh(w)
    with pytest.raises(GraphError, match=r"node 'hidden' \(TanhBackward0\).*value"):
        Graph.from_torch((hidden * 3.0).sum())


def test_a_constant_pytorch_never_kept_is_a_clear_error():
    w = torch.tensor([0.5, -0.2], requires_grad=True)
    with pytest.raises(GraphError, match="kept no copy"):
        Graph.from_torch((w + 1.0).sum())


def test_no_grad_fn_is_a_clear_error():
    with pytest.raises(GraphError, match="no grad_fn"):
        Graph.from_torch(torch.tensor([1.0]) * 2)


def test_chain_rule_lines_name_pytorchs_class():
    from bpstudio.ui.panels.chain_text import step_lines
    torch.manual_seed(2)
    lin = nn.Linear(2, 2)
    xs = torch.randn(3, 2)
    g = Graph.from_torch(lin(xs).sum(), module=lin)
    s = Stepper(g)
    s.run_to(s.program.n_forward + 3)            # seed, SumBackward0, then Addmm's add
    lines = step_lines(s, s.labels)
    assert lines and all(ln.startswith("AddmmBackward0: ") for ln in lines), lines
    assert "bias.grad +=" in " ".join(lines)
    s.run_to(s.program.n_forward)                 # forward lines stay bpstudio's own
    assert not step_lines(s, s.labels)[0].startswith("Addmm")


def test_the_moons_example_script_opens_checked_and_steps():
    import runpy
    from pathlib import Path
    script = Path(__file__).resolve().parents[1] / "resources/examples/torch-moons-mlp.py"
    ns = runpy.run_path(str(script), run_name="bpstudio_test")      # not __main__: no window
    g = Graph.from_torch(ns["loss"], module=ns["model"])
    assert {"0.weight", "2.weight", "4.bias"} <= set(g.nodes)
    assert g[g.output].origin == "BinaryCrossEntropyWithLogitsBackward0"
    s = Stepper(g)
    s.run_to_end()
    assert s.value(g.output) == pytest.approx(ns["loss"].item(), rel=1e-6)
    gw = _ones_grads(ns["loss"], [ns["model"][0].weight])[0]
    np.testing.assert_allclose(s.grad("0.weight"), gw.numpy(), rtol=1e-4, atol=1e-7)


def test_axis_ops_are_refused_by_the_row_batch_evaluator_with_a_clear_error():
    from bpstudio.engine.batch import BatchEvaluator
    from bpstudio.engine.program import compile_graph
    g = Graph()
    g.leaf("x", [1.0, 2.0], role="input")
    g.leaf("w", [[1.0, 2.0]])
    g.op("xc", "reshape", "x", shape=[2, 1])
    g.op("y", "matmul", "w", "xc")
    g.op("L", "sum", "y")
    g.output = "L"
    p = compile_graph(g)
    with pytest.raises(GraphError, match="reshape works along tensor axes"):
        BatchEvaluator(p, [(p.index["x"], (0,)), (p.index["x"], (1,))])
