"""Kill saves at random (SIGKILL) and count the temp files they leave behind.

    python tests/benchmarks/kill_saves.py [--kills 500] [--nodes 20000]

A forked child saves a graph of --nodes nodes to one file in a loop; the parent kills
it after a random delay within one save's duration, --kills times (fsync is slowed in
the child, --slow-fsync, so that kills land while the temp file exists as on a slow disk). After each kill the
file must still load (the old or the new version, never half of one). Then the left
temp files (`.NAME.<hex>.tmp`) are counted, aged past the sweep's one-minute threshold
(os.utime, instead of waiting a minute), and one more save must leave none.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bpstudio.engine import Graph  # noqa: E402
from bpstudio.io import load, save  # noqa: E402
from bpstudio.io.atomic_save import TEMP_MAX_AGE  # noqa: E402


def chain(n: int) -> Graph:
    g = Graph("kill", output=f"x{n}")
    g.leaf("x0", 1.0)
    g.leaf("c", 0.5)
    for k in range(n):
        g.op(f"x{k + 1}", "add", f"x{k}", "c")
    return g


def temp_files(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")]


def saver(graph: Graph, target: Path, slow_fsync: float) -> None:
    if slow_fsync:                 # a slow disk: the temp file lives longer, kills hit it
        real = os.fsync

        def fsync(fd):
            time.sleep(slow_fsync)
            real(fd)
        os.fsync = fsync
    while True:
        save(graph, target)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=500)
    ap.add_argument("--nodes", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--slow-fsync", type=float, default=0.05, metavar="S",
                    help="in the child, sleep S seconds before each fsync (default 0.05)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    graph = chain(args.nodes)
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        target = folder / "g.json"
        save(graph, target)
        t = time.perf_counter()
        save(graph, target)
        one_save = time.perf_counter() - t + args.slow_fsync
        bad_loads = orphaned = 0
        known: set = set()
        for _ in range(args.kills):
            pid = os.fork()
            if pid == 0:                      # the child: save forever
                try:
                    saver(graph, target, args.slow_fsync)
                finally:
                    os._exit(0)
            time.sleep(rng.uniform(0.0, one_save * 1.5))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            now = set(temp_files(folder, target.name))
            orphaned += len(now - known)          # the killed save's own temp file, if any
            known = now
            try:
                load(target)
            except Exception:                 # a torn file would show here
                bad_loads += 1
        left = temp_files(folder, target.name)
        left_bytes = sum(p.stat().st_size for p in left)
        past = time.time() - TEMP_MAX_AGE - 5
        for p in left:
            os.utime(p, (past, past))
        save(graph, target)
        after = temp_files(folder, target.name)
    print(f"{args.kills} saves of a {args.nodes}-node graph killed at random "
          f"(one save {one_save * 1000:.0f} ms, fsync slowed by {args.slow_fsync * 1000:.0f} ms)")
    print(f"file failed to load after a kill: {bad_loads} times")
    print(f"kills that orphaned a temp file: {orphaned} (saves during the run swept the ones "
          f"older than a minute)")
    print(f"temp files left at the end of the kills: {len(left)} ({left_bytes / 2**20:.1f} MB)")
    print(f"temp files left after the next save (orphans older than a minute swept): "
          f"{len(after)}")
    return 0 if bad_loads == 0 and not after else 1


if __name__ == "__main__":
    sys.exit(main())
