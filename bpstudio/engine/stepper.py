"""The cursor over a compiled program: step, step back, run to, reset, invalidate.

State is a handful of flat lists indexed by node number. Every applied step has a
record holding exactly what is needed to undo it, so stepping back restores the
previous state bit for bit without snapshots of the whole graph.
"""
from __future__ import annotations

import numpy as np

from . import fastpath
from .graph import Graph
from .ops import OPS
from .program import BACKWARD, FORWARD, SEED, Program, compile_graph
from .records import Flow, StepRecord

PENDING, COMPUTED, STALE = 0, 1, 2
FAST_PATH_MIN_STEPS = 2000


class Stepper:
    def __init__(self, graph: Graph | Program):
        self.program = graph if isinstance(graph, Program) else compile_graph(graph)
        p = self.program
        self.values: list = p.initial_values()
        self.vstate = bytearray(p.initial_vstate)
        self.grads: list = [None] * len(p.ids)
        self.received: list[int] = [0] * len(p.ids)
        self.grads_stale = False
        self.cursor = 0
        self._records: list[StepRecord | None] = [None] * p.total
        self._batch: fastpath.BatchLog | None = None
        self.labels = p.labels          # shared with the program: renames show everywhere

    # ---- queries -----------------------------------------------------------
    @property
    def total(self) -> int:
        return self.program.total

    @property
    def phase(self) -> str:
        if self.cursor >= self.total:
            return "done"
        return "forward" if self.cursor <= self.program.n_forward else "backward"

    def value(self, node_id: str):
        return self.values[self.program.index[node_id]]

    def grad(self, node_id: str):
        return self.grads[self.program.index[node_id]]

    def value_state(self, node_id: str) -> str:
        return ("pending", "computed", "stale")[self.vstate[self.program.index[node_id]]]

    def grad_state(self, node_id: str) -> str:
        i = self.program.index[node_id]
        if self.grads[i] is None:
            return "none"
        if self.grads_stale:
            return "stale"
        if i == self.program.output or self.received[i] == self.program.users[i] > 0:
            return "final"
        return "accumulating" if self.received[i] else "none"

    def record(self, step: int) -> StepRecord:
        """The record of an applied step (step < cursor)."""
        if not 0 <= step < self.cursor:
            raise IndexError(f"step {step} has not been applied (cursor {self.cursor})")
        rec = self._records[step]
        if rec is None:
            rec = self._batch.record(self, step)
            self._records[step] = rec
        return rec

    @property
    def current(self) -> StepRecord | None:
        """The record of the most recently applied step."""
        return self.record(self.cursor - 1) if self.cursor else None

    def kind(self, step: int) -> str:
        return self.program.kind(step)

    def node_at(self, step: int) -> str:
        return self.program.ids[self.program.node_at(step)]

    # ---- moving ------------------------------------------------------------
    def step(self) -> StepRecord | None:
        if self.cursor >= self.total:
            return None
        k = self.cursor
        kind = self.program.kind(k)
        if kind == FORWARD:
            rec = self._forward(k)
        elif kind == SEED:
            rec = self._seed(k)
        else:
            rec = self._backward(k)
        self._records[k] = rec
        self.cursor = k + 1
        return rec

    def back(self) -> StepRecord | None:
        if self.cursor == 0:
            return None
        rec = self.record(self.cursor - 1)
        i = self.program.node_at(rec.index)
        if rec.kind == FORWARD:
            self.values[i] = rec.value_before
            self.vstate[i] = rec.state_before
        elif rec.kind == SEED:
            grads, received, stale = rec.saved
            self.grads, self.received, self.grads_stale = list(grads), list(received), stale
        else:
            idx = self.program.index
            for f in reversed(rec.flows):
                t = idx[f.target]
                self.grads[t] = f.grad_before
                self.received[t] -= 1
        self.cursor -= 1
        return rec

    def run_to(self, step: int) -> None:
        """Move the cursor so that exactly `step` steps are applied."""
        step = max(0, min(step, self.total))
        if step - self.cursor >= FAST_PATH_MIN_STEPS and fastpath.applies(self):
            fastpath.run(self, step)
        while self.cursor < step:
            self.step()
        if self.cursor - step >= FAST_PATH_MIN_STEPS:
            if step <= self.program.n_forward:
                self._rewind(step)
            elif self._batch is not None and not any(self._records[step:self.cursor]):
                fastpath.rewind_backward(self, step)
        while self.cursor > step:
            self.back()

    def _rewind(self, step: int) -> None:
        """Jump back into the forward phase without undoing records one by one:
        grads come back from the seed step's saved state, values from each forward
        step's value_before. Same result as repeated back(), much cheaper."""
        p = self.program
        f = p.n_forward
        if self.cursor > f:
            grads, received, stale = self.record(f).saved
            self.grads, self.received, self.grads_stale = list(grads), list(received), stale
            self.cursor = f
        batch = self._batch
        for k in range(self.cursor - 1, step - 1, -1):
            i = p.op_nodes[k]
            rec = self._records[k]
            if rec is not None:
                self.values[i], self.vstate[i] = rec.value_before, rec.state_before
            else:
                self.values[i], self.vstate[i] = batch.values_before[i], batch.vstate_before[i]
        self.cursor = step

    def run_to_end(self) -> None:
        self.run_to(self.total)

    def reset(self) -> None:
        self.run_to(0)

    def run_to_node(self, node_id: str, phase: str = FORWARD) -> None:
        """Run until the step about `node_id` in `phase` has been applied."""
        i = self.program.index[node_id]
        if phase == FORWARD:
            k = self.program.forward_step_of(i)
            k = 0 if k is None else k + 1
        else:
            k = self.program.backward_step_of(i)
            k = self.program.n_forward + 1 if k is None else k + 1
        self.run_to(k)

    # ---- editing -----------------------------------------------------------
    def set_leaf(self, node_id: str, value) -> int:
        """Change a leaf; mark what depends on it stale; rewind. Returns the new cursor."""
        p = self.program
        p.graph.set_value(node_id, value)
        i = p.index[node_id]
        self.values[i] = p.graph.nodes[node_id].value
        first, downstream = self._downstream_steps(i)
        self._materialise(0, min(first, self.cursor))
        if self.cursor > first:
            for k in downstream:
                if k < self.cursor:
                    self.vstate[p.op_nodes[k]] = STALE
            if self.cursor > p.n_forward:
                self.grads_stale = True
            for k in range(first, self.total):
                self._records[k] = None
            self.cursor = first
        self._batch = None
        return self.cursor

    def _downstream_steps(self, leaf: int) -> tuple[int, list[int]]:
        """Forward steps of the nodes downstream of `leaf`; the first one (F if none)."""
        p = self.program
        affected = bytearray(len(p.ids))
        affected[leaf] = 1
        steps = []
        for k, n in enumerate(p.op_nodes):
            if any(affected[j] for j in p.inputs[n]):
                affected[n] = 1
                steps.append(k)
        return (steps[0] if steps else p.n_forward), steps

    def _materialise(self, start: int, end: int) -> None:
        if self._batch is not None:
            for k in range(start, end):
                if self._records[k] is None:
                    self._records[k] = self._batch.record(self, k)

    # ---- what stepping back restores ------------------------------------------
    # Numbers left stale by an edit are shown until their step runs again; stepping
    # back over that step then finds the node pending (never the numbers of a value
    # the leaf no longer has, e.g. after an undo).
    def values_before_run(self) -> tuple[list, bytes]:
        """(values, vstate) as a forward run from here records them: stale -> pending."""
        values, vstate = list(self.values), bytes(self.vstate)
        if STALE in vstate:
            for i, st in enumerate(vstate):
                if st == STALE:
                    values[i] = None
            vstate = vstate.replace(bytes([STALE]), bytes([PENDING]))
        return values, vstate

    def grads_before_seed(self) -> tuple:
        """(grads, received, stale) as the seed step saves them: stale -> none yet."""
        if self.grads_stale:
            n = len(self.grads)
            return [None] * n, [0] * n, False
        return self.grads, self.received, self.grads_stale

    # ---- the three kinds of step --------------------------------------------
    def _forward(self, k: int) -> StepRecord:
        p = self.program
        i = p.op_nodes[k]
        ins = [self.values[j] for j in p.inputs[i]]
        with np.errstate(all="ignore"):
            out = OPS[p.ops[i]].forward(ins, p.attrs[i])
        before, state = (None, PENDING) if self.vstate[i] == STALE else (self.values[i], self.vstate[i])
        rec = StepRecord(k, FORWARD, p.ids[i], p.ops[i], tuple(p.ids[j] for j in p.inputs[i]),
                         tuple(ins), out, before, state, attrs=p.attrs[i])
        self.values[i] = out
        self.vstate[i] = COMPUTED
        return rec

    def _seed(self, k: int) -> StepRecord:
        p = self.program
        saved = self.grads_before_seed()
        self.grads = [np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0 for v in self.values]
        out = self.values[p.output]
        self.grads[p.output] = np.ones_like(out) if isinstance(out, np.ndarray) else 1.0
        self.received = [0] * len(p.ids)
        self.grads_stale = False
        return StepRecord(k, SEED, p.ids[p.output], p.ops[p.output], value=out, saved=saved)

    def _backward(self, k: int) -> StepRecord:
        p = self.program
        i = p.node_at(k)
        ins_idx = p.inputs[i]
        ins = [self.values[j] for j in ins_idx]
        op = OPS[p.ops[i]]
        g = self.grads[i]
        with np.errstate(all="ignore"):
            contribs = op.contributions(ins, self.values[i], g, p.attrs[i])
            locs = op.local(ins, self.values[i], p.attrs[i]) if op.local else (None,) * op.arity
        flows = []
        for slot, (j, c) in enumerate(zip(ins_idx, contribs)):
            before = self.grads[j]
            after = before + c
            self.grads[j] = after
            self.received[j] += 1
            flows.append(Flow(p.ids[j], slot, _plain(locs[slot]), g, c, before, after))
        return StepRecord(k, BACKWARD, p.ids[i], p.ops[i], tuple(p.ids[j] for j in ins_idx),
                          tuple(ins), self.values[i], flows=tuple(flows), attrs=p.attrs[i])


def _plain(x):
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return float(x)
    if isinstance(x, np.generic):
        return float(x)
    return x
