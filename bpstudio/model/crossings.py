"""Edge crossings of a layered drawing (split from layout.py; `layout` re-exports them).
Qt-free, vectorised with numpy."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Position = tuple[float, float]


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
