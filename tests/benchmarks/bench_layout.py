"""Layout benchmark: bpstudio's layered_layout vs Graphviz dot on micrograd graphs.

Both drawings are scored the same way: layers are the distinct x coordinates,
nodes are ordered by y, and an edge spanning several layers is split with a dummy
in each layer in between at its linearly interpolated y; crossings are then
counted by ``bpstudio.model.layout.count_crossings``.

``run(rows)`` appends one dict per graph size; ``python tests/benchmarks/bench_layout.py``
prints a table.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from micrograd_graphs import micrograd_demo_graph
else:
    from .micrograd_graphs import micrograd_demo_graph

from bpstudio.model.layout import count_crossings, layered_layout

DOT_TIMEOUT_S = 60.0
# (row label, micrograd points, MLP hidden sizes, compare with dot)
CASES = [
    ("layout 1k nodes", 3, (8, 8), True),
    ("layout 5k nodes", 25, (8, 8), True),                 # dot finishes (≈ 25 s here)
    ("layout 5k nodes, MLP [16,16]", 6, (16, 16), True),   # denser: dot > 60 s
    ("layout 20k nodes", 30, (16, 16), True),
    ("layout 65k nodes", 100, (16, 16), False),
]


def layers_from_positions(positions, edges):
    """(layers, split edges) of a straight-edge drawing, for count_crossings."""
    xs = sorted({x for x, _ in positions.values()})
    layer_of_x = {x: k for k, x in enumerate(xs)}
    members: list[list[tuple[float, str]]] = [[] for _ in xs]
    for node, (x, y) in positions.items():
        members[layer_of_x[x]].append((y, node))
    split = []
    for number, (a, b) in enumerate(sorted(set(edges))):
        (xa, ya), (xb, yb) = positions[a], positions[b]
        if xa > xb:
            (a, xa, ya), (b, xb, yb) = (b, xb, yb), (a, xa, ya)
        previous = a
        for k in range(layer_of_x[xa] + 1, layer_of_x[xb]):
            dummy = f"~{number}:{k}"
            members[k].append((ya + (yb - ya) * (xs[k] - xa) / (xb - xa), dummy))
            split.append((previous, dummy))
            previous = dummy
        split.append((previous, b))
    layers = [[node for _, node in sorted(m, key=lambda item: item[0])] for m in members]
    return layers, split


def drawing_crossings(positions, edges) -> int:
    return count_crossings(*layers_from_positions(positions, edges))


def _dot_source(node_ids, edges) -> str:
    lines = ["digraph G {", "rankdir=LR;", "node [shape=box, width=1.2, height=0.5];"]
    lines += [f'"{node}";' for node in node_ids]
    lines += [f'"{a}" -> "{b}";' for a, b in sorted(set(edges))]
    lines.append("}")
    return "\n".join(lines)


def _parse_plain(text: str) -> dict[str, tuple[float, float]]:
    positions = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            positions[parts[1].strip('"')] = (float(parts[2]), float(parts[3]))
    return positions


def run_dot(node_ids, edges, timeout=DOT_TIMEOUT_S):
    """(seconds, positions) of ``dot -Tplain``; (None, None) on timeout or no dot."""
    if shutil.which("dot") is None:
        return None, None
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as handle:
        handle.write(_dot_source(node_ids, edges))
    try:
        start = time.perf_counter()
        done = subprocess.run(["dot", "-Tplain", handle.name], capture_output=True,
                              text=True, timeout=timeout, check=True)
        elapsed = time.perf_counter() - start
    except subprocess.TimeoutExpired:
        return None, None
    finally:
        Path(handle.name).unlink(missing_ok=True)
    return elapsed, _parse_plain(done.stdout)


def time_layout(node_ids, edges, repeats: int):
    best, positions = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        positions = layered_layout(node_ids, edges)
        best = min(best, time.perf_counter() - start)
    return best, positions


def bench_case(label, points, hidden, with_dot) -> dict:
    node_ids, edges, _ = micrograd_demo_graph(points, hidden)
    seconds, positions = time_layout(node_ids, edges, repeats=3 if len(node_ids) < 30000 else 1)
    row = {"name": label, "nodes": len(node_ids), "bpstudio_s": seconds,
           "anchor": "graphviz dot", "anchor_s": None, "speedup": None,
           "bpstudio_crossings": drawing_crossings(positions, edges), "anchor_crossings": None}
    if not with_dot:
        row["note"] = "dot not run at this size"
    elif shutil.which("dot") is None:
        row["note"] = "dot not installed"
    else:
        dot_s, dot_positions = run_dot(node_ids, edges)
        if dot_s is None:
            row["note"] = f"dot > {DOT_TIMEOUT_S:.0f} s"
        else:
            row.update(anchor_s=dot_s, speedup=dot_s / seconds,
                       anchor_crossings=drawing_crossings(dot_positions, edges))
    return row


def run(json_rows: list) -> None:
    for case in CASES:
        json_rows.append(bench_case(*case))


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


if __name__ == "__main__":
    rows: list = []
    print(f"{'case':18} {'nodes':>6} {'bpstudio s':>10} {'dot s':>8} {'speedup':>8} "
          f"{'bp cross':>10} {'dot cross':>10}  note")
    for case in CASES:
        row = bench_case(*case)
        rows.append(row)
        print(f"{row['name']:18} {row['nodes']:>6} {row['bpstudio_s']:>10.3f} "
              f"{_fmt(row['anchor_s'], '8.2f'):>8} {_fmt(row['speedup'], '8.1f'):>8} "
              f"{row['bpstudio_crossings']:>10} {_fmt(row['anchor_crossings'], 'd'):>10}  "
              f"{row.get('note', '')}", flush=True)
