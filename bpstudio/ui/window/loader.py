"""Opening a big file without freezing the window.

A LoadThread builds the Document (reading, checking, compiling the steps, the
layout: model/opening.py) and touches no widget; its signals are delivered queued
to the GUI thread. The window keeps its current document until the new one is
ready, then shows it (the canvas makes only the cards it shows: canvas/card_set.py).
The status bar shows a progress bar and a Cancel button meanwhile. Cancelling
drops the result (the thread stops at its next phase) and keeps the old document.
Files under ASYNC_BYTES load synchronously: that is instant.

Python's cyclic collector is paused from the start of a load until its thread has
finished (and re-enabled on the GUI thread): a collection inside the worker would
hold the GIL for a long stretch (the window stalls), and could free a Qt wrapper's
C++ object off the GUI thread.
"""
from __future__ import annotations

import gc
import os
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from ...model.opening import OpenCancelled, open_document

ASYNC_BYTES = 512 * 1024
PERCENT_AT = (3, 40, 60, 90)       # the bar at the start of each phase (their usual share)


def wants_thread(path: Path) -> bool:
    try:
        return os.stat(path).st_size >= ASYNC_BYTES
    except OSError:
        return False                       # let the synchronous path report it


class LoadThread(QThread):
    progressed = Signal(int, str)          # phase (0..PHASES), what is being done
    loaded = Signal(object)                # the Document
    failed = Signal(object)                # the exception

    def __init__(self, path: Path, parent=None):
        super().__init__(parent)
        self.path = path

    def run(self) -> None:
        try:
            doc = open_document(self.path, self.progressed.emit, self.isInterruptionRequested)
        except OpenCancelled:
            return
        except Exception as exc:           # any failure to load is reported, never fatal
            self.failed.emit(exc)
            return
        if not self.isInterruptionRequested():
            self.loaded.emit(doc)


class AsyncOpener(QObject):
    """One open at a time; a new one cancels the previous. Needs a window with
    statusBar(); emits opened(path, doc) / failed(path, exc) in the GUI thread."""
    opened = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self, window):
        super().__init__(window)
        self._thread: LoadThread | None = None
        self._leftovers: set[LoadThread] = set()     # cancelled, still finishing
        self._gc_was_enabled: bool | None = None     # while a thread runs: gc paused
        self.widget = OpenProgress(self.cancel)
        window.statusBar().addPermanentWidget(self.widget)
        self.widget.hide()

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, path: Path) -> None:
        self.cancel()
        thread = self._thread = LoadThread(Path(path), self)
        # Bound methods of this GUI-thread object: the worker's signals arrive queued.
        thread.progressed.connect(self._progress)
        thread.loaded.connect(self._loaded)
        thread.failed.connect(self._failed)
        thread.finished.connect(self._finished)
        self.widget.begin(Path(path).name)
        self._pause_gc()
        thread.start()

    def cancel(self) -> None:
        """Forget the open in flight (its thread stops at its next phase)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.requestInterruption()
            self._leftovers.add(thread)
        self.widget.hide()

    def shutdown(self, wait_ms: int = 10000) -> None:
        self.cancel()
        for thread in list(self._leftovers):
            thread.wait(wait_ms)
        self._resume_gc()

    @Slot(int, str)
    def _progress(self, k: int, text: str) -> None:
        if self.sender() is self._thread:
            self.widget.show_phase(k, text)

    @Slot(object)
    def _loaded(self, doc) -> None:
        self._done(self.sender(), doc, None)

    @Slot(object)
    def _failed(self, exc) -> None:
        self._done(self.sender(), None, exc)

    def _done(self, thread, doc, exc) -> None:
        if thread is None or thread is not self._thread:
            return                          # cancelled or replaced: drop it
        self._thread = None
        self._leftovers.add(thread)         # until its finished() arrives
        self.widget.hide()
        if exc is not None:
            self.failed.emit(thread.path, exc)
        else:
            self.opened.emit(thread.path, doc)

    @Slot()
    def _finished(self) -> None:
        thread = self.sender()
        self._leftovers.discard(thread)
        if thread is self._thread:          # ended without a result (cancel raced it)
            self._thread = None
            self.widget.hide()
        if thread is not None:
            thread.deleteLater()
        if self._thread is None and not self._leftovers:
            self._resume_gc()

    def _pause_gc(self) -> None:
        if self._gc_was_enabled is None:
            self._gc_was_enabled = gc.isenabled()
            gc.disable()

    def _resume_gc(self) -> None:
        if self._gc_was_enabled:
            gc.enable()
        self._gc_was_enabled = None


class OpenProgress(QWidget):
    """'opening FILE: laying out  [=====   ]  Cancel' in the status bar."""

    def __init__(self, on_cancel):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar(maximum=100, textVisible=False)
        self.bar.setFixedWidth(160)
        self.cancel_button = QToolButton(text="Cancel")
        self.cancel_button.setToolTip("Stop opening; the current graph stays")
        self.cancel_button.clicked.connect(on_cancel)
        for w in (self.label, self.bar, self.cancel_button):
            layout.addWidget(w)
        self._name = ""

    def begin(self, name: str) -> None:
        self._name = name
        self.show_phase(0, "reading and checking")
        self.show()

    def show_phase(self, k: int, text: str) -> None:
        self.bar.setValue(PERCENT_AT[min(max(k, 0), len(PERCENT_AT) - 1)])
        self.label.setText(f"opening {self._name}: {text}…")
