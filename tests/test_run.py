"""`bpstudio run SCRIPT.py | NOTEBOOK.ipynb`: the user's own code, then the window on its value."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bpstudio.cli.common import CliError
from bpstudio.cli.main import main
from bpstudio.cli.run import Recorder, pick, run_units
from bpstudio.cli.run_source import plain_python, read_units

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "tests" / "data" / "micrograd_lecture_mlp.ipynb"


def run_here(path: Path, value=None):
    """Run the file in this process (no window); the document it would open."""
    rec = Recorder()
    assert run_units(path, read_units(path), rec, []) is None
    return pick(path, rec, value)


def notebook(path: Path, *cells: str) -> Path:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": src.splitlines(True)} for src in cells]}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_the_lectures_mlp_cells_open_on_the_last_loss_as_it_was_at_backward(capsys):
    doc, what = run_here(LECTURE)
    printed = capsys.readouterr().out.split("\n")
    last_loss = float([line for line in printed if line.startswith("19 ")][0].split()[1])
    assert what.startswith("'loss' (passed to .backward() at cell")
    s = doc.stepper
    assert s.cursor == s.total                                # the user's grads: the end
    assert s.value(doc.graph.output) == pytest.approx(last_loss, rel=1e-12)
    params = [n for n in doc.graph.leaves()]
    assert len(params) >= 41                                  # MLP(3, [4, 4, 1]): 41 weights


def test_the_lectures_parameters_grads_are_the_users_own(tmp_path):
    # the same cells with the update step removed, so the user's objects keep the state
    nb = json.loads(LECTURE.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        cell["source"] = src.replace("p.data += -0.1 * p.grad", "pass")
    path = tmp_path / "mlp.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    rec = Recorder()
    assert run_units(path, read_units(path), rec, []) is None
    doc, _ = pick(path, rec, None)
    model = rec.namespace["n"]
    mine = sorted(p.grad for p in model.parameters())
    s = doc.stepper
    ours = sorted(s.grad(n.id) for n in doc.graph.leaves())
    for g in mine:                   # every parameter's grad is among the graph's leaves'
        assert min(abs(g - o) for o in ours) <= 1e-12 * max(1.0, abs(g))


def test_a_notebook_with_magics_and_display_opens(tmp_path):
    path = notebook(
        tmp_path / "magic.ipynb",
        "%matplotlib inline\n!pip install nothing\nimport math\n"
        "get_ipython().run_line_magic('load_ext', 'autoreload')\n",
        "%%bash\necho this is not python\n",
        "from bpstudio import Value\n"
        "a = Value(2.0); b = Value(-3.0); c = Value(10.0)\n"
        "e = a*b; d = e + c; f = Value(-2.0); L = d*f\n"
        "if True:\n    %time L.backward()\n",
        "display(L)\nL\n")
    doc, what = run_here(path)
    assert what == "'L' (passed to .backward() at cell 3, line 5)"
    s = doc.stepper
    assert s.cursor == s.total and s.value("L") == -8.0
    assert [s.grad(k) for k in "abcf"] == [6.0, -4.0, -2.0, 4.0]


def test_plain_python_keeps_the_line_numbers():
    src = "x = 1\n%matplotlib inline\n  !ls\ny = get_ipython()\n# %comment\n%time y = x\n"
    assert plain_python(src).splitlines() == ["x = 1", "pass", "  pass", "pass", "# %comment",
                                              "y = x"]


def test_value_picks_a_variable_and_draw_dot_counts(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(
        "from micrograd.engine import Value\n"
        "def draw_dot(root):\n    return 'a picture'\n"
        "x = Value(3.0); y = x * x + 1\n"
        "pic = draw_dot(y)\n"
        "z = y * 2\n", encoding="utf-8")
    pytest.importorskip("micrograd")
    doc, what = run_here(script)
    assert what == "'y' (passed to draw_dot(...) at line 5)"
    assert doc.stepper.cursor == doc.stepper.program.n_forward     # no backward: forward end
    doc, what = run_here(script, value="z")
    assert doc.stepper.value(doc.graph.output) == 20.0 and what == "'z'"
    with pytest.raises(CliError, match=r"s\.py:0: the code defines no variable 'w'"):
        run_here(script, value="w")


def test_nothing_to_show_and_numbers_that_do_not_add_up_are_one_line_errors(tmp_path, capsys):
    plain = tmp_path / "plain.py"
    plain.write_text("print('hello')\n", encoding="utf-8")
    assert main(["run", str(plain)]) == 2
    assert "plain.py:0: the code never passed a value" in capsys.readouterr().err
    seed = tmp_path / "seed001.py"              # seed 001's class: __mul__ labelled '-'
    seed.write_text(
        "class Value:\n"
        "  def __init__(self, data, _children=(), _op='', label=''):\n"
        "    self.data = data; self._prev = set(_children); self._op = _op; self.label = label\n"
        "  def __add__(self, other):\n"
        "    return Value(self.data + other.data, (self, other), '+')\n"
        "  def __mul__(self, other):\n"
        "    return Value(self.data * other.data, (self, other), '-')\n"
        "def draw_dot(v): pass\n"
        "a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10, label='c')\n"
        "e = a * b; e.label = 'e'\nd = e + c; d.label = 'd'\ndraw_dot(d)\n", encoding="utf-8")
    assert main(["run", str(seed)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seed001.py:0: cannot show 'd'" in err[0]
    assert "node 'e' (op '-') does not add up" in err[0] and "-6.0" in err[0]


def _cli(args, tmp_path, **env):
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", **env)
    return subprocess.run([sys.executable, "-m", "bpstudio", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300)


def test_a_script_that_raises_prints_its_own_traceback_and_exits_1(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    return 1 / x\n\nf(0)\n", encoding="utf-8")
    res = _cli(["run", str(bad)], tmp_path)
    assert res.returncode == 1
    err = res.stderr
    assert err.startswith("Traceback (most recent call last):")
    assert f'File "{bad}", line 4' in err and f'File "{bad}", line 2, in f' in err
    assert "return 1 / x" in err and err.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "bpstudio" not in re.sub(r'File "[^"]*bad\.py"', "", err)    # none of our frames


def test_help_says_it_runs_the_code(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "same trust as `python SCRIPT.py`" in out and "only code you trust" in out


def test_run_opens_the_window_on_the_lectures_loss(tmp_path):
    (tmp_path / "close").write_text("")             # the window closes once it is up
    res = _cli(["run", str(LECTURE)], tmp_path, BPSTUDIO_TEST_WINDOW=str(tmp_path))
    assert res.returncode == 0, res.stderr
    shown = json.loads((tmp_path / "shown.json").read_text(encoding="utf-8"))
    last = float([ln for ln in res.stdout.splitlines() if ln.startswith("19 ")][0].split()[1])
    assert shown["visible"] and shown["cursor"] == shown["total"]
    out = [n for n in shown["nodes"].values() if n["label"] == "loss"]
    assert out and float(out[0]["value"]) == pytest.approx(last, rel=1e-11)
    assert "bpstudio: showing 'loss' (passed to .backward() at cell" in res.stderr


def test_show_in_a_run_script_is_noted_not_opened(tmp_path, monkeypatch):
    import bpstudio.ui.show as door
    monkeypatch.setattr(door, "open_window", lambda *a, **k: pytest.fail("opened mid-run"))
    script = tmp_path / "s.py"
    script.write_text("import bpstudio\nfrom bpstudio import Value, show\n"
                      "x = Value(3.0); y = x * x\nbpstudio.show(y)\nz = y + 1\nshow(z)\n"
                      "z.data = 99.0\n", encoding="utf-8")
    doc, what = run_here(script)
    assert what == "'z' (passed to show(...) at line 6)"
    assert doc.stepper.value(doc.graph.output) == 10.0          # as it was when shown


def test_a_torch_script_opens_on_the_tensor_it_called_backward_on(tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "t.py"
    script.write_text(
        "import torch\n"
        "x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)\n"
        "w = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)\n"
        "y = torch.tanh(x * w)\n"
        "y.backward()\n"
        "with torch.no_grad():\n    x -= 0.1 * x.grad\n", encoding="utf-8")
    doc, what = run_here(script)
    assert what == "'y' (passed to .backward() at line 5)"
    doc.run_to_end()
    import math
    s = doc.stepper
    assert s.value(doc.graph.output) == pytest.approx(math.tanh(-1.0), rel=1e-12)
    assert s.grad("x") == pytest.approx(-2.0 * (1 - math.tanh(-1.0) ** 2), rel=1e-12)
