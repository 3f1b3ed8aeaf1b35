"""Saving a graph file: atomic, refusing what load would refuse, sweeping orphans.

save writes a temp file beside the target, fsyncs it and os.replace()s the target,
so a save killed at any instant leaves the old file or the new one, never half of
one. A killed save can leave its hidden `.NAME.<hex>.tmp` behind; the next save of
that file removes such leftovers once they are older than a minute (younger ones
may belong to a save in progress in another process).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
import time

from ..engine.graph import Graph
from ..engine.nogc import paused_gc as _gc_paused
from . import fileformat as ff
from .validate import NonFinite, Problem, short

_TEMP_TAIL = re.compile(r"[0-9a-f]{12}\.tmp")
TEMP_MAX_AGE = 60.0                  # seconds: younger temp files may be another save's


def save(graph: Graph, path) -> None:
    """Write atomically: a temp file in the same folder, fsync, then os.replace.

    Refuses (ValueError) what load would refuse: more than ff.MAX_NODES nodes, more than
    ff.MAX_BYTES, or a document the loader's checks reject. On any failure the previous
    file is untouched and the temp file is removed; temp files that earlier saves left
    behind (killed midway) and that are older than a minute are swept. A symlink is
    followed, so the file it points to is the one replaced.
    """
    if len(graph.nodes) > ff.MAX_NODES:
        raise ValueError(f"the graph has {len(graph.nodes):,} nodes; a file may hold at most "
                         f"{ff.MAX_NODES:,}, so it could not be opened again")
    text = ff.dumps(graph)
    check_loadable(text)
    target = os.path.realpath(os.fsdecode(path))
    sweep_temp_files(target)
    write_bytes_atomic(target, text.encode("utf-8"))


def write_bytes_atomic(path, data: bytes) -> None:
    """Replace `path` by `data` atomically: a hidden temp file beside it, fsync,
    os.replace, fsync of the folder; the temp file is removed on any failure and the
    old file (its mode kept) is untouched."""
    target = os.fsdecode(path)
    folder = os.path.dirname(target) or "."
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def check_loadable(text: str) -> None:
    """ValueError unless `load` would accept this text (a CSV dataset's file is not
    read: it is looked up where the file is opened)."""
    if len(text) > ff.MAX_BYTES:
        raise ValueError(f"the graph would be {ff._size(len(text.encode('utf-8', 'surrogatepass')))} "
                         f"on disk; files over {ff._size(ff.MAX_BYTES)} cannot be opened again")
    try:
        doc = json.loads(text, parse_constant=NonFinite)
        ds = doc.get("dataset")
        csv_ds = doc.pop("dataset") if isinstance(ds, dict) and "csv" in ds else None
        with _gc_paused():
            graph = ff._build(doc, None)
            if csv_ds is not None:
                _check_csv_dataset_shape(csv_ds, graph)
    except Problem as p:
        raise ValueError(f"it could not be opened again: {p.message}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as e:
        raise ValueError(f"it could not be opened again: {e}") from None


def _check_csv_dataset_shape(ds: dict, graph: Graph) -> None:
    from .dataset import DATASET_KEYS, resolve_columns
    for k in ds:
        if k not in DATASET_KEYS or k == "rows":
            raise Problem(("dataset", k), f"dataset: unexpected key {short(k)} beside \"csv\"")
    if not isinstance(ds["csv"], str) or not ds["csv"] or os.path.isabs(ds["csv"]):
        raise Problem(("dataset", "csv"), "dataset csv must be a path relative to the graph file")
    resolve_columns(graph, ds.get("columns"))


def sweep_temp_files(target: str, max_age: float = TEMP_MAX_AGE) -> int:
    """Remove `.NAME.<hex>.tmp` files beside `target` older than max_age; returns how many."""
    folder, name = os.path.split(target)
    prefix, now, removed = f".{name}.", time.time(), 0
    try:
        entries = list(os.scandir(folder or "."))
    except OSError:
        return 0
    for e in entries:
        if not (e.name.startswith(prefix) and e.name.endswith(".tmp")
                and _TEMP_TAIL.fullmatch(e.name[len(prefix):])):
            continue
        with contextlib.suppress(OSError):
            st = e.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > max_age:
                os.unlink(e.path)
                removed += 1
    return removed


def _fsync_dir(folder: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
