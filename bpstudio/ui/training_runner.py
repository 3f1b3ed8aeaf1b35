"""Runs the engine's Trainer in a worker thread; the UI only ever sees plain Tick lists.

The worker owns a Trainer built from a *copy* of the graph and never touches a widget,
a scene item or the Document. Everything it reports goes through Qt signals, which are
delivered in the GUI thread (queued). Ticks are batched: one emission at most every
~30 ms, however fast the epochs are.

Control (play, pause, one epoch, reset, setting changes) is a small shared state
guarded by one lock; the worker reads it between epochs, so a learning-rate change
takes effect at the next epoch. Each reset starts a new *generation*: ticks computed
before the reset that are still in flight are dropped when they arrive.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from PySide6.QtCore import QObject, Signal

from ..engine.train import Tick

FLUSH_SECONDS = 0.03
SETTING_KEYS = ("lr", "epochs", "momentum", "batch", "reduction")


def lower_priority(niceness: int = 10) -> None:
    """Make the calling worker thread yield the CPU to the GUI thread under load.
    Linux schedules threads as tasks, so this nices only this thread; elsewhere a no-op."""
    try:
        import os
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), niceness))
    except (AttributeError, OSError):
        pass


def _copy(v):
    return v.copy() if hasattr(v, "copy") else float(v)


class _Shared:
    """What the GUI thread asks and the worker reads; always used under `lock`."""

    def __init__(self, gen: int = 0):
        self.lock = threading.Condition()
        self.mode = "idle"            # "idle" | "run" | "step"
        self.quit = False
        self.gen = gen                # bumped by reset and by a new load
        self.settings: dict = {}      # pending setting changes
        self.params: dict | None = None        # continue from these values (canvas edit)
        self.reset_params: dict | None = None  # start over from these, at epoch 0
        self.target = 0               # "run" stops at this epoch


class TrainingRunner(QObject):
    """Play / pause / one epoch / reset over a Trainer living in a worker thread."""

    ticks_arrived = Signal(list)      # [Tick, ...] in epoch order
    paused = Signal()                 # stopped by pause() or after one_epoch()
    diverged = Signal(int, str)       # (epoch that failed, first non-finite node id)
    finished = Signal()               # reached the epochs setting
    failed = Signal(str)              # the trainer could not be built (no dataset, …)
    state_changed = Signal(str)       # "idle" | "running" | "paused" | "finished" | "diverged"

    _batch = Signal(int, list)                  # (generation, ticks) from the worker
    _started = Signal(int)                      # (generation): epochs are running
    _stopped = Signal(int, str, int, str)       # (generation, reason, epoch, node)
    _error = Signal(int, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._shared = _Shared()
        self._thread: threading.Thread | None = None
        self.initial: dict[str, object] = {}
        self.latest: Tick | None = None
        self.state = "idle"
        self._rates: deque = deque()
        self._batch.connect(self._on_batch)
        self._started.connect(self._on_started)
        self._stopped.connect(self._on_stopped)
        self._error.connect(self._on_error)

    # ---- life cycle --------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._thread is not None

    def load(self, graph, base_dir=None) -> None:
        """Train a copy of `graph` from now on; its parameters are the reset point."""
        self.shutdown()
        copy = graph.copy()
        self.initial = {n.id: _copy(n.value) for n in copy.leaves() if n.role == "parameter"}
        self.latest = None
        self._rates.clear()
        self._shared = shared = _Shared(self._shared.gen + 1)   # late ticks of the old one drop
        shared.target = int((copy.training or {}).get("epochs") or 100)
        self._thread = threading.Thread(target=self._work, args=(shared, copy, base_dir),
                                        name="bpstudio-train", daemon=True)
        self._thread.start()
        self._set_state("idle")

    def shutdown(self, wait: float = 2.0) -> None:
        """Stop the worker (it finishes its current epoch) and forget the trainer."""
        shared, thread = self._shared, self._thread
        with shared.lock:
            shared.quit = True
            shared.gen += 1
            shared.lock.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(wait)
        self._thread = None
        self.latest = None
        self._set_state("idle")

    # ---- control (GUI thread) ------------------------------------------------------
    # The state follows the worker's own reports (started / stopped, in order), never a
    # guess here: a pause that lands before the worker noticed the play leaves no trace.
    def play(self) -> None:
        self._command("run")

    def pause(self) -> None:
        self._command("idle")

    def one_epoch(self) -> None:
        self._command("step")

    def reset(self) -> dict[str, object]:
        """Back to the initial weights at epoch 0, stopped. Returns those weights."""
        s = self._shared
        with s.lock:
            s.gen += 1
            s.mode = "idle"
            s.reset_params = {k: _copy(v) for k, v in self.initial.items()}
            s.params = None
            s.lock.notify_all()
        self.latest = None
        self._rates.clear()
        self._set_state("idle")
        return {k: _copy(v) for k, v in self.initial.items()}

    def set_setting(self, key: str, value) -> None:
        """lr, epochs, momentum, batch (None = all rows) or reduction; thread-safe."""
        if key not in SETTING_KEYS:
            return
        s = self._shared
        with s.lock:
            s.settings[key] = value
            if key == "epochs":
                s.target = int(value)
            s.lock.notify_all()

    def set_params(self, values: dict[str, object]) -> None:
        """Continue from these parameter values (e.g. the user edited a weight)."""
        s = self._shared
        with s.lock:
            s.params = {k: _copy(v) for k, v in values.items()}
            s.lock.notify_all()

    def _command(self, mode: str) -> None:
        s = self._shared
        with s.lock:
            s.mode = mode
            s.lock.notify_all()

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def epochs_per_second(self) -> float:
        r = self._rates
        if len(r) < 2 or r[-1][0] <= r[0][0]:
            return 0.0
        return (r[-1][1] - r[0][1]) / (r[-1][0] - r[0][0])

    # ---- GUI-thread slots for the worker's signals ------------------------------------
    def _on_batch(self, gen: int, ticks: list) -> None:
        if gen != self._shared.gen or not ticks:
            return
        self.latest = ticks[-1]
        now = time.monotonic()
        self._rates.append((now, ticks[-1].epoch))
        while len(self._rates) > 2 and now - self._rates[0][0] > 1.0:
            self._rates.popleft()
        self.ticks_arrived.emit(ticks)

    def _on_started(self, gen: int) -> None:
        if gen == self._shared.gen:
            self._set_state("running")

    def _on_stopped(self, gen: int, reason: str, epoch: int, node: str) -> None:
        if gen != self._shared.gen:
            return
        self._rates.clear()
        self._set_state(reason)
        if reason == "diverged":
            self.diverged.emit(epoch, node)
        elif reason == "finished":
            self.finished.emit()
        else:
            self.paused.emit()

    def _on_error(self, gen: int, text: str) -> None:
        if gen == self._shared.gen:
            self._set_state("idle")
            self.failed.emit(text)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # ---- the worker thread ---------------------------------------------------------------
    def _work(self, shared: _Shared, graph, base_dir) -> None:
        lower_priority()
        try:
            from ..cli_train import make_trainer
            trainer = make_trainer(graph, base_dir)
        except Exception as exc:            # reported through a signal, never raised here
            self._error.emit(shared.gen, " ".join(str(exc).split()) or type(exc).__name__)
            return
        _Loop(self, shared, trainer).run()


class _Loop:
    """The worker's loop: wait for a command, run epochs, flush ticks every ~30 ms."""

    def __init__(self, runner: TrainingRunner, shared: _Shared, trainer):
        self.runner, self.shared, self.trainer = runner, shared, trainer
        self.buf: list[Tick] = []
        self.gen = shared.gen
        self.active = False               # an epoch ran since the last stop signal
        self.reported = False             # "started" sent since the last stop signal
        self.last_flush = time.monotonic()

    def run(self) -> None:
        while self._next():
            tick = self.trainer.run_epoch()
            self.buf.append(tick)
            self.active = True
            if tick.nonfinite:
                with self.shared.lock:
                    if self.shared.gen == self.gen:     # else a reset came first: it wins
                        self.shared.mode = "idle"
                        self._stop("diverged", tick.epoch + 1, tick.nonfinite)
            elif time.monotonic() - self.last_flush >= FLUSH_SECONDS:
                self._flush()

    def _next(self) -> bool:
        """Apply pending changes; block while idle. False = quit. Called between epochs."""
        s, tr = self.shared, self.trainer
        with s.lock:
            while not s.quit:
                self._apply(s, tr)
                if s.mode == "run" and tr.epoch >= s.target:
                    if self.active:                  # reached the epochs setting
                        s.mode = "idle"
                        self._stop("finished")
                        continue
                    s.target = tr.epoch + max(1, int(tr.settings.epochs))   # one more round
                if s.mode in ("run", "step"):
                    if not self.reported:            # in order with the stop signals, so
                        self.reported = True         # a late "paused" cannot stick
                        self.runner._started.emit(self.gen)
                    s.mode = "idle" if s.mode == "step" else "run"
                    return True
                if self.active:
                    self._stop("paused")
                s.lock.wait()
            return False

    def _apply(self, s: _Shared, tr) -> None:
        if s.gen != self.gen:                        # a reset: drop what was not sent
            self.gen, self.buf, self.active, self.reported = s.gen, [], False, False
        for key, value in s.settings.items():
            setattr(tr.settings, key, value)
        s.settings.clear()
        for values, reset in ((s.reset_params, True), (s.params, False)):
            if values is not None:
                index = tr.p.index
                values = {index[k]: _copy(v) for k, v in values.items() if k in index}
                tr.reset({**tr.params, **values}) if reset else tr.params.update(values)
        s.reset_params = s.params = None

    def _stop(self, reason: str, epoch: int = 0, node: str = "") -> None:
        """Flush, then say why the worker stopped (called with the lock held)."""
        self._flush()
        self.active = self.reported = False
        self.runner._stopped.emit(self.gen, reason, epoch, node)

    def _flush(self) -> None:
        if self.buf:
            self.runner._batch.emit(self.gen, self.buf)
            self.buf = []
        self.last_flush = time.monotonic()
