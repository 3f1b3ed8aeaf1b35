"""Deterministic micrograd computation graphs for layout benchmarks and tests.

The graph is micrograd's demo loss (hinge loss + L2 regularisation) of an MLP
applied to ``n_points`` random 2-d points.  Nodes are identified by the order in
which micrograd created their ``Value`` objects, so ids do not depend on the
(id-hashed, hence unordered) ``_prev`` sets.
"""
from __future__ import annotations

import gc
import random
from contextlib import contextmanager

import numpy as np


@contextmanager
def _numbered_values():
    """Temporarily stamp every new micrograd ``Value`` with a creation number."""
    from micrograd.engine import Value

    original_init = Value.__init__
    counter = [0]

    def numbered_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._bp_seq = counter[0]
        counter[0] += 1

    Value.__init__ = numbered_init
    try:
        yield
    finally:
        Value.__init__ = original_init


def _demo_loss(n_points: int, hidden: tuple[int, ...], seed: int):
    """Build micrograd's demo loss on random points; return the output Value."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(seed)
    rng = np.random.default_rng(seed)
    xs = rng.uniform(-2.0, 2.0, size=(n_points, 2))
    ys = np.where(xs[:, 0] * xs[:, 1] > 0, 1.0, -1.0)
    model = MLP(2, [*hidden, 1])
    inputs = [[Value(float(v)) for v in row] for row in xs]
    scores = [model(x) for x in inputs]
    losses = [(1 + -float(yi) * score).relu() for yi, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def _walk(output) -> tuple[list[str], list[tuple[str, str]]]:
    """Iteratively collect nodes and (input, consumer) edges reachable from output."""
    seen = {id(output): output}
    stack = [output]
    edges_by_seq = []
    while stack:
        node = stack.pop()
        for child in node._prev:
            edges_by_seq.append((child._bp_seq, node._bp_seq))
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    seqs = sorted(v._bp_seq for v in seen.values())
    edges_by_seq.sort()
    node_ids = [f"v{s}" for s in seqs]
    edges = [(f"v{a}", f"v{b}") for a, b in edges_by_seq]
    return node_ids, edges


def micrograd_demo_graph(n_points: int, hidden: tuple[int, ...] = (16, 16), seed: int = 0
                         ) -> tuple[list[str], list[tuple[str, str]], str]:
    """Return ``(node_ids, edges, output_id)`` of micrograd's demo loss graph.

    Edges are ``(input, consumer)``; ``a*a`` (one child in ``_prev``) gives a
    single edge.  Deterministic for a given ``(n_points, hidden, seed)``.
    """
    with _numbered_values():
        output = _demo_loss(n_points, tuple(hidden), seed)
    node_ids, edges = _walk(output)
    output_id = f"v{output._bp_seq}"
    del output
    gc.collect()  # micrograd's closures form cycles: free them now, not mid-benchmark
    return node_ids, edges, output_id


def ordered_demo_loss(n_points: int, hidden: tuple[int, ...] = (16, 16), seed: int = 0):
    """The demo loss's output Value with every ``_prev`` set turned into a tuple in
    creation order: Graph.from_value then walks (and lays out, and steps) the same
    graph in every process, so canvas timings compare across runs."""
    with _numbered_values():
        output = _demo_loss(n_points, tuple(hidden), seed)
    seen, stack = {id(output)}, [output]
    while stack:
        node = stack.pop()
        node._prev = tuple(sorted(node._prev, key=lambda c: c._bp_seq))
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return output


if __name__ == "__main__":
    for n, h in [(1, (16, 16)), (100, (16, 16)), (2, (8, 8)), (4, (8, 8)), (8, (16, 16)), (30, (16, 16))]:
        ids, es, out = micrograd_demo_graph(n, h)
        print(n, h, len(ids), len(es))
