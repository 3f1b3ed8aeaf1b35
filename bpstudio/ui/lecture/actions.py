"""The lecture actions of the menus: text size, presentation mode, panels, notes, quiz,
breakpoints and watches. Built through `WindowActions._add`, so every one of them has a
key and appears in the keyboard map."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu


def add_view_actions(wa, m: QMenu, t: str, w) -> None:
    m.addSeparator()
    wa.text_bigger = wa._add(m, t, "&Larger text", w.text_bigger, ["Ctrl+=", "Ctrl++"],
                             tip="larger chain-rule text (panel and presentation)")
    wa.text_smaller = wa._add(m, t, "S&maller text", w.text_smaller, ["Ctrl+-"])
    wa.text_reset = wa._add(m, t, "&Reset text size", w.text_reset, ["Ctrl+0"])
    m.addSeparator()
    wa.present = wa._add(m, t, "&Presentation mode", w.presentation.set_active, ["F11"],
                         checkable=True, tip="full screen for a projector: big chain-rule "
                                             "line, no chrome")
    wa.leave_present = wa._add(m, t, "Leave presentation / close overlay",
                               w.presentation.escape, ["Esc"])
    wa.leave_present.setEnabled(False)
    w.presentation.toggled.connect(_presenting(wa))
    m.addSeparator()
    for dock, text, key in ((w.inspector_dock, "&Inspector panel", "Ctrl+I"),
                            (w.step_dock, "&Chain-rule panel", "Ctrl+K"),
                            (w.training_dock, "&Training panel", "Ctrl+T")):
        wa._add_existing(m, t, dock.toggleViewAction(), text, [key])
        dock.toggleViewAction().triggered.connect(
            lambda on, d=dock: d.raise_() if on else None)


def _presenting(wa):
    def update(on: bool) -> None:
        wa.present.blockSignals(True)
        wa.present.setChecked(on)
        wa.present.blockSignals(False)
        wa.leave_present.setEnabled(on)
    return update


def add_edit_actions(wa, m: QMenu, t: str, w) -> None:
    m.addSeparator()
    wa.step_note = wa._add(m, t, "Note on this &step…", w.edit_step_note, ["N"],
                           tip="a note shown whenever this step is reached")
    wa.node_note = wa._add(m, t, "Note on the &node…", w.edit_node_note, ["Shift+N"],
                           tip="a note on the selected node (else the current step's)")


def add_step_actions(wa, m: QMenu, t: str, w) -> None:
    m.addSeparator()
    wa.quiz = wa._add(m, t, "&Quiz mode", w.quiz.set_on, ["Q"], checkable=True,
                      tip="backward steps hide the new grads until Space reveals them")
    wa.reveal = wa._add(m, t, "Re&veal the answer (else step)", w.step_forward, ["Space"],
                        tip="quiz: show the hidden grads; with nothing hidden, step forward")
    w.quiz.toggled.connect(_sync_checked(wa.quiz))
    m.addSeparator()
    wa.breakpoint = wa._add(m, t, "Toggle &breakpoint", w.toggle_breakpoint, ["B"],
                            tip="a run stops at the selected node (else the current one)")
    wa.clear_breakpoints = wa._add(m, t, "Clear all breakpoints", w.clear_breakpoints,
                                   ["Ctrl+Shift+B"])
    sub = m.addMenu("&Watches")
    wa.watch_actions = {}
    for kind, key in (("nonfinite", "Ctrl+Shift+N"), ("grad_above", "Ctrl+Shift+E"),
                      ("grad_below", "Ctrl+Shift+V")):
        action = wa._add(sub, t, w.watches.describe(kind),
                         lambda on, k=kind: w.set_watch(k, on), [key], checkable=True)
        action.setChecked(w.watches.enabled[kind])
        wa.watch_actions[kind] = action
    sub.addSeparator()
    wa.thresholds = wa._add(sub, t, "Watch &thresholds…", w.edit_thresholds, ["Ctrl+Shift+W"])


def _sync_checked(action):
    def update(on: bool) -> None:
        if action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
    return update


def refresh_watch_texts(wa, watches) -> None:
    """Menu texts show the thresholds: call after they change."""
    for kind, action in wa.watch_actions.items():
        action.setText(watches.describe(kind))
