"""The window's nodes under the mouse (a mixin of MainWindow): the selection and the
node under the pointer described in the status bar, a drag's end as an undoable move,
and files dropped on the canvas."""
from __future__ import annotations

from PySide6.QtCore import QEvent

from ..commands.edit import MoveNodeCommand
from .parts import dropped_paths


class NodeOps:
    """Needs: self.doc, self.scene, self.view, self.inspector, self.node_status,
    self.quiz, self.undo_stack, self._hovered, node_at, _mask_inspector, dropEvent."""

    def _node_selected(self, node_id: str) -> None:
        node_id = node_id or None
        self.inspector.set_node(node_id)
        self._mask_inspector()
        if node_id and self.doc and node_id in self.doc.graph.nodes:
            self.node_status.show(node_id)

    def describe_node(self, node_id: str) -> str:
        from ...engine import fmt
        s = self.doc.stepper
        node = self.doc.graph.nodes[node_id]
        kind = f"leaf ({node.role})" if node.is_leaf else node.op
        value = s.value(node_id)
        grad = s.grad(node_id)
        grad_text = "?" if node_id in self.quiz.hidden else fmt(grad) if grad is not None else "—"
        return (f"{s.labels.get(node_id, node.label)} · {kind} · data {fmt(value) if value is not None else 'pending'}"
                f" · grad {grad_text} ({s.grad_state(node_id)})")

    def _node_moved_by_user(self, node_id: str, ox: float, oy: float, nx: float, ny: float):
        self.undo_stack.push(MoveNodeCommand(self.doc, node_id, (ox, oy), (nx, ny)))

    # ---- the canvas's mouse ----------------------------------------------------------------
    def _hover(self, pos) -> None:
        """Describe the node under the mouse in the status bar (or the selection)."""
        node_id = self.node_at(pos)
        if node_id == self._hovered or self.doc is None:
            return
        self._hovered = node_id
        shown = node_id or self.scene.selected_node()
        if shown and shown in self.doc.graph.nodes:
            self.node_status.show(shown)
        else:
            self.node_status.clear()

    def eventFilter(self, obj, event) -> bool:
        """Hover info, and drops on the canvas open files too (not handed to the scene)."""
        kind = event.type()
        if kind == QEvent.MouseMove and obj is self.view.viewport():
            self._hover(event.position().toPoint())
        if kind in (QEvent.DragEnter, QEvent.DragMove) and dropped_paths(event.mimeData()):
            event.acceptProposedAction()
            return True
        if kind == QEvent.Drop and dropped_paths(event.mimeData()):
            self.dropEvent(event)
            return True
        return super().eventFilter(obj, event)
