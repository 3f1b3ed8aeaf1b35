"""Selecting and dragging cards on the canvas scene (a part of GraphScene): one node
selected at a time is reported by `node_selected` (no signal while the scene itself
changes the selection), and a drag reports each card moved (`node_moved_by_user`)
so that it can be undone; the scene follows the cards as they move."""
from __future__ import annotations

from PySide6.QtCore import Qt

from .node_item import NodeItem


class SceneSelection:
    """Mixed into GraphScene (before QGraphicsScene): uses its `_items`, `_selecting`,
    `_last_selected`, `_drag_start`, `_geometry_changed` and its two signals."""

    def selected_node(self) -> str | None:
        for item in self.selectedItems():
            if isinstance(item, NodeItem):
                return item.node_id
        return None

    def select_node(self, node_id: str | None) -> None:
        self._selecting = True
        try:
            self.clearSelection()
            if node_id:
                self._items[node_id].setSelected(True)
        finally:
            self._selecting = False
        self._emit_selection()

    def _emit_selection(self) -> None:
        if self._selecting:
            return
        current = self.selected_node() or ""
        if current != self._last_selected:
            self._last_selected = current
            self.node_selected.emit(current)

    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        if event.button() == Qt.LeftButton:
            self._drag_start = {it.node_id: it.pos() for it in self.selectedItems()
                                if isinstance(it, NodeItem)}

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        if self._drag_start and event.buttons() & Qt.LeftButton:
            self._geometry_changed(list(self._drag_start))

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.LeftButton:
            return
        started, self._drag_start = self._drag_start, {}
        for nid, old in started.items():
            new = self._items[nid].pos()
            if new != old:
                self.node_moved_by_user.emit(nid, old.x(), old.y(), new.x(), new.y())
