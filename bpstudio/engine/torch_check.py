"""Checked, not trusted: compare an imported graph with what PyTorch computed.

Forward: every tensor PyTorch saved (and the output) against bpstudio's float64
evaluation. Backward: PyTorch's own backward (torch.autograd.grad with
retain_graph=True, so the user's graph stays usable) with a pre-hook and a hook on
every autograd node, recording each node's incoming and outgoing grads in PyTorch's
execution order; bpstudio steps the graph in that same order and every node's grad
and every leaf grad must agree. A mismatch is a GraphError naming the node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .node import GraphError
from .ops import OPS
from .records import fmt
from .torch_build import Builder, evaluate


@dataclass
class TorchStep:
    """One autograd node as PyTorch ran it during backward."""
    cls: str
    nodes: list[str]                   # the bpstudio op nodes made for it (forward order)
    output: str                        # the node holding its forward result
    incoming: object = None            # grad arriving at its output
    outgoing: list = field(default_factory=list)   # (target node id, grad) per input slot


def tolerance(float32: bool) -> tuple[float, float]:
    """(rtol, atol relative to the tensor's scale)."""
    return (2e-3, 1e-5) if float32 else (1e-8, 1e-10)


def close(ours, ref, float32: bool) -> bool:
    rtol, atol = tolerance(float32)
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape and ours.size != ref.size:
        return False
    ours = ours.reshape(ref.shape)
    scale = max(1.0, float(np.max(np.abs(ref)))) if ref.size else 1.0
    same_nan = np.isnan(ours) & np.isnan(ref)
    ok = np.abs(ours - ref) <= rtol * np.abs(ref) + atol * scale
    return bool(np.all(ok | same_nan | (ours == ref)))


def check_against_torch(graph, b: Builder, tnodes, output, float32: bool) -> list[TorchStep]:
    values = evaluate(graph)
    for nid, ref in b.witness.items():
        if not close(values[nid], ref, float32):
            raise _mismatch(graph, nid, "value", values[nid], ref)
    steps = record_backward(b, tnodes, output)
    graph.backward_order = [nid for s in steps for nid in reversed(s.nodes)]
    grads = backward(graph, values, graph.backward_order)
    for s in steps:
        if s.incoming is not None and not close(grads[s.output], s.incoming, float32):
            raise _mismatch(graph, s.output, "grad", grads[s.output], s.incoming)
    for t in tnodes:
        if t.cls == "AccumulateGrad":
            nid = b.out_id[t.index]
            ref = getattr(t, "torch_grad", None)
            if ref is not None and not close(grads[nid], ref, float32):
                raise _mismatch(graph, nid, "grad", grads[nid], ref)
    return steps


def backward(graph, values: dict, order: list[str]) -> dict:
    """Every node's grad, the op nodes taken in `order` (the stepper's own rule:
    upstream × local via each op's table entry, accumulated with +=)."""
    grads = {nid: np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0
             for nid, v in values.items()}
    out = values[graph.output]
    grads[graph.output] = np.ones_like(out) if isinstance(out, np.ndarray) else 1.0
    with np.errstate(all="ignore"):
        for nid in order:
            n = graph.nodes[nid]
            ins = [values[i] for i in n.inputs]
            for i, c in zip(n.inputs, OPS[n.op].contributions(ins, values[nid], grads[nid],
                                                               n.attrs)):
                grads[i] = grads[i] + c
    return grads


def _mismatch(graph, nid: str, what: str, ours, ref) -> GraphError:
    n = graph.nodes[nid]
    origin = f" ({n.origin})" if n.origin else ""
    return GraphError(f"node {nid!r}{origin}: bpstudio's {what} {fmt(_plain(ours))} does not "
                      f"match PyTorch's {fmt(_plain(ref))}", nid)


def _plain(x):
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=np.float64)


def _np(g):
    if g is None:
        return None
    a = g.detach().cpu().double().numpy()
    return float(a) if a.ndim == 0 else a.copy()


def record_backward(b: Builder, tnodes, output) -> list[TorchStep]:
    """Run PyTorch's backward once with hooks; the steps in PyTorch's execution order."""
    import torch          # checking needs PyTorch itself; nothing imports it before this
    steps: dict[int, TorchStep] = {}
    order: list[int] = []
    handles = []
    for t in tnodes:
        if t.cls == "AccumulateGrad":
            continue
        steps[t.index] = TorchStep(t.cls, list(b.groups.get(t.index, [])), b.out_id[t.index])
        handles.append(t.fn.register_prehook(_pre(t.index, steps, order)))
        handles.append(t.fn.register_hook(_post(t, b, steps)))
    leaves = [t for t in tnodes if t.cls == "AccumulateGrad"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)       # graphs worth stepping are small: threads only cost here
    try:
        grads = torch.autograd.grad(output, [t.variable for t in leaves],
                                    grad_outputs=torch.ones_like(output),
                                    retain_graph=True, allow_unused=True)
    except RuntimeError as exc:
        if "freed" in str(exc) or "second time" in str(exc):
            from .torch_walk import freed_message
            raise GraphError(freed_message(type(output.grad_fn).__name__)) from None
        raise
    finally:
        torch.set_num_threads(threads)
        for h in handles:
            h.remove()
    for t, g in zip(leaves, grads):
        t.torch_grad = 0.0 * t.variable.detach().double().numpy() if g is None else _np(g)
    return [steps[k] for k in order] + [s for k, s in steps.items() if k not in set(order)]


def _pre(k: int, steps: dict, order: list):
    def hook(grad_outputs):
        order.append(k)
        steps[k].incoming = _np(grad_outputs[0])
    return hook


def _post(t, b: Builder, steps: dict):
    def hook(grad_inputs, grad_outputs):
        steps[t.index].outgoing = [
            (b.out_id[n] if n is not None else None, _np(g))
            for n, g in zip(t.nexts, grad_inputs)]
    return hook
