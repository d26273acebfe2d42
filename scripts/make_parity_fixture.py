#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes tests/data/pytorch_parity.bin: the tutorial network in PyTorch (float64), its weights,
a batch of 4 pairs, and the outputs and gradients PyTorch computes for them.

tests/test_pytorch_parity.cpp loads the same weights and inputs into siamese's SeedCnn and
compares, so the test needs no PyTorch. Run with Debian's interpreter and python3-torch:

    /usr/bin/python3 scripts/make_parity_fixture.py [OUTPUT]

File format (little-endian): b"SIAMPAR1", u32 tensor count, then per tensor: u32 name length,
the name (ASCII), u32 rank, u32 dims[rank], float32 values (row-major).
"""
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(2015)
rng = np.random.default_rng(2015)
torch.set_default_dtype(torch.float64)


class Backbone(nn.Module):
    """Conv2d(1,32,3)-ReLU-MaxPool(2)-Conv2d(32,64,3)-ReLU-MaxPool(2)-Flatten-Linear(1600,120)-ReLU-Linear(120,84)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(1600, 120)
        self.fc2 = nn.Linear(120, 84)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


backbone = Backbone()
head = nn.Linear(84, 1)
# Weights rounded to float32 first, so both sides start from exactly the stored values.
with torch.no_grad():
    for p in list(backbone.parameters()) + list(head.parameters()):
        p.copy_(p.float().double())

pairs = 4
left = torch.from_numpy(rng.integers(0, 256, size=(pairs, 1, 28, 28)).astype(np.float64))
right = torch.from_numpy(rng.integers(0, 256, size=(pairs, 1, 28, 28)).astype(np.float64))
same = torch.tensor([[0.0], [0.0], [1.0], [1.0]])

e_left = backbone(left)
e_right = backbone(right)
logits = head(torch.abs(e_left - e_right))
prob = torch.sigmoid(logits)
loss = nn.BCELoss()(prob, same)  # the tutorial's loss: BCE on sigmoid probabilities
loss.backward()

tensors = [("left", left), ("right", right), ("same", same)]
names = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
         "fc2.bias"]
params = list(backbone.parameters())
tensors += [(n, p.detach()) for n, p in zip(names, params)]
tensors += [("head.weight", head.weight.detach()), ("head.bias", head.bias.detach())]
tensors += [("e_left", e_left.detach()), ("e_right", e_right.detach()), ("logits", logits.detach()),
            ("prob", prob.detach()), ("loss", loss.detach().reshape(1))]
tensors += [("grad." + n, p.grad) for n, p in zip(names, params)]
tensors += [("grad.head.weight", head.weight.grad), ("grad.head.bias", head.bias.grad)]

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/pytorch_parity.bin"
with open(out, "wb") as f:
    f.write(b"SIAMPAR1")
    f.write(struct.pack("<I", len(tensors)))
    for name, t in tensors:
        a = np.ascontiguousarray(t.numpy(), dtype="<f4")
        f.write(struct.pack("<I", len(name)))
        f.write(name.encode("ascii"))
        f.write(struct.pack("<I", a.ndim))
        f.write(struct.pack("<%dI" % a.ndim, *a.shape))
        f.write(a.tobytes())
print(f"wrote {out}: {len(tensors)} tensors, torch {torch.__version__}, loss {loss.item():.9f}")
