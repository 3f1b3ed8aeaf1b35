"""A .py snippet has the JSON limits (50 MB, 200,000 nodes) and loop bounds (issue 10)."""
from __future__ import annotations

import pytest

from bpstudio.cli.main import main
from bpstudio.io.snippet import SnippetError, load_snippet, parse_snippet


def test_210k_node_snippet_is_refused_in_one_line(tmp_path, capsys):
    f = tmp_path / "big.py"
    f.write_text("a = Value(1.0)\nfor i in range(210000):\n    a = a + 1\n")
    assert main(["grad", str(f)]) == 2
    err = capsys.readouterr().err
    assert err == f"bpstudio: {f}:3:9: the snippet builds more than 200,000 nodes " \
                  "(the limit for a graph)\n"


def test_51_mb_snippet_is_refused_before_reading(tmp_path, capsys):
    f = tmp_path / "huge.py"
    with open(f, "wb") as fh:
        fh.truncate(51 * 2**20)                 # sparse: never read, refused by its size
    with pytest.raises(SnippetError) as info:
        load_snippet(f)
    assert str(info.value) == f"{f}:1:1: the file is too large: 51.0 MB (the limit is 50.0 MB)"
    assert main(["grad", str(f)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_text_over_50_mb_is_refused():
    with pytest.raises(SnippetError, match="too large"):
        parse_snippet("#" * (50 * 2**20 + 1))


@pytest.mark.parametrize("src,fragment", [
    ("for i in range(10**12):\n    pass\n", "more than 1,000,000 iterations"),
    ("for i in range(2000):\n    for j in range(2000):\n        pass\n",
     "more than 1,000,000 iterations"),
    ("xs = [k for k in range(10**12)]\n", "more than 1,000,000 iterations"),
    ("n = len(list(range(10**12)))\n", "more than 1,000,000 items"),
    ("a = Value(2.0)\nfor i in range(100):\n    a = a ** 2\n    k = 10 ** i\n", None),
])
def test_loops_are_bounded(src, fragment):
    if fragment is None:                         # squaring to inf is IEEE, not a hang
        g = parse_snippet(src)
        assert len(g) == 101
        return
    with pytest.raises(SnippetError) as info:
        parse_snippet(src, "loop.py")
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_int_growth_in_a_loop_stays_bounded():
    # repeated squaring of a Python int would take memory without bound; here it turns
    # into a float and then into "not finite"
    with pytest.raises(SnippetError, match="not finite"):
        parse_snippet("k = 2\nfor i in range(40):\n    k = k * k\na = Value(k)\n")
