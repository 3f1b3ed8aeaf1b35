"""Step into / collapse: a composite op (tanh, sigmoid, sse, mse) swapped for its
primitive nodes in place, and back. Qt-free; `Document.expand/collapse` use it.

The expanded node keeps its id (its last primitive computes it), so its consumers,
notes and breakpoints are unaffected; the new nodes are "<id>/<part>". What was
expanded is recorded in ``graph.view["expanded"]`` (saved with the file), so a
lecture saved with tanh spelled out can still be collapsed after reopening::

    "expanded": {"o": {"op": "tanh", "inputs": ["n"], "attrs": {}, "parts": ["o/two", ...],
                       "shift": 880.0}}

Positions: stepping into a node opens a gap of whole columns at the node's x (the
node and everything right of it move right by ``shift``) and lays the new nodes
out in the gap; collapsing removes them and closes the gap again, so expand then
collapse gives back every position.

The cursor: a cursor stands for "these forward steps and these backward steps are
done". The same set is translated to the new graph (the composite's primitives are
done exactly when the composite is) and the cursor becomes the smallest one that
has done all of it. E.g. past tanh's forward step, stepping into it puts the
cursor just after the last primitive's forward step (the one computing the node).
"""
from __future__ import annotations

from ..engine import Graph, Stepper
from ..engine.expand import expandable
from ..engine.graph import GraphError, Node

EPS = 1e-6
Position = tuple[float, float]


def records(graph: Graph) -> dict[str, dict]:
    return (graph.view or {}).get("expanded", {}) or {}


def owner(graph: Graph, node_id: str) -> str | None:
    """The expanded composite `node_id` is (or is a part of); None if neither."""
    recs = records(graph)
    if node_id in recs:
        return node_id
    for nid, rec in recs.items():
        if node_id in rec.get("parts", ()):
            return nid
    return None


def can_expand(graph: Graph, node_id: str) -> bool:
    return node_id in graph.nodes and expandable(graph, node_id)


# ---- graphs ------------------------------------------------------------------------------
def expand(graph: Graph, positions: dict[str, Position], node_id: str
           ) -> tuple[Graph, dict[str, Position]]:
    """The graph with `node_id` spelled out, and positions with a gap for the parts."""
    node = graph.nodes[node_id]
    out = graph.expand(node_id)                  # GraphError if not a composite
    parts = [nid for nid in out.nodes if nid not in graph.nodes]
    new_pos, shift = _positions_with_parts(positions, out, node_id, parts)
    view = out.view = dict(out.view or {})
    view["expanded"] = {**records(graph), node_id: {
        "op": node.op, "inputs": list(node.inputs), "attrs": dict(node.attrs),
        "parts": parts, "shift": shift}}
    _shift_pinned(view, positions, new_pos)
    return out, new_pos


def collapse(graph: Graph, positions: dict[str, Position], node_id: str
             ) -> tuple[Graph, dict[str, Position]]:
    """The graph with `node_id`'s composite op back, and the gap closed."""
    rec = records(graph).get(node_id)
    if rec is None:
        raise GraphError(f"node {node_id!r} is not an expanded composite", node_id)
    parts = set(rec["parts"])
    for n in graph.nodes.values():
        if n.id not in parts and n.id != node_id and parts.intersection(n.inputs):
            raise GraphError(f"node {n.id!r} uses a part of {node_id!r}; cannot collapse", n.id)
    out = graph.copy()
    current = graph.nodes[node_id]
    out.nodes = {nid: (Node(nid, rec["op"], tuple(rec["inputs"]), current.label, None, None,
                            dict(rec.get("attrs") or {})) if nid == node_id else n)
                 for nid, n in out.nodes.items() if nid not in parts}
    out.checked()
    view = out.view = dict(out.view or {})
    view["expanded"] = {k: v for k, v in records(graph).items() if k != node_id}
    if not view["expanded"]:
        del view["expanded"]
    cut = positions[node_id][0] if node_id in positions else float("inf")
    new_pos = {k: (x - rec.get("shift", 0.0) if x >= cut - EPS else x, y)
               for k, (x, y) in positions.items() if k not in parts}
    pinned = view.get("positions")
    if pinned:
        view["positions"] = {k: v for k, v in pinned.items() if k not in parts}
    _shift_pinned(view, positions, new_pos)
    return out, new_pos


def _positions_with_parts(positions, graph: Graph, node_id: str, parts: list[str]):
    """Open a gap at the node's x as wide as the parts' own layout; place them in it,
    lined up with the composite's inputs (so an input's edge misses the constants)."""
    from .layout import layered_layout
    members = set(parts) | {node_id}
    outside = [i for i in dict.fromkeys(i for p in parts for i in graph.nodes[p].inputs)
               if i not in members and i in positions]
    ids = outside + parts + [node_id]
    edges = [(i, n) for n in parts + [node_id] for i in graph.nodes[n].inputs
             if i in members or i in outside]
    sub = layered_layout(ids, edges)
    first = min(sub[p][0] for p in parts)
    shift = sub[node_id][0] - first
    nx, ny = positions.get(node_id, (0.0, 0.0))
    if outside:
        dy = (sum(positions[i][1] for i in outside) - sum(sub[i][1] for i in outside)) / len(outside)
    else:
        dy = ny - sub[node_id][1]
    out = {k: (x + shift if x >= nx - EPS else x, y) for k, (x, y) in positions.items()}
    for p in parts:
        out[p] = (nx + sub[p][0] - first, sub[p][1] + dy)
    return out, shift


def _shift_pinned(view: dict, before: dict, after: dict) -> None:
    """Positions the file pins (dragged nodes) follow the gap opening or closing."""
    pinned = view.get("positions")
    if not pinned:
        return
    view["positions"] = {k: ([after[k][0], after[k][1]] if k in after and k in before
                             and tuple(before[k]) != tuple(after[k]) else v)
                         for k, v in pinned.items()}


# ---- the cursor ----------------------------------------------------------------------------
def done(stepper: Stepper) -> tuple[set[str], bool, set[str]]:
    """(nodes computed, seeded?, nodes whose backward step is done) at the cursor."""
    p, c = stepper.program, stepper.cursor
    order = [p.ids[i] for i in p.op_nodes]
    f = len(order)
    computed = set(order[:min(c, f)])
    backed = set(order[f - (c - f - 1):]) if c > f + 1 else set()
    return computed, c > f, backed


def cursor_for(program, computed: set[str], seeded: bool, backed: set[str]) -> int:
    """The smallest cursor of `program` at which all of that is done."""
    ids = program.index
    if not seeded:
        steps = [program.forward_step_of(ids[n]) for n in computed if n in ids]
        return max((k + 1 for k in steps if k is not None), default=0)
    steps = [program.backward_step_of(ids[n]) for n in backed if n in ids]
    return max((k + 1 for k in steps if k is not None), default=program.n_forward + 1)


def translate(stepper: Stepper, parts: list[str], node_id: str, expanding: bool):
    """`done(stepper)` in terms of the graph after expanding / collapsing `node_id`."""
    computed, seeded, backed = done(stepper)
    parts_set = set(parts)
    if expanding:
        if node_id in computed:
            computed |= parts_set
        if node_id in backed:
            backed |= parts_set
        return computed, seeded, backed
    ops = {n for n in parts if not stepper.program.graph.nodes[n].is_leaf}
    if not ops <= backed:
        backed.discard(node_id)
    return computed - parts_set, seeded, backed - parts_set
