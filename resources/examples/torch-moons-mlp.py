"""A small nn.Sequential MLP on two moons, trained a little, then opened in bpstudio.

    python resources/examples/torch-moons-mlp.py          # trains, then opens the window
    bpstudio run resources/examples/torch-moons-mlp.py    # the same through bpstudio

bpstudio reads the loss's autograd graph (grad_fn), checks it against PyTorch's own
forward values and backward grads, and lets you step through PyTorch's backward pass in
PyTorch's own order. It must read the graph before loss.backward() frees it, so the
loss shown is computed afresh after training and never backpropagated here.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def two_moons(n: int, noise: float = 0.1, seed: int = 0):
    """n points on two interleaved half circles, labels 0 and 1 (no scikit-learn needed)."""
    g = torch.Generator().manual_seed(seed)
    half = n // 2
    a = torch.rand(half, generator=g) * math.pi
    b = torch.rand(n - half, generator=g) * math.pi
    upper = torch.stack([torch.cos(a), torch.sin(a)], dim=1)
    lower = torch.stack([1 - torch.cos(b), 0.5 - torch.sin(b)], dim=1)
    X = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=g)
    y = torch.cat([torch.zeros(half, 1), torch.ones(n - half, 1)])
    return X, y


torch.manual_seed(0)
X, y = two_moons(16)
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(150):
    opt.zero_grad()
    F.binary_cross_entropy_with_logits(model(X), y).backward()
    opt.step()

logits = model(X)
loss = F.binary_cross_entropy_with_logits(logits, y)
print(f"loss after training: {loss.item():.6f}")

if __name__ == "__main__":
    import bpstudio
    bpstudio.show(loss)
