#!/usr/bin/env python3
"""bench/peers_fft.py - xcorr2 on 1024 x 1024 float32 with large kernels, mode V: gramconv
(--method auto, direct, fft) against scipy.signal.correlate(method='auto') and a plain FFTW
r2c/c2r correlation (bench/fftw_peer.c, FFTW_MEASURE plans, compiled here), all in one run
on the same thread count (1 by default: SciPy's correlate and the peer are single-threaded).

  python3 bench/peers_fft.py [--gramconv build/gramconv] [--threads 1] [--rounds 3]
                             [--kernels 15,31,63] [--auto-kernels 3..63] [--skip-auto]

The machine is shared: every figure is the best of --rounds rounds, the rounds interleave the
contenders, and the ratios compare figures from the same run. Then the auto check: for kernels
3, 5, ..., 63 the time of --method auto against the better of direct and fft (target: never
more than 10% slower), and the measured crossover (the smallest kernel where fft beats direct).
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers_common import gramconv_bench, gramconv_path, median_ms, pin_threads  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gramconv", default="build/gramconv")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--kernels", default="15,31,63")
    ap.add_argument("--auto-kernels", default="3..63")
    ap.add_argument("--skip-auto", action="store_true")
    return ap.parse_args()


def build_peer(tmp):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fftw_peer.c")
    exe = os.path.join(tmp, "fftw_peer")
    r = subprocess.run(["cc", "-O2", src, "-lfftw3f", "-lm", "-o", exe], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"# cannot build the FFTW peer (libfftw3-dev?): {r.stderr.strip()}", file=sys.stderr)
        return None
    return exe


def peer_ms(exe, n, k):
    r = subprocess.run([exe, str(n), str(k), "5"], capture_output=True, text=True)
    return float(r.stdout.split()[1]) if r.returncode == 0 else None


def gc_ms(gc, n, k, method, threads):
    lines = gramconv_bench(gc, ["xcorr2", "--input", f"{n},{n}", "--kernel", f"{k},{k}",
                                "--method", method, "--threads", str(threads), "--repeat", "5"])
    return (lines[0]["ms"], lines[0]["method"]) if lines else (None, None)


def best(a, b):
    return b if a is None or (b is not None and b < a) else a


def main():
    args = parse_args()
    pin_threads(args.threads)
    import numpy as np
    import scipy
    from scipy import signal

    gc = gramconv_path(args.gramconv)
    if not gc:
        sys.exit("gramconv not found (--gramconv PATH)")
    n = args.size
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    kernels = [int(v) for v in args.kernels.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        peer = build_peer(tmp)
        res = {k: {} for k in kernels}
        for _ in range(args.rounds):
            for k in kernels:
                kk = rng.uniform(-1, 1, (k, k)).astype(np.float32)
                r = res[k]
                for m in ("auto", "direct", "fft"):
                    ms, ran = gc_ms(gc, n, k, m, args.threads)
                    r[m] = best(r.get(m), ms)
                    if m == "auto":
                        r["auto_ran"] = ran
                r["scipy"] = best(r.get("scipy"), median_ms(
                    lambda: signal.correlate(x, kk, mode="valid", method="auto"), 0.2))
                r["scipy_method"] = signal.choose_conv_method(x, kk, mode="valid")
                if peer:
                    r["fftw"] = best(r.get("fftw"), peer_ms(peer, n, k))
        print(f"# xcorr2 {n}x{n} float32, mode V, threads {args.threads}, best of {args.rounds} rounds "
              f"(ms; ratio = peer / gramconv auto); scipy {scipy.__version__}")
        print("| kernel | gramconv auto (ran) | direct | fft | scipy auto (chose) | plain FFTW | "
              "scipy / gc | FFTW / gc |")
        print("|---|---|---|---|---|---|---|---|")
        for k in kernels:
            r = res[k]
            g = r["auto"]
            fftw = r.get("fftw")
            print(f"| {k}x{k} | {g:.2f} ({r['auto_ran']}) | {r['direct']:.2f} | {r['fft']:.2f} | "
                  f"{r['scipy']:.2f} ({r['scipy_method']}) | {fftw:.2f} | {r['scipy'] / g:.2f} | "
                  f"{fftw / g:.2f} |" if fftw else "")
        sys.stdout.flush()

    if args.skip_auto:
        return
    lo, hi = (int(v) for v in args.auto_kernels.split(".."))
    ks = list(range(lo, hi + 1, 2))
    res = {k: {} for k in ks}
    for _ in range(args.rounds):
        for k in ks:
            for m in ("auto", "direct", "fft"):
                ms, ran = gc_ms(gc, n, k, m, args.threads)
                res[k][m] = best(res[k].get(m), ms)
                if m == "auto":
                    res[k]["ran"] = ran
    print(f"\n# auto check, {n}x{n} float32, mode V, threads {args.threads}, best of {args.rounds}")
    print("| kernel | direct | fft | auto (ran) | auto / better | choice / better |")
    print("|---|---|---|---|---|---|")
    worst, worst_choice, crossover = 0.0, 0.0, None
    for k in ks:
        r = res[k]
        better = min(r["direct"], r["fft"])
        chosen = r[r["ran"]]  # the chosen method's own (forced) time, from the same rounds
        worst = max(worst, r["auto"] / better)
        worst_choice = max(worst_choice, chosen / better)
        if crossover is None and r["fft"] < r["direct"]:
            crossover = k
        print(f"| {k} | {r['direct']:.2f} | {r['fft']:.2f} | {r['auto']:.2f} ({r['ran']}) | "
              f"{r['auto'] / better:.2f} | {chosen / better:.2f} |")
    print(f"# worst auto / better: {worst:.3f} (timed; auto runs the chosen method's code, so the "
          f"spread is timing noise plus the data scan); worst choice / better: {worst_choice:.3f}; "
          f"measured crossover: fft faster from k = {crossover}")


if __name__ == "__main__":
    main()
