"""Autosave, recovery copies and file locks (io/recovery.py, io/locks.py,
ui/window/recovery.py). The crash itself (SIGKILL of a running window) is in
test_recovery_kill.py."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings

from bpstudio.io import load
from bpstudio.io.locks import FileLocks
from bpstudio.io.processes import process_alive, process_start
from bpstudio.io.recovery import RecoveryStore
from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.commands.edit import SetNoteCommand, SetValueCommand
from bpstudio.ui.window.main_window import MainWindow
from bpstudio.ui.window.recovery import data_root
from bpstudio.ui.window.recovery_dialog import when

EXPRESSION = EXAMPLES / "expression.json"      # a = 2.0, b = -3.0, c = 10.0, f = -2.0


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def graph_file(tmp_path):
    target = tmp_path / "expression.json"
    shutil.copy(EXPRESSION, target)
    return target


def make_window(qtbot, settings, doc) -> MainWindow:
    w = MainWindow(doc, settings)
    w.ask_save_changes = lambda: "discard"
    w.recovery.delay_ms = 30                    # the 2 s of real use, shortened
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def set_a(w: MainWindow, value: float) -> None:
    doc = w.doc
    a = doc.graph.by_label("a").id
    w.undo_stack.push(SetValueCommand(doc, a, doc.graph.nodes[a].value, value))


def copy_value(path, label: str = "a") -> float:
    return float(load(path).by_label(label).value)


def orphan(store: RecoveryStore, graph, **where) -> str:
    """A copy as a crashed window leaves it: our pid, but another process's start
    time (a dead writer whose id was reused)."""
    key = store.new_key()
    store.write(key, graph, **where)
    map_file = store.folder / f"{key}.map.json"
    data = json.loads(map_file.read_text())
    data["started"] = -1
    map_file.write_text(json.dumps(data))
    return key


# ---- processes ----------------------------------------------------------------------------
def test_process_alive_tells_running_dead_zombie_and_reused_ids():
    assert process_alive(os.getpid(), process_start(os.getpid()))
    assert not process_alive(os.getpid(), -1)            # same id, another start: reused
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)   # exited, not reaped
        assert not process_alive(zombie.pid)
    finally:
        zombie.wait()
    assert not process_alive(None) and not process_alive(-5) and not process_alive("x")


# ---- the store ---------------------------------------------------------------------------
def test_copy_and_map_round_trip_and_only_orphans_are_offered(tmp_path, graph_file):
    store = RecoveryStore(tmp_path / "data")
    doc = Document.open(graph_file)
    doc.set_leaf_value(doc.graph.by_label("a").id, 2.5)
    live = store.new_key()
    store.write(live, doc.graph, path=graph_file, source=graph_file, title="expression.json",
                view={"cursor": 4, "zoom": 1.5})
    assert store.orphans() == []                          # its writer (us) is alive
    dead = orphan(store, doc.graph, path=None, source=None, title="scratch")
    [entry] = store.orphans()
    assert entry.key == dead and entry.untitled and entry.name == "scratch"
    [mine] = [e for e in store.entries() if e.key == live]
    assert mine.original == str(graph_file) and mine.name == "expression.json"
    graph = store.load(mine)
    assert graph.by_label("a").value == 2.5 and graph.view["cursor"] == 4
    assert graph.view["zoom"] == 1.5
    assert "cursor" not in (doc.graph.view or {})         # the document's view is untouched
    store.discard(entry)
    assert [e.key for e in store.entries()] == [live]
    assert sorted(p.name for p in store.folder.iterdir()) == [f"{live}.json", f"{live}.map.json"]


def test_torn_or_foreign_maps_are_ignored(tmp_path):
    store = RecoveryStore(tmp_path)
    store.folder.mkdir(parents=True)
    (store.folder / "a.map.json").write_text("{not json")
    (store.folder / "b.map.json").write_text(json.dumps({"format": "other"}))
    (store.folder / "c.map.json").write_text(json.dumps(
        {"format": "bpstudio.recovery", "original": "x", "pid": 1, "time": 0}))   # no copy
    assert store.entries() == []


def test_when_reads_today_and_ago():
    import time
    now = time.time()
    assert when(now - 125, now).endswith("(2 min ago)") and when(now - 125, now).startswith("today")
    assert "days ago" in when(now - 3 * 86400, now)


# ---- locks -------------------------------------------------------------------------------
def test_lock_warns_a_second_window_and_stale_locks_are_taken(tmp_path, graph_file):
    first, second = FileLocks(tmp_path, "one"), FileLocks(tmp_path, "two")
    assert first.acquire(graph_file) is None
    held = second.acquire(graph_file)
    assert held["pid"] == os.getpid() and held["token"] == "one"
    second.release(graph_file)                            # not its lock: stays
    assert second.holder(graph_file) is not None
    first.release(graph_file)
    assert second.holder(graph_file) is None and not list(first.folder.iterdir())
    first.acquire(graph_file)
    lock = first.lock_file(graph_file)
    data = json.loads(lock.read_text())
    lock.write_text(json.dumps({**data, "started": -1}))  # its window crashed
    assert second.acquire(graph_file) is None
    assert json.loads(lock.read_text())["token"] == "two"


# ---- the window --------------------------------------------------------------------------
def test_data_root_follows_the_settings_file(settings, tmp_path):
    assert data_root(settings) == tmp_path.resolve() / "bpstudio-data"


def test_an_edit_is_autosaved_and_a_save_removes_the_copy(qtbot, settings, graph_file):
    w = make_window(qtbot, settings, Document.open(graph_file))
    copy = w.recovery.store.copy_path(w.recovery.key)
    set_a(w, 2.5)
    qtbot.waitUntil(copy.exists, timeout=5000)
    assert copy_value(copy) == 2.5
    entry = next(e for e in w.recovery.store.entries() if e.key == w.recovery.key)
    assert entry.path == str(graph_file) and entry.pid == os.getpid()
    w.doc.run_to(2)                                       # the cursor is part of the copy
    qtbot.waitUntil(lambda: load(copy).view.get("cursor") == 2, timeout=5000)
    assert w.save_to(graph_file)
    assert not copy.exists() and copy_value(graph_file) == 2.5


def test_undo_back_to_saved_removes_the_copy(qtbot, settings, graph_file):
    w = make_window(qtbot, settings, Document.open(graph_file))
    copy = w.recovery.store.copy_path(w.recovery.key)
    set_a(w, 7.0)
    qtbot.waitUntil(copy.exists, timeout=5000)
    w.undo_stack.undo()
    assert not w.doc.modified and not copy.exists()


def test_edits_that_keep_coming_are_copied_by_the_deadline(qtbot, settings, graph_file):
    w = make_window(qtbot, settings, Document.open(graph_file))
    w.recovery.delay_ms, w.recovery.max_wait_ms = 60_000, 40
    copy = w.recovery.store.copy_path(w.recovery.key)
    set_a(w, 3.0)
    set_a(w, 4.0)
    qtbot.waitUntil(copy.exists, timeout=5000)
    assert copy_value(copy) == 4.0


def test_closing_or_discarding_leaves_no_copy_and_no_lock(qtbot, settings, graph_file):
    w = make_window(qtbot, settings, Document.open(graph_file))
    set_a(w, 9.0)
    qtbot.waitUntil(lambda: bool(w.recovery.store.entries()), timeout=5000)
    assert list(w.recovery.locks.folder.iterdir())
    w.open_path(EXPRESSION)                               # discards the edit
    assert w.recovery.store.entries() == []
    set_a(w, 9.0)
    qtbot.waitUntil(lambda: bool(w.recovery.store.entries()), timeout=5000)
    w.close()
    assert w.recovery.store.entries() == [] and not list(w.recovery.locks.folder.iterdir())


def test_untitled_documents_are_copied_too(qtbot, settings):
    from bpstudio.ui.app import builtin_expression
    w = make_window(qtbot, settings, builtin_expression())
    set_a(w, -1.25)
    qtbot.waitUntil(lambda: bool(w.recovery.store.entries()), timeout=5000)
    [entry] = w.recovery.store.entries()
    assert entry.untitled and entry.path is None and copy_value(entry.copy) == -1.25


def test_a_second_window_on_the_same_file_is_warned(qtbot, settings, graph_file):
    make_window(qtbot, settings, Document.open(graph_file))
    other = make_window(qtbot, settings, Document.open(EXPRESSION))
    assert other.last_error == ""
    assert other.open_path(graph_file)
    assert "expression.json is already open in another bpstudio window" in other.last_error
    assert f"(process {os.getpid()})" in other.last_error


# ---- the offer on start --------------------------------------------------------------------
def crashed_copies(settings, graph_file):
    """Two windows' worth of lost work: an edit of graph_file and an untitled graph."""
    store = RecoveryStore(data_root(settings))
    doc = Document.open(graph_file)
    doc.set_leaf_value(doc.graph.by_label("a").id, 2.75)
    doc.set_note(doc.graph.by_label("a").id, "changed in class")
    edited = orphan(store, doc.graph, path=graph_file, source=graph_file,
                    title="expression.json", view={"cursor": 3})
    scratch = Document.open(EXPRESSION)
    scratch.set_leaf_value(scratch.graph.by_label("f").id, -4.0)
    scratch.graph.title = "scratch"
    untitled = orphan(store, scratch.graph, title="scratch")
    return store, edited, untitled


def test_nothing_to_offer_means_no_dialog(qtbot, settings, graph_file):
    w = make_window(qtbot, settings, Document.open(graph_file))
    assert w.recovery.offer_on_start() is None


def test_recover_two_copies_one_in_this_window_one_in_a_new_one(qtbot, settings, graph_file):
    store, edited, untitled = crashed_copies(settings, graph_file)
    w = make_window(qtbot, settings, Document.open(EXPRESSION))
    dialog = w.recovery.offer_on_start()
    assert sorted(e.key for e in dialog.entries) == sorted([edited, untitled])
    entry = next(e for e in dialog.entries if e.key == edited)
    assert not dialog.buttons(untitled)["open"].isEnabled()   # never saved
    dialog.buttons(entry)["recover"].click()
    a = w.doc.graph.by_label("a").id
    assert w.doc.graph.nodes[a].value == 2.75 and w.doc.note(a) == "changed in class"
    assert w.doc.stepper.cursor == 3 and w.doc.modified and w.isWindowModified()
    assert w.doc.path == graph_file and copy_value(graph_file) == 2.0   # not saved yet
    w.undo_stack.push(SetNoteCommand(w.doc, a, w.doc.note(a), "x"))
    w.undo_stack.undo()
    assert w.doc.modified                       # undo never leads back to 'saved'
    assert dialog.isVisible()                   # one row still undecided
    dialog.buttons(untitled)["recover"].click()
    assert not dialog.isVisible()
    [other] = w.recovery.windows
    other.ask_save_changes = lambda: "discard"
    qtbot.addWidget(other)
    assert other.doc.graph.by_label("f").value == -4.0 and other.doc.path is None
    assert other.doc.title == "scratch" and other.doc.modified
    keys = {e.key for e in store.entries()}
    assert keys == {w.recovery.key, other.recovery.key}      # the dead ones' copies went


def test_open_saved_and_discard_drop_the_copies(qtbot, settings, graph_file):
    store, edited, untitled = crashed_copies(settings, graph_file)
    w = make_window(qtbot, settings, Document.open(EXPRESSION))
    dialog = w.recovery.offer_on_start()
    dialog.buttons(edited)["open"].click()
    assert w.doc.path == graph_file and not w.doc.modified
    assert w.doc.graph.by_label("a").value == 2.0
    dialog.buttons(untitled)["discard"].click()
    assert store.entries() == [] and not dialog.isVisible()


def test_decide_later_keeps_the_copies(qtbot, settings, graph_file):
    store, edited, untitled = crashed_copies(settings, graph_file)
    w = make_window(qtbot, settings, Document.open(EXPRESSION))
    dialog = w.recovery.offer_on_start()
    dialog.reject()
    assert {e.key for e in store.orphans()} == {edited, untitled}
