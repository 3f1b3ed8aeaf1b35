"""Turn a micrograd-style Value (ours, or anyone's by duck typing) into a Graph -- checked.

Every computed node is rebuilt from its inputs' own `.data` with our op table and
compared with the object's own `.data`. Children kept in a set (micrograd's `_prev`)
lose their order, so for `-`, `/` and friends both orders are tried and the one that
reproduces `.data` is kept. When the data cannot tell the orders apart (a - b with
a == b) the user's grads decide, if a backward() from this root has run; otherwise the
node is named in an error. Grads set by such a backward() are compared with the chain
rule too. Nothing is ever guessed silently.
"""
from __future__ import annotations

import itertools
import math
import numbers
import re

import numpy as np

from .node import GraphError
from .nogc import paused_gc
from .ops import OPS
from .records import fmt

# micrograd's `_op` strings -> our op names
_FOREIGN_OPS = {"+": "add", "*": "mul", "-": "sub", "/": "div", "ReLU": "relu", "relu": "relu",
                "tanh": "tanh", "exp": "exp", "log": "log", "sigmoid": "sigmoid", "neg": "neg"}
_POW = re.compile(r"^\*\*\s*(.+)$")
_COMMUTATIVE = {"add", "mul"}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
MAX_AMBIGUOUS = 6            # operand orders the grads may have to decide (2**6 tries)
REL_TOL, ABS_TOL = 1e-9, 1e-12


def reject_non_value(root) -> None:
    """A clear error for things that are not micrograd-style Values (a number, a
    tensor, a list...). Kept separate so other kinds of object can be dispatched first."""
    if hasattr(root, "_prev") or hasattr(root, "_children"):
        return
    kind = f"{type(root).__module__}.{type(root).__qualname__}".removeprefix("builtins.")
    if isinstance(root, numbers.Number):
        what = f"a number ({kind} {root!r}), not a Value"
    else:
        what = f"a {kind}, not a micrograd-style Value (no ._prev children)"
    raise GraphError(f"cannot build a graph from {what}: pass the Value your code computed, "
                     f"e.g. the loss")


class Snapshot:
    """The user's numbers now: every object under `root` (inputs first), its data, its
    grad (None when it has none) and its label. Cheap to take; converted later."""
    __slots__ = ("root", "order", "data", "grads", "labels")

    def __init__(self, root):
        reject_non_value(root)
        with paused_gc():
            self.root = root
            self.order = _walk(root)
            self.data = {id(v): _data_of(v) for v in self.order}
            self.grads = {id(v): _grad_of(v) for v in self.order}
            self.labels = {id(v): str(getattr(v, "label", "") or "") for v in self.order}


def graph_from_value(cls, root, parameters=None, title: str = "", names=None):
    """Build a Graph whose output is `root` (an object, or a Snapshot of one). Leaves in
    `parameters` (if given) are parameters; other leaves are inputs when labelled,
    constants when not. `names` ({id(obj): name}) names the objects that have no `.label`
    (e.g. the caller's variables). Raises GraphError when the numbers cannot be reproduced."""
    snap = root if isinstance(root, Snapshot) else Snapshot(root)
    order, data = snap.order, snap.data
    with paused_gc():
        plans = {id(v): _plan(v, data) for v in order if _children(v)}
        if grads_set(snap):
            _settle_by_grads(snap, plans)
        else:
            _refuse_ambiguous(order, plans, data)
        return _build(cls, snap, plans, parameters, title, names or {})


# ---- walking the user's objects ------------------------------------------------------
def _children(v) -> tuple:
    """Ordered children for our Value, the `_prev` collection otherwise."""
    kids = getattr(v, "_children", None)
    if kids is None:
        kids = getattr(v, "_prev", ()) or ()
    return tuple(kids)


def _ordered(v) -> bool:
    """Whether the children's order is known (a tuple/list, not a set)."""
    return getattr(v, "_children", None) is not None or isinstance(getattr(v, "_prev", ()),
                                                                    (tuple, list))


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


def _data_of(v) -> float:
    d = getattr(v, "data", None)
    try:
        if isinstance(d, bool) or d is None:
            raise TypeError
        return float(d)
    except (TypeError, ValueError):
        raise GraphError(f"{_name(v)}: .data is {type(d).__name__} {d!r}, not a number") \
            from None


def _grad_of(v) -> float | None:
    g = getattr(v, "grad", None)
    if isinstance(g, bool) or not isinstance(g, numbers.Real):
        return None
    return float(g)


def _name(v) -> str:
    label = getattr(v, "label", "")
    if label:
        return f"node {label!r}"
    kids = _children(v)
    if not kids:
        return f"an unlabelled leaf {type(v).__name__}"
    return f"the unlabelled {str(getattr(v, '_op', ''))!r} of {', '.join(map(_input, kids))}"


def _input(c) -> str:
    """An input as a message names it: its label, else its data."""
    label = getattr(c, "label", "")
    return repr(label) if label else f"a value {getattr(c, 'data', '?')!r}"


# ---- one node: which op, which operand order ------------------------------------------
class _Plan:
    """The op and input order chosen for one node; `other` is the alternative order
    when the data cannot tell them apart."""
    __slots__ = ("op", "kids", "attrs", "other")

    def __init__(self, op, kids, attrs, other=None):
        self.op, self.kids, self.attrs, self.other = op, kids, attrs, other


def _ours(v) -> tuple | None:
    name = getattr(v, "_name", None)
    if name and name in OPS and getattr(v, "_children", None) is not None:
        return name, dict(getattr(v, "_attrs", {}) or {})
    return None


def _candidates(v, kids: tuple) -> list[tuple[str, tuple, dict]]:
    """Every (op, ordered inputs, attrs) the node's `_op` and children allow."""
    mine = _ours(v)
    if mine:
        return [(mine[0], kids, mine[1])]
    text = str(getattr(v, "_op", "") or "").strip()
    m = _POW.match(text)
    if m:
        try:
            return [("pow", kids, {"exponent": float(m.group(1))})]
        except ValueError:
            raise GraphError(f"{_name(v)}: cannot read the power in op {text!r}") from None
    op = _FOREIGN_OPS.get(text)
    if op is None:
        why = (f"has op {text!r}, which bpstudio does not know" if text
               else "has inputs but no op")
        raise GraphError(f"{_name(v)} {why} (known: {', '.join(sorted(_FOREIGN_OPS))}, **k)")
    if len(kids) == 1 and OPS[op].arity == 2:        # a + a: a set holds one child
        out = [(op, kids * 2, {})]
        return out + [("neg", kids, {})] if op == "sub" else out
    if len(kids) == 2 and not _ordered(v):
        if op in _COMMUTATIVE:                       # the numbers agree either way
            return [(op, _closure_order(v, kids), {})]
        return [(op, kids, {}), (op, kids[::-1], {})]
    return [(op, kids, {})]


def _closure_order(v, kids: tuple) -> tuple:
    """micrograd's `_backward` closes over `self` and `other`: the order the user wrote
    a * b in, for display (only used where the order cannot change a number)."""
    fn = getattr(v, "_backward", None)
    code, cells = getattr(fn, "__code__", None), getattr(fn, "__closure__", None)
    if code is None or not cells:
        return kids
    bound = dict(zip(code.co_freevars, cells))
    try:
        first, second = bound["self"].cell_contents, bound["other"].cell_contents
    except (KeyError, ValueError):
        return kids
    return (first, second) if second is kids[0] and first is kids[1] else kids


def _forward(op: str, ins: list[float], attrs: dict) -> float:
    with np.errstate(all="ignore"):
        return float(OPS[op].forward([np.float64(x) for x in ins], attrs))


def _error(got: float, want: float) -> float:
    """0 when equal (nan == nan, inf == inf), inf when far apart, else the distance."""
    if got == want or (math.isnan(got) and math.isnan(want)):
        return 0.0
    if not (math.isfinite(got) and math.isfinite(want)):
        return math.inf
    gap = abs(got - want)
    return gap if gap <= REL_TOL * max(abs(got), abs(want)) + ABS_TOL else math.inf


def _plan(v, data: dict) -> _Plan:
    kids = _children(v)
    want = data[id(v)]
    scored = []
    for op, ins, attrs in _candidates(v, kids):
        if len(ins) != OPS[op].arity:
            raise GraphError(f"{_name(v)}: op {op} takes {OPS[op].arity} input(s), "
                             f"it has {len(ins)}")
        got = _forward(op, [data[id(c)] for c in ins], attrs)
        scored.append((_error(got, want), op, ins, attrs, got))
    best = min(s[0] for s in scored)
    if best == math.inf:
        raise GraphError(_mismatch_text(v, kids, data, [s[4] for s in scored]))
    fits = [s for s in scored if s[0] == best]
    other = fits[1][2] if len(fits) > 1 and fits[0][1] == fits[1][1] else None
    return _Plan(fits[0][1], fits[0][2], fits[0][3], other)


def _mismatch_text(v, kids: tuple, data: dict, results: list[float]) -> str:
    ins = ", ".join(f"{_short(c)} = {fmt(data[id(c)], 12, '-')}" for c in kids)
    gives = " or ".join(dict.fromkeys(fmt(r, 12, "-") for r in results))
    text = (f"{_name(v)} (op {getattr(v, '_op', '')!r}) does not add up: its inputs {ins} "
            f"give {gives}, but its data is {fmt(data[id(v)], 12, '-')}")
    hint = _other_op(kids, data, data[id(v)]) if len(kids) == 2 else None
    if hint:
        text += f" (that is {hint}: is the op's label right?)"
    return text


def _short(c) -> str:
    return repr(getattr(c, "label", "") or "") if getattr(c, "label", "") else "(unlabelled)"


def _other_op(kids: tuple, data: dict, want: float) -> str | None:
    for op, sym in _SYMBOLS.items():
        for a, b in (kids, kids[::-1]):
            if _error(_forward(op, [data[id(a)], data[id(b)]], {}), want) < math.inf:
                return f"{_short(a)} {sym} {_short(b)}"
    return None


# ---- operand orders the data cannot tell: the user's grads decide ------------------------
def grads_set(root) -> bool:
    """A backward() from this root has run (micrograd seeds the root's grad with 1).
    `root`: the object or a Snapshot of it."""
    if isinstance(root, Snapshot):
        return root.grads[id(root.root)] == 1.0
    return _grad_of(root) == 1.0


def _refuse_ambiguous(order: list, plans: dict, data: dict) -> None:
    for v in order:
        p = plans.get(id(v))
        if p is not None and p.other is not None:
            a, b = p.kids
            raise GraphError(
                f"{_name(v)} (op {getattr(v, '_op', '')!r}): cannot tell its operand order: both "
                f"orders of {_short(a)} = {fmt(data[id(a)], 12, '-')} and {_short(b)} = "
                f"{fmt(data[id(b)], 12, '-')} give {fmt(data[id(v)], 12, '-')}; call backward() "
                f"first (its grads tell), or keep the children in order (a tuple `_prev`)")


def _settle_by_grads(snap: Snapshot, plans: dict) -> None:
    """Pick the operand orders whose chain-rule grads match the user's grads; an error
    naming the first node that differs when none do."""
    open_ = [p for p in plans.values() if p.other is not None]
    if len(open_) > MAX_AMBIGUOUS:
        return _refuse_ambiguous(snap.order, plans, snap.data)
    first_miss = None
    for flips in itertools.product((False, True), repeat=len(open_)):
        for p, flip in zip(open_, flips):
            if flip:
                p.kids, p.other = p.other, p.kids
        miss = _grad_mismatch(snap, plans)
        if miss is None:
            return
        first_miss = first_miss or miss
        for p, flip in zip(open_, flips):
            if flip:
                p.kids, p.other = p.other, p.kids
    raise GraphError(first_miss)


def _grad_mismatch(snap: Snapshot, plans: dict) -> str | None:
    grads = chain_rule_grads(snap.order, snap.data, plans)
    scale = max([1.0] + [abs(g) for g in grads.values() if math.isfinite(g)])
    for v in reversed(snap.order):
        mine = snap.grads[id(v)]
        if mine is None:
            continue
        want = grads[id(v)]
        if _error(mine, want) == 0.0 or abs(mine - want) <= REL_TOL * scale:
            continue
        root = _name(snap.root).removeprefix("node ")
        return (f"{_name(v)}: its grad is {fmt(mine, 12, '-')} but the chain rule from "
                f"{root} gives {fmt(want, 12, '-')} (grads add up with +=: did backward() run "
                f"twice without zeroing them, or were grads set by hand?)")
    return None


def chain_rule_grads(order: list, data: dict, plans: dict) -> dict[int, float]:
    """d(root)/d(v) for every object, with our op table on the user's own data."""
    grads = {id(v): 0.0 for v in order}
    grads[id(order[-1])] = 1.0
    with np.errstate(all="ignore"):
        for v in reversed(order):
            p = plans.get(id(v))
            if p is None:
                continue
            ins = [np.float64(data[id(c)]) for c in p.kids]
            parts = OPS[p.op].contributions(ins, np.float64(data[id(v)]), grads[id(v)], p.attrs)
            for c, g in zip(p.kids, parts):
                grads[id(c)] += float(g)
    return grads


# ---- the Graph ------------------------------------------------------------------------
def _unique_id(base: str, used: set[str], counter: list[int], kind: str) -> str:
    if base and base not in used:
        return base
    while True:
        counter[0] += 1
        cand = f"{base}#{counter[0]}" if base else f"{kind}{counter[0]}"
        if cand not in used:
            return cand


def _build(cls, snap: Snapshot, plans, parameters, title: str, names: dict):
    params = None if parameters is None else {id(p) for p in parameters}
    data = snap.data
    graph = cls(title)
    ids: dict[int, str] = {}
    used: set[str] = set()
    counter = [0]
    for v in snap.order:
        label = snap.labels[id(v)]
        plan = plans.get(id(v))
        nid = _unique_id(label or names.get(id(v), ""), used, counter,
                         plan.op if plan else "v")
        used.add(nid)
        ids[id(v)] = nid
        if plan is None:
            role = "parameter" if params is None or id(v) in params else (
                "input" if label else "constant")
            graph.leaf(nid, data[id(v)], label, role)
        else:
            graph.op(nid, plan.op, *(ids[id(c)] for c in plan.kids), label=label, **plan.attrs)
    graph.output = ids[id(snap.root)]
    return graph
