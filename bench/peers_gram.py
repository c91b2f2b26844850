#!/usr/bin/env python3
"""Gram matrices, gramconv against its peers in the same run and thread count, float32, on the
VGG-19 feature shapes of a 512 x 512 image:

  fwd : gramconv gram  vs  torch.bmm(F, F^T) (MKL)  and  OpenBLAS ssyrk (scipy's OpenBLAS,
        SkylakeX kernels);  GFLOP/s for every tool count the needed flops C(C+1)/2 * HW * 2 * N;
  bwd : gramconv gram-backward  vs  torch autograd of G = bmm(F, F^T) / HW given dG (backward
        only, graph built once);  flops 2 * C * C * HW * N;
  loss: gramconv style-loss with gradient  vs  torch forward + MSE + backward;  flops fwd + bwd.

Usage: python3 bench/peers_gram.py [--gramconv build/gramconv] [--threads 1] [--min-time 0.3]
                                   [--rounds 1] [--passes fwd,bwd,loss]
Each figure is a median over repeated calls; with --rounds R every (shape, pass) is measured R
times, the tools interleaved, and each tool's best median is reported (this machine is shared:
single runs swing by 10-30 %).
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
ap.add_argument("--rounds", type=int, default=1)
ap.add_argument("--passes", default="fwd,bwd,loss")
ARGS = ap.parse_args()
pc.pin_threads(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.linalg import blas  # noqa: E402

torch.set_num_threads(ARGS.threads)
SHAPES = [(1, 64, 512, 512), (1, 128, 256, 256), (1, 256, 128, 128), (1, 512, 64, 64),
          (1, 512, 32, 32), (4, 256, 64, 64)]


def measure(gc, n, c, h, w, hw, f, ft, ps):
    """One round of one (shape, pass): gramconv, torch and (fwd) ssyrk medians in ms."""
    res = pc.gramconv_bench(gc, ["gram", "--shape", f"{n},{c},{h},{w}", "--pass", ps, "--dtype", "f32",
                                 "--threads", str(ARGS.threads)]) if gc else []
    gms = res[-1]["ms"] if res else None
    sms = None
    if ps == "fwd":
        with torch.no_grad():
            tms = pc.median_ms(lambda: torch.bmm(ft, ft.transpose(1, 2)), ARGS.min_time)
        sms = pc.median_ms(lambda: [blas.ssyrk(1.0, f[i].T, trans=1) for i in range(n)], ARGS.min_time)
    elif ps == "bwd":
        x = ft.clone().requires_grad_(True)
        g = torch.bmm(x, x.transpose(1, 2)) / hw
        dg = torch.randn_like(g)
        tms = pc.median_ms(lambda: torch.autograd.grad(g, x, dg, retain_graph=True), ARGS.min_time)
    else:
        target = torch.randn(n, c, c)
        x = ft.clone().requires_grad_(True)

        def step():
            gg = torch.bmm(x, x.transpose(1, 2)) / hw
            loss = torch.mean((gg - target) ** 2)
            return torch.autograd.grad(loss, x)
        tms = pc.median_ms(step, ARGS.min_time)
    return gms, tms, sms


def main():
    gc = pc.gramconv_path(ARGS.gramconv)
    print(f"# gram, float32, threads={ARGS.threads}, torch {torch.__version__} (MKL), "
          f"scipy OpenBLAS ssyrk; ratio = peer ms / gramconv ms; best of {max(1, ARGS.rounds)} round(s)")
    hdr = (f"{'shape':<18} {'pass':<5} {'gramconv ms':>11} {'GF/s':>7} {'%peak':>6} | {'torch ms':>9} {'ratio':>6}"
           f" | {'ssyrk ms':>9} {'ratio':>6}")
    print(hdr)
    print("-" * len(hdr))
    # this machine's measured float32 FMA throughput at this thread count (`gramconv bench peak`)
    pk = pc.gramconv_bench(gc, ["peak", "--threads", str(ARGS.threads)]) if gc else []
    peak = pk[-1]["gflops"] if pk else float("nan")
    print(f"# measured float32 FMA peak: {peak:.1f} GFLOP/s ({ARGS.threads} thread(s))")
    rng = np.random.default_rng(0)
    for n, c, h, w in SHAPES:
        hw = h * w
        f = rng.standard_normal((n, c, hw)).astype(np.float32)
        ft = torch.from_numpy(f)
        flops = {"fwd": c * (c + 1) / 2 * hw * 2 * n, "bwd": 2.0 * c * c * hw * n}
        flops["loss"] = flops["fwd"] + flops["bwd"]
        for ps in ARGS.passes.split(","):
            gms = tms = sms = None
            for _ in range(max(1, ARGS.rounds)):
                g1, t1, s1 = measure(gc, n, c, h, w, hw, f, ft, ps)
                gms = g1 if gms is None or (g1 is not None and g1 < gms) else gms
                tms = t1 if tms is None or t1 < tms else tms
                sms = s1 if sms is None or (s1 is not None and s1 < sms) else sms
            gf = flops[ps] / (gms * 1e6) if gms else 0
            scell = f"{sms:9.3f} {pc.ratio(sms, gms)}" if sms else f"{'-':>9} {'-':>6}"
            gcell = f"{gms:11.3f} {gf:7.1f} {100 * gf / peak:6.1f}" if gms else f"{'-':>11} {'-':>7} {'-':>6}"
            print(f"{f'{n}x{c}x{h}x{w}':<18} {ps:<5} {gcell} | {tms:9.3f} {pc.ratio(tms, gms)} | {scell}",
                  flush=True)


if __name__ == "__main__":
    main()
