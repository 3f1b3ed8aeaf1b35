"""A user's own ``class Value`` (as in micrograd and the seeds): read, never run.

A class named Value is skipped and our Value semantics are used instead, but only
where its methods compute what ours do: each binary method must build its result
from ``self.data <op> other.data`` (or delegate with the same operator, as
micrograd's ``__sub__`` does with ``self + (-other)``). Its ``_op`` text does not
matter (seed 001 labels ``__mul__`` '-' yet multiplies). An op the class defines
differently is refused at the line that uses it; one it does not define is taken
as ours (seeds print classes in parts, ``class Value: # ...``). Other classes
are remembered so that making an object of one gives a clear error.
"""
from __future__ import annotations

import ast

_METHOD = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__",
           "pow": "__pow__", "neg": "__neg__", "tanh": "tanh", "exp": "exp", "relu": "relu",
           "log": "log", "sigmoid": "sigmoid"}
_OPERATOR = {"__add__": ast.Add, "__sub__": ast.Sub, "__mul__": ast.Mult,
             "__truediv__": ast.Div, "__pow__": ast.Pow}
_DELEGATES = {"__sub__": (ast.Add, ast.Sub), "__truediv__": (ast.Mult, ast.Div)}


def read_value_class(cls: ast.ClassDef) -> dict[str, str | None]:
    """Method name -> None when it computes what ours does, else why not."""
    verdicts: dict[str, str | None] = {}
    for fn in cls.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in _METHOD.values():
            verdicts[fn.name] = _check(fn)
    return verdicts


def _check(fn: ast.FunctionDef) -> str | None:
    kind = _OPERATOR.get(fn.name)
    if kind is None:
        return None                                  # unary: recognised by name
    args = [a.arg for a in fn.args.args]
    if len(args) != 2:
        return f"{fn.name} does not take (self, other)"
    me, other = args
    for call in ast.walk(fn):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                call.func.id == "Value" and call.args and isinstance(call.args[0], ast.BinOp):
            data = call.args[0]
            if not _is_attr(data.left, me, "data"):
                return f"{fn.name} builds its data from {ast.unparse(data)}"
            if not isinstance(data.op, kind):
                return f"{fn.name} computes {ast.unparse(data)}"
            right_ok = _is_attr(data.right, other, "data") or (
                kind is ast.Pow and isinstance(data.right, ast.Name) and data.right.id == other)
            return None if right_ok else f"{fn.name} computes {ast.unparse(data)}"
    for ret in ast.walk(fn):
        if isinstance(ret, ast.Return) and isinstance(ret.value, ast.BinOp) and \
                isinstance(ret.value.op, _DELEGATES.get(fn.name, (kind,))):
            return None                              # self + (-other), self * other**-1
    return f"{fn.name} is not written the way the reader recognises"


def _is_attr(e, name: str, attr: str) -> bool:
    return isinstance(e, ast.Attribute) and e.attr == attr and \
        isinstance(e.value, ast.Name) and e.value.id == name


class Classes:
    """Mixin for the Builder: class definitions and the check of ops against them."""

    def class_def(self, st: ast.ClassDef) -> None:
        if st.name != "Value":
            self.user_classes.add(st.name)
            return
        self.value_class = (st.lineno, read_value_class(st))

    def check_class_op(self, op: str, inputs: list[int], e) -> None:
        if self.value_class is None or op not in _METHOD:
            return
        if not any(self.recs[i].kind == "value" for i in inputs):
            return
        line, verdicts = self.value_class
        method = _METHOD[op]
        if verdicts.get(method) is not None:
            raise self.err(e, f"the Value class defined at line {line} differs from "
                              f"bpstudio's: {verdicts[method]}", hint=True)
