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


KINK_OPS = ("relu", "leaky_relu", "max", "abs")   # not differentiable where input (a − b) is 0


@dataclass
class CheckResult:
    node: str
    label: str
    analytic: float | np.ndarray
    numeric: float | np.ndarray
    error: float            # worst element's error
    ok: bool                # agrees, or differs only where the difference straddles a kink
    kink: bool = False      # differs, but x ± eps lies on both sides of a relu/max/abs kink

    @property
    def status(self) -> str:
        if self.kink:
            return "kink: the analytic value is a valid subgradient"
        return "ok" if self.ok else "DIFFERS"


def forward_values(program: Program, leaf_values: dict[int, object]):
    """Every node's value with some leaves replaced; no records, no grads."""
    values = [leaf_values.get(k, program.graph.nodes[nid].value) if op == LEAF else None
              for k, (nid, op) in enumerate(zip(program.ids, program.ops))]
    if is_vectorisable(program):
        vals = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        with np.errstate(all="ignore"):
            fastpath._forward(fastpath.plan_for(program), vals, 0, program.n_forward)
        return vals
    with np.errstate(all="ignore"):
        for n in program.op_nodes:
            ins = [values[j] for j in program.inputs[n]]
            values[n] = OPS[program.ops[n]].forward(ins, program.attrs[n])
    return values


def forward_output(program: Program, leaf_values: dict[int, object]):
    """Evaluate the output with some leaves replaced."""
    vals = forward_values(program, leaf_values)
    out = vals[program.output]
    return float(out) if isinstance(vals, np.ndarray) else out


def _kink_sides(program: Program, vals) -> list:
    """Per relu/max/abs node: which side of its kink it is on (sign of input or a − b)."""
    out = []
    for n in program.op_nodes:
        op = program.ops[n]
        if op not in KINK_OPS:
            continue
        ins = [vals[j] for j in program.inputs[n]]
        with np.errstate(all="ignore"):
            x = np.subtract(ins[0], ins[1]) if op == "max" else ins[0]
        out.append(np.sign(x))
    return out


def _straddles(program: Program, hi_vals, lo_vals) -> bool:
    """True when x + eps and x − eps put some kink node on different sides (or one on it)."""
    hi, lo = _kink_sides(program, hi_vals), _kink_sides(program, lo_vals)
    return any(np.any(np.asarray(a) != np.asarray(b)) for a, b in zip(hi, lo))


def numeric_grad(program: Program, leaf: int, eps: float) -> float | np.ndarray:
    return _numeric(program, leaf, eps)[0]


def _difference(program: Program, leaf: int, plus, minus, eps: float, kinky: bool):
    """One central difference and whether x ± eps straddles a kink (two forward passes)."""
    hi, lo = forward_values(program, {leaf: plus}), forward_values(program, {leaf: minus})
    with np.errstate(all="ignore"):
        num = (float(np.sum(hi[program.output])) - float(np.sum(lo[program.output]))) / (2 * eps)
    return num, kinky and _straddles(program, hi, lo)


def _numeric(program: Program, leaf: int, eps: float):
    """(central differences, per element: does x ± eps straddle a kink)."""
    base = program.graph.nodes[program.ids[leaf]].value
    kinky = any(o in KINK_OPS for o in program.ops)
    if not isinstance(base, np.ndarray):
        return _difference(program, leaf, base + eps, base - eps, eps, kinky)
    out = np.zeros_like(base)
    kink = np.zeros(base.shape, dtype=bool)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        out[idx], kink[idx] = _difference(program, leaf, plus, minus, eps, kinky)
    return out, kink


def check_gradients(graph: Graph, eps: float = 1e-6, tol: float = 1e-6) -> list[CheckResult]:
    """Compare every leaf's analytic grad with central differences; a leaf that differs
    only where x ± eps straddles a kink is reported as a kink, not a failure."""
    program = compile_graph(graph)
    stepper = Stepper(program)
    stepper.run_to_end()
    results = []
    for k, (nid, op) in enumerate(zip(program.ids, program.ops)):
        if op != LEAF:
            continue
        analytic = stepper.grads[k]
        numeric, kink = _numeric(program, k, eps)
        with np.errstate(all="ignore"):
            diff = np.abs(np.subtract(analytic, numeric))
            scale = np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numeric)))
            errs = np.where(diff == 0, 0.0, diff / scale)     # inf − inf agreeing is 0
        bad = ~(errs <= tol)
        err = float(np.max(errs))
        at_kink = bool(np.any(bad) and np.all(np.asarray(kink)[bad] if np.ndim(kink)
                                                 else kink))
        results.append(CheckResult(nid, graph.nodes[nid].label, analytic, numeric, err,
                                   bool(not np.any(bad)) or at_kink, at_kink))
    return results
