"""Names for an imported PyTorch graph: a module's parameter names, names the caller
passes, or the caller's own variable names; structural names otherwise."""
from __future__ import annotations

import sys

import numpy as np

from .torch_walk import is_tensor, to_numpy


def caller_locals() -> dict:
    """The variables of the first frame outside bpstudio (the user's code)."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__", "").startswith("bpstudio"):
        f = f.f_back
    return dict(f.f_locals) if f is not None else {}


def _is_module(x) -> bool:
    return type(x).__module__.startswith("torch.nn") and hasattr(x, "named_parameters")


class Names:
    """tensor -> name (parameters and inputs by identity), grad_fn -> name (results)."""

    def __init__(self, names=None, module=None, local_vars: dict | None = None):
        self.by_tensor: dict[int, str] = {}
        self.by_fn: dict[int, str] = {}
        self.plain: list[tuple[str, object]] = []     # tensors needing no grad, by value
        self._keep: list = []                         # keeps the ids above meaningful
        if module is not None:
            for name, p in module.named_parameters():
                self._add(name, p)
        items = names.items() if hasattr(names, "items") else (names or ())
        for name, t in items:
            self._add(str(name), t)
        for var, x in (local_vars or {}).items():
            if var.startswith("_"):
                continue
            if is_tensor(x):
                self._add(var, x, weak=True)
            elif module is None and _is_module(x):
                for name, p in x.named_parameters():
                    self._add(f"{var}.{name}", p, weak=True)

    def _add(self, name: str, t, weak: bool = False) -> None:
        if not is_tensor(t):
            return
        self._keep.append(t)
        fn = t.grad_fn
        table, key = (self.by_fn, id(fn)) if fn is not None else (self.by_tensor, id(t))
        if weak and key in table:
            return
        table[key] = name
        if fn is None and not t.requires_grad:
            self.plain.append((name, t))

    def of_tensor(self, t) -> str:
        return self.by_tensor.get(id(t), "")

    def of_fn(self, fn) -> str:
        return self.by_fn.get(id(fn), "")

    def by_value(self, value, exclude=()) -> str:
        """The one caller tensor (needing no grad, not yet in the graph) that holds
        exactly `value`, if any."""
        hits = [name for name, t in self.plain if name not in exclude
                and tuple(t.shape) == np.shape(value) and np.array_equal(to_numpy(t), value)]
        return hits[0] if len(hits) == 1 else ""
