"""Issue 10: IEEE non-finite arithmetic on every path, named where it starts; kinks in
check; datasets confined and bounded; save refuses what load refuses; temp files swept;
the platform message. Expected numbers are IEEE facts (1/0 = inf, 1e-200² = 0), not the
code's own output."""
import json
import os
import threading
import time
import warnings

import numpy as np
import pytest

from bpstudio.cli.main import main
from bpstudio.engine import Graph, Stepper
from bpstudio.engine import fastpath
from bpstudio.engine.gradcheck import check_gradients
from bpstudio.engine.nonfinite import first_nonfinite
from bpstudio.engine.stepper import FAST_PATH_MIN_STEPS
from bpstudio.io import GraphFormatError, dumps, load, save
from bpstudio.io import atomic_save, fileformat
from bpstudio.ui.platform_check import missing_library_message, platform_problem


def chain_with_division(divisor: float, n: int = 1100) -> Graph:
    """x_{k+1} = x_k + c (n adds: > FAST_PATH_MIN_STEPS steps), then y = x_n / b."""
    g = Graph("div", output="y")
    g.leaf("x0", 1.0)
    g.leaf("c", 0.0)
    for k in range(n):
        g.op(f"x{k + 1}", "add", f"x{k}", "c")
    g.leaf("b", divisor)
    g.op("y", "div", f"x{n}", "b")
    return g


def both_paths(graph: Graph):
    slow = Stepper(graph.copy())
    while slow.step() is not None:
        pass
    fast = Stepper(graph.copy())
    assert fast.total >= FAST_PATH_MIN_STEPS and fastpath.applies(fast)
    fast.run_to_end()
    assert fast._batch is not None                     # really the vectorised path
    return slow, fast


@pytest.mark.parametrize("divisor, y, b_grad", [
    (0.0, np.inf, -np.inf),            # 1 / 0 = inf;  −1 / 0² = −inf
    (1e-200, 1e200, -np.inf),          # 1 / 1e-200 = 1e200;  1e-200² underflows to 0
])
def test_division_is_ieee_and_identical_on_both_paths(divisor, y, b_grad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no RuntimeWarning either
        slow, fast = both_paths(chain_with_division(divisor))
    for s in (slow, fast):
        assert s.value("y") == y
        assert s.grad("b") == b_grad
        assert s.grad("x1100") == 1.0 / divisor if divisor else s.grad("x1100") == np.inf
    assert np.array_equal(np.array(slow.values, float), np.array(fast.values, float),
                          equal_nan=True)
    assert np.array_equal(np.array(slow.grads, float), np.array(fast.grads, float),
                          equal_nan=True)


def test_division_by_zero_names_the_node_on_both_paths():
    slow, fast = both_paths(chain_with_division(0.0))
    for s in (slow, fast):
        bad = first_nonfinite(s)
        assert bad.node == "y"
        assert bad.message == "node 'y' (div) is not finite: 1.0 ÷ 0.0 = inf"


def test_tiny_divisor_names_the_grad_that_went_non_finite():
    g = Graph("tiny", output="y")
    g.leaf("a", 0.0)
    g.leaf("b", 1e-200)
    g.op("y", "div", "a", "b")
    s = Stepper(g)
    s.run_to_end()
    assert s.value("y") == 0.0
    assert np.isnan(s.grad("b"))                       # −0 / (1e-200)² = −0 / 0 = nan
    bad = first_nonfinite(s)
    assert bad.node == "b" and bad.what == "grad"
    assert "sent by 'y' (div)" in bad.message


def test_batch_training_gives_ieee_and_names_the_node():
    from bpstudio.engine.train import TrainSettings, Trainer, train
    g = Graph("t", output="L")
    g.leaf("x", 1.0, role="input")
    g.leaf("w", 0.5)
    g.leaf("c", 0.0, role="constant")
    g.op("xw", "mul", "x", "w")
    g.op("d", "div", "xw", "c")
    g.op("L", "exp", "d")
    trainer = Trainer(g, np.array([[1.0], [2.0]]), [("x", None)], TrainSettings(epochs=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ticks = list(train(trainer))
    assert len(ticks) == 1 and ticks[0].nonfinite == "d"


def exp_file(tmp_path):
    f = tmp_path / "exp.json"
    f.write_text(json.dumps({"format": "bpstudio.graph", "version": 1, "output": "z", "nodes": [
        {"id": "x", "op": "leaf", "role": "parameter", "value": 1000.0},
        {"id": "y", "op": "exp", "inputs": ["x"]},
        {"id": "w", "op": "leaf", "role": "parameter", "value": 2.0},
        {"id": "z", "op": "mul", "inputs": ["w", "y"]}]}))
    return f


def test_grad_prints_one_line_naming_where_it_started(tmp_path, capsys):
    f = exp_file(tmp_path)
    assert main(["grad", str(f)]) == 0
    err = capsys.readouterr().err
    assert err == f"bpstudio: {f}: node 'y' (exp) is not finite: exp(1000.0) = inf\n"


def test_no_numpy_warning_reaches_stderr(tmp_path, capsys):
    f = exp_file(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cmd in ("grad", "check"):
            main([cmd, str(f)])
    assert "Warning" not in capsys.readouterr().err


def kink_graph() -> Graph:
    g = Graph("kinks", output="z")
    g.leaf("x", 0.0)                   # relu at 0
    g.op("r", "relu", "x")
    g.leaf("a", 2.0)                   # a max tie
    g.leaf("b", 2.0)
    g.op("m", "max", "a", "b")
    g.leaf("u", 3.0)                   # smooth: must still be checked normally
    g.op("uu", "mul", "u", "u")
    g.op("s", "add", "r", "m")
    g.op("z", "add", "s", "uu")
    return g


def test_check_names_kinks_as_valid_subgradients():
    by = {r.node: r for r in check_gradients(kink_graph())}
    for nid in ("x", "a", "b"):
        assert by[nid].kink and by[nid].ok
        assert abs(by[nid].numeric - 0.5) < 1e-6      # half of each side's slope
    assert by["x"].analytic == 0.0 and by["a"].analytic == 1.0 and by["b"].analytic == 0.0
    assert not by["u"].kink and by["u"].ok and by["u"].analytic == 6.0


def test_check_cli_kink_exits_0(tmp_path, capsys):
    f = tmp_path / "k.json"
    save(kink_graph(), f)
    assert main(["check", str(f)]) == 0
    out = capsys.readouterr()
    assert out.out.count("kink: the analytic value is a valid subgradient") == 3
    assert out.err == ""


def test_a_real_mismatch_away_from_kinks_still_differs():
    g = Graph("far", output="y")
    g.leaf("x", 0.3)
    g.op("y", "relu", "x")
    res = check_gradients(g, eps=1.0)                  # x ± 1 straddles 0 ...
    assert res[0].kink                                  # ... so this one is a kink
    res = check_gradients(g, eps=0.1)
    assert res[0].ok and not res[0].kink


# ---- datasets ------------------------------------------------------------------------

def graph_with_csv(folder, csv_path: str):
    f = folder / "g.json"
    f.write_text(json.dumps({"format": "bpstudio.graph", "version": 1, "output": "y", "nodes": [
        {"id": "x", "op": "leaf", "role": "input", "value": 1.0},
        {"id": "w", "op": "leaf", "role": "parameter", "value": 0.5},
        {"id": "y", "op": "mul", "inputs": ["x", "w"]}],
        "dataset": {"columns": ["x"], "csv": csv_path}}))
    return f


def load_quickly(path):
    """load() in a thread: a hang fails the test (after a generous 60 s) instead of
    hanging the suite. Returns the exception raised."""
    out = []

    def run():
        try:
            load(path)
            out.append(None)
        except Exception as exc:               # what load raised
            out.append(exc)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    assert out, "load blocked"
    return out[0]


def test_dataset_path_traversal_refused_without_quoting(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "secret.csv").write_text("x\nTOPSECRET\n")
    exc = load_quickly(graph_with_csv(tmp_path / "a" / "b", "../../secret.csv"))
    assert isinstance(exc, GraphFormatError) and "outside the graph file's folder" in str(exc)
    assert "TOPSECRET" not in str(exc)
    exc = load_quickly(graph_with_csv(tmp_path / "a" / "b", "../../../../../../etc/passwd"))
    assert "outside the graph file's folder" in str(exc) and "/bin/" not in str(exc)


def test_dataset_symlink_out_of_the_folder_refused(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "data.csv").symlink_to("/dev/stdin")
    exc = load_quickly(graph_with_csv(tmp_path / "g", "data.csv"))
    assert isinstance(exc, GraphFormatError) and "outside" in str(exc)


def test_dev_stdin_refused(tmp_path):
    exc = load_quickly(graph_with_csv(tmp_path, "/dev/stdin"))
    assert isinstance(exc, GraphFormatError) and "must be relative" in str(exc)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifo_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    exc = load_quickly(graph_with_csv(tmp_path, "pipe.csv"))
    assert isinstance(exc, GraphFormatError) and "not a regular file" in str(exc)


@pytest.mark.parametrize("digits", [30_000, 131_000, 900])
def test_long_number_cell_refused(tmp_path, digits):
    (tmp_path / "d.csv").write_text("x\n" + "1" * digits + "x\n")
    exc = load_quickly(graph_with_csv(tmp_path, "d.csv"))
    assert isinstance(exc, GraphFormatError) and "is not a finite number" in str(exc)
    assert len(str(exc)) < 300                         # the cell is shortened, not echoed


def test_dataset_below_the_folder_still_loads(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text("x\n1.5\n-2e3\n.5\n")
    from bpstudio.io import load_rows
    g = load(graph_with_csv(tmp_path, "data/d.csv"))
    assert load_rows(g).ravel().tolist() == [1.5, -2000.0, 0.5]


def test_header_of_a_non_csv_is_not_quoted(tmp_path):
    (tmp_path / "p.csv").write_text("root:x:0:0:root:/root:/bin/bash\n1\n")
    exc = load_quickly(graph_with_csv(tmp_path, "p.csv"))
    assert "missing from its header" in str(exc) and "/bin/bash" not in str(exc)


# ---- saving ---------------------------------------------------------------------------

def small_graph() -> Graph:
    g = Graph("s", output="y")
    g.leaf("a", 1.0)
    g.op("y", "exp", "a")
    return g


def test_save_refuses_too_many_nodes(tmp_path, monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_NODES", 1)
    with pytest.raises(ValueError, match="at most 1"):
        save(small_graph(), tmp_path / "g.json")
    assert os.listdir(tmp_path) == []


def test_save_refuses_too_many_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_BYTES", 100)
    with pytest.raises(ValueError, match="cannot be opened again"):
        save(small_graph(), tmp_path / "g.json")
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_graph_load_would_refuse(tmp_path):
    g = small_graph()
    g.op("p", "add", "q", "y")
    g.op("q", "add", "p", "y")                          # a cycle
    with pytest.raises(ValueError, match="cycle"):
        save(g, tmp_path / "g.json")
    assert os.listdir(tmp_path) == []


def test_save_removes_its_temp_file_on_failure(tmp_path, monkeypatch):
    def boom(*a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(atomic_save.os, "replace", boom)
    with pytest.raises(OSError):
        save(small_graph(), tmp_path / "g.json")
    assert os.listdir(tmp_path) == []


def test_save_sweeps_old_orphans_only(tmp_path):
    target = tmp_path / "g.json"
    old = tmp_path / ".g.json.0123456789ab.tmp"
    young = tmp_path / ".g.json.ba9876543210.tmp"
    other = tmp_path / ".h.json.0123456789ab.tmp"
    for f in (old, young, other):
        f.write_text("half a save")
    past = time.time() - 120
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    save(small_graph(), target)
    assert sorted(os.listdir(tmp_path)) == sorted([young.name, other.name, "g.json"])
    assert dumps(load(target)) == target.read_text()


# ---- the platform message -------------------------------------------------------------

REPORT = """\
qt.core.plugin.factoryloader: looking at "libqxcb.so"
qt.core.library: "/venv/PySide6/Qt/plugins/platforms/libqxcb.so" cannot load: Cannot load \
library /venv/PySide6/Qt/plugins/platforms/libqxcb.so: libxcb-cursor.so.0: cannot open shared \
object file: No such file or directory
qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb platform plugin.
qt.qpa.plugin: Could not load the Qt platform plugin "xcb" in "" even though it was found.
"""


def test_platform_message_names_the_library_and_packages():
    msg = missing_library_message(REPORT)
    assert "\n" not in msg
    assert "needs libxcb-cursor.so.0" in msg
    assert "sudo apt install libxcb-cursor0" in msg and "sudo dnf install xcb-util-cursor" in msg
    assert "bpstudio render" in msg and "QT_QPA_PLATFORM=offscreen" in msg


def test_platform_message_from_an_older_report_format():
    report = ("Cannot load library /x/platforms/libqxcb.so: (libxkbcommon-x11.so.0: cannot open "
              "shared object file: No such file or directory)")
    msg = missing_library_message(report)
    assert "needs libxkbcommon-x11.so.0" in msg and "libxkbcommon-x11-0" in msg


def test_no_display_at_all_is_said(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    msg = platform_problem({})
    assert "no display" in msg and "bpstudio render" in msg and "offscreen" in msg
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_run_app_without_display_exits_2_with_one_line(monkeypatch, capsys):
    import bpstudio.ui.app as app
    monkeypatch.setattr(app, "_qt_app_exists", lambda: False)
    monkeypatch.setattr("bpstudio.ui.platform_check.platform_problem", lambda: "cannot open a "
                        "window: there is no display")
    assert app.run_app() == 2
    assert capsys.readouterr().err == "bpstudio: cannot open a window: there is no display\n"


def test_window_check_summary_mentions_kinks():
    from bpstudio.ui.window.parts import check_summary
    text = check_summary(check_gradients(kink_graph()))
    assert text.startswith("4 leaves agree (3 at a kink: the analytic value is a valid subgradient)")


@pytest.mark.parametrize("command", ["grad", "check", "render"])
def test_an_empty_tensor_is_refused_in_one_line_naming_it(tmp_path, capsys, command):
    """Found by fuzz.py: a snippet's torch.tensor([]) (or a .json leaf of shape [1, 0])
    once ran into numpy's max of an empty array in `check` and an IndexError in the
    window's pill; now the file is refused, naming the node and, for a snippet, the line."""
    snippet = tmp_path / "empty.py"
    snippet.write_text("import torch\nw = torch.tensor(6., requires_grad=True)\n"
                       "x = torch.tensor([], requires_grad=False)\nl = (w * x) ** 2\n")
    graph = tmp_path / "empty.json"
    graph.write_text(json.dumps({"format": "bpstudio.graph", "version": 1, "output": "y", "nodes": [
        {"id": "x", "op": "leaf", "role": "input", "shape": [1, 0], "value": [[]]},
        {"id": "y", "op": "tanh", "inputs": ["x"]}]}))
    for f, where in ((snippet, ":3:"), (graph, ":")):
        argv = [command, str(f)] + (["-o", str(tmp_path / "out.png")] if command == "render" else [])
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"bpstudio: {f}{where}"), err
        assert "node 'x': an empty tensor (shape" in err, err
