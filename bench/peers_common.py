"""Shared pieces of the peer benchmarks: thread pinning (call before importing numpy/torch),
the timing loop and the `gramconv bench` runner."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def pin_threads(n):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GC_NUM_THREADS"):
        os.environ[var] = str(n)


def median_ms(fn, min_time=0.3):
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def gramconv_path(given):
    if given and os.path.isfile(given) and os.access(given, os.X_OK):
        return given
    return shutil.which("gramconv")


def gramconv_bench(gc, args):
    """Runs `gramconv bench ARGS`; returns the parsed JSON lines (empty on failure)."""
    # A peer's OpenMP workers keep spinning on the cores for up to ~200 ms after its last
    # parallel region (libgomp's spin count, Intel's KMP_BLOCKTIME); on 2 cores that halves a
    # 2-thread gramconv run that starts right after (seen: 512@14 fwd 5.6 vs 3.6 ms alone).
    time.sleep(0.5)
    r = subprocess.run([gc, "bench"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"# gramconv bench {' '.join(args)} failed: {r.stderr.strip()}", file=sys.stderr)
        return []
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


def ratio(peer_ms, gc_ms):
    return f"{peer_ms / gc_ms:6.2f}" if peer_ms and gc_ms else f"{'-':>6}"
