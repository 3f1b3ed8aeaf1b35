"""Readable from the back row (issue 9): opened in the default window at the last step,
every card of the small examples is on screen with its title and numbers at >= 11 px
(font pixel size × the view's zoom); presenting at 1920×1080, the current step's
cards are >= 18 px; and the zoom never strands the lecturer (leaving presentation,
Home, Fit, collapse, text size)."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from bpstudio.engine import Graph
from bpstudio.model.document import Document
from bpstudio.paths import EXAMPLES
from bpstudio.ui.canvas.node_item import NodeItem
from bpstudio.ui.window.main_window import MainWindow

DEFAULT_SIZE = (1400, 850)          # MainWindow.__init__'s resize (the offscreen screen is smaller)
SMALL = ["expression.json", "neuron.json", "accumulate.json", "router.json",
         "net-2-2-2.json", "net-2-2-2-matrix.json"]


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


def open_window(qtbot, settings, doc, size=DEFAULT_SIZE) -> MainWindow:
    w = MainWindow(doc, settings)
    w.ask_save_changes = lambda: "discard"
    w.presentation.use_fullscreen = False
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    return w


def screen_px(w: MainWindow, item: NodeItem) -> float:
    """The smallest title / number font of a card, in screen pixels."""
    style = w.scene.style()
    px = min(style.label_font.pixelSize(), style.number_font.pixelSize())
    return px * w.view.transform().m11() * item.sceneTransform().m11()


def on_screen(w: MainWindow, item: NodeItem) -> bool:
    return w.view.visible_scene_rect().contains(item.card_rect().translated(item.pos()))


@pytest.mark.parametrize("name", SMALL)
def test_every_card_of_a_small_example_is_on_screen_and_readable(qtbot, settings, name):
    doc = Document.open(EXAMPLES / name)
    w = open_window(qtbot, settings, doc)
    doc.run_to(doc.stepper.total)
    w.frame_view()
    cards = [w.scene.node_item(n) for n in doc.stepper.program.ids]
    assert all(c.isVisible() for c in cards)
    assert [c.node_id for c in cards if not on_screen(w, c)] == []
    assert min(screen_px(w, c) for c in cards) >= 11.0
    assert not w.view.overview_map.isVisible()          # all of it is shown: no map


@pytest.mark.parametrize("name", ["net-2-2-2.json", "neuron.json"])
def test_presenting_at_1920_shows_the_current_step_at_18_px(qtbot, settings, name):
    doc = Document.open(EXAMPLES / name)
    w = open_window(qtbot, settings, doc, (1920, 1080))
    doc.run_to(doc.stepper.program.n_forward + 3)
    w.presentation.enter(frame=False)
    QApplication.processEvents()
    w.presentation.frame()
    rec = doc.stepper.current
    step_cards = [w.scene.node_item(n) for n in (rec.node, *doc.graph.nodes[rec.node].inputs)]
    assert min(screen_px(w, c) for c in step_cards) >= 18.0
    assert all(on_screen(w, c) for c in step_cards)


def big_chain(n: int = 60) -> Graph:
    g = Graph(output=f"v{n}")
    g.leaf("v0", 0.5)
    for i in range(1, n + 1):
        g.op(f"v{i}", "tanh", f"v{i - 1}")
    return g


def test_a_graph_too_big_to_read_whole_opens_readable_around_the_step_with_a_map(qtbot, settings):
    doc = Document(big_chain())
    w = open_window(qtbot, settings, doc)
    doc.run_to(20)
    w.frame_view()
    assert w.view.text_px_on_screen() >= 11.0 - 1e-9
    assert on_screen(w, w.scene.node_item("v20"))
    assert w.view.overview_map.isVisible()
    m = w.view.overview_map                        # a click on the map moves the view there
    target = w.scene.node_item("v55").pos()
    qtbot.mouseClick(m, Qt.LeftButton, pos=m.to_map(target).toPoint())
    assert on_screen(w, w.scene.node_item("v55"))


def tiny() -> Graph:
    g = Graph(output="b")
    g.leaf("a", 2.0)
    g.op("b", "tanh", "a")
    return g


def test_fit_enlarges_a_small_graph_up_to_a_readable_maximum(qtbot, settings):
    from bpstudio.ui.canvas.graph_view import FIT_MAX_PX
    w = open_window(qtbot, settings, Document(tiny()))
    w.view.set_zoom(0.3)
    w.view.fit()
    assert w.view.text_px_on_screen() == pytest.approx(FIT_MAX_PX)
    assert w.view.scale_factor() > 1.0


def test_leaving_presentation_restores_the_normal_view(qtbot, settings):
    doc = Document.open(EXAMPLES / "net-2-2-2.json")
    w = open_window(qtbot, settings, doc)
    w.view.set_zoom(1.4)
    w.view.centerOn(w.scene.node_item("h1").pos())
    before = (w.view.scale_factor(), w.view.visible_scene_rect().center())
    w.presentation.enter(frame=False)
    w.presentation.frame()
    assert w.view.scale_factor() != pytest.approx(before[0])
    w.presentation.leave()
    QApplication.processEvents()
    assert w.view.scale_factor() == pytest.approx(before[0])
    centre = w.view.visible_scene_rect().center()
    assert abs(centre.x() - before[1].x()) < 2 and abs(centre.y() - before[1].y()) < 2


def test_home_never_changes_the_zoom_while_presenting(qtbot, settings):
    """Home (and any step) keeps the zoom; a resize after a step no longer frames the
    graph again (only the screen settling right after entering does)."""
    doc = Document.open(EXAMPLES / "expression.json")
    w = open_window(qtbot, settings, doc, (1920, 1080))
    doc.run_to(doc.stepper.total - 1)
    w.presentation.enter(frame=False)
    w.presentation.frame()
    qtbot.wait(30)
    zoom = w.view.scale_factor()
    w.reset()
    qtbot.wait(30)
    assert w.view.scale_factor() == zoom
    assert not w.presentation._untouched()           # a later resize keeps the zoom too


def test_collapse_refits_the_changed_graph(qtbot, settings):
    doc = Document.open(EXAMPLES / "neuron.json")
    w = open_window(qtbot, settings, doc)
    w.view.set_zoom(3.0)                                      # zoomed in on a corner
    tanh = next(n.id for n in doc.graph.nodes.values() if n.op == "tanh")
    doc.expand(tanh)
    doc.collapse(tanh)
    QApplication.processEvents()
    assert all(on_screen(w, w.scene.node_item(n)) for n in doc.stepper.program.ids)
    assert w.view.text_px_on_screen() >= 11.0


def test_text_size_keys_scale_the_canvas_text_too(qtbot, settings):
    doc = Document.open(EXAMPLES / "expression.json")
    w = open_window(qtbot, settings, doc)
    w.frame_view()
    before = w.view.text_px_on_screen()
    w.text_bigger()
    assert w.view.text_px_on_screen() == pytest.approx(before * w.text_scale)
    w.text_reset()
    assert w.view.text_px_on_screen() == pytest.approx(before)
