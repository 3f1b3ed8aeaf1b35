"""Tensor ops a lecture's PyTorch code produces, registered into the one op table.

Reshapes, transposes, reductions along one axis, (log-)softmax and the usual losses.
Each is one table entry like the ops in ops.py: forward, vector-Jacobian product (no
Jacobian is ever formed), formula text and gate signature. Attributes are numbers
(an axis, a flag, a reduction code) except `shape`, a list of whole numbers.
"""
from __future__ import annotations

import numpy as np

from .ops import OPS, Op, _register, _scalar, reduce_to_shape

SHAPE_ATTRS = frozenset({"shape"})          # attributes that hold a list of integers
REDUCTION_NAMES = {0: "none", 1: "mean", 2: "sum"}  # PyTorch's own codes
TENSOR_OPS: list[str] = []
"""Ops here whose meaning depends on axes: the per-row batch evaluator refuses them."""


def attr_ok(name: str, value) -> bool:
    """Is `value` acceptable for attribute `name` (a finite number, or a shape list)?"""
    if name in SHAPE_ATTRS:
        return isinstance(value, (list, tuple)) and all(
            type(v) is int and v >= 0 for v in value)
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and bool(np.isfinite(value)))


def _add(op: Op, axis_bound: bool = True) -> None:
    _register(op)
    if axis_bound:
        TENSOR_OPS.append(op.name)


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _axis(attrs, ndim: int) -> int:
    d = int(attrs["dim"])
    if not -max(ndim, 1) <= d < max(ndim, 1):
        raise ValueError(f"dim {d} is out of range for {ndim} dimension(s)")
    return d % max(ndim, 1)


# ---- leaky relu (elementwise: works everywhere the scalar ops work) --------

def _leaky_fwd(ins, attrs):
    x = ins[0]
    return _scalar(np.where(np.asarray(x) > 0, x, attrs["slope"] * np.asarray(x)))


def _leaky_local(ins, out, attrs):
    return (_scalar(np.where(np.asarray(ins[0]) > 0, 1.0, float(attrs["slope"]))),)


_add(Op("leaky_relu", 1, "leak", _leaky_fwd, "{out} = leaky_relu({a})",
        ("{a}.grad += [{a} > 0 ? 1 : slope] × {out}.grad",),
        "leaky relu is a leaky gate: open (1) for positive input, a trickle (slope) otherwise",
        local=_leaky_local, local_text=("[{a} > 0 ? 1 : slope]",), shape=lambda s, a: s[0],
        attrs=("slope",)), axis_bound=False)


# ---- moving elements around --------------------------------------------------

def _transpose_shape(shapes, attrs):
    s = list(shapes[0])
    i, j = _axis({"dim": attrs["dim0"]}, len(s)), _axis({"dim": attrs["dim1"]}, len(s))
    if len(s) < 2:
        raise ValueError("transpose needs at least two dimensions")
    s[i], s[j] = s[j], s[i]
    return tuple(s)


def _swap(x, attrs):
    return np.swapaxes(_arr(x), int(attrs["dim0"]), int(attrs["dim1"]))


_add(Op("transpose", 1, "ᵀ", lambda i, a: _swap(i[0], a).copy(), "{out} = {a}ᵀ",
        ("{a}.grad += ({out}.grad)ᵀ",), "transpose routes every grad back to its mirrored place",
        vjp=lambda i, o, g, a: [_swap(g, a).copy()], local_text=("(·)ᵀ",),
        shape=_transpose_shape, attrs=("dim0", "dim1")))


def _reshape_shape(shapes, attrs):
    target = tuple(int(n) for n in attrs["shape"])
    if int(np.prod(shapes[0], dtype=np.int64)) != int(np.prod(target, dtype=np.int64)):
        raise ValueError(f"cannot reshape {shapes[0]} into {target}")
    return target


_add(Op("reshape", 1, "⇄", lambda i, a: _scalar(np.reshape(_arr(i[0]), tuple(a["shape"]))),
        "{out} = reshape({a})", ("{a}.grad += reshape({out}.grad back to {a}'s shape)",),
        "reshape only relabels positions: the grad flows back unchanged, reshaped",
        vjp=lambda i, o, g, a: [np.reshape(_arr(g), np.shape(i[0]))],
        local_text=("1 (reshaped)",), shape=_reshape_shape, attrs=("shape",)))


def _expand_shape(shapes, attrs):
    target = tuple(int(n) for n in attrs["shape"])
    if np.broadcast_shapes(shapes[0], target) != target:
        raise ValueError(f"cannot expand {shapes[0]} to {target}")
    return target


_add(Op("expand", 1, "⇉", lambda i, a: np.broadcast_to(_arr(i[0]), tuple(a["shape"])).copy(),
        "{out} = expand({a})", ("{a}.grad += Σ copies of {out}.grad",),
        "expand copies an input: the copies' grads are summed back",
        vjp=lambda i, o, g, a: [reduce_to_shape(g, np.shape(i[0]))],
        local_text=("1 per copy",), shape=_expand_shape, attrs=("shape",)))


# ---- reductions along one axis -------------------------------------------------

def _reduced_shape(shapes, attrs):
    s = list(shapes[0])
    d = _axis(attrs, len(s))
    if not s:
        return ()
    if attrs["keepdim"]:
        s[d] = 1
    else:
        del s[d]
    return tuple(s)


def _sum_dim(x, attrs, mean: bool):
    x = _arr(x)
    if x.ndim == 0:
        return float(x)
    d = _axis(attrs, x.ndim)
    f = np.mean if mean else np.sum
    return _scalar(f(x, axis=d, keepdims=bool(attrs["keepdim"])))


def _sum_dim_vjp(mean: bool):
    def vjp(ins, out, g, attrs):
        x = _arr(ins[0])
        if x.ndim == 0:
            return [g]
        d = _axis(attrs, x.ndim)
        g = _arr(g)
        if not attrs["keepdim"]:
            g = np.expand_dims(g, d)
        full = np.broadcast_to(g, x.shape).copy()
        return [full / x.shape[d] if mean else full]
    return vjp


_add(Op("sum_dim", 1, "Σₖ", lambda i, a: _sum_dim(i[0], a, False), "{out} = Σ_dim {a}",
        ("{a}.grad += {out}.grad copied along the summed axis",),
        "sum along an axis copies each upstream grad to every element it summed",
        vjp=_sum_dim_vjp(False), local_text=("1 per element",), shape=_reduced_shape,
        attrs=("dim", "keepdim")))
_add(Op("mean_dim", 1, "μₖ", lambda i, a: _sum_dim(i[0], a, True), "{out} = mean_dim {a}",
        ("{a}.grad += {out}.grad / n copied along the axis",),
        "mean along an axis copies each upstream grad divided by n to every element",
        vjp=_sum_dim_vjp(True), local_text=("1/n per element",), shape=_reduced_shape,
        attrs=("dim", "keepdim")))


# ---- softmax ---------------------------------------------------------------

def _softmax(x, attrs):
    x = _arr(x)
    d = _axis(attrs, x.ndim)
    if x.ndim == 0:
        return 1.0
    e = np.exp(x - np.max(x, axis=d, keepdims=True))
    return e / np.sum(e, axis=d, keepdims=True)


def _log_softmax(x, attrs):
    x = _arr(x)
    if x.ndim == 0:
        return 0.0
    d = _axis(attrs, x.ndim)
    m = np.max(x, axis=d, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=d, keepdims=True))


def _softmax_vjp(ins, out, g, attrs):
    out, g = _arr(out), _arr(g)
    if out.ndim == 0:
        return [0.0]
    d = _axis(attrs, out.ndim)
    return [out * (g - np.sum(g * out, axis=d, keepdims=True))]


def _log_softmax_vjp(ins, out, g, attrs):
    out, g = _arr(out), _arr(g)
    if out.ndim == 0:
        return [0.0]
    d = _axis(attrs, out.ndim)
    return [g - np.exp(out) * np.sum(g, axis=d, keepdims=True)]


_add(Op("softmax", 1, "sm", lambda i, a: _softmax(i[0], a), "{out} = softmax({a})",
        ("{a}.grad += {out} ⊙ ({out}.grad − Σ {out}.grad ⊙ {out})",),
        "softmax shares: each input's grad is its output times how far its upstream grad "
        "is above the output-weighted average",
        vjp=_softmax_vjp, local_text=("s ⊙ (g − Σ g ⊙ s)",), shape=lambda s, a: s[0],
        attrs=("dim",)))
_add(Op("log_softmax", 1, "lsm", lambda i, a: _log_softmax(i[0], a),
        "{out} = log_softmax({a})",
        ("{a}.grad += {out}.grad − softmax({a}) × Σ {out}.grad",),
        "log-softmax passes the grad through, minus softmax times the total upstream grad",
        vjp=_log_softmax_vjp, local_text=("g − softmax × Σ g",), shape=lambda s, a: s[0],
        attrs=("dim",)))


# ---- losses ------------------------------------------------------------------

def _reduce(per_elem: np.ndarray, attrs, count=None):
    code = int(attrs["reduction"])
    if code == 0:
        return _scalar(per_elem)
    total = float(np.sum(per_elem))
    return total / (np.size(per_elem) if count is None else count) if code == 1 else total


def _upstream(g, shape, attrs, count=None) -> np.ndarray:
    """The upstream grad per element for a reduced (or not) loss."""
    code = int(attrs["reduction"])
    g = np.broadcast_to(_arr(g), shape) if code == 0 else np.full(shape, float(g))
    n = (int(np.prod(shape, dtype=np.int64)) if count is None else count)
    return g / n if code == 1 else g


def _loss_shape(shapes, attrs):
    s = np.broadcast_shapes(*shapes)
    return s if int(attrs["reduction"]) == 0 else ()


def _nll_parts(ins, attrs):
    logp, target = _arr(ins[0]), _arr(ins[1])
    logp2 = logp.reshape(1, -1) if logp.ndim == 1 else logp
    t = target.reshape(-1).astype(np.int64)
    keep = t != int(attrs["ignore_index"])
    return logp2, t, keep


def _nll_fwd(ins, attrs):
    logp2, t, keep = _nll_parts(ins, attrs)
    rows = np.arange(len(t))
    per = np.where(keep, -logp2[rows, np.where(keep, t, 0)], 0.0)
    if int(attrs["reduction"]) == 0:
        return _scalar(per.reshape(np.shape(ins[1])))
    return _reduce(per, attrs, count=max(int(keep.sum()), 0) or np.nan)


def _nll_vjp(ins, out, g, attrs):
    logp2, t, keep = _nll_parts(ins, attrs)
    rows = np.arange(len(t))
    code = int(attrs["reduction"])
    up = np.reshape(_arr(g), -1) if code == 0 else np.full(len(t), float(g))
    if code == 1:
        up = up / max(int(keep.sum()), 1)
    grad = np.zeros_like(logp2)
    grad[rows[keep], t[keep]] = -up[keep]
    return [grad.reshape(np.shape(ins[0])), np.zeros(np.shape(ins[1])) if np.ndim(ins[1])
            else 0.0]


def _nll_shape(shapes, attrs):
    logp, target = shapes
    if len(logp) not in (1, 2) or (len(logp) == 2 and target != logp[:1]) or \
            (len(logp) == 1 and target != ()):
        raise ValueError(f"nll_loss needs log-probabilities (N, C) and targets (N,), "
                         f"got {logp} and {target}")
    return target if int(attrs["reduction"]) == 0 else ()


_add(Op("nll_loss", 2, "NLL", _nll_fwd, "{out} = −mean({a}[{b}])",
        ("{a}.grad += −{out}.grad at each row's target class (÷ n for the mean)",
         "{b}.grad += 0 (class labels are not differentiable)"),
        "negative log-likelihood picks each row's target class and pushes it up",
        vjp=_nll_vjp, local_text=("−1 at the target class", "0"), shape=_nll_shape,
        attrs=("reduction", "ignore_index")))


def _clamped_log(x):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0)


def _bce_fwd(ins, attrs):
    p, t = np.broadcast_arrays(_arr(ins[0]), _arr(ins[1]))
    per = -(t * _clamped_log(p) + (1.0 - t) * _clamped_log(1.0 - p))
    return _reduce(per, attrs)


def _bce_vjp(ins, out, g, attrs):
    p, t = np.broadcast_arrays(_arr(ins[0]), _arr(ins[1]))
    up = _upstream(g, p.shape, attrs)
    gp = up * (p - t) / np.maximum((1.0 - p) * p, 1e-12)
    gt = up * (_clamped_log(1.0 - p) - _clamped_log(p))
    return [reduce_to_shape(gp, np.shape(ins[0])), reduce_to_shape(gt, np.shape(ins[1]))]


_add(Op("bce", 2, "BCE", _bce_fwd, "{out} = −mean({b}·log {a} + (1−{b})·log(1−{a}))",
        ("{a}.grad += ({a} − {b}) / ({a}(1 − {a})) × {out}.grad",
         "{b}.grad += (log(1−{a}) − log {a}) × {out}.grad"),
        "binary cross-entropy pushes each probability towards its 0/1 target",
        vjp=_bce_vjp, local_text=("({a} − {b}) / ({a}(1 − {a}))", "log(1−{a}) − log {a}"),
        shape=_loss_shape, attrs=("reduction",)))


def _bce_logits_fwd(ins, attrs):
    z, t = np.broadcast_arrays(_arr(ins[0]), _arr(ins[1]))
    per = np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return _reduce(per, attrs)


def _bce_logits_vjp(ins, out, g, attrs):
    z, t = np.broadcast_arrays(_arr(ins[0]), _arr(ins[1]))
    up = _upstream(g, z.shape, attrs)
    sig = 1.0 / (1.0 + np.exp(-z))
    return [reduce_to_shape(up * (sig - t), np.shape(ins[0])),
            reduce_to_shape(up * -z, np.shape(ins[1]))]


_add(Op("bce_logits", 2, "BCE", _bce_logits_fwd, "{out} = mean(BCE(σ({a}), {b}))",
        ("{a}.grad += (σ({a}) − {b}) × {out}.grad", "{b}.grad += (−{a}) × {out}.grad"),
        "BCE on logits: each logit's grad is its probability minus its target",
        vjp=_bce_logits_vjp, local_text=("σ({a}) − {b}", "−{a}"), shape=_loss_shape,
        attrs=("reduction",)))

NEW_OPS = tuple(n for n in OPS if n in {"leaky_relu", *TENSOR_OPS})
