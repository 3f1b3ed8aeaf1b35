"""Step records: plain data (ids and numbers, no closures) plus the words a student reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .ops import OPS

MINUS = "\u2212"


def fmt(x: Any, digits: int = 6, minus: str = MINUS) -> str:
    """A number as a lecturer writes it: 6.0, −1.5, 0.707107; tensors compactly."""
    if x is None:
        return "?"
    if isinstance(x, np.ndarray):
        return _fmt_array(x, digits, minus)
    x = float(x)
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return (minus if x < 0 else "") + "∞"
    s = f"{x:.{digits}g}"
    if not any(ch in s for ch in ".e"):
        s += ".0"
    return s.replace("-", minus)


def _fmt_array(a: np.ndarray, digits: int, minus: str) -> str:
    if a.size > 6:
        return f"[{a.shape[0]}×{a.shape[1]}]" if a.ndim == 2 else f"[shape {a.shape}]"
    if a.ndim == 2:
        return "[" + "; ".join(", ".join(fmt(v, digits, minus) for v in row) for row in a) + "]"
    return "[" + ", ".join(fmt(v, digits, minus) for v in a.ravel()) + "]"


def paren(x: Any) -> str:
    """A factor in a product: negative numbers in parentheses."""
    s = fmt(x)
    return f"({s})" if s.startswith(MINUS) else s


@dataclass(slots=True)
class Flow:
    """One input edge of a backward step: upstream × local = contribution, then +=."""
    target: str
    slot: int
    local: Any            # None for ops whose local derivative is a VJP (matmul, sum, ...)
    upstream: Any
    contribution: Any
    grad_before: Any
    grad_after: Any


@dataclass(slots=True)
class StepRecord:
    index: int
    kind: str                       # "forward" | "seed" | "backward"
    node: str
    op: str
    inputs: tuple[str, ...] = ()
    input_values: tuple = ()
    value: Any = None               # the node's value after a forward step
    value_before: Any = None
    state_before: int = 0           # 0 pending, 1 computed, 2 stale
    flows: tuple[Flow, ...] = ()
    saved: Any = None               # seed step: (grads, received, grads_stale) before it
    attrs: dict | None = None       # op attributes (e.g. the exponent of pow)

    def lines(self, labels: dict[str, str]) -> list[str]:
        """The chain-rule text of this step, one line per edge."""
        if self.kind == "forward":
            return [forward_line(self, labels)]
        if self.kind == "seed":
            return [f"{labels[self.node]}.grad = 1.0   (d{labels[self.node]}/d{labels[self.node]} = 1)"]
        return [backward_line(self, f, labels) for f in self.flows]


def forward_line(rec: StepRecord, labels: dict[str, str]) -> str:
    op = OPS[rec.op]
    names = [labels[i] for i in rec.inputs]
    text = op.formula.format(out=labels[rec.node], a=names[0], b=names[-1],
                             k=fmt(_exponent(rec)))
    vals = [paren(v) for v in rec.input_values]
    with_numbers = op.formula.format(out="", a=vals[0], b=vals[-1], k=fmt(_exponent(rec)))
    with_numbers = with_numbers.split("=", 1)[1].strip()
    return f"{text} = {with_numbers} = {fmt(rec.value)}"


def _exponent(rec: StepRecord):
    return (rec.attrs or {}).get("exponent")


def grad_formula(op_name: str, slot: int, node: str, inputs: list[str], k=None) -> str:
    op = OPS[op_name]
    return op.grad_formulas[slot].format(out=node, a=inputs[0], b=inputs[-1],
                                         k=fmt(k) if k is not None else "k")


def backward_line(rec: StepRecord, flow: Flow, labels: dict[str, str]) -> str:
    """e.g. a.grad += b.data × e.grad = (−3.0) × (−2.0) = 6.0  → a.grad = 0.0 + 6.0 = 6.0"""
    names = [labels[i] for i in rec.inputs]
    head = grad_formula(rec.op, flow.slot, labels[rec.node], names, _exponent(rec))
    if flow.local is not None:
        numbers = f"{paren(flow.local)} × {paren(flow.upstream)} = {fmt(flow.contribution)}"
    else:
        numbers = f"{fmt(flow.contribution)}"
    tail = f"{labels[flow.target]}.grad = {fmt(flow.grad_before)} + {paren(flow.contribution)}" \
           f" = {fmt(flow.grad_after)}"
    return f"{head} = {numbers};  {tail}"
