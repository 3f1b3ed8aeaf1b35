"""The neuron / layer diagram: a network's scalar graph seen one neuron at a time.
Qt-free. Built on the groups (groups.py): a neuron is a group of kind "neuron"; the
diagram is the graph with every collapsed group as one node (`quotient`), laid out
afresh (layout.layered_layout with card sizes), and stepping at that level moves one
neuron at a time (`step_target`).

Neurons come from the generated ids (``l1n3.w1`` ... ``l1n3``, see groups.py) or, for a
hand-built network such as seed 003's 2-2-2 net, from the structure
(`structural_neurons`): an activation (tanh, sigmoid, relu) of a sum of products
with parameters, plus an optional bias.
"""
from __future__ import annotations

from ..engine import fmt
from .groups import make_group, neuron_members

ACTIVATIONS = ("tanh", "sigmoid", "relu")
SUMS = ("add", "sum")
OPEN_AS_DIAGRAM = 150          # a network with more nodes than this opens as a diagram


# ---- which nodes make a neuron ---------------------------------------------------------
def _consumers(graph) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for node in graph.nodes.values():
        for i in node.inputs:
            out[i].append(node.id)
    return out


def _is_parameter(graph, nid: str) -> bool:
    node = graph.nodes[nid]
    return node.is_leaf and node.role == "parameter"


def _neuron_of(graph, users, act: str) -> list[str] | None:
    """The activation, its sum tree, the products with a parameter in it and those
    parameters (each used only inside); None if no parameter was found."""
    members, stack, params = [act], list(graph.nodes[act].inputs), 0
    while stack:
        nid = stack.pop()
        node = graph.nodes[nid]
        if nid in members or any(u not in members for u in users[nid]):
            continue
        if node.op in SUMS:
            members.append(nid)
            stack.extend(node.inputs)
        elif node.op == "mul" and any(_is_parameter(graph, i) for i in node.inputs):
            members.append(nid)
            stack.extend(i for i in node.inputs if _is_parameter(graph, i))
        elif _is_parameter(graph, nid):
            members.append(nid)
            params += 1
    return members if params else None


def structural_neurons(graph) -> list[dict]:
    """Neuron groups found from the graph's shape (for ids that follow no convention)."""
    users = _consumers(graph)
    groups = []
    for node in graph.nodes.values():
        if node.op in ACTIVATIONS:
            members = _neuron_of(graph, users, node.id)
            if members:
                ordered = [n for n in graph.nodes if n in set(members)]
                groups.append(make_group(node.id, ordered, node.label or node.id, "neuron"))
    return groups


def network_neurons(graph) -> list[dict]:
    """Neuron groups: from the ids when they say so, else from the structure."""
    from_ids = [make_group(p, m, p, "neuron") for p, m in neuron_members(graph).items()]
    return from_ids or structural_neurons(graph)


def opens_as_diagram(graph) -> bool:
    """A network too big to read node by node: open it folded into neurons."""
    return len(graph.nodes) > OPEN_AS_DIAGRAM and bool(neuron_members(graph))


def open_as_diagram(document) -> bool:
    """On opening: a big network with no groups of its own gets its neurons, folded
    (the file is not marked modified; saving keeps them). True if it did."""
    if document.groups() or not opens_as_diagram(document.graph):
        return False
    was = document.modified
    document.add_groups([{**g, "collapsed": True} for g in network_neurons(document.graph)])
    document.set_modified(was)
    return True


# ---- the diagram's graph ----------------------------------------------------------------
def quotient(graph, owner: dict[str, str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes and edges of the graph with each folded group (owner: node -> group id)
    as one node; edges inside a group are dropped, parallel ones merged."""
    ids = list(dict.fromkeys(owner.get(n, n) for n in graph.nodes))
    edges = {}
    for node in graph.nodes.values():
        b = owner.get(node.id, node.id)
        for i in node.inputs:
            a = owner.get(i, i)
            if a != b:
                edges[(a, b)] = None
    return ids, list(edges)


# ---- stepping one neuron at a time ----------------------------------------------------------
def boundaries(program, owner: dict[str, str]) -> list[int]:
    """The cursors a diagram's steps stop at, from 0 to the end. The steps are in
    waves (a layer's neurons side by side), so one neuron's steps are spread out: a
    diagram step runs from the cursor to the last step, in this phase, of the neuron
    the next step belongs to (that neuron is then done; others may have moved on
    inside, unseen on their cards). Steps of unfolded nodes are one step each."""
    ids, total = program.ids, program.total
    last: dict[tuple[str, str], int] = {}
    for k in range(total):
        gid = owner.get(ids[program.node_at(k)])
        if gid is not None:
            last[(program.kind(k), gid)] = k
    out, cursor = [0], 0
    while cursor < total:
        gid = owner.get(ids[program.node_at(cursor)])
        cursor = cursor + 1 if gid is None else last[(program.kind(cursor), gid)] + 1
        out.append(cursor)
    return out


def step_target(program, owner: dict[str, str], cursor: int, direction: int) -> int:
    """The cursor after one diagram step forward (direction 1) or back (-1)."""
    if not owner:
        return max(0, min(program.total, cursor + direction))
    stops = boundaries(program, owner)
    if direction > 0:
        return next((b for b in stops if b > cursor), program.total)
    return next((b for b in reversed(stops) if b < cursor), 0)


def group_of_step(program, owner: dict[str, str], step: int) -> str | None:
    """The folded group whose node step `step` (0-based) computes, if any."""
    if not 0 <= step < program.total:
        return None
    return owner.get(program.ids[program.node_at(step)])


# ---- the chain-rule panel's summary of a neuron's step ---------------------------------------
def neuron_summary(document, owner: dict[str, str]) -> list[str] | None:
    """What the last diagram step did to its neuron, in a few lines: forward, its
    inputs, weights and output; backward, the upstream grad, the weights' grads and
    the contributions sent to the inputs (over all of the neuron's steps so far in
    this pass). None when the last step is not a folded neuron's."""
    st = document.stepper
    program = st.program
    gid = group_of_step(program, owner, st.cursor - 1)
    group = document.group(gid) if gid else None
    if group is None:
        return None
    graph, name = document.graph, st.labels.get
    members = set(group.get("members", ())) & set(graph.nodes)
    ordered = [m for m in group["members"] if m in members]
    params = [m for m in ordered if graph.nodes[m].is_leaf]
    outside = list(dict.fromkeys(i for m in ordered for i in graph.nodes[m].inputs
                                 if i not in members))
    outs = [m for m in ordered if m in _used_outside(graph, members)]
    title = group.get("title") or gid
    forward = program.kind(st.cursor - 1) == "forward"
    start = 0 if forward else program.n_forward + 1
    steps = [k for k in range(start, st.cursor) if program.ids[program.node_at(k)] in members]
    head = f"neuron {title} ({'forward' if forward else 'backward'}, {_span(steps, st.cursor)}): "
    if forward:
        return [head + "inputs " + ", ".join(f"{name(i, i)} = {fmt(st.value(i))}" for i in outside),
                "weights " + _some(f"{name(p, p)} = {fmt(st.value(p))}" for p in params),
                "output " + ", ".join(f"{name(o, o)} = {graph.nodes[o].op}(…) = {fmt(st.value(o))}"
                                      for o in outs)]
    sent: dict[str, object] = {}
    for k in steps:
        for flow in st.record(k).flows:
            if flow.target not in members:
                sent[flow.target] = sent.get(flow.target, 0) + flow.contribution
    return [head + "upstream grad " + ", ".join(f"{name(o, o)}.grad = {fmt(st.grad(o))}"
                                                 for o in outs),
            "weights' grads " + _some(f"{name(p, p)}.grad = {fmt(st.grad(p))}" for p in params),
            "contributions to the inputs " + _some(f"{name(t, t)}.grad += {fmt(c)}"
                                                  for t, c in sent.items())]


def _span(steps: list[int], cursor: int) -> str:
    """The neuron's steps so far (0-based `steps`, the last before `cursor`): "steps
    4–9" when they follow each other, else how many of the range are its own (a
    neuron's backward steps interleave with its neighbours')."""
    first = steps[0] + 1
    if len(steps) == cursor - steps[0]:
        return f"steps {first}–{cursor}"
    return f"{len(steps)} steps in {first}–{cursor}"


def _some(parts, limit: int = 4) -> str:
    """The first few of a long list, then how many more (the panel stays readable)."""
    parts = list(parts)
    more = len(parts) - limit
    return ", ".join(parts[:limit]) + (f", … ({more} more)" if more > 0 else "") if parts else "—"


def _used_outside(graph, members: set) -> set:
    used = {i for n in graph.nodes.values() if n.id not in members for i in n.inputs}
    return used | {graph.output}
