"""Run-to-end for big scalar graphs: one numpy call per (level, op) group.

Forward: each group is elementwise over gathered input values. Backward: each
group's contributions are added into the inputs' grads in exactly the order the
one-node-at-a-time stepper uses (edges that hit the same input inside a group are
split into ranks), so the results are identical and every edge's grad_before is
kept. Step records are built lazily from these arrays when someone looks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ops import OPS
from .program import BACKWARD, FORWARD, SEED, Program, groups, is_vectorisable
from .records import Flow, StepRecord


@dataclass
class Group:
    start: int                  # forward positions [start, end)
    end: int
    op: str
    attrs: dict
    out: np.ndarray             # node numbers
    ins: list[np.ndarray]       # per slot: input node numbers
    targets: np.ndarray         # layout order: (position, slot) -> input node number
    ranks: list[np.ndarray] | None   # layout indices per rank, None if all targets differ


@dataclass
class Plan:
    groups: list[Group]
    edge_off: np.ndarray        # forward position -> first edge in layout
    n_edges: int
    op_nodes: np.ndarray        # forward order as an array
    leaf_nodes: list[int]


def applies(stepper) -> bool:
    p = stepper.program
    return stepper.cursor <= p.n_forward and is_vectorisable(p)


def plan_for(program: Program) -> Plan:
    plan = getattr(program, "_fast_plan", None)
    if plan is None:
        plan = _make_plan(program)
        program._fast_plan = plan
    return plan


def _make_plan(p: Program) -> Plan:
    arity = np.array([len(p.inputs[n]) for n in p.op_nodes], dtype=np.int64)
    edge_off = np.zeros(len(arity) + 1, dtype=np.int64)
    np.cumsum(arity, out=edge_off[1:])
    out = []
    for s, e in groups(p):
        nodes = p.op_nodes[s:e]
        first = nodes[0]
        a = len(p.inputs[first])
        ins = [np.fromiter((p.inputs[n][j] for n in nodes), np.int64, e - s) for j in range(a)]
        targets = np.stack(ins, axis=1).ravel() if a else np.empty(0, np.int64)
        out.append(Group(s, e, p.ops[first], p.attrs[first], np.asarray(nodes, np.int64),
                         ins, targets, _ranks(targets, e - s, a)))
    return Plan(out, edge_off, int(edge_off[-1]), np.asarray(p.op_nodes, np.int64),
                p.leaf_nodes)


def _ranks(targets: np.ndarray, n: int, arity: int) -> list[np.ndarray] | None:
    """Split a group's edges so no rank hits the same input twice, keeping order."""
    if len(np.unique(targets)) == len(targets):
        return None
    seq = ((np.arange(n)[::-1])[:, None] * arity + np.arange(arity)).ravel()
    t_seq = targets[seq]
    order = np.argsort(t_seq, kind="stable")
    sorted_t = t_seq[order]
    run_start = np.r_[0, np.flatnonzero(sorted_t[1:] != sorted_t[:-1]) + 1]
    run_id = np.cumsum(np.r_[0, (sorted_t[1:] != sorted_t[:-1]).astype(np.int64)])
    rank_sorted = np.arange(len(order)) - run_start[run_id]
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    return [seq[np.sort(np.flatnonzero(rank == r))] for r in range(int(rank.max()) + 1)]


class BatchLog:
    """What a fast run did, enough to build any of its step records on demand."""

    def __init__(self, start: int, values_before: list, vstate_before: bytes, plan: Plan):
        self.start = start
        self.values_before = values_before
        self.vstate_before = vstate_before
        self.plan = plan
        self.seed_saved = None
        self.local = self.upstream = self.contrib = self.before = None

    def record(self, stepper, k: int) -> StepRecord:
        p = stepper.program
        i = p.node_at(k)
        kind = p.kind(k)
        ids = tuple(p.ids[j] for j in p.inputs[i])
        ins = tuple(stepper.values[j] for j in p.inputs[i])
        if kind == FORWARD:
            return StepRecord(k, FORWARD, p.ids[i], p.ops[i], ids, ins, stepper.values[i],
                              self.values_before[i], self.vstate_before[i], attrs=p.attrs[i])
        if kind == SEED:
            return StepRecord(k, SEED, p.ids[i], p.ops[i], value=stepper.values[i],
                              saved=self.seed_saved)
        pos = 2 * p.n_forward - k
        e0 = int(self.plan.edge_off[pos])
        flows = tuple(
            Flow(p.ids[j], s, float(self.local[e0 + s]), float(self.upstream[e0 + s]),
                 float(self.contrib[e0 + s]), float(self.before[e0 + s]),
                 float(self.before[e0 + s] + self.contrib[e0 + s]))
            for s, j in enumerate(p.inputs[i]))
        return StepRecord(k, BACKWARD, p.ids[i], p.ops[i], ids, ins, stepper.values[i],
                          flows=flows, attrs=p.attrs[i])


def run(stepper, target: int) -> None:
    """Apply steps [cursor, target) vectorised where possible (forward, and a full backward)."""
    p = stepper.program
    plan = plan_for(p)
    start = stepper.cursor
    log = BatchLog(start, *stepper.values_before_run(), plan)
    vals = _gather_values(stepper, plan)
    stop = min(target, p.n_forward)
    with np.errstate(all="ignore"):
        _forward(plan, vals, start, stop)
    stepper.values = vals.tolist()
    np.frombuffer(stepper.vstate, dtype=np.uint8)[plan.op_nodes[start:stop]] = 1
    stepper.cursor = stop
    if target == p.total:
        log.seed_saved = stepper.grads_before_seed()
        with np.errstate(all="ignore"):
            grads = _backward(plan, p, vals, log)
        stepper.grads = grads.tolist()
        stepper.received = list(p.users)
        stepper.grads_stale = False
        stepper.cursor = p.total
    stepper._records[start:stepper.cursor] = [None] * (stepper.cursor - start)
    stepper._batch = log


def _gather_values(stepper, plan: Plan) -> np.ndarray:
    """The current values as a float array (NaN where nothing is computed yet)."""
    vals = np.full(len(stepper.values), np.nan)
    known = [i for i in plan.leaf_nodes] + stepper.program.op_nodes[:stepper.cursor]
    vals[known] = [stepper.values[i] for i in known]
    return vals


def _forward(plan: Plan, vals: np.ndarray, start: int, stop: int) -> None:
    for g in plan.groups:
        if g.end <= start or g.start >= stop:
            continue
        lo, hi = max(g.start, start) - g.start, min(g.end, stop) - g.start
        ins = [vals[idx[lo:hi]] for idx in g.ins]
        vals[g.out[lo:hi]] = OPS[g.op].forward(ins, g.attrs)


def _backward(plan: Plan, p: Program, vals: np.ndarray, log: BatchLog) -> np.ndarray:
    grads = np.zeros(len(vals))
    grads[p.output] = 1.0
    n = plan.n_edges
    log.local, log.upstream = np.empty(n), np.empty(n)
    log.contrib, log.before = np.empty(n), np.empty(n)
    for g in reversed(plan.groups):
        e0, e1 = int(plan.edge_off[g.start]), int(plan.edge_off[g.end])
        if e0 == e1:
            continue
        op = OPS[g.op]
        ins = [vals[idx] for idx in g.ins]
        up = grads[g.out]
        locs = op.local(ins, vals[g.out], g.attrs)
        local = np.empty((len(up), len(locs)))
        for j, loc in enumerate(locs):
            local[:, j] = loc
        local = local.ravel()
        upstream = np.repeat(up, len(locs))
        contrib = upstream * local
        before = _accumulate(grads, g, contrib)
        log.local[e0:e1], log.upstream[e0:e1] = local, upstream
        log.contrib[e0:e1], log.before[e0:e1] = contrib, before
    return grads


def _accumulate(grads: np.ndarray, g: Group, contrib: np.ndarray) -> np.ndarray:
    before = np.empty_like(contrib)
    for idx in (g.ranks or [slice(None)]):
        t = g.targets[idx]
        b = grads[t]
        grads[t] = b + contrib[idx]
        before[idx] = b
    return before


def _edge_tables(plan: Plan):
    """Per layout edge: its target node and its forward position (built once)."""
    if getattr(plan, "_edges", None) is None:
        targets = np.concatenate([g.targets for g in plan.groups]) if plan.groups else \
            np.empty(0, np.int64)
        arity = np.diff(plan.edge_off)
        pos = np.repeat(np.arange(len(arity)), arity)
        slot = np.arange(len(pos)) - plan.edge_off[pos]
        plan._edges = (targets, pos, slot)
    return plan._edges


def rewind_backward(stepper, step: int) -> None:
    """Undo the lazily recorded backward steps [step, cursor) in a few numpy calls:
    each input's grad goes back to the grad_before of its earliest undone edge."""
    p, log = stepper.program, stepper._batch
    f2 = 2 * p.n_forward
    lo = int(log.plan.edge_off[f2 - (stepper.cursor - 1)])
    hi = int(log.plan.edge_off[f2 - step + 1])
    targets, pos, slot = (a[lo:hi] for a in _edge_tables(log.plan))
    order = np.lexsort((slot, -pos))              # sequential order of the undone edges
    first_t, first_k = np.unique(targets[order], return_index=True)
    grads = np.array(stepper.grads, dtype=np.float64)
    grads[first_t] = log.before[lo:hi][order[first_k]]
    received = np.asarray(stepper.received) - np.bincount(targets, minlength=len(grads))
    stepper.grads, stepper.received = grads.tolist(), received.tolist()
    stepper.cursor = step
