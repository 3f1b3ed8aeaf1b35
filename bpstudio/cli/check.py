"""`bpstudio check FILE` — central-difference check of every leaf's grad."""
from __future__ import annotations

import json
import sys

import numpy as np

from ..engine.records import fmt
from .common import _jsonable, _load, _print_table


def add_parser(sub) -> None:
    c = sub.add_parser("check", help="central-difference check of every leaf's grad")
    c.add_argument("file", help="a .json graph or a micrograd-style .py snippet")
    c.add_argument("--row", type=int, default=None, metavar="K",
                   help="bind dataset row K first (default 0)")
    c.add_argument("--eps", type=float, default=1e-6,
                   help="the central difference's step (default 1e-6)")
    c.add_argument("--tol", type=float, default=1e-6,
                   help="largest relative error that passes (default 1e-6)")
    c.add_argument("--json", action="store_true", help="print the results as JSON")
    c.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    from ..engine.gradcheck import check_gradients
    graph = _load(args.file, args.row)
    with np.errstate(all="ignore"):
        results = check_gradients(graph, eps=args.eps, tol=args.tol)
    bad = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps({"ok": not bad, "eps": args.eps, "tol": args.tol, "leaves": [
            {"id": r.node, "label": r.label, "analytic": _jsonable(r.analytic),
             "numeric": _jsonable(r.numeric), "error": _jsonable(r.error), "ok": r.ok,
             "kink": r.kink} for r in results]}))
    else:
        _print_table(["id", "label", "analytic", "numeric", "error", "ok"],
                     [[r.node, r.label, fmt(r.analytic, 10, "-"), fmt(r.numeric, 10, "-"),
                       f"{r.error:.2e}", r.status] for r in results])
    if bad:
        names = ", ".join(r.node for r in bad)
        print(f"bpstudio: {args.file}: gradient check failed for: {names}", file=sys.stderr)
        return 1
    return 0
