#!/usr/bin/env python3
"""SpatialConvolution (conv2d), gramconv against its peers in the same run and thread count,
float32, N = 1: the VGG-19 3x3 layers at 224 x 224 plus a 1x1 and a 5x5 layer.

  fwd : gramconv bench conv  vs  torch.nn.functional.conv2d (oneDNN)  and  im2col (numpy) +
        OpenBLAS sgemm (scipy's OpenBLAS), the Torch7 / Caffe approach;
  bwd : gramconv backward_input + backward_weight  vs  torch autograd of the same conv
        (backward only, graph built once).
GFLOP/s count 2 * O * OH * OW * C * KH * KW per pass for every tool.

Usage: python3 bench/peers_conv.py [--gramconv build/gramconv] [--threads 1] [--min-time 0.3]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers_common as pc  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--gramconv", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "gramconv"))
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--min-time", type=float, default=0.3)
ARGS = ap.parse_args()
pc.pin_threads(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy.linalg import blas  # noqa: E402

torch.set_num_threads(ARGS.threads)
# (C, O, H=W, K, pad)
LAYERS = [(3, 64, 224, 3, 1), (64, 64, 224, 3, 1), (128, 128, 112, 3, 1), (256, 256, 56, 3, 1),
          (512, 512, 28, 3, 1), (512, 512, 14, 3, 1), (256, 256, 56, 1, 0), (64, 64, 56, 5, 2)]


def im2col_sgemm(x, w, k, pad):
    c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))  # c, oh, ow, k, k
    oh, ow = win.shape[1], win.shape[2]
    cols = np.ascontiguousarray(win.transpose(0, 3, 4, 1, 2).reshape(c * k * k, oh * ow))
    return blas.sgemm(1.0, w.reshape(w.shape[0], -1), cols)


def main():
    gc = pc.gramconv_path(ARGS.gramconv)
    print(f"# conv2d, float32, N=1, threads={ARGS.threads}, torch {torch.__version__} (oneDNN); "
          f"ratio = peer ms / gramconv ms")
    hdr = (f"{'layer':<22} {'pass':<4} {'gramconv ms':>11} {'GF/s':>7} | {'torch ms':>9} {'ratio':>6}"
           f" | {'im2col+sgemm':>12} {'ratio':>6}")
    print(hdr)
    print("-" * len(hdr))
    rng = np.random.default_rng(0)
    for c, o, s, k, pad in LAYERS:
        x = rng.standard_normal((1, c, s, s)).astype(np.float32)
        w = rng.standard_normal((o, c, k, k)).astype(np.float32)
        oh = s + 2 * pad - k + 1
        flops = 2.0 * o * oh * oh * c * k * k
        name = f"{c}->{o} {k}x{k} @{s}"
        common = ["conv", "--input", f"1,{c},{s},{s}", "--weight", f"{o},{c},{k},{k}", "--pad", str(pad),
                  "--dtype", "f32", "--threads", str(ARGS.threads)]
        ms = {}
        for ps in ("fwd", "bwd_input", "bwd_weight"):
            res = pc.gramconv_bench(gc, common + ["--pass", ps]) if gc else []
            ms[ps] = res[-1]["ms"] if res else None
        xt, wt = torch.from_numpy(x), torch.from_numpy(w)
        with torch.no_grad():
            tf = pc.median_ms(lambda: F.conv2d(xt, wt, padding=pad), ARGS.min_time)
        sg = pc.median_ms(lambda: im2col_sgemm(x[0], w, k, pad), ARGS.min_time)
        xr, wr = xt.clone().requires_grad_(True), wt.clone().requires_grad_(True)
        y = F.conv2d(xr, wr, padding=pad)
        gy = torch.randn_like(y)
        tb = pc.median_ms(lambda: torch.autograd.grad(y, (xr, wr), gy, retain_graph=True), ARGS.min_time)
        gf = ms["fwd"]
        print(f"{name:<22} {'fwd':<4} {gf:11.3f} {flops / (gf * 1e6):7.1f} | {tf:9.3f} {pc.ratio(tf, gf)} | "
              f"{sg:12.3f} {pc.ratio(sg, gf)}" if gf else f"{name:<22} fwd  -", flush=True)
        if ms["bwd_input"] and ms["bwd_weight"]:
            gb = ms["bwd_input"] + ms["bwd_weight"]
            print(f"{name:<22} {'bwd':<4} {gb:11.3f} {2 * flops / (gb * 1e6):7.1f} | {tb:9.3f} {pc.ratio(tb, gb)} | "
                  f"{'-':>12} {'-':>6}", flush=True)


if __name__ == "__main__":
    main()
