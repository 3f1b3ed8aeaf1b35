"""Edge geometry shared by the canvas: every edge leaves its input's card horizontally
and arrives horizontally at the consumer's op circle (a cubic, flattened once in
numpy); paths are built from numpy arrays in one call and clipped to the exposed
rectangle before stroking. Used by the static edges (edge_layer.EdgeLayer, the scene
background) and by the lit edges of the current step (edge_item.EdgeItem).
"""
from __future__ import annotations

import struct
from functools import lru_cache

import numpy as np
from PySide6.QtCore import QByteArray, QDataStream, QRectF
from PySide6.QtGui import QPainterPath

TWIN_BOW = 40.0             # twin edges (a + a) bow this far apart at their middle
_PATH_RECORD = np.dtype([("kind", ">i4"), ("x", ">f8"), ("y", ">f8")])


def twin_bow(k, n):
    """The bow of the k-th of n edges between the same two nodes (0 when n is 1)."""
    return -(np.asarray(k, dtype=float) - (np.asarray(n) - 1) / 2) * TWIN_BOW


def edge_polylines(starts: np.ndarray, ends: np.ndarray, samples: int,
                   bows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each edge as `samples` points (k × samples arrays of x and y).

    samples == 2: a straight line. Otherwise an edge leaves and arrives horizontally:
    a gentle one is one cubic; a steep one (much taller than the gap it crosses)
    turns down the middle of the gap, runs straight, and turns in -- so a long edge
    runs between the columns of cards instead of brushing along them. The first
    half of the points bend away from the start, the second half into the end.
    `bows` (one per edge, or None) push an edge's middle down (up if negative): twins
    between the same two nodes are then two curves, not one line drawn twice."""
    x0, y0, x1, y1 = starts[:, :1], starts[:, 1:], ends[:, :1], ends[:, 1:]
    if samples == 2:
        return np.hstack([x0, x1]), np.hstack([y0, y1])
    a, b, c, d, ab, cd = _cubic(samples)
    dx = np.maximum(np.abs(x1 - x0) * 0.5, 30.0)
    xs = a * x0 + b * (x0 + dx) + c * (x1 - dx) + d * x1
    ys = ab * y0 + cd * y1
    gap, rise = x1 - x0, y1 - y0
    steep = ((gap > 0) & (np.abs(rise) > 1.5 * gap)).ravel()
    if steep.any():
        sx, sy = _steep_route(x0[steep], y0[steep], x1[steep], y1[steep], samples)
        xs[steep], ys[steep] = sx, sy
    if bows is not None and samples > 2:
        ys = ys + np.asarray(bows, dtype=float).reshape(-1, 1) * _bump(samples)
    return xs, ys


def edge_polyline(x0: float, y0: float, x1: float, y1: float, samples: int,
                  bow: float = 0.0) -> tuple[list[float], list[float]]:
    """One edge of edge_polylines (samples > 2), the same numbers, in plain Python:
    a lit edge each step, where numpy's fixed cost per call is most of the work."""
    a, b, c, d, ab, cd = _weights("cubic", samples)
    dx = max(abs(x1 - x0) * 0.5, 30.0)
    gap, rise = x1 - x0, y1 - y0
    if gap > 0 and abs(rise) > 1.5 * gap:
        xs, ys = _steep_route_1(x0, y0, x1, y1, samples)
    else:
        xs = [ai * x0 + bi * (x0 + dx) + ci * (x1 - dx) + di * x1
              for ai, bi, ci, di in zip(a, b, c, d)]
        ys = [p * y0 + q * y1 for p, q in zip(ab, cd)]
    if bow:
        ys = [y + bow * k for y, k in zip(ys, _weights("bump", samples)[0])]
    return xs, ys


def _steep_route_1(x0, y0, x1, y1, samples: int) -> tuple[list[float], list[float]]:
    """_steep_route for one edge, in plain Python."""
    u, w, uv, vw = _weights("quadratic", samples // 2)
    mid = (x0 + x1) / 2
    sign = 1.0 if y1 > y0 else -1.0 if y1 < y0 else 0.0
    turn = sign * min((x1 - x0) / 2, abs(y1 - y0) / 2)
    out_x = [p * x0 + q * mid for p, q in zip(u, vw)]
    out_y = [p * y0 + q * (y0 + turn) for p, q in zip(uv, w)]
    in_x = [p * mid + q * x1 for p, q in zip(uv, w)]
    in_y = [p * (y1 - turn) + q * y1 for p, q in zip(u, vw)]
    if samples % 2:
        out_x.append(mid)
        out_y.append((y0 + y1) / 2)
    return out_x + in_x, out_y + in_y


@lru_cache(maxsize=16)
def _weights(kind: str, samples: int) -> tuple[list[float], ...]:
    """The weights of _cubic, _quadratic or _bump as lists (for edge_polyline)."""
    arrays = {"cubic": _cubic, "quadratic": _quadratic, "bump": lambda k: (_bump(k),)}[kind](samples)
    return tuple(a.ravel().tolist() for a in arrays)


@lru_cache(maxsize=8)
def _bump(samples: int) -> np.ndarray:
    """0 at both ends, 1 in the middle: 4t(1 − t)."""
    t = np.linspace(0.0, 1.0, samples)[None, :]
    return _frozen(4 * t * (1 - t))[0]


def _steep_route(x0, y0, x1, y1, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Two rounded corners (quadratic curves) joined by a vertical run at mid-gap."""
    u, w, uv, vw = _quadratic(samples // 2)
    mid = (x0 + x1) / 2
    turn = np.sign(y1 - y0) * np.minimum((x1 - x0) / 2, np.abs(y1 - y0) / 2)
    out_x = u * x0 + vw * mid                               # (x0,y0) -> corner (mid,y0)
    out_y = uv * y0 + w * (y0 + turn)
    in_x = uv * mid + w * x1                                # -> corner (mid,y1) -> (x1,y1)
    in_y = u * (y1 - turn) + vw * y1
    if samples % 2:
        out_x, out_y = np.hstack([out_x, mid]), np.hstack([out_y, (y0 + y1) / 2])
    return np.hstack([out_x, in_x]), np.hstack([out_y, in_y])


@lru_cache(maxsize=8)
def _cubic(samples: int) -> tuple[np.ndarray, ...]:
    """Bernstein weights of a cubic at `samples` points (and sums of pairs), 1 × samples."""
    t = np.linspace(0.0, 1.0, samples)[None, :]
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
    return _frozen(a, b, c, d, a + b, c + d)


@lru_cache(maxsize=8)
def _quadratic(samples: int) -> tuple[np.ndarray, ...]:
    """u, w, u + v, v + w of a quadratic's Bernstein weights u, v, w."""
    t = np.linspace(0.0, 1.0, samples)[None, :]
    u, v, w = (1 - t) ** 2, 2 * (1 - t) * t, t ** 2
    return _frozen(u, w, u + v, v + w)


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Shared (cached) arrays: read-only, so no caller changes them for the others."""
    for a in arrays:
        a.flags.writeable = False
    return arrays


def path_from_points(x: np.ndarray, y: np.ndarray, line_to: np.ndarray) -> QPainterPath:
    """A QPainterPath from flat arrays in one go: point i is a move-to where
    line_to[i] is 0, a line-to otherwise. Uses QPainterPath's stream format, ~50×
    faster than calling moveTo/lineTo from Python."""
    n = len(x)
    path = QPainterPath()
    if n == 0:
        return path
    rec = np.empty(n, _PATH_RECORD)
    rec["kind"], rec["x"], rec["y"] = line_to, x, y
    data = struct.pack(">i", n) + rec.tobytes() + struct.pack(">ii", 0, 0)
    QDataStream(QByteArray(data)) >> path
    return path


def polyline_path(xs: np.ndarray, ys: np.ndarray) -> QPainterPath:
    """Rows of xs/ys as separate polylines."""
    kind = np.ones(xs.shape, np.int32)
    kind[:, 0] = 0
    return path_from_points(xs.ravel(), ys.ravel(), kind.ravel())


def clipped_path(xs: np.ndarray, ys: np.ndarray, rect: QRectF,
                 joined: bool = False) -> QPainterPath:
    """clipped_segments' path; a lit edge's few points (each paint of a partly exposed
    stroke) in plain Python, where numpy's fixed cost per call is most of the work.
    `joined`: a run of segments that meet inside `rect` stays one polyline, so a solid
    stroke keeps its round joins exactly as the whole path draws them (separate
    segments would be capped, and their anti-aliased ends overlap)."""
    if xs.size > SMALL_CLIP and not joined:
        return clipped_segments(xs, ys, rect)[0]
    left, top, right, bottom = rect.getCoords()
    path = QPainterPath()
    for row_x, row_y in zip(xs.tolist(), ys.tolist()):
        open_run = False                              # the last segment reached its end
        for ax, ay, bx, by in zip(row_x, row_y, row_x[1:], row_y[1:]):
            if (ax < left and bx < left) or (ax > right and bx > right) or \
                    (ay < top and by < top) or (ay > bottom and by > bottom):
                open_run = False
                continue                                    # wholly to one side
            cut = _clip_segment(ax, ay, bx - ax, by - ay, left, top, right, bottom)
            if cut is None:
                open_run = False
                continue
            t0, t1 = cut
            if not (joined and open_run and t0 == 0.0):
                path.moveTo(ax + t0 * (bx - ax), ay + t0 * (by - ay))
            path.lineTo(ax + t1 * (bx - ax), ay + t1 * (by - ay))
            open_run = t1 == 1.0
    return path


SMALL_CLIP = 64          # points: up to this many, clipped_path clips in Python


def _clip_segment(ax, ay, dx, dy, left, top, right, bottom):
    """Liang–Barsky for one segment, as clipped_segments does it: (t0, t1) or None."""
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, ax - left), (dx, right - ax), (-dy, ay - top), (dy, bottom - ay)):
        if p == 0:
            if q < 0:
                return None
        elif p < 0:
            t0 = max(t0, q / p)
        else:
            t1 = min(t1, q / p)
    return (t0, t1) if t0 <= t1 else None


def clipped_segments(xs: np.ndarray, ys: np.ndarray, rect: QRectF) -> tuple[QPainterPath, float]:
    """The polyline segments cut to `rect` (Liang–Barsky, vectorised), and their total
    length. Stroking is then proportional to what is on screen: a 20,000-pixel edge
    crossing a small exposed region costs as much as a short one."""
    ax, ay = xs[:, :-1].ravel(), ys[:, :-1].ravel()
    dx, dy = xs[:, 1:].ravel() - ax, ys[:, 1:].ravel() - ay
    t0, t1 = np.zeros_like(ax), np.ones_like(ax)
    keep = np.ones(ax.shape, bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, ax - rect.left()), (dx, rect.right() - ax),
                     (-dy, ay - rect.top()), (dy, rect.bottom() - ay)):
            r = q / p
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
            keep &= ~((p == 0) & (q < 0))
    keep &= t0 <= t1
    if not keep.any():
        return QPainterPath(), 0.0
    t0, t1, ax, ay, dx, dy = t0[keep], t1[keep], ax[keep], ay[keep], dx[keep], dy[keep]
    length = float(np.sum((t1 - t0) * np.hypot(dx, dy)))
    x = np.stack([ax + t0 * dx, ax + t1 * dx], axis=1).ravel()
    y = np.stack([ay + t0 * dy, ay + t1 * dy], axis=1).ravel()
    kind = np.zeros(len(x), np.int32)
    kind[1::2] = 1
    return path_from_points(x, y, kind), length
