"""Left-to-right layered (Sugiyama) layout for computation graphs.  Qt-free.

Edges are ``(input, consumer)``: data flows left to right and the output is the
rightmost node.  Pipeline, all iterative (no recursion) and deterministic:

1. ranks: longest path to the output (each node sits just left of its leftmost
   consumer), then a refinement that moves groups of nodes to shorten edges;
2. long edges are split into chains of dummy nodes, one per layer crossed;
3. layer orders: barycenter sweeps, vectorised per layer with numpy;
4. coordinates: each layer pulled towards its neighbours' mean height, kept in
   order and at least ``node_gap`` apart; ``x = layer * layer_gap``.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

Position = tuple[float, float]


# --------------------------------------------------------------------------- graph
def _index_graph(node_ids, edges) -> tuple[int, np.ndarray, np.ndarray]:
    """Map ids to 0..n-1; return (n, src, dst) with duplicates and self-loops dropped."""
    index = {node: i for i, node in enumerate(node_ids)}
    if len(index) != len(node_ids):
        raise ValueError("duplicate node ids")
    n = len(index)
    try:
        src = np.fromiter(map(index.__getitem__, (a for a, _ in edges)), np.int64)
        dst = np.fromiter(map(index.__getitem__, (b for _, b in edges)), np.int64)
    except KeyError as missing:
        raise ValueError(f"edge refers to unknown node {missing}") from None
    key = np.unique(src * max(n, 1) + dst)
    src, dst = key // max(n, 1), key % max(n, 1)
    keep = src != dst
    return n, src[keep], dst[keep]


def _csr(n: int, keys: np.ndarray, values: np.ndarray) -> tuple[list, list]:
    """Adjacency lists (Python lists, for the sequential passes) grouped by key."""
    order = np.argsort(keys, kind="stable")
    starts = np.searchsorted(keys[order], np.arange(n + 1)).tolist()
    flat = values[order].tolist()
    return [flat[starts[i]:starts[i + 1]] for i in range(n)], starts


# --------------------------------------------------------------------------- ranks
def _longest_path_to_sink(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rank = (longest path length in graph) - (longest path from node to a sink).

    Kahn's algorithm from the sinks; a cycle is broken at its lowest-index node.
    """
    inputs, _ = _csr(n, dst, src)
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
    for v in order:
        ins = inputs[v]
        if ins:
            ranks[v] = max([ranks[u] for u in ins]) + 1
    for v in reversed(order):
        outs = consumers[v]
        if outs and len(outs) >= len(inputs[v]):
            ranks[v] = min([ranks[u] for u in outs]) - 1
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


def _promote(ranks: list, inputs: list, consumers: list, extra_cap: int) -> None:
    """Shorten edges by moving small groups: a node with more consumers than inputs
    tries to move right (more inputs: left) together with its tight closure, by the
    closure's slack, if that lowers the total edge length.  Worklist, in place."""
    net = [len(inputs[v]) - len(consumers[v]) for v in range(len(ranks))]
    mark = [-1] * len(ranks)
    queued = [d != 0 for d in net]
    work = deque(v for v, d in enumerate(net) if d)
    stamp = 0
    while work:
        v = work.popleft()
        queued[v] = False
        direction = 1 if net[v] < 0 else -1
        neighbours = consumers if direction == 1 else inputs
        stamp += 1
        members = _tight_closure(v, ranks, neighbours, direction, stamp, mark,
                                 8 + 4 * len(neighbours[v]) + extra_cap)
        if members is None or sum([net[u] for u in members]) * direction >= 0:
            continue
        slack = min([(ranks[w] - ranks[u]) * direction for u in members for w in neighbours[u]
                     if mark[w] != stamp], default=2) - 1
        if slack <= 0:
            continue
        for u in members:
            ranks[u] += direction * slack
        for w in {w for u in members for w in (u, *inputs[u], *consumers[u])}:
            if net[w] and not queued[w]:
                queued[w] = True
                work.append(w)


def _ranks(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Layers: longest path to the output, then ASAP + pull right, then promotion."""
    rank = _longest_path_to_sink(n, src, dst)
    forward = rank[src] < rank[dst]
    inputs, _ = _csr(n, dst[forward], src[forward])
    consumers, _ = _csr(n, src[forward], dst[forward])
    ranks = _asap_then_pull_right(rank, inputs, consumers)
    _promote(ranks, inputs, consumers, extra_cap=100_000 // max(n, 1))
    result = np.asarray(ranks, dtype=np.int64)
    return result - result.min(initial=0)


# --------------------------------------------------------------------------- dummies
def _split_long_edges(rank, src, dst):
    """Return (layer of every node incl. dummies, owner, seg_u, seg_v).

    Edges are oriented left to right; an edge spanning k layers becomes a chain of
    k-1 dummy nodes.  ``owner[d]`` is the real node a dummy's chain starts from.
    """
    lo, hi = np.minimum(rank[src], rank[dst]), np.maximum(rank[src], rank[dst])
    left = np.where(rank[src] <= rank[dst], src, dst)
    right = np.where(rank[src] <= rank[dst], dst, src)
    keep = hi > lo
    lo, hi, left, right = lo[keep], hi[keep], left[keep], right[keep]
    n = len(rank)
    dummies_per_edge = hi - lo - 1
    total = int(dummies_per_edge.sum())
    edge_of = np.repeat(np.arange(len(lo)), dummies_per_edge)
    first = np.cumsum(dummies_per_edge) - dummies_per_edge  # index of each edge's first dummy
    step = np.arange(total) - first[edge_of]  # 0.. k-2 along the chain
    dummy_ids = n + np.arange(total)
    layer = np.concatenate([rank, lo[edge_of] + 1 + step])
    owner = np.concatenate([np.arange(n), left[edge_of]])
    # chain segments: left -> d0 -> d1 ... -> right
    has = dummies_per_edge > 0
    prev = np.where(step == 0, left[edge_of], dummy_ids - 1)
    seg_u = np.concatenate([left[~has], prev, dummy_ids[dummies_per_edge[edge_of] - 1 == step]])
    seg_v = np.concatenate([right[~has], dummy_ids, right[has]])
    return layer, owner, seg_u, seg_v


# --------------------------------------------------------------------------- layers
class _Layers:
    """Nodes grouped by layer plus, per layer, its segments to each neighbour layer.

    ``members[k]`` is a fixed array of layer k's node ids; ``*_slot`` index into it
    and ``*_nbr`` are the node ids at the other end of each segment.
    """

    def __init__(self, layer: np.ndarray, seg_u: np.ndarray, seg_v: np.ndarray):
        count = int(layer.max(initial=-1)) + 1
        nodes = np.argsort(layer, kind="stable")
        starts = np.searchsorted(layer[nodes], np.arange(count + 1))
        local = np.empty(len(layer), dtype=np.int64)
        local[nodes] = np.arange(len(layer)) - starts[layer[nodes]]
        self.members = [nodes[starts[k]:starts[k + 1]] for k in range(count)]
        self.local = local
        self.from_left = self._grouped(layer[seg_v], local[seg_v], seg_u, count)
        self.from_right = self._grouped(layer[seg_u], local[seg_u], seg_v, count)

    def _grouped(self, key_layer, slots, neighbours, count):
        """Per layer: (slots, neighbour ids, degree per slot) of its segments."""
        order = np.argsort(key_layer, kind="stable")
        bounds = np.searchsorted(key_layer[order], np.arange(count + 1))
        slots, neighbours = slots[order], neighbours[order]
        groups = []
        for k in range(count):
            s = slots[bounds[k]:bounds[k + 1]]
            degree = np.bincount(s, minlength=len(self.members[k]))
            groups.append((s, neighbours[bounds[k]:bounds[k + 1]], degree))
        return groups


def _sweep(layers: _Layers, pos: np.ndarray, downward: bool) -> None:
    """One barycenter pass over all layers, left to right or right to left."""
    count = len(layers.members)
    ks = range(1, count) if downward else range(count - 2, -1, -1)
    groups = layers.from_left if downward else layers.from_right
    for k in ks:
        members = layers.members[k]
        slots, nbrs, degree = groups[k]
        if len(members) < 2 or len(slots) == 0:
            continue
        current = pos[members]
        sums = np.bincount(slots, weights=pos[nbrs], minlength=len(members))
        bary = np.where(degree > 0, sums / np.maximum(degree, 1), current)
        order = np.lexsort((current, bary))
        pos[members[order]] = np.arange(len(members))


def _order_layers(layers: _Layers, initial: np.ndarray, sweeps: int) -> np.ndarray:
    pos = initial.astype(np.float64)
    for i in range(sweeps):
        _sweep(layers, pos, downward=(i % 2 == 0))
    return pos


# --------------------------------------------------------------------------- coordinates
def _spread(desired: np.ndarray, gap: float) -> np.ndarray:
    """Heights in the given order, >= gap apart, close to ``desired``: the mean of
    pushing conflicts downwards and pushing them upwards (both feasible)."""
    steps = np.arange(len(desired)) * gap
    z = desired - steps
    down = np.maximum.accumulate(z)
    up = np.minimum.accumulate(z[::-1])[::-1]
    return (down + up) / 2 + steps


def _coordinate_pass(layers: _Layers, y: np.ndarray, by_pos: list, gap: float, downward: bool) -> None:
    count = len(layers.members)
    ks = range(1, count) if downward else range(count - 2, -1, -1)
    groups = layers.from_left if downward else layers.from_right
    for k in ks:
        ordered = by_pos[k]
        slots, nbrs, degree = groups[k]
        if len(slots) == 0:
            continue
        local = layers.local[ordered]
        sums = np.bincount(slots, weights=y[nbrs], minlength=len(ordered))[local]
        deg = degree[local]
        desired = np.where(deg > 0, sums / np.maximum(deg, 1), y[ordered])
        y[ordered] = _spread(desired, gap)


def _assign_heights(layers: _Layers, pos: np.ndarray, gap: float, passes: int) -> np.ndarray:
    by_pos = [m[np.argsort(pos[m], kind="stable")] for m in layers.members]
    y = np.zeros(len(pos))
    for ordered in by_pos:
        y[ordered] = (np.arange(len(ordered)) - (len(ordered) - 1) / 2) * gap
    for i in range(passes):
        _coordinate_pass(layers, y, by_pos, gap, downward=(i % 2 == 0))
    return y


# --------------------------------------------------------------------------- public API
def assign_layers(node_ids, edges) -> dict[str, int]:
    """Layer (0 = leftmost) of every node, as used by :func:`layered_layout`."""
    node_ids = list(node_ids)
    n, src, dst = _index_graph(node_ids, edges)
    rank = _ranks(n, src, dst)
    return dict(zip(node_ids, rank.tolist()))


def layered_layout(node_ids: list[str], edges: list[tuple[str, str]], *,
                   fixed: dict[str, Position] | None = None,
                   layer_gap: float = 220.0, node_gap: float = 90.0) -> dict[str, Position]:
    """Positions for all nodes; those in ``fixed`` are returned exactly as given."""
    node_ids = list(node_ids)
    n, src, dst = _index_graph(node_ids, edges)
    if n == 0:
        return {}
    rank = _ranks(n, src, dst)
    layer, owner, seg_u, seg_v = _split_long_edges(rank, src, dst)
    layers = _Layers(layer, seg_u, seg_v)
    pos = _order_layers(layers, layers.local.astype(np.float64), sweeps=6)
    y = _assign_heights(layers, pos, node_gap, passes=4)
    xs = (rank * layer_gap).tolist()
    positions = dict(zip(node_ids, zip(xs, y[:n].tolist())))
    if fixed:
        positions.update({k: v for k, v in fixed.items() if k in positions})
    return positions


# --------------------------------------------------------------------------- crossings
def _count_inversions(values: np.ndarray) -> int:
    """Pairs i < j with values[i] > values[j]: bottom-up merge sort, vectorised per level."""
    n = len(values)
    if n < 2:
        return 0
    cur = np.unique(values, return_inverse=True)[1].astype(np.int64).ravel()
    span, index, total, width = int(cur.max()) + 1, np.arange(n), 0, 1
    while width < n:
        run = index // width
        pair, is_right = run >> 1, (run & 1).astype(bool)
        key = pair * span + cur
        below_or_equal = np.searchsorted(key[~is_right], key[is_right], side="right")
        total += int(((pair[is_right] + 1) * width - below_or_equal).sum())
        cur = np.sort(key, kind="stable") - pair * span
        width *= 2
    return total


def _segments(layer_of, key_of, src, dst, coord) -> tuple[np.ndarray, ...]:
    """Split edges into per-gap segments (gap, key_left, key_right); a long edge gets
    dummy keys interpolated linearly in ``coord`` (the layers' coordinates)."""
    la, lb = layer_of[src], layer_of[dst]
    swap = la > lb
    a, b = np.where(swap, dst, src), np.where(swap, src, dst)
    la, lb = layer_of[a], layer_of[b]
    keep = lb > la
    a, b, la, lb = a[keep], b[keep], la[keep], lb[keep]
    spans = lb - la
    edge = np.repeat(np.arange(len(a)), spans)
    step = np.arange(len(edge)) - (np.cumsum(spans) - spans)[edge]
    gap = la[edge] + step
    ka, kb = key_of[a][edge], key_of[b][edge]
    ta, tb = coord[la][edge], coord[lb][edge]

    def key_at(layer_index):
        t = (coord[layer_index] - ta) / (tb - ta)
        return ka + (kb - ka) * t
    return gap, key_at(gap), key_at(gap + 1)


def _crossings_of_segments(gap, key_left, key_right) -> int:
    order = np.lexsort((key_right, key_left, gap))
    right_rank = np.lexsort((key_right, gap))
    value = np.empty(len(gap), dtype=np.int64)
    sorted_pairs = np.stack([gap[right_rank], key_right[right_rank]])
    new = np.ones(len(gap), dtype=bool)
    new[1:] = np.any(sorted_pairs[:, 1:] != sorted_pairs[:, :-1], axis=0)
    value[right_rank] = np.cumsum(new)
    return _count_inversions(value[order])


def count_crossings(layers: list[list[str]], edges: Iterable[tuple[str, str]]) -> int:
    """Edge crossings between adjacent layers, nodes ordered as listed.

    An edge spanning several layers is split per layer: its dummy in each layer in
    between sits at the linearly interpolated index.  Same-layer edges are ignored.
    """
    layer_of, key_of = {}, {}
    for k, members in enumerate(layers):
        for i, node in enumerate(members):
            layer_of[node], key_of[node] = k, float(i)
    pairs = sorted({(a, b) for a, b in edges})
    if not pairs:
        return 0
    ids = {node: i for i, node in enumerate(layer_of)}
    src = np.array([ids[a] for a, _ in pairs], dtype=np.int64)
    dst = np.array([ids[b] for _, b in pairs], dtype=np.int64)
    layer_arr = np.fromiter(layer_of.values(), dtype=np.int64, count=len(ids))
    key_arr = np.fromiter(key_of.values(), dtype=np.float64, count=len(ids))
    coord = np.arange(len(layers), dtype=np.float64)
    return _crossings_of_segments(*_segments(layer_arr, key_arr, src, dst, coord))


def drawn_crossings(positions: dict[str, Position], edges: Iterable[tuple[str, str]]) -> int:
    """Crossings of a drawing with straight edges: layers are the distinct x values,
    nodes are ordered by y, a long edge crosses each layer in between at its
    linearly interpolated y.  Equal to :func:`count_crossings` on those layers."""
    ids = {node: i for i, node in enumerate(positions)}
    xy = np.array(list(positions.values()), dtype=np.float64).reshape(-1, 2)
    coord, layer_arr = np.unique(xy[:, 0], return_inverse=True)
    pairs = sorted({(ids[a], ids[b]) for a, b in edges})
    if not pairs:
        return 0
    src, dst = np.array(pairs, dtype=np.int64).T
    return _crossings_of_segments(*_segments(layer_arr.ravel(), xy[:, 1], src, dst, coord))
