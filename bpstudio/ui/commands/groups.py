"""Undoable grouping: add groups (Step ▸ Group ▸ Group neurons / layers), ungroup,
collapse / expand. Each command calls the Document's group methods only; the canvas
follows through `groups_changed`."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand


class AddGroupsCommand(QUndoCommand):
    """Add the groups whose ids are new (suggested neurons or layers)."""

    def __init__(self, doc, groups: list[dict], text: str, parent=None):
        super().__init__(text, parent)
        have = {g["id"] for g in doc.groups()}
        self.doc = doc
        self.groups = [dict(g) for g in groups if g["id"] not in have]

    def redo(self) -> None:
        self.doc.add_groups(self.groups)

    def undo(self) -> None:
        self.doc.remove_groups([g["id"] for g in self.groups])


class UngroupCommand(QUndoCommand):
    """Remove one group (its members stay where they are); undo puts it back in place."""

    def __init__(self, doc, group_id: str, parent=None):
        super().__init__(f"Ungroup {group_id}", parent)
        self.doc, self.group_id = doc, group_id
        ids = [g["id"] for g in doc.groups()]
        self.index = ids.index(group_id)
        self.group = dict(doc.groups()[self.index])

    def redo(self) -> None:
        self.doc.remove_group(self.group_id)

    def undo(self) -> None:
        self.doc.add_groups([self.group], index=self.index)


class CollapseGroupsCommand(QUndoCommand):
    """Collapse (or expand) groups; undo restores each one's previous state."""

    def __init__(self, doc, group_ids, collapsed: bool, text: str = "", parent=None):
        ids = list(group_ids)
        verb = "Collapse" if collapsed else "Expand"
        super().__init__(text or f"{verb} {', '.join(ids) if len(ids) < 4 else f'{len(ids)} groups'}",
                         parent)
        self.doc, self.collapsed = doc, bool(collapsed)
        self.changed = [g["id"] for g in doc.groups()
                        if g["id"] in set(ids) and bool(g.get("collapsed")) != self.collapsed]

    def redo(self) -> None:
        self.doc.set_groups_collapsed(self.changed, self.collapsed)

    def undo(self) -> None:
        self.doc.set_groups_collapsed(self.changed, not self.collapsed)


# ---- what the menu acts on --------------------------------------------------------------
def group_for(doc, scene) -> str | None:
    """The selected group (box title or summary card), else the innermost group of the
    selected node, else of the current step's node."""
    from ...model.groups import innermost
    gid = scene.groups().selected_group()
    if gid is not None:
        return gid
    for nid in (scene.selected_node(), scene.current_node()):
        if nid:
            folded = scene.groups().folded.get(nid)
            group = doc.group(folded) if folded else innermost(doc.groups(), nid)
            if group is not None:
                return group["id"]
    return None


def suggest_command(doc, kind: str) -> AddGroupsCommand | None:
    from ...model.groups import suggest_groups
    cmd = AddGroupsCommand(doc, suggest_groups(doc.graph, kind), f"Group {kind}s")
    return cmd if cmd.groups else None


def toggle_command(doc, scene) -> CollapseGroupsCommand | None:
    gid = group_for(doc, scene)
    if gid is None:
        return None
    return CollapseGroupsCommand(doc, [gid], not doc.group(gid).get("collapsed"))


def toggle_all_command(doc) -> CollapseGroupsCommand | None:
    """Collapse every group unless all are collapsed already; then expand them all."""
    groups = doc.groups()
    if not groups:
        return None
    collapse = not all(g.get("collapsed") for g in groups)
    return CollapseGroupsCommand(doc, [g["id"] for g in groups], collapse,
                                 f"{'Collapse' if collapse else 'Expand'} all groups")


def ungroup_command(doc, scene) -> UngroupCommand | None:
    gid = group_for(doc, scene)
    return UngroupCommand(doc, gid) if gid is not None else None


def diagram_command(doc):
    """D: the neuron diagram on / off. The first time, group the neurons (from the ids,
    else from the structure) folded; then fold or open all neuron groups at once."""
    from ...model.diagram import network_neurons
    neurons = [g for g in doc.groups() if g.get("kind") == "neuron"]
    if not neurons:
        found = [{**g, "collapsed": True} for g in network_neurons(doc.graph)]
        cmd = AddGroupsCommand(doc, found, "Neuron diagram")
        return cmd if cmd.groups else None
    fold = not all(g.get("collapsed") for g in neurons)
    return CollapseGroupsCommand(doc, [g["id"] for g in neurons], fold,
                                 "Neuron diagram" if fold else "All nodes")


def open_group_command(doc, scene, node_id: str | None):
    """I on a folded neuron (its card, or a node inside it): open it in place."""
    gid = scene.groups().selected_group()
    if gid is None and node_id:
        gid = scene.groups().folded.get(node_id)
    if gid is None or not (doc.group(gid) or {}).get("collapsed"):
        return None
    return CollapseGroupsCommand(doc, [gid], False, f"Open {gid}")


def close_group_command(doc, scene, node_id: str | None):
    """O on a node of an opened neuron while others are folded: fold it again."""
    from ...model.groups import innermost
    if not node_id or not scene.groups().folded:
        return None
    group = innermost(doc.groups(), node_id)
    if group is None or group.get("collapsed") or group.get("kind") != "neuron":
        return None
    return CollapseGroupsCommand(doc, [group["id"]], True, f"Fold {group['id']}")
