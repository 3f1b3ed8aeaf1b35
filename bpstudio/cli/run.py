"""`bpstudio run SCRIPT.py | NOTEBOOK.ipynb`: run the user's own code and open the window
on the last value it passed to draw_dot(...), show(...) or .backward() (or --value NAME).

This runs the file as Python, with the same trust as `python SCRIPT.py`. It is the only
command that executes anything; opening a file in the window never does.
"""
from __future__ import annotations

import builtins
import importlib.abc
import importlib.util
import os
import sys
import traceback
import types
from pathlib import Path

from .common import CliError

HELP = ("run your own script or notebook as Python and show its value in the window "
        "(executes the file: only for code you trust)")
DESCRIPTION = (
    "Run SCRIPT.py, or NOTEBOOK.ipynb's code cells in order, as Python -- the same trust as "
    "`python SCRIPT.py`: it executes the file, so run only code you trust (File > Open in the "
    "window never executes anything). Then open the window on the last value the code passed "
    "to draw_dot(...), show(...) or .backward(), as it was at that moment. In notebooks, "
    "%magics, !shell lines and get_ipython() lines are skipped. If graphviz or matplotlib is "
    "not installed, a stand-in lets draw_dot and plots run without drawing. If the code "
    "raises, its traceback is printed and the exit code is 1.")
DISPLAY_ONLY = ("graphviz", "matplotlib", "matplotlib.pyplot")


def add_parser(sub) -> None:
    r = sub.add_parser("run", help=HELP, description=DESCRIPTION)
    r.add_argument("file", metavar="SCRIPT.py|NOTEBOOK.ipynb",
                   help="your script, or a notebook whose code cells run in order")
    r.add_argument("--value", metavar="NAME",
                   help="show the variable NAME (as it is when the code ends) instead")
    r.add_argument("args", nargs="*", help="passed on to the script as sys.argv[1:]")
    r.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from .run_source import SourceError, read_units
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}:0: no such file")
    try:
        units = read_units(path)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    recorder = Recorder()
    failed = run_units(path, units, recorder, list(args.args))
    if failed is not None:
        return failed
    doc, what = pick(path, recorder, args.value)
    print(f"bpstudio: showing {what}", file=sys.stderr)
    from ..ui.show import open_window
    open_window(doc, block=True)
    return 0


# ---- running the user's code --------------------------------------------------------------
def run_units(path: Path, units, recorder, argv: list[str]) -> int | None:
    """Execute every unit in one namespace, as `python FILE` would; the exit code if the
    code raised (its traceback printed), else None."""
    from .run_source import HOOK
    ns = {"__name__": "__main__", "__file__": str(path), "__builtins__": builtins,
          HOOK: recorder}
    if path.suffix.lower() == ".ipynb":
        ns["display"] = lambda *a, **k: None
    recorder.namespace = ns
    saved = sys.argv[:], sys.path[:]
    sys.argv = [str(path)] + argv
    sys.path.insert(0, str(path.resolve().parent))
    try:
        with _StandIns():
            for unit in units:
                recorder.where = unit.where
                exec(unit.code, ns)
    except SystemExit as exc:
        code = exc.code
        if code not in (None, 0):
            if not isinstance(code, int):
                print(code, file=sys.stderr)
            return code if isinstance(code, int) else 1
    except BaseException as exc:        # the user's own error: their traceback, exit 1
        print_user_traceback(exc)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv, sys.path = saved[0], saved[1]
    return None


def print_user_traceback(exc: BaseException) -> None:
    """The traceback without bpstudio's own frames (the user's code is what matters)."""
    here = {__file__, str(Path(__file__).with_name("run_source.py"))}
    tb = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename not in here]
    lines = ["Traceback (most recent call last):\n"] + traceback.format_list(tb)
    lines += traceback.format_exception_only(type(exc), exc)
    sys.stderr.write("".join(lines))


class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last on sys.meta_path: graphviz / matplotlib stand-ins when they are not installed,
    so draw_dot and plots run (drawing nothing) and the value still reaches the window."""

    def __init__(self):
        self.made: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if name in DISPLAY_ONLY:
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        if "." not in spec.name:
            print(f"bpstudio: note: {spec.name} is not installed; a stand-in that draws "
                  f"nothing is used", file=sys.stderr)
        module = _StandIn(spec.name)
        module.__path__ = []
        self.made.append(spec.name)
        return module

    def exec_module(self, module) -> None:
        pass

    def __enter__(self):
        sys.meta_path.append(self)
        return self

    def __exit__(self, *exc):
        sys.meta_path.remove(self)
        for name in self.made:
            sys.modules.pop(name, None)


class _StandIn(types.ModuleType):
    """Any attribute, call, item or unpacking gives another stand-in."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _StandIn(f"{self.__name__}.{name}")

    def __call__(self, *args, **kwargs):
        return _StandIn(self.__name__)

    def __getitem__(self, key):
        return _StandIn(self.__name__)

    def __iter__(self):
        return iter((_StandIn(self.__name__), _StandIn(self.__name__)))


# ---- what the code passed to draw_dot / show / backward ----------------------------------
class Recorder:
    """Called by the hooked lines. Each capture snapshots the numbers at once: a training
    loop changes the leaves right after backward(), and the window shows the value as it
    was then."""

    def __init__(self):
        self.namespace: dict = {}
        self.where = ""
        self.last = None            # (description, Document or the GraphError)

    def backward(self, line: int, obj, *args, **kwargs):
        from ..engine.torch_walk import is_tensor
        how = f".backward() at {self.where}line {line}"
        if is_tensor(obj):              # before: PyTorch's backward frees what we read
            self._capture(obj, how, sys._getframe(1))
            return obj.backward(*args, **kwargs)
        result = obj.backward(*args, **kwargs)
        self._capture(obj, how, sys._getframe(1))
        return result

    def shown(self, line: int, name: str, func, *args, **kwargs):
        value = args[0] if args else next(iter(kwargs.values()), None)
        self._capture(value, f"{name}(...) at {self.where}line {line}", sys._getframe(1))
        if _is_ours(func):
            return None if name == "show" else func(*args, **kwargs)
        return func(*args, **kwargs)

    def _capture(self, value, how: str, frame) -> None:
        """Note the value and its numbers now (a cheap snapshot; converted only if it is
        still the last one when the code ends)."""
        from ..engine.convert import Snapshot
        from ..engine.torch_walk import is_tensor
        from ..model.from_object import graph_of, names_in, open_at
        names = names_in(frame.f_locals, self.namespace)
        label = getattr(value, "label", "") or names.get(id(value), "")
        what = f"{label!r} (passed to {how})" if label else f"the value passed to {how}"
        try:
            if is_tensor(value):          # converted now: its autograd graph goes soon
                value = open_at(*graph_of(value, names=names, title=label or None))
            elif not isinstance(value, (str, os.PathLike)) and hasattr(value, "data"):
                value = Snapshot(value)
            self.last = (what, (value, names, label or None))
        except Exception as exc:          # reported only if nothing later replaces it
            self.last = (what, exc)
        finally:
            del frame


def _is_ours(func) -> bool:
    return getattr(func, "__module__", "") == "bpstudio"


def pick(path: Path, recorder: Recorder, name: str | None):
    """(document, description) of what to show; CliError when there is nothing good."""
    from ..model.from_object import document_of, names_in
    if name:
        ns = recorder.namespace
        if name not in ns:
            raise CliError(f"{path}:0: the code defines no variable {name!r}")
        try:
            return document_of(ns[name], names=names_in(ns), title=name), repr(name)
        except Exception as exc:
            raise CliError(f"{path}:0: cannot show {name!r}: {_one_line(exc)}") from None
    if recorder.last is None:
        raise CliError(f"{path}:0: the code never passed a value to draw_dot(...), show(...) "
                       f"or .backward(); pick one with --value NAME")
    what, got = recorder.last
    try:
        if isinstance(got, Exception):
            raise got
        value, names, title = got
        return document_of(value, names=names, title=title), what
    except Exception as exc:
        raise CliError(f"{path}:0: cannot show {what}: {_one_line(exc)}") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

