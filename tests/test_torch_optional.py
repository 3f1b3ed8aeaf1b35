"""PyTorch stays optional: importing bpstudio and running grad never imports torch."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bpstudio_and_grad_import_no_torch():
    code = (
        "import sys, io, contextlib\n"
        "import bpstudio, bpstudio.cli.main\n"
        "from bpstudio import Value, Graph, Stepper\n"
        "a = Value(2.0); b = (a * 3).tanh(); b.backward()\n"
        "Stepper(Graph.from_value(b)).run_to_end()\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    rc = bpstudio.cli.main.main(['grad', {str(ROOT / 'resources/examples/net-2-2-2-matrix.json')!r}])\n"
        "assert rc == 0, rc\n"
        "bad = [m for m in sys.modules if m == 'torch' or m.startswith('torch.')]\n"
        "assert not bad, bad[:5]\n"
        "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.stdout.strip().endswith("ok"), res.stdout + res.stderr
