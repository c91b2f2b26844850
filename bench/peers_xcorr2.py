#!/usr/bin/env python3
"""Times gramconv's xcorr2 against its peers on the same cases, in the same run, with the same
thread count:

  * torch.nn.functional.conv2d on a 1x1x1024x1024 float32 tensor, kernels 3, 5, 7
    (valid: padding 0; full: padding k-1), and the multi-plane case 64 -> 64 planes, 3x3, 56x56;
  * scipy.signal.correlate2d(mode='valid' / 'full') on the single-plane cases;
  * `gramconv bench xcorr2 ...` for every case (its JSON line gives the median ms).

Prints a table with ms (median), GFLOP/s (2 * output elements * kernel size * planes summed, the
same count for every tool) and the speed-up of gramconv over each peer (peer ms / gramconv ms).
A peer that is not installed is skipped. Usage:

  python3 bench/peers_xcorr2.py [--gramconv build/gramconv] [--threads 1] [--min-time 0.3]
                                [--kernels 3,5,7] [--json out.jsonl]

--kernels 3,5,7,9,11,15 adds the tall kernels, whose 1024-wide float32 rows (4 KiB apart) the
direct kernel streams in bands of <= 8 kernel rows (gramconv's auto method takes direct up to
k = 15 in V at this size, FFT from 17; always direct in F).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    default_gc = os.path.join(os.path.dirname(here), "build", "gramconv")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gramconv", default=os.environ.get("GRAMCONV", default_gc),
                   help="path to the gramconv CLI (default: build/gramconv or $GRAMCONV)")
    p.add_argument("--threads", type=int, default=1, help="threads for every tool (default 1)")
    p.add_argument("--min-time", type=float, default=0.3,
                   help="seconds of timed runs per case and tool (at least 5 runs)")
    p.add_argument("--size", type=int, default=1024, help="single-plane input size (default 1024)")
    p.add_argument("--kernels", default="3,5,7",
                   help="single-plane kernel sizes, comma-separated (default 3,5,7)")
    p.add_argument("--json", help="also write one JSON object per measurement to this file")
    return p.parse_args()


ARGS = parse_args()
# Thread counts must be fixed before numpy / torch load their thread pools.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GC_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
    torch.set_num_threads(ARGS.threads)
except Exception as e:  # ImportError, or a broken install
    torch = None
    print(f"# torch not available ({type(e).__name__}: {e}); skipping it", file=sys.stderr)
try:
    from scipy import signal  # noqa: E402
except Exception as e:
    signal = None
    print(f"# scipy not available ({type(e).__name__}: {e}); skipping it", file=sys.stderr)


def median_ms(fn, min_time):
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
        if len(times) >= 100000:
            break
    return statistics.median(times), len(times)


def flops(case):
    """2 * output elements * kernel spatial size * planes summed, as `gramconv bench` counts."""
    (p, h, w), (q, kp, kh, kw), mode = case["input"], case["kernel"], case["mode"]
    oh, ow = (h - kh + 1, w - kw + 1) if mode == "V" else (h + kh - 1, w + kw - 1)
    return 2.0 * q * oh * ow * kh * kw * p


def gramconv_ms(case):
    gc = ARGS.gramconv
    if not (os.path.isfile(gc) and os.access(gc, os.X_OK)):
        gc = shutil.which("gramconv")
    if not gc:
        return None
    (p, h, w), (q, kp, kh, kw) = case["input"], case["kernel"]
    if p == 1 and q == 1:
        inp, ker = f"{h},{w}", f"{kh},{kw}"
    else:
        inp, ker = f"{p},{h},{w}", f"{q},{kp},{kh},{kw}"
    cmd = [gc, "bench", "xcorr2", "--input", inp, "--kernel", ker, "--mode", case["mode"],
           "--dtype", "f32", "--threads", str(ARGS.threads)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"# gramconv failed: {' '.join(cmd)}: {r.stderr.strip()}", file=sys.stderr)
        return None
    line = json.loads(r.stdout.strip().splitlines()[-1])
    return line["ms"], line["repeats"], line.get("isa", "?")


def torch_ms(case, x, k):
    if torch is None:
        return None
    (p, h, w), (q, kp, kh, kw), mode = case["input"], case["kernel"], case["mode"]
    xt = torch.from_numpy(x.reshape(1, p, h, w))
    kt = torch.from_numpy(k.reshape(q, kp, kh, kw))
    pad = (0, 0) if mode == "V" else (kh - 1, kw - 1)
    with torch.no_grad():
        return median_ms(lambda: F.conv2d(xt, kt, padding=pad), ARGS.min_time)


def scipy_ms(case, x, k):
    (p, h, w), (q, kp, kh, kw), mode = case["input"], case["kernel"], case["mode"]
    if signal is None or p != 1 or q != 1:
        return None
    x2, k2 = x.reshape(h, w), k.reshape(kh, kw)
    smode = "valid" if mode == "V" else "full"
    return median_ms(lambda: signal.correlate2d(x2, k2, mode=smode), ARGS.min_time)


def main():
    n = ARGS.size
    cases = []
    for mode in ("V", "F"):
        for kk in (int(v) for v in ARGS.kernels.split(",")):
            cases.append({"name": f"{n}x{n} k{kk} {mode}", "input": (1, n, n),
                          "kernel": (1, 1, kk, kk), "mode": mode})
    cases.append({"name": "64x56x56 * 64x64x3x3 V", "input": (64, 56, 56),
                  "kernel": (64, 64, 3, 3), "mode": "V"})

    rng = np.random.default_rng(0)
    jsonf = open(ARGS.json, "a") if ARGS.json else None
    versions = [f"numpy {np.__version__}"]
    if torch is not None:
        versions.append(f"torch {torch.__version__}")
    if signal is not None:
        import scipy
        versions.append(f"scipy {scipy.__version__}")
    print(f"# threads={ARGS.threads}  {'  '.join(versions)}  gramconv={ARGS.gramconv}")
    hdr = (f"{'case':<24} {'gramconv ms':>11} {'GF/s':>7} {'isa':>7} | {'torch ms':>9} {'GF/s':>7} "
           f"{'x faster':>8} | {'scipy ms':>9} {'GF/s':>7} {'x faster':>8}")
    print(hdr)
    print("-" * len(hdr))

    def cell(res, fl, base):
        if res is None:
            return f"{'-':>9} {'-':>7} {'-':>8}"
        ms = res[0]
        ratio = f"{ms / base:8.1f}" if base else f"{'-':>8}"
        return f"{ms:9.3f} {fl / (ms * 1e6):7.2f} {ratio}"

    for case in cases:
        (p, h, w), (q, kp, kh, kw) = case["input"], case["kernel"]
        x = rng.standard_normal((p, h, w)).astype(np.float32)
        k = rng.standard_normal((q, kp, kh, kw)).astype(np.float32)
        fl = flops(case)
        g = gramconv_ms(case)
        t = torch_ms(case, x, k)
        s = scipy_ms(case, x, k)
        gms = g[0] if g else None
        gcell = (f"{gms:11.3f} {fl / (gms * 1e6):7.2f} {g[2]:>7}" if g
                 else f"{'-':>11} {'-':>7} {'-':>7}")
        print(f"{case['name']:<24} {gcell} | {cell(t, fl, gms)} | {cell(s, fl, gms)}", flush=True)
        if jsonf:
            for tool, res in (("gramconv", g), ("torch", t), ("scipy", s)):
                if res is not None:
                    jsonf.write(json.dumps({"case": case["name"], "tool": tool,
                                            "threads": ARGS.threads, "ms": res[0],
                                            "gflops": fl / (res[0] * 1e6),
                                            "repeats": res[1]}) + "\n")
    if jsonf:
        jsonf.close()
    print("# x faster = peer ms / gramconv ms (median of timed runs after a warm-up); "
          "scipy.signal.correlate2d is single-threaded at any thread count")


if __name__ == "__main__":
    main()
