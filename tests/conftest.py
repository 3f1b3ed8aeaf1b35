"""Shared test set-up: Qt renders offscreen (no display needed). Must run before any
Qt import, which is why it lives here rather than in a fixture."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Autosave copies and locks of windows built with the default settings go to Qt's test
# folders (~/.qttest), never the user's own data folder.
from PySide6.QtCore import QStandardPaths

QStandardPaths.setTestModeEnabled(True)

import pytest


@pytest.fixture
def canvas(qtbot):
    """`canvas(name)`: an example opened in a shown 1400×800 view, as (document, scene,
    view). The views are kept until the test's teardown (a view dropped by the test
    could be collected in the middle of a paint)."""
    from bpstudio.model.document import Document
    from bpstudio.paths import EXAMPLES
    from bpstudio.ui.canvas.graph_scene import GraphScene
    from bpstudio.ui.canvas.graph_view import GraphView

    views = []

    def open_example(name: str):
        doc = Document.open(EXAMPLES / name)
        scene = GraphScene(doc)
        view = GraphView(scene)
        qtbot.addWidget(view)
        views.append((view, scene))     # the view does not hold its scene
        view.resize(1400, 800)
        view.show()
        qtbot.waitExposed(view)
        return doc, scene, view

    yield open_example
    for view, _scene in views:
        view.close()
