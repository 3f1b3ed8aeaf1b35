"""The words of the current step, shared by the chain-rule panel and the presentation bar:
its heading, its chain-rule lines (with the quiz's answers masked) and its notes."""
from __future__ import annotations

from ...engine import OPS
from ...engine.nonfinite import forward_text, is_finite, plain
from ...engine.records import fmt, grad_formula, paren

HIDDEN = "?"


def step_heading(s, with_step: bool = True) -> str:
    """'Backward pass · step 9 of 13 · node a' (or the ready line before any step);
    without the step number where a counter shows it already."""
    if s.cursor == 0:
        return f"Ready · {s.total} steps · nothing computed yet"
    rec = s.current
    where = {"forward": "Forward pass", "seed": "Seed the output",
             "backward": "Backward pass"}[rec.kind]
    step = f" · step {s.cursor} of {s.total}" if with_step else ""
    return f"{where}{step} · node {s.labels[rec.node]}"


def step_lines(s, labels, hidden=frozenset()) -> list[str]:
    """The current step's chain-rule lines; a flow into a node in `hidden` shows `?`
    for its product and the sum it makes (the factors stay: the class multiplies)."""
    rec = s.current
    if rec is None:
        return []
    if rec.kind != "backward" or not hidden:
        return _with_origin(s, rec, rec.lines(labels))
    out, seen = [], set()
    for flow in rec.flows:
        if flow.target in hidden:
            out.append(masked_line(rec, flow, labels, again=flow.target in seen))
        else:
            out.append(rec.lines(labels)[len(out)])
        seen.add(flow.target)
    return _with_origin(s, rec, out)


def _with_origin(s, rec, lines: list[str]) -> list[str]:
    """Backward lines of a node imported from PyTorch name its autograd class first:
    'AddmmBackward0: W.grad += ...'."""
    node = s.program.graph.nodes.get(rec.node) if rec.kind == "backward" else None
    origin = getattr(node, "origin", "") if node is not None else ""
    return [f"{origin}: {line}" for line in lines] if origin else lines


def masked_line(rec, flow, labels, again: bool = False) -> str:
    """'a.grad += b.data × e.grad = (−3.0) × (−2.0) = ?;  a.grad = 0.0 + ? = ?'.
    `again`: a second flow into the same node (a * a), whose 'before' is an answer too."""
    names = [labels[i] for i in rec.inputs]
    k = (rec.attrs or {}).get("exponent")
    head = grad_formula(rec.op, flow.slot, labels[rec.node], names, k)
    if flow.local is not None:
        numbers = f"{paren(flow.local)} × {paren(flow.upstream)} = {HIDDEN}"
    else:
        numbers = HIDDEN
    before = HIDDEN if again else fmt(flow.grad_before)
    tail = f"{labels[flow.target]}.grad = {before} + {HIDDEN} = {HIDDEN}"
    return f"{head} = {numbers};  {tail}"


def gate_hint(s) -> str:
    """The small print under a step: the gate's signature, or why the seed is 1."""
    rec = s.current
    if rec is None:
        return ""
    if rec.kind == "backward":
        return OPS[rec.op].gate
    if rec.kind == "seed":
        return "the backward pass starts at the output: its gradient with respect to itself is 1"
    return ""


def nonfinite_hint(s) -> str:
    """'⚠ NaN/∞ starts here: exp(1000.0) = inf' when the current step is where a value
    (or a grad) first goes non-finite from finite inputs; '' otherwise."""
    rec = s.current
    if rec is None or rec.kind == "seed":
        return ""
    if rec.kind == "forward":
        if is_finite(rec.value) or not all(is_finite(v) for v in rec.input_values):
            return ""
        return f"⚠ NaN/∞ starts here: {forward_text(rec.op, rec.input_values, rec.value, rec.attrs)}"
    for f in rec.flows:
        if not is_finite(f.contribution) and is_finite(f.upstream) and is_finite(f.grad_before):
            local = f"local derivative {plain(f.local)}" if f.local is not None else \
                f"contribution {plain(f.contribution)}"
            return f"⚠ NaN/∞ starts here: {s.labels[f.target]}.grad gets a {local}"
    return ""


def step_notes(doc) -> list[tuple[str, str]]:
    """(whose, text) of the notes for where the stepper is: the step's note (at cursor
    0 the lecture's opening note), then the note on the current step's node."""
    s = doc.stepper
    out = []
    text = doc.step_note(s.cursor)
    if text:
        out.append((f"step {s.cursor}" if s.cursor else "start", text))
    rec = s.current
    if rec is not None and doc.note(rec.node):
        out.append((s.labels[rec.node], doc.note(rec.node)))
    return out
