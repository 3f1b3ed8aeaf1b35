"""The tensor ops added for PyTorch graphs, against central differences (no torch needed)."""
import json

import numpy as np
import pytest

from bpstudio import Graph, Stepper
from bpstudio.engine.ops import OPS
from bpstudio.engine.ops_tensor import NEW_OPS
from bpstudio.io import dumps, loads

EPS = 1e-6
RNG = np.random.default_rng(20261202)


def _labels(n):
    return RNG.integers(0, 3, size=n).astype(np.float64)


# op -> list of (inputs maker, attrs, differentiable slots)
CASES = {
    "leaky_relu": [(lambda: [RNG.uniform(0.1, 2, (2, 3)) * RNG.choice([-1, 1], (2, 3))],
                    {"slope": 0.1}, (0,)),
                   (lambda: [float(RNG.uniform(0.1, 2) * RNG.choice([-1, 1]))], {"slope": 0.3}, (0,))],
    "transpose": [(lambda: [RNG.normal(size=(2, 3))], {"dim0": 0, "dim1": 1}, (0,)),
                  (lambda: [RNG.normal(size=(2, 3, 4))], {"dim0": -1, "dim1": 0}, (0,))],
    "reshape": [(lambda: [RNG.normal(size=(2, 3))], {"shape": [3, 2]}, (0,)),
                (lambda: [RNG.normal(size=(6,))], {"shape": [1, 6, 1]}, (0,)),
                (lambda: [RNG.normal(size=(1,))], {"shape": []}, (0,))],
    "expand": [(lambda: [RNG.normal(size=(3,))], {"shape": [2, 3]}, (0,)),
               (lambda: [RNG.normal(size=(2, 1))], {"shape": [4, 2, 3]}, (0,))],
    "sum_dim": [(lambda: [RNG.normal(size=(2, 3))], {"dim": d, "keepdim": k}, (0,))
                for d in (0, 1, -1) for k in (0, 1)],
    "mean_dim": [(lambda: [RNG.normal(size=(2, 3, 2))], {"dim": d, "keepdim": k}, (0,))
                 for d in (0, 2) for k in (0, 1)],
    "softmax": [(lambda: [RNG.normal(size=(2, 3))], {"dim": d}, (0,)) for d in (0, 1, -1)],
    "log_softmax": [(lambda: [RNG.normal(size=(3, 4))], {"dim": d}, (0,)) for d in (0, -1)],
    "nll_loss": [(lambda: [RNG.normal(size=(4, 3)), _labels(4)],
                  {"reduction": r, "ignore_index": -100}, (0,)) for r in (0, 1, 2)]
    + [(lambda: [RNG.normal(size=(3,)), 2.0], {"reduction": 1, "ignore_index": -100}, (0,)),
       (lambda: [RNG.normal(size=(4, 3)), np.array([0.0, 1.0, 1.0, 2.0])],
        {"reduction": 1, "ignore_index": 1}, (0,))],
    "bce": [(lambda: [RNG.uniform(0.1, 0.9, (2, 3)), RNG.uniform(0, 1, (2, 3))],
             {"reduction": r}, (0, 1)) for r in (0, 1, 2)],
    "bce_logits": [(lambda: [RNG.normal(size=(2, 3)) * 3, RNG.uniform(0, 1, (2, 3))],
                    {"reduction": r}, (0, 1)) for r in (0, 1, 2)]
    + [(lambda: [RNG.normal(size=(2, 3)), RNG.uniform(0, 1, (3,))], {"reduction": 1}, (0, 1))],
}


def numeric_vjp(op, ins, g, attrs, slot):
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


def test_every_new_op_has_cases():
    assert set(CASES) == set(NEW_OPS)


@pytest.mark.parametrize("op_name", sorted(CASES))
def test_new_op_matches_central_differences(op_name):
    op = OPS[op_name]
    for make, attrs, slots in CASES[op_name]:
        for _ in range(4):
            ins = make()
            out = op.forward(ins, attrs)
            assert np.shape(out) == tuple(op.shape([np.shape(x) for x in ins], attrs))
            g = RNG.normal(size=np.shape(out))
            g = float(g) if np.ndim(g) == 0 else g
            contribs = op.contributions(ins, out, g, attrs)
            for slot, x in enumerate(ins):
                assert np.shape(contribs[slot]) == np.shape(x)
                if slot in slots:
                    np.testing.assert_allclose(contribs[slot], numeric_vjp(op, ins, g, attrs, slot),
                                               rtol=1e-6, atol=1e-6)


def test_known_values():
    """Hand-computed: softmax of (0, ln 3) is (1/4, 3/4); NLL of a uniform row is ln 3."""
    np.testing.assert_allclose(OPS["softmax"].forward([np.array([0.0, np.log(3.0)])], {"dim": 0}),
                               [0.25, 0.75])
    logp = np.log(np.full((2, 3), 1 / 3))
    assert OPS["nll_loss"].forward([logp, np.array([0.0, 2.0])],
                                   {"reduction": 1, "ignore_index": -100}) == pytest.approx(np.log(3))
    assert OPS["leaky_relu"].forward([-2.0], {"slope": 0.1}) == pytest.approx(-0.2)
    assert OPS["bce"].forward([np.array([0.5]), np.array([1.0])], {"reduction": 1}) == \
        pytest.approx(np.log(2))


def _graph():
    g = Graph("tensor ops")
    g.leaf("W", [[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]])
    g.leaf("t", [0.0, 2.0], role="target")
    g.op("Wt", "transpose", "W", dim0=0, dim1=1)
    g.op("r", "reshape", "Wt", shape=[2, 3])
    g.op("s", "log_softmax", "r", dim=1)
    g.op("L", "nll_loss", "s", "t", reduction=1, ignore_index=-100)
    g.output = "L"
    return g


def test_tensor_ops_step_and_round_trip_through_the_file_format():
    g = _graph()
    s = Stepper(g)
    s.run_to_end()
    text = dumps(g)
    assert '"shape": [2, 3]' in json.dumps(json.loads(text))
    g2 = loads(text)
    s2 = Stepper(g2)
    s2.run_to_end()
    np.testing.assert_array_equal(s.grad("W"), s2.grad("W"))
    assert dumps(g2) == text


def test_bad_shape_attribute_is_one_clean_error():
    from bpstudio.io import GraphFormatError
    bad = json.loads(dumps(_graph()))
    for n in bad["nodes"]:
        if n["op"] == "reshape":
            n["attrs"]["shape"] = [2, -3]
    with pytest.raises(GraphFormatError, match="whole numbers"):
        loads(json.dumps(bad))
