"""Run every bpstudio benchmark beside its anchors, in the same run.

    python tests/benchmarks/run.py           # a table
    python tests/benchmarks/run.py --json    # [{"name", "bpstudio_s", "anchor", "anchor_s", "speedup", ...}]

Anchors (micrograd, Graphviz dot, PyTorch) are skipped when not installed. Report
ratios, not absolute times: machines are noisy.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# First entry: the engine's run-to-end against micrograd (issue: headless core).
MODULES = ["bench_engine", "bench_layout", "bench_canvas", "bench_startup", "bench_open",
           "bench_train", "bench_export", "bench_torch"]


def collect(only: list[str] | None = None) -> list[dict]:
    rows: list[dict] = []
    for name in MODULES:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        try:
            module.run(rows)
        except Exception:                     # one broken benchmark must not hide the rest
            print(f"benchmark {name} failed:\n{traceback.format_exc()}", file=sys.stderr)
    return rows


def _seconds(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    return f"{x * 1000:.2f} ms" if x < 1 else f"{x:.2f} s"


def print_table(rows: list[dict]) -> None:
    header = ["benchmark", "bpstudio", "anchor", "anchor time", "speedup", "notes"]
    lines = [header]
    for r in rows:
        extra = {k: v for k, v in r.items()
                 if k not in ("name", "bpstudio_s", "anchor", "anchor_s", "speedup")}
        notes = ", ".join(f"{k}={v}" for k, v in extra.items())
        speed = f"{r['speedup']:.1f}×" if isinstance(r.get("speedup"), (int, float)) else "—"
        lines.append([r["name"], _seconds(r["bpstudio_s"]), r.get("anchor") or "—",
                      _seconds(r.get("anchor_s")), speed, notes])
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for k, line in enumerate(lines):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("--only", nargs="*", help=f"some of {MODULES}")
    args = ap.parse_args(argv)
    rows = collect(args.only)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
