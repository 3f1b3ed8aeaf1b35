"""`bpstudio grad FILE [--row K] [--json]` — forward + backward; every node's data and grad."""
from __future__ import annotations

import json
import sys

import numpy as np

from ..engine import Stepper
from ..engine.nonfinite import first_nonfinite
from ..engine.records import fmt
from .common import _jsonable, _load, _print_table


def add_parser(sub) -> None:
    g = sub.add_parser("grad", help="forward + backward; print every node's data and grad")
    g.add_argument("file", help="a .json graph or a micrograd-style .py snippet")
    g.add_argument("--row", type=int, default=None, metavar="K", help="bind dataset row K (default 0)")
    g.add_argument("--json", action="store_true", help="print the output, data and grads as JSON")
    g.set_defaults(func=cmd_grad)


def cmd_grad(args) -> int:
    graph = _load(args.file, args.row)
    stepper = Stepper(graph)
    with np.errstate(all="ignore"):
        stepper.run_to_end()
        bad = first_nonfinite(stepper)
    rows = [{"id": nid, "label": n.label, "op": n.op, "data": stepper.value(nid),
             "grad": stepper.grad(nid)} for nid, n in graph.nodes.items()]
    if bad is not None:            # one line: where it started, not every node it reached
        print(f"bpstudio: {args.file}: {bad.message}", file=sys.stderr)
    if args.json:
        out = {"output": graph.output,
               "nodes": [{**r, "data": _jsonable(r["data"]), "grad": _jsonable(r["grad"])}
                         for r in rows]}
        print(json.dumps(out))
        return 0
    _print_table(["id", "label", "op", "data", "grad"],
                 [[r["id"], r["label"], r["op"], fmt(r["data"], 10, "-"), fmt(r["grad"], 10, "-")]
                  for r in rows])
    return 0

