"""Recovery copies of unsaved documents, and their maps. No Qt.

A window writes its document (the same JSON a normal save writes, through the same
atomic saver) to ``ROOT/recovery/KEY.json`` and, beside it, ``KEY.map.json``: the file
it belongs to (or "untitled"), the writing process and the time. A copy whose writer
is no longer running is an orphan: the work of a crashed window, offered on start.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..engine.graph import Graph
from .atomic_save import save, write_bytes_atomic
from .fileformat import loads
from .processes import process_alive, this_process

MAP_FORMAT = "bpstudio.recovery"
UNTITLED = "untitled"
MAX_MAP_BYTES = 64 * 1024


@dataclass(frozen=True)
class RecoveryEntry:
    key: str
    copy: Path              # the recovery copy (a graph file)
    original: str           # the file it stands for, or "untitled"
    path: str | None        # where Save writes (None: untitled or a snippet)
    source: str | None      # what had been opened (a .json or a .py snippet)
    title: str
    pid: int
    started: int | None
    time: float             # when the copy was written (seconds since the epoch)

    @property
    def untitled(self) -> bool:
        return self.original == UNTITLED

    @property
    def name(self) -> str:
        return (self.title or UNTITLED) if self.untitled else Path(self.original).name

    @property
    def map_file(self) -> Path:
        return self.copy.with_name(self.key + ".map.json")

    def writer_alive(self) -> bool:
        return process_alive(self.pid, self.started)


def write_json_atomic(target: Path, data: dict) -> None:
    """A small JSON file replaced atomically (the saver's temp file, fsync, os.replace)."""
    write_bytes_atomic(target, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


class RecoveryStore:
    """The recovery folder under `root` (the per-user data folder)."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "recovery"

    def new_key(self) -> str:
        return f"{os.getpid()}-{secrets.token_hex(4)}"

    def copy_path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def write(self, key: str, graph: Graph, *, path=None, source=None, title: str = "",
              view: dict | None = None) -> Path:
        """Write the copy of `graph` (with `view` laid over its own view), then its map."""
        self.folder.mkdir(parents=True, exist_ok=True)
        own_view = graph.view
        graph.view = {**(own_view or {}), **(view or {})}
        try:
            save(graph, self.copy_path(key))
        finally:
            graph.view = own_view
        original = _text(path or source) or UNTITLED
        write_json_atomic(self.folder / f"{key}.map.json", {
            "format": MAP_FORMAT, "version": 1, "original": original,
            "path": _text(path), "source": _text(source), "title": title,
            **this_process(), "time": time.time()})
        return self.copy_path(key)

    def remove(self, key: str) -> None:
        for f in (self.folder / f"{key}.map.json", self.copy_path(key)):
            with contextlib.suppress(OSError):
                f.unlink()

    def discard(self, entry: RecoveryEntry) -> None:
        self.remove(entry.key)

    def entries(self) -> list[RecoveryEntry]:
        """Every readable copy with its map, newest first."""
        if not self.folder.is_dir():
            return []
        out = [e for f in self.folder.glob("*.map.json") if (e := self._read_map(f))]
        return sorted(out, key=lambda e: e.time, reverse=True)

    def orphans(self) -> list[RecoveryEntry]:
        """The copies whose writing process is gone."""
        return [e for e in self.entries() if not e.writer_alive()]

    def load(self, entry: RecoveryEntry) -> Graph:
        """The copy's graph; a dataset CSV is looked up beside the original file."""
        text = entry.copy.read_bytes()
        where = entry.path or entry.source
        base = os.path.dirname(os.path.abspath(where)) if where else None
        return loads(text, str(entry.copy), base_dir=base)

    def _read_map(self, f: Path) -> RecoveryEntry | None:
        key = f.name[:-len(".map.json")]
        try:
            if f.stat().st_size > MAX_MAP_BYTES:
                return None
            data = json.loads(f.read_text(encoding="utf-8"))
            copy = self.copy_path(key)
            if data.get("format") != MAP_FORMAT or not copy.is_file():
                return None
            return RecoveryEntry(key, copy, str(data["original"]), data.get("path"),
                                 data.get("source"), str(data.get("title") or ""),
                                 int(data["pid"]), data.get("started"), float(data["time"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None                   # a torn or foreign file: not ours to offer


def _text(p) -> str | None:
    """An absolute path (the next start may run in another folder), or None."""
    return os.path.abspath(os.fspath(p)) if p else None
