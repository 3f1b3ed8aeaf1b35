"""Export a graph as Graphviz DOT, in the style of micrograd's draw_dot:
record nodes `{ label | data x | grad y }` and a small node per op."""
from __future__ import annotations

from ..engine import Graph
from ..engine.ops import OPS
from ..engine.records import fmt


def _quote(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _record_text(s: str) -> str:
    for ch in "{}|<>":
        s = s.replace(ch, "\\" + ch)
    return s


def to_dot(graph: Graph, stepper=None, rankdir: str = "LR") -> str:
    """DOT text; with a stepper, the data and grads it holds at its cursor."""
    lines = [f"digraph {_quote(graph.title or 'bpstudio')} {{", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica"];']
    for n in graph.nodes.values():
        data = stepper.value(n.id) if stepper else n.value
        grad = stepper.grad(n.id) if stepper else None
        label = "{ %s | data %s | grad %s }" % (
            _record_text(n.label), _record_text(fmt(data, 4, "-") if data is not None else "·"),
            _record_text(fmt(grad, 4, "-") if grad is not None else "·"))
        lines.append(f"  {_quote(n.id)} [shape=record, label={_quote(label)}];")
        if not n.is_leaf:
            op_id = _quote(n.id + "/op")
            lines.append(f"  {op_id} [label={_quote(OPS[n.op].symbol)}, shape=circle];")
            lines.append(f"  {op_id} -> {_quote(n.id)};")
            for i in n.inputs:
                lines.append(f"  {_quote(i)} -> {op_id};")
    lines.append("}")
    return "\n".join(lines) + "\n"
