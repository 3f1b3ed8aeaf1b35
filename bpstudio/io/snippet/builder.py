"""The statement walker: bindings, loops, attribute assignments, and the final Graph."""
from __future__ import annotations

import ast
import re

from ...engine.graph import Graph, GraphError, Node
from ...engine.ops import LEAF
from .calls import IGNORED_CALLS, Calls
from .classes import Classes
from .dialects import Dialects
from .errors import (
    MAX_ITERATIONS,
    MAX_NODES,
    MAX_STATEMENTS,
    Module,
    Num,
    Opaque,
    Rec,
    Seq,
    SnippetError,
    Str,
)
from .expressions import Expressions, describe

_SKIPPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Pass)
_STATEMENTS = dict(AsyncFor="async for loop", While="while loop", If="if statement",
                   With="with block", AsyncWith="with block", Try="try block",
                   TryStar="try block", Delete="del", AnnAssign="annotated assignment",
                   Match="match statement", Break="break", Continue="continue",
                   Return="return outside a function", Global="global", Nonlocal="nonlocal",
                   Raise="raise", Assert="assert")
_DISPLAY_ATTRS = frozenset({"grad", "data", "gradient", "item", "label", "shape", "_op",
                            "_prev", "tolist", "numpy"})




class Builder(Expressions, Calls, Dialects, Classes):
    def __init__(self, path: str, lines: list[str]):
        self.path = path
        self.lines = lines
        self.recs: list[Rec] = []
        self.env: dict[str, object] = {}
        self.claimed: set[str] = set()
        self.output: int | None = None
        self.modules: dict[str, str] = {}
        self.user_functions: set[str] = set()
        self.user_classes: set[str] = set()
        self.value_class = None
        self.grad_set: set[int] = set()
        self.backward_seen = False
        self.iterations = 0
        self.statements = 0
        self.consumed: set[int] = set()
        self.skipped_calls: set[ast.Call] = set()

    def err(self, node, message: str, at_attr: bool = False, hint: bool = False):
        """An error at node's start, or at its attribute name (the ``sin`` of ``a.sin``).

        ast gives UTF-8 byte offsets; the column reported counts characters."""
        line, offset = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        if at_attr and isinstance(node, ast.Attribute):
            line, offset = node.end_lineno, node.end_col_offset - len(node.attr.encode())
        text = self.lines[line - 1].encode()[:offset] if line <= len(self.lines) else b""
        return SnippetError(self.path, line, len(text.decode(errors="replace")) + 1, message,
                            hint)

    # ---- statements --------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        for st in body:
            self.statements += 1
            if self.statements > MAX_STATEMENTS:
                raise self.err(st, f"the snippet runs more than {MAX_STATEMENTS:,} statements "
                                   "(the limit for a snippet)")
            self.statement(st)

    def statement(self, st: ast.stmt) -> None:
        if isinstance(st, _SKIPPED):
            if not isinstance(st, ast.Pass):
                self.user_functions.add(st.name)
                self.env.pop(st.name, None)
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            self.imports(st)
        elif isinstance(st, ast.ClassDef):
            self.class_def(st)
        elif isinstance(st, ast.Assign):
            if len(st.targets) != 1:
                raise self.err(st.targets[1], "unsupported assignment: chained (a = b = ...)",
                               hint=True)
            self.assign_statement(st.targets[0], st.value)
        elif isinstance(st, ast.AugAssign):
            self.aug_assign(st)
        elif isinstance(st, ast.Expr):
            self.expr_statement(st.value)
        elif isinstance(st, ast.For):
            self.for_loop(st)
        else:
            name = type(st).__name__
            raise self.err(st, f"unsupported statement: {_STATEMENTS.get(name, name.lower())}",
                           hint=True)

    def imports(self, st) -> None:
        for alias in st.names:
            if isinstance(st, ast.Import):
                local = alias.asname or alias.name.split(".")[0]
                self.modules[local] = alias.name if alias.asname else local
            elif alias.name != "*":
                local = alias.asname or alias.name
                self.modules[local] = f"{st.module or ''}.{alias.name}".lstrip(".")
            self.env.pop(alias.asname or alias.name.split(".")[0], None)

    def assign_statement(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Attribute):
            self.set_attribute(target, value, None)
        elif isinstance(target, ast.Subscript):
            self.set_item(target, self.evaluate(value))
        else:
            self.assign(target, self.evaluate(value), value)

    def assign(self, target: ast.expr, value, where=None) -> None:
        """Bind target (a name or nested tuple/list of names) to an evaluated value."""
        todo = [(target, value)]
        while todo:
            t, v = todo.pop()
            if isinstance(t, ast.Name):
                self.bind(t.id, v)
            elif isinstance(t, (ast.Tuple, ast.List)):
                if any(isinstance(x, ast.Starred) for x in t.elts):
                    raise self.err(t, "unsupported unpacking with *", hint=True)
                items = list(self.iterate(v, where or t))
                if len(items) != len(t.elts):
                    raise self.err(t, f"cannot unpack {len(items)} values into {len(t.elts)} "
                                      "names")
                todo.extend(zip(t.elts, items))
            elif isinstance(t, ast.Subscript):
                self.set_item(t, v)
            else:
                raise self.err(t, "unsupported assignment target", hint=True)

    def set_item(self, target: ast.Subscript, value) -> None:
        seq = self.evaluate(target.value)
        if not (isinstance(seq, Seq) and seq.kind == "list") or \
                isinstance(target.slice, ast.Slice):
            raise self.err(target, "only list[index] = value item assignment is supported",
                           hint=True)
        k = self.index((self.evaluate(target.slice), target.slice))
        if not -len(seq.items) <= k < len(seq.items):
            raise self.err(target.slice, f"index {k} is out of range")
        seq.items[k] = value

    def aug_assign(self, st: ast.AugAssign) -> None:
        target = st.target
        if isinstance(target, ast.Attribute):
            self.set_attribute(target, st.value, st.op)
            return
        if not isinstance(target, (ast.Name, ast.Subscript)):
            raise self.err(target, "unsupported augmented assignment target", hint=True)
        load = ast.copy_location(type(target)(**{f: getattr(target, f) for f in target._fields
                                                 if f != "ctx"}, ctx=ast.Load()), target)
        expr = ast.copy_location(ast.BinOp(left=load, op=st.op, right=st.value), st)
        self.assign(target, self.evaluate(expr), expr)

    def set_attribute(self, target: ast.Attribute, value: ast.expr, op) -> None:
        attr = target.attr
        if attr in ("grad", "gradient"):                 # manual backprop: L.grad = 1.0
            base = self.evaluate(target.value) if _simple(target.value, self.env) else None
            if isinstance(base, int):
                self.grad_set.add(base)
            return
        if attr not in ("label", "data", "requires_grad"):
            raise self.err(target, f"unsupported attribute assignment .{attr} "
                                   "(only .label, .data, .grad and .requires_grad)", hint=True)
        node = self.evaluate(target.value)
        if not isinstance(node, int):
            raise self.err(target.value, f"cannot set .{attr} of {describe(node)}", hint=True)
        if op is not None:
            value = ast.copy_location(ast.BinOp(left=target, op=op, right=value), value)
        if attr == "requires_grad":
            if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
                raise self.err(value, "requires_grad must be True or False", hint=True)
            self.recs[node].requires_grad = value.value
        elif attr == "label":
            v = self.evaluate(value)
            if not isinstance(v, Str):
                raise self.err(value, "a label must be a string literal", hint=True)
            self.recs[node].label = v.value
        else:
            self.set_data(node, target, self.evaluate(value))

    def set_data(self, node: int, target, v) -> None:
        rec = self.recs[node]
        if not isinstance(v, Num):
            raise self.err(target, f".data must be set to a number, not {describe(v)}",
                           hint=True)
        if rec.op != LEAF or rec.role == "constant":
            raise self.err(target, "only a leaf's .data can be set", hint=True)
        if float(v.value) == rec.value:
            return                       # a nudge by a grad that is still 0 changes nothing
        if node in self.consumed:
            raise self.err(target, f"{ast.unparse(target)} changes after the node was used in "
                                   "the graph; the safe reader keeps one value per node",
                           hint=True)
        rec.value = float(v.value)

    def expr_statement(self, v: ast.expr) -> None:
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return                                       # docstring
        if isinstance(v, ast.Call) and self.ignored_chain(v):
            return                                       # print(...), draw_dot(o).render()
        if _display(v):                                  # L, a.grad, x2.grad.item()
            root = v
            while not isinstance(root, ast.Name):
                root = root.func if isinstance(root, ast.Call) else root.value
            self.lookup(root)
            return
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and \
                v.func.attr in ("backward", "_backward"):
            self.backward(v)
            return
        result = self.evaluate(v)
        if not isinstance(result, (Opaque, Num, Str)):      # a notebook echoes numbers
            raise self.err(v, "the result of this expression is not used; assign it to a name",
                           hint=True)

    def backward(self, v: ast.Call) -> None:
        if v.args or any(kw.arg != "retain_graph" for kw in v.keywords):
            raise self.err(v, f"{v.func.attr}() takes no arguments", hint=True)
        node = self.node_of(v.func.value)
        if v.func.attr == "backward":
            self.output = node
            self.backward_seen = True

    def for_loop(self, st: ast.For) -> None:
        if st.orelse:
            raise self.err(st.orelse[0], "unsupported for ... else", hint=True)
        for item in self.iterate(self.evaluate(st.iter), st.iter):
            self.count_iteration(st)
            self.assign(st.target, item, st.iter)
            self.run(st.body)

    def count_iteration(self, where) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise self.err(where, f"the loops run more than {MAX_ITERATIONS:,} iterations "
                                  "(the limit for a snippet)")

    def bind(self, name: str, value) -> None:
        self.env[name] = value
        if not isinstance(value, int):
            return
        rec = self.recs[value]
        if rec.var is None:
            rec.var = name
            rec.owns_var = name not in self.claimed
        self.claimed.add(name)

    def lookup(self, name: ast.Name):
        if name.id in self.env:
            return self.env[name.id]
        path = self.static_path(name)
        if path is not None:
            return Module(path)
        if name.id in IGNORED_CALLS:
            return Opaque(name.id)
        raise self.err(name, f"undefined name {name.id!r}")

    def new(self, rec: Rec) -> int:
        if len(self.recs) >= MAX_NODES:
            raise self.err(rec.where, f"the snippet builds more than {MAX_NODES:,} nodes "
                                      "(the limit for a graph)")
        self.recs.append(rec)
        self.consumed.update(rec.inputs)
        return len(self.recs) - 1

    # ---- the graph ---------------------------------------------------------
    def finish(self, title: str) -> Graph:
        if not self.recs:
            raise SnippetError(self.path, 1, 1, "the snippet builds no Value (nor tensor, "
                                                "nor tape node)")
        ids = self.ids()
        graph = Graph(title)
        for rec, nid in zip(self.recs, ids):
            label = rec.label if rec.label is not None else (rec.var if rec.owns_var else nid)
            value = rec.value if rec.op == LEAF else None
            graph.add(Node(nid, rec.op, tuple(ids[i] for i in rec.inputs), label,
                           _role(rec, label), value, dict(rec.attrs)))
        graph.output = ids[self.output_index()]
        try:
            graph.validate()
        except GraphError as exc:
            rec = self.recs[ids.index(exc.node)] if exc.node in ids else self.recs[-1]
            raise self.err(rec.where, str(exc)) from None
        return graph

    def ids(self) -> list[str]:
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
                sep = "" if numbered else "_"
                k = counters.get(base, 1 if numbered else 2)
                while f"{base}{sep}{k}" in taken:
                    k += 1
                counters[base] = k + 1
                nid = f"{base}{sep}{k}"
            taken.add(nid)
            ids.append(nid)
        return ids

    def output_index(self) -> int:
        """The last backward() target, else the last created unconsumed bound node."""
        if self.output is not None:
            return self.output
        consumed = {i for r in self.recs for i in r.inputs}
        free = [k for k, r in enumerate(self.recs) if k not in consumed and r.var]
        computed = [k for k in free if self.recs[k].op != LEAF]
        return (computed or free or [len(self.recs) - 1])[-1]


def _role(rec: Rec, label: str) -> str | None:
    if rec.op != LEAF:
        return None
    if rec.role:
        return rec.role
    name = rec.var or ""
    if rec.kind == "tensor" and rec.requires_grad:
        return "parameter"
    if rec.kind != "value" and re.fullmatch(r"t\d*|targets?\w*", name, re.I):
        return "target"
    if rec.kind == "tensor":
        return "input"
    return "input" if label.startswith("x") or name.startswith("x") else "parameter"


def _display(v: ast.expr) -> bool:
    """A bare name or attribute/no-argument-method chain on one: L, a.grad, o.data.item()."""
    seen_attr = False
    while True:
        if isinstance(v, ast.Name):
            return True
        if isinstance(v, ast.Call) and not v.args and not v.keywords and \
                isinstance(v.func, ast.Attribute) and v.func.attr in _DISPLAY_ATTRS and seen_attr:
            v = v.func.value
        elif isinstance(v, ast.Attribute) and v.attr in _DISPLAY_ATTRS:
            seen_attr = True
            v = v.value
        else:
            return False


def _simple(e: ast.expr, env) -> bool:
    return isinstance(e, ast.Name) and e.id in env


def _slug(label: str) -> str:
    """A label made into an id: runs of non-word characters become one underscore."""
    return re.sub(r"\W+", "_", label).strip("_")
