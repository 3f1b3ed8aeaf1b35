"""Autosave, crash recovery and file locks for one window (bookkeeping: io/recovery.py,
io/locks.py).

A few seconds after each finished edit (the undo stack's index, or any change signal
of the document while it is modified), and at most MAX_WAIT_MS after the first edit
not yet copied, the window writes a recovery copy of its document. A save that
leaves the document clean, a discard, a new document or closing the window removes
the copy; a crash leaves it. On start, `offer_on_start` offers the copies whose
process is gone (recovery_dialog.py). While a file is open its lock says so; a
second window that opens it is warned.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Qt, QTimer

from ...io.locks import FileLocks
from ...io.recovery import RecoveryStore
from ...model.document import Document
from ...model.opening import recovered_document
from .recovery_dialog import RecoveryDialog, when

DELAY_MS = 2000           # after an edit
MAX_WAIT_MS = 60000       # while edits keep coming
DOC_SIGNALS = ("modified_changed", "leaf_edited", "label_changed", "node_moved", "note_changed",
               "training_changed", "values_replaced", "breakpoint_changed", "step_note_changed",
               "structure_changed", "groups_changed", "cursor_moved")


def data_root(settings: QSettings) -> Path:
    """Where copies and locks live: beside an explicit .ini settings file (tests,
    portable set-ups), else the per-user data folder (QStandardPaths, which
    follows its test mode and XDG_DATA_HOME)."""
    if settings.format() == QSettings.IniFormat:
        return Path(settings.fileName()).resolve().parent / "bpstudio-data"
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation))


class RecoveryKeeper(QObject):
    """Needs a window with doc, undo_stack, view, statusBar(), show_error, settings,
    set_document, open_path."""

    def __init__(self, window, root: Path):
        super().__init__(window)
        self.w = window
        self.store = RecoveryStore(root)
        self.key = self.store.new_key()
        self.locks = FileLocks(root, self.key)
        self.delay_ms, self.max_wait_ms = DELAY_MS, MAX_WAIT_MS
        self._soon = self._timer()
        self._deadline = self._timer()
        self._doc: Document | None = None
        self._locked: Path | None = None
        self.last_error = ""
        self.dialog: RecoveryDialog | None = None
        self.windows: list = []                 # windows opened for further copies
        self._window_used = False               # a recovered copy went into this window
        window.undo_stack.indexChanged.connect(self.touched)

    def _timer(self) -> QTimer:
        t = QTimer(self, singleShot=True)
        t.timeout.connect(self.write_now)
        return t

    # ---- following the document -----------------------------------------------------------
    def attach(self, doc: Document) -> None:
        """The window shows `doc` now: the old copy goes, the lock follows the file."""
        if self._doc is not None:
            self._connect(self._doc, False)
        self.forget()
        self._doc = doc
        self._connect(doc, True)
        self._relock()
        self.touched()

    def _connect(self, doc: Document, on: bool) -> None:
        for name in DOC_SIGNALS:
            signal = getattr(doc, name, None)
            if signal is not None:
                (signal.connect if on else signal.disconnect)(self._doc_changed)

    def _doc_changed(self, *_args) -> None:
        if self._doc is not None and not self._doc.modified:
            self.forget()                       # saved, or undone back to the saved state
            self._relock()                      # Save As may have moved it
        else:
            self.touched()

    def touched(self, *_args) -> None:
        """An edit finished: write a copy soon (and no later than max_wait_ms from now
        if edits keep coming)."""
        if self._doc is None or not self._doc.modified:
            return
        self._soon.start(self.delay_ms)
        if not self._deadline.isActive():
            self._deadline.start(self.max_wait_ms)

    def write_now(self) -> Path | None:
        self._soon.stop()
        self._deadline.stop()
        doc = self._doc
        if doc is None or not doc.modified:
            return None
        try:
            return self.store.write(self.key, doc.graph, path=doc.path, source=doc.source,
                                    title=doc.title, view=self.view_state())
        except Exception as exc:               # a full disk or a non-finite value
            self.last_error = f"autosave failed: {exc}"
            self.w.statusBar().showMessage(self.last_error, 10000)
            return None

    def view_state(self) -> dict:
        """Zoom, view centre and cursor, as a save would store them."""
        centre = self.w.view.visible_scene_rect().center()
        return {"zoom": round(self.w.view.scale_factor(), 4),
                "center": [round(centre.x(), 1), round(centre.y(), 1)],
                "cursor": self._doc.stepper.cursor}

    def forget(self) -> None:
        """Drop this window's copy (the work is saved or discarded)."""
        self._soon.stop()
        self._deadline.stop()
        self.store.remove(self.key)

    def close(self) -> None:
        """The window closes cleanly: no copy, no lock."""
        self.forget()
        if self._doc is not None:
            self._connect(self._doc, False)
        self._doc = None
        self._relock()

    # ---- locks ------------------------------------------------------------------------------
    def _relock(self) -> None:
        path = self._doc.path if self._doc is not None else None
        path = Path(path).resolve() if path else None
        if path == self._locked:
            return
        if self._locked is not None:
            self.locks.release(self._locked)
        self._locked = path
        if path is not None:
            holder = self.locks.acquire(path)
            if holder is not None:
                self.w.show_error(f"{path.name} is already open in another bpstudio window "
                                  f"(process {holder.get('pid')}); saving in both windows "
                                  f"overwrites one window's changes", "File already open")

    # ---- the offer on start ----------------------------------------------------------------
    def offer_on_start(self) -> RecoveryDialog | None:
        """Offer the copies whose writing process is gone (a crash); None if none."""
        entries = self.store.orphans()
        if not entries:
            return None
        self.dialog = RecoveryDialog(entries, self.w)
        self.dialog.chosen.connect(self._chosen)
        self.dialog.setAttribute(Qt.WA_DeleteOnClose)
        self.dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog.open()
        return self.dialog

    def _chosen(self, entry, action: str) -> None:
        if action == "discard":
            self.store.discard(entry)
        elif action == "recover":
            self._recover(entry)
        elif action == "open":
            self._open_saved(entry)

    def _recover(self, entry) -> None:
        try:
            doc = recovered_document(self.store, entry)
        except Exception as exc:               # a damaged copy: say so, keep it
            self.w.show_error(f"{entry.copy}: cannot recover: {exc}", "Cannot recover")
            return
        window = self._free_window(doc)
        if window is None:
            return
        window.undo_stack.resetClean()          # modified; no undo leads back to 'saved'
        window.recovery.write_now()             # this window's own copy first, then
        self.store.discard(entry)               # the dead one's goes
        window.statusBar().showMessage(f"recovered {entry.name}, autosaved {when(entry.time)};"
                                       f" save it to keep it", 15000)

    def _open_saved(self, entry) -> None:
        path = entry.path or entry.source
        try:
            doc = Document.open(path)
        except Exception as exc:               # the saved file is gone: keep the copy
            self.w.show_error(f"{path}: {exc}", "Cannot open file")
            return
        if self._free_window(doc) is not None:
            self.store.discard(entry)

    def _free_window(self, doc: Document):
        """Show `doc` in this window if it holds no work yet, else in a new window."""
        if not self.w.doc.modified and not self._window_used:
            self._window_used = True
            self.w.set_document(doc)
            return self.w
        window = type(self.w)(doc, self.w.settings)
        window.setAttribute(Qt.WA_DeleteOnClose)
        self.windows.append(window)
        window.destroyed.connect(lambda *_: self.windows.remove(window)
                                 if window in self.windows else None)
        window.show()
        return window
