"""`Value`: a micrograd-compatible scalar that records the same graph bpstudio steps through.

    from bpstudio import Value
    a = Value(2.0, label='a'); b = Value(-3.0, label='b')
    L = (a * b + 10) * -2.0
    L.backward()            # a.grad == 6.0
    Graph.from_value(L)     # -> the graph, ready to step through

Local derivatives come from the same op table the stepper uses; backward() is
iterative (no recursion limit) and keeps no closures, so there are no reference
cycles for the garbage collector to chase. `v._backward()` applies one node's local
step, as in the lecture's manual walkthrough (o.grad = 1.0; o._backward(); ...), and
a Value takes extra attributes like micrograd's does.

Bad domains follow IEEE, as the engine does: Value(-1).log() is nan, Value(0).log()
is -inf, Value(1) / 0 is inf, Value(-8) ** (1/3) is nan -- never an exception and never
a complex number; math.isfinite(v.data) tells.
"""
from __future__ import annotations

import numpy as np

from .engine.ops import OPS
from .engine.records import fmt

_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "neg": "neg", "relu": "ReLU",
           "tanh": "tanh", "exp": "exp", "log": "log", "sigmoid": "sigmoid"}


class Value:
    """A scalar with a grad; arithmetic builds the computation graph."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._children = tuple(_children)
        self._prev = set(self._children)
        self._op = _op
        self._name = "leaf"
        self._attrs: dict = {}

    @classmethod
    def _make(cls, name: str, children: tuple, attrs: dict | None = None) -> "Value":
        attrs = attrs or {}
        with np.errstate(all="ignore"):         # IEEE: inf / nan, no warnings
            data = float(OPS[name].forward([np.float64(c.data) for c in children], attrs))
        op_text = f"**{fmt(attrs['exponent'])}" if name == "pow" else _SYMBOL[name]
        out = cls(data, children, op_text)
        out._name, out._attrs = name, attrs
        return out

    # ---- arithmetic ------------------------------------------------------
    def __add__(self, other):
        return Value._make("add", (self, _wrap(other)))

    def __radd__(self, other):
        return Value._make("add", (_wrap(other), self))

    def __sub__(self, other):
        return Value._make("sub", (self, _wrap(other)))

    def __rsub__(self, other):
        return Value._make("sub", (_wrap(other), self))

    def __mul__(self, other):
        return Value._make("mul", (self, _wrap(other)))

    def __rmul__(self, other):
        return Value._make("mul", (_wrap(other), self))

    def __truediv__(self, other):
        return Value._make("div", (self, _wrap(other)))

    def __rtruediv__(self, other):
        return Value._make("div", (_wrap(other), self))

    def __neg__(self):
        return Value._make("neg", (self,))

    def __pow__(self, k):
        if not isinstance(k, (int, float)) or isinstance(k, bool):
            raise TypeError("only int/float powers are supported")
        return Value._make("pow", (self,), {"exponent": float(k)})

    def relu(self):
        return Value._make("relu", (self,))

    def tanh(self):
        return Value._make("tanh", (self,))

    def exp(self):
        return Value._make("exp", (self,))

    def log(self):
        return Value._make("log", (self,))

    def sigmoid(self):
        return Value._make("sigmoid", (self,))

    # ---- autodiff ----------------------------------------------------------
    def topo(self) -> list["Value"]:
        """Every value this one depends on, inputs before users (iterative DFS)."""
        order, seen, stack = [], {id(self)}, [(self, iter(self._children))]
        while stack:
            node, children = stack[-1]
            for c in children:
                if id(c) not in seen:
                    seen.add(id(c))
                    stack.append((c, iter(c._children)))
                    break
            else:
                stack.pop()
                order.append(node)
        return order

    def _backward(self) -> None:
        """This node's local step: each input's grad += local derivative × self.grad."""
        if self._name == "leaf":
            return
        ins = [np.float64(c.data) for c in self._children]
        with np.errstate(all="ignore"):
            parts = OPS[self._name].contributions(ins, np.float64(self.data), self.grad,
                                                  self._attrs)
        for c, g in zip(self._children, parts):
            c.grad += float(g)

    def backward(self) -> None:
        """Accumulate d(self)/d(v) into v.grad for every v (like micrograd, grads add up)."""
        self.grad = 1.0
        for v in reversed(self.topo()):
            v._backward()

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


def _wrap(x) -> Value:
    return x if isinstance(x, Value) else Value(x)
