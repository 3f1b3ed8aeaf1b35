"""Canvas benchmarks on micrograd demo-loss graphs (offscreen, a 1400×800 view).

Rows: open + first paint of the 65,818-node graph; one step's scene update at ~20k
nodes (the signal handling plus the repaint of what it dirtied); refresh every card
(`refresh_all` + repaint) at ~5k and 65k nodes; panning at three zoom levels.
Goals: a step ≤ 2 ms at 20k nodes, refresh-all ≤ 16 ms at 5k.

``run(rows)`` appends dicts; ``python tests/benchmarks/bench_canvas.py`` prints a table.
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from micrograd_graphs import ordered_demo_loss
else:
    from .micrograd_graphs import ordered_demo_loss

from PySide6.QtWidgets import QApplication

from bpstudio.engine import Graph
from bpstudio.model.document import Document

VIEW_SIZE = (1400, 800)
SIZES = {"5k": 6, "20k": 30, "65k": 100}      # micrograd points -> ~4.9k, 20.5k, 65.8k nodes


def _app() -> QApplication:
    return QApplication.instance() or QApplication([])


def _graph(points: int) -> Graph:
    return Graph.from_value(ordered_demo_loss(points, (16, 16), 0))


def _row(name: str, seconds: float, **notes) -> dict:
    return {"name": name, "bpstudio_s": seconds, "anchor": None, "anchor_s": None,
            "speedup": None, **notes}


def _open(doc: Document):
    """Scene + view shown at VIEW_SIZE; returns (scene, view, seconds per phase)."""
    from bpstudio.ui.canvas.graph_scene import GraphScene
    from bpstudio.ui.canvas.graph_view import GraphView

    app = _app()
    t0 = time.perf_counter()
    doc.positions()
    t1 = time.perf_counter()
    scene = GraphScene(doc)
    view = GraphView(scene)
    view.resize(*VIEW_SIZE)
    view.show()
    app.processEvents()
    t2 = time.perf_counter()
    view.fit()
    view.grab()
    t3 = time.perf_counter()
    return scene, view, {"layout_s": round(t1 - t0, 3), "scene_s": round(t2 - t1, 3),
                         "paint_s": round(t3 - t2, 3)}


def _repaint(view) -> None:
    """Deliver the scene's dirty regions to the view and paint them, now: the scene
    queues its dirty items, the view turns them into viewport updates, and the
    backing store paints only that region."""
    _app().processEvents()


def _readable(view, node: str) -> None:
    view.set_zoom(1.0)
    view.center_on_node(node, animate=False)
    view.grab()
    _app().processEvents()


def bench_open(rows: list, points: int = SIZES["65k"]) -> None:
    doc = Document(_graph(points))
    gc.collect()
    t = time.perf_counter()
    scene, view, phases = _open(doc)
    total = time.perf_counter() - t
    rows.append(_row(f"canvas open + first paint ({len(doc.graph)} nodes)", total, **phases))
    view.close()


def bench_step(rows: list, points: int = SIZES["20k"], steps: int = 40) -> None:
    doc = Document(_graph(points))
    scene, view, _ = _open(doc)
    p = doc.stepper.program
    for label, start in (("forward", p.n_forward // 2), ("backward", p.n_forward + 1 + p.n_forward // 2)):
        doc.run_to(start)
        _readable(view, doc.stepper.node_at(start))
        view.set_follow(False)
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            doc.step()
            _repaint(view)
            times.append(time.perf_counter() - t)
        rows.append(_row(f"canvas one {label} step ({len(doc.graph)} nodes)",
                         statistics.median(times), max_ms=round(max(times) * 1000, 2)))
    view.close()


def bench_refresh_all(rows: list, points: int, repeats: int = 15) -> None:
    doc = Document(_graph(points))
    scene, view, _ = _open(doc)
    doc.run_to_end()
    for zoom_name in ("100%", "fit"):
        if zoom_name == "fit":
            view.fit()
        else:
            _readable(view, doc.graph.output)
        view.grab()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            scene.refresh_all()
            _repaint(view)
            times.append(time.perf_counter() - t)
        rows.append(_row(f"canvas refresh all at {zoom_name} ({len(doc.graph)} nodes)",
                         statistics.median(times)))
    view.close()


def bench_pan(rows: list, points: int = SIZES["65k"], frames: int = 12) -> None:
    doc = Document(_graph(points))
    scene, view, _ = _open(doc)
    doc.run_to_end()
    bar = view.horizontalScrollBar()
    middle = doc.stepper.node_at(doc.stepper.program.n_forward // 2)
    for zoom, where, node in ((1.0, "output", doc.graph.output), (1.0, "middle", middle),
                              (0.25, "middle", middle), (0.05, "middle", middle)):
        view.set_zoom(zoom)
        view.center_on_node(node, animate=False)
        view.grab()
        times = []
        for k in range(frames):
            t = time.perf_counter()
            bar.setValue(bar.value() + (-150 if k % 2 else 150))
            view.viewport().repaint()
            times.append(time.perf_counter() - t)
        rows.append(_row(f"canvas pan one frame at {zoom:.0%}, {where} ({len(doc.graph)} nodes)",
                         statistics.median(times)))
    view.close()


def run(rows: list) -> None:
    _app()
    bench_open(rows)
    bench_step(rows)
    bench_refresh_all(rows, SIZES["5k"])
    bench_refresh_all(rows, SIZES["65k"])
    bench_pan(rows)


if __name__ == "__main__":
    from run import print_table

    collected: list = []
    run(collected)
    print_table(collected)
