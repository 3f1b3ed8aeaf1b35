"""Where a NaN or ±inf started: the first non-finite node in evaluation order, in words.

Arithmetic follows IEEE everywhere (see ops.py); nothing raises. This module only
*names* the first place it went wrong, for `bpstudio grad`, the window and training:
values in forward order first, then grads in backward order (a grad can go
non-finite while every value is finite, e.g. −a / b² with b = 1e-200).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ops import LEAF, OPS


@dataclass(frozen=True)
class NonFinite:
    node: str           # node id
    what: str           # "value" or "grad"
    message: str        # "node 'y' (exp) is not finite: exp(1000.0) = inf"

    @property
    def detail(self) -> str:
        """What comes after 'is not finite: ' (e.g. 'exp(1000.0) = inf')."""
        return self.message.split("is not finite: ", 1)[-1]


def is_finite(v) -> bool:
    """True for None (nothing computed yet) and finite numbers / arrays."""
    if v is None:
        return True
    if isinstance(v, float):
        return v - v == 0.0
    return bool(np.all(np.isfinite(v)))


def plain(x) -> str:
    """A number as Python prints it (1000.0, inf, nan); small arrays element by element."""
    if isinstance(x, np.ndarray) and x.ndim:
        if x.size <= 6:
            return "[" + ", ".join(repr(float(v)) for v in x.ravel()) + "]"
        return f"array of shape {list(x.shape)}"
    return repr(float(x))


def _worst(v) -> str:
    """'inf' / 'nan' / '-inf', or 'nan at [1, 0]' for an array."""
    if not isinstance(v, np.ndarray) or not v.ndim:
        return plain(v)
    idx = tuple(int(i) for i in np.argwhere(~np.isfinite(v))[0])
    return f"{plain(v[idx])} at {list(idx)}"


def forward_text(op_name: str, ins, out, attrs) -> str:
    """'exp(1000.0) = inf', '1.0 ÷ 0.0 = inf' — the op's formula with plain numbers."""
    op = OPS[op_name]
    vals = [plain(v) for v in ins] or ["?"]
    k = (attrs or {}).get("exponent")
    rhs = op.formula.format(out="", a=vals[0], b=vals[-1], k=plain(k) if k is not None else "k")
    return f"{rhs.split('=', 1)[1].strip()} = {_worst(out)}"


def first_nonfinite(stepper) -> NonFinite | None:
    """The first non-finite value in forward order, else the first non-finite grad in
    backward order; None when everything computed so far is finite."""
    p = stepper.program
    values, grads = stepper.values, stepper.grads
    for i in p.leaf_nodes + list(p.op_nodes):
        if not is_finite(values[i]):
            return _value_message(p, values, i)
    for i in [p.output] + list(reversed(p.op_nodes)) + p.leaf_nodes:
        if grads[i] is not None and not is_finite(grads[i]):
            return _grad_message(stepper, i)
    return None


def describe(stepper, node_id: str) -> NonFinite | None:
    """The message for one node (its value if that is non-finite, else its grad)."""
    p = stepper.program
    i = p.index[node_id]
    if not is_finite(stepper.values[i]):
        return _value_message(p, stepper.values, i)
    g = stepper.grads[i]
    return _grad_message(stepper, i) if g is not None and not is_finite(g) else None


def evaluation_rank(stepper, node_id: str) -> tuple:
    """Sort key: non-finite values in forward order first, then grads in backward order."""
    p = stepper.program
    i = p.index[node_id]
    pos = p.forward_step_of(i)
    if not is_finite(stepper.values[i]):
        return (0, -1 if pos is None else pos)
    back = p.backward_step_of(i)
    return (1, p.n_forward if i == p.output else (back if back is not None else p.total))


def _value_message(p, values, i: int) -> NonFinite:
    nid, op = p.ids[i], p.ops[i]
    if op == LEAF:
        return NonFinite(nid, "value", f"node {nid!r} (leaf) is not finite: {_worst(values[i])}")
    ins = [values[j] for j in p.inputs[i]]
    text = forward_text(op, ins, values[i], p.attrs[i])
    return NonFinite(nid, "value", f"node {nid!r} ({op}) is not finite: {text}")


def _grad_message(stepper, i: int) -> NonFinite:
    """Names the node whose grad went non-finite and the backward step that sent it."""
    p = stepper.program
    nid = p.ids[i]
    head = f"node {nid!r} ({p.ops[i]}): its grad is not finite: {nid}.grad = " \
           f"{_worst(stepper.grads[i])}"
    for n in reversed(p.op_nodes):          # the first consumer (backward order) that sent it
        if i not in p.inputs[n]:
            continue
        k = p.backward_step_of(n)
        if k is None or k >= stepper.cursor:
            continue
        rec = stepper.record(k)
        for f in rec.flows:
            if f.target == nid and not is_finite(f.contribution):
                local = f" (local derivative {_worst(np.asarray(f.local))})" \
                    if f.local is not None and not is_finite(f.local) else ""
                head += f", sent by {p.ids[n]!r} ({p.ops[n]}){local}"
                return NonFinite(nid, "grad", head)
    return NonFinite(nid, "grad", head)
