"""Opening a big file happens in a worker thread (ui/window/loader.py): the current
document stays until the new one is ready, Cancel keeps it, a bad file still gives
the one-line error. (How responsive the window stays: tests/benchmarks/bench_open.py.)"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from bpstudio.engine import Graph
from bpstudio.io import save
from bpstudio.model.document import Document
from bpstudio.model.opening import OpenCancelled, open_document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.window.loader import ASYNC_BYTES
from bpstudio.ui.window.main_window import MainWindow

LEAVES = 4000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """L = x0 + x1 + ... with x_i = i / 8: over ASYNC_BYTES, ~8,000 nodes."""
    g = Graph("a long sum", output=f"s{LEAVES - 1}")
    g.leaf("x0", 0.0)
    g.op("s0", "add", "x0", "x0")
    for i in range(1, LEAVES):
        g.leaf(f"x{i}", i / 8, label=f"input number {i:05d} of the long sum")
        g.op(f"s{i}", "add", f"s{i - 1}", f"x{i}", label=f"partial sum {i:05d} of the series")
    path = tmp_path_factory.mktemp("big") / "long-sum.json"
    save(g, path)
    assert path.stat().st_size >= ASYNC_BYTES
    return path


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(Document.open(EXAMPLES / "expression.json"),
                   QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    w.ask_save_changes = lambda: "discard"
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_open_document_reports_each_phase_and_can_be_cancelled(big_file):
    seen = []
    doc = open_document(big_file, lambda k, text: seen.append(k))
    assert seen == [0, 1, 2, 3] and len(doc.graph.nodes) == 2 * LEAVES
    assert doc.path == big_file and doc._positions is not None       # laid out in the worker
    with pytest.raises(OpenCancelled):
        open_document(big_file, cancelled=lambda: len(seen) > 4, report=lambda k, t: seen.append(k))


def test_a_big_file_opens_in_the_background_and_the_old_document_stays(qtbot, window, big_file):
    old = window.doc
    assert window.open_path(big_file)
    assert window.doc is old and window.opener.busy              # not yet: still the old one
    assert window.opener.widget.isVisible()
    assert "long-sum.json" in window.opener.widget.label.text()
    qtbot.waitUntil(lambda: window.doc is not old, timeout=30000)
    assert window.doc.path == big_file and len(window.doc.graph.nodes) == 2 * LEAVES
    assert window.doc.graph.by_label("input number 00008 of the long sum").value == 1.0
    assert not window.opener.busy and not window.opener.widget.isVisible()
    assert window.recent_files()[0] == str(big_file.resolve())


def test_cancel_keeps_the_old_document(qtbot, window, big_file):
    old = window.doc
    window.open_path(big_file)
    window.opener.widget.cancel_button.click()
    assert not window.opener.busy and not window.opener.widget.isVisible()
    qtbot.waitUntil(lambda: not window.opener._leftovers, timeout=30000)   # the thread ended
    qtbot.wait(50)                                          # any queued result is delivered
    assert window.doc is old and window.last_error == ""


def test_a_newer_open_replaces_the_one_in_flight(qtbot, window, big_file, tmp_path):
    second = tmp_path / "copy.json"
    second.write_bytes(big_file.read_bytes())
    window.open_path(big_file)
    window.open_path(second)
    qtbot.waitUntil(lambda: window.doc.path == second, timeout=30000)
    qtbot.waitUntil(lambda: not window.opener._leftovers, timeout=30000)
    qtbot.wait(50)
    assert window.doc.path == second


def test_a_big_bad_file_gives_the_one_line_error(qtbot, window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bpstudio.graph", "version": 1, "nodes": [' + " " * ASYNC_BYTES)
    old = window.doc
    assert window.open_path(bad)
    qtbot.waitUntil(lambda: window.last_error != "", timeout=30000)
    assert window.doc is old
    assert window.last_error.startswith(f"{bad}:") and "\n" not in window.last_error
    assert window.error_box.isVisible() and window.error_box.text() == window.last_error


def test_an_opened_big_file_makes_only_the_cards_it_shows(qtbot, window, big_file):
    """The canvas makes a card when it is first shown or asked for (canvas/card_set.py):
    after opening 8,000 nodes only those round the view exist, every card the view
    shows is one, and a card asked for far away comes with its true numbers."""
    from bpstudio.ui.canvas.node_item import NodeItem
    old = window.doc
    window.open_path(big_file)
    qtbot.waitUntil(lambda: window.doc is not old, timeout=30000)
    window.view.grab()
    scene, view = window.scene, window.view
    made = [i for i in scene.items() if isinstance(i, NodeItem)]
    assert 0 < len(made) < len(window.doc.graph.nodes) / 10
    shown = view.visible_scene_rect()
    positions = window.doc.positions()
    inside = {nid for nid, (x, y) in positions.items() if shown.contains(x, y)}
    assert inside and inside <= {c.node_id for c in made}
    far = "x7"                                      # the other end of the sum
    assert not shown.contains(*positions[far])
    window.doc.run_to_end()
    card = scene.node_item(far)
    assert (card.pos().x(), card.pos().y()) == positions[far]
    assert card.data_text() == "0.875" and card.grad_text() == "1.0"
