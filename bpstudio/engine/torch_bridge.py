"""Graph.from_torch: a PyTorch computation as a bpstudio graph, checked against PyTorch.

Nothing here imports torch at module level; the check (torch_check) imports it
inside the function that runs PyTorch's own backward.
"""
from __future__ import annotations

from .nogc import paused_gc
from .torch_build import Builder
from .torch_convert import CONVERTERS, unsupported
from .torch_names import Names
from .torch_walk import is_tensor, to_numpy, walk


def graph_from_torch(cls, output, *, names=None, module=None, title: str = "",
                     local_vars: dict | None = None, check: bool = True):
    """See Graph.from_torch."""
    with paused_gc():
        tnodes, root = walk(output)
        float32 = str(output.dtype) != "torch.float64"
        graph = cls(title)
        b = Builder(graph, Names(names, module, local_vars), float32)
        for t in tnodes:
            b.out_id[t.index] = _convert(b, t)
        graph.output = b.out_id[root]
        b.witness[graph.output] = to_numpy(output)
        b.solve_unknowns()
        graph.validate()
    if check:
        from .torch_check import check_against_torch
        graph.torch_trace = check_against_torch(graph, b, tnodes, output, float32)
    return graph


def _convert(b: Builder, t) -> str:
    if t.cls == "AccumulateGrad":
        return b.parameter(t)
    conv = CONVERTERS.get(t.cls)
    if conv is None:
        raise unsupported(t.cls)
    b.cur = t
    out = conv(b, t)
    result = t.saved.get("result")
    if is_tensor(result):
        b.witness[out] = to_numpy(result)
    return b.name_output(t, out)
