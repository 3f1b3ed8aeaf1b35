"""What `bpstudio run` executes: a script, or a notebook's code cells in order, compiled
with hooks on the calls that name a value to show. No Qt.

IPython-only lines (`%magic`, `!shell`, `get_ipython()...`) become `pass` (`%time stmt`
and `%%time` cells run their code once), cells that start with another `%%` cell magic
are skipped; line numbers stay the user's, so a traceback
points at the user's own line. Every `X.backward(...)`, `draw_dot(X)`, `show(X)` and
`bpstudio.show(X)` / `bpstudio.draw(X)` call becomes a call through the run's recorder
(HOOK), which notes X and then does what the code asked.
"""
from __future__ import annotations

import ast
import json
import linecache
import re
from dataclasses import dataclass
from pathlib import Path

HOOK = "__bpstudio_run__"
SHOWERS = ("draw_dot", "show", "draw")
_IPYTHON_LINE = re.compile(r"^(\s*)(%|!|.*\bget_ipython\(\))")
_TIMED = re.compile(r"^(\s*)%(?:time|timeit)\s+(?!-)(.*)$")      # %time stmt runs stmt
_TIMED_CELL = re.compile(r"^\s*%%(?:time|timeit)\b[^\n]*")


class SourceError(Exception):
    """`FILE:LINE: why` -- the file cannot be read or compiled."""


@dataclass
class Unit:
    """One piece of code to run: the whole script, or one notebook cell."""
    code: object            # a code object
    where: str              # "line" prefix for messages: "" or "cell 3, "


def read_units(path: Path) -> list[Unit]:
    if path.suffix.lower() == ".ipynb":
        return [compile_unit(src, f"{path} [cell {n}]", f"cell {n}, ")
                for n, src in notebook_cells(path)]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}:0: cannot read: {exc}") from None
    return [compile_unit(text, str(path), "")]


def notebook_cells(path: Path) -> list[tuple[int, str]]:
    """(cell number counting from 1, source) for every code cell, in order."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{path}:0: not a readable .ipynb notebook ({exc})") from None
    out = []
    for n, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        src = _TIMED_CELL.sub("pass", src, count=1)
        if not src.lstrip().startswith("%%"):
            out.append((n, src))
    return out


def plain_python(text: str) -> str:
    """IPython-only lines become `pass` at the same indent; the line count is kept."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        timed = _TIMED.match(line)
        m = _IPYTHON_LINE.match(line)
        if timed:
            lines[i] = timed.group(1) + timed.group(2)
        elif m and not line.lstrip().startswith("#"):
            lines[i] = f"{m.group(1)}pass"
    return "\n".join(lines) + "\n"


def compile_unit(text: str, filename: str, where: str) -> Unit:
    text = plain_python(text)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as exc:
        raise SourceError(f"{filename}:{exc.lineno or 0}: {exc.msg}") from None
    tree = ast.fix_missing_locations(_Hooks().visit(tree))
    return Unit(compile(tree, filename, "exec"), where)


class _Hooks(ast.NodeTransformer):
    """obj.backward(...) -> HOOK.backward(LINE, obj, ...);
    draw_dot(x) -> HOOK.shown(LINE, 'draw_dot', draw_dot, x)."""

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        f = node.func
        line = ast.Constant(node.lineno)
        if isinstance(f, ast.Attribute) and f.attr == "backward":
            new = ast.Call(_hook("backward"), [line, f.value, *node.args], node.keywords)
        elif _shower(f):
            name = f.id if isinstance(f, ast.Name) else f.attr
            new = ast.Call(_hook("shown"), [line, ast.Constant(name), f, *node.args],
                           node.keywords)
        else:
            return node
        return ast.copy_location(new, node)


def _hook(method: str) -> ast.Attribute:
    return ast.Attribute(ast.Name(HOOK, ast.Load()), method, ast.Load())


def _shower(f) -> bool:
    if isinstance(f, ast.Name):
        return f.id in ("draw_dot", "show")
    return (isinstance(f, ast.Attribute) and f.attr in SHOWERS
            and isinstance(f.value, ast.Name) and f.value.id in ("bpstudio", "bp"))
