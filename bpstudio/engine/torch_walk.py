"""Read a PyTorch autograd graph into plain records, touching torch objects by duck typing.

Nothing here imports torch. `walk(output)` follows `output.grad_fn` through
`next_functions` iteratively (inputs before users) and reads every `_saved_*`
attribute at once, before anything can free it: PyTorch frees saved tensors when
`backward()` runs, unless it was given `retain_graph=True`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .node import GraphError

SAVED = "_saved_"
_U64 = 1 << 64


@dataclass
class TNode:
    """One autograd node (a grad_fn), or a parameter leaf behind an AccumulateGrad."""
    index: int
    cls: str                               # "AddmmBackward0", "AccumulateGrad", ...
    fn: Any                                # the grad_fn itself (hooks are registered on it)
    nexts: list[int | None]                # per input slot: producer's index, None: no grad
    saved: dict[str, Any] = field(default_factory=dict)
    out_shape: tuple = ()
    variable: Any = None                   # AccumulateGrad: the parameter tensor


def is_tensor(x) -> bool:
    """A torch.Tensor, recognised without importing torch."""
    return type(x).__module__.startswith("torch") and hasattr(x, "grad_fn") and \
        hasattr(x, "detach") and hasattr(x, "requires_grad")


def to_numpy(t) -> float | np.ndarray:
    a = np.asarray(t.detach().cpu().double().numpy(), dtype=np.float64)
    return float(a) if a.ndim == 0 else a.copy()


def signed(v):
    """PyTorch hands back negative ints (dim=-1, ignore_index=-100) as unsigned 64-bit."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v >= 1 << 63:
        return v - _U64
    if isinstance(v, tuple):
        return tuple(signed(x) for x in v)
    return v


def _read_saved(fn) -> dict[str, Any]:
    """Every `_saved_*` attribute of fn, tensors kept as tensors (converted later)."""
    out = {}
    for attr in dir(fn):
        if not attr.startswith(SAVED):
            continue
        try:
            v = getattr(fn, attr)
        except RuntimeError as exc:
            if "freed" in str(exc) or "second time" in str(exc):
                raise GraphError(freed_message(type(fn).__name__)) from None
            raise
        out[attr[len(SAVED):]] = v if is_tensor(v) else signed(v)
    return out


def freed_message(cls: str) -> str:
    return (f"PyTorch has already freed the saved tensors of {cls} (backward() ran on this "
            "graph). Call Graph.from_torch(loss) before loss.backward(), or call "
            "loss.backward(retain_graph=True) first.")


def _out_shape(fn) -> tuple:
    meta = getattr(fn, "_input_metadata", None)
    if meta:
        return tuple(int(n) for n in meta[0].shape)
    return ()


def walk(output) -> tuple[list[TNode], int]:
    """All autograd nodes behind `output`, producers first; and the output's node index."""
    root = output.grad_fn
    if root is None:
        raise GraphError("this tensor has no grad_fn: nothing that needs a gradient was "
                         "computed to make it (use requires_grad=True on a parameter, and "
                         "do not build it under torch.no_grad())")
    order: list = []
    index: dict[int, int] = {}
    keep: list = [root]                          # keeps ids unique while we walk
    stack = [(root, iter(_nexts(root)))]
    seen = {id(root)}
    while stack:
        fn, it = stack[-1]
        for nxt in it:
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                keep.append(nxt)
                stack.append((nxt, iter(_nexts(nxt))))
                break
        else:
            stack.pop()
            index[id(fn)] = len(order)
            order.append(fn)
    nodes = [_record(k, fn, index) for k, fn in enumerate(order)]
    return nodes, index[id(root)]


def _nexts(fn) -> list:
    return [f for f, _ in (getattr(fn, "next_functions", ()) or ())]


def _record(k: int, fn, index: dict[int, int]) -> TNode:
    cls = type(fn).__name__
    nexts = []
    for f, nr in getattr(fn, "next_functions", ()) or ():
        if f is not None and nr != 0:
            raise GraphError(f"{cls}: input from output {nr} of {type(f).__name__} — ops with "
                             "several outputs (split, unbind, max with indices) are not supported")
        nexts.append(None if f is None else index[id(f)])
    if cls == "AccumulateGrad":
        return TNode(k, cls, fn, [], {}, tuple(fn.variable.shape), fn.variable)
    return TNode(k, cls, fn, nexts, _read_saved(fn), _out_shape(fn))
