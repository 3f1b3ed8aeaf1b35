"""Fuzz every example: mutated .json and .py files through load, grad, check, train and the
window (open, step to the end, step back to the start). Counts uncaught exceptions.

    python tests/benchmarks/fuzz.py [--files 10000] [--seed 1] [--no-window]
                                    [--big-every 10] [--shard I/N] [--keep DIR]

Every mutant is written to one folder (which also holds a FIFO, a symlink to /dev/stdin
and a CSV, so dataset paths can point at them). For each file, in this process:
`bpstudio grad`, `check` and (with a dataset) `train --epochs 2` through cli.main, each
under a 20 s alarm. A run passes when nothing escapes main (an uncaught exception), no
command hangs, stderr never holds a traceback or a numpy warning, and every refusal
(exit 2) is exactly one line starting with `bpstudio:`. Then every loadable mutant is
opened in one offscreen MainWindow (set_document, as File ▸ Open does), stepped to the
end one step at a time (run_to for graphs over 400 steps) and back to the start; an
exception in a Qt slot is caught by sys.excepthook and counted. Mutants of examples
over 20 KB (moons-mlp, 984 nodes) get `check` and the window only every --big-every'th
time (grad and train always). --shard I/N runs every Nth file, for two processes.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bpstudio.cli.main import main as cli_main  # noqa: E402

EXAMPLES = ROOT / "resources" / "examples"
NUMBERS = ["0", "0.0", "-0.0", "1e-200", "1e308", "-1e308", "1e400", "NaN", "Infinity",
           "1" * 40, "-1", "3", "0.5", "2e-320", "1" * 400, "\"1\"", "null", "true", "[]",
           "[1, 2]", "[[1, 2], [3, 4]]", "{}"]
OPS = ["add", "sub", "mul", "div", "pow", "exp", "log", "tanh", "sigmoid", "relu", "max",
       "sum", "mean", "matmul", "sse", "mse", "neg", "leaf", "abs", "bogus", "", 7]
CSV_PATHS = ["../../../../etc/passwd", "/dev/stdin", "fifo.csv", "stdin-link.csv", "data.csv",
             "missing.csv", "", ".", "data.csv/..", "big-cell.csv"]
PY_TOKENS = ["0", "0.0", "1e-200", "1e308", "-1", "/", "*", "+", "-", "**", ".tanh()",
             ".exp()", ".relu()", "Value(", ")", "(", "label=", "'x'", "\n", "  ", "#", "=",
             "import os", "__import__('os')", "lambda: 0", "[", "]", "1" * 5000]


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


# ---- mutations ------------------------------------------------------------------------

def mutate_text(text: str, rng: random.Random, tokens) -> str:
    """Text-level damage, mostly mild (so many mutants still load and compute): swap a
    number, insert a token, delete or duplicate a stretch, truncate, an odd character."""
    for _ in range(rng.randint(1, 2)):
        if not text:
            return rng.choice(tokens)
        i = rng.randrange(len(text))
        j = min(len(text), i + rng.randint(1, 40))
        kind = rng.choices(range(6), weights=[10, 10, 15, 5, 5, 55])[0]
        if kind == 0:
            text = text[:i] + text[j:]
        elif kind == 1:
            text = text[:j] + text[i:j] + text[j:]
        elif kind == 2:
            text = text[:i] + rng.choice(tokens) + text[i:]
        elif kind == 3:
            text = text[:i]
        elif kind == 4:
            text = text[:i] + chr(rng.choice([0, 0x85, 0x2028, 0xFFFD, 0xD800, 0x1F600])) + text[i:]
        else:
            text = _swap_number(text, rng)
    return text


def _swap_number(text: str, rng: random.Random) -> str:
    import re
    nums = list(re.finditer(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", text))
    if not nums:
        return text
    m = rng.choice(nums)
    return text[:m.start()] + rng.choice(NUMBERS) + text[m.end():]


def mutate_json(doc: dict, rng: random.Random) -> str:
    """Structure-level: plausible graphs that reach grad/check/train with odd numbers."""
    doc = json.loads(json.dumps(doc))
    nodes = doc.get("nodes") or []
    leaves = [n for n in nodes if n.get("op") == "leaf"]
    if leaves and rng.random() < 0.45:               # numbers only: the graph still loads
        for n in rng.sample(leaves, min(len(leaves), rng.randint(1, 3))):
            x = float(rng.choice(["0", "-0.0", "1e-200", "-1e-200", "700", "1000", "-1",
                                  "1e154", "1e-160", "2", "0.5"]))
            if isinstance(n.get("value"), list):
                flat = json.dumps(n["value"])
                n["value"] = json.loads(_swap_all(flat, x) if rng.random() < 0.5
                                        else _swap_one(flat, x, rng))
            else:
                n["value"] = x
        return json.dumps(doc)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not nodes:
            break
        n = rng.choice(nodes)
        kind = rng.randrange(9)
        if kind == 0 and n.get("op") == "leaf":
            n["value"] = json.loads(rng.choice(NUMBERS[:6] + NUMBERS[10:13]))
        elif kind == 1:
            n["op"] = rng.choice(OPS)
        elif kind == 2 and nodes:
            n["inputs"] = [rng.choice(nodes).get("id", "?") for _ in range(rng.randint(0, 3))]
        elif kind == 3:
            nodes.remove(n)
        elif kind == 4:
            doc["output"] = rng.choice(nodes).get("id") if rng.random() < 0.8 else "nope"
        elif kind == 5:
            ds = doc.setdefault("dataset", {"columns": [nodes[0].get("id", "x")]})
            ds.pop("rows", None)
            ds["csv"] = rng.choice(CSV_PATHS)
        elif kind == 6:
            n["attrs"] = {"exponent": json.loads(rng.choice(["-1", "0.5", "0", "1e308", "2"]))}
        elif kind == 7:
            nodes.append(json.loads(json.dumps(n)))                 # a duplicate id
        else:
            n["value"] = json.loads(rng.choice(["0", "1e-200", "-1e-200", "700", "1000"]))
            n["op"], n["role"] = "leaf", rng.choice(["parameter", "input", "constant"])
            n.pop("inputs", None)
    return json.dumps(doc, indent=rng.choice([None, 1]))


def _swap_all(flat: str, x: float) -> str:
    import re
    return re.sub(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", repr(x), flat)


def _swap_one(flat: str, x: float, rng: random.Random) -> str:
    import re
    nums = list(re.finditer(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", flat))
    if not nums:
        return flat
    m = rng.choice(nums)
    return flat[:m.start()] + repr(x) + flat[m.end():]


def make_corpus(folder: Path, count: int, rng: random.Random) -> list[Path]:
    examples = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".json", ".py"))
    out = []
    for k in range(count):
        src = examples[k % len(examples)]
        text = src.read_text()
        if src.suffix == ".json" and rng.random() < 0.7:
            new = mutate_json(json.loads(text), rng)
        else:
            new = mutate_text(text, rng, NUMBERS if src.suffix == ".json" else PY_TOKENS)
        path = folder / f"{k:05d}-{src.stem}{src.suffix}"
        path.write_text(new, encoding="utf-8", errors="surrogatepass")
        out.append(path)
    return out


def prepare_folder(folder: Path) -> None:
    (folder / "data.csv").write_text("x1,x2,y,x\n1,2,3,4\n0,0,0,0\n")
    (folder / "big-cell.csv").write_text("x1,x2,y,x\n" + "1" * 131_000 + "x,1,1,1\n")
    with contextlib.suppress(OSError, AttributeError):
        os.mkfifo(folder / "fifo.csv")
    with contextlib.suppress(OSError):
        os.symlink("/dev/stdin", folder / "stdin-link.csv")


# ---- the headless commands --------------------------------------------------------------

def run_cli(argv: list[str], stats: Counter, failures: list) -> int | None:
    out, err = io.StringIO(), io.StringIO()
    signal.alarm(20)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                rc = cli_main(argv)
    except Timeout:
        stats["hang"] += 1
        failures.append((argv, "hang (20 s)"))
        return None
    except BaseException as exc:                  # escaped main: the bug we look for
        stats["uncaught"] += 1
        failures.append((argv, "".join(traceback.format_exception(exc))[-1500:]))
        return None
    finally:
        signal.alarm(0)
    text = err.getvalue()
    stats[f"{argv[0]} rc={rc}"] += 1
    lines = text.splitlines()
    if "Traceback" in text or "Warning" in text:
        stats["stderr-noise"] += 1
        failures.append((argv, text[-1500:]))
    elif rc == 2 and (len(lines) != 1 or not lines[0].startswith("bpstudio: ")):
        stats["bad-refusal"] += 1
        failures.append((argv, text[-1500:]))
    elif rc not in (0, 1, 2):
        stats["odd-exit"] += 1
        failures.append((argv, f"exit {rc}"))
    elif any(not ln.startswith("bpstudio: ") for ln in lines):
        stats["stderr-noise"] += 1
        failures.append((argv, text[-1500:]))
    return rc


def headless(path: Path, stats: Counter, failures: list, with_check: bool = True) -> bool:
    rc = run_cli(["grad", str(path)], stats, failures)
    if rc == 2:
        stats["refused"] += 1
        return False
    if with_check:
        run_cli(["check", str(path)], stats, failures)
    has_dataset = False
    if path.suffix == ".json":
        with contextlib.suppress(Exception):
            has_dataset = "dataset" in json.loads(path.read_text())
    if has_dataset:
        run_cli(["train", str(path), "--epochs", "2"], stats, failures)
    return rc is not None


# ---- the window ---------------------------------------------------------------------------

class WindowRunner:
    def __init__(self):
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from bpstudio.ui.app import builtin_expression
        from bpstudio.ui.window.main_window import MainWindow
        self.app = QApplication.instance() or QApplication(["fuzz"])
        self.settings_dir = tempfile.TemporaryDirectory()
        settings = QSettings(os.path.join(self.settings_dir.name, "s.ini"), QSettings.IniFormat)
        self.window = MainWindow(builtin_expression(), settings)
        self.window.ask_save_changes = lambda: "discard"
        self.window.show_error = lambda *a, **k: None
        self.window.resize(1200, 800)
        self.window.show()
        self.slot_errors: list[str] = []
        sys.excepthook = lambda *exc: self.slot_errors.append(
            "".join(traceback.format_exception(*exc))[-1500:])

    def run(self, path: Path, stats: Counter, failures: list) -> None:
        from bpstudio.model.document import Document
        signal.alarm(60)
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()) as err:
                warnings.simplefilter("always")
                try:
                    doc = Document.open(path)
                except Exception:                 # a refusal: the dialog path, tested above
                    stats["window refused"] += 1
                    return
                self.window.set_document(doc)
                self.app.processEvents()
                s = doc.stepper
                if s.total <= 400:
                    while s.cursor < s.total:
                        doc.step()
                        self.app.processEvents()
                    assert s.cursor == s.total
                    while s.cursor > 0:
                        doc.back()
                    self.app.processEvents()
                else:
                    doc.run_to(s.total)
                    self.app.processEvents()
                    doc.run_to(0)
                    self.app.processEvents()
                assert s.cursor == 0
            stats["window ok"] += 1
            if "Warning" in err.getvalue() or "Traceback" in err.getvalue():
                stats["window stderr-noise"] += 1
                failures.append((["window", str(path)], err.getvalue()[-1500:]))
        except Timeout:
            stats["window hang"] += 1
            failures.append((["window", str(path)], "hang (60 s)"))
        except BaseException as exc:
            stats["window uncaught"] += 1
            failures.append((["window", str(path)], "".join(traceback.format_exception(exc))[-1500:]))
        finally:
            signal.alarm(0)
        if self.slot_errors:
            stats["window uncaught"] += len(self.slot_errors)
            failures.extend((["window slot", str(path)], e) for e in self.slot_errors)
            self.slot_errors.clear()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-window", action="store_true")
    ap.add_argument("--big-every", type=int, default=10,
                    help="mutants of examples over 20 KB: check + window every Nth only")
    ap.add_argument("--shard", default="0/1", help="I/N: run every Nth file from the I'th")
    ap.add_argument("--keep", metavar="DIR", help="write the corpus here (kept)")
    args = ap.parse_args()
    shard, shards = (int(x) for x in args.shard.split("/"))
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(args.seed)
    stats: Counter = Counter()
    failures: list = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        prepare_folder(folder)
        corpus = make_corpus(folder, args.files, rng)
        big = {p.stem for p in EXAMPLES.iterdir() if p.stat().st_size > 20_000}
        runner = None if args.no_window else WindowRunner()
        seen_big = 0
        for k, path in enumerate(corpus):
            if k % shards != shard:
                continue
            stats[f"files {path.suffix}"] += 1
            sampled = True
            if path.stem.split("-", 1)[1] in big:
                seen_big += 1
                sampled = seen_big % args.big_every == 0
                stats["big mutants with check+window"] += sampled
            loaded = headless(path, stats, failures, with_check=sampled)
            if runner is not None and loaded and sampled:
                runner.run(path, stats, failures)
            if (k + 1) % 500 < shards:
                print(f"{k + 1} files, {time.perf_counter() - started:.0f} s, "
                      f"uncaught {stats['uncaught'] + stats['window uncaught']}", flush=True)
    for argv, what in failures[:20]:
        print("FAIL", " ".join(argv), "\n", what, "\n")
    print(json.dumps(dict(sorted(stats.items())), indent=1))
    bad = sum(stats[k] for k in ("uncaught", "hang", "bad-refusal", "stderr-noise", "odd-exit",
                                 "window uncaught", "window hang", "window stderr-noise"))
    done = stats["files .json"] + stats["files .py"]
    print(f"{done} files (shard {args.shard}) in {time.perf_counter() - started:.0f} s: "
          f"{bad} problems")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.stdin = open(os.devnull)           # a /dev/stdin dataset must never wait for a tty
    os.dup2(sys.stdin.fileno(), 0)
    sys.exit(main())
