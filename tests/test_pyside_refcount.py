"""Guard against the PySide6 6.12.0 / Python 3.11 bug: every void-returning Qt call
lowered None's reference count until the interpreter aborted (none_dealloc). We pin
PySide6 < 6.12 on Python < 3.12; this test fails loudly if a broken build slips in."""
import sys

from PySide6.QtWidgets import QGraphicsRectItem


def test_void_qt_calls_keep_none_refcount(qapp):
    item = QGraphicsRectItem(0, 0, 10, 10)
    before = sys.getrefcount(None)
    for i in range(10_000):
        item.setPos(float(i), 0.0)          # returns void -> Py_None
    after = sys.getrefcount(None)
    assert before - after < 100, f"None refcount dropped by {before - after}"
