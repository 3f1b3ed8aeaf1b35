"""Numerical gradient check: central differences in float64.

For every leaf element x: numeric = (f(x + eps) − f(x − eps)) / (2 eps), compared
with the stepper's analytic grad by  |analytic − numeric| / max(1, |analytic|, |numeric|)
(relative for large gradients, absolute near zero, where a relative error means nothing).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import fastpath
from .graph import Graph
from .ops import LEAF, OPS
from .program import Program, compile_graph, is_vectorisable
from .stepper import Stepper


@dataclass
class CheckResult:
    node: str
    label: str
    analytic: float | np.ndarray
    numeric: float | np.ndarray
    error: float            # worst element's error
    ok: bool


def forward_output(program: Program, leaf_values: dict[int, object]):
    """Evaluate the output with some leaves replaced; no records, no grads."""
    values = [leaf_values.get(k, program.graph.nodes[nid].value) if op == LEAF else None
              for k, (nid, op) in enumerate(zip(program.ids, program.ops))]
    if is_vectorisable(program):
        vals = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        with np.errstate(all="ignore"):
            fastpath._forward(fastpath.plan_for(program), vals, 0, program.n_forward)
        return float(vals[program.output])
    with np.errstate(all="ignore"):
        for n in program.op_nodes:
            ins = [values[j] for j in program.inputs[n]]
            values[n] = OPS[program.ops[n]].forward(ins, program.attrs[n])
    return values[program.output]


def numeric_grad(program: Program, leaf: int, eps: float) -> float | np.ndarray:
    base = program.graph.nodes[program.ids[leaf]].value
    if not isinstance(base, np.ndarray):
        hi = forward_output(program, {leaf: base + eps})
        lo = forward_output(program, {leaf: base - eps})
        return float(np.sum(hi) - np.sum(lo)) / (2 * eps)
    out = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        out[idx] = (np.sum(forward_output(program, {leaf: plus}))
                    - np.sum(forward_output(program, {leaf: minus}))) / (2 * eps)
    return out


def check_gradients(graph: Graph, eps: float = 1e-6, tol: float = 1e-6) -> list[CheckResult]:
    """Compare every leaf's analytic grad with central differences."""
    program = compile_graph(graph)
    stepper = Stepper(program)
    stepper.run_to_end()
    results = []
    for k, (nid, op) in enumerate(zip(program.ids, program.ops)):
        if op != LEAF:
            continue
        analytic = stepper.grads[k]
        numeric = numeric_grad(program, k, eps)
        diff = np.abs(np.subtract(analytic, numeric))
        scale = np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numeric)))
        err = float(np.max(diff / scale))
        results.append(CheckResult(nid, graph.nodes[nid].label, analytic, numeric, err,
                                   bool(err <= tol)))
    return results
