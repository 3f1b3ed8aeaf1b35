"""Two more ways people write graphs: seed 003's tape and PyTorch's tensor vocabulary.

Tape (seed 003): ``gt = Tape()``, ``ConstantNode(3., gt)``, ``Add(a, b, gt)``,
``Multiply``, ``Sigmoid``, ``Invert`` (negation) and ``Square``.
PyTorch (read, never imported): ``torch.tensor(v, requires_grad=...)`` and
``torch.Tensor(v)`` leaves (dtype= is accepted; bpstudio always computes in float64),
``torch.sigmoid/tanh/relu/exp/log/sum/mean/matmul``, ``torch.nn.functional``'s
``sigmoid/tanh/relu`` and ``mse_loss`` (reduction 'mean' or 'sum'), ``@``, ``.T``,
``.t()``, ``.sum()``, ``.mean()``, ``.double()``, ``.item()``, ``requires_grad``.
"""
from __future__ import annotations

import ast

import numpy as np

from ...engine.ops import LEAF
from .errors import MAX_ITEMS, TAPE, Num, Rec, Seq, Str
from .expressions import describe
from .torch_more import FUNCTIONAL_MORE, TORCH_AXIS_FUNCTIONS, TorchMore

TAPE_OPS = {"Add": ("add", 2), "Multiply": ("mul", 2), "Sigmoid": ("sigmoid", 1),
            "Invert": ("neg", 1), "Square": ("pow", 1)}
TORCH_UNARY = frozenset({"sigmoid", "tanh", "relu", "exp", "log"})
TORCH_FUNCTIONS = frozenset({"tensor", "Tensor", "sum", "mean", "matmul"}) | TORCH_UNARY \
    | TORCH_AXIS_FUNCTIONS
FUNCTIONAL = frozenset({"mse_loss"}) | TORCH_UNARY - {"exp", "log"} | FUNCTIONAL_MORE


class Dialects(TorchMore):
    """Mixin for the Builder: the tape and torch calls."""

    def is_dialect(self, name: str) -> bool:
        if name in ("Tape", "ConstantNode") or name in TAPE_OPS:
            return True
        head, _, tail = name.rpartition(".")
        return (head == "torch" and tail in TORCH_FUNCTIONS) or \
            (head == "torch.nn.functional" and tail in FUNCTIONAL)

    def dialect_call(self, e: ast.Call, name: str, pos, kws):
        if name == "Tape":
            if pos or kws:
                raise self.err(e, "Tape() takes no arguments")
            return TAPE
        if name == "ConstantNode":
            (v, where), = self.tape_args(e, pos, 1)
            if not isinstance(v, Num):
                raise self.err(where, f"ConstantNode() needs a number, got {describe(v)}",
                               hint=True)
            return self.new(Rec(LEAF, e, value=float(v.value), kind="tape"))
        if name in TAPE_OPS:
            op, arity = TAPE_OPS[name]
            nodes = [self.tape_node(v, w, name) for v, w in self.tape_args(e, pos, arity)]
            return self.new_op(op, nodes, e, **({"exponent": 2} if name == "Square" else {}))
        return self.torch_call(e, name.rpartition(".")[2], pos, kws)

    def tape_args(self, e, pos, arity: int):
        if len(pos) != arity + 1 or pos[-1][0] is not TAPE:
            what = ", ".join(["x", "y"][:arity] + ["tape"])
            raise self.err(e, f"{ast.unparse(e.func)}() takes ({what}) where tape is a Tape()",
                           hint=True)
        return pos[:-1]

    def tape_node(self, v, where, name: str) -> int:
        if not isinstance(v, int):
            raise self.err(where, f"{name}() takes nodes (ConstantNode(...)), got "
                                  f"{describe(v)}", hint=True)
        return v

    # ---- torch -----------------------------------------------------------
    def torch_call(self, e: ast.Call, fn: str, pos, kws):
        if fn in ("tensor", "Tensor"):
            return self.tensor_leaf(e, fn, pos)
        if fn == "mse_loss":
            return self.mse_loss(e, pos, kws)
        if fn in TORCH_AXIS_FUNCTIONS | FUNCTIONAL_MORE or (fn in ("sum", "mean") and
                                                             (len(pos) > 1 or kws)):
            return self.torch_more(e, fn, pos, kws)
        want = 2 if fn == "matmul" else 1
        if len(pos) != want or kws:
            raise self.err(e, f"{ast.unparse(e.func)}() takes {want} tensor argument"
                              f"{'s' if want > 1 else ''} here", hint=True)
        nodes = [self.tensor_node(v, w) for v, w in pos]
        return self.tensor_op(fn, nodes, e)

    def tensor_leaf(self, e, fn, pos) -> int:
        if len(pos) != 1:
            raise self.err(e, f"torch.{fn}() takes one number or (nested) list here",
                           hint=True)
        value = self.tensor_value(*pos[0])
        grad = self.static_flag(e, "requires_grad")
        return self.new(Rec(LEAF, e, value=value, kind="tensor", requires_grad=grad))

    def tensor_value(self, v, where):
        if isinstance(v, Num):
            return float(v.value)
        flat: list = []
        todo = [v]
        while todo:
            x = todo.pop()
            if isinstance(x, Seq) and x.kind in ("list", "tuple"):
                todo.extend(x.items)
            elif isinstance(x, Num):
                flat.append(x.value)
            else:
                raise self.err(where, f"a tensor holds numbers, not {describe(x)}", hint=True)
            if len(flat) > MAX_ITEMS:
                raise self.err(where, f"a tensor of more than {MAX_ITEMS:,} numbers")
        try:
            return np.asarray(_plain(v), dtype=np.float64)
        except ValueError:
            raise self.err(where, "the nested lists are not a rectangular array "
                                  "(of at most 32 dimensions)") from None

    def static_flag(self, e: ast.Call, name: str) -> bool:
        for kw in e.keywords:
            if kw.arg == name:
                if not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool)):
                    raise self.err(kw.value, f"{name}= must be True or False", hint=True)
                return kw.value.value
        return False

    def tensor_node(self, v, where) -> int:
        if isinstance(v, int):
            return v
        raise self.err(where, f"expected a tensor, got {describe(v)}", hint=True)

    def mse_loss(self, e, pos, kws):
        if len(pos) != 2:
            raise self.err(e, "mse_loss() takes (input, target)", hint=True)
        reduction, where = kws.pop("reduction", (Str("mean"), e))
        if kws or not (isinstance(reduction, Str) and reduction.value in ("mean", "sum")):
            raise self.err(where, "mse_loss() supports reduction='mean' or 'sum' only",
                           hint=True)
        nodes = [self.tensor_node(v, w) for v, w in pos]
        return self.new_op("mse" if reduction.value == "mean" else "sse", nodes, e)


def _plain(v):
    """Nested Seq/Num as nested Python lists of numbers (depth is the tensor's rank)."""
    if isinstance(v, Num):
        return v.value
    return [_plain(x) for x in v.items]
