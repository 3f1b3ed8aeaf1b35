"""The window's lecture commands (a mixin of MainWindow): runs that stop at breakpoints
and watches, notes, the quiz's reveal-before-step, text size, themes, messages."""
from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMenu

from ...model.diagram import step_target
from ..canvas.theme import Theme
from ..commands.edit import SetNoteCommand
from ..panels.breakpoints import stop_text
from ..window.dialogs import NoteDialog, ThresholdDialog
from ..window.parts import run_to_selected_step
from .actions import refresh_watch_texts
from .commands import BreakpointCommand, SetStepNoteCommand, clear_breakpoints
from .presentation import SCALE_STEP, clamp_scale, projector_dark


class LectureOps:
    """Needs: self.doc, self.scene, self.view, self.quiz, self.watches, self.presentation,
    self.step_panel, self.step_dock, self.undo_stack, self.settings, self.actions_."""

    # ---- stepping and runs -------------------------------------------------------------------
    def step_forward(self) -> None:
        """→ (and Space): in a quiz, reveal the hidden answer first; then step."""
        if self.quiz.reveal():
            self.show_message("revealed")
            return
        folded = self.scene.groups().folded
        if folded:                        # the neuron diagram: one neuron at a time
            st = self.doc.stepper
            self.run_until(step_target(st.program, folded, st.cursor, 1))
            return
        self.doc.step()

    def step_back(self) -> None:
        folded = self.scene.groups().folded
        if folded:
            st = self.doc.stepper
            self.doc.run_to(step_target(st.program, folded, st.cursor, -1))
            return
        self.doc.back()

    def reset(self) -> None:
        self.doc.reset()

    def run_to_end(self) -> None:
        self.run_until(self.doc.stepper.total)

    def run_to_selected(self) -> None:
        node_id = self.scene.selected_node()
        if not node_id:
            self.show_message("select a node first (click it on the canvas)", 5000)
            return
        self.run_until(run_to_selected_step(self.doc, node_id))

    def run_until(self, target: int):
        """Run towards `target`; a breakpoint or a watch may stop it early (and says why)."""
        stop = self.doc.run_until(target, self.watches.active())
        if stop is not None:
            self.show_message(stop_text(self.doc, stop))
        return stop

    # ---- breakpoints and watches ------------------------------------------------------------------
    def toggle_breakpoint(self, node_id: str | None = None) -> None:
        node_id = node_id or self.scene.selected_node() or self.scene.current_node()
        if not node_id:
            self.show_message("select a node first (click it on the canvas)", 5000)
            return
        node = self.doc.graph.nodes[node_id]
        if node.is_leaf:
            self.show_message(f"{node.label} is a leaf: it has no step to stop at "
                              f"(put the breakpoint on the op that uses it)", 6000)
            return
        on = node_id not in self.doc.breakpoints()
        self.undo_stack.push(BreakpointCommand(self.doc, node_id, on))
        self.show_message(f"breakpoint {'set on' if on else 'removed from'} {node.label}", 4000)

    def clear_breakpoints(self) -> None:
        if clear_breakpoints(self.doc, self.undo_stack):
            self.show_message("breakpoints cleared", 4000)

    def _breakpoints_changed(self, *_args) -> None:
        self.markers.sync(self.doc.breakpoints())

    def set_watch(self, kind: str, on: bool) -> None:
        self.watches.set_enabled(kind, on)
        self.show_message(("watching: " if on else "not watching: ")
                          + self.watches.describe(kind), 4000)
        self.push_watches_to_training()

    def push_watches_to_training(self) -> None:
        """The grad watches stop training too (NaN/∞ always does)."""
        w = self.watches
        self.training.set_watches(w.threshold["grad_above"] if w.enabled["grad_above"] else None,
                                  w.threshold["grad_below"] if w.enabled["grad_below"] else None)

    def edit_thresholds(self) -> ThresholdDialog:
        t = self.watches.threshold
        dialog = ThresholdDialog(t["grad_above"], t["grad_below"], self._thresholds_set, self)
        dialog.open()
        return dialog

    def _thresholds_set(self, above: float, below: float) -> None:
        self.watches.set_thresholds(above, below)
        refresh_watch_texts(self.actions_, self.watches)
        self.push_watches_to_training()

    # ---- notes --------------------------------------------------------------------------------
    def edit_step_note(self) -> NoteDialog | None:
        """N: the step panel's note box, or (presenting, panel hidden) a small dialog."""
        step = self.doc.stepper.cursor
        if not self.presentation.active and self.step_dock.isVisible():
            self.step_dock.raise_()
            self.step_panel.focus_note()
            return None
        old = self.doc.step_note(step)
        return self._note_dialog(f"Note on step {step}", f"Shown whenever step {step} of "
                                 f"{self.doc.stepper.total} is reached:", old,
                                 lambda new: self._push_if(old != new, SetStepNoteCommand(
                                     self.doc, step, old, new)))

    def edit_node_note(self) -> NoteDialog | None:
        node_id = self.scene.selected_node() or self.scene.current_node()
        if not node_id:
            self.show_message("select a node first (click it on the canvas)", 5000)
            return None
        old, label = self.doc.note(node_id), self.doc.graph.nodes[node_id].label
        return self._note_dialog(f"Note on {label}", f"Shown whenever {label} is the "
                                 f"current step's node:", old,
                                 lambda new: self._push_if(old != new, SetNoteCommand(
                                     self.doc, node_id, old, new)))

    def _note_dialog(self, title: str, what: str, text: str, on_accept) -> NoteDialog:
        dialog = NoteDialog(title, what, text, on_accept, self)
        dialog.open()
        return dialog

    def _push_if(self, changed: bool, command) -> None:
        if changed:
            self.undo_stack.push(command)

    # ---- text size, theme, messages -----------------------------------------------------------
    def text_bigger(self) -> None:
        self.set_text_scale(self.text_scale * SCALE_STEP)

    def text_smaller(self) -> None:
        self.set_text_scale(self.text_scale / SCALE_STEP)

    def text_reset(self) -> None:
        self.set_text_scale(1.0)

    def set_text_scale(self, scale: float) -> None:
        self.text_scale = clamp_scale(scale)
        self.settings.setValue("textScale", self.text_scale)
        self.step_panel.set_text_scale(self.text_scale)
        self.presentation.set_text_scale(self.text_scale)
        self.view.set_text_scale(self.text_scale)         # the canvas text too (by zoom)
        self.show_message(f"text size {round(self.text_scale * 100)} %", 3000)

    def canvas_theme(self) -> Theme:
        """Projector light or dark when presenting; the desk themes otherwise."""
        dark = self.actions_.dark.isChecked()
        if self.presentation.active:
            return projector_dark() if dark else Theme.projector()
        return Theme.dark() if dark else Theme.light()

    def apply_theme(self) -> None:
        theme = self.canvas_theme()
        if theme != self.scene.theme():
            self.scene.set_theme(theme)
        self.presentation.set_theme(theme)

    def show_message(self, text: str, ms: int = 10000) -> None:
        """The status bar, and the counter's message line when presenting (no status bar);
        gone after `ms` (every message times out: none is left to go stale)."""
        self.statusBar().showMessage(text, ms)
        if self.presentation.active:
            self.presentation.show_message(text)

    # ---- the canvas's context menu ---------------------------------------------------------------
    def node_at(self, pos) -> str | None:
        item = self.view.itemAt(pos)
        while item is not None and not isinstance(getattr(item, "node_id", None), str):
            item = item.parentItem()
        return item.node_id if item is not None else None

    def canvas_menu(self, pos) -> QMenu:
        node_id = self.node_at(pos)
        menu = QMenu(self)
        if node_id:
            self.scene.select_node(node_id)
            label = self.doc.graph.nodes[node_id].label
            on = node_id in self.doc.breakpoints()
            menu.addAction(f"{'Remove' if on else 'Set'} breakpoint on {label}",
                           lambda: self.toggle_breakpoint(node_id))
            menu.addAction(f"Run to {label}", self.run_to_selected)
            menu.addAction(f"Note on {label}…", self.edit_node_note)
        for action in (self.actions_.fit, self.actions_.present, self.actions_.quiz):
            menu.addAction(action)
        menu.popup(self.view.viewport().mapToGlobal(QPointF(pos).toPoint()))
        return menu
