"""Every op's local derivatives against central differences in float64."""
import numpy as np
import pytest

from bpstudio.engine.ops import OPS, reduce_to_shape
from bpstudio.engine.ops_tensor import NEW_OPS

EPS = 1e-6
RNG = np.random.default_rng(20261121)

# input domain per op: where the function is smooth (no kinks, no poles)
DOMAIN = {
    "log": lambda shape: RNG.uniform(0.5, 3.0, shape),
    "div": lambda shape: RNG.uniform(0.5, 3.0, shape) * RNG.choice([-1, 1], shape),
    "pow": lambda shape: RNG.uniform(0.5, 2.0, shape),
    "relu": lambda shape: RNG.uniform(0.1, 2.0, shape) * RNG.choice([-1, 1], shape),
}
SHAPES = {
    1: [((),), ((3,),), ((2, 3),)],
    2: [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (1, 3)),
        ((2, 1), ()), ((), (2, 2))],
}
TENSOR_ONLY = {"matmul": [((2, 3), (3, 4)), ((1, 2), (2, 2))]}
PAIR_SAME = {"sse", "mse"}


def sample(op_name, shape):
    make = DOMAIN.get(op_name, lambda s: RNG.normal(size=s) * 2)
    x = make(shape)
    return float(x) if shape == () else np.asarray(x, dtype=np.float64)


def cases(op_name):
    op = OPS[op_name]
    shapes = TENSOR_ONLY.get(op_name) or SHAPES[op.arity]
    for shape_set in shapes:
        if op_name == "max" and shape_set[0] != shape_set[-1]:
            continue
        for _ in range(20 if len(shape_set[0]) == 0 or op_name == "matmul" else 7):
            ins = [sample(op_name, s) for s in shape_set]
            if op_name == "max":   # keep the two inputs apart: max is not smooth at a tie
                ins[1] = ins[0] + RNG.choice([-1, 1]) * RNG.uniform(0.2, 1.0, np.shape(ins[0]))
            yield ins


def numeric_vjp(op, ins, g, attrs, slot):
    """d/d(ins[slot]) of sum(g * f(ins)) by central differences."""
    base = np.array(ins[slot], dtype=np.float64)
    out = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        vals = []
        for sign in (1, -1):
            x = base.copy()
            x[idx] += sign * EPS
            args = list(ins)
            args[slot] = float(x) if x.ndim == 0 else x
            vals.append(np.sum(np.asarray(g) * np.asarray(op.forward(args, attrs))))
        out[idx] = (vals[0] - vals[1]) / (2 * EPS)
    return out


@pytest.mark.parametrize("op_name", sorted(set(OPS) - set(NEW_OPS)))   # those: test_torch_ops.py
def test_op_matches_central_differences(op_name):
    op = OPS[op_name]
    attrs = {"exponent": 3.0} if op_name == "pow" else {}
    n = 0
    for ins in cases(op_name):
        out = op.forward(ins, attrs)
        g = RNG.normal(size=np.shape(out))
        g = float(g) if np.ndim(g) == 0 else g
        contribs = op.contributions(ins, out, g, attrs)
        for slot, x in enumerate(ins):
            assert np.shape(contribs[slot]) == np.shape(x), "grad must have the input's shape"
            expect = numeric_vjp(op, ins, g, attrs, slot)
            np.testing.assert_allclose(contribs[slot], expect, rtol=1e-6, atol=1e-6)
        n += 1
    assert n >= 20


@pytest.mark.parametrize("k", [2.0, -1.0, 0.5, 3.0])
def test_pow_exponents(k):
    op = OPS["pow"]
    for _ in range(20):
        x = float(RNG.uniform(0.5, 3))
        got = op.contributions([x], op.forward([x], {"exponent": k}), 1.0, {"exponent": k})[0]
        expect = ((x + EPS) ** k - (x - EPS) ** k) / (2 * EPS)
        assert got == pytest.approx(expect, rel=1e-6)


def test_reduce_to_shape_sums_broadcast_axes():
    g = np.arange(6.0).reshape(2, 3)
    assert reduce_to_shape(g, (3,)).tolist() == [3.0, 5.0, 7.0]
    assert reduce_to_shape(g, (1, 3)).tolist() == [[3.0, 5.0, 7.0]]
    assert reduce_to_shape(g, (2, 1)).tolist() == [[3.0], [12.0]]
    assert reduce_to_shape(g, ()) == 15.0


def test_every_op_has_words_for_students():
    for name, op in OPS.items():
        assert op.formula and op.gate and len(op.grad_formulas) == op.arity, name
    assert "swap" in OPS["mul"].gate and "distribut" in OPS["add"].gate
    assert "route" in OPS["max"].gate


def test_max_routes_to_the_larger_input_only():
    op = OPS["max"]
    assert op.contributions([2.0, -1.0], 2.0, 5.0, {}) == [5.0, 0.0]
    assert op.contributions([-3.0, 1.0], 1.0, 5.0, {}) == [0.0, 5.0]
