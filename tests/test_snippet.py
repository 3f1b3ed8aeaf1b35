"""bpstudio.io.snippet: micrograd-style snippets read with ast, never executed."""
from __future__ import annotations

import ast
import builtins
import math
import pickle
from pathlib import Path

import pytest

from bpstudio.engine import Stepper
from bpstudio.io.snippet import SnippetError, load_snippet, parse_snippet

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "resources" / "examples"
SEEDS = next((p / "shared" / "seeds" for p in Path(__file__).resolve().parents[2:4]
              if (p / "shared" / "seeds").is_dir()), Path("/nonexistent"))   # main or a worktree
NEURON_O = 0.7071067811865476


def run(graph) -> Stepper:
    s = Stepper(graph)
    s.run_to_end()
    return s


def by_label(graph, s: Stepper, label: str) -> tuple[float, float]:
    nid = graph.by_label(label).id
    return s.value(nid), s.grad(nid)


def check_expression(graph, c=10.0):
    """L = (a*b + c) * f with a=2, b=-3, f=-2; the numbers worked out by hand."""
    s = run(graph)
    a, b, f = 2.0, -3.0, -2.0
    e = a * b
    d = e + c
    L = d * f
    assert graph.output == graph.by_label("L").id
    assert by_label(graph, s, "L") == (L, 1.0)
    expected = {"f": d, "d": f, "e": f, "c": f, "a": f * b, "b": f * a}
    for label, grad in expected.items():
        assert by_label(graph, s, label)[1] == pytest.approx(grad, abs=1e-12), label
    return s


def check_neuron(graph):
    s = run(graph)
    assert graph.output == graph.by_label("o").id
    assert by_label(graph, s, "o")[0] == pytest.approx(NEURON_O, abs=1e-12)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    for label, grad in expected.items():
        assert by_label(graph, s, label)[1] == pytest.approx(grad, abs=1e-9), label
    assert graph.by_label("x1").role == "input" and graph.by_label("w1").role == "parameter"


# ---- the bundled examples --------------------------------------------------

def test_expression_example():
    s = check_expression(load_snippet(EXAMPLES / "expression.py"))
    assert s.value("L") == -8.0 and s.grad("a") == 6.0 and s.grad("f") == 4.0


def test_neuron_example():
    graph = load_snippet(EXAMPLES / "neuron.py")
    check_neuron(graph)
    assert graph.by_label("x1*w1").id == "x1w1"
    assert graph["n"].op == "add" and graph["o"].op == "tanh"


def test_expression_c5_example():
    graph = load_snippet(EXAMPLES / "expression-c5.py")
    s = check_expression(graph, c=5.0)
    # d = -6 + 5 = -1, L = f*d = 2; dL/dd = f = -2, dL/df = d = -1,
    # dL/da = -2 * b = 6, dL/db = -2 * a = -4, dL/dc = -2
    assert (s.value("d"), s.value("L")) == (-1.0, 2.0)
    assert [s.grad(n) for n in "dfabc"] == [-2.0, -1.0, 6.0, -4.0, -2.0]
    assert graph["L"].inputs == ("f", "d")          # L = f * d, in that order


# ---- the seed texts as printed ---------------------------------------------

def seed_text(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed texts not found at {SEEDS}")
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def clean(block: str) -> str:
    return "\n".join(line for line in block.splitlines()
                     if "fullscreen mode" not in line)


def test_seed_000_as_printed():
    text = seed_text("000")
    start = text.index("# inputs x1,x2")
    last = "o = n.tanh(); o.label = 'o'"
    check_neuron(parse_snippet(clean(text[start:text.index(last, start) + len(last)]), "000"))


def test_seed_001_as_printed():
    text = seed_text("001")
    first = "a = Value(2.0, label='a')"
    start = text.index(first, text.index(first) + 1)    # the 2nd block: with f and L
    end = text.index("L = d * f; L.label = 'L'\nL\n", start) + len("L = d * f; L.label = 'L'\nL")
    graph = parse_snippet(clean(text[start:end]), "001")
    check_expression(graph)


def test_seed_002_as_printed():
    text = seed_text("002")
    start = text.index("a = Value(2.0, label='a')")
    end = text.index("L.backward()", start) + len("L.backward()")
    check_expression(parse_snippet(clean(text[start:end]), "002"), c=5.0)


# ---- the subset ------------------------------------------------------------

def test_literals_constants_and_reflected_forms():
    g = parse_snippet("x = Value(10)\nw = Value(-3.0)\ny = 2 * x - 1 + (3 / w) + -x * -2.5\n")
    s = run(g)
    assert g["x"].value == 10.0 and g["w"].value == -3.0
    assert g["x"].role == "input" and g["w"].role == "parameter"
    consts = [n for n in g.nodes.values() if n.role == "constant"]
    assert [(n.id, n.label, n.value) for n in consts] == [
        ("const1", "2.0", 2.0), ("const2", "1.0", 1.0), ("const3", "3.0", 3.0),
        ("const4", "-2.5", -2.5)]
    assert sorted(n.op for n in g.nodes.values() if not n.is_leaf) == [
        "add", "add", "div", "mul", "mul", "neg", "sub"]
    assert s.value(g.output) == pytest.approx(2 * 10 - 1 + 3 / -3 + 10 * 2.5)
    assert s.grad("x") == pytest.approx(2 - (-2.5))
    assert s.grad("w") == pytest.approx(-3 / 9)


def test_pow_methods_and_intermediate_ids():
    g = parse_snippet("a = Value(0.5, label='a')\n"
                      "y = (a ** 2 + a ** -1).tanh().exp() + a.relu().log().sigmoid()\n")
    ops = {n.id: (n.op, n.attrs) for n in g.nodes.values() if not n.is_leaf}
    assert ops["pow1"] == ("pow", {"exponent": 2}) and ops["pow2"] == ("pow", {"exponent": -1})
    assert {"add1", "tanh1", "exp1", "relu1", "log1", "sigmoid1", "y"} <= set(ops)
    assert g.output == "y" and g["tanh1"].label == "tanh1"
    t = math.tanh(0.25 + 2)
    want = math.exp(t) + 1 / (1 + math.exp(-math.log(0.5)))
    assert run(g).value("y") == pytest.approx(want)


def test_matches_micrograd_values_and_grads():
    mg = pytest.importorskip("micrograd.engine")
    src = "a = Value(-4.0)\nb = Value(2.0)\nc = a + b\nd = a * b + b**3\nc += c + 1\n" \
          "c += 1 + c + (-a)\nd += d * 2 + (b + a).relu()\ne = c - d\nf = e**2\n" \
          "g = f / 2.0\ng += 10.0 / f\ng.backward()\n"
    graph = parse_snippet(src)
    s = run(graph)
    V = mg.Value
    a, b = V(-4.0), V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert s.value(graph.output) == pytest.approx(g.data, rel=1e-12)
    assert s.grad("a") == pytest.approx(a.grad, rel=1e-12)
    assert s.grad("b") == pytest.approx(b.grad, rel=1e-12)


def test_rebinding_keeps_ids_unique_and_stable():
    src = "a = Value(1.0)\nb = Value(2.0)\na = a * b\na += 1\nc = a\nc.label = 'last'\n"
    g = parse_snippet(src)
    assert list(g.nodes) == ["a", "b", "a_2", "const1", "a_3"]
    assert [n.label for n in g.nodes.values()] == ["a", "b", "a_2", "1.0", "last"]
    assert g.output == "a_3" and run(g).value("a_3") == 3.0
    assert list(parse_snippet(src).nodes) == list(g.nodes)


def test_label_ids_do_not_steal_variable_names():
    g = parse_snippet("p = Value(1.0, label='q')\nz = (p * p).tanh()\nq = p + z\n"
                      "r = q * Value(2.0, label='k+1')\n")
    assert set(g.nodes) == {"p", "mul1", "z", "q", "k_1", "r"}
    assert g["p"].label == "q" and g["k_1"].label == "k+1"


def test_seed_002_accumulation_example():
    # "b = a + a gives a.grad = 2", with the notebook's bare `a.grad` display lines
    g = parse_snippet("a = Value(3.0)\nb = a + a\nb.backward()\na.grad # 2\nb.data\n")
    s = run(g)
    assert g["b"].inputs == ("a", "a") and s.grad("a") == 2.0 and s.value("b") == 6.0


def test_ignored_statements():
    src = ('"""doc"""\nimport math\nfrom micrograd.engine import Value\n'
           "class Value:\n    def __init__(self, data):\n        self.data = data\n"
           "def helper():\n    return 1\n"
           "a = Value(2.0); b = Value(3.0); pass\nc = a * b\nprint(c.data, eval('1'))\n"
           "draw_dot(c)\nc.grad = 1.0\na.grad += b.data * c.grad\nc\n")
    g = parse_snippet(src)
    assert list(g.nodes) == ["a", "b", "c"] and g.output == "c"


def test_output_rules():
    # backward() wins even when not last; the last call wins
    g = parse_snippet("a = Value(1.0)\nb = a.exp()\nc = a.tanh()\nb.backward()\n")
    assert g.output == "b"
    g = parse_snippet("a = Value(1.0)\nb = a.exp()\nc = a.tanh()\nc.backward()\nb.backward()")
    assert g.output == "b"
    # several unconsumed results: the last created one
    g = parse_snippet("a = Value(1.0)\nb = a.exp()\nc = a.tanh()\nh = Value(0.001)\n")
    assert g.output == "c"
    g = parse_snippet("a = Value(1.0)\n")
    assert g.output == "a"
    g = parse_snippet("\ufeffa = Value(1.0)\nb = a\nb.label = 'β'\n")   # BOM; alias
    assert g.output == "a" and g["a"].label == "β" and len(g) == 1


def test_long_chain_of_statements():
    n = 5000
    lines = ["v0 = Value(1.0)", "a = Value(0.5, label='a')"]
    lines += [f"v{i} = v{i - 1} + a" for i in range(1, n + 1)]
    g = parse_snippet("\n".join(lines))
    assert len(g) == n + 2 and g.output == f"v{n}"
    s = run(g)
    assert s.value(f"v{n}") == 1.0 + 0.5 * n and s.grad("a") == float(n)


def test_load_snippet_reports_the_file_path(tmp_path):
    p = tmp_path / "bad.py"
    p.write_text("a = Value(1.0)\nwhile a:\n    a = a * 2\n", encoding="utf-8")
    with pytest.raises(SnippetError) as info:
        load_snippet(p)
    e = info.value
    assert (e.path, e.line, e.col) == (str(p), 2, 1)
    assert str(e) == (f"{p}:2:1: unsupported statement: while loop; the safe reader never runs "
                      f"code, `bpstudio run {p}` runs it as Python if you trust it")
    again = pickle.loads(pickle.dumps(e))
    assert str(again) == str(e) and again.line == 2


# ---- errors ----------------------------------------------------------------

A = "a = Value(1.0)\n"
ERRORS = [
    ("a = Value(2.0\n", 1, 10, "syntax error"),
    (A + "while a:\n    a = a * 2\n", 2, 1, "unsupported statement: while loop"),
    ("while True:\n    pass\n", 1, 1, "unsupported statement: while loop"),
    (A + "if a:\n    pass\n", 2, 1, "unsupported statement: if statement"),
    (A + "for i in range(3):\n    break\n", 3, 5, "unsupported statement: break"),
    (A + "b = Value(a)\n", 2, 11, "Value() needs a number"),
    (A + "b = Value()\n", 2, 5, "Value() needs a number"),
    (A + "b = Value(2.0)\nc = a ** b\n", 3, 10, "exponent of ** must be a number"),
    (A + "b = 2 ** a\n", 2, 10, "exponent of ** must be a number"),
    (A + "b = a.sin()\n", 2, 7, "unsupported method .sin()"),
    (A + "b = a.tanh(); c = b.cos()\n", 2, 21, "unsupported method .cos()"),
    ("a = Value(1.0, label='σσ'); b = a.sin()\n", 1, 35, "unsupported method .sin()"),
    (A + "b = a.tanh(1)\n", 2, 12, ".tanh() takes no arguments"),
    (A + "x = y = a\n", 2, 5, "chained"),
    (A + "b = Value(1.0, **kw)\n", 2, 16, "unsupported argument **"),
    ("a = eval('Value(1.0)')\n", 1, 5, "unsupported call: eval()"),
    (A + "a.grad.zero_()\n", 2, 8, "unsupported method .zero_()"),
    (A + "b = a * c\n", 2, 9, "undefined name 'c'"),
    ("f = lambda v: v\n", 1, 5, "unsupported expression: lambda"),
    ("vs = [Value(1.0) for _ in range(3) if _]\n", 1, 39, "comprehension with if"),
    (A + "b = a[0]\n", 2, 5, "indexing a node"),
    (A + "b = [a][1]\n", 2, 9, "index 1 is out of range for a list of 1"),
    (A + "b = +a\n", 2, 5, "unsupported unary operator +"),
    (A + "b = a + 'x'\n", 2, 9, "unsupported constant string"),
    ("import math\n" + A + "b = math.exp(a)\n", 3, 14, "math.exp() of a node"),
    ("import math\n" + A + "b = math.gamma(2.0)\n", 3, 5, "unsupported math function"),
    ("a = Value(1.0, _children=())\n", 1, 16, "unsupported Value() argument _children="),
    ("a = Value(1.0, (), '+')\n", 1, 16, "Value() takes one number"),
    ("a = Value(1.0, label=3)\n", 1, 22, "label= must be a string"),
    (A + "b = a % 2\n", 2, 5, "unsupported operator %"),
    (A + "b, c = a, a, a\n", 2, 1, "cannot unpack 3 values into 2"),
    (A + "b = a.backward()\n", 2, 7, "backward() must be a statement"),
    (A + "a * 2\n", 2, 1, "not used"),
    (A + "b = 1 / (2 - 2)\n", 2, 5, "division by zero"),
    ("a = Value(1e999)\n", 1, 11, "not a finite float"),
    ("a = Value(10.0 ** 400)\n", 1, 11, "not finite"),
    (A + "b = a\na.label = name\n", 3, 11, "undefined name 'name'"),
    (A + "a.label = 3\n", 2, 11, "label must be a string"),
    (A + "b = a * 2\na.data = 5.0\n", 3, 1, "after the node was used"),
    (A + "b = a * 2\nb.data = 5.0\n", 3, 1, "only a leaf's .data"),
    (A + "a.backward()\nb = a.grad * 2\n", 3, 5, "after backward()"),
    (A + "a.grad = 1.0\nb = a.grad * 2\n", 3, 5, "set by hand"),
    (A + "def f(v):\n    return v\nb = f(a)\n", 4, 5, "a function defined in the snippet"),
    ("class Neuron:\n    pass\nn = Neuron(2)\n", 3, 5, "class defined in the snippet"),
    (A + "b = a @ a\n", 2, 5, "cannot compute matmul"),
    (A + "b = [a] @ a\n", 2, 5, "@ needs two tensors"),
    (A + "for i in range(10**9):\n    pass\n", 2, 1, "more than 1,000,000 iterations"),
    (A + "b = [1.0] * 3\n", 2, 5, "unsupported operand for *: a list"),
    ("# nothing here\nimport math\n", 1, 1, "builds no Value"),
    ("h = 0.001\nx = 2.0 * h\n", 1, 1, "builds no Value"),
]


@pytest.mark.parametrize("src,line,col,fragment", ERRORS,
                         ids=[f"{i:02d}-{e[3][:24]}" for i, e in enumerate(ERRORS)])
def test_errors_name_line_and_column(src, line, col, fragment):
    with pytest.raises(SnippetError) as info:
        parse_snippet(src, "snip.py")
    e = info.value
    assert (e.line, e.col) == (line, col), str(e)
    assert fragment in e.message
    assert str(e) == f"snip.py:{line}:{col}: {e.message}" and "\n" not in str(e)
    # code the reader does not understand points to `bpstudio run`; broken files do not
    assert ("`bpstudio run snip.py` runs it as Python" in str(e)) == e.hint


def test_too_deep_expression_is_a_snippet_error():
    src = "a = Value(1.0)\nb = " + " + ".join(["a"] * 20000) + "\n"
    with pytest.raises(SnippetError) as info:
        parse_snippet(src)
    assert "nested too deeply" in str(info.value)


def test_nothing_is_executed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    for src in (f"__import__('os').system('touch {marker}')\n",
                f"a = Value(1.0)\nb = __import__('os').system('touch {marker}')\n",
                f"a = Value(1.0)\nexec(\"open('{marker}', 'w')\")\n"):
        with pytest.raises(SnippetError):
            parse_snippet(src)
        assert not marker.exists()

    def forbidden(*args, **kwargs):
        raise AssertionError("user code must never be run")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "__import__", forbidden)
    graph = parse_snippet(f"a = Value(1.0)\nprint(open('{marker}', 'w'))\nb = a.exp()\n")
    assert graph.output == "b" and not marker.exists()


def test_module_source_has_no_eval_exec_or_compile():
    import bpstudio.io.snippet as mod
    files = sorted(Path(mod.__file__).parent.glob("*.py"))
    assert len(files) >= 6
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
        names = {c.id for c in calls if isinstance(c, ast.Name)}
        methods = {c.attr for c in calls if isinstance(c, ast.Attribute)}
        assert not names & {"eval", "exec", "compile", "__import__"}, f
        assert not methods & {"eval", "exec", "import_module", "system", "popen"}, f
        imported = {a.name.split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        assert not imported & {"torch", "importlib", "pickle", "subprocess"}, f
