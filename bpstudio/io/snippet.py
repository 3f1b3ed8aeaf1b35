"""Read micrograd-style Python snippets into a Graph, with ``ast`` only.

Nothing in a snippet is ever executed, evaluated or imported: the text is parsed
with ``ast.parse`` and the module's statement list is walked once, flat.
Expressions are evaluated symbolically with an explicit stack, so neither a
5,000-statement snippet nor a deep expression tree recurses here.

Supported (everything else is a SnippetError naming line and column):
  a = Value(2.0, label='a')          leaves (number literal, optional label=)
  e = a * b; e.label = 'e'           + - * / on Values and number literals,
  y = 2 * x ** 2 - -1.5              ** with a number exponent, unary minus
  o = n.tanh()                       .tanh() .relu() .exp() .log() .sigmoid()
  a += b                             rebinding, as in Python
  L.backward()                       marks L as the output
Ignored: imports, class/def blocks, docstrings, pass, bare ``L``/``L.grad``/``L.data``,
print(...), draw_dot(...) and assignments to ``X.grad`` (manual backprop lines).
The output is the last ``X.backward()`` target, else the last created unconsumed
named node (computed nodes before leaves). Value leaves are "input" when their
label or name starts with "x", else "parameter"; number literals are "constant".

Node ids: the variable name a node was first bound to; for a node bound to an
already used name (``a = a * b``), that name with ``_2``, ``_3`` ...; for an
unbound node, its label made into an identifier if it has one; otherwise the
op name and a counter (``mul1``, ``add2``, ``const1``). Labels: the given
label, else the variable name (first binding only), else the id.
Line numbers and columns in errors are 1-based, like an editor's.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.graph import Graph, GraphError, Node
from ..engine.ops import LEAF

__all__ = ["SnippetError", "load_snippet", "parse_snippet"]

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_OTHER_BINOPS = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
                 ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}
_METHODS = frozenset({"tanh", "relu", "exp", "log", "sigmoid"})
_IGNORED_CALLS = ("print", "draw_dot")
_SKIPPED = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef,
            ast.AsyncFunctionDef, ast.Pass)
_STATEMENTS = dict(For="for loop", AsyncFor="for loop", While="while loop", If="if statement",
                   With="with block", AsyncWith="with block", Try="try block",
                   TryStar="try block", Delete="del", AnnAssign="annotated assignment",
                   Match="match statement")
_EXPRESSIONS = dict(Lambda="lambda", ListComp="comprehension", SetComp="comprehension",
                    DictComp="comprehension", GeneratorExp="comprehension", Slice="slice",
                    Subscript="subscript", IfExp="conditional expression", Compare="comparison",
                    BoolOp="and/or", JoinedStr="f-string", NamedExpr="walrus (:=)")


class SnippetError(Exception):
    """A snippet outside the supported subset; ``str(e)`` is ``path:line:col: message``."""

    def __init__(self, path, line: int, col: int, message: str):
        self.path = str(path)
        self.line = int(line)
        self.col = int(col)
        self.message = " ".join(str(message).splitlines())
        super().__init__(f"{self.path}:{self.line}:{self.col}: {self.message}")

    def __reduce__(self):                            # keeps it picklable
        return (type(self), (self.path, self.line, self.col, self.message))


@dataclass(frozen=True)
class _Lit:
    """A plain number met in an expression (not yet a node)."""
    value: float | int
    expr: ast.expr


@dataclass
class _Rec:
    op: str
    where: ast.AST                # the expression that made it, for error positions
    inputs: tuple[int, ...] = ()
    value: float | None = None
    role: str | None = None
    label: str | None = None      # explicit label (Value(label=...) or x.label = ...)
    var: str | None = None        # the first variable name bound to this node
    owns_var: bool = False        # this node was the first one bound to ``var``
    attrs: dict = field(default_factory=dict)


def load_snippet(path) -> Graph:
    """Read a ``.py`` snippet file into a Graph (never runs it). OSError propagates."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SnippetError(path, line, 1, "the file is not UTF-8 text") from None
    return parse_snippet(text, str(path))


def parse_snippet(text: str, path="<snippet>") -> Graph:
    """Turn snippet text into a validated Graph, or raise SnippetError."""
    text = text.removeprefix("\ufeff")
    try:
        tree = ast.parse(text, filename=str(path), mode="exec")
    except SyntaxError as exc:
        raise SnippetError(path, exc.lineno or 1, exc.offset or 1,
                           f"syntax error: {exc.msg}") from None
    except RecursionError:
        raise SnippetError(path, 1, 1, "an expression is nested too deeply for "
                           "Python's parser; split it into several statements") from None
    except (ValueError, MemoryError) as exc:
        raise SnippetError(path, 1, 1, f"cannot parse: {exc}") from None
    builder = _Builder(str(path), re.split(r"\r\n|\r|\n", text))   # Python's newlines
    for stmt in tree.body:
        builder.statement(stmt)
    title = Path(str(path)).stem if not str(path).startswith("<") else "snippet"
    return builder.finish(title)


class _Builder:
    def __init__(self, path: str, lines: list[str]):
        self.path = path
        self.lines = lines
        self.recs: list[_Rec] = []
        self.env: dict[str, int] = {}
        self.claimed: set[str] = set()
        self.output: int | None = None

    def err(self, node: ast.AST, message: str, at_attr: bool = False) -> SnippetError:
        """An error at node's start, or at its attribute name (the ``sin`` of ``a.sin``).

        ast gives UTF-8 byte offsets; the column reported counts characters."""
        line, offset = node.lineno, node.col_offset
        if at_attr:
            line, offset = node.end_lineno, node.end_col_offset - len(node.attr.encode())
        text = self.lines[line - 1].encode()[:offset] if line <= len(self.lines) else b""
        return SnippetError(self.path, line, len(text.decode(errors="replace")) + 1, message)

    # ---- statements --------------------------------------------------------
    def statement(self, st: ast.stmt) -> None:
        if isinstance(st, _SKIPPED):
            return
        if isinstance(st, ast.Assign):
            self._assign(st)
        elif isinstance(st, ast.AugAssign):
            self._aug_assign(st)
        elif isinstance(st, ast.Expr):
            self._expr_statement(st.value)
        else:
            name = type(st).__name__
            raise self.err(st, f"unsupported statement: {_STATEMENTS.get(name, name.lower())}")

    def _assign(self, st: ast.Assign) -> None:
        if len(st.targets) != 1:
            raise self.err(st.targets[1], "unsupported assignment: chained (a = b = ...)")
        target = st.targets[0]
        if isinstance(target, ast.Name):
            self._bind(target.id, self._node_of(st.value))
        elif isinstance(target, ast.Attribute):
            self._set_attribute(target, st.value)
        else:
            kind = {"Tuple": "tuple unpacking", "List": "list unpacking"}.get(
                type(target).__name__, _EXPRESSIONS.get(type(target).__name__, "this target"))
            raise self.err(target, f"unsupported assignment to {kind}")

    def _aug_assign(self, st: ast.AugAssign) -> None:
        target = st.target
        if isinstance(target, ast.Attribute) and target.attr == "grad":
            return                                   # manual backprop: a.grad += ...
        if not isinstance(target, ast.Name):
            raise self.err(target, "unsupported augmented assignment target")
        load = ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
        expr = ast.copy_location(ast.BinOp(left=load, op=st.op, right=st.value), st)
        self._bind(target.id, self._node_of(expr))

    def _set_attribute(self, target: ast.Attribute, value: ast.expr) -> None:
        if target.attr == "grad":
            return                                   # manual backprop: L.grad = 1.0
        if target.attr != "label":
            raise self.err(target, f"unsupported attribute assignment .{target.attr} "
                                   "(only .label and .grad)")
        if not isinstance(target.value, ast.Name):
            raise self.err(target, "only name.label = '...' is supported")
        node = self._lookup(target.value)
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            raise self.err(value, "a label must be a string literal")
        self.recs[node].label = value.value

    def _expr_statement(self, v: ast.expr) -> None:
        if isinstance(v, ast.Attribute) and v.attr in ("grad", "data"):
            v = v.value                              # a bare `a.grad` displays a.grad
        if isinstance(v, ast.Name):
            self._lookup(v)                          # a bare `L` displays L
            return
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return                                   # docstring
        if isinstance(v, ast.Call):
            f = v.func
            if isinstance(f, ast.Name) and f.id in _IGNORED_CALLS:
                return
            if isinstance(f, ast.Attribute) and f.attr == "backward":
                if v.args or v.keywords:
                    raise self.err(v, "backward() takes no arguments")
                self.output = self._node_of(f.value)
                return
        self._eval(v)
        raise self.err(v, "the result of this expression is not used; assign it to a name")

    def _bind(self, name: str, node: int) -> None:
        self.env[name] = node
        rec = self.recs[node]
        if rec.var is None:
            rec.var = name
            rec.owns_var = name not in self.claimed
        self.claimed.add(name)

    def _lookup(self, name: ast.Name) -> int:
        if name.id not in self.env:
            raise self.err(name, f"undefined name {name.id!r}")
        return self.env[name.id]

    # ---- expressions -------------------------------------------------------
    def _node_of(self, expr: ast.expr) -> int:
        result = self._eval(expr)
        if isinstance(result, _Lit):
            raise self.err(expr, "a plain number is not a Value; write Value(...)")
        return result

    def _eval(self, expr: ast.expr) -> int | _Lit:
        """Post-order walk with an explicit stack: children left to right, as Python."""
        todo: list[tuple[ast.expr, int | None]] = [(expr, None)]
        done: list[int | _Lit] = []
        while todo:
            e, nkids = todo.pop()
            if nkids is None:
                number = self._number(e)
                if number is not None:
                    done.append(_Lit(number, e))
                    continue
                kids = self._children(e)
                todo.append((e, len(kids)))
                todo.extend((k, None) for k in reversed(kids))
            else:
                args = done[len(done) - nkids:]
                del done[len(done) - nkids:]
                done.append(self._combine(e, args))
        return done[0]

    def _number(self, e: ast.expr) -> float | int | None:
        """The value of a (signed) int/float literal, or None if e is something else."""
        sign, inner = 1, e
        while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(inner.op, ast.USub) else sign
            inner = inner.operand
        if not (isinstance(inner, ast.Constant) and type(inner.value) in (int, float)):
            return None
        try:
            finite = math.isfinite(float(inner.value))
        except OverflowError:
            finite = False
        if not finite:
            raise self.err(e, "number literal is too large (not a finite float)")
        return sign * inner.value

    def _children(self, e: ast.expr) -> list[ast.expr]:
        """Check e is in the subset; return the sub-expressions to evaluate first."""
        if isinstance(e, ast.Name):
            return []
        if isinstance(e, ast.BinOp):
            if type(e.op) in _OTHER_BINOPS:
                raise self.err(e, f"unsupported operator {_OTHER_BINOPS[type(e.op)]}")
            if isinstance(e.op, ast.Pow):
                if self._number(e.right) is None:
                    raise self.err(e.right, "the exponent of ** must be a number literal")
                return [e.left]
            return [e.left, e.right]
        if isinstance(e, ast.UnaryOp):
            if isinstance(e.op, ast.USub):
                return [e.operand]
            sym = {ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}[type(e.op)]
            raise self.err(e, f"unsupported unary operator {sym}")
        if isinstance(e, ast.Call):
            return self._call_children(e)
        if isinstance(e, ast.Attribute):
            raise self.err(e, f"unsupported attribute .{e.attr} in an expression", True)
        if isinstance(e, ast.Constant):
            kind = "string" if isinstance(e.value, (str, bytes)) else repr(e.value)
            raise self.err(e, f"unsupported constant {kind} (only int and float numbers)")
        name = type(e).__name__
        raise self.err(e, f"unsupported expression: {_EXPRESSIONS.get(name, name.lower())}")

    def _call_children(self, e: ast.Call) -> list[ast.expr]:
        f = e.func
        if isinstance(f, ast.Name):
            if f.id != "Value":
                raise self.err(f, f"unsupported call: {f.id}()")
            self._check_value_call(e)
            return []
        if not isinstance(f, ast.Attribute):
            raise self.err(e, "unsupported call")
        if isinstance(f.value, ast.Name) and f.value.id == "math":
            hint = f"; use .{f.attr}() on a Value" if f.attr in _METHODS else ""
            raise self.err(f, f"math-module calls are not supported: math.{f.attr}(){hint}")
        if f.attr == "backward":
            raise self.err(f, "backward() must be a statement of its own: X.backward()", True)
        if f.attr not in _METHODS:
            raise self.err(f, f"unsupported method .{f.attr}()", True)
        if e.args or e.keywords:
            raise self.err((e.args or e.keywords)[0], f".{f.attr}() takes no arguments")
        return [f.value]

    def _check_value_call(self, e: ast.Call) -> None:
        if not e.args:
            raise self.err(e, "Value() needs a number, e.g. Value(2.0)")
        if len(e.args) > 1:
            raise self.err(e.args[1], "Value() takes one number and an optional label=")
        if self._number(e.args[0]) is None:
            raise self.err(e.args[0], "Value() needs a number literal, e.g. Value(2.0)")
        for kw in e.keywords:
            if kw.arg != "label":
                what = f"{kw.arg}=" if kw.arg else "**"
                raise self.err(kw, f"unsupported Value() argument {what} (only label=)")
            if not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)):
                raise self.err(kw.value, "label= must be a string literal")

    def _combine(self, e: ast.expr, args: list[int | _Lit]) -> int:
        if isinstance(e, ast.Name):
            return self._lookup(e)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name):
            label = next((kw.value.value for kw in e.keywords), None)
            value = float(self._number(e.args[0]))
            return self._new(_Rec(LEAF, e, value=value, label=label))
        if isinstance(e, ast.Call):
            op = e.func.attr
            return self._new_op(op, [self._need_node(args[0], f".{op}() on a plain number")], e)
        if isinstance(e, ast.UnaryOp):
            return self._new_op("neg", [self._need_node(args[0], "-")], e)
        op = _BINOPS[type(e.op)]
        if op == "pow":
            base = self._need_node(args[0], "** on a plain number")
            return self._new_op("pow", [base], e, exponent=self._number(e.right))
        left, right = args
        if isinstance(left, _Lit) and isinstance(right, _Lit):
            raise self.err(e, "arithmetic on two plain numbers is not supported; "
                              "write the result as one number")
        return self._new_op(op, [self._operand(left), self._operand(right)], e)

    def _need_node(self, arg: int | _Lit, what: str) -> int:
        if isinstance(arg, _Lit):
            raise self.err(arg.expr, f"unsupported {what}: only Values have this")
        return arg

    def _operand(self, arg: int | _Lit) -> int:
        """A node as is; a number literal becomes a constant leaf (like micrograd)."""
        if not isinstance(arg, _Lit):
            return arg
        e = arg.expr
        return self._new(_Rec(LEAF, e, value=float(arg.value), role="constant",
                              label=repr(float(arg.value))))

    def _new_op(self, op: str, inputs: list[int], e: ast.expr, **attrs) -> int:
        return self._new(_Rec(op, e, inputs=tuple(inputs), attrs=attrs))

    def _new(self, rec: _Rec) -> int:
        self.recs.append(rec)
        return len(self.recs) - 1

    # ---- the graph ---------------------------------------------------------
    def finish(self, title: str) -> Graph:
        if not self.recs:
            raise SnippetError(self.path, 1, 1, "the snippet builds no Value")
        ids = self._ids()
        graph = Graph(title)
        for rec, nid in zip(self.recs, ids):
            label = rec.label if rec.label is not None else (rec.var if rec.owns_var else nid)
            graph.add(Node(nid, rec.op, tuple(ids[i] for i in rec.inputs), label,
                           self._role(rec, label), rec.value, dict(rec.attrs)))
        graph.output = ids[self._output()]
        try:
            graph.validate()
        except GraphError as exc:
            rec = self.recs[ids.index(exc.node)] if exc.node in ids else self.recs[-1]
            raise self.err(rec.where, str(exc)) from None
        return graph

    def _ids(self) -> list[str]:
        taken = {r.var for r in self.recs if r.owns_var}
        counters: dict[str, int] = {}
        ids = []
        for r in self.recs:
            if r.owns_var:
                ids.append(r.var)
                continue
            base = "" if r.role == "constant" else _slug(r.var or r.label or "")
            numbered = not base
            if numbered:
                base = "const" if r.role == "constant" else r.op
            if not numbered and base not in taken:
                nid = base
            else:
                k = counters.get(base, 1 if numbered else 2)
                while f"{base}{'' if numbered else '_'}{k}" in taken:
                    k += 1
                counters[base] = k + 1
                nid = f"{base}{'' if numbered else '_'}{k}"
            taken.add(nid)
            ids.append(nid)
        return ids

    @staticmethod
    def _role(rec: _Rec, label: str) -> str | None:
        if rec.op != LEAF:
            return None
        if rec.role:
            return rec.role
        return "input" if label.startswith("x") or (rec.var or "").startswith("x") else "parameter"

    def _output(self) -> int:
        """The last backward() target, else the last created unconsumed bound node."""
        if self.output is not None:
            return self.output
        consumed = {i for r in self.recs for i in r.inputs}
        free = [k for k, r in enumerate(self.recs) if k not in consumed and r.var]
        computed = [k for k in free if self.recs[k].op != LEAF]
        return (computed or free or [len(self.recs) - 1])[-1]


def _slug(label: str) -> str:
    """A label made into an id: runs of non-word characters become one underscore."""
    return re.sub(r"\W+", "_", label).strip("_")
