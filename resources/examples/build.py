"""Rebuild the example graphs in this folder: `python resources/examples/build.py`
(`--big` writes moons-demo-65k.json, micrograd's whole demo loss, 65,818 values).

Every number comes from the seed documents (shared/seeds): the micrograd neuron
and expression, b = a + a, the 2-2-2 sigmoid network (scalar and matrix forms),
a max/relu router, and micrograd's MLP(2,[16,16,1]) on two moons.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from bpstudio import save  # noqa: E402
from bpstudio.engine import Graph  # noqa: E402

W = [[6.0, -3.0], [-2.0, 5.0]]
V = [[1.0, -2.0], [0.25, 2.0]]
ROWS_222 = [[3.0, 1.0, 1.0, 0.0], [-1.0, 4.0, 0.0, 1.0]]


def neuron() -> Graph:
    g = Graph("micrograd neuron: o = tanh(x1·w1 + x2·w2 + b)", output="o")
    g.leaf("x1", 2.0, role="input")
    g.leaf("x2", 0.0, role="input")
    g.leaf("w1", -3.0)
    g.leaf("w2", 1.0)
    g.leaf("b", 6.8813735870195432)
    g.op("x1w1", "mul", "x1", "w1", label="x1*w1")
    g.op("x2w2", "mul", "x2", "w2", label="x2*w2")
    g.op("x1w1x2w2", "add", "x1w1", "x2w2", label="x1*w1 + x2*w2")
    g.op("n", "add", "x1w1x2w2", "b")
    g.op("o", "tanh", "n")
    return g


def expression(c: float = 10.0) -> Graph:
    g = Graph("L = (a·b + c) · f", output="L")
    g.leaf("a", 2.0)
    g.leaf("b", -3.0)
    g.leaf("c", c)
    g.op("e", "mul", "a", "b")
    g.op("d", "add", "e", "c")
    g.leaf("f", -2.0)
    g.op("L", "mul", "d", "f")
    return g


def accumulate() -> Graph:
    g = Graph("b = a + a: a reused value adds its grads", output="b")
    g.leaf("a", 3.0)
    g.op("b", "add", "a", "a")
    return g


def router() -> Graph:
    g = Graph("max routes, relu gates: L = max(a, b) · relu(d) + relu(c)", output="L")
    g.leaf("a", 2.0)
    g.leaf("b", -1.0)
    g.leaf("c", -0.5)
    g.leaf("d", 3.0)
    g.op("m", "max", "a", "b")
    g.op("r", "relu", "c")
    g.op("s", "relu", "d")
    g.op("ms", "mul", "m", "s", label="m*s")
    g.op("L", "add", "ms", "r")
    return g


def _training(lr: float, epochs: int, reduction: str = "sum", **extra) -> dict:
    return {"loss": "L", "optimizer": "sgd", "lr": lr, "momentum": 0.0, "epochs": epochs,
            "batch": None, "reduction": reduction, **extra}


def net_222() -> Graph:
    """Seed 003's 2-2-2 sigmoid network, one scalar node per number, SSE loss."""
    g = Graph("2-2-2 sigmoid network (seed 003), SSE loss", output="L")
    for i, x in enumerate(ROWS_222[0][:2], 1):
        g.leaf(f"x{i}", x, role="input")
    for i, t in enumerate(ROWS_222[0][2:], 1):
        g.leaf(f"t{i}", t, role="target")
    for i in range(2):
        for j in range(2):
            g.leaf(f"W{i + 1}{j + 1}", W[i][j], label=f"W[{i},{j}]")
            g.leaf(f"V{i + 1}{j + 1}", V[i][j], label=f"V[{i},{j}]")
    _dense(g, ("x1", "x2"), "W", "h")
    _dense(g, ("h1", "h2"), "V", "y")
    for k in (1, 2):
        g.op(f"e{k}", "sub", f"y{k}", f"t{k}")
        g.op(f"sq{k}", "pow", f"e{k}", exponent=2.0, label=f"e{k}²")
    g.op("L", "add", "sq1", "sq2")
    g.dataset = {"columns": ["x1", "x2", "t1", "t2"], "rows": ROWS_222}
    g.training = _training(0.5, 200)
    return g


def _dense(g: Graph, ins: tuple[str, str], w: str, out: str) -> None:
    for j in (1, 2):
        a, b = (f"{ins[0]}{w}{j}", f"{ins[1]}{w}{j}")
        g.op(a, "mul", ins[0], f"{w}1{j}", label=f"{ins[0]}*{w}[0,{j - 1}]")
        g.op(b, "mul", ins[1], f"{w}2{j}", label=f"{ins[1]}*{w}[1,{j - 1}]")
        g.op(f"{out}{j}_in", "add", a, b)
        g.op(f"{out}{j}", "sigmoid", f"{out}{j}_in")


def net_222_matrix() -> Graph:
    g = Graph("2-2-2 sigmoid network (seed 003), matrix form", output="L")
    g.leaf("x", [ROWS_222[0][:2]], role="input", label="X")
    g.leaf("t", [ROWS_222[0][2:]], role="target", label="T")
    g.leaf("W", W)
    g.leaf("V", V)
    g.op("H_in", "matmul", "x", "W")
    g.op("H", "sigmoid", "H_in")
    g.op("Y_in", "matmul", "H", "V")
    g.op("Y", "sigmoid", "Y_in")
    g.op("L", "sse", "Y", "t")
    g.dataset = {"columns": ["x[0,0]", "x[0,1]", "t[0,0]", "t[0,1]"], "rows": ROWS_222}
    g.training = _training(0.5, 200)
    return g


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 1337) -> np.ndarray:
    """Rows (x1, x2, y) with y = ±1, like sklearn's make_moons (shuffled)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    a_out = np.linspace(0, np.pi, n_out)
    a_in = np.linspace(0, np.pi, n - n_out)
    pts = np.r_[np.c_[np.cos(a_out), np.sin(a_out)],
                np.c_[1 - np.cos(a_in), 1 - np.sin(a_in) - 0.5]]
    pts += rng.normal(scale=noise, size=pts.shape)
    y = np.r_[-np.ones(n_out), np.ones(n - n_out)]
    perm = rng.permutation(n)
    return np.c_[pts, y][perm].round(6)


def moons_mlp(hidden=(16, 16), seed: int = 1337) -> Graph:
    """micrograd's demo: MLP(2, [16, 16, 1]), hinge loss max(0, 1 − y·score)."""
    rng = np.random.default_rng(seed)
    g = Graph("micrograd demo: MLP(2,[16,16,1]) on two moons, hinge loss", output="L")
    g.leaf("x1", 0.0, role="input")
    g.leaf("x2", 0.0, role="input")
    g.leaf("y", 1.0, role="target")
    acts = ["x1", "x2"]
    sizes = list(hidden) + [1]
    for li, width in enumerate(sizes, 1):
        last = li == len(sizes)
        acts = [_neuron(g, acts, f"l{li}n{k + 1}", rng, relu=not last) for k in range(width)]
    g.leaf("one", 1.0, role="constant", label="1")
    g.op("yscore", "mul", "y", acts[0], label="y*score")
    g.op("margin", "sub", "one", "yscore", label="1 − y*score")
    g.op("L", "relu", "margin", label="loss")
    rows = _lesson_first(g, two_moons())
    g.dataset = {"columns": ["x1", "x2", "y"], "rows": rows.tolist()}
    for col, v in zip(("x1", "x2", "y"), rows[0].tolist()):     # open on a real sample (row 0,
        g.nodes[col].value = v                                    # as `bpstudio grad` binds)
    g.training = _training(0.5, 100, reduction="mean")
    return g


def _lesson_first(g: Graph, rows: np.ndarray) -> np.ndarray:
    """The rows with a point the untrained net gets wrong moved to the front: opened on
    row 0, the loss is > 0 and every gradient of the backward pass has something to show
    (a point outside the margin gives loss 0 and all-zero grads)."""
    from bpstudio.engine import Stepper
    for k, row in enumerate(rows):
        for col, v in zip(("x1", "x2", "y"), row.tolist()):
            g.nodes[col].value = v
        stepper = Stepper(g)
        stepper.run_to(stepper.program.n_forward)
        if float(stepper.value(g.output)) > 0.5:
            return np.concatenate([rows[k:k + 1], rows[:k], rows[k + 1:]])
    return rows


def _neuron(g: Graph, ins: list[str], name: str, rng, relu: bool) -> str:
    """act = b + w1·x1 + w2·x2 + ... (micrograd's order), then relu."""
    acc = g.leaf(f"{name}.b", 0.0, label=f"b{name[1:]}")
    for i, x in enumerate(ins, 1):
        w = g.leaf(f"{name}.w{i}", float(rng.uniform(-1, 1)).__round__(6), label=f"w{i}")
        prod = g.op(f"{name}.m{i}", "mul", w, x, label=f"w{i}*{x}")
        acc = g.op(f"{name}.s{i}", "add", acc, prod, label="+")
    if not relu:
        g.nodes[acc].label = "score"
        return acc
    return g.op(name, "relu", acc, label=name)


EXAMPLES = {"neuron": neuron, "expression": expression, "accumulate": accumulate,
            "router": router, "net-2-2-2": net_222, "net-2-2-2-matrix": net_222_matrix,
            "moons-mlp": moons_mlp}


def moons_demo_loss() -> Graph:
    """The 65,818-value graph of micrograd's demo loss (needs `pip install micrograd`):
    MLP(2,[16,16,1]) on all 100 points at once, hinge loss + L2 regularisation."""
    sys.path.insert(0, str(HERE.parent.parent / "tests" / "benchmarks"))
    from bench_engine import demo_loss
    model, loss = demo_loss()
    graph = Graph.from_value(loss(), parameters=model.parameters(),
                             title="micrograd demo loss, 100 points (65,818 values)")
    return graph


def main(argv: list[str]) -> None:
    builders = dict(EXAMPLES)
    if "--big" in argv:                 # not committed: ~6 MB
        builders = {"moons-demo-65k": moons_demo_loss}
    for name, build in builders.items():
        graph = build()
        graph.validate()
        save(graph, HERE / f"{name}.json")
        print(f"wrote {name}.json ({len(graph)} nodes)")


if __name__ == "__main__":
    main(sys.argv[1:])
