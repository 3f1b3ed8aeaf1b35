"""What the commands share: the one-line CliError, loading a file, JSON numbers, tables."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class CliError(Exception):
    """A one-line message for the user; exit code 2."""


def _load(path: str, row: int | None = None):
    """Load a graph (and bind a dataset row); any problem becomes a one-line CliError."""
    from .. import load
    from ..io.dataset import bind_row

    def load_and_bind(p: Path):
        graph = load(p)
        ds = graph.dataset or {}
        if row is not None or ds.get("rows") or ds.get("csv"):
            bind_row(graph, row or 0, base_dir=p.parent)
        return graph
    return open_file(path, load_and_bind)


def open_file(path: str, opener):
    """`opener(Path)` on an existing file; any problem becomes a one-line CliError."""
    from ..engine.graph import GraphError
    from ..io import GraphFormatError
    from ..io.dataset import DatasetError
    from ..io.snippet import SnippetError
    p = Path(path)
    if not p.exists():
        raise CliError(f"{path}:0: no such file")
    if p.is_dir():
        raise CliError(f"{path}:0: is a folder, not a graph file")
    try:
        return opener(p)
    except (GraphFormatError, SnippetError) as exc:
        raise CliError(" ".join(str(exc).split())) from None
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



def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [len(h) for h in header]
    for line in [header] + rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())
