"""Step into a composite op: replace it by primitive nodes with the same numbers.

The expanded node keeps its id (now computed by the last primitive), so every
consumer is unchanged; new nodes get ids "<id>/<part>".
"""
from __future__ import annotations

from .node import GraphError, Node
from .ops import LEAF, OPS


def _tanh(n: Node):
    (x,) = n.inputs
    return [("two", LEAF, (), 2.0, {}), ("2x", "mul", (x, "two"), None, {}),
            ("exp", "exp", ("2x",), None, {}), ("one", LEAF, (), 1.0, {}),
            ("num", "sub", ("exp", "one"), None, {}), ("den", "add", ("exp", "one"), None, {}),
            (None, "div", ("num", "den"), None, {})]


def _sigmoid(n: Node):
    (x,) = n.inputs
    return [("neg", "neg", (x,), None, {}), ("exp", "exp", ("neg",), None, {}),
            ("one", LEAF, (), 1.0, {}), ("den", "add", ("one", "exp"), None, {}),
            (None, "div", ("one", "den"), None, {})]


def _squared_error(final_op: str):
    def expand(n: Node):
        y, t = n.inputs
        return [("diff", "sub", (y, t), None, {}),
                ("sq", "pow", ("diff",), None, {"exponent": 2.0}),
                (None, final_op, ("sq",), None, {})]
    return expand


EXPANSIONS = {"tanh": _tanh, "sigmoid": _sigmoid, "sse": _squared_error("sum"),
              "mse": _squared_error("mean")}


def expandable(graph, node_id: str) -> bool:
    return graph.nodes[node_id].op in EXPANSIONS


def expand_node(graph, node_id: str):
    """A copy of `graph` with `node_id`'s composite op spelled out in primitives."""
    node = graph.nodes.get(node_id)
    if node is None or node.op not in EXPANSIONS:
        raise GraphError(f"node {node_id!r} is not a composite op", node_id)
    parts = EXPANSIONS[node.op](node)
    local = {p[0] for p in parts if p[0]}
    out = graph.copy()
    nodes = {}
    for nid, n in out.nodes.items():
        if nid == node_id:
            nodes.update(_spell_out(node, parts, local))
        else:
            nodes[nid] = n
    out.nodes = nodes
    return out


def _spell_out(node: Node, parts, local: set[str]) -> dict[str, Node]:
    made = {}
    for part, op, ins, value, attrs in parts:
        nid = node.id if part is None else f"{node.id}/{part}"
        ins = tuple(f"{node.id}/{i}" if i in local else i for i in ins)
        if op == LEAF:
            made[nid] = Node(nid, LEAF, (), _fmt_const(value), "constant", value)
        else:
            label = node.label if part is None else f"{node.label}:{part}"
            made[nid] = Node(nid, op, ins, label, None, None, attrs)
    return made


def _fmt_const(v: float) -> str:
    return repr(v)


assert all(name in OPS for name in EXPANSIONS)
