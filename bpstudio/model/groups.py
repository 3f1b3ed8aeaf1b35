"""Groups: named sets of nodes (a neuron, a layer) drawn as a box that can fold into
one summary card showing the group's grad norm. Qt-free; `Document` keeps them in
``graph.view["groups"]`` (saved with the file)::

    "groups": [{"id": "l1n3", "title": "l1n3", "kind": "neuron",
                "members": ["l1n3.b", "l1n3.w1", ..., "l1n3"], "collapsed": true}]

Grouping never changes the graph, the steps or the saved positions; it is a way of
looking at the same numbers.

Suggestions follow the id convention of bpstudio's generated networks: ``l1n3.w1``,
``l1n3.m1`` ... and ``l1n3`` belong to neuron ``l1n3``; neurons ``l1n1`` ... ``l1n16``
form layer ``l1``. Graphs whose ids follow no such convention get no suggestions.
"""
from __future__ import annotations

import math
import re

import numpy as np

_LAYER = re.compile(r"^([A-Za-z_]+\d+)n\d+$")     # neuron prefix "l1n3" -> layer "l1"


def make_group(gid: str, members, title: str | None = None, kind: str = "",
               collapsed: bool = False) -> dict:
    """A group as it is stored (plain JSON)."""
    group = {"id": str(gid), "title": str(title or gid), "members": [str(m) for m in members],
             "collapsed": bool(collapsed)}
    if kind:
        group["kind"] = kind
    return group


def neuron_members(graph) -> dict[str, list[str]]:
    """Neuron prefix -> its member ids in graph order ("l1n3.*" and "l1n3" itself),
    for prefixes with at least two members."""
    found: dict[str, list[str]] = {}
    for nid in graph.nodes:
        if "." in nid:
            found.setdefault(nid.split(".", 1)[0], []).append(nid)
    out = {}
    for prefix, members in found.items():
        if prefix in graph.nodes:
            members = members + [prefix]
        if len(members) >= 2:
            out[prefix] = members
    return out


def suggest_groups(graph, kind: str = "neuron") -> list[dict]:
    """Groups proposed from the ids: kind "neuron" (one per neuron prefix) or "layer"
    (neurons ``l1n1`` .. ``l1nK`` together as ``l1``). [] when the ids say nothing."""
    neurons = neuron_members(graph)
    if kind == "neuron":
        return [make_group(p, m, p, "neuron") for p, m in neurons.items()]
    if kind != "layer":
        raise ValueError(f"kind must be 'neuron' or 'layer', got {kind!r}")
    layers: dict[str, list[str]] = {}
    for prefix, members in neurons.items():
        match = _LAYER.match(prefix)
        if match:
            layers.setdefault(match.group(1), []).extend(members)
    return [make_group(name, m, name, "layer") for name, m in layers.items()]


def present_members(graph, group: dict) -> list[str]:
    """The group's members that are nodes of the graph now (a hand edit or a step-into
    may have removed some)."""
    return [m for m in group.get("members", ()) if m in graph.nodes]


def outputs(graph, group: dict) -> list[str]:
    """Members whose value leaves the group: used by a non-member, or the graph output."""
    members = set(present_members(graph, group))
    used = {i for n in graph.nodes.values() if n.id not in members for i in n.inputs}
    return [m for m in present_members(graph, group) if m in used or m == graph.output]


def parameters(graph, group: dict) -> list[str]:
    return [m for m in present_members(graph, group)
            if graph.nodes[m].is_leaf and graph.nodes[m].role == "parameter"]


def group_grad_norm(document, group: dict) -> float | None:
    """sqrt(sum of squared grads) over the group's parameters at the current step;
    None while none of them has a grad yet (or the group has no parameters)."""
    st = document.stepper
    total, seen = 0.0, False
    for m in parameters(document.graph, group):
        g = st.grad(m)
        if g is None:
            continue
        seen = True
        total += float(np.sum(np.square(np.asarray(g, dtype=float))))
    return math.sqrt(total) if seen else None


def group_value(document, group: dict):
    """The value of the group's single output (None if it has several, or it is not
    computed yet)."""
    outs = outputs(document.graph, group)
    if len(outs) != 1 or document.stepper.value_state(outs[0]) == "pending":
        return None
    return document.stepper.value(outs[0])


def innermost(groups: list[dict], node_id: str) -> dict | None:
    """The smallest group containing `node_id` (ties: the later one)."""
    best = None
    for g in groups:
        if node_id in g.get("members", ()) and (
                best is None or len(g["members"]) <= len(best["members"])):
            best = g
    return best


def folded(groups: list[dict]) -> dict[str, dict]:
    """node id -> the collapsed group whose card stands for it: the outermost collapsed
    group containing the node (the largest; ties: the later one)."""
    out: dict[str, dict] = {}
    for g in sorted((g for g in groups if g.get("collapsed")),
                    key=lambda g: len(g.get("members", ()))):
        for m in g.get("members", ()):
            out[m] = g
    return out


def card_positions(centres: dict[str, tuple[float, float]], spacing: float,
                   column: float = 360.0) -> dict[str, tuple[float, float]]:
    """Where collapsed groups' summary cards go: each at its members' centre, except
    that cards whose centres share a column (x within `column` of the column's first)
    stand in one tidy stack, `spacing` apart around their mean height, in the order of
    their centres -- sixteen folded neurons of a layer read as a layer, never overlap."""
    out: dict[str, tuple[float, float]] = {}
    order = sorted(centres, key=lambda g: (centres[g][0], centres[g][1]))
    k = 0
    while k < len(order):
        first = centres[order[k]][0]
        j = k
        while j < len(order) and centres[order[j]][0] - first <= column:
            j += 1
        stack = sorted(order[k:j], key=lambda g: centres[g][1])
        x = sum(centres[g][0] for g in stack) / len(stack)
        y0 = sum(centres[g][1] for g in stack) / len(stack) - spacing * (len(stack) - 1) / 2
        for n, g in enumerate(stack):
            out[g] = (x, y0 + n * spacing)
        k = j
    return out
