"""Engine benchmark: run-to-end (forward + backward) of micrograd's demo loss graph.

The anchor is micrograd itself (PyPI `micrograd`) doing forward + backward of the
same computation: MLP(2,[16,16,1]) on 100 two-moons points, hinge loss + L2
regularisation, as in micrograd's demo notebook. 65,818 values.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "resources" / "examples"))


def demo_loss(n_points: int = 100, seed: int = 1337):
    """micrograd's demo: returns (model, loss_fn)."""
    from build import two_moons
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(seed)
    np.random.seed(seed)
    rows = two_moons(n_points)
    X, y = rows[:, :2], rows[:, 2]
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        return data_loss + reg_loss

    return model, loss


def micrograd_step(model, loss) -> float:
    t0 = time.perf_counter()
    total = loss()
    model.zero_grad()
    total.backward()
    return time.perf_counter() - t0


def _median_time(fn, repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


def run(rows: list, repeat: int = 5) -> None:
    from bpstudio.engine import Graph, Stepper, compile_graph

    try:
        model, loss = demo_loss()
    except ImportError:
        print("micrograd not installed: skipping the engine benchmark", file=sys.stderr)
        return
    total = loss()
    t0 = time.perf_counter()
    graph = Graph.from_value(total, parameters=model.parameters())
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    program = compile_graph(graph)
    t_compile = time.perf_counter() - t0

    def ours() -> float:
        t = time.perf_counter()
        Stepper(program).run_to_end()
        return time.perf_counter() - t

    s = Stepper(program)
    s.run_to_end()
    total.backward()
    assert abs(s.value(graph.output) - total.data) < 1e-12, "bpstudio and micrograd disagree"
    ours()                                   # warm the fast-path plan cache
    t_ours = _median_time(ours, repeat)
    t_micro = _median_time(lambda: micrograd_step(model, loss), repeat)
    rows.append({"name": f"run to end, fwd+bwd, {len(graph):,} nodes", "bpstudio_s": t_ours,
                 "anchor": "micrograd fwd+bwd", "anchor_s": t_micro, "speedup": t_micro / t_ours})
    rows.append({"name": f"open: import + compile, {len(graph):,} nodes",
                 "bpstudio_s": t_import + t_compile, "anchor": None, "anchor_s": None,
                 "speedup": None})


if __name__ == "__main__":
    out: list = []
    run(out)
    for r in out:
        print(r)
