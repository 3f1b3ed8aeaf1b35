"""Small pieces of window logic that need no widgets of their own.

CheckRunner runs the numeric gradient check on a copy of the graph in a plain
worker thread; the thread never touches a widget, it only emits one signal whose
queued delivery lands in the GUI thread.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ...engine.nonfinite import describe, evaluation_rank

OPENABLE_SUFFIXES = (".json", ".py")


def step_counter_text(stepper) -> str:
    """'step 5 / 7 · backward' (the kind of the step just applied)."""
    c, total = stepper.cursor, stepper.total
    if c == 0:
        phase = "start"
    elif c >= total:
        phase = "done"
    else:
        phase = stepper.kind(c - 1)
    return f"step {c} / {total} · {phase}"


def run_to_selected_step(doc, node_id: str) -> int:
    """The cursor that finishes the selected node's next unfinished step.

    An op node: its forward step if not yet computed, else its backward step.
    A leaf: the point where its grad is final (all of its consumers have sent theirs).
    """
    s = doc.stepper
    p = s.program
    i = p.index[node_id]
    fwd = p.forward_step_of(i)
    if fwd is not None and s.cursor <= fwd:
        return fwd + 1
    if fwd is not None:
        return p.backward_step_of(i) + 1
    consumers = [p.backward_step_of(n) for n in p.op_nodes if i in p.inputs[n]]
    return max(consumers) + 1 if consumers else s.total


def dropped_paths(mime) -> list[Path]:
    """Local .json/.py files in a drag's mime data."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in OPENABLE_SUFFIXES]


def _nonfinite(v) -> str:
    """'' if v is finite (or unset), else 'NaN' or '∞'."""
    if v is None:
        return ""
    arr = np.asarray(v, dtype=np.float64)
    if np.all(np.isfinite(arr)):
        return ""
    return "NaN" if np.any(np.isnan(arr)) else "∞"


class NonFiniteTracker:
    """Which nodes hold a NaN/∞ value or grad; updated only for the nodes a move touched."""

    def __init__(self, doc):
        self.doc = doc
        self.bad: dict[str, str] = {}
        self.found = None               # the NonFinite that message() named last
        self.rescan()

    def rescan(self) -> None:
        self.bad.clear()
        s = self.doc.stepper
        vals = [0.0 if v is None or isinstance(v, np.ndarray) else v for v in s.values]
        grads = [0.0 if g is None or isinstance(g, np.ndarray) else g for g in s.grads]
        flat_ok = np.isfinite(np.asarray(vals, dtype=np.float64)) & \
            np.isfinite(np.asarray(grads, dtype=np.float64))
        suspects = set(np.flatnonzero(~flat_ok).tolist())
        suspects.update(i for i, v in enumerate(s.values) if isinstance(v, np.ndarray))
        suspects.update(i for i, g in enumerate(s.grads) if isinstance(g, np.ndarray))
        for i in sorted(suspects):
            self._check(s.program.ids[i])

    def _check(self, node_id: str) -> None:
        s = self.doc.stepper
        what = _nonfinite(s.value(node_id))
        where = "" if what else ".grad"
        what = what or _nonfinite(s.grad(node_id))
        if what:
            self.bad[node_id] = f"{what} at node {s.labels[node_id]}{where}"
        else:
            self.bad.pop(node_id, None)

    def update(self, old: int, new: int) -> str:
        touched = self.doc.touched(old, new)
        if touched is None:
            self.rescan()
        else:
            for node_id in touched:
                self._check(node_id)
        return self.message()

    def first(self):
        """The first non-finite node in evaluation order (a NonFinite), or None."""
        if not self.bad:
            return None
        s = self.doc.stepper
        node_id = min(self.bad, key=lambda nid: evaluation_rank(s, nid))
        return describe(s, node_id)

    def message(self) -> str:
        """The status-bar text; also remembers the first one in `self.found`."""
        first = self.found = self.first()
        if first is None:
            return ""
        more = len(self.bad) - 1
        return f"⚠ {self.bad[first.node]}: {first.detail}" + (f" (+{more} more)" if more else "")


def check_summary(results) -> str:
    """'4 leaves agree, worst error 1.4e−10' or which leaves differ."""
    if not results:
        return "no leaves to check"
    worst = max(r.error for r in results)
    worst_text = "0" if worst == 0 else f"{worst:.1e}".replace("-", "\u2212")
    bad = [r for r in results if not r.ok]
    n = len(results)
    kinks = sum(r.kink for r in results)
    at_kink = f" ({kinks} at a kink: the analytic value is a valid subgradient)" if kinks else ""
    if not bad:
        return f"{n} lea{'f agrees' if n == 1 else 'ves agree'}{at_kink}, worst error {worst_text}"
    names = ", ".join(f"{r.label} ({r.error:.1e})".replace("-", "\u2212") for r in bad[:4])
    return f"{n - len(bad)} of {n} leaves agree; differs: {names}"


class CheckRunner(QObject):
    """Runs check_gradients(graph copy) in a worker thread; emits (doc, results, summary)."""

    finished = Signal(object, object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._token = 0
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self, doc) -> None:
        graph = doc.graph.copy()            # the worker never sees the live graph
        with self._lock:
            self._token += 1
            token = self._token
        self.thread = threading.Thread(target=self._work, args=(doc, graph, token),
                                       name="bpstudio-gradcheck", daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        with self._lock:
            self._token += 1

    def _work(self, doc, graph, token: int) -> None:
        from ...engine.gradcheck import check_gradients
        try:
            results = check_gradients(graph)
            summary = check_summary(results)
        except Exception as exc:        # reported in the status bar, never raised in a thread
            results, summary = [], f"numeric check failed: {exc}"
        with self._lock:
            if token != self._token:
                return
        self.finished.emit(doc, results, summary)


class DockHeights:
    """Tabbed bottom docks that want different heights (the chain-rule words are happy
    with 250 px, the training plots need about twice that): each tab, when raised,
    gets back the height it last had."""

    def __init__(self, window, heights: dict):
        self.window = window
        self.heights = dict(heights)          # dock -> its height when last in front
        self.front = None                     # the tab in front (whose height counts)
        for dock in heights:
            dock.visibilityChanged.connect(lambda shown, d=dock: self._changed(d, shown))

    def _changed(self, dock, shown: bool) -> None:
        if not (shiboken6.isValid(self.window) and shiboken6.isValid(dock)):
            return
        if not shown:
            if dock is self.front and dock.height() > 40 and not dock.isFloating():
                self.heights[dock] = dock.height()
            return
        self.front = dock
        if not dock.isFloating() and self.window.tabifiedDockWidgets(dock):
            QTimer.singleShot(0, lambda: self._resize(dock))     # after the tab switch

    def _resize(self, dock) -> None:
        if shiboken6.isValid(self.window) and shiboken6.isValid(dock) and dock.isVisible():
            self.window.resizeDocks([dock], [self.heights[dock]], Qt.Vertical)


class NodeStatus:
    """The node the status bar describes, kept true: described again whenever its numbers
    change (a step, an edit, training), dropped with its document, and never left
    standing once another message replaced it."""

    def __init__(self, window):
        self.w = window
        self.node: str | None = None
        self.text = ""

    def show(self, node_id: str) -> None:
        self.node, self.text = node_id, self.w.describe_node(node_id)
        self.w.statusBar().showMessage(self.text)

    def refresh(self) -> None:
        bar = self.w.statusBar()
        if self.node is None or bar.currentMessage() != self.text:
            self.node = None
            return
        if self.w.doc is not None and self.node in self.w.doc.graph.nodes:
            self.show(self.node)
        else:
            self.clear()

    def clear(self) -> None:
        if self.node is not None and self.w.statusBar().currentMessage() == self.text:
            self.w.statusBar().clearMessage()
        self.node, self.text = None, ""
