"""Calls and attributes: Value(...), built-ins, math, methods on nodes, skipped calls.

Tape and PyTorch vocabulary live in dialects.py; each call here is recognised by
name and its arguments are checked before anything is evaluated.
"""
from __future__ import annotations

import ast
import math

import numpy as np

from ...engine.ops import LEAF
from .errors import Module, Num, Opaque, Rec, Seq, Str
from .expressions import MATH_CONSTANTS, describe

IGNORED_CALLS = frozenset({"print", "draw_dot", "display", "get_ipython", "trace", "plot",
                           "show_graph", "clear_output"})
IGNORED_MODULES = ("matplotlib", "plt", "graphviz", "IPython", "random", "numpy.random",
                   "torch.manual_seed", "torch.set_printoptions", "np.random")
UNARY_METHODS = frozenset({"tanh", "relu", "exp", "log", "sigmoid"})
MATH_FUNCTIONS = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt,
                  "sin": math.sin, "cos": math.cos, "fabs": math.fabs, "log2": math.log2,
                  "log10": math.log10}
_BUILTINS = frozenset({"range", "zip", "enumerate", "sum", "len", "list", "tuple", "float",
                       "int", "abs"})
KNOWN_MODULES = {"math": "math", "torch": "torch", "np": "numpy", "numpy": "numpy",
                 "F": "torch.nn.functional", "nn": "torch.nn", "plt": "matplotlib.pyplot"}


class Calls:
    """Mixin for the Builder: callees, call arguments and attribute reads."""

    # ---- names and paths -------------------------------------------------
    def static_path(self, e) -> str | None:
        """``torch.nn.functional.mse_loss`` for a dotted name rooted at a module, else None."""
        parts = []
        while isinstance(e, ast.Attribute):
            parts.append(e.attr)
            e = e.value
        if not isinstance(e, ast.Name) or e.id in self.env:
            return None
        root = self.modules.get(e.id) or KNOWN_MODULES.get(e.id)
        if root is None:
            return None
        return ".".join([root] + parts[::-1])

    def callee(self, f: ast.expr) -> str | None:
        """The dotted or bare name of a function that is not a method on a value."""
        if isinstance(f, ast.Name):
            if f.id in self.env:
                return None
            return self.modules.get(f.id, f.id)
        if isinstance(f, ast.Attribute):
            return self.static_path(f)
        return None

    def ignored_chain(self, e: ast.expr) -> bool:
        """A call chain rooted at a skipped call or object: draw_dot(o).render(...)."""
        while isinstance(e, (ast.Call, ast.Attribute, ast.Subscript)):
            if isinstance(e, ast.Call):
                name = self.callee(e.func)
                if name is not None and (name.rsplit(".", 1)[-1] in IGNORED_CALLS
                                         or name.startswith(IGNORED_MODULES)):
                    return True
                e = e.func
            else:
                e = e.value
        if isinstance(e, ast.Name):
            if isinstance(self.env.get(e.id), Opaque):
                return True
            path = self.modules.get(e.id) or KNOWN_MODULES.get(e.id, "")
            return e.id not in self.env and path.startswith(IGNORED_MODULES)
        return False

    # ---- arguments to evaluate first -------------------------------------
    def call_children(self, e: ast.Call) -> list[ast.expr]:
        if self.ignored_chain(e):
            self.skipped_calls.add(e)
            return []
        for kw in e.keywords:
            if kw.arg is None:
                raise self.err(kw, f"unsupported argument ** {self.call_name(e)}", hint=True)
        for a in e.args:
            if isinstance(a, ast.Starred):
                raise self.err(a, "unsupported argument *", hint=True)
        name = self.callee(e.func)
        if name is None:
            if not isinstance(e.func, ast.Attribute):
                raise self.err(e, "unsupported call", hint=True)
            base = [e.func.value]
        else:
            self.check_function(name, e)
            base = []
        return base + list(e.args) + [kw.value for kw in e.keywords
                                      if kw.arg not in self.STATIC_KEYWORDS]

    STATIC_KEYWORDS = frozenset({"requires_grad", "dtype", "device", "retain_graph"})

    def call_name(self, e: ast.Call) -> str:
        name = self.callee(e.func)
        return f"({name}())" if name else ""

    def check_function(self, name: str, e: ast.Call) -> None:
        bare = name.rsplit(".", 1)[-1]
        if name in ("Value", "micrograd.engine.Value") or name.endswith(".Value"):
            self.check_value_call(e)
        elif name in self.user_functions:
            raise self.err(e.func, f"calling {name}(), a function defined in the snippet, "
                                   "is not supported", hint=True)
        elif name in self.user_classes:
            raise self.err(e.func, f"{name}(...) makes an object of a class defined in the "
                                   "snippet", hint=True)
        elif name.startswith("math."):
            if bare not in MATH_FUNCTIONS:
                raise self.err(e.func, f"unsupported math function {name}()", hint=True)
        elif not (name in _BUILTINS or self.is_dialect(name)):
            raise self.err(e.func, f"unsupported call: {name}()", hint=True)

    def check_value_call(self, e: ast.Call) -> None:
        if len(e.args) > 1:
            raise self.err(e.args[1], "Value() takes one number and an optional label=",
                           hint=True)
        for kw in e.keywords:
            if kw.arg not in ("data", "label"):
                raise self.err(kw, f"unsupported Value() argument {kw.arg}= "
                                   "(only data= and label=)", hint=True)
        if len(e.args) + sum(kw.arg == "data" for kw in e.keywords) != 1:
            raise self.err(e, "Value() needs a number, e.g. Value(2.0) or Value(data=2.0)")

    # ---- the call itself -------------------------------------------------
    def call(self, e: ast.Call, args: list):
        if e in self.skipped_calls:
            return Opaque(f"{ast.unparse(e.func)}(...)")
        name = self.callee(e.func)
        if name is None:
            pos, kws = self.split_args(e, args[1:])
            return self.method(e, args[0], pos, kws)
        pos, kws = self.split_args(e, args)
        bare = name.rsplit(".", 1)[-1]
        if name in ("Value", "micrograd.engine.Value") or name.endswith(".Value"):
            return self.value_leaf(e, pos, kws)
        if name.startswith("math."):
            return self.math_call(e, bare, pos)
        if name in _BUILTINS:
            return self.builtin(e, name, pos, kws)
        return self.dialect_call(e, name, pos, kws)

    def split_args(self, e: ast.Call, args: list):
        pos = args[:len(e.args)]
        rest = iter(args[len(e.args):])
        kws = {kw.arg: next(rest) for kw in e.keywords if kw.arg not in self.STATIC_KEYWORDS}
        return pos, kws

    def value_leaf(self, e, pos, kws) -> int:
        data, where = pos[0] if pos else kws["data"]
        if not isinstance(data, Num):
            raise self.err(where, f"Value() needs a number, e.g. Value(2.0); got {describe(data)}",
                           hint=True)
        label = None
        if "label" in kws:
            label, lwhere = kws["label"]
            if not isinstance(label, Str):
                raise self.err(lwhere, "label= must be a string", hint=True)
            label = label.value
        return self.new(Rec(LEAF, e, value=float(data.value), label=label, kind="value"))

    def math_call(self, e, bare, pos):
        if len(pos) != 1:
            raise self.err(e, f"math.{bare}() takes one number", hint=True)
        v, where = pos[0]
        if not isinstance(v, Num):
            hint = f"; use .{bare}() on a Value" if bare in UNARY_METHODS else ""
            raise self.err(where, f"math.{bare}() of {describe(v)} is not supported{hint}",
                           hint=True)
        try:
            return self.number(MATH_FUNCTIONS[bare](v.value), e)
        except (ValueError, OverflowError) as exc:
            raise self.err(e, f"math.{bare}({v.value!r}): {exc}") from None

    def builtin(self, e, name, pos, kws):
        vals = [v for v, _ in pos]
        if not pos and name not in ("list", "tuple", "zip"):
            raise self.err(e, f"{name}() needs an argument here", hint=True)
        if name == "range":
            ints = [self.index(p) for p in pos]
            if not 1 <= len(ints) <= 3 or (len(ints) == 3 and ints[2] == 0):
                raise self.err(e, "range() takes 1 to 3 whole numbers (step not 0)")
            return Seq(range(*ints), "range")
        if name == "zip":
            seqs = [self.materialise(v, w) for v, w in pos]
            n = min((len(s) for s in seqs), default=0)
            return Seq([Seq([s[i] for s in seqs], "tuple") for i in range(n)], "list")
        if name == "enumerate":
            items = self.materialise(*pos[0])
            start = self.index(pos[1] if len(pos) > 1 else kws.get("start", (Num(0), e)))
            return Seq([Seq([Num(start + i), v], "tuple") for i, v in enumerate(items)], "list")
        if name == "sum":
            return self.sum_of(e, pos, kws)
        if name in ("list", "tuple"):
            return Seq(self.materialise(*pos[0]) if pos else [], name)
        if name == "len":
            return Num(len(self.materialise(*pos[0])))
        if len(vals) != 1 or not isinstance(vals[0], Num):
            raise self.err(e, f"{name}() takes one plain number here", hint=True)
        fn = {"float": float, "int": int, "abs": abs}[name]
        return self.number(fn(vals[0].value), e)

    def materialise(self, v, where) -> list:
        if isinstance(v, Seq) and v.kind == "range":
            self.bounded(v.items, where)
        return list(self.iterate(v, where))

    def sum_of(self, e, pos, kws):
        if not pos:
            raise self.err(e, "sum() needs an iterable")
        acc = pos[1] if len(pos) > 1 else kws.get("start", (Num(0), e))
        for item in self.iterate(*pos[0]):
            self.count_iteration(e)
            fake = ast.copy_location(ast.BinOp(left=e, op=ast.Add(), right=e), e)
            acc = (self.binop(fake, acc, (item, e)), e)
        return acc[0]

    # ---- methods and attributes ------------------------------------------
    def method(self, e: ast.Call, base, pos, kws):
        v, where = base
        attr = e.func.attr
        if isinstance(v, Seq) and v.kind == "list" and attr == "append":
            if len(pos) != 1 or kws:
                raise self.err(e, "append() takes one value")
            v.items.append(pos[0][0])
            self.bounded(v.items, e)
            return Opaque("None")
        if isinstance(v, Opaque):
            return Opaque(f"{v.what}.{attr}(...)")
        if not isinstance(v, int):
            raise self.err(e.func, f"unsupported method .{attr}() on {describe(v)}", True,
                           hint=True)
        return self.node_method(e, v, attr, pos, kws)

    def node_method(self, e, node: int, attr: str, pos, kws):
        if attr == "backward":
            raise self.err(e.func, "backward() must be a statement of its own: X.backward()",
                           True)
        if attr in ("double", "float", "requires_grad_", "retain_grad") and not pos:
            if attr == "requires_grad_":
                self.recs[node].requires_grad = True
            return node
        if attr == "item" and not pos:
            return self.data_of(node, e)
        if attr == "pow" and len(pos) == 1:
            fake = ast.copy_location(ast.BinOp(left=e.func.value, op=ast.Pow(),
                                               right=e.args[0]), e)
            return self.binop(fake, (node, e.func.value), pos[0])
        if attr in self.TENSOR_METHODS and (pos or kws):
            return self.tensor_method(e, node, attr, pos, kws)
        if attr in ("t", "sum", "mean") or attr in UNARY_METHODS:
            if pos or kws:
                where = (e.args or e.keywords)[0]
                raise self.err(where, f".{attr}() takes no arguments", hint=True)
            if attr == "t":
                return self.transposed(node, e)
            return self.tensor_op(attr, [node], e)
        if attr in self.TENSOR_METHODS:
            return self.tensor_method(e, node, attr, pos, kws)
        raise self.err(e.func, f"unsupported method .{attr}()", True, hint=True)

    def attribute(self, e: ast.Attribute, base):
        path = self.static_path(e)
        if path is not None:
            if path.startswith("math.") and e.attr in MATH_CONSTANTS:
                return Num(MATH_CONSTANTS[e.attr])
            if path.startswith("torch.") and e.attr.startswith(("float", "double")):
                return Opaque(path)
            return Module(path)
        if isinstance(base, Opaque):
            return Opaque(f"{base.what}.{e.attr}")
        if isinstance(base, int):
            if e.attr == "data":
                return self.data_of(base, e)
            if e.attr in ("grad", "gradient"):
                return self.grad_of(base, e)
            if e.attr == "label":
                rec = self.recs[base]
                return Str(rec.label if rec.label is not None else (rec.var or ""))
            if e.attr == "T":
                return self.transposed(base, e)
        raise self.err(e, f"unsupported attribute .{e.attr} in an expression", True, hint=True)

    def data_of(self, node: int, e) -> Num:
        value = self.recs[node].value
        if np.ndim(value):
            raise self.err(e, "reading a tensor's numbers into the code is not supported",
                           hint=True)
        return Num(float(value))

    def grad_of(self, node: int, e) -> Num:
        if node in self.grad_set:
            raise self.err(e, "this grad was set by hand; the safe reader keeps no grads",
                           hint=True)
        if self.backward_seen:
            raise self.err(e, "reading .grad after backward() needs the backward pass, which "
                              "the safe reader does not run (`bpstudio grad FILE` prints every "
                              "grad)", hint=True)
        return Num(0.0)                 # like micrograd and PyTorch before any backward
