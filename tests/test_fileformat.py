"""bpstudio.io: the JSON v1 graph format, its datasets and its schema."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bpstudio.engine import OPS, Graph
from bpstudio.io import GraphFormatError, dumps, fileformat, load, loads, save
from bpstudio.io.dataset import DatasetError, RowIndexError, bind_row, load_rows, parse_column
from bpstudio.paths import RESOURCES

# A document with one node per line: line 1 header, line 2 '"nodes": [',
# node k on line 3 + k, then ' ],' and the tail.
HEAD = '{"format": "bpstudio.graph", "version": 1,\n "nodes": [\n'
A = '  {"id": "a", "op": "leaf", "value": 2.0}'
B = '  {"id": "b", "op": "leaf", "role": "input", "value": -3.0}'
L = '  {"id": "L", "op": "mul", "inputs": ["a", "b"]}'


def doc(*nodes, tail='"output": "L"', head=HEAD):
    return head + ",\n".join(nodes) + "\n ],\n " + tail + "\n}"


VALID = doc(A, B, L)                                  # a: 3, b: 4, L: 5, output: 7
W = '  {"id": "W", "op": "leaf", "value": [[1.0, 2.0], [3.0, 4.0]], "shape": [2, 2]}'
X = '  {"id": "x", "op": "leaf", "role": "input", "value": [[1.0], [2.0]], "shape": [2, 1]}'
TENSOR = [W, X, '  {"id": "h", "op": "matmul", "inputs": ["W", "x"]}',
          '  {"id": "L", "op": "sum", "inputs": ["h"]}']   # W: 3, x: 4, h: 5, L: 6


def with_tail(extra, *nodes):
    return doc(*(nodes or (A, B, L)), tail='"output": "L",\n ' + extra)   # extra starts on line 8


def rows_tail(*rows, columns='["a", "b"]'):
    body = ",\n".join("   " + r for r in rows)            # row k on line 9 + k
    return with_tail(f'"dataset": {{"columns": {columns}, "rows": [\n{body}\n ]}}')


MALFORMED = [
    # (name, text, line, message fragment)
    ("empty file", "", 1, "empty"),
    ("only whitespace", "  \n\t\n", 1, "empty"),
    ("html page", "<!DOCTYPE html>\n<html><body>404</body></html>", 1, "HTML"),
    ("html after blank lines", "\n\n<html>", 3, "HTML"),
    ("not utf-8", b'{"format": "bpstudio.graph",\n "title": "\xff"}', 2, "not UTF-8"),
    ("utf-16", '{"format": 1}'.encode("utf-16"), 1, "UTF-16"),
    ("truncated", HEAD + A + ",\n" + B, 4, "truncated"),
    ("trailing comma", doc(A, B[:-1] + ",}", L), 4, "invalid JSON"),
    ("nested too deeply", "[" * 100_000, 1, "nested too deeply"),
    ("top level is a list", "[1, 2]", 1, "top level must be a JSON object"),
    ("top level is a string", '"graph"', 1, "got the string"),
    ("wrong format", '{\n "format": "bpstudio.grahp", "version": 1}', 2, '"bpstudio.graph"'),
    ("missing format", '{"version": 1, "nodes": []}', 1, 'missing "format"'),
    ("missing version", '{"format": "bpstudio.graph",\n "nodes": []}', 1, "supported versions: 1"),
    ("newer version", '{"format": "bpstudio.graph",\n "version": 2}', 2, "newer bpstudio"),
    ("version as string", '{"format": "bpstudio.graph",\n "version": "1"}', 2, "must be an integer"),
    ("unknown top-level key", with_tail('"nodez": []'), 8, "unknown top-level key 'nodez'"),
    ("title not a string", with_tail('"title": 5'), 8, "title must be a string"),
    ("nodes not a list", HEAD[:-2] + '{"a": 1},\n "output": "a"}', 2, '"nodes" must be a list'),
    ("no nodes", doc(), 2, "is empty"),
    ("node not an object", doc(A, "  [1, 2]", L), 4, "nodes[1] must be an object"),
    ("missing id", doc(A, '  {"op": "leaf", "value": 1.0}', L), 4, 'nodes[1] has no "id"'),
    ("id not a string", doc(A, '  {"id": 5, "op": "leaf", "value": 1.0}', L), 4, "id must be a string"),
    ("empty id", doc(A, '  {"id": "", "op": "leaf", "value": 1.0}', L), 4, "must not be empty"),
    ("duplicate id", doc(A, B.replace('"b"', '"a"'), L), 4, "duplicate node id 'a'"),
    ("duplicate key", doc(A, B[:-1] + ', "value": 1.0}', L), 4, "node 'b': duplicate key 'value'"),
    ("missing op", doc(A, '  {"id": "b", "value": 1.0}', L), 4, 'node \'b\': missing "op"'),
    ("unknown op", doc(A, B, L.replace("mul", "mull")), 5, "did you mean 'mul'"),
    ("op not a string", doc(A, B, L.replace('"mul"', "7")), 5, "unknown op the number 7"),
    ("wrong arity", doc(A, B, L.replace('"a", "b"', '"a"')), 5, "mul takes 2 input(s), got 1"),
    ("inputs not ids", doc(A, B, L.replace('"a", "b"', '"a", 2')), 5, "list of node ids"),
    ("missing inputs", doc(A, B, '  {"id": "L", "op": "neg"}'), 5, 'neg needs "inputs"'),
    ("unknown input", doc(A, B, L.replace('"b"]', '"c"]')), 5, "input 'c' is not a node"),
    ("cycle", doc(A, '  {"id": "L", "op": "mul", "inputs": ["a", "M"]}',
                  '  {"id": "M", "op": "neg", "inputs": ["L"]}'), 5, "cycle: M → L → M"),
    ("cycle through odd ids", doc(A, '  {"id": "L", "op": "neg", "inputs": ["p\\nq"]}',
                                  '  {"id": "p\\nq", "op": "neg", "inputs": ["L"]}'), 5, "cycle"),
    ("NaN value", doc(A, B.replace("-3.0", "NaN"), L), 4, "node 'b': value must be a number, got NaN"),
    ("Infinity in tensor", doc(W.replace("4.0", "Infinity"), *TENSOR[1:]), 3, "node 'W'"),
    ("-Infinity attr", doc(A, '  {"id": "L", "op": "pow", "inputs": ["a"], "attrs": '
                              '{"exponent": -Infinity}}'), 4, "-Infinity"),
    ("overflowing value", doc(A, B.replace("-3.0", "1e999"), L), 4, "out of range"),
    ("integer of 5000 digits", doc(A, B.replace("-3.0", "7" * 5000), L), 4, "too many digits"),
    ("huge integer in tensor", doc(W.replace("4.0", "1" + "0" * 400), *TENSOR[1:]), 3,
     "too large for a float64"),
    ("value is a string", doc(A, B.replace("-3.0", '"-3"'), L), 4, "got the string '-3'"),
    ("bool as a number", doc(A, B.replace("-3.0", "true"), L), 4, "must be a number, got true"),
    ("leaf without value", doc(A, '  {"id": "b", "op": "leaf"}', L), 4, 'a leaf needs a "value"'),
    ("unknown role", doc(A, B.replace("input", "weight"), L), 4, "role must be one of"),
    ("leaf with inputs", doc(A, B[:-1] + ', "inputs": []}', L), 4, "a leaf has no inputs"),
    ("op with a value", doc(A, B, L[:-1] + ', "value": 1}'), 5, "only leaves have a value"),
    ("label not a string", doc(A, B[:-1] + ', "label": 1}', L), 4, "label must be a string"),
    ("tensor without shape", doc(W.replace(', "shape": [2, 2]', ""), *TENSOR[1:]), 3,
     'needs an explicit "shape"'),
    ("shape mismatch", doc(W.replace("[2, 2]", "[2, 3]"), *TENSOR[1:]), 3,
     "shape [2, 3] does not match the value's shape [2, 2]"),
    ("scalar with a shape", doc(A, B[:-1] + ', "shape": [1]}', L), 4, "value is a number but shape"),
    ("negative shape", doc(W.replace("[2, 2]", "[2, -2]"), *TENSOR[1:]), 3, "integers ≥ 0"),
    ("ragged tensor", doc(W.replace("[3.0, 4.0]", "[3.0]"), *TENSOR[1:]), 3, "ragged"),
    ("bool inside tensor", doc(W.replace("4.0", "false"), *TENSOR[1:]), 3, "found false"),
    ("matmul shapes", doc(W, X.replace("[[1.0], [2.0]]", "[[1.0, 2.0, 3.0]]")
                             .replace("[2, 1]", "[1, 3]"), *TENSOR[2:]), 5, "shape mismatch"),
    ("pow without exponent", doc(A, '  {"id": "L", "op": "pow", "inputs": ["a"]}'), 4,
     "pow needs attribute 'exponent'"),
    ("exponent is a bool", doc(A, '  {"id": "L", "op": "pow", "inputs": ["a"], "attrs": '
                                  '{"exponent": true}}'), 4, "must be a number, got true"),
    ("unknown attribute", doc(A, B, L[:-1] + ', "attrs": {"k": 2}}'), 5, "mul has no attribute 'k'"),
    ("missing output", doc(A, B, L, tail='"title": "t"'), 1, 'missing "output"'),
    ("unknown output", doc(A, B, L, tail='"output": "Z"'), 7, "output 'Z' is not a node"),
    ("output not a string", doc(A, B, L, tail='"output": ["L"]'), 7, "output must be a node id"),
    ("dataset row too short", rows_tail("[1, 2]", "[3]"), 10, "dataset row 1 has 1 value(s), expected 2"),
    ("dataset row with NaN", rows_tail("[1, NaN]"), 9, "NaN"),
    ("dataset row with a bool", rows_tail("[1, 2]", "[3, 4]", "[true, 1]"), 11, "found true"),
    ("dataset rows not a list", with_tail('"dataset": {"columns": ["a"], "rows": 5}'), 8,
     "rows must be a list"),
    ("dataset column unknown", rows_tail("[1, 2]", columns='["a", "bb"]'), 8, "did you mean 'b'"),
    ("dataset column is an op", rows_tail("[1, 2]", columns='["a", "L"]'), 8,
     "columns must name leaves"),
    ("dataset element out of range", doc(*TENSOR, tail='"output": "L",\n "dataset": {"columns": '
                                         '["x[0,0]", "x[2,0]"], "rows": [[1, 2]]}'), 9, "outside leaf 'x'"),
    ("dataset tensor without index", doc(*TENSOR, tail='"output": "L",\n "dataset": {"columns": '
                                         '["x"], "rows": [[1]]}'), 9, "e.g. 'x[0,0]'"),
    ("dataset rows and csv", with_tail('"dataset": {"columns": ["a"], "rows": [], "csv": "d.csv"}'),
     8, "exactly one of"),
    ("dataset csv without base dir", with_tail('"dataset": {"columns": ["a"], "csv": "d.csv"}'),
     8, "no base directory"),
    ("dataset csv absolute", with_tail('"dataset": {"columns": ["a"], "csv": "/etc/d.csv"}'),
     8, "must be relative"),
    ("training lr zero", with_tail('"training": {"loss": "L",\n  "lr": 0}'), 9, "lr must be > 0"),
    ("training epochs float", with_tail('"training": {"epochs": 1.5}'), 8, "must be an integer"),
    ("training batch zero", with_tail('"training": {"batch": 0}'), 8, "must be ≥ 1"),
    ("training momentum", with_tail('"training": {"momentum": 1.5}'), 8, "momentum must be in 0..1"),
    ("training reduction", with_tail('"training": {"reduction": "avg"}'), 8, "'sum', 'mean'"),
    ("training optimizer", with_tail('"training": {"optimizer": "adam"}'), 8, "'sgd'"),
    ("training unknown loss", with_tail('"training": {"loss": "LL"}'), 8, "did you mean 'L'"),
    ("training loss not scalar", doc(*TENSOR, tail='"output": "L",\n "training": {"loss": "h"}'),
     9, "must be a scalar"),
    ("training NaN in extra key", with_tail('"training": {"note": [1, NaN]}'), 8, "NaN"),
    ("view position", with_tail('"view": {"positions": {\n  "a": [1]}}'), 9, "must be [x, y]"),
    ("view cursor", with_tail('"view": {"cursor": -1}'), 8, "cursor must be ≥ 0"),
    ("view notes", with_tail('"view": {"notes": {"a": 3}}'), 8, "must be a string"),
    ("view step notes key", with_tail('"view": {"step_notes": {"x": "t"}}'), 8, "step numbers"),
    ("view breakpoints", with_tail('"view": {"breakpoints": "a"}'), 8, "list of node ids"),
    ("view zoom", with_tail('"view": {"zoom": 0}'), 8, "zoom must be > 0"),
]


@pytest.mark.parametrize("name, text, line, fragment", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_input_is_one_clear_error(name, text, line, fragment):
    with pytest.raises(GraphFormatError) as info:
        loads(text, path="g.json")
    e = info.value
    assert (e.path, e.line) == ("g.json", line), str(e)
    assert fragment in e.message, str(e)
    assert str(e) == f"g.json:{line}: {e.message}"
    assert "\n" not in str(e) and "\r" not in str(e)


def test_enough_malformed_cases():
    assert len(MALFORMED) >= 30
    assert len({c[0] for c in MALFORMED}) == len(MALFORMED)


def test_valid_documents_load():
    g = loads(VALID)
    assert list(g.nodes) == ["a", "b", "L"] and g.output == "L" and g.title == ""
    assert g["b"].role == "input" and g["a"].role == "parameter" and g["a"].label == "a"
    assert g.dataset is None and g.training is None and g.view == {}
    t = loads(doc(*TENSOR))
    assert t["W"].value.shape == (2, 2) and t["W"].value.dtype == np.float64


# ---- files ---------------------------------------------------------------------

def test_load_reports_the_file_path(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(doc(A, B, L.replace("mul", "mull")), encoding="utf-8")
    with pytest.raises(GraphFormatError) as info:
        load(p)
    assert str(info.value).startswith(f"{p}:5: node 'L': unknown op 'mull'")


@pytest.mark.parametrize("make", [lambda d: d / "missing.json", lambda d: d])
def test_unreadable_path_is_a_format_error(tmp_path, make):
    with pytest.raises(GraphFormatError, match="cannot read the file"):
        load(make(tmp_path))


def test_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    p = tmp_path / "big.json"
    p.write_text(VALID, encoding="utf-8")
    monkeypatch.setattr(fileformat, "MAX_BYTES", 100)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("read a file over the limit"))
    with pytest.raises(GraphFormatError, match=r"big.json:1: the file is too large: .*the limit is 100 bytes"):
        load(p)
    with pytest.raises(GraphFormatError, match="too large"):
        loads(VALID)


def test_too_many_nodes_are_refused():
    n = fileformat.MAX_NODES + 1
    assert n == 200_001
    nodes = ",\n".join(f'{{"id": "n{i}", "op": "leaf", "value": 1.0}}' for i in range(n))
    text = HEAD + nodes + '\n ],\n "output": "n0"\n}'
    with pytest.raises(GraphFormatError) as info:
        loads(text, path="huge.json")
    assert info.value.line == 2
    assert "too many nodes: 200,001 (the limit is 200,000)" in info.value.message


def test_utf8_bom_and_unicode_ids_are_fine():
    g = loads("\ufeff" + doc(A, B.replace('"b"', '"β₁"'), L.replace('"b"]', '"β₁"]')))
    assert "β₁" in g.nodes


# ---- writing ------------------------------------------------------------------

TRICKY = [0.1, 6.8813735870195432, 1e-300, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3, -2.5e-8]


def _graphs():
    g = Graph("expression")
    g.leaf("a", 2.0, label="a")
    g.leaf("b", -3.0, role="input")
    g.leaf("c", 10.0, role="constant")
    g.op("e", "mul", "a", "b", label="e")
    g.op("d", "add", "e", "c")
    g.op("p", "pow", "d", exponent=2)
    g.op("L", "tanh", "p", label="L = tanh(p)")
    g.output = "L"
    g.training = {"loss": "L", "optimizer": "sgd", "lr": 0.5, "momentum": 0.0, "epochs": 200,
                  "batch": None, "reduction": "sum", "seed": 7}
    g.view = {"positions": {"a": [0, 0], "L": [1.5, -2.25]}, "cursor": 3, "notes": {"a": "start ✓"},
              "step_notes": {"3": "look"}, "breakpoints": ["e"], "zoom": 1.0, "center": [0, 0]}
    yield g
    t = Graph("tensors")
    t.leaf("W", np.array(TRICKY).reshape(2, 4), role="parameter")
    t.leaf("x", np.array([[1.0], [-0.0], [0.1], [3.0]]), role="input")
    t.leaf("s", TRICKY[1])
    t.leaf("y", np.array([0.5, 1e-300]), role="target")
    t.op("h", "matmul", "W", "x")
    t.op("r", "relu", "h")
    t.op("L", "mse", "r", "y")
    t.output = "L"
    t.dataset = {"columns": ["x[0,0]", "x[3,0]", "y[1]", "s"],
                 "rows": [[3, 1, 1, 0], [-1, 4, 0.1, 6.8813735870195432]]}
    yield t
    u = Graph('odd "names"\n')
    u.leaf("x\ny", -0.0, label="\ud800 lone surrogate")
    u.leaf("σ", 1e-300, label="σ(x) ≥ 0")
    u.op("out", "max", "x\ny", "σ")
    u.output = "out"
    yield u


@pytest.mark.parametrize("g", list(_graphs()), ids=lambda g: g.title.strip() or "odd")
def test_save_load_save_is_byte_identical(g, tmp_path):
    p1, p2 = tmp_path / "one.json", tmp_path / "two.json"
    save(g, p1)
    h = load(p1)
    save(h, p2)
    assert p1.read_bytes() == p2.read_bytes()
    assert dumps(h) == dumps(g) == p1.read_text(encoding="utf-8")
    for nid, n in g.nodes.items():
        m = h.nodes[nid]
        assert (m.op, m.inputs, m.label, m.role, m.attrs) == (n.op, n.inputs, n.label, n.role, n.attrs)
        a, b = np.asarray(n.value, dtype=float), np.asarray(m.value, dtype=float)
        assert a.shape == b.shape and a.tobytes() == b.tobytes()      # bit-exact, -0.0 included
    assert (h.training, h.view, h.dataset, h.title, h.output) == \
        (g.training, g.view or {}, g.dataset, g.title, g.output)


def test_dumps_is_sorted_with_one_node_per_line():
    text = dumps(loads(VALID))
    lines = text.splitlines()
    assert lines[0] == "{" and text.endswith("}\n")
    assert '    {"id": "a", "op": "leaf", "role": "parameter", "value": 2.0},' in lines
    assert '    {"id": "L", "inputs": ["a", "b"], "op": "mul"}' in lines
    top = [json.loads("{" + ln.rstrip(",") + "}") for ln in lines if ln.startswith('  "') and
           not ln.rstrip().endswith(("[", "{"))]
    assert [k for d in top for k in d] == ["format", "output", "title", "version"]
    hand_written = doc(A.replace("2.0", "2"), B, L)    # ints become floats on the first save
    assert dumps(loads(dumps(loads(hand_written)))) == dumps(loads(hand_written))


def test_dumps_refuses_values_that_cannot_round_trip():
    g = loads(VALID)
    g["a"].value = float("nan")
    with pytest.raises(ValueError, match="node 'a'"):
        dumps(g)
    g = loads(VALID)
    g.output = None
    with pytest.raises(ValueError, match="output None is not a node"):
        dumps(g)


def _leftovers(folder):
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("fail", ["os.replace", "os.fsync"])
def test_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, fail):
    p = tmp_path / "g.json"
    save(loads(VALID), p)
    before = p.read_bytes()
    g = loads(doc(*TENSOR))

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(fail, boom)
    with pytest.raises(OSError, match="simulated"):
        save(g, p)
    monkeypatch.undo()
    assert p.read_bytes() == before
    assert _leftovers(tmp_path) == ["g.json"]
    save(g, p)
    assert load(p).output == "L" and _leftovers(tmp_path) == ["g.json"]


def test_unsaveable_graph_does_not_touch_the_file(tmp_path):
    p = tmp_path / "g.json"
    save(loads(VALID), p)
    before = p.read_bytes()
    g = loads(VALID)
    g["b"].value = float("inf")
    with pytest.raises(ValueError):
        save(g, p)
    assert p.read_bytes() == before and _leftovers(tmp_path) == ["g.json"]


def test_save_keeps_mode_and_follows_symlinks(tmp_path):
    real = tmp_path / "real.json"
    save(loads(VALID), real)
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save(loads(doc(*TENSOR)), link)
    assert link.is_symlink() and "matmul" in real.read_text(encoding="utf-8")
    assert (real.stat().st_mode & 0o777) == 0o640
    assert _leftovers(tmp_path) == ["link.json", "real.json"]


# ---- datasets ------------------------------------------------------------------

@pytest.mark.parametrize("col, expected", [
    ("x1", ("x1", None)), ("x[0,0]", ("x", (0, 0))), ("b[2]", ("b", (2,))),
    ("w[ 1 , 2 ]", ("w", (1, 2))), ("a[b][3]", ("a[b]", (3,))), ("[0]", ("[0]", None)),
    ("x[-1]", ("x[-1]", None)), ("x[]", ("x[]", None)),
])
def test_parse_column(col, expected):
    assert parse_column(col) == expected


def _csv_graph(tmp_path, csv_text, columns='["x[0,0]", "x[1,0]", "t"]', rel="data/train.csv"):
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / rel).write_text(csv_text, encoding="utf-8")
    t = '  {"id": "t", "op": "leaf", "role": "target", "value": 0.0}'
    text = doc(*TENSOR, t, tail='"output": "L",\n "dataset": {"columns": %s,\n  "csv": "%s"}'
               % (columns, rel))                                # "csv" is on line 11
    p = tmp_path / "graph.json"
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_dataset_is_read_relative_to_the_graph_file(tmp_path, monkeypatch):
    p = _csv_graph(tmp_path, 'id,"x[1, 0]","x[0,0]",t\n7,1.5,-2,1\n\n8, 3 ,4e-1,0\n')
    monkeypatch.chdir(tmp_path / "data")                     # the working directory is irrelevant
    g = load(p)
    assert g.dataset == {"columns": ["x[0,0]", "x[1,0]", "t"], "csv": "data/train.csv"}
    rows = load_rows(g)
    assert rows.dtype == np.float64 and rows.tolist() == [[-2.0, 1.5, 1.0], [0.4, 3.0, 0.0]]
    assert bind_row(g, 1) is g
    assert g["x"].value.tolist() == [[0.4], [3.0]] and g["t"].value == 0.0
    assert load_rows(g.copy(), base_dir=tmp_path).tolist() == rows.tolist()
    with pytest.raises(DatasetError, match="no base directory"):
        load_rows(g.copy())
    assert '"csv": "data/train.csv"' in dumps(g)


@pytest.mark.parametrize("csv_text, fragment", [
    ('"x[0,0]","x[1,0]"\n1,2\n', "column 't' is missing from its header"),
    ("x[0,0],x[1,0],t\n1,2,3\n", 'quote names with commas: "x[0,0]"'),
    ('"x[0,0]","x[1,0]",t\n1,2,abc\n', "line 2, column 't': 'abc' is not a finite number"),
    ('"x[0,0]","x[1,0]",t\n1,2,3\n4,5,nan\n', "line 3, column 't': 'nan'"),
    ('"x[0,0]","x[1,0]",t\n1,2,1_000\n', "'1_000' is not a finite number"),
    ('"x[0,0]","x[1,0]",t\n1,2\n', "line 2 has 2 cells, the header has 3"),
    ('"x[0,0]","x[1,0]",t,t\n1,2,3,4\n', "column 't' appears twice"),
    ('"x[0,0]","x[1,0]",t\n1,"2\n', "unexpected end of data"),
    ("\n\n", "is empty"),
])
def test_bad_csv_is_a_format_error(tmp_path, csv_text, fragment):
    p = _csv_graph(tmp_path, csv_text)
    with pytest.raises(GraphFormatError) as info:
        load(p)
    assert info.value.line == 11 and fragment in info.value.message, str(info.value)
    assert "dataset csv 'data/train.csv'" in info.value.message


def test_missing_csv_is_a_format_error(tmp_path):
    p = _csv_graph(tmp_path, '"x[0,0]","x[1,0]",t\n', rel="data/other.csv")
    p.write_text(p.read_text(encoding="utf-8").replace("other.csv", "nope.csv"), encoding="utf-8")
    with pytest.raises(GraphFormatError, match=r"graph.json:11: dataset csv 'data/nope.csv' cannot be read"):
        load(p)


def test_bind_row_with_inline_rows():
    text = doc(*TENSOR, '  {"id": "s", "op": "leaf", "value": 0.0}',
               tail='"output": "L",\n "dataset": {"columns": ["x[1,0]", "s", "W[0,1]"],'
                    ' "rows": [[1, 2, 3], [4, 5, 6.5]]}')
    g = loads(text)
    assert g.dataset["rows"] == [[1, 2, 3], [4, 5, 6.5]]            # kept as given
    assert bind_row(g, np.int64(1)) is g
    assert g["x"].value.tolist() == [[1.0], [4.0]] and g["s"].value == 5.0
    assert g["W"].value.tolist() == [[1.0, 6.5], [3.0, 4.0]]
    assert load_rows(g).tolist() == [[1, 2, 3], [4, 5, 6.5]]
    for k in (2, -1):
        with pytest.raises(RowIndexError, match=rf"dataset row {k} is out of range: the dataset has 2 row\(s\) \(0..1\)"):
            bind_row(g, k)
    with pytest.raises(IndexError):
        bind_row(g, 99)
    with pytest.raises(DatasetError, match="has no dataset"):
        bind_row(loads(VALID), 0)


# ---- the JSON Schema -------------------------------------------------------------

@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((RESOURCES / "graph.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_accepts_valid_files(validator):
    texts = [VALID, doc(*TENSOR), rows_tail("[1, 2]"), *(dumps(g) for g in _graphs())]
    for text in texts:
        loads(text)
        errors = list(validator.iter_errors(json.loads(text)))
        assert not errors, errors[0].message


STRUCTURALLY_INVALID = [
    ("missing format", '{"version": 1, "nodes": [{"id": "a", "op": "leaf", "value": 1}], "output": "a"}'),
    ("version 2", VALID.replace('"version": 1', '"version": 2')),
    ("unknown top key", with_tail('"extra": 1')),
    ("node without id", doc(A, '  {"op": "leaf", "value": 1.0}', L)),
    ("value is a string", doc(A, B.replace("-3.0", '"x"'), L)),
    ("bool value", doc(A, B.replace("-3.0", "true"), L)),
    ("bad role", doc(A, B.replace("input", "weight"), L)),
    ("unknown op", doc(A, B, L.replace("mul", "mull"))),
    ("wrong arity", doc(A, B, L.replace('"a", "b"', '"a"'))),
    ("pow without exponent", doc(A, '  {"id": "L", "op": "pow", "inputs": ["a"]}')),
    ("tensor without shape", doc(W.replace(', "shape": [2, 2]', ""), *TENSOR[1:])),
    ("leaf with inputs", doc(A, B[:-1] + ', "inputs": []}', L)),
    ("rows and csv", with_tail('"dataset": {"columns": ["a"], "rows": [], "csv": "d.csv"}')),
    ("lr zero", with_tail('"training": {"lr": 0}')),
    ("cursor negative", with_tail('"view": {"cursor": -1}')),
    ("position of one number", with_tail('"view": {"positions": {"a": [1]}}')),
]


@pytest.mark.parametrize("name, text", STRUCTURALLY_INVALID, ids=[c[0] for c in STRUCTURALLY_INVALID])
def test_schema_and_loader_reject_structurally_invalid_files(validator, name, text):
    assert not validator.is_valid(json.loads(text))
    with pytest.raises(GraphFormatError):
        loads(text)


def test_schema_ops_match_the_engine():
    schema = json.loads((RESOURCES / "graph.schema.json").read_text(encoding="utf-8"))
    op_node = schema["$defs"]["opNode"]
    assert op_node["properties"]["op"]["enum"] == list(OPS)
    by_arity = {rule["then"]["properties"]["inputs"]["minItems"]: rule["if"]["properties"]["op"]["enum"]
                for rule in op_node["allOf"][:2]}
    assert {a: sorted(ops) for a, ops in by_arity.items()} == \
        {a: sorted(n for n, op in OPS.items() if op.arity == a) for a in (1, 2)}
    with_attrs = {n: list(op.attrs) for n, op in OPS.items() if op.attrs}
    rules = {r["if"]["properties"]["op"]["const"]: r["then"]["properties"]["attrs"]["required"]
             for r in op_node["allOf"] if "const" in r["if"]["properties"]["op"]}
    assert rules == with_attrs and with_attrs["pow"] == ["exponent"]
    assert op_node["allOf"][2]["then"]["properties"]["attrs"]["required"] == ["exponent"]


def test_the_documented_example_loads_and_is_canonical(validator):
    text = (RESOURCES.parent / "docs" / "file-format.md").read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert validator.is_valid(json.loads(example))
    g = loads(example)
    assert dumps(g) == example
    assert bind_row(g, 1)["x"].value.tolist() == [[-1.0], [4.0]]
    assert loads(doc(A, '  {"id": "L", "op": "mul", "inputs": ["a", "a"]}')).validate()


def test_mutated_files_fail_only_with_format_errors():
    """Random edits of valid files: each loads and round-trips, or is one clean error."""
    import random
    rng = random.Random(20261121)
    bases = [VALID, doc(*TENSOR), rows_tail("[1, 2]", "[3, 4]"),
             with_tail('"training": {"loss": "L", "lr": 0.1}, "view": {"positions": {"a": [1, 2]}}')]
    pieces = list('{}[],:"0123456789.-eE \\\n') + ["NaN", "Infinity", "null", "true", '"leaf"',
                                                    '"a"', "1e999", "[]", "{}"]
    for _ in range(1500):
        t = rng.choice(bases)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(t) + 1)
            cut = rng.choice([0, 1, rng.randint(1, 6)])
            t = t[:i] + rng.choice(pieces + [""]) + t[i + cut:]
        try:
            s = dumps(loads(t, path="f.json"))
        except GraphFormatError as e:
            assert "\n" not in str(e) and 1 <= e.line <= t.count("\n") + 1, (t, str(e))
            assert "cannot load the graph" not in e.message, (t, str(e))
        else:
            assert dumps(loads(s)) == s
