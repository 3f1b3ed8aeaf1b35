"""Bad input of any kind: exit 2 and one line `bpstudio: FILE:LINE: what is wrong`."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bpstudio.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"format": "bpstudio.graph", "version": 1, "output": "y",
        "nodes": [{"id": "x", "op": "leaf", "role": "input", "value": 2.0},
                  {"id": "y", "op": "tanh", "inputs": ["x"]}]}


def variant(**changes):
    doc = json.loads(json.dumps(GOOD))
    doc.update(changes)
    return json.dumps(doc, indent=1)


def node_variant(i, **changes):
    doc = json.loads(json.dumps(GOOD))
    doc["nodes"][i].update(changes)
    return json.dumps(doc, indent=1)


MALFORMED = {
    "empty": "",
    "whitespace": "   \n\n",
    "truncated": json.dumps(GOOD)[:40],
    "html": "<!DOCTYPE html><html><body>404</body></html>",
    "not json": "a = Value(2.0)",
    "top-level list": "[1, 2, 3]",
    "top-level string": '"graph"',
    "wrong format": variant(format="other.graph"),
    "missing format": json.dumps({k: v for k, v in GOOD.items() if k != "format"}),
    "wrong version": variant(version=2),
    "version string": variant(version="1"),
    "missing version": json.dumps({k: v for k, v in GOOD.items() if k != "version"}),
    "nodes not list": variant(nodes={"x": 1}),
    "nodes empty": variant(nodes=[]),
    "node not object": variant(nodes=[1, 2]),
    "missing id": node_variant(0, id=None),
    "id not string": node_variant(0, id=5),
    "duplicate id": variant(nodes=[GOOD["nodes"][0], GOOD["nodes"][0], GOOD["nodes"][1]]),
    "unknown op": node_variant(1, op="sinh"),
    "wrong arity": node_variant(1, inputs=["x", "x"]),
    "missing input": node_variant(1, inputs=["nope"]),
    "inputs not list": node_variant(1, inputs="x"),
    "cycle": variant(nodes=[{"id": "a", "op": "tanh", "inputs": ["b"]},
                            {"id": "b", "op": "tanh", "inputs": ["a"]}], output="a"),
    "NaN value": node_variant(0, value=float("nan")),
    "Infinity value": node_variant(0, value=float("inf")),
    "string value": node_variant(0, value="2.0"),
    "bool value": node_variant(0, value=True),
    "missing value": node_variant(0, value=None),
    "bad role": node_variant(0, role="weight"),
    "ragged tensor": node_variant(0, value=[[1, 2], [3]], shape=[2, 2]),
    "shape mismatch": variant(nodes=[
        {"id": "A", "op": "leaf", "value": [[1, 2, 3]], "shape": [1, 3]},
        {"id": "B", "op": "leaf", "value": [[1, 2]], "shape": [1, 2]},
        {"id": "y", "op": "matmul", "inputs": ["A", "B"]}]),
    "missing output": json.dumps({k: v for k, v in GOOD.items() if k != "output"}),
    "unknown output": variant(output="zzz"),
    "pow without exponent": node_variant(1, op="pow"),
    "dataset row too short": variant(dataset={"columns": ["x"], "rows": [[1.0, 2.0]]}),
    "dataset unknown column": variant(dataset={"columns": ["q"], "rows": [[1.0]]}),
    "dataset csv missing": variant(dataset={"columns": ["x"], "csv": "nope.csv"}),
    "training lr negative": variant(training={"loss": "y", "lr": -1}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_exits_2_with_one_line(tmp_path, capsys, case):
    f = tmp_path / "bad.json"
    f.write_text(MALFORMED[case], encoding="utf-8")
    assert main(["grad", str(f)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.match(rf"bpstudio: {re.escape(str(f))}:\d+: \S", lines[0]), lines[0]
    assert "Traceback" not in err


def test_not_utf8(tmp_path, capsys):
    f = tmp_path / "latin.json"
    f.write_bytes(b'{"format": "bpstudio.graph", "title": "caf\xe9"}')
    assert main(["grad", str(f)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_huge_file_refused(tmp_path, capsys, monkeypatch):
    import bpstudio.io.fileformat as ff
    monkeypatch.setattr(ff, "MAX_BYTES", 100)
    f = tmp_path / "big.json"
    f.write_text(variant(title="x" * 200))
    assert main(["grad", str(f)]) == 2
    err = capsys.readouterr().err
    assert "MB" in err or "bytes" in err or "large" in err


def test_missing_file_and_folder(tmp_path, capsys):
    assert main(["grad", str(tmp_path / "nope.json")]) == 2
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("bpstudio: ") for line in err)


def test_bad_snippet_names_line_and_column(tmp_path, capsys):
    f = tmp_path / "bad.py"
    f.write_text("a = Value(2.0)\nwhile a:\n    a = a * 2\n")
    assert main(["grad", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"bpstudio: {f}:2:") and "\n" not in err


def test_row_out_of_range(capsys):
    f = ROOT / "resources/examples/net-2-2-2.json"
    assert main(["grad", str(f), "--row", "7"]) == 2
    assert "row" in capsys.readouterr().err


def test_usage_error_is_one_line(capsys):
    assert main(["grad"]) == 2
    assert main(["grad", "x.json", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2


def test_check_fails_and_names_the_wrong_leaf(tmp_path, capsys, monkeypatch):
    from bpstudio.engine import ops
    f = tmp_path / "g.json"
    f.write_text(variant())
    broken = ops.OPS["tanh"].__class__(**{**ops.OPS["tanh"].__dict__,
                                          "local": lambda i, o, a: (2.0,)})
    monkeypatch.setitem(ops.OPS, "tanh", broken)
    assert main(["check", str(f)]) == 1
    assert "x" in capsys.readouterr().err


def test_real_process_prints_no_traceback(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text("{")
    res = subprocess.run([sys.executable, "-m", "bpstudio", "grad", str(f)],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith(f"bpstudio: {f}:1:")


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`bpstudio grad moons-mlp.json | head -1`: the pipe closes under the table;
    nothing on stderr (it was a BrokenPipeError traceback)."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "bpstudio", "grad",
                             str(ROOT / "resources" / "examples" / "moons-mlp.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()                                # the reader leaves
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert first.split()[:2] == [b"id", b"label"]
    assert err == "" and proc.returncode in (0, 141)
