#!/usr/bin/env python3
"""The short PyTorch texture recipe gramconv's synthesis is measured against (bench/quality.py).

  filters   randn(32, 3, k, k) / sqrt(3 k k) for k in 3, 5, 7, 11, 15, 23
            (--filters gramconv: gramconv's own random filters, drawn by the same generator,
            so that a table can compare the two optimisations on one network)
  forward   valid conv2d of (image - sample mean), ReLU, Gram / (H W), per filter size
  loss      sum over sizes of mean((G - T)^2) / mean(T^2)
  start     the sample's mean plus uniform noise of width 0.2
  optimiser torch.optim.LBFGS(lr=1, max_iter=ITERS, history_size=10), no line search

Usage: python3 bench/texture_recipe.py SAMPLE.png OUT.png [--size W,H] [--iters 200] [--seed 0]
                                      [--threads N] [--filters recipe|gramconv]
Prints one JSON line: {"iters", "evals", "seconds", "loss0", "loss"}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textures  # noqa: E402

SIZES = [3, 5, 7, 11, 15, 23]
FILTERS = 32


def splitmix_uniform(seed, count, start=0):
    """gramconv's generator (src/synth.h): draw i (1-based) mixes seed + i * gamma; [0, 1)."""
    i = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def gramconv_filters(seed=0, channels=3):
    """gramconv's default random net: uniform in [-1, 1) * sqrt(3 / (C k k)), one draw per
    weight in (filter, channel, row, column) order, the stream continuing across sizes."""
    out, used = [], 0
    for k in SIZES:
        per = channels * k * k
        u = splitmix_uniform(seed, FILTERS * per, used)
        used += FILTERS * per
        out.append((2.0 * u - 1.0).reshape(FILTERS, channels, k, k) * np.sqrt(3.0 / per))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sample")
    ap.add_argument("output")
    ap.add_argument("--size", default=None)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--filters", choices=["recipe", "gramconv"], default="recipe")
    a = ap.parse_args()
    import torch
    import torch.nn.functional as F
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    s = textures.read_png(a.sample)
    if s.ndim == 2 or s.shape[2] == 1:
        s = np.repeat(s.reshape(s.shape[0], s.shape[1], 1), 3, axis=2)
    sample = torch.tensor(s.transpose(2, 0, 1)[None], dtype=torch.float32)
    if a.size:
        w, h = (int(v) for v in a.size.split(","))
    else:
        h, w = s.shape[:2]
    if a.filters == "recipe":
        weights = [torch.randn(FILTERS, 3, k, k) / np.sqrt(3 * k * k) for k in SIZES]
    else:
        weights = [torch.tensor(f, dtype=torch.float32) for f in gramconv_filters(a.seed)]
    mean = sample.mean(dim=(2, 3), keepdim=True)

    def grams(x):
        out = []
        for wt in weights:
            f = F.relu(F.conv2d(x - mean, wt)).flatten(2)[0]
            out.append(f @ f.t() / f.shape[1])
        return out

    with torch.no_grad():
        targets = grams(sample)
    norms = [t.pow(2).mean() for t in targets]
    x = (mean + (torch.rand(1, 3, h, w) - 0.5) * 0.2).requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=a.iters, history_size=10)
    evals = [0]
    losses = []

    def closure():
        opt.zero_grad()
        loss = sum(((g - t) ** 2).mean() / n for g, t, n in zip(grams(x), targets, norms))
        loss.backward()
        evals[0] += 1
        losses.append(float(loss))
        return loss

    t0 = time.time()
    opt.step(closure)
    secs = time.time() - t0
    img = x.detach()[0].numpy().transpose(1, 2, 0)
    textures.write_png(a.output, np.clip(img, 0.0, 1.0))
    print(json.dumps({"iters": opt.state[opt._params[0]]["n_iter"], "evals": evals[0],
                      "seconds": round(secs, 2), "loss0": losses[0], "loss": losses[-1]}))


if __name__ == "__main__":
    main()
