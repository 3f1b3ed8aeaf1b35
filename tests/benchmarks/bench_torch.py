"""PyTorch import benchmark: Graph.from_torch (walk + build + check against PyTorch's own
forward values and backward) of a 10k-parameter MLP, beside torchviz's make_dot walking
the same grad_fn graph into a picture description (skipped when torch or torchviz is
missing)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _best(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _model():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 96), nn.Tanh(), nn.Linear(96, 96), nn.Tanh(),
                          nn.Linear(96, 1))
    x, y = torch.randn(32, 4), torch.rand(32, 1)
    loss = F.binary_cross_entropy_with_logits(model(x), y)
    return model, loss


def run(rows: list) -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    from bpstudio import Graph
    model, loss = _model()
    n_params = sum(p.numel() for p in model.parameters())
    graph = Graph.from_torch(loss, module=model)
    ours = _best(lambda: Graph.from_torch(loss, module=model))
    row = {"name": f"torch import + check, {n_params}-param MLP", "bpstudio_s": ours,
           "anchor": None, "anchor_s": None, "speedup": None, "nodes": len(graph)}
    try:
        from torchviz import make_dot
    except ImportError:
        row["anchor"] = "torchviz (not installed)"
    else:
        params = dict(model.named_parameters())
        anchor = _best(lambda: make_dot(loss, params=params).source)
        row.update(anchor="torchviz make_dot (walk only, no check)", anchor_s=anchor,
                   speedup=anchor / ours)
    rows.append(row)
