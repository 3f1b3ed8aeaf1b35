"""The seeds' code blocks, exactly as printed, open through the CLI with the seeds' numbers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bpstudio.cli.main import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "resources" / "examples"
FIXTURES = EXAMPLES / "seeds"
SEEDS = next((p / "shared" / "seeds" for p in Path(__file__).resolve().parents[2:4]
              if (p / "shared" / "seeds").is_dir()), Path("/nonexistent"))   # main or a worktree


def grad(capsys, path) -> tuple[str, dict]:
    assert main(["grad", "--json", str(path)]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    return out["output"], {n["id"]: n for n in out["nodes"]}


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.py")))
def test_fixture_is_a_verbatim_block_of_its_seed(name):
    if not SEEDS.is_dir():
        pytest.skip(f"seed texts not found at {SEEDS}")
    seed = next(SEEDS.glob(f"{name[:3]}_*.txt")).read_text(encoding="utf-8")
    block = (FIXTURES / name).read_text(encoding="utf-8").removesuffix("\n")
    assert block in seed.replace("\nEnter fullscreen mode Exit fullscreen mode", "")


def test_torch_example_is_the_seed_block():
    assert (EXAMPLES / "torch-2-2-2.py").read_bytes() == (FIXTURES / "003-torch.py").read_bytes()


def test_seed_000_neuron(capsys):
    out, n = grad(capsys, FIXTURES / "000-neuron.py")
    assert out == "o" and n["o"]["data"] == pytest.approx(0.7071067811865476, abs=1e-12)
    want = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert {k: pytest.approx(n[k]["grad"], abs=1e-9) for k in want} == want


def test_seed_001_class_with_labels(capsys):
    # the seed's own class labels __mul__ '-' but multiplies: e = -6, d = 4 (not 5 or -5)
    out, n = grad(capsys, FIXTURES / "001-labels.py")
    assert out == "d" and set(n) == {"a", "b", "c", "e", "d"}
    assert (n["e"]["op"], n["e"]["data"], n["d"]["data"]) == ("mul", -6.0, 4.0)
    assert (n["a"]["grad"], n["b"]["grad"], n["c"]["grad"]) == (-3.0, 2.0, 1.0)


@pytest.mark.parametrize("name,c", [("001-expression.py", 10.0), ("002-expression.py", 5.0)])
def test_seed_001_002_expression(capsys, name, c):
    out, n = grad(capsys, FIXTURES / name)
    a, b, f = 2.0, -3.0, -2.0
    d = a * b + c
    assert out == "L" and n["L"]["data"] == d * f
    want = {"a": f * b, "b": f * a, "c": f, "e": f, "d": f, "f": d, "L": 1.0}
    assert {k: n[k]["grad"] for k in want} == want


# seed 003: y = (0.73194171, 0.12303186), loss 0.08699208 and (from its numpy block)
# grad_W = [[-5.34381484e-08, 1.42014367e-03], [-1.78127161e-08, 4.73381224e-04]],
# grad_V = [[-0.10518769, 0.02654905], [-0.00189193, 0.00047752]], W = [[w11, w12], [w21, w22]]
SEED_003 = {"w11": -5.34381483665323e-08, "w12": 0.0014201436720081408,
            "w21": -1.7812716122177433e-08, "w22": 0.0004733812240027136,
            "v11": -0.10518769048825163, "v12": 0.02654904571226164,
            "v21": -0.0018919280994576303, "v22": 0.0004775167642113309}


@pytest.mark.parametrize("path", [FIXTURES / "003-tape.py", EXAMPLES / "torch-2-2-2.py"],
                         ids=["tape", "torch"])
def test_seed_003_network(capsys, path):
    out, n = grad(capsys, path)
    assert out == "l"
    assert n["y1"]["data"] == pytest.approx(0.73194171, abs=5e-9)
    assert n["y2"]["data"] == pytest.approx(0.12303186, abs=5e-9)
    assert n["l"]["data"] == pytest.approx(0.08699208259994781, abs=1e-15)
    for name, want in SEED_003.items():
        assert n[name]["grad"] == pytest.approx(want, abs=1e-15), name
    # printed in the seed by the manual pass: grad_y1_in, grad_h1_out
    y1 = n["y1"]["data"]
    assert n["y1"]["grad"] * y1 * (1 - y1) == pytest.approx(-0.10518770232556676, abs=1e-15)
    assert n["h1"]["grad"] == pytest.approx(-0.15828579972549303, abs=1e-15)


def test_seed_003_roles(capsys):
    from bpstudio.io.snippet import load_snippet
    for path in (FIXTURES / "003-tape.py", EXAMPLES / "torch-2-2-2.py"):
        g = load_snippet(path)
        assert [g[k].role for k in ("x1", "x2", "w11", "v22", "t1", "t2")] == \
            ["input", "input", "parameter", "parameter", "target", "target"], path


def test_seed_000_class_blocks_then_the_neuron():
    # seed 000 prints its Value class in parts ("class Value:  # ..."); pasted before the
    # neuron, each part is checked against bpstudio's ops and the numbers stay the seed's
    import re

    from bpstudio.engine import Stepper
    from bpstudio.io.snippet import parse_snippet
    if not SEEDS.is_dir():
        pytest.skip(f"seed texts not found at {SEEDS}")
    seed = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    parts = [m.group(0) for m in re.finditer(r"class Value:\n  # \.\.\.\n.*?(?=\n\n\S)", seed,
                                             re.S)]
    assert len(parts) == 5 and "def tanh" in parts[3]
    usage = (FIXTURES / "000-neuron.py").read_text(encoding="utf-8")
    src = "import math\n\n" + "\n\n".join(parts[:4]) + "\n\n" + usage + "o.backward()\n"
    g = parse_snippet(src, "000.py")
    s = Stepper(g)
    s.run_to_end()
    assert s.value("o") == pytest.approx(0.7071067811865476, abs=1e-12)
    assert [s.grad(k) for k in ("x1", "w1", "x2", "w2", "b")] == \
        [pytest.approx(v, abs=1e-9) for v in (-1.5, 1.0, 0.5, 0.0, 0.5)]
    # the fifth part, backward(), is printed with its loop bodies cut off: a syntax error
    from bpstudio.io.snippet import SnippetError
    with pytest.raises(SnippetError, match="000.py:11:4: syntax error: expected an indented"):
        parse_snippet(parts[4] + "\n", "000.py")
