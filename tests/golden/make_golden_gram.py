#!/usr/bin/env python3
"""Writes the numpy golden files for the seed's batched Gram formula, used by tests/test_gram.c.

Run from the repository root: python3 tests/golden/make_golden_gram.py (needs numpy only).
  gram_seed_in.npy   N x C x H x W float32 input
  gram_seed_out.npy  float64: the seed's bmm form, F.view(N, C, H*W) @ its transpose / H / W
  gram_seed_cov.npy  float64: centred rows, divided by C*H*W, times 3
"""
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2025)
N, C, H, W = 3, 5, 7, 9
x = rng.uniform(-1.0, 1.0, size=(N, C, H, W)).astype(np.float32)
np.save(os.path.join(here, "gram_seed_in.npy"), x)
f = x.astype(np.float64).reshape(N, C, H * W)
g = np.matmul(f, f.transpose(0, 2, 1)) / H / W
np.save(os.path.join(here, "gram_seed_out.npy"), g)
fc = f - f.mean(axis=2, keepdims=True)
cov = np.matmul(fc, fc.transpose(0, 2, 1)) / (C * H * W) * 3.0
np.save(os.path.join(here, "gram_seed_cov.npy"), cov)
