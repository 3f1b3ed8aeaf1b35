"""Shared test set-up: Qt renders offscreen (no display needed). Must run before any
Qt import, which is why it lives here rather than in a fixture."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
