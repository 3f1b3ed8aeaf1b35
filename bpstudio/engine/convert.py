"""Turn a micrograd-style Value (ours, or Karpathy's by duck typing) into a Graph."""
from __future__ import annotations

import re

from .node import GraphError
from .nogc import paused_gc

# micrograd's `_op` strings -> our op names
_FOREIGN_OPS = {"+": "add", "*": "mul", "-": "sub", "/": "div", "ReLU": "relu", "relu": "relu",
                "tanh": "tanh", "exp": "exp", "log": "log", "sigmoid": "sigmoid", "neg": "neg"}
_POW = re.compile(r"^\*\*\s*(.+)$")


def _children(v) -> tuple:
    """Ordered children for our Value, the `_prev` set otherwise (order is lost there)."""
    kids = getattr(v, "_children", None)
    if kids is None:
        kids = tuple(getattr(v, "_prev", ()) or ())
    return tuple(kids)


def _walk(root) -> list:
    """Inputs before users, iteratively; each Python object once."""
    order, seen, stack = [], {id(root)}, [(root, iter(_children(root)))]
    while stack:
        node, it = stack[-1]
        for c in it:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append((c, iter(_children(c))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _op_of(v, kids: tuple) -> tuple[str, tuple, dict]:
    """(op name, inputs, attrs) for a non-leaf value."""
    name = getattr(v, "_name", None)
    if name and name != "leaf":
        return name, kids, dict(getattr(v, "_attrs", {}))
    text = str(v._op)
    m = _POW.match(text)
    if m:
        return "pow", kids, {"exponent": float(m.group(1))}
    op = _FOREIGN_OPS.get(text)
    if op is None:
        raise GraphError(f"unknown micrograd op {text!r}")
    if op in ("add", "mul") and len(kids) == 1:      # a + a: micrograd's set holds one child
        kids = kids * 2
    return op, kids, {}


def _unique_id(base: str, used: set[str], counter: list[int]) -> str:
    if base and base not in used:
        return base
    while True:
        counter[0] += 1
        cand = f"{base or 'v'}#{counter[0]}" if base else f"v{counter[0]}"
        if cand not in used:
            return cand


def graph_from_value(cls, root, parameters=None, title: str = ""):
    """Build a Graph whose output is `root`. Leaves in `parameters` (if given) are
    parameters; other leaves are inputs when labelled, constants when not."""
    with paused_gc():
        return _build(cls, root, parameters, title)


def _build(cls, root, parameters, title: str):
    params = None if parameters is None else {id(p) for p in parameters}
    graph = cls(title)
    ids: dict[int, str] = {}
    used: set[str] = set()
    counter = [0]
    for v in _walk(root):
        label = str(getattr(v, "label", "") or "")
        nid = _unique_id(label, used, counter)
        used.add(nid)
        ids[id(v)] = nid
        kids = _children(v)
        if not kids:
            role = "parameter" if params is None or id(v) in params else (
                "input" if label else "constant")
            graph.leaf(nid, float(v.data), label, role)
        else:
            op, ins, attrs = _op_of(v, kids)
            graph.op(nid, op, *(ids[id(c)] for c in ins), label=label, **attrs)
    graph.output = ids[id(root)]
    return graph
