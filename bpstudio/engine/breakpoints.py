"""Breakpoints and watches: run until a node's step, or until a number looks wrong.

A breakpoint on a node stops a run right after that node's step (forward or
backward) has been applied, so it is the current step on screen. Watches stop a
run (or a training) on a non-finite value or grad, or a grad whose size is above
or below a threshold (exploding / vanishing gradients).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .records import StepRecord

WATCH_KINDS = ("nonfinite", "grad_above", "grad_below")


@dataclass(frozen=True)
class Watch:
    kind: str                   # one of WATCH_KINDS
    threshold: float = 0.0

    def hit(self, rec: StepRecord) -> str | None:
        """A reason to stop after this step, or None."""
        if self.kind == "nonfinite":
            if rec.kind == "forward" and not np.all(np.isfinite(rec.value)):
                return f"{rec.node} = {rec.value} is not finite"
            for f in rec.flows:
                if not np.all(np.isfinite(f.grad_after)):
                    return f"{f.target}.grad is not finite"
            return None
        for f in rec.flows:
            size = float(np.max(np.abs(f.grad_after)))
            if self.kind == "grad_above" and size > self.threshold:
                return f"|{f.target}.grad| = {size:.3g} > {self.threshold:g}"
            if self.kind == "grad_below" and size < self.threshold:
                return f"|{f.target}.grad| = {size:.3g} < {self.threshold:g}"
        return None


@dataclass(frozen=True)
class Stop:
    step: int                   # the step just applied
    node: str
    reason: str


def run_until(stepper, target: int, breakpoints=(), watches=()) -> Stop | None:
    """Step towards `target`; stop early at a breakpoint node or a watch. Returns why."""
    target = max(0, min(target, stepper.total))
    if target <= stepper.cursor:
        stepper.run_to(target)
        return None
    breakpoints = set(breakpoints)
    if not watches:
        first = _first_breakpoint_step(stepper, target, breakpoints)
        stepper.run_to(target if first is None else first + 1)
        if first is None:
            return None
        node = stepper.node_at(first)
        return Stop(first, node, f"breakpoint on {stepper.labels[node]}")
    while stepper.cursor < target:
        rec = stepper.step()
        if rec.kind != "seed" and rec.node in breakpoints:
            return Stop(rec.index, rec.node, f"breakpoint on {stepper.labels[rec.node]}")
        for w in watches:
            why = w.hit(rec)
            if why:
                return Stop(rec.index, rec.node, why)
    return None


def _first_breakpoint_step(stepper, target: int, breakpoints: set[str]) -> int | None:
    p = stepper.program
    steps = []
    for nid in breakpoints:
        i = p.index.get(nid)
        if i is None:
            continue
        for k in (p.forward_step_of(i), p.backward_step_of(i)):
            if k is not None and stepper.cursor <= k < target:
                steps.append(k)
    return min(steps) if steps else None
