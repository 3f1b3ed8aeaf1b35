"""PyTorch calls that need the tensor ops (transpose, sums along an axis, softmax, losses).

Each maps to one op of the table when that op exists (engine/ops_tensor.py), else the
call is refused naming the missing op. ``.T`` / ``.t()`` swap the two axes of a matrix
(a vector or a number is returned as it is, as PyTorch does).
"""
from __future__ import annotations

import numpy as np

from ...engine.ops import OPS
from .errors import Num, Str
from .expressions import describe

TORCH_AXIS_FUNCTIONS = frozenset({"transpose", "softmax", "log_softmax"})
FUNCTIONAL_MORE = frozenset({"softmax", "log_softmax", "leaky_relu", "binary_cross_entropy",
                             "binary_cross_entropy_with_logits"})
_REDUCTION = {"none": 0, "mean": 1, "sum": 2}
_LOSSES = {"binary_cross_entropy": "bce", "binary_cross_entropy_with_logits": "bce_logits"}


class TorchMore:
    """Mixin for the Builder (through Dialects)."""

    TENSOR_METHODS = frozenset({"sum", "mean", "transpose", "softmax", "log_softmax"})

    def transposed(self, node: int, e) -> int:
        ndim = np.ndim(self.recs[node].value)
        if ndim < 2:
            return node
        if ndim > 2:
            raise self.err(e, ".T of a tensor with more than 2 dimensions is not supported",
                           hint=True)
        return self.tensor_op("transpose", [node], e, dim0=0, dim1=1)

    def tensor_method(self, e, node: int, attr: str, pos, kws) -> int:
        return self.torch_more(e, attr, [(node, e.func.value)] + list(pos), kws)

    def torch_more(self, e, fn: str, pos, kws) -> int:
        if not pos:
            raise self.err(e, f"{fn}() needs a tensor", hint=True)
        x = self.tensor_node(*pos[0])
        rest = list(pos[1:])
        if fn == "transpose":
            d0, d1 = (self.whole(*a) for a in self.take(e, fn, rest, kws, ("dim0", "dim1")))
            return self.tensor_op("transpose", [x], e, dim0=d0, dim1=d1)
        if fn in ("sum", "mean"):
            dim, keep = self.take(e, fn, rest, kws, ("dim", "keepdim"), (None, (Num(False), e)))
            return self.tensor_op(f"{fn}_dim", [x], e, dim=self.whole(*dim),
                                  keepdim=int(self.flag(*keep)))
        if fn in ("softmax", "log_softmax"):
            (dim,) = self.take(e, fn, rest, kws, ("dim",))
            return self.tensor_op(fn, [x], e, dim=self.whole(*dim))
        if fn == "leaky_relu":
            (slope,) = self.take(e, fn, rest, kws, ("negative_slope",), ((Num(0.01), e),))
            if not isinstance(slope[0], Num):
                raise self.err(slope[1], "negative_slope must be a number", hint=True)
            return self.tensor_op("leaky_relu", [x], e, slope=float(slope[0].value))
        target, reduction = self.take(e, fn, rest, kws, ("target", "reduction"),
                                      (None, (Str("mean"), e)))
        code = _REDUCTION.get(reduction[0].value) if isinstance(reduction[0], Str) else None
        if code is None:
            raise self.err(reduction[1], "reduction must be 'none', 'mean' or 'sum'", hint=True)
        return self.tensor_op(_LOSSES[fn], [x, self.tensor_node(*target)], e, reduction=code)

    def take(self, e, fn, rest, kws, names, defaults=None):
        """Arguments by position or keyword, in the order of ``names``."""
        defaults = defaults or (None,) * len(names)
        if len(rest) > len(names) or set(kws) - set(names):
            raise self.err(e, f"{fn}() takes ({', '.join(names)}) here", hint=True)
        out = []
        for k, (name, default) in enumerate(zip(names, defaults)):
            got = rest[k] if k < len(rest) else kws.get(name, default)
            if got is None:
                raise self.err(e, f"{fn}() needs {name}=", hint=True)
            out.append(got)
        return out

    def whole(self, v, where) -> int:
        if isinstance(v, Num) and type(v.value) is int:
            return v.value
        raise self.err(where, f"a dimension must be a whole number, got {describe(v)}",
                       hint=True)

    def flag(self, v, where) -> bool:
        if isinstance(v, Num) and type(v.value) is bool:
            return v.value
        raise self.err(where, "expected True or False", hint=True)

    def tensor_op(self, op: str, nodes: list[int], e, **attrs) -> int:
        if op not in OPS:
            raise self.err(e, f"the {op} op is not in bpstudio's op table", hint=True)
        return self.new_op(op, nodes, e, **attrs)
