"""The op table: one entry per operation.

Each entry knows its forward function, the local derivative of its output with
respect to each input (elementwise ops) or its vector-Jacobian product (tensor
ops, where a Jacobian is never formed), the shape rule, the formula a student
reads, and its gate signature. Values are Python floats or float64 arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

Array = np.ndarray


def as_value(x: Any) -> float | Array:
    """Normalise a number or nested list to a float or a float64 array."""
    if isinstance(x, np.ndarray):
        return x.astype(np.float64, copy=False) if x.ndim else float(x)
    if isinstance(x, (list, tuple)):
        return np.asarray(x, dtype=np.float64)
    return float(x)


def _scalar(x):
    """Turn numpy 0-d results back into Python floats."""
    return float(x) if np.ndim(x) == 0 else x


def reduce_to_shape(g, shape: tuple) -> float | Array:
    """Sum a broadcast gradient back down to an input's shape."""
    if np.shape(g) == shape:
        return _scalar(g)
    g = np.asarray(g, dtype=np.float64)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return _scalar(g.reshape(shape))


# ---- shape rules -----------------------------------------------------------

def _broadcast(shapes, attrs):
    return np.broadcast_shapes(*shapes)


def _same(shapes, attrs):
    return shapes[0]


def _to_scalar(shapes, attrs):
    return ()


def _pair_to_scalar(shapes, attrs):
    np.broadcast_shapes(*shapes)
    return ()


def _matmul_shape(shapes, attrs):
    a, b = shapes
    if len(a) != 2 or len(b) != 2:
        raise ValueError(f"matmul needs two matrices, got shapes {a} and {b}")
    if a[1] != b[0]:
        raise ValueError(f"matmul shapes {a} and {b} do not line up")
    return (a[0], b[1])


# ---- the table -------------------------------------------------------------

@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    symbol: str                       # short text drawn on the edge/op circle
    forward: Callable                 # (ins, attrs) -> value
    formula: str                      # forward formula, e.g. "{out} = {a} × {b}"
    grad_formulas: tuple[str, ...]    # per input, e.g. "{a}.grad += {b}.data × {out}.grad"
    gate: str                         # gate signature in words
    local: Callable | None = None     # (ins, out, attrs) -> per-input local derivatives
    vjp: Callable | None = None       # (ins, out, g, attrs) -> per-input contributions
    local_text: tuple[str, ...] = ()  # local derivative in words, per input
    shape: Callable = _broadcast
    composite: bool = False
    attrs: tuple[str, ...] = field(default=())

    def contributions(self, ins, out, g, attrs):
        """Upstream grad g times the local derivative, reduced to each input's shape."""
        if self.vjp is not None:
            return [_scalar(c) for c in self.vjp(ins, out, g, attrs)]
        locs = self.local(ins, out, attrs)
        return [reduce_to_shape(g * loc, np.shape(x)) for loc, x in zip(locs, ins)]


OPS: dict[str, Op] = {}


def _register(op: Op) -> Op:
    OPS[op.name] = op
    return op


def _u(fn):
    """Unary numpy function that returns floats for float input (IEEE, no warnings)."""
    def forward(ins, attrs):
        with np.errstate(all="ignore"):
            return _scalar(fn(ins[0]))
    return forward


def ieee_div(a, b):
    """a / b by IEEE rules on every path: ±inf or nan for a zero divisor, never
    ZeroDivisionError (Python floats raise; numpy does not)."""
    with np.errstate(all="ignore"):
        return _scalar(np.divide(a, b))


def _div_local(ins, out, attrs):
    a, b = ins
    with np.errstate(all="ignore"):
        return (_scalar(np.divide(1.0, b)), _scalar(np.divide(np.negative(a), np.multiply(b, b))))


def _sigmoid(x):
    with np.errstate(all="ignore"):
        return 1.0 / (1.0 + np.exp(np.negative(x)))


def _max_fwd(ins, attrs):
    a, b = ins
    return _scalar(np.where(np.asarray(a) >= np.asarray(b), a, b))


def _relu_fwd(ins, attrs):
    x = ins[0]
    return _scalar(np.where(np.asarray(x) > 0, x, 0.0))


def _pow_fwd(ins, attrs):
    with np.errstate(all="ignore"):
        return _scalar(np.power(ins[0], attrs["exponent"]))


def _pow_local(ins, out, attrs):
    k = attrs["exponent"]
    with np.errstate(all="ignore"):
        return (_scalar(np.multiply(k, np.power(ins[0], k - 1))),)


def _matmul_vjp(ins, out, g, attrs):
    a, b = ins
    return [g @ b.T, a.T @ g]


def _sum_vjp(ins, out, g, attrs):
    x = ins[0]
    return [np.full(np.shape(x), g) if np.ndim(x) else g]


def _mean_vjp(ins, out, g, attrs):
    x = ins[0]
    n = np.size(x)
    return [np.full(np.shape(x), g / n) if np.ndim(x) else g]


def _sq_err_vjp(scale_by_size: bool):
    def vjp(ins, out, g, attrs):
        y, t = ins
        diff = np.subtract(y, t)
        k = 2.0 / np.size(diff) if scale_by_size else 2.0
        local = k * diff
        return [reduce_to_shape(g * local, np.shape(y)),
                reduce_to_shape(g * -local, np.shape(t))]
    return vjp


_register(Op("add", 2, "+", lambda i, a: i[0] + i[1], "{out} = {a} + {b}",
             ("{a}.grad += 1 × {out}.grad", "{b}.grad += 1 × {out}.grad"),
             "add distributes: each input gets the upstream grad unchanged",
             local=lambda i, o, a: (1.0, 1.0), local_text=("1", "1")))
_register(Op("sub", 2, "−", lambda i, a: i[0] - i[1], "{out} = {a} − {b}",
             ("{a}.grad += 1 × {out}.grad", "{b}.grad += (−1) × {out}.grad"),
             "sub distributes, flipping the sign for the right input",
             local=lambda i, o, a: (1.0, -1.0), local_text=("1", "−1")))
_register(Op("neg", 1, "−", lambda i, a: -i[0], "{out} = −{a}",
             ("{a}.grad += (−1) × {out}.grad",), "neg flips the sign",
             local=lambda i, o, a: (-1.0,), local_text=("−1",)))
_register(Op("mul", 2, "×", lambda i, a: i[0] * i[1], "{out} = {a} × {b}",
             ("{a}.grad += {b}.data × {out}.grad", "{b}.grad += {a}.data × {out}.grad"),
             "mul swaps: each input's local derivative is the other input",
             local=lambda i, o, a: (i[1], i[0]), local_text=("{b}.data", "{a}.data")))
_register(Op("div", 2, "÷", lambda i, a: ieee_div(i[0], i[1]), "{out} = {a} ÷ {b}",
             ("{a}.grad += (1 / {b}.data) × {out}.grad",
              "{b}.grad += (−{a}.data / {b}.data²) × {out}.grad"),
             "div scales by 1/b and pushes b the opposite way",
             local=_div_local,
             local_text=("1 / {b}", "−{a} / {b}²")))
_register(Op("pow", 1, "^", _pow_fwd, "{out} = {a} ^ {k}",
             ("{a}.grad += ({k} × {a}.data^({k}−1)) × {out}.grad",),
             "pow scales by k·a^(k−1)",
             local=_pow_local,
             local_text=("{k} × {a}^({k}−1)",), shape=_same, attrs=("exponent",)))
_register(Op("exp", 1, "exp", _u(np.exp), "{out} = exp({a})",
             ("{a}.grad += {out}.data × {out}.grad",), "exp passes its own output as local derivative",
             local=lambda i, o, a: (o,), local_text=("exp({a})",), shape=_same))
_register(Op("log", 1, "log", _u(np.log), "{out} = log({a})",
             ("{a}.grad += (1 / {a}.data) × {out}.grad",), "log scales by 1/a",
             local=lambda i, o, a: (ieee_div(1.0, i[0]),), local_text=("1 / {a}",),
             shape=_same))
_register(Op("tanh", 1, "tanh", _u(np.tanh), "{out} = tanh({a})",
             ("{a}.grad += (1 − {out}.data²) × {out}.grad",), "tanh scales by 1 − tanh²",
             local=lambda i, o, a: (1.0 - o * o,), local_text=("1 − {out}²",), shape=_same,
             composite=True))
_register(Op("sigmoid", 1, "σ", _u(_sigmoid), "{out} = σ({a})",
             ("{a}.grad += {out}.data × (1 − {out}.data) × {out}.grad",),
             "sigmoid scales by σ(1 − σ)",
             local=lambda i, o, a: (o * (1.0 - o),), local_text=("{out} × (1 − {out})",),
             shape=_same, composite=True))
_register(Op("relu", 1, "ReLU", _relu_fwd, "{out} = relu({a})",
             ("{a}.grad += [{a}.data > 0] × {out}.grad",),
             "relu is a gate: open (1) when its input is positive, shut (0) otherwise",
             local=lambda i, o, a: (_scalar(np.asarray(o) > 0) * 1.0,), local_text=("[{a} > 0]",),
             shape=_same))
_register(Op("max", 2, "max", _max_fwd, "{out} = max({a}, {b})",
             ("{a}.grad += [{a} ≥ {b}] × {out}.grad", "{b}.grad += [{a} < {b}] × {out}.grad"),
             "max routes: the whole grad goes to the larger input, none to the other",
             local=lambda i, o, a: (_scalar(np.asarray(i[0]) >= np.asarray(i[1])) * 1.0,
                                    _scalar(np.asarray(i[0]) < np.asarray(i[1])) * 1.0),
             local_text=("[{a} ≥ {b}]", "[{a} < {b}]")))
_register(Op("sum", 1, "Σ", lambda i, a: float(np.sum(i[0])), "{out} = Σ {a}",
             ("{a}.grad += 1 × {out}.grad (every element)",),
             "sum copies the upstream grad to every element",
             vjp=_sum_vjp, local_text=("1 per element",), shape=_to_scalar))
_register(Op("mean", 1, "mean", lambda i, a: float(np.mean(i[0])), "{out} = mean({a})",
             ("{a}.grad += (1/n) × {out}.grad (every element)",),
             "mean copies the upstream grad divided by n to every element",
             vjp=_mean_vjp, local_text=("1/n per element",), shape=_to_scalar))
_register(Op("matmul", 2, "@", lambda i, a: i[0] @ i[1], "{out} = {a} @ {b}",
             ("{a}.grad += {out}.grad @ {b}.dataᵀ", "{b}.grad += {a}.dataᵀ @ {out}.grad"),
             "matmul swaps and transposes: grad_A = G·Bᵀ, grad_B = Aᵀ·G (no Jacobian formed)",
             vjp=_matmul_vjp, local_text=("(·) @ {b}ᵀ", "{a}ᵀ @ (·)"), shape=_matmul_shape))
_register(Op("sse", 2, "SSE", lambda i, a: float(np.sum(np.square(np.subtract(i[0], i[1])))),
             "{out} = Σ ({a} − {b})²",
             ("{a}.grad += 2({a} − {b}) × {out}.grad", "{b}.grad += −2({a} − {b}) × {out}.grad"),
             "squared error pushes the prediction towards the target",
             vjp=_sq_err_vjp(False), local_text=("2({a} − {b})", "−2({a} − {b})"),
             shape=_pair_to_scalar, composite=True))
_register(Op("mse", 2, "MSE", lambda i, a: float(np.mean(np.square(np.subtract(i[0], i[1])))),
             "{out} = mean(({a} − {b})²)",
             ("{a}.grad += (2/n)({a} − {b}) × {out}.grad",
              "{b}.grad += −(2/n)({a} − {b}) × {out}.grad"),
             "mean squared error pushes the prediction towards the target",
             vjp=_sq_err_vjp(True), local_text=("(2/n)({a} − {b})", "−(2/n)({a} − {b})"),
             shape=_pair_to_scalar, composite=True))

LEAF = "leaf"
ELEMENTWISE = frozenset(n for n, op in OPS.items() if op.local is not None)
