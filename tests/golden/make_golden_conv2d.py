#!/usr/bin/env python3
"""Writes PyTorch golden files for tests/test_conv2d.c: conv2d forward and gradients with
dilation, groups, strides and every padding mode (float64).

Run from the repository root: python3 tests/golden/make_golden_conv2d.py (needs torch)."""
import os
import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)
cases = [
    # name, N, C, H, W, O, groups, KH, KW, stride, pad, dilation, padding_mode
    ("dil", 2, 3, 9, 11, 4, 1, 3, 2, (1, 1), (2, 1), (2, 3), "zeros"),
    ("grp", 1, 4, 8, 7, 6, 2, 3, 3, (2, 1), (1, 2), (1, 1), "zeros"),
    ("reflect", 2, 2, 7, 9, 3, 1, 3, 3, (1, 1), (2, 1), (1, 1), "reflect"),
    ("replicate", 1, 3, 6, 5, 2, 1, 4, 3, (1, 2), (2, 2), (1, 1), "replicate"),
    ("circular", 1, 2, 6, 8, 2, 2, 3, 5, (1, 1), (1, 2), (1, 1), "circular"),
]
for name, N, C, H, W, O, G, KH, KW, stride, pad, dil, mode in cases:
    x = torch.randn(N, C, H, W, dtype=torch.float64, requires_grad=True)
    w = torch.randn(O, C // G, KH, KW, dtype=torch.float64, requires_grad=True)
    b = torch.randn(O, dtype=torch.float64, requires_grad=True)
    if mode == "zeros":
        y = F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=G)
    else:
        xp = F.pad(x, (pad[1], pad[1], pad[0], pad[0]), mode=mode)
        y = F.conv2d(xp, w, b, stride=stride, dilation=dil, groups=G)
    gy = torch.randn_like(y)
    y.backward(gy)
    for key, t in [("x", x), ("w", w), ("b", b), ("y", y), ("gy", gy), ("gx", x.grad), ("gw", w.grad), ("gb", b.grad)]:
        np.save(os.path.join(here, f"conv2d_{name}_{key}.npy"), t.detach().numpy())
