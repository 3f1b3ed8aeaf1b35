"""Command line: `bpstudio [FILE]` opens the app; grad, check, train and render work headless.

Qt is imported only by the app and by `render`. Bad input of any kind: exit 2 and
one line `bpstudio: FILE:LINE: what is wrong`, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .engine import Stepper
from .engine.records import fmt

COMMANDS = ("grad", "check", "train", "render")


class CliError(Exception):
    """A one-line message for the user; exit code 2."""


def _load(path: str, row: int | None = None):
    """Load a graph (and bind a dataset row); any problem becomes a one-line CliError."""
    from . import load
    from .engine.graph import GraphError
    from .io import GraphFormatError
    from .io.dataset import DatasetError, bind_row
    from .io.snippet import SnippetError
    p = Path(path)
    if not p.exists():
        raise CliError(f"{path}:0: no such file")
    if p.is_dir():
        raise CliError(f"{path}:0: is a folder, not a graph file")
    try:
        graph = load(p)
        ds = graph.dataset or {}
        if row is not None or ds.get("rows") or ds.get("csv"):
            bind_row(graph, row or 0, base_dir=p.parent)
        return graph
    except (GraphFormatError, SnippetError) as exc:
        raise CliError(str(exc)) from None
    except (GraphError, DatasetError, ValueError, OSError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise CliError(text if text.startswith(str(path)) else f"{path}:1: {text}") from None


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()] if x.ndim else _jsonable(float(x))
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else repr(x)    # 'nan' / 'inf' as strings: JSON has no NaN


def cmd_grad(args) -> int:
    graph = _load(args.file, args.row)
    stepper = Stepper(graph)
    stepper.run_to_end()
    rows = [{"id": nid, "label": n.label, "op": n.op, "data": stepper.value(nid),
             "grad": stepper.grad(nid)} for nid, n in graph.nodes.items()]
    _warn_non_finite(args.file, rows)
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


def _warn_non_finite(path, rows) -> None:
    for r in rows:
        for key in ("data", "grad"):
            if r[key] is not None and not np.all(np.isfinite(r[key])):
                print(f"bpstudio: {path}: warning: {key} of node {r['id']!r} is not finite",
                      file=sys.stderr)


def cmd_check(args) -> int:
    from .engine.gradcheck import check_gradients
    graph = _load(args.file, args.row)
    results = check_gradients(graph, eps=args.eps, tol=args.tol)
    bad = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps({"ok": not bad, "eps": args.eps, "tol": args.tol, "leaves": [
            {"id": r.node, "label": r.label, "analytic": _jsonable(r.analytic),
             "numeric": _jsonable(r.numeric), "error": r.error, "ok": r.ok} for r in results]}))
    else:
        _print_table(["id", "label", "analytic", "numeric", "error", "ok"],
                     [[r.node, r.label, fmt(r.analytic, 10, "-"), fmt(r.numeric, 10, "-"),
                       f"{r.error:.2e}", "ok" if r.ok else "DIFFERS"] for r in results])
    if bad:
        names = ", ".join(r.node for r in bad)
        print(f"bpstudio: {args.file}: gradient check failed for: {names}", file=sys.stderr)
        return 1
    return 0


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [len(h) for h in header]
    for line in [header] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bpstudio", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grad", help="forward + backward; print every node's data and grad")
    g.add_argument("file")
    g.add_argument("--row", type=int, default=None, help="bind dataset row K (default 0)")
    g.add_argument("--json", action="store_true")
    c = sub.add_parser("check", help="central-difference check of every leaf's grad")
    c.add_argument("file")
    c.add_argument("--row", type=int, default=None)
    c.add_argument("--eps", type=float, default=1e-6)
    c.add_argument("--tol", type=float, default=1e-6)
    c.add_argument("--json", action="store_true")
    _add_optional_commands(sub)
    return p


def _add_optional_commands(sub) -> None:
    try:
        from . import cli_train
        cli_train.add_parser(sub)
    except ImportError:
        pass
    try:
        from . import cli_render
        cli_render.add_parser(sub)
    except ImportError:
        pass


def _app_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bpstudio", description="Open the bpstudio window (default: a built-in example). "
        "Headless commands: bpstudio {grad,check,train,render} --help")
    p.add_argument("file", nargs="?", help="a .json graph or a micrograd-style .py snippet")
    p.add_argument("--present", action="store_true", help="start in presentation mode")
    return p


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit 2."""

    def error(self, message):
        raise CliError(f"{self.prog}: {message} (see --help)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = _parser().parse_args(argv)
            return args.func(args) if hasattr(args, "func") else _dispatch(args)
        args = _app_parser().parse_args(argv)
        return _run_app(args)
    except CliError as exc:
        print(f"bpstudio: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args) -> int:
    return {"grad": cmd_grad, "check": cmd_check}[args.command](args)


def _run_app(args) -> int:
    if args.file and not Path(args.file).exists():
        raise CliError(f"{args.file}:0: no such file")
    try:
        from .ui.app import run_app
    except ImportError as exc:
        raise CliError(f"the desktop app needs PySide6 and pyqtgraph ({exc})") from None
    return run_app(args.file, present=getattr(args, "present", False))
