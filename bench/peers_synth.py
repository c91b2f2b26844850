#!/usr/bin/env python3
"""Texture synthesis, one iteration (forward + backward + Gram losses + optimiser step), gramconv
against the same network written in PyTorch, same thread count, float32.

The network is the one `gramconv bench synth` names in its JSON line ("scales", "filters",
"size"): one convolution layer per filter size k (filters x 3 x k x k, circular padding k/2,
no bias), ReLU, the Gram matrix F F^T / (H W) and the loss mean((G - T)^2) / mean(T^2) / n per
scale; then one L-BFGS step (torch.optim.LBFGS, history 10, lr 1, max_iter 1: one evaluation
and one update per step, as gramconv's iteration). gramconv's time per iteration is measured by
`gramconv bench synth` (difference of runs of iters+1 and 1 iterations).

Usage: python3 bench/peers_synth.py [--gramconv build/gramconv] [--threads 1] [--size 256,256]
                                    [--layers 3,5,7,11,15,23] [--filters 32]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers_common as pc  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--gramconv", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "gramconv"))
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--size", default="256,256")
ap.add_argument("--layers", default=None)
ap.add_argument("--filters", type=int, default=None)
ap.add_argument("--min-time", type=float, default=2.0)
ARGS = ap.parse_args()
pc.pin_threads(ARGS.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(ARGS.threads)


def main():
    gc = pc.gramconv_path(ARGS.gramconv)
    args = ["synth", "--size", ARGS.size, "--threads", str(ARGS.threads)]
    if ARGS.layers:
        args += ["--layers", ARGS.layers]
    if ARGS.filters:
        args += ["--filters", str(ARGS.filters)]
    res = pc.gramconv_bench(gc, args)
    if not res:
        sys.exit(1)
    r = res[0]
    scales, filters, (w, h) = r["scales"], r["filters"], r["size"]
    g = torch.Generator().manual_seed(0)
    weights = [(torch.rand(filters, 3, k, k, generator=g) * 2 - 1) / k for k in scales]
    sample = torch.rand(1, 3, h, w, generator=g)

    def grams(x, pad):
        out = []
        for k, wt in zip(scales, weights):
            xin = F.pad(x, (k // 2,) * 4, mode="circular") if pad else x
            f = F.relu(F.conv2d(xin, wt)).flatten(2)[0]
            out.append(f @ f.t() / f.shape[1])
        return out

    with torch.no_grad():
        targets = grams(sample, False)
    norms = [t.pow(2).mean() for t in targets]
    x = torch.rand(1, 3, h, w, generator=g).requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=1, history_size=10)

    def closure():
        opt.zero_grad()
        loss = sum(((gm - t) ** 2).mean() / n for gm, t, n in zip(grams(x, True), targets, norms)) / len(scales)
        loss.backward()
        return loss

    torch_ms = pc.median_ms(lambda: opt.step(closure), ARGS.min_time)
    print(f"# texture synthesis iteration, float32, threads={ARGS.threads}, torch {torch.__version__}; "
          f"scales {scales}, {filters} filters each, {w} x {h}")
    print(f"gramconv {r['ms']:.1f} ms/iter ({r['gflops']:.1f} GF/s)  torch {torch_ms:.1f} ms/iter  "
          f"ratio (torch / gramconv) {torch_ms / r['ms']:.2f}")


if __name__ == "__main__":
    main()
