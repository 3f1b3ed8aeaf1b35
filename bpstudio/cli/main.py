"""Command line: `bpstudio [FILE]` opens the app; grad, check, train and render work headless.

Qt is imported only by the app and by `render`. Bad input of any kind: exit 2 and
one line `bpstudio: FILE:LINE: what is wrong`, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import CliError

COMMANDS = ("grad", "check", "train", "render")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bpstudio", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    from . import check, grad
    grad.add_parser(sub)
    check.add_parser(sub)
    _add_optional_commands(sub)
    return p


def _add_optional_commands(sub) -> None:
    try:
        from . import train
        train.add_parser(sub)
    except ImportError:
        pass
    try:
        from . import render
        render.add_parser(sub)
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
            return args.func(args)
        args = _app_parser().parse_args(argv)
        return _run_app(args)
    except CliError as exc:
        print(f"bpstudio: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run_app(args) -> int:
    if args.file and not Path(args.file).exists():
        raise CliError(f"{args.file}:0: no such file")
    try:
        from ..ui.app import run_app
    except ImportError as exc:
        raise CliError(f"the desktop app needs PySide6 and pyqtgraph ({exc})") from None
    return run_app(args.file, present=getattr(args, "present", False))
