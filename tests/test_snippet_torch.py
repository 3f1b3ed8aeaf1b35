"""PyTorch code read by the safe reader (never imported there), checked against torch itself."""
from __future__ import annotations

import numpy as np
import pytest

from bpstudio.engine import Stepper
from bpstudio.engine.ops import OPS
from bpstudio.io.snippet import SnippetError, parse_snippet

TENSOR_OPS = {"transpose", "sum_dim", "mean_dim", "softmax", "log_softmax", "leaky_relu", "bce",
              "bce_logits"}
CODE = """\
import torch
import torch.nn.functional as F
X = torch.tensor([[3., 1.], [-1., 4.]])
T = torch.tensor([[1., 0.], [0., 1.]])
W = torch.tensor([[6., -3.], [-2., 5.]], requires_grad=True)
V = torch.tensor([[1., -2.], [0.25, 2.]], requires_grad=True)
H = torch.sigmoid(X @ W)
Y = torch.sigmoid(H @ V.T.T)
Z = Y.transpose(0, 1).t()
s = torch.softmax(Z, dim=1) + F.log_softmax(Z, dim=-1) + F.leaky_relu(Z - 0.5, negative_slope=0.1)
r = s.sum(dim=1, keepdim=True).mean(0) + s.mean(dim=0).sum()
loss = ((Y - T) ** 2).sum(1).mean() + F.binary_cross_entropy(Y, T) \\
    + F.binary_cross_entropy_with_logits(Z, T, reduction='sum') + r.sum()
loss.backward()
"""


@pytest.mark.skipif(not TENSOR_OPS <= set(OPS), reason="the tensor ops have not landed")
def test_tensor_vocabulary_matches_torch_float64():
    torch = pytest.importorskip("torch")
    g = parse_snippet(CODE)
    s = Stepper(g)
    s.run_to_end()
    F = torch.nn.functional
    f64 = dict(dtype=torch.float64)
    X = torch.tensor([[3., 1.], [-1., 4.]], **f64)
    T = torch.tensor([[1., 0.], [0., 1.]], **f64)
    W = torch.tensor([[6., -3.], [-2., 5.]], requires_grad=True, **f64)
    V = torch.tensor([[1., -2.], [0.25, 2.]], requires_grad=True, **f64)
    H = torch.sigmoid(X @ W)
    Y = torch.sigmoid(H @ V.T.T)
    Z = Y.transpose(0, 1).t()
    s_ = torch.softmax(Z, dim=1) + F.log_softmax(Z, dim=-1) + F.leaky_relu(Z - 0.5, 0.1)
    r = s_.sum(dim=1, keepdim=True).mean(0) + s_.mean(dim=0).sum()
    loss = ((Y - T) ** 2).sum(1).mean() + F.binary_cross_entropy(Y, T) \
        + F.binary_cross_entropy_with_logits(Z, T, reduction="sum") + r.sum()
    loss.backward()
    env = {"loss": loss, "W": W, "V": V}
    assert s.value("loss") == pytest.approx(env["loss"].item(), abs=1e-13)
    for name in ("W", "V"):
        assert np.allclose(s.grad(name), env[name].grad.numpy(), rtol=0, atol=1e-13), name


def test_missing_or_bad_tensor_calls_are_one_line_errors():
    for src, fragment in [
        ("import torch\nx = torch.tensor([[1., 2.]])\ny = x.sum(dim=0.5)\n", "whole number"),
        ("import torch\nx = torch.tensor([1., 2.])\ny = x.softmax()\n", "needs dim="),
        ("import torch\nx = torch.tensor([[1., 2.], [3.]])\n", "not a rectangular array"),
        ("import torch\nx = torch.tensor(1., requires_grad=yes)\n", "requires_grad= must be"),
        ("import torch\nx = torch.tensor([1.])\ny = torch.nn.functional.mse_loss(x, x, "
         "reduction='none')\n", "reduction='mean' or 'sum'"),
        ("import torch\nx = torch.tensor([1.])\ny = torch.cosh(x)\n", "unsupported call"),
    ]:
        with pytest.raises(SnippetError, match=fragment) as info:
            parse_snippet(src, "t.py")
        assert "\n" not in str(info.value)


def test_vectors_and_numbers_transpose_to_themselves():
    g = parse_snippet("import torch\nv = torch.tensor([1., 2.], requires_grad=True)\n"
                      "y = (v.T * v.t()).sum()\n")
    s = Stepper(g)
    s.run_to_end()
    assert s.value("y") == 5.0 and s.grad("v").tolist() == [2.0, 4.0]
