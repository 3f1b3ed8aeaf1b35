"""Tests for bpstudio.model.layout (no timing assertions)."""
from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from bpstudio.model.layout import (
    LAYER_GAP,
    NODE_GAP,
    IndexedEdges,
    assign_layers,
    count_crossings,
    drawn_crossings,
    layered_layout,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))


@pytest.fixture(scope="module")
def small_micrograd():
    pytest.importorskip("micrograd")
    from micrograd_graphs import micrograd_demo_graph
    return micrograd_demo_graph(2, hidden=(4, 4))


def random_dag(n: int, m: int, seed: int):
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(n)]
    edges = set()
    while len(edges) < m:
        a, b = sorted(rng.sample(range(n), 2))
        edges.add((ids[a], ids[b]))
    return ids, sorted(edges)


def layers_of(positions):
    by_x = defaultdict(list)
    for node, (x, y) in positions.items():
        by_x[x].append((y, node))
    return [[node for _, node in sorted(by_x[x])] for x in sorted(by_x)]


def assert_valid(positions, node_ids, edges, node_gap=NODE_GAP):
    assert set(positions) == set(node_ids)
    for a, b in edges:
        assert positions[a][0] < positions[b][0], (a, b)
    by_x = defaultdict(list)
    for x, y in positions.values():
        by_x[x].append(y)
    for ys in by_x.values():
        ys.sort()
        assert all(b - a >= node_gap - 1e-6 for a, b in zip(ys, ys[1:]))


def test_micrograd_graph_edges_left_to_right_and_gaps(small_micrograd):
    node_ids, edges, output = small_micrograd
    positions = layered_layout(node_ids, edges)
    assert_valid(positions, node_ids, edges)
    assert positions[output][0] == max(x for x, _ in positions.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_dags(seed):
    node_ids, edges = random_dag(300, 700, seed)
    positions = layered_layout(node_ids, edges, layer_gap=100.0, node_gap=30.0)
    assert_valid(positions, node_ids, edges, node_gap=30.0)


def test_layer_gap_sets_x():
    positions = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c")], layer_gap=50.0)
    assert [positions[k][0] for k in "abc"] == [0.0, 50.0, 100.0]


def test_fixed_positions_win(small_micrograd):
    node_ids, edges, output = small_micrograd
    fixed = {output: (-5.0, 7.5), node_ids[0]: (1234.0, -99.0)}
    positions = layered_layout(node_ids, edges, fixed=fixed)
    assert positions[output] == (-5.0, 7.5)
    assert positions[node_ids[0]] == (1234.0, -99.0)
    assert set(positions) == set(node_ids)


def test_long_chain_without_recursion():
    n = 100_000
    node_ids = [f"c{i}" for i in range(n)]
    edges = [(node_ids[i], node_ids[i + 1]) for i in range(n - 1)]
    positions = layered_layout(node_ids, edges)
    assert len(positions) == n
    assert positions[node_ids[-1]][0] == (n - 1) * LAYER_GAP
    assert all(positions[node_ids[i]][0] == i * LAYER_GAP for i in range(0, n, 997))


def test_assign_layers_leaf_sits_next_to_consumer():
    # x (a leaf) feeds only the last node of a long chain
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("x", "d")]
    layers = assign_layers(["a", "b", "c", "d", "x"], edges)
    assert layers["x"] == layers["d"] - 1
    assert all(layers[a] < layers[b] for a, b in edges)
    assert layers["d"] == max(layers.values())


def test_empty_single_and_cycle():
    assert layered_layout([], []) == {}
    assert layered_layout(["only"], []) == {"only": (0.0, 0.0)}
    positions = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert set(positions) == {"a", "b", "c"}


def test_unknown_node_rejected():
    with pytest.raises(ValueError):
        layered_layout(["a"], [("a", "zzz")])
    with pytest.raises(ValueError, match="zzz"):
        IndexedEdges.from_inputs(["a"], [["zzz"]])


@pytest.mark.parametrize("seed", [4, 5])
def test_edges_by_position_lay_out_as_edges_by_name(seed):
    """Document hands the layout its edges as positions (IndexedEdges, no 130k
    tuples): the same graph, with duplicate edges, gives the same positions."""
    node_ids, edges = random_dag(300, 700, seed)
    edges = edges + edges[:20]
    inputs = defaultdict(list)
    for a, b in edges:
        inputs[b].append(a)
    by_position = IndexedEdges.from_inputs(node_ids, [inputs[n] for n in node_ids])
    assert layered_layout(node_ids, by_position) == layered_layout(node_ids, edges)


def test_count_crossings_small_cases():
    assert count_crossings([["a", "b"], ["c", "d"]], [("a", "d"), ("b", "c")]) == 1  # K2,2
    assert count_crossings([["a", "b"], ["c", "d"]], [("a", "c"), ("b", "d")]) == 0
    complete = [(s, t) for s in "ab" for t in "cd"]
    assert count_crossings([["a", "b"], ["c", "d"]], complete) == 1
    # shared endpoints never cross
    assert count_crossings([["a"], ["b", "c", "d"]], [("a", "b"), ("a", "c"), ("a", "d")]) == 0
    # three mutually crossing edges
    assert count_crossings([["a", "b", "c"], ["d", "e", "f"]],
                           [("a", "f"), ("b", "e"), ("c", "d")]) == 3


def test_count_crossings_long_edge_is_split():
    layers = [["a", "b"], ["c"], ["d", "e"]]
    # a->e passes layer 1 at interpolated index 0.5, below c (index 0): it crosses b->c
    assert count_crossings(layers, [("a", "e"), ("b", "c"), ("c", "d")]) == 1
    # the same edge given as an explicit dummy chain counts the same
    layers_with_dummy = [["a", "b"], ["c", "dummy"], ["d", "e"]]
    split = [("a", "dummy"), ("dummy", "e"), ("b", "c"), ("c", "d")]
    assert count_crossings(layers_with_dummy, split) == 1
    # a long edge spanning two gaps crossing two short edges in different gaps
    layers = [["a", "b"], ["c", "m"], ["d", "e"]]
    edges = [("a", "e"), ("b", "c"), ("m", "d")]
    assert count_crossings(layers, edges) == 2


def test_drawn_crossings_matches_count_crossings():
    positions = {"a": (0.0, 0.0), "b": (0.0, 10.0), "c": (1.0, 0.0), "d": (1.0, 10.0)}
    assert drawn_crossings(positions, [("a", "d"), ("b", "c")]) == 1
    node_ids, edges = random_dag(60, 120, seed=5)
    positions = layered_layout(node_ids, edges)
    layers = layers_of(positions)
    assert drawn_crossings(positions, edges) >= 0
    assert count_crossings(layers, edges) >= 0


def test_deterministic(small_micrograd):
    node_ids, edges, _ = small_micrograd
    assert layered_layout(node_ids, edges) == layered_layout(list(node_ids), list(edges))


def test_fewer_crossings_than_naive_order(small_micrograd):
    node_ids, edges, _ = small_micrograd
    layer = assign_layers(node_ids, edges)
    naive = [[] for _ in range(max(layer.values()) + 1)]
    for node in node_ids:  # creation order within each layer
        naive[layer[node]].append(node)
    ours = layers_of(layered_layout(node_ids, edges))
    assert len(ours) == len(naive)
    assert count_crossings(ours, edges) <= count_crossings(naive, edges)
