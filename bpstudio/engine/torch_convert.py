"""PyTorch autograd classes -> bpstudio op nodes, one small function per class.

Each converter reads the current autograd node through the Builder (`b.inp(slot,
saved_key)`) and returns the id of the node that holds its forward result.
"""
from __future__ import annotations

from .node import GraphError
from .torch_build import Builder
from .torch_walk import TNode


def _first(b: Builder, key: str = "self") -> str:
    x = b.inp(0, key)
    if x is None:
        raise GraphError(f"{b.cur.cls}: its input is missing")
    return x


def _unary(op: str):
    def conv(b: Builder, t: TNode) -> str:
        return b.op(op, _first(b))
    return conv


def _binary(op: str):
    def conv(b: Builder, t: TNode) -> str:
        return b.op(op, _need(b, 0, "self"), _need(b, 1, "other"))
    return conv


def _need(b: Builder, slot: int, key: str, role: str = "input") -> str:
    x = b.inp(slot, key, role)
    if x is None:
        raise GraphError(f"{b.cur.cls}: PyTorch saved no value for its input {slot} "
                         f"({key}); bpstudio cannot rebuild it")
    return x


def _add_like(sign: float):
    """AddBackward0 / SubBackward0: out = self ± alpha·other (a missing side is solved)."""
    def conv(b: Builder, t: TNode) -> str:
        alpha = t.saved.get("alpha", 1)
        a, c = b.inp(0), b.inp(1)
        op = "add" if sign > 0 else "sub"
        if a is None and c is None:
            raise GraphError(f"{t.cls}: neither input needs a grad")
        if c is None:
            c = b.unknown(lambda out, x: (out - x) * sign / float(alpha))
            out = b.op(op, a, b.scaled(c, alpha))
            b.solved_by(c, out) if alpha in (None, 1) else _refuse_scaled_unknown(t)
            return out
        if a is None:
            a = b.unknown(lambda out, y: out - sign * y)
            out = b.op(op, a, b.scaled(c, alpha))
            b.solved_by(a, out)
            return out
        return b.op(op, a, b.scaled(c, alpha))
    return conv


def _refuse_scaled_unknown(t: TNode):
    raise GraphError(f"{t.cls}: an unsaved constant scaled by alpha={t.saved.get('alpha')} "
                     "cannot be rebuilt")


def _rsub(b: Builder, t: TNode) -> str:
    """RsubBackward1: out = other − alpha·self, `other` a number PyTorch did not keep."""
    alpha = t.saved.get("alpha", 1)
    x = b.scaled(_first(b), alpha)
    c = b.unknown(lambda out, y: out + y)
    out = b.op("sub", c, x)
    b.solved_by(c, out)
    return out


def _rsub0(b: Builder, t: TNode) -> str:
    """RsubBackward0: out = other − alpha·self for two tensors."""
    alpha = t.saved.get("alpha", 1)
    x, y = b.inp(0), b.inp(1)
    if x is None or y is None:
        raise GraphError(f"{t.cls}: a constant side PyTorch did not keep")
    return b.op("sub", y, b.scaled(x, alpha))


def _pow(b: Builder, t: TNode) -> str:
    return b.op("pow", _first(b), exponent=float(t.saved["exponent"]))


def _reciprocal(b: Builder, t: TNode) -> str:
    return b.op("pow", _first(b), exponent=-1.0)


def _leaky(b: Builder, t: TNode) -> str:
    return b.op("leaky_relu", _first(b), slope=float(t.saved["negative_slope"]))


def _mm(b: Builder, t: TNode) -> str:
    return b.op("matmul", _need(b, 0, "self"), _need(b, 1, "mat2"))


def _addmm(b: Builder, t: TNode) -> str:
    """AddmmBackward0 (nn.Linear): out = beta·bias + alpha·(mat1 @ mat2)."""
    bias = b.inp(0)
    if bias is None:
        raise GraphError(f"{t.cls}: a bias that needs no grad is not kept by PyTorch; "
                         "give it requires_grad=True")
    mm = b.op("matmul", _need(b, 1, "mat1"), _need(b, 2, "mat2"))
    return b.op("add", b.scaled(mm, t.saved.get("alpha", 1)),
                b.scaled(bias, t.saved.get("beta", 1)))


def _transpose_2d(b: Builder, t: TNode) -> str:
    x = _first(b)
    if len(t.out_shape) < 2:
        return b.op("reshape", x, shape=list(t.out_shape))
    return b.op("transpose", x, dim0=0, dim1=1)


def _transpose(b: Builder, t: TNode) -> str:
    return b.op("transpose", _first(b), dim0=int(t.saved["dim0"]), dim1=int(t.saved["dim1"]))


def _permute(b: Builder, t: TNode) -> str:
    """A permutation as a few swaps of two axes."""
    x = _first(b)
    dims = [d % len(t.saved["dims"]) for d in t.saved["dims"]]
    cur = list(range(len(dims)))
    for i in range(len(dims)):
        j = cur.index(dims[i])
        if j != i:
            x = b.op("transpose", x, dim0=i, dim1=j)
            cur[i], cur[j] = cur[j], cur[i]
    return x if x != b.inp(0) else b.op("reshape", x, shape=list(t.out_shape))


def _reshape(b: Builder, t: TNode) -> str:
    return b.op("reshape", _first(b), shape=list(t.out_shape))


def _expand(b: Builder, t: TNode) -> str:
    return b.op("expand", _first(b), shape=list(t.out_shape))


def _reduce_dims(op_all: str, op_dim: str):
    """SumBackward1 / MeanBackward1: one single-axis node per reduced axis."""
    def conv(b: Builder, t: TNode) -> str:
        x = _first(b)
        sizes = tuple(t.saved.get("self_sym_sizes", ()))
        dims = t.saved.get("dim") or ()
        dims = sorted({int(d) % max(len(sizes), 1) for d in dims}, reverse=True)
        keep = int(bool(t.saved.get("keepdim", False)))
        if not dims or not sizes:
            return b.op(op_all, x) if not keep else b.op("reshape", b.op(op_all, x),
                                                          shape=list(t.out_shape))
        for d in dims:
            x = b.op(op_dim, x, dim=d, keepdim=keep)
        return x
    return conv


def _mse(b: Builder, t: TNode) -> str:
    y, target = _need(b, 0, "self"), _need(b, 1, "target", "target")
    code = int(t.saved.get("reduction", 1))
    if code == 0:
        return b.op("pow", b.op("sub", y, target), exponent=2.0)
    return b.op("mse" if code == 1 else "sse", y, target)


def _no_weights(t: TNode, *keys: str) -> None:
    for k in keys:
        if t.saved.get(k) is not None:
            raise GraphError(f"{t.cls}: a {k} tensor is not supported yet")


def _bce(op: str):
    def conv(b: Builder, t: TNode) -> str:
        _no_weights(t, "weight", "pos_weight")
        return b.op(op, _need(b, 0, "self"), _need(b, 1, "target", "target"),
                    reduction=int(t.saved.get("reduction", 1)))
    return conv


def _softmax(op: str):
    def conv(b: Builder, t: TNode) -> str:
        return b.op(op, _first(b), dim=int(t.saved["dim"]))
    return conv


def _nll(b: Builder, t: TNode) -> str:
    _no_weights(t, "weight")
    logp = _first(b)
    target = b.inp(1, "target", role="target")
    return b.op("nll_loss", logp, target, reduction=int(t.saved.get("reduction", 1)),
                ignore_index=int(t.saved.get("ignore_index", -100)))


def _dot(b: Builder, t: TNode) -> str:
    return b.op("sum", b.op("mul", _need(b, 0, "self"), _need(b, 1, "tensor")))


CONVERTERS = {
    "AddBackward0": _add_like(1.0), "SubBackward0": _add_like(-1.0),
    "RsubBackward0": _rsub0, "RsubBackward1": _rsub,
    "MulBackward0": _binary("mul"), "DivBackward0": _binary("div"),
    "NegBackward0": _unary("neg"), "PowBackward0": _pow, "ReciprocalBackward0": _reciprocal,
    "ExpBackward0": _unary("exp"), "LogBackward0": _unary("log"),
    "TanhBackward0": _unary("tanh"), "SigmoidBackward0": _unary("sigmoid"),
    "ReluBackward0": _unary("relu"), "LeakyReluBackward0": _leaky,
    "MmBackward0": _mm, "AddmmBackward0": _addmm, "DotBackward0": _dot,
    "TBackward0": _transpose_2d, "TransposeBackward0": _transpose,
    "PermuteBackward0": _permute,
    "ViewBackward0": _reshape, "UnsafeViewBackward0": _reshape, "ReshapeAliasBackward0": _reshape,
    "UnsqueezeBackward0": _reshape, "SqueezeBackward0": _reshape, "SqueezeBackward1": _reshape,
    "SqueezeBackward2": _reshape, "SqueezeBackward3": _reshape, "SqueezeBackward4": _reshape,
    "CloneBackward0": _reshape, "AliasBackward0": _reshape, "ToCopyBackward0": _reshape,
    "ExpandBackward0": _expand,
    "SumBackward0": _unary("sum"), "SumBackward1": _reduce_dims("sum", "sum_dim"),
    "MeanBackward0": _unary("mean"), "MeanBackward1": _reduce_dims("mean", "mean_dim"),
    "MseLossBackward0": _mse,
    "BinaryCrossEntropyBackward0": _bce("bce"),
    "BinaryCrossEntropyWithLogitsBackward0": _bce("bce_logits"),
    "LogSoftmaxBackward0": _softmax("log_softmax"), "SoftmaxBackward0": _softmax("softmax"),
    "NllLossBackward0": _nll,
}


def unsupported(cls: str) -> GraphError:
    known = ", ".join(sorted(CONVERTERS))
    return GraphError(f"PyTorch op {cls} is not supported by bpstudio (supported: "
                      f"AccumulateGrad, {known})")
