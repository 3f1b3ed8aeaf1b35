"""The open document: a graph, its stepper, its file and its view state. No Qt.

Every mutator emits exactly one signal per real change (setting a value to what
it already is emits nothing), so the UI can connect item setters directly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine import Graph, Stepper
from .naming import name_stepper
from .signals import Signal


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))
    return a == b and str(a) == str(b)   # keeps 0.0 and -0.0 apart


class Document:
    def __init__(self, graph: Graph, path: str | Path | None = None,
                 source: str | Path | None = None):
        self.graph = graph
        self.path = Path(path) if path else None          # where Save writes (JSON)
        self.source = Path(source) if source else self.path   # what was opened
        self.stepper = name_stepper(Stepper(graph))
        self.live = False
        self._modified = False
        self._positions: dict[str, tuple[float, float]] | None = None
        self.cursor_moved = Signal()      # (old_cursor, new_cursor)
        self.leaf_edited = Signal()       # (node_id) value changed; downstream now stale
        self.label_changed = Signal()     # (node_id)
        self.node_moved = Signal()        # (node_id, (x, y))
        self.note_changed = Signal()      # (node_id)
        self.modified_changed = Signal()  # (bool)
        self.live_changed = Signal()      # (bool)
        self.training_changed = Signal()  # (key) a training setting changed
        self.values_replaced = Signal()   # () many leaves changed at once (training, reset)
        self.breakpoint_changed = Signal()  # (node_id, on)   lecture mode
        self.step_note_changed = Signal()   # (step)          lecture mode
        self.structure_changed = Signal() # () nodes came or went (step into / collapse)
        self.groups_changed = Signal()    # () groups added, removed, collapsed or expanded
        cursor = int((graph.view or {}).get("cursor", 0) or 0)
        if cursor:
            self.stepper.run_to(cursor)

    # ---- files -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> "Document":
        """Load a .json graph or a .py snippet. Raises GraphFormatError / SnippetError."""
        path = Path(path)
        if path.suffix.lower() == ".py":
            from ..io.snippet import load_snippet
            return cls(load_snippet(path), None, source=path)  # a snippet saves as JSON
        from ..io import load
        return cls(load(path), path)

    def save(self, path: str | Path | None = None) -> Path:
        from ..io import save
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("no file name given")
        self.graph.view = dict(self.graph.view or {})
        self.graph.view["cursor"] = self.stepper.cursor
        save(self.graph, target)
        self.path = self.source = target
        self.set_modified(False)
        return target

    @property
    def modified(self) -> bool:
        return self._modified

    def set_modified(self, flag: bool) -> None:
        if flag != self._modified:
            self._modified = flag
            self.modified_changed.emit(flag)

    @property
    def title(self) -> str:
        src = self.path or self.source
        return src.name if src else (self.graph.title or "untitled")

    # ---- stepping ------------------------------------------------------------
    def _moved(self, old: int) -> None:
        if self.stepper.cursor != old:
            self.cursor_moved.emit(old, self.stepper.cursor)

    def step(self) -> None:
        old = self.stepper.cursor
        self.stepper.step()
        self._moved(old)

    def back(self) -> None:
        old = self.stepper.cursor
        self.stepper.back()
        self._moved(old)

    def run_to(self, step: int) -> None:
        old = self.stepper.cursor
        self.stepper.run_to(step)
        self._moved(old)

    def run_to_end(self) -> None:
        self.run_to(self.stepper.total)

    def reset(self) -> None:
        self.run_to(0)

    def run_to_node(self, node_id: str, phase: str = "forward") -> None:
        old = self.stepper.cursor
        self.stepper.run_to_node(node_id, phase)
        self._moved(old)

    def touched(self, old: int, new: int, limit: int = 64) -> set[str] | None:
        """Node ids whose display changes between two cursors; None means 'refresh all'."""
        lo, hi = min(old, new), max(old, new)
        if hi - lo > limit:
            return None
        p = self.stepper.program
        if lo <= p.n_forward < hi:
            return None                     # the seed step touches every grad
        out: set[str] = set()
        for k in range(lo, hi):
            n = p.node_at(k)
            out.add(p.ids[n])
            out.update(p.ids[j] for j in p.inputs[n])
        return out

    # ---- editing -------------------------------------------------------------
    def set_live(self, flag: bool) -> None:
        if flag != self.live:
            self.live = flag
            self.live_changed.emit(flag)
            if flag:
                self.run_to_end()

    def set_leaf_value(self, node_id: str, value) -> bool:
        """Change a leaf's value. Returns False (and emits nothing) if it is the same."""
        node = self.graph.nodes[node_id]
        if _same(node.value, value if isinstance(value, np.ndarray) else float(value)):
            return False
        old = self.stepper.cursor
        self.stepper.set_leaf(node_id, value)
        if self.live:
            self.stepper.run_to_end()
        self.leaf_edited.emit(node_id)
        self._moved(old)
        self.set_modified(True)
        return True

    def set_label(self, node_id: str, label: str) -> bool:
        node = self.graph.nodes[node_id]
        if not label or label == node.label:
            return False
        node.label = label
        old = dict(self.stepper.labels)          # a new label can rename its twins
        new = name_stepper(self.stepper).labels
        for nid in [node_id] + [k for k in new if k != node_id and new[k] != old.get(k)]:
            self.label_changed.emit(nid)
        self.set_modified(True)
        return True

    def note(self, node_id: str) -> str:
        return (self.graph.view or {}).get("notes", {}).get(node_id, "")

    def set_note(self, node_id: str, text: str) -> bool:
        notes = self.graph.view.setdefault("notes", {})
        if notes.get(node_id, "") == text:
            return False
        if text:
            notes[node_id] = text
        else:
            notes.pop(node_id, None)
        self.note_changed.emit(node_id)
        self.set_modified(True)
        return True

    # ---- lecture: breakpoints, step notes, runs that stop -------------------------
    # Saved in view.breakpoints (node ids) and view.step_notes ("3": the note shown
    # while step 3 of N is the current one, i.e. at cursor 3; "0" before any step).
    def breakpoints(self) -> list[str]:
        return [b for b in (self.graph.view or {}).get("breakpoints", []) if b in self.graph.nodes]

    def set_breakpoint(self, node_id: str, on: bool) -> bool:
        view = self.graph.view
        bps = list(view.get("breakpoints", []))
        if (node_id in bps) == bool(on):
            return False
        bps = bps + [node_id] if on else [b for b in bps if b != node_id]
        if bps:
            view["breakpoints"] = bps
        else:
            view.pop("breakpoints", None)
        self.breakpoint_changed.emit(node_id, bool(on))
        self.set_modified(True)
        return True

    def step_note(self, step: int) -> str:
        return (self.graph.view or {}).get("step_notes", {}).get(str(step), "")

    def set_step_note(self, step: int, text: str) -> bool:
        notes = self.graph.view.setdefault("step_notes", {})
        if notes.get(str(step), "") == text:
            return False
        if text:
            notes[str(step)] = text
        else:
            notes.pop(str(step), None)
        self.step_note_changed.emit(step)
        self.set_modified(True)
        return True

    def run_until(self, target: int, watches=()):
        """Run towards `target`, stopping at a breakpoint or a watch; returns the Stop or None."""
        from ..engine.breakpoints import run_until
        old = self.stepper.cursor
        stop = run_until(self.stepper, target, self.breakpoints(), watches)
        self._moved(old)
        return stop

    # ---- training ------------------------------------------------------------
    def training_setting(self, key: str, default=None):
        return (self.graph.training or {}).get(key, default)

    def set_training(self, key: str, value) -> bool:
        """Change one training setting (lr, epochs, momentum, batch, reduction, loss)."""
        training = self.graph.training = dict(self.graph.training or {})
        if key in training and training[key] == value and type(training[key]) is type(value):
            return False
        training[key] = value
        self.training_changed.emit(key)
        self.set_modified(True)
        return True

    def parameter_values(self) -> dict[str, object]:
        return {n.id: n.value for n in self.graph.leaves() if n.role == "parameter"}

    def replace_values(self, values: dict[str, object], row: int | None = None) -> None:
        """Put many leaf values at once (trained weights, a dataset row); the stepper
        starts over and keeps its cursor. One signal: values_replaced."""
        for nid, v in values.items():
            self.graph.nodes[nid].value = v.copy() if isinstance(v, np.ndarray) else float(v)
        if row is not None and self.graph.dataset:
            from ..io.dataset import bind_row
            bind_row(self.graph, row, base_dir=self.base_dir)
        cursor = self.stepper.cursor
        self.stepper = Stepper(self.stepper.program)
        self.stepper.run_to(cursor)
        self.values_replaced.emit()
        self.set_modified(True)

    @property
    def base_dir(self):
        src = self.path or self.source
        return src.parent if src else None

    # ---- positions -----------------------------------------------------------
    def positions(self) -> dict[str, tuple[float, float]]:
        """Every node's position: the file's where given, the layout's elsewhere."""
        if self._positions is None:
            from .layout import IndexedEdges, layered_layout
            fixed = {k: (float(v[0]), float(v[1]))
                     for k, v in (self.graph.view or {}).get("positions", {}).items()
                     if k in self.graph.nodes}
            ids = list(self.graph.nodes)
            edges = IndexedEdges.from_inputs(ids, (n.inputs for n in self.graph.nodes.values()))
            gaps = dict(zip(("layer_gap", "node_gap"), self._layout_gaps or ()))
            self._positions = layered_layout(ids, edges, fixed=fixed, **gaps)
        return self._positions

    _layout_gaps: tuple[float, float] | None = None     # None: the layout's defaults

    def set_layout_gaps(self, layer_gap: float, node_gap: float) -> None:
        """Spacing of the automatic layout; the canvas asks for more when its cards are
        bigger (tensors). A change lays the graph out again (dragged nodes stay put)."""
        from .layout import LAYER_GAP, NODE_GAP
        gaps = (float(layer_gap), float(node_gap))
        if gaps != (self._layout_gaps or (LAYER_GAP, NODE_GAP)):
            self._positions = None
        self._layout_gaps = gaps

    def move_node(self, node_id: str, pos: tuple[float, float]) -> bool:
        pos = (float(pos[0]), float(pos[1]))
        current = self.positions().get(node_id)
        if current == pos:
            return False
        self._positions[node_id] = pos
        self.graph.view.setdefault("positions", {})[node_id] = [pos[0], pos[1]]
        self.node_moved.emit(node_id, pos)
        self.set_modified(True)
        return True

    # ---- step into / collapse (structure) ------------------------------------------------
    # A composite op (tanh, sigmoid, sse, mse) spelled out as primitives in place and
    # back; see model/structure.py for the positions and how the cursor is carried over.
    def can_expand(self, node_id: str) -> bool:
        from .structure import can_expand
        return can_expand(self.graph, node_id)

    def expanded_owner(self, node_id: str) -> str | None:
        """The expanded composite that `node_id` is or belongs to (what Collapse acts on)."""
        from .structure import owner
        return owner(self.graph, node_id)

    def expand(self, node_id: str) -> None:
        """Step into `node_id`. Raises GraphError if it is not a composite op."""
        from . import structure
        graph, positions = structure.expand(self.graph, self.positions(), node_id)
        parts = structure.records(graph)[node_id]["parts"]
        self._restructure(graph, positions, structure.translate(self.stepper, parts, node_id, True))

    def collapse(self, node_id: str) -> None:
        """Put `node_id`'s composite op back (the numbers are the same either way)."""
        from . import structure
        parts = structure.records(self.graph).get(node_id, {}).get("parts", [])
        graph, positions = structure.collapse(self.graph, self.positions(), node_id)
        self._restructure(graph, positions, structure.translate(self.stepper, parts, node_id, False))

    def _restructure(self, graph: Graph, positions, done) -> None:
        from .structure import cursor_for
        stepper = name_stepper(Stepper(graph))
        target = stepper.total if self.live else cursor_for(stepper.program, *done)
        stepper.run_to(target)
        self.graph, self.stepper, self._positions = graph, stepper, positions
        self.structure_changed.emit()
        self.set_modified(True)

    # ---- groups: boxes of nodes that fold into one card (model/groups.py) ---------------
    # Saved in view.groups; they never change the graph, the steps or the positions.
    def groups(self) -> list[dict]:
        return list((self.graph.view or {}).get("groups", []))

    def group(self, group_id: str) -> dict | None:
        return next((g for g in self.groups() if g.get("id") == group_id), None)

    def add_groups(self, groups, index: int | None = None) -> bool:
        """Add groups (dicts from `groups.make_group`) whose ids are new, at `index`
        (default: the end). One signal; False if none was new."""
        from .groups import make_group
        have = {g.get("id") for g in self.groups()}
        new = [make_group(g["id"], g["members"], g.get("title"), g.get("kind", ""),
                          g.get("collapsed", False)) for g in groups if g["id"] not in have]
        if not new:
            return False
        current = self.groups()
        at = len(current) if index is None else index
        self._put_groups(current[:at] + new + current[at:])
        return True

    def add_group(self, group_id: str, members, title: str | None = None, kind: str = "",
                  collapsed: bool = False) -> bool:
        from .groups import make_group
        return self.add_groups([make_group(group_id, members, title, kind, collapsed)])

    def remove_groups(self, group_ids) -> bool:
        drop = set(group_ids)
        current = self.groups()
        kept = [g for g in current if g.get("id") not in drop]
        if len(kept) == len(current):
            return False
        self._put_groups(kept)
        return True

    def remove_group(self, group_id: str) -> bool:
        return self.remove_groups([group_id])

    def set_group_collapsed(self, group_id: str, collapsed: bool) -> bool:
        if self.group(group_id) is None:
            raise KeyError(group_id)
        return self.set_groups_collapsed([group_id], collapsed)

    def set_groups_collapsed(self, group_ids, collapsed: bool) -> bool:
        """Collapse (or expand) several groups at once: one signal, False if none changed."""
        ids, flag = set(group_ids), bool(collapsed)
        current = self.groups()
        changed = [g for g in current if g.get("id") in ids and bool(g.get("collapsed")) != flag]
        if not changed:
            return False
        self._put_groups([{**g, "collapsed": flag} if g in changed else g for g in current])
        return True

    def _put_groups(self, groups: list[dict]) -> None:
        if groups:
            self.graph.view["groups"] = groups
        else:
            self.graph.view.pop("groups", None)
        self.groups_changed.emit()
        self.set_modified(True)

    def sibling(self) -> "Document":
        """A second document over the same graph and layout with its own stepper, to
        draw other steps (GIF frames) without moving this one's cursor."""
        twin = Document(self.graph, self.path, self.source)
        twin._positions = dict(self.positions())
        twin._layout_gaps = self._layout_gaps
        twin.stepper.run_to(self.stepper.cursor)
        return twin
