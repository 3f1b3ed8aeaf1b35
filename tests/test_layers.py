"""The core never imports Qt: import-linter contracts plus a runtime check."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter not installed")
    res = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "broken" in res.stdout and "0 broken" in res.stdout


def test_cli_and_api_run_without_qt(tmp_path):
    code = (
        "import sys, io, contextlib\n"
        "import bpstudio, bpstudio.cli.main\n"
        "from bpstudio import Value, Graph, Stepper\n"
        "a = Value(2.0); b = a * 3; b.backward()\n"
        "Stepper(Graph.from_value(b)).run_to_end()\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    rc = bpstudio.cli.main.main(['grad', {str(ROOT / 'resources/examples/expression.json')!r}])\n"
        "assert rc == 0, rc\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]\n"
        "assert not bad, bad\n"
        "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.stdout.strip().endswith("ok"), res.stdout + res.stderr


def test_no_import_cycles_anywhere():
    """No module imports one of its own importers, even lazily inside a function."""
    grimp = pytest.importorskip("grimp")
    nx = pytest.importorskip("networkx")
    graph = grimp.build_graph("bpstudio", cache_dir=None)
    edges = [(m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m)
             if i.startswith("bpstudio")]
    cycles = list(nx.simple_cycles(nx.DiGraph(edges)))
    assert cycles == [], cycles
