"""bpstudio.show() and bpstudio.draw() on values built in the user's own code."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bpstudio
from bpstudio import GraphError, Value

ROOT = Path(__file__).resolve().parents[1]
M = "\u2212"
# seed 001 / the lecture: L = (a*b + c) * f, and the grads after L.backward()
DATA = {"a": 2.0, "b": -3.0, "c": 10.0, "e": -6.0, "d": 4.0, "f": -2.0, "L": -8.0}
GRAD = {"a": 6.0, "b": -4.0, "c": -2.0, "e": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}


def lecture_expression(V, labels=True):
    a = V(2.0); b = V(-3.0); c = V(10.0)
    e = a * b; d = e + c; f = V(-2.0); L = d * f
    if labels:
        for name, v in zip("abcedfL", (a, b, c, e, d, f, L)):
            v.label = name
    return L


def text(x: float) -> str:
    return f"{x:.1f}".replace("-", M)


def test_draw_in_a_notebook_gives_png_and_svg_with_every_label_and_number():
    ipython = pytest.importorskip("IPython.core.interactiveshell")
    mg = pytest.importorskip("micrograd.engine")
    L = lecture_expression(mg.Value)
    L.backward()
    picture = bpstudio.draw(L)
    shell = ipython.InteractiveShell.instance()
    data, meta = shell.display_formatter.format(picture)
    svg = data["image/svg+xml"]
    words = set(re.findall(r">([^<>]+)</text>", svg))
    assert set(DATA) <= words
    for name in DATA:
        assert text(DATA[name]) in words and text(GRAD[name]) in words, name
    png = data["image/png"]
    png = png if isinstance(png, bytes) else __import__("base64").b64decode(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    svg_w, svg_h = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    assert (width, height) == (round(2 * svg_w), round(2 * svg_h))      # twice as sharp
    assert meta["image/png"] == {"width": round(svg_w), "height": round(svg_h)}


def test_draw_names_unlabelled_nodes_after_the_callers_variables(tmp_path):
    L = lecture_expression(Value, labels=False)       # a, b, ... are this function's locals
    a = L._children[0]._children[0]._children[0]       # noqa: F841  (named by the frame)
    pic = bpstudio.draw(L, step=0)
    assert pic.doc.stepper.cursor == 0
    assert "a" in pic.doc.graph.nodes and pic.doc.graph.title == "L"
    out = pic.save(tmp_path / "g.svg")
    assert ">a</text>" in out.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="theme"):
        bpstudio.draw(L, theme="neon")


def test_show_and_draw_refuse_numbers_that_do_not_add_up():
    a = Value(2.0, label="a"); e = a * 3
    e.data = 7.0                               # edited by hand
    with pytest.raises(GraphError, match="does not add up"):
        bpstudio.draw(e)
    with pytest.raises(GraphError, match="a number"):
        bpstudio.show(3.0)


# ---- the window, in a child process (the hook closes it) ----------------------------------
def _env(tmp_path):
    return dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen",
                BPSTUDIO_TEST_WINDOW=str(tmp_path))


def _wait_for(path: Path, proc, limit=120.0):
    end = time.monotonic() + limit
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > end:
            out, err = proc.communicate(timeout=10) if proc.poll() is not None else ("", "")
            pytest.fail(f"{path.name} never appeared (rc {proc.poll()}): {out}{err}")
        time.sleep(0.05)
    return json.loads(path.read_text(encoding="utf-8"))


SCRIPT = """
import sys
from pathlib import Path
from micrograd.engine import Value
import bpstudio
a = Value(2.0); b = Value(-3.0); c = Value(10.0)
e = a*b; d = e + c; f = Value(-2.0); L = d * f
for name, v in zip('abcedfL', (a, b, c, e, d, f, L)):
    v.label = name
L.backward()
bpstudio.show(L, title='seed 001')
Path(sys.argv[1], 'after').write_text('returned')
"""


def test_show_from_a_script_blocks_until_the_window_closes_at_the_end_state(tmp_path):
    pytest.importorskip("micrograd")
    script = tmp_path / "user.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = _wait_for(tmp_path / "shown.json", proc)
    assert not (tmp_path / "after").exists()          # show() has not returned: it blocks
    (tmp_path / "close").write_text("")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (tmp_path / "after").exists()
    assert shown["visible"] and shown["title"].startswith("seed 001")
    assert shown["cursor"] == shown["total"] == 3 + 1 + 3   # forward, seed, backward: the end
    for name, v in DATA.items():
        assert float(shown["nodes"][name]["value"]) == v
        assert float(shown["nodes"][name]["grad"]) == GRAD[name]


IPYTHON = """
import sys, time
from pathlib import Path
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
folder = Path(sys.argv[1])
result = shell.run_cell('''
import bpstudio
from bpstudio import Value
a = Value(2.0); b = Value(-3.0); c = Value(10.0)
e = a*b; d = e + c; f = Value(-2.0); L = d*f
window = bpstudio.show(L)
''')
result.raise_error()
(folder / 'returned').write_text('')          # show() came back with the window still up
while not (folder / 'shown.json').exists():
    time.sleep(0.05)
(folder / 'close').write_text('')
window = shell.user_ns['window']
print(repr(window).split(',')[0])
print('rc', window.wait(timeout=60))
"""


def test_show_from_ipython_returns_and_the_window_answers_events(tmp_path):
    pytest.importorskip("IPython")
    proc = subprocess.Popen([sys.executable, "-c", IPYTHON, str(tmp_path)], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, out + err
    assert "rc 0" in out and "<bpstudio window" in out, out + err
    assert (tmp_path / "returned").exists()
    shown = json.loads((tmp_path / "shown.json").read_text(encoding="utf-8"))
    assert shown["visible"]
    assert shown["cursor"] == 3                       # no backward yet: after the forward pass
    assert set(DATA) <= set(shown["nodes"])           # named after the notebook's variables
    assert float(shown["nodes"]["L"]["value"]) == -8.0 and shown["nodes"]["L"]["grad"] is None


def test_draw_takes_a_torch_tensor_before_its_backward():
    torch = pytest.importorskip("torch")
    a, b, c, f = (torch.tensor(v, dtype=torch.float64, requires_grad=True)
                  for v in (2.0, -3.0, 10.0, -2.0))
    L = (a * b + c) * f
    pic = bpstudio.draw(L)
    s = pic.doc.stepper
    assert s.value(pic.doc.graph.output) == -8.0 and set("abcf") <= set(pic.doc.graph.nodes)
    assert ">a</text>" in pic._repr_svg_()
