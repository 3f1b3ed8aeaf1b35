"""Datasets saved with a graph: columns bound to leaves, rows inline or in a CSV file.

A column names a scalar leaf (``"x1"``) or one element of a tensor leaf
(``"x[0,1]"``, ``"b[2]"``). ``bind_row(graph, k)`` writes row k into those leaves.
"""
from __future__ import annotations

import csv
import io
import operator
import os
import re
import stat
import time
import weakref

import numpy as np

from ..engine.graph import Graph
from .validate import Problem, describe, short, suggest

MAX_CSV_BYTES = 50 * 1024 * 1024
DATASET_KEYS = ("columns", "csv", "rows")
_COLUMN = re.compile(r"(?P<id>.+)\[(?P<idx>\s*\d+\s*(?:,\s*\d+\s*)*)\]", re.S)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")   # linear: no nested \d runs
MAX_CELL_CHARS = 1000               # longer is no number a dataset needs (and float() is slow)
READ_SECONDS = 10.0
_HEADER_NAME = re.compile(r"[A-Za-z_][\w\[\] ,.-]{0,39}")
_NUM = frozenset({int, float})
_base_dirs: "weakref.WeakKeyDictionary[Graph, str]" = weakref.WeakKeyDictionary()
_csv_cache: dict[tuple, np.ndarray] = {}


class DatasetError(Problem, ValueError):
    """A dataset that cannot be read or bound; ``.path`` is its JSON path in the file."""


class RowIndexError(DatasetError, IndexError):
    """bind_row was asked for a row the dataset does not have."""


def parse_column(col: str) -> tuple[str, tuple[int, ...] | None]:
    """``"x[0,1]"`` -> ``("x", (0, 1))``; ``"x1"`` -> ``("x1", None)``."""
    m = _COLUMN.fullmatch(col)
    if m is None:
        return col, None
    return m["id"], tuple(int(s) for s in m["idx"].split(","))


def remember_base_dir(graph: Graph, base_dir: str | None) -> None:
    """Called by the loader: where a CSV dataset of this graph is looked up."""
    if base_dir is not None:
        _base_dirs[graph] = os.fspath(base_dir)


def resolve_columns(graph: Graph, columns) -> list[tuple[str, tuple[int, ...] | None]]:
    """Each column as (leaf id, element index or None); raises DatasetError."""
    p = ("dataset", "columns")
    if type(columns) is not list or not columns:
        raise DatasetError(p, "dataset columns must be a non-empty list of column names")
    seen: dict[tuple, str] = {}
    out = []
    for j, col in enumerate(columns):
        if not isinstance(col, str):
            raise DatasetError(p + (j,), f"dataset column {j} must be a string, got {describe(col)}")
        nid, idx = (col, None) if col in graph.nodes else parse_column(col)
        _check_target(graph, col, nid, idx, p + (j,))
        if (nid, idx) in seen:
            raise DatasetError(p + (j,), f"dataset column {short(col)} sets the same leaf "
                                         f"as column {short(seen[nid, idx])}")
        seen[nid, idx] = col
        out.append((nid, idx))
    return out


def _check_target(graph, col, nid, idx, path) -> None:
    node = graph.nodes.get(nid)
    what = f"dataset column {short(col)}"
    if node is None:
        raise DatasetError(path, f"{what}: no node {short(nid)}{suggest(nid, graph.nodes)}")
    if not node.is_leaf:
        raise DatasetError(path, f"{what}: node {short(nid)} is computed by {node.op}; "
                                 f"columns must name leaves")
    shape = np.shape(node.value)
    if idx is None and shape != ():
        example = f"{nid}[{','.join('0' * len(shape))}]"
        raise DatasetError(path, f"{what}: leaf {short(nid)} is a tensor of shape {list(shape)}; "
                                 f"name one element, e.g. {example!r}")
    if idx is not None and (len(idx) != len(shape) or any(i >= n for i, n in zip(idx, shape))):
        raise DatasetError(path, f"{what}: index {list(idx)} is outside leaf {short(nid)} "
                                 f"of shape {list(shape)}")


def check_dataset(ds, graph: Graph, base_dir) -> dict | None:
    """Validate the "dataset" object of a file (reading its CSV); return it unchanged."""
    if ds is None:
        return None
    if type(ds) is not dict:
        raise DatasetError(("dataset",), f"dataset must be an object, got {describe(ds)}")
    for k in ds:
        if k not in DATASET_KEYS:
            raise DatasetError(("dataset", k), f"dataset: unknown key {short(k)} "
                                               f"(expected: {', '.join(DATASET_KEYS)})")
    if ("rows" in ds) == ("csv" in ds):
        raise DatasetError(("dataset",), 'dataset needs exactly one of "rows" (inline) or "csv" (a file)')
    if "columns" not in ds:
        raise DatasetError(("dataset",), 'dataset needs "columns" (the leaves each value sets)')
    resolve_columns(graph, ds["columns"])
    if "rows" in ds:
        rows_array(ds["rows"], len(ds["columns"]))
    else:
        _csv_rows(ds["csv"], ds["columns"], base_dir)
    return ds


def rows_array(rows, ncols: int) -> np.ndarray:
    """Inline rows -> (n, ncols) float64 array; raises DatasetError."""
    p = ("dataset", "rows")
    if type(rows) is not list:
        raise DatasetError(p, f"dataset rows must be a list of rows, got {describe(rows)}")
    for k, row in enumerate(rows):
        _check_row(row, ncols, p + (k,), f"dataset row {k}")
    try:
        arr = np.array(rows, dtype=np.float64).reshape(len(rows), ncols)
    except OverflowError:
        arr = None
    if arr is None or not np.isfinite(arr).all():
        k = _first_bad_row(rows)
        raise DatasetError(p + (k,), f"dataset row {k} holds a number too large for a float64")
    return arr


def _check_row(row, ncols, path, what) -> None:
    if type(row) is not list:
        raise DatasetError(path, f"{what} must be a list of numbers, got {describe(row)}")
    if len(row) != ncols:
        raise DatasetError(path, f"{what} has {len(row)} value(s), expected {ncols} (one per column)")
    if not set(map(type, row)) <= _NUM:
        bad = next(x for x in row if type(x) not in _NUM)
        raise DatasetError(path, f"{what} must hold numbers only, found {describe(bad)}")


def _first_bad_row(rows) -> int:
    for k, row in enumerate(rows):
        try:
            if not np.isfinite(np.array(row, dtype=np.float64)).all():
                return k
        except OverflowError:
            return k
    return 0


def _csv_rows(rel, columns, base_dir) -> np.ndarray:
    """Read the selected columns of a CSV file (cached by path, size and mtime).

    The file must resolve, after symlinks, inside the graph file's folder and be a
    regular file (never a FIFO, a device or /dev/stdin, which could block forever);
    it is opened non-blocking and read in bounded chunks against a deadline."""
    p = ("dataset", "csv")
    if not isinstance(rel, str) or not rel:
        raise DatasetError(p, f"dataset csv must be a relative file path, got {describe(rel)}")
    if os.path.isabs(rel) or "\0" in rel:
        raise DatasetError(p, f"dataset csv {short(rel)} must be relative to the graph file")
    if base_dir is None:
        raise DatasetError(p, f"dataset csv {short(rel)}: no base directory to resolve it against "
                              f"(pass base_dir)")
    full = confined_path(rel, base_dir, p)
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise DatasetError(p, f"dataset csv {short(rel)} cannot be read: {e.strerror or e}") \
            from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise DatasetError(p, f"dataset csv {short(rel)} is not a regular file")
    with os.fdopen(fd, "rb", buffering=0) as f:
        if st.st_size > MAX_CSV_BYTES:
            raise DatasetError(p, f"dataset csv {short(rel)} is {st.st_size:,} bytes "
                                  f"(the limit is {MAX_CSV_BYTES:,})")
        key = (full, st.st_size, st.st_mtime_ns, tuple(columns))
        if key not in _csv_cache:
            arr = parse_csv(_read_bounded(f, rel, p), columns, f"dataset csv {short(rel)}")
            arr.setflags(write=False)
            if len(_csv_cache) >= 8:
                _csv_cache.pop(next(iter(_csv_cache)))
            _csv_cache[key] = arr
        return _csv_cache[key]


def confined_path(rel: str, base_dir, path=("dataset", "csv")) -> str:
    """The real path of `rel` under `base_dir`; DatasetError if it resolves outside it."""
    base = os.path.realpath(os.fspath(base_dir))
    full = os.path.realpath(os.path.join(base, rel))
    if os.path.commonpath([base, full]) != base:
        raise DatasetError(path, f"dataset csv {short(rel)} is outside the graph file's folder "
                                 f"(a dataset must sit beside the graph or below it)")
    return full


def _read_bounded(f, rel, p) -> bytes:
    """At most MAX_CSV_BYTES, within READ_SECONDS; never blocks on a pipe."""
    deadline = time.monotonic() + READ_SECONDS
    chunks, total = [], 0
    while True:
        try:
            chunk = f.read(1 << 20)
        except OSError as e:
            raise DatasetError(p, f"dataset csv {short(rel)} cannot be read: "
                                  f"{e.strerror or e}") from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_CSV_BYTES:
            raise DatasetError(p, f"dataset csv {short(rel)} is larger than "
                                  f"{MAX_CSV_BYTES:,} bytes")
        if time.monotonic() > deadline:
            raise DatasetError(p, f"dataset csv {short(rel)}: reading took longer than "
                                  f"{READ_SECONDS} s")
    return b"".join(chunks)


def parse_csv(data: bytes, columns, what: str) -> np.ndarray:
    """CSV bytes with a header row -> the given columns as an (n, len(columns)) array."""
    p = ("dataset", "csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(p, f"{what} is not UTF-8 text (byte offset {e.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next((r for r in reader if any(c.strip() for c in r)), None)
        if header is None:
            raise DatasetError(p, f"{what} is empty (it needs a header row with the column names)")
        header = [c.strip() for c in header]
        picks = _pick_columns(header, columns, what)
        rows = [_csv_row(r, header, picks, reader.line_num, what)
                for r in reader if any(c.strip() for c in r)]
    except csv.Error as e:
        raise DatasetError(p, f"{what} line {reader.line_num}: {e}") from None
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(columns))


def _pick_columns(header, columns, what) -> list[int]:
    """Header index of each column: exact name, else the same leaf element ("x[0, 1]")."""
    canonical = [parse_column(h) for h in header]
    picks = []
    for col in columns:
        hits = [j for j, h in enumerate(header) if h == col]
        if not hits:
            hits = [j for j, c in enumerate(canonical) if c == parse_column(col)]
        if len(hits) != 1:
            problem = "appears twice in" if hits else "is missing from"
            quote = f' (quote names with commas: "{col}")' if "," in col and not hits else ""
            raise DatasetError(("dataset", "csv"), f"{what}: column {short(col)} {problem} "
                                                   f"its header{_header_hint(header)}{quote}")
        picks.append(hits[0])
    return picks


def _header_hint(header) -> str:
    """' (x1, x2, y)' when the header looks like column names; else only how many there
    are — an error never quotes a file's content (think of a CSV path that is not a CSV)."""
    if len(header) <= 12 and all(_HEADER_NAME.fullmatch(h) for h in header):
        return f" ({', '.join(header)})"
    return f" ({len(header)} cell{'s' if len(header) != 1 else ''})"


def _csv_row(r, header, picks, line, what) -> list[float]:
    if len(r) != len(header):
        raise DatasetError(("dataset", "csv"), f"{what} line {line} has {len(r)} cells, "
                                               f"the header has {len(header)}")
    out = []
    for j in picks:
        cell = r[j].strip()
        x = float(cell) if len(cell) <= MAX_CELL_CHARS and _NUMBER.fullmatch(cell) else None
        if x is None or not np.isfinite(x):
            raise DatasetError(("dataset", "csv"), f"{what} line {line}, column {short(header[j])}: "
                                                   f"{short(cell, 30)} is not a finite number")
        out.append(x)
    return out


def load_rows(graph: Graph, base_dir=None) -> np.ndarray:
    """The dataset as a 2-D float64 array, one column per dataset column.

    CSV datasets are resolved against base_dir, or else the directory the graph
    was loaded from. The CSV array is cached and read-only; copy it to modify it.
    """
    ds = graph.dataset
    if not ds:
        raise DatasetError(("dataset",), "the graph has no dataset")
    ncols = len(ds["columns"])
    if "rows" in ds:
        return rows_array(ds["rows"], ncols)
    return _csv_rows(ds.get("csv"), ds["columns"], base_dir or _base_dirs.get(graph))


def bind_row(graph: Graph, k: int, base_dir=None) -> Graph:
    """Set the leaves named by the dataset columns to row k's values; return the graph."""
    ds = graph.dataset
    if not ds:
        raise DatasetError(("dataset",), "the graph has no dataset")
    k = operator.index(k)
    targets = resolve_columns(graph, ds["columns"])
    rows = ds["rows"] if "rows" in ds else load_rows(graph, base_dir)
    if not 0 <= k < len(rows):
        span = f"0..{len(rows) - 1}" if len(rows) else "none"
        raise RowIndexError(("dataset",), f"dataset row {k} is out of range: the dataset has "
                                          f"{len(rows)} row(s) ({span})")
    row = rows[k]
    if "rows" in ds:
        _check_row(row, len(targets), ("dataset", "rows", k), f"dataset row {k}")
    tensors: dict[str, np.ndarray] = {}
    for (nid, idx), x in zip(targets, row):
        if idx is None:
            graph.set_value(nid, float(x))
        else:
            arr = tensors.setdefault(nid, np.array(graph.nodes[nid].value, dtype=np.float64))
            arr[idx] = x
    for nid, arr in tensors.items():
        graph.set_value(nid, arr)
    return graph


__all__ = ["DatasetError", "RowIndexError", "parse_column", "resolve_columns", "load_rows",
           "bind_row", "check_dataset"]
