"""Command line: `bpstudio [FILE]` opens the app; grad, check, train and render work headless.

Qt is imported only by the app and by `render`. Bad input of any kind: exit 2 and
one line `bpstudio: FILE:LINE: what is wrong`, never a traceback.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from .. import __version__
from .common import CliError

COMMANDS = ("grad", "check", "train", "render", "run")
VERSION = f"bpstudio {__version__}"


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bpstudio", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=VERSION, help="print the version")
    sub = p.add_subparsers(dest="command", required=True)
    from . import check, grad, run
    grad.add_parser(sub)
    check.add_parser(sub)
    run.add_parser(sub)
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
    p = _Parser(prog="bpstudio", usage="bpstudio [-h] [--version] [--present] [FILE]\n"
                "       bpstudio COMMAND [options] FILE",
                description="Open the bpstudio window on FILE (default: a copy of the built-in\n"
                "example), or run a command without a window.",
                epilog=_commands_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE",
                   help="a .json graph or a micrograd-style .py snippet")
    p.add_argument("--present", action="store_true",
                   help="start in presentation mode (full screen; Esc leaves)")
    p.add_argument("--version", action="version", version=VERSION, help="print the version")
    return p


def _commands_text() -> str:
    """The commands, one line each, for `bpstudio --help`."""
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    rows = [(a.dest, a.help) for a in sub._choices_actions]
    rows.append(("help", "this help; `bpstudio help COMMAND`: that command's options"))
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name:<{width}}  {text}" for name, text in rows]
    return "commands (bpstudio COMMAND --help lists its options):\n" + "\n".join(lines)


def _help(topic: list[str]) -> int:
    """`bpstudio help [COMMAND]`."""
    if topic and topic[0] in COMMANDS:
        _parser().parse_args([topic[0], "--help"])      # prints and exits 0
    elif topic:
        raise CliError(f"help: no command {topic[0]!r} (commands: {', '.join(COMMANDS)})")
    _app_parser().print_help()
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit 2."""

    def error(self, message):
        raise CliError(f"{self.prog}: {message} (see --help)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "help":
            return _help(argv[1:])
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
    except BrokenPipeError:              # `bpstudio grad big.json | head`: the reader left
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def _run_app(args) -> int:
    if args.file and not Path(args.file).exists():
        raise CliError(f"{args.file}:0: no such file")
    try:
        from ..ui.app import run_app
    except ImportError as exc:
        raise CliError(f"the desktop app needs PySide6 and pyqtgraph ({exc})") from None
    return run_app(args.file, present=getattr(args, "present", False))
