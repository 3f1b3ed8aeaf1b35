"""Shared test set-up: Qt renders offscreen (no display needed). Must run before any
Qt import, which is why it lives here rather than in a fixture."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Autosave copies and locks of windows built with the default settings go to Qt's test
# folders (~/.qttest), never the user's own data folder.
from PySide6.QtCore import QStandardPaths  # noqa: E402

QStandardPaths.setTestModeEnabled(True)
