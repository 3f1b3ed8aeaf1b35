"""Left-to-right layered (Sugiyama) layout for computation graphs.  Qt-free.

Edges are ``(input, consumer)``: data flows left to right and the output is the
rightmost node.  Pipeline, all iterative (no recursion) and deterministic:

1. ranks: a topological order from the longest path to the output; nodes with
   more inputs than consumers go as far left as their inputs allow, the others
   just left of their leftmost consumer (so a leaf sits by its consumer); then
   "promotion" moves small groups of nodes to shorten edges (fewer dummies);
2. long edges are split into chains of dummy nodes, one per layer crossed;
3. layer orders: barycenter sweeps, vectorised per layer with numpy;
4. coordinates: Jacobi passes pull nodes towards their neighbours' mean height
   and dummies onto the straight line of their edge, each layer kept in order and
   at least ``node_gap`` apart (vectorised over all layers); x = layer * layer_gap.
"""
from __future__ import annotations

from collections import deque
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from ..engine.nogc import paused_gc as _gc_paused
from .crossings import count_crossings, drawn_crossings  # noqa: F401  (their old home)

Position = tuple[float, float]
# Centre to centre. A layer gap of 170 leaves ~30 scene units of edge between a
# 122-wide card and the next layer's op circle (compact: ten layers fit the default
# window with readable text; the step's pills may sit over the edge's ends).
LAYER_GAP, NODE_GAP = 176.0, 84.0


# --------------------------------------------------------------------------- graph
class IndexedEdges(NamedTuple):
    """Edges as positions in the node list: (input, consumer) pairs as two arrays (a
    big graph's 130k edges need no (str, str) tuples nor a second lookup)."""
    src: np.ndarray
    dst: np.ndarray

    @classmethod
    def from_inputs(cls, node_ids: list[str], inputs) -> IndexedEdges:
        """`inputs`: each node's input ids, in the order of `node_ids`."""
        index = {node: i for i, node in enumerate(node_ids)}
        counts, flat = [], []
        for ins in inputs:
            counts.append(len(ins))
            flat.extend(ins)
        try:
            src = np.fromiter(map(index.__getitem__, flat), np.int64, len(flat))
        except KeyError as missing:
            raise ValueError(f"edge refers to unknown node {missing}") from None
        return cls(src, np.repeat(np.arange(len(counts), dtype=np.int64), counts))


def _index_graph(node_ids, edges) -> tuple[int, np.ndarray, np.ndarray]:
    """Map ids to 0..n-1; return (n, src, dst) with duplicates and self-loops dropped.
    `edges`: (input id, consumer id) pairs, or IndexedEdges."""
    index = {node: i for i, node in enumerate(node_ids)}
    if len(index) != len(node_ids):
        raise ValueError("duplicate node ids")
    n = len(index)
    if isinstance(edges, IndexedEdges):
        src, dst = edges
    else:
        try:
            src = np.fromiter(map(index.__getitem__, (a for a, _ in edges)), np.int64)
            dst = np.fromiter(map(index.__getitem__, (b for _, b in edges)), np.int64)
        except KeyError as missing:
            raise ValueError(f"edge refers to unknown node {missing}") from None
    key = np.sort(src * max(n, 1) + dst)          # np.unique, without its slow hash pass
    key = key[np.concatenate(([True], key[1:] != key[:-1]))] if len(key) else key
    src, dst = key // max(n, 1), key % max(n, 1)
    keep = src != dst
    return n, src[keep], dst[keep]


def _csr(n: int, keys: np.ndarray, values: np.ndarray) -> list[list[int]]:
    """Adjacency lists (Python lists, for the sequential passes) grouped by key."""
    order = np.argsort(keys, kind="stable")
    starts = np.searchsorted(keys[order], np.arange(n + 1)).tolist()
    flat = values[order].tolist()
    return [flat[a:b] for a, b in pairwise(starts)]


# --------------------------------------------------------------------------- ranks
def _longest_path_to_sink(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rank = (longest path length in graph) - (longest path from node to a sink).

    Kahn's algorithm from the sinks; a cycle is broken at its lowest-index node.
    """
    inputs = _csr(n, dst, src)
    pending = np.bincount(src, minlength=n).tolist()
    dist = [0] * n
    ready = [v for v in range(n - 1, -1, -1) if pending[v] == 0]
    done, next_forced = 0, 0
    while done < n:
        if not ready:
            while pending[next_forced] <= 0:
                next_forced += 1
            pending[next_forced] = 0
            ready.append(next_forced)
        v = ready.pop()
        pending[v] = -1
        done += 1
        step = dist[v] + 1
        for u in inputs[v]:
            if pending[u] > 0:
                if step > dist[u]:
                    dist[u] = step
                pending[u] -= 1
                if pending[u] == 0:
                    ready.append(u)
    dist_arr = np.asarray(dist, dtype=np.int64)
    return dist_arr.max(initial=0) - dist_arr


def _asap_then_pull_right(rank, inputs: list, consumers: list) -> list:
    """Every node first takes its longest path from the sources (ASAP); then, from
    the output backwards, each node with at least as many consumers as inputs moves
    right next to its leftmost consumer, as the longest-path-to-output rule would
    place it (so leaves sit by their consumer)."""
    order = np.argsort(rank, kind="stable").tolist()
    ranks = [0] * len(order)
    rank_of = ranks.__getitem__             # the list is updated in place
    for v in order:
        ins = inputs[v]
        if ins:
            ranks[v] = max(map(rank_of, ins)) + 1
    for v in reversed(order):
        outs = consumers[v]
        if outs and len(outs) >= len(inputs[v]):
            ranks[v] = min(map(rank_of, outs)) - 1
    return ranks


def _tight_closure(v, ranks, neighbours, direction, stamp, mark, cap):
    """Nodes that must move with v one layer in ``direction`` (v plus, repeatedly,
    neighbours exactly one layer away that way); None if more than ``cap``."""
    mark[v] = stamp
    members = [v]
    for u in members:
        target = ranks[u] + direction
        for w in neighbours[u]:
            if ranks[w] == target and mark[w] != stamp:
                mark[w] = stamp
                members.append(w)
        if len(members) > cap:
            return None
    return members


def _promote(ranks: list, inputs: list, consumers: list, extra_cap: int, leftward: bool) -> None:
    """Shorten edges by moving small groups: a node with more consumers than inputs
    tries to move right (with ``leftward``, one with more inputs tries left)
    together with its tight closure, by the closure's slack, if that lowers the
    total edge length.  Worklist; ``ranks`` is updated in place."""
    net = [len(inputs[v]) - len(consumers[v]) for v in range(len(ranks))]
    wanted = [d < 0 or (leftward and d > 0) for d in net]
    queued = wanted[:]
    work = deque(v for v, flag in enumerate(wanted) if flag)
    mark, stamp = [-1] * len(ranks), 0
    while work:
        v = work.popleft()
        queued[v] = False
        direction = 1 if net[v] < 0 else -1
        neighbours = consumers if direction == 1 else inputs
        stamp += 1
        members = _tight_closure(v, ranks, neighbours, direction, stamp, mark,
                                 4 + 2 * len(neighbours[v]) + extra_cap)
        if members is None or sum([net[u] for u in members]) * direction >= 0:
            continue
        slack = min([(ranks[w] - ranks[u]) * direction for u in members for w in neighbours[u]
                     if mark[w] != stamp], default=2) - 1
        if slack <= 0:
            continue
        for u in members:
            ranks[u] += direction * slack
        for w in {w for u in members for w in (u, *inputs[u], *consumers[u])}:
            if wanted[w] and not queued[w]:
                queued[w] = True
                work.append(w)


def _ranks(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Layers: longest path to the output, then ASAP + pull right, then promotion
    (bigger groups, and leftward moves too, when the graph is small)."""
    rank = _longest_path_to_sink(n, src, dst)
    forward = rank[src] < rank[dst]
    inputs = _csr(n, dst[forward], src[forward])
    consumers = _csr(n, src[forward], dst[forward])
    ranks = _asap_then_pull_right(rank, inputs, consumers)
    extra_cap = 200_000 // max(n, 1)
    _promote(ranks, inputs, consumers, extra_cap, leftward=extra_cap >= 50)
    result = np.asarray(ranks, dtype=np.int64)
    return result - result.min(initial=0)


# --------------------------------------------------------------------------- dummies
class _Chains:
    """Long edges split into dummy nodes n, n+1, ...: per dummy, the real nodes at
    the chain's ends and how far along (0..1) the dummy's layer is."""

    def __init__(self, rank: np.ndarray, src: np.ndarray, dst: np.ndarray):
        forward = rank[src] <= rank[dst]
        left, right = np.where(forward, src, dst), np.where(forward, dst, src)
        keep = rank[right] > rank[left]
        left, right = left[keep], right[keep]
        lo, hi = rank[left], rank[right]
        per_edge = hi - lo - 1
        edge_of = np.repeat(np.arange(len(lo)), per_edge)
        step = np.arange(len(edge_of)) - (np.cumsum(per_edge) - per_edge)[edge_of]
        ids = len(rank) + np.arange(len(edge_of))
        self.layer = np.concatenate([rank, lo[edge_of] + 1 + step])
        self.left, self.right = left[edge_of], right[edge_of]
        self.fraction = (step + 1) / (hi - lo)[edge_of]
        has = per_edge > 0  # segments: left -> first dummy -> ... -> last -> right
        prev = np.where(step == 0, self.left, ids - 1)
        last = per_edge[edge_of] - 1 == step
        self.seg_u = np.concatenate([left[~has], prev, ids[last]])
        self.seg_v = np.concatenate([right[~has], ids, right[has]])


# --------------------------------------------------------------------------- layers
class _Layers:
    """Nodes grouped by layer plus, per layer, its segments to each neighbour layer.

    Only layers with two or more nodes need ordering: ``multi`` lists them.  For
    such a layer k, ``members[k]`` is a fixed array of its node ids and
    ``from_left[k]`` / ``from_right[k]`` are (slot in members[k], node at the
    other end, degree per slot) of its segments.
    """

    def __init__(self, layer: np.ndarray, seg_u: np.ndarray, seg_v: np.ndarray):
        count = int(layer.max(initial=-1)) + 1
        nodes = np.argsort(layer, kind="stable")
        starts = np.searchsorted(layer[nodes], np.arange(count + 1))
        self.local = np.empty(len(layer), dtype=np.int64)
        self.local[nodes] = np.arange(len(layer)) - starts[layer[nodes]]
        self.size = np.diff(starts)
        self.multi = np.flatnonzero(self.size > 1).tolist()
        self.members = {k: nodes[starts[k]:starts[k + 1]] for k in self.multi}
        self.from_left = self._grouped(layer[seg_v], self.local[seg_v], seg_u)
        self.from_right = self._grouped(layer[seg_u], self.local[seg_u], seg_v)

    def _grouped(self, key_layer, slots, neighbours) -> dict:
        order = np.argsort(key_layer, kind="stable")
        bounds = np.searchsorted(key_layer[order], np.arange(len(self.size) + 1)).tolist()
        slots, neighbours = slots[order], neighbours[order]
        groups = {}
        for k in self.multi:
            s = slots[bounds[k]:bounds[k + 1]]
            degree = np.bincount(s, minlength=len(self.members[k]))
            groups[k] = (s, neighbours[bounds[k]:bounds[k + 1]], degree)
        return groups


def _barycenters(group, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    slots, neighbours, degree = group
    sums = np.bincount(slots, weights=values[neighbours], minlength=size)
    return sums / np.maximum(degree, 1), degree > 0


def _sweep(layers: _Layers, pos: np.ndarray, downward: bool) -> None:
    """One barycenter pass, left to right or right to left.  Positions are
    normalised to (0, 1) per layer; a node without neighbours on the sweep side
    uses its other side, else keeps its place."""
    near, far = (layers.from_left, layers.from_right) if downward else (layers.from_right, layers.from_left)
    for k in (layers.multi if downward else reversed(layers.multi)):
        members = layers.members[k]
        size = len(members)
        if len(near[k][0]) == 0:
            continue
        current = pos[members]
        bary, known = _barycenters(near[k], pos, size)
        if not known.all():
            other, other_known = _barycenters(far[k], pos, size)
            bary = np.where(known, bary, np.where(other_known, other, current))
        order = np.lexsort((current, bary))
        pos[members[order]] = (np.arange(size) + 0.5) / size


def _order_layers(layers: _Layers, layer: np.ndarray, sweeps: int) -> np.ndarray:
    pos = (layers.local + 0.5) / layers.size[layer]
    for i in range(sweeps):
        _sweep(layers, pos, downward=(i % 2 == 0))
    return pos


# --------------------------------------------------------------------------- coordinates
def _segmented_spread(desired: np.ndarray, layer: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Heights keeping the given order with neighbours at least their ``steps``
    difference apart (steps: cumulative offsets within each layer), close to
    ``desired``: the mean of pushing conflicts down (running max) and up (running
    min), both feasible.  Arrays are sorted by layer, then order; all layers are done
    at once, a per-layer offset larger than any value keeping the scans apart."""
    z = desired - steps
    offset = layer * (2.0 * np.abs(z).max(initial=0.0) + 1.0)
    down = np.maximum.accumulate(z + offset)
    up = np.minimum.accumulate((z + offset)[::-1])[::-1]
    return (down + up) / 2 - offset + steps


def _layer_steps(layer: np.ndarray, starts: np.ndarray, within: np.ndarray, gap: float,
                 size: np.ndarray | None) -> np.ndarray:
    """Offset of each node (sorted by layer, then order) from its layer's first: k * gap
    for equal nodes; with sizes, neighbours (h_a + h_b) / 2 + gap apart."""
    if size is None:
        return within * gap
    pitch = np.zeros(len(size))
    pitch[1:] = (size[1:] + size[:-1]) / 2 + gap
    pitch[starts[:-1][np.diff(starts) > 0]] = 0.0
    total = np.cumsum(pitch)
    return total - total[starts[layer]]


def _assign_heights(chains: _Chains, pos: np.ndarray, gap: float, passes: int,
                    heights: np.ndarray | None = None) -> np.ndarray:
    """Heights keeping each layer's order, >= gap apart (with ``heights``, per node:
    that much clear space between cards).  Each (Jacobi) pass moves
    real nodes towards the mean height of their neighbours and dummies towards the
    straight line between their chain's ends (edges are drawn straight)."""
    n, total = len(chains.layer) - len(chains.left), len(chains.layer)
    order = np.lexsort((pos, chains.layer))
    layer = chains.layer[order]
    starts = np.searchsorted(layer, np.arange(int(layer[-1]) + 2))
    within = np.arange(total) - starts[layer]
    size = None
    if heights is not None:
        size = np.concatenate([heights, np.zeros(total - n)])[order]
    steps = _layer_steps(layer, starts, within, gap, size)
    last = np.maximum(starts[1:] - 1, 0)
    y = np.empty(total)
    y[order] = steps - steps[last[layer]] / 2
    u, v = chains.seg_u, chains.seg_v
    degree = np.maximum(np.bincount(u, minlength=total) + np.bincount(v, minlength=total), 1)
    for _ in range(passes):
        desired = (np.bincount(u, weights=y[v], minlength=total)
                   + np.bincount(v, weights=y[u], minlength=total)) / degree
        ya, yb = y[chains.left], y[chains.right]
        desired[n:] = ya + (yb - ya) * chains.fraction
        y[order] = _segmented_spread(desired[order], layer, steps)
    return y


def _layer_x(rank: np.ndarray, layer_gap: float, widths: np.ndarray | None) -> np.ndarray:
    """x of each layer: layer * layer_gap; with widths, neighbouring layers
    (widest_a + widest_b) / 2 + layer_gap apart."""
    count = int(rank.max(initial=0)) + 1
    if widths is None:
        return np.arange(count) * layer_gap
    widest = np.zeros(count)
    np.maximum.at(widest, rank, widths)
    pitch = np.zeros(count)
    pitch[1:] = (widest[1:] + widest[:-1]) / 2 + layer_gap
    return np.cumsum(pitch)


# --------------------------------------------------------------------------- public API


def assign_layers(node_ids, edges) -> dict[str, int]:
    """Layer (0 = leftmost) of every node, as used by :func:`layered_layout`."""
    node_ids = list(node_ids)
    with _gc_paused():
        n, src, dst = _index_graph(node_ids, edges)
        rank = _ranks(n, src, dst)
    return dict(zip(node_ids, rank.tolist()))


def layered_layout(node_ids: list[str], edges: list[tuple[str, str]], *,
                   fixed: dict[str, Position] | None = None,
                   layer_gap: float = LAYER_GAP, node_gap: float = NODE_GAP,
                   sizes: dict[str, tuple[float, float]] | None = None
                   ) -> dict[str, Position]:
    """Positions for all nodes; those in ``fixed`` are returned exactly as given.

    x = layer * layer_gap (edges go left to right), nodes in a layer >= node_gap
    apart.  With ``sizes`` (id -> card width, height; cards of different sizes, as in
    a neuron diagram) the gaps are the clear space between cards instead: layers
    (widest + widest) / 2 + layer_gap apart, neighbours (h + h) / 2 + node_gap.
    Deterministic; iterative, so 100,000-node chains are fine.
    """
    node_ids = list(node_ids)
    if not node_ids:
        return {}
    with _gc_paused():
        n, src, dst = _index_graph(node_ids, edges)
        rank = _ranks(n, src, dst)
        chains = _Chains(rank, src, dst)
        sweeps = 4 if len(chains.layer) < 30_000 else 2  # down, up (, down, up)
        pos = _order_layers(_Layers(chains.layer, chains.seg_u, chains.seg_v), chains.layer, sweeps)
        wh = None if sizes is None else np.array([sizes[i] for i in node_ids], dtype=float)
        y = _assign_heights(chains, pos, node_gap, 4, None if wh is None else wh[:, 1])
        x = _layer_x(rank, layer_gap, None if wh is None else wh[:, 0])[rank]
        positions = dict(zip(node_ids, zip(x.tolist(), y[:n].tolist())))
    if fixed:
        positions.update({k: tuple(v) for k, v in fixed.items() if k in positions})
    return positions
