"""Runs the engine's Trainer in a worker process; the GUI only ever sees plain Tick lists.

The worker (training_worker.py, no Qt) owns a Trainer built from a *copy* of the
graph and never touches a widget, a scene item or the Document; why a process rather
than a thread is explained there (the GIL). Its messages arrive through a pipe that a
GUI-thread timer drains every ~15 ms; ticks come in batches, one at most every ~30 ms
however fast the epochs are, and are re-emitted as Qt signals.

Control (play, pause, one epoch, reset, setting changes) goes the other way as small
messages, read by the worker between epochs, so a learning-rate change takes effect at
the next epoch. The state follows the worker's own reports (started / stopped, in
order), never a guess here. Each reset starts a new *generation*: ticks computed
before it that are still in the pipe are dropped when they arrive.
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from ...engine.train import Tick
from .worker import worker_main

POLL_MS = 15
SETTING_KEYS = ("lr", "epochs", "momentum", "batch", "reduction", "stop_grad_above",
                "stop_grad_below")


def _copy(v):
    return v.copy() if hasattr(v, "copy") else float(v)


def _pump(conn, outbox: queue.SimpleQueue) -> None:
    """Write the GUI's messages to the pipe, in order, from a helper thread: a write
    blocks while the pipe is full (the graph itself, or a worker busy in an epoch), and
    the GUI thread must never block on it. None ends the thread."""
    while (msg := outbox.get()) is not None:
        try:
            conn.send(msg)
        except (OSError, ValueError):            # the worker is gone
            return


class TrainingRunner(QObject):
    """Play / pause / one epoch / reset over a Trainer living in a worker process."""

    ticks_arrived = Signal(list)      # [Tick, ...] in epoch order
    paused = Signal()                 # stopped by pause() or after one_epoch()
    diverged = Signal(int, str)       # (epoch that failed, first non-finite node id)
    watch_stopped = Signal(int, str)  # (epoch, why) a grad watch stopped training
    finished = Signal()               # reached the epochs setting
    failed = Signal(str)              # the trainer could not be built (no dataset, …)
    state_changed = Signal(str)       # "idle" | "running" | "paused" | "finished" | "diverged"
    boundary_computed = Signal(object)   # (score grid, boundary lines, accuracy)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._proc = None
        self._conn = None
        self._outbox: queue.SimpleQueue | None = None
        self._pumper: threading.Thread | None = None
        self._gen = 0
        self.initial: dict[str, object] | None = None
        self.latest: Tick | None = None
        self.state = "idle"
        self._rates: deque = deque()
        self._poll = QTimer(self, interval=POLL_MS, timeout=self._drain)

    # ---- life cycle --------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._proc is not None

    def load(self, graph, base_dir=None) -> None:
        """Start a worker on a copy of `graph` (it builds its trainer in the background)."""
        self.shutdown()
        ctx = multiprocessing.get_context("spawn")     # never fork a process running Qt
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=worker_main, args=(child, self._gen),
                                 name="bpstudio-train", daemon=True)
        self._proc.start()                   # small arguments: returns at once
        child.close()
        self._outbox = queue.SimpleQueue()
        self._pumper = threading.Thread(target=_pump, args=(self._conn, self._outbox),
                                        name="bpstudio-train-pipe", daemon=True)
        self._pumper.start()
        self._send("graph", graph.copy(), base_dir)
        self._poll.start()

    def shutdown(self, wait: float = 1.0) -> None:
        """Stop the worker and forget the trainer."""
        self._poll.stop()
        proc, conn, outbox, pumper = self._proc, self._conn, self._outbox, self._pumper
        self._proc = self._conn = self._outbox = self._pumper = None
        if outbox is not None:
            outbox.put(("quit",))
            outbox.put(None)
            pumper.join(wait / 2)
        if proc is not None:
            proc.join(wait)
            if proc.is_alive():
                proc.terminate()
        if conn is not None:
            conn.close()
        self._gen += 1
        self.initial, self.latest = None, None
        self._rates.clear()
        self._set_state("idle")

    # ---- control (GUI thread) ------------------------------------------------------
    def begin(self, values: dict[str, object]) -> None:
        """Training starts from these weights; reset() comes back to them."""
        self.initial = {k: _copy(v) for k, v in values.items()}
        self._send("params", self.initial)

    def play(self) -> None:
        self._send("mode", "run")

    def pause(self) -> None:
        self._send("mode", "idle")

    def one_epoch(self) -> None:
        self._send("mode", "step")

    def reset(self) -> dict[str, object] | None:
        """Back to the initial weights at epoch 0, stopped. Returns those weights."""
        if self.initial is None:
            return None
        self._gen += 1
        self._send("reset", self._gen, self.initial)
        self.latest = None
        self._rates.clear()
        self._set_state("idle")
        return {k: _copy(v) for k, v in self.initial.items()}

    def set_setting(self, key: str, value) -> None:
        """lr, epochs, momentum, batch (None = all rows) or reduction."""
        if key in SETTING_KEYS:
            self._send("settings", {key: value})

    def set_params(self, values: dict[str, object]) -> None:
        """Continue from these parameter values (e.g. the user edited a weight)."""
        self._send("params", values)

    def set_boundary_spec(self, spec) -> None:
        self._send("boundary_spec", spec)

    def request_boundary(self, params: dict[str, object]) -> bool:
        """Ask for the boundary at these weights; the answer is boundary_computed."""
        return self._send("boundary", params)

    def _send(self, *msg) -> bool:
        if self._outbox is None:
            return False
        self._outbox.put(msg)
        return True

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def epochs_per_second(self) -> float:
        r = self._rates
        if len(r) < 2 or r[-1][0] <= r[0][0]:
            return 0.0
        return (r[-1][1] - r[0][1]) / (r[-1][0] - r[0][0])

    # ---- the worker's messages, in the GUI thread -------------------------------------
    def _drain(self) -> None:
        conn, deadline = self._conn, time.monotonic() + 0.02
        try:
            while conn is not None and conn is self._conn and conn.poll():
                self._dispatch(conn.recv())
                if time.monotonic() > deadline:      # keep the event loop breathing
                    break
        except (EOFError, OSError):
            if conn is self._conn:               # the worker died: say so, once
                proc = self._proc
                self.shutdown(wait=0.2)          # the next play starts a fresh one
                code = proc.exitcode if proc is not None else None
                self.failed.emit(f"the training process stopped (exit code {code})")

    def _dispatch(self, msg) -> None:
        kind = msg[0]
        if kind == "ticks" and msg[1] == self._gen and msg[2]:
            self._on_batch(msg[2])
        elif kind == "started" and msg[1] == self._gen:
            self._set_state("running")
        elif kind == "stopped" and msg[1] == self._gen:
            self._on_stopped(*msg[2:])
        elif kind == "boundary":
            self.boundary_computed.emit(msg[1])
        elif kind == "error":
            self._set_state("idle")
            self.failed.emit(msg[1])

    def _on_batch(self, ticks: list) -> None:
        self.latest = ticks[-1]
        now = time.monotonic()
        self._rates.append((now, ticks[-1].epoch))
        while len(self._rates) > 2 and now - self._rates[0][0] > 1.0:
            self._rates.popleft()
        self.ticks_arrived.emit(ticks)

    def _on_stopped(self, reason: str, epoch: int, node: str) -> None:
        self._rates.clear()
        self._set_state(reason)
        if reason == "diverged":
            self.diverged.emit(epoch, node)
        elif reason == "watch":
            self._set_state("paused")
            self.watch_stopped.emit(epoch, node)
        elif reason == "finished":
            self.finished.emit()
        else:
            self.paused.emit()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
