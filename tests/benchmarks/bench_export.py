"""Whole-pass GIF export of a big graph: `bpstudio render moons-mlp.json -o m.gif` in a
fresh process (the neuron diagram, one frame per neuron step), and the same pass node by
node (1,288 frames), their wall time and peak resident memory (issue 9 item 6: under
60 s and under 1 GB; it used to peak at 19.5 GB and never finish). No anchor.

The child's own peak RSS is its VmHWM (/proc/self/status), written by the child as it
exits. Not os.wait4's ru_maxrss: on Linux a child inherits its parent's high-water mark
across fork and exec, so that reports this process's own size (~550 MB after the canvas
benchmarks), whatever the child used.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
LIMIT_S, LIMIT_MB = 60.0, 1024.0


# Runs the command in argv[2:] as its __main__ and writes its own peak RSS (kB) to argv[1].
PEAK = """
import atexit, runpy, sys
def _peak(path=sys.argv[1]):
    status = open("/proc/self/status").read()
    open(path, "w").write(status.split("VmHWM:")[1].split()[0])
atexit.register(_peak)
command = sys.argv[2:]
if command[0] == "-c":
    sys.argv = ["-c", *command[2:]]
    exec(compile(command[1], "<render>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = ["bpstudio", *command[2:]]
    runpy.run_module(command[1], run_name="__main__", alter_sys=True)
"""

# The same pass node by node (no neuron diagram): 1,288 frames that follow the step.
SCALAR = """
import sys
from bpstudio.model.document import Document
from bpstudio.ui.canvas import export, pass_export
app = export.qt_app()
pass_export.export_gif(Document.open(sys.argv[1]), sys.argv[2], scale=2.0)
"""


def render_gif(example: str, out: Path, scalar: bool = False) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of `bpstudio render EXAMPLE -o OUT`
    (or, `scalar`, of the same export without the neuron diagram). CPU time says more
    than wall time on a busy machine."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    command = ["-c", SCALAR] if scalar else ["-m", "bpstudio", "render"]
    peak_file = out.with_suffix(".peak")
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", PEAK, str(peak_file), *command,
                              str(EXAMPLES / example), *([] if scalar else ["-o"]), str(out)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"render {example} failed: {stderr.decode(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, int(peak_file.read_text()) / 1024     # VmHWM is in kB


def _frames(path: Path) -> int | None:
    try:
        from PIL import Image
    except ImportError:
        return None
    with Image.open(path) as im:
        return im.n_frames


def run(rows: list) -> None:
    cases = (("moons-mlp.json", False, "big: the neuron diagram, as the app opens it"),
             ("moons-mlp.json", True, "big, node by node: 1,288 steps"),
             ("expression.json", False, "small"))
    with tempfile.TemporaryDirectory() as tmp:
        for n, (example, scalar, note) in enumerate(cases):
            out = Path(tmp) / f"{n}.gif"
            seconds, cpu, peak_mb = render_gif(example, out, scalar)
            row = {"name": f"render {example} -o .gif (whole pass; {note})",
                   "bpstudio_s": seconds, "anchor": None, "anchor_s": None, "speedup": None,
                   "cpu_s": round(cpu, 2), "peak_rss_mb": round(peak_mb, 1),
                   "frames": _frames(out), "gif_mb": round(out.stat().st_size / 2**20, 1)}
            if example == "moons-mlp.json":
                row["target"] = f"< {LIMIT_S:g} s, < {LIMIT_MB:g} MB"
                row["meets_target"] = seconds < LIMIT_S and peak_mb < LIMIT_MB
            rows.append(row)


if __name__ == "__main__":
    out: list = []
    run(out)
    print(out)
