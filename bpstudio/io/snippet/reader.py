"""Reading a snippet file: size limit, decoding, notebook lines, ``ast.parse``."""
from __future__ import annotations

import ast
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ...engine.graph import Graph
from .builder import Builder
from .errors import MAX_BYTES, SnippetError

_NOTEBOOK_LINE = re.compile(r"^([ \t]*)[%!?]")      # %magic, %%cell, !shell, ?help


def load_snippet(path) -> Graph:
    """Read a ``.py`` snippet file into a Graph (never runs it).

    Files over 50 MB are refused before reading (the JSON limit); OSError propagates."""
    name = os.fsdecode(path)
    size = os.stat(name).st_size
    if size > MAX_BYTES:
        raise _too_big(name, size)
    with open(name, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_big(name, len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SnippetError(name, line, 1, "the file is not UTF-8 text") from None
    return parse_snippet(text, name)


def _too_big(name: str, size: int) -> SnippetError:
    return SnippetError(name, 1, 1, f"the file is too large: {size / 2**20:.1f} MB "
                                    f"(the limit is {MAX_BYTES / 2**20:.1f} MB)")


def _as_pass(m: re.Match) -> str:
    return m.group(1) + "pass #"


def parse_snippet(text: str, path="<snippet>") -> Graph:
    """Turn snippet text into a validated Graph, or raise SnippetError."""
    if len(text) > MAX_BYTES:
        raise _too_big(str(path), len(text.encode("utf-8", "surrogatepass")))
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)                 # Python's newlines
    source = "\n".join(_NOTEBOOK_LINE.sub(_as_pass, line) for line in lines)
    try:
        with warnings.catch_warnings():            # "invalid escape sequence" etc.: not ours
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=str(path), mode="exec")
    except SyntaxError as exc:
        raise SnippetError(path, exc.lineno or 1, exc.offset or 1,
                           f"syntax error: {exc.msg}") from None
    except RecursionError:
        raise SnippetError(path, 1, 1, "an expression is nested too deeply for "
                           "Python's parser; split it into several statements") from None
    except (ValueError, MemoryError, OverflowError) as exc:
        raise SnippetError(path, 1, 1, f"cannot parse: {exc}") from None
    builder = Builder(str(path), lines)
    try:
        with np.errstate(all="ignore"):            # forward values follow IEEE quietly
            builder.run(tree.body)
    except RecursionError:
        raise SnippetError(path, 1, 1, "the snippet is nested too deeply to read") from None
    title = Path(str(path)).stem if not str(path).startswith("<") else "snippet"
    return builder.finish(title)
