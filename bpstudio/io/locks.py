"""Which bpstudio window has a file open: one lock file per open file. No Qt.

``ROOT/locks/HASH.lock`` (HASH: of the file's real path) holds the path, the owner's
process id and start time, and a token naming the window. A lock whose owner is
gone is stale and simply taken over. Locks only warn; they never stop anyone.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path

from .processes import process_alive, this_process
from .recovery import write_json_atomic


class FileLocks:
    def __init__(self, root: str | Path, token: str):
        self.folder = Path(root) / "locks"
        self.token = token

    def lock_file(self, path) -> Path:
        real = os.path.realpath(os.fspath(path))
        return self.folder / (hashlib.sha1(real.encode("utf-8", "surrogatepass")).hexdigest()[:20]
                              + ".lock")

    def holder(self, path) -> dict | None:
        """The live owner of `path`'s lock, unless it is this window."""
        data = self._read(self.lock_file(path))
        if data is None or data.get("token") == self.token:
            return None
        if not process_alive(data.get("pid"), data.get("started")):
            return None
        return data

    def acquire(self, path) -> dict | None:
        """Take the lock on `path`; if another live window holds it, leave it and
        return that holder (the caller warns)."""
        other = self.holder(path)
        if other is not None:
            return other
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.lock_file(path), {
            "path": os.path.realpath(os.fspath(path)), **this_process(),
            "token": self.token, "time": time.time()})
        return None

    def release(self, path) -> None:
        """Remove `path`'s lock if this window holds it."""
        f = self.lock_file(path)
        data = self._read(f)
        if data is not None and data.get("token") == self.token:
            with contextlib.suppress(OSError):
                f.unlink()

    @staticmethod
    def _read(f: Path) -> dict | None:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None
