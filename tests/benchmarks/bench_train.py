"""Training benchmark: epochs per second, bpstudio beside micrograd and PyTorch doing the
same training (same data, same model, same SGD), measured in the same run."""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "resources" / "examples"
sys.path.insert(0, str(ROOT))


def _rate(step, seconds: float = 1.0, min_epochs: int = 3) -> float:
    """Epochs per second of `step()` over about `seconds`."""
    step()
    n, t0 = 0, time.perf_counter()
    while n < min_epochs or time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - t0)


def ours(name: str) -> float:
    from bpstudio import load
    from bpstudio.model.training import make_trainer
    trainer = make_trainer(load(EX / name), EX)
    return _rate(trainer.run_epoch)


# ---- micrograd -----------------------------------------------------------

def micrograd_222():
    from micrograd.engine import Value
    W = [[Value(6.0), Value(-3.0)], [Value(-2.0), Value(5.0)]]
    V = [[Value(1.0), Value(-2.0)], [Value(0.25), Value(2.0)]]
    params = [p for row in W + V for p in row]
    data = [((3.0, 1.0), (1.0, 0.0)), ((-1.0, 4.0), (0.0, 1.0))]

    def epoch():
        loss = 0
        for x, t in data:
            h = [_sigmoid(x[0] * W[0][j] + x[1] * W[1][j]) for j in range(2)]
            y = [_sigmoid(h[0] * V[0][k] + h[1] * V[1][k]) for k in range(2)]
            loss = loss + sum((y[k] - t[k]) ** 2 for k in range(2))
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= 0.5 * p.grad
    return epoch


def _sigmoid(z):
    """micrograd has no sigmoid: add one the way its own ops are written."""
    from micrograd.engine import Value
    out = Value(1.0 / (1.0 + np.exp(-z.data)), (z,), "sigmoid")

    def _backward():
        z.grad += out.data * (1 - out.data) * out.grad
    out._backward = _backward
    return out


def micrograd_moons():
    from micrograd.engine import Value
    from micrograd.nn import MLP
    rows = np.array(_moons_rows())
    X, y = rows[:, :2], rows[:, 2]
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def epoch():
        scores = [model(list(map(Value, xr))) for xr in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        loss = sum(losses) * (1.0 / len(losses))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    return epoch


def _moons_rows():
    import json
    return json.loads((EX / "moons-mlp.json").read_text())["dataset"]["rows"]


# ---- PyTorch ----------------------------------------------------------------

def torch_222():
    import torch
    torch.set_num_threads(1)
    X = torch.tensor([[3.0, 1.0], [-1.0, 4.0]], dtype=torch.float64)
    T = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    W = torch.tensor([[6.0, -3.0], [-2.0, 5.0]], dtype=torch.float64, requires_grad=True)
    V = torch.tensor([[1.0, -2.0], [0.25, 2.0]], dtype=torch.float64, requires_grad=True)

    def epoch():
        loss = ((torch.sigmoid(torch.sigmoid(X @ W) @ V) - T) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in (W, V):
                p -= 0.5 * p.grad
                p.grad = None
    return epoch


def torch_moons():
    import torch
    torch.set_num_threads(1)
    rows = torch.tensor(_moons_rows(), dtype=torch.float64)
    X, y = rows[:, :2], rows[:, 2]
    g = torch.Generator().manual_seed(0)
    sizes = [2, 16, 16, 1]
    params = []
    for a, b in zip(sizes, sizes[1:]):
        params += [(torch.rand(a, b, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_(),
                   torch.zeros(b, dtype=torch.float64, requires_grad=True)]

    def epoch():
        h = X
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = torch.relu(h)
        loss = torch.relu(1 - y * h[:, 0]).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.5 * p.grad
                p.grad = None
    return epoch


def _anchor(make):
    try:
        return _rate(make())
    except ImportError:
        return None


def run(rows: list) -> None:
    cases = [("net-2-2-2.json", "2-2-2 scalar", micrograd_222, None),
             ("net-2-2-2-matrix.json", "2-2-2 matrix", None, torch_222),
             ("moons-mlp.json", "moons MLP(2,[16,16,1]), 100 rows", micrograd_moons, torch_moons)]
    for file, label, mg, th in cases:
        mine = ours(file)
        for anchor, make in (("micrograd", mg), ("PyTorch", th)):
            if make is None:
                continue
            theirs = _anchor(make)
            rows.append({"name": f"train epochs/s: {label}", "bpstudio_s": 1 / mine,
                         "anchor": f"{anchor} epoch", "anchor_s": None if theirs is None else 1 / theirs,
                         "speedup": None if theirs is None else mine / theirs,
                         "bpstudio_epochs_per_s": round(mine, 1),
                         "anchor_epochs_per_s": None if theirs is None else round(theirs, 1)})


if __name__ == "__main__":
    out: list = []
    run(out)
    for r in out:
        print(r)
