"""Evaluating one expression without running it: an explicit-stack walk over the ast.

Children are evaluated left to right, as Python does, then combined. Results are
node indices (``int``), plain numbers (``Num``), strings, sequences, modules or
skipped things (``Opaque``); see errors.py. No recursion except for comprehensions,
whose nesting Python's own parser bounds.
"""
from __future__ import annotations

import ast
import math
import operator

import numpy as np

from ...engine.ops import LEAF, OPS
from .errors import MAX_ITEMS, Module, Num, Opaque, Rec, Seq, Str

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
          ast.MatMult: "matmul"}
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.MatMult: "@", ast.Mod: "%", ast.FloorDiv: "//", ast.LShift: "<<",
           ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}
_FOLD = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
         ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
         ast.FloorDiv: operator.floordiv}
EXPRESSIONS = dict(Lambda="lambda", SetComp="comprehension", DictComp="comprehension",
                   IfExp="conditional expression", Compare="comparison", BoolOp="and/or",
                   NamedExpr="walrus (:=)", Dict="dict", Set="set", Await="await",
                   Yield="yield", YieldFrom="yield", Starred="starred expression")
MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


def describe(v) -> str:
    """What a non-node value is, in words, for error messages."""
    if isinstance(v, Num):
        return "a plain number"
    if isinstance(v, Str):
        return "a string"
    if isinstance(v, Seq):
        return {"tuple": "a tuple", "range": "a range"}.get(v.kind, "a list")
    if isinstance(v, Module):
        return f"the module {v.path}"
    if isinstance(v, Opaque):
        return f"{v.what} (skipped by the reader)"
    return "a node"


class Expressions:
    """Mixin for the Builder: expression evaluation and arithmetic on nodes."""

    def evaluate(self, expr: ast.expr):
        todo: list[tuple[ast.expr, int | None]] = [(expr, None)]
        done: list[tuple[object, ast.expr]] = []
        while todo:
            e, nkids = todo.pop()
            if nkids is None:
                if type(e) is ast.Name:
                    done.append((self.lookup(e), e))
                    continue
                kids = self.children(e)
                todo.append((e, len(kids)))
                todo.extend((k, None) for k in reversed(kids))
            else:
                args = done[len(done) - nkids:]
                del done[len(done) - nkids:]
                done.append((self.combine(e, args), e))
        return done[0][0]

    def node_of(self, expr: ast.expr) -> int:
        v = self.evaluate(expr)
        if not isinstance(v, int):
            raise self.err(expr, f"expected a Value here, got {describe(v)}", hint=True)
        return v

    # ---- which sub-expressions first ------------------------------------
    def children(self, e: ast.expr) -> list[ast.expr]:
        if isinstance(e, (ast.Name, ast.Constant, ast.ListComp, ast.GeneratorExp)):
            return []
        if isinstance(e, ast.BinOp):
            return [e.left, e.right]
        if isinstance(e, ast.UnaryOp):
            return [e.operand]
        if isinstance(e, (ast.List, ast.Tuple)):
            for elt in e.elts:
                if isinstance(elt, ast.Starred):
                    raise self.err(elt, "unsupported expression: starred (*x)", hint=True)
            return list(e.elts)
        if isinstance(e, ast.Subscript):
            if isinstance(e.slice, ast.Slice):
                s = e.slice
                return [e.value] + [p for p in (s.lower, s.upper, s.step) if p is not None]
            return [e.value, e.slice]
        if isinstance(e, ast.Attribute):
            return [] if self.static_path(e) else [e.value]
        if isinstance(e, ast.Call):
            return self.call_children(e)
        if isinstance(e, ast.JoinedStr):
            return [v.value for v in e.values if isinstance(v, ast.FormattedValue)]
        name = type(e).__name__
        raise self.err(e, f"unsupported expression: {EXPRESSIONS.get(name, name.lower())}",
                       hint=True)

    # ---- combining -------------------------------------------------------
    def combine(self, e: ast.expr, args: list):
        vals = [v for v, _ in args]
        if isinstance(e, ast.Name):
            return self.lookup(e)
        if isinstance(e, ast.Constant):
            return self.constant(e)
        if isinstance(e, ast.BinOp):
            return self.binop(e, args[0], args[1])
        if isinstance(e, ast.UnaryOp):
            return self.unary(e, args[0])
        if isinstance(e, ast.List):
            return Seq(vals, "list")
        if isinstance(e, ast.Tuple):
            return Seq(vals, "tuple")
        if isinstance(e, ast.Subscript):
            return self.subscript(e, args)
        if isinstance(e, ast.Attribute):
            return self.attribute(e, vals[0] if vals else None)
        if isinstance(e, ast.Call):
            return self.call(e, args)
        if isinstance(e, ast.JoinedStr):
            return self.fstring(e, args)
        return self.comprehension(e)

    def constant(self, e: ast.Constant):
        v = e.value
        if isinstance(v, str):
            return Str(v)
        if type(v) in (int, float, bool):
            return self.number(v, e)
        raise self.err(e, f"unsupported constant {'string' if isinstance(v, bytes) else repr(v)}"
                          " (only int and float numbers)", hint=True)

    def number(self, v, e) -> Num:
        if isinstance(v, complex):
            raise self.err(e, "the result is a complex number", hint=True)
        if isinstance(v, int) and abs(v) > 2**53:
            v = float(v) if abs(v) < 2**1023 else math.inf
        if not math.isfinite(v):
            raise self.err(e, "number literal is too large (not a finite float)"
                           if isinstance(e, ast.Constant) else "the number is not finite")
        return Num(v)

    def unary(self, e: ast.UnaryOp, arg):
        v, where = arg
        if isinstance(e.op, ast.USub):
            if isinstance(v, Num):
                return self.number(-v.value, e)
            return self.new_op("neg", [self.operand(v, where, "-")], e)
        if isinstance(e.op, ast.UAdd) and isinstance(v, Num):
            return v
        sym = {ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}[type(e.op)]
        raise self.err(e, f"unsupported unary operator {sym}", hint=True)

    def binop(self, e: ast.BinOp, left, right):
        (a, ea), (b, eb) = left, right
        kind = type(e.op)
        for v, where in (left, right):
            if isinstance(v, Str):
                raise self.err(where, "unsupported constant string (only int and float numbers)",
                               hint=True)
        if isinstance(a, Num) and isinstance(b, Num) and kind in _FOLD:
            return self.fold(kind, a.value, b.value, e)
        if isinstance(a, Seq) and isinstance(b, Seq) and kind is ast.Add \
                and a.kind == b.kind != "range":
            return Seq(self.bounded(a.items + b.items, e), a.kind)
        if kind not in BINOPS:
            raise self.err(e, f"unsupported operator {SYMBOLS[kind]}", hint=True)
        op = BINOPS[kind]
        if op == "pow":
            if not isinstance(b, Num):
                raise self.err(eb, "the exponent of ** must be a number", hint=True)
            return self.new_op("pow", [self.operand(a, ea, "**")], e, exponent=b.value)
        if op == "matmul" and not (isinstance(a, int) and isinstance(b, int)):
            bad = (a, ea) if not isinstance(a, int) else (b, eb)
            raise self.err(bad[1], f"@ needs two tensors, got {describe(bad[0])}", hint=True)
        return self.new_op(op, [self.operand(a, ea, SYMBOLS[kind]),
                                self.operand(b, eb, SYMBOLS[kind])], e)

    def fold(self, kind, a, b, e):
        try:
            if kind is ast.Pow and (abs(b) > 1024 or isinstance(a, float) or b < 0):
                result = float(a) ** float(b)
            else:
                result = _FOLD[kind](a, b)
        except ZeroDivisionError:
            raise self.err(e, "division by zero in a number expression") from None
        except OverflowError:
            raise self.err(e, "the number is not finite") from None
        return self.number(result, e)

    def operand(self, v, where, what: str) -> int:
        """A node as is; a plain number becomes a constant leaf (like micrograd)."""
        if isinstance(v, int):
            return v
        if isinstance(v, Num):
            value = float(v.value)
            return self.new(Rec(LEAF, where, value=value, role="constant", label=repr(value)))
        raise self.err(where, f"unsupported operand for {what}: {describe(v)}", hint=True)

    def new_op(self, op: str, inputs: list[int], e: ast.expr, **attrs) -> int:
        self.check_class_op(op, inputs, e)
        recs = self.recs
        ins = [recs[i].value for i in inputs]
        value = None
        if all(type(x) is float for x in ins):           # the common scalar case, fast
            try:
                value = float(OPS[op].forward(ins, attrs))
            except (ArithmeticError, ValueError, TypeError):
                value = None
        if value is None:
            value = self.forward(op, ins, attrs, e)
        kind = recs[inputs[0]].kind
        if recs[inputs[0]].role == "constant" and len(inputs) > 1:
            kind = recs[inputs[1]].kind
        return self.new(Rec(op, e, inputs=tuple(inputs), value=value, attrs=attrs, kind=kind))

    def forward(self, op: str, ins: list, attrs: dict, e):
        """The forward value with IEEE results (inf, nan) rather than exceptions."""
        try:
            ins = [np.float64(x) if isinstance(x, float) else x for x in ins]
            OPS[op].shape([np.shape(x) for x in ins], attrs)
            value = OPS[op].forward(ins, attrs)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise self.err(e, f"cannot compute {op}: {exc}") from None
        return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)

    # ---- containers ------------------------------------------------------
    def bounded(self, items: list, e) -> list:
        if len(items) > MAX_ITEMS:
            raise self.err(e, f"a list of more than {MAX_ITEMS:,} items (the limit)")
        return items

    def iterate(self, v, where):
        """The elements of an iterable value, lazily for ranges."""
        if isinstance(v, Seq):
            if v.kind == "range":
                return (Num(i) for i in v.items)
            return iter(list(v.items))
        raise self.err(where, f"cannot loop over {describe(v)}", hint=True)

    def subscript(self, e: ast.Subscript, args):
        seq, where = args[0]
        if isinstance(seq, int):
            raise self.err(e, "indexing a node (a Value or a tensor) is not supported", hint=True)
        if not isinstance(seq, Seq):
            raise self.err(where, f"cannot index {describe(seq)}", hint=True)
        if isinstance(e.slice, ast.Slice):
            parts = iter(args[1:])
            bounds = [self.index(next(parts), slicing=True) if p is not None else None
                      for p in (e.slice.lower, e.slice.upper, e.slice.step)]
            if bounds[2] == 0:
                raise self.err(e.slice, "slice step cannot be zero")
            items = seq.items[slice(*bounds)]
            return Seq(list(items) if seq.kind != "range" else items, seq.kind)
        k = self.index(args[1])
        n = len(seq.items)
        if not -n <= k < n:
            raise self.err(e.slice, f"index {k} is out of range for {describe(seq)} of {n}")
        item = seq.items[k]
        return Num(item) if seq.kind == "range" else item

    def index(self, arg, slicing=False) -> int:
        v, where = arg
        if not (isinstance(v, Num) and isinstance(v.value, int)):
            raise self.err(where, f"an index must be a whole number, got {describe(v)}",
                           hint=True)
        return v.value

    def fstring(self, e: ast.JoinedStr, args):
        vals = iter(args)
        out = []
        for part in e.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
                continue
            v, where = next(vals)
            if not isinstance(v, (Num, Str)):
                raise self.err(where, f"an f-string may hold numbers and strings, "
                                      f"not {describe(v)}", hint=True)
            spec = part.format_spec
            if spec is not None and not all(isinstance(p, ast.Constant) for p in spec.values):
                raise self.err(spec, "unsupported nested f-string format", hint=True)
            text = "".join(str(p.value) for p in spec.values) if spec is not None else ""
            try:
                value = repr(v.value) if part.conversion == ord("r") else v.value
                out.append(format(value, text))
            except (ValueError, TypeError) as exc:
                raise self.err(part, f"bad format: {exc}") from None
        return Str("".join(out))

    def comprehension(self, e):
        for gen in e.generators:
            if gen.ifs or gen.is_async:
                raise self.err(gen.ifs[0] if gen.ifs else e,
                               "unsupported comprehension with if or async", hint=True)
        names = {n.id for g in e.generators for n in ast.walk(g.target)
                 if isinstance(n, ast.Name)}
        saved = {n: self.env[n] for n in names if n in self.env}
        out: list = []
        try:
            self._generate(e, 0, out)
        finally:
            for n in names:
                self.env.pop(n, None)
            self.env.update(saved)
        return Seq(out, "list")

    def _generate(self, e, depth: int, out: list) -> None:
        gen = e.generators[depth]
        for item in self.iterate(self.evaluate(gen.iter), gen.iter):
            self.count_iteration(gen.iter)
            self.assign(gen.target, item)
            if depth + 1 < len(e.generators):
                self._generate(e, depth + 1, out)
            else:
                out.append(self.evaluate(e.elt))
                self.bounded(out, e)
