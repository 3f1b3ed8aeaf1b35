"""Step ▸ Group ▸ …: group neurons or layers (from the ids), collapse / expand a group
(G), all groups (Shift+G), ungroup. Built through `WindowActions._add` like
export_actions.py; the slots use only `w.doc`, `w.scene`, `w.undo_stack` and
`w.statusBar()`."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu

from ..commands.groups import (diagram_command, suggest_command, toggle_all_command,
                               toggle_command, ungroup_command)


def add_group_actions(wa, m: QMenu, t: str, w) -> None:
    """Step ▸ Group ▸ … (call from WindowActions._step_menu)."""
    sub = m.addMenu("&Group")
    wa.group_neurons = wa._add(sub, t, "Group &neurons", lambda: group(w, "neuron"),
                               ["Ctrl+Alt+N"], tip="a box per neuron (ids like l1n3.w1)")
    wa.group_layers = wa._add(sub, t, "Group &layers", lambda: group(w, "layer"),
                              ["Ctrl+Alt+L"], tip="a box per layer (neurons l1n1, l1n2, …)")
    wa.diagram = wa._add(sub, t, "Neuron &diagram", lambda: neuron_diagram(w), ["D"],
                         tip="one card per neuron (value, ‖grad‖), laid out as layers; "
                             "I opens a neuron, D again shows every node")
    sub.addSeparator()
    wa.toggle_group = wa._add(sub, t, "&Collapse / expand group", lambda: toggle(w), ["G"],
                              tip="fold the selected group (or the selected node's) into one "
                                  "card with its grad norm, or open it again")
    wa.toggle_groups = wa._add(sub, t, "Collapse / expand &all groups", lambda: toggle_all(w),
                               ["Shift+G"])
    wa.ungroup = wa._add(sub, t, "&Ungroup", lambda: ungroup(w), ["Ctrl+Alt+U"],
                         tip="remove the selected group's box (the nodes stay)")


def _push(w, cmd, none_message: str) -> bool:
    if cmd is None:
        w.statusBar().showMessage(none_message, 5000)
        return False
    w.undo_stack.push(cmd)
    w.statusBar().showMessage(cmd.text(), 4000)
    return True


def group(w, kind: str) -> bool:
    return _push(w, suggest_command(w.doc, kind),
                 f"no new {kind} groups: ids like l1n3.w1 name neurons and layers")


def neuron_diagram(w) -> bool:
    return _push(w, diagram_command(w.doc), "no neurons found (an activation of a weighted sum)")


def toggle(w) -> bool:
    return _push(w, toggle_command(w.doc, w.scene), "select a group or a node in one")


def toggle_all(w) -> bool:
    return _push(w, toggle_all_command(w.doc), "no groups yet: Step ▸ Group ▸ Group neurons")


def ungroup(w) -> bool:
    return _push(w, ungroup_command(w.doc, w.scene), "select a group or a node in one")
