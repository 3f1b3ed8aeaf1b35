"""Names a student can follow: what a node is called on its card, in the step list and
in the chain-rule text.

A node keeps its label when it has a real one (`a`, `h1_in`, `x1*W[0,0]`) that no
other node shares. Every other node gets a short structural name:

* no label, an op's symbol or name for a label (`+`, `add`, `tanh`) or a generated id
  (`v17`, from an imported micrograd graph): its op's tag and a number, counted in
  the order of the steps: `Σ1`, `Π2`, `tanh1`; inside a neuron or layer (an id like
  `l1n3.s2`) the count is the neuron's own and the neuron comes first: `l1n3·Σ2`;
* a label that several nodes share (`w1` in every neuron): the neuron first
  (`l1n3·w1`), or, outside any neuron, a number (`w1·2`).

The names are for display only: the file keeps the user's labels. No Qt here.
"""
from __future__ import annotations

import re

SEP = "·"
LEAF_TAG = "c"
TAGS = {"add": "Σ", "sub": "Δ", "neg": "neg", "mul": "Π", "div": "q", "pow": "pow",
        "exp": "exp", "log": "log", "tanh": "tanh", "sigmoid": "σ", "relu": "relu",
        "max": "max", "sum": "Σ", "mean": "mean", "matmul": "mm", "sse": "sse", "mse": "mse"}
_GENERATED = re.compile(r"[a-z]+#?\d+")       # v17, add17 (importers), mul3 (snippets)
_WORD = re.compile(r"[\w\[\],']+")


class Names(dict):
    """node id -> display name; `structural` holds the ids whose name was made here
    (the chain-rule text never puts those in parentheses)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.structural: set[str] = set()


def _op_words() -> frozenset[str]:
    from ..engine import OPS
    return frozenset(OPS) | frozenset(o.symbol for o in OPS.values()) | frozenset("+-*/")


def is_unlabeled(nid: str, label: str, op: str, op_words=None) -> bool:
    """True when `label` says nothing about the node: empty, an op's symbol or name, or
    an id made up by an importer (`v17`, `add17`) standing in for a missing label."""
    op_words = op_words if op_words is not None else _op_words()
    label = (label or "").strip()
    if not label or label in op_words:
        return True
    return label == nid and _GENERATED.fullmatch(nid) is not None and nid.rstrip("#0123456789") in ("v", op)


def _prefix(nid: str) -> str:
    """The neuron or layer an id belongs to: `l1n3` of `l1n3.s2` ('' for `a`)."""
    head, dot, _ = nid.rpartition(".")
    return head if dot else ""


def display_names(nodes) -> Names:
    """Names for `nodes`: (id, label, op) triples in step (topological) order."""
    nodes = list(nodes)
    op_words = _op_words()
    counts: dict[str, int] = {}
    for nid, label, op in nodes:
        counts[label] = counts.get(label, 0) + 1
    names, numbers = Names(), {}
    for nid, label, op in nodes:
        shared = counts[label] > 1
        if is_unlabeled(nid, label, op, op_words) or (shared and not _WORD.fullmatch(label)):
            base = TAGS.get(op, LEAF_TAG if op == "leaf" else op)    # `w1*x1` in every
            names[nid] = _numbered(_prefix(nid), base, numbers)     # neuron: l1n3·Π1
        elif shared:
            prefix = _prefix(nid)
            names[nid] = f"{prefix}{SEP}{label}" if prefix else _numbered("", label + SEP, numbers)
        else:
            names[nid] = label
            continue
        names.structural.add(nid)
    return _unique(names, [n[0] for n in nodes])


def _numbered(prefix: str, base: str, numbers: dict) -> str:
    """`base` with the next number of its kind inside `prefix`: l1n3·Σ2, tanh1, w1·2."""
    k = numbers[(prefix, base)] = numbers.get((prefix, base), 0) + 1
    return f"{prefix}{SEP}{base}{k}" if prefix else f"{base}{k}"


def _unique(names: Names, order: list[str]) -> Names:
    """Any name still shared (a label that equals another node's made-up name) gets a
    number: the first keeps its name."""
    seen: dict[str, int] = {}
    taken = set(names.values())
    for nid in order:
        name = names[nid]
        if name not in seen:
            seen[name] = 1
            continue
        k = seen[name]
        while f"{name}{SEP}{k + 1}" in taken:
            k += 1
        seen[name] = k + 1
        names[nid] = f"{name}{SEP}{k + 1}"
        taken.add(names[nid])
        names.structural.add(nid)
    return names


def name_stepper(stepper):
    """Make the display names the labels of a stepper and of its program (so a new
    stepper over the same program has them too); returns the stepper."""
    program = stepper.program
    nodes = program.graph.nodes
    names = display_names((nid, nodes[nid].label, nodes[nid].op) for nid in program.ids)
    program.labels = stepper.labels = names
    return stepper
