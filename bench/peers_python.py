#!/usr/bin/env python3
"""gramconv through Python against its peers, side by side in one run, at 1 thread:

  gram_fwd   : gramconv.gram(x) on float32 (256, 128, 128)  vs  torch.bmm(F, F^T) (F the
               1 x 256 x 16384 view; the division by H*W left out, in torch's favour)  and
               NumPy's F @ F.T (OpenBLAS; NumPy runs it as a syrk; unnormalised likewise);
  gram_fwdbwd: gramconv.torch.gram forward + backward  vs  PyTorch autograd of the bmm Gram
               (G = bmm(F, F^T) / HW, G.backward(dG));
  overhead   : one gramconv.xcorr2 of 2 x 2 float64 arrays (the seed's example), microseconds
               per call, everything included (conversion, checks, output array, the C call).

Every figure is the median of one measurement's repeated calls, as wall time and as the
calling thread's CPU time (time.thread_time: at 1 thread every tool computes on the calling
thread, so this leaves out the time spent waiting for a core on a shared machine); the tools
are interleaved within each round, and the report takes each tool's median over --rounds
rounds. Prints one JSON object per line: the peers (versions, BLAS, load average), the
measurements, then the ratios with their targets ({"ratio": ..., "speedup_cpu": peer /
gramconv by CPU time, "speedup_wall": the same by wall time, "target": .., "pass": ..}).

Usage: python3 bench/peers_python.py [--rounds 5] [--min-time 0.3]
Run it against a build with GRAMCONV_LIBRARY=build/libgramconv.so PYTHONPATH=python, or with
the package installed. Peers are pinned to 1 thread (OMP/MKL/OPENBLAS_NUM_THREADS=1,
torch.set_num_threads(1)) and gramconv.set_num_threads(1).
"""
import argparse
import json
import os
import statistics
import sys
import time

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GC_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

import gramconv  # noqa: E402

try:
    import torch  # noqa: E402
    import gramconv.torch as gct  # noqa: E402
except ImportError:  # pragma: no cover - torch is optional
    torch = None

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--min-time", type=float, default=0.3, help="seconds per measurement")
ap.add_argument("--shape", default="256,128,128", help="C,H,W of the Gram cases")
ARGS = ap.parse_args()

gramconv.set_num_threads(1)
if torch is not None:
    torch.set_num_threads(1)


def median_ms(fn, min_time):
    """(wall, cpu): medians over repeated calls in ms; cpu is the calling thread's CPU time
    (time.thread_time), which leaves out the time the thread waited for a core on a shared
    machine. Every tool here computes on the calling thread at 1 thread."""
    fn()
    wall, cpu = [], []
    start = time.perf_counter()
    while len(wall) < 5 or time.perf_counter() - start < min_time:
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.thread_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def per_call_us(fn, min_time, batch=2000):
    """(wall, cpu): medians over batches of the mean time per call, in microseconds."""
    fn()
    wall, cpu = [], []
    start = time.perf_counter()
    while len(wall) < 5 or time.perf_counter() - start < min_time:
        c0, t0 = time.thread_time(), time.perf_counter()
        for _ in range(batch):
            fn()
        wall.append((time.perf_counter() - t0) / batch * 1e6)
        cpu.append((time.thread_time() - c0) / batch * 1e6)
    return statistics.median(wall), statistics.median(cpu)


def emit(obj):
    print(json.dumps(obj), flush=True)


c, h, w = (int(v) for v in ARGS.shape.split(","))
shape = f"{c}x{h}x{w}"
rng = np.random.default_rng(0)
x = rng.standard_normal((c, h, w)).astype(np.float32)
f = x.reshape(c, h * w)
npbuf = np.empty((c, c), np.float32)
gbuf = np.empty((c, c), np.float32)

tools = {
    ("gram_fwd", "gramconv"): lambda: gramconv.gram(x, out=gbuf),
    ("gram_fwd", "numpy"): lambda: np.matmul(f, f.T, out=npbuf),
}
if torch is not None:
    xt = torch.from_numpy(x)
    ft = xt.reshape(1, c, h * w)
    tools[("gram_fwd", "torch.bmm")] = lambda: torch.bmm(ft, ft.transpose(1, 2))
    xg = xt.clone().reshape(1, c, h, w).requires_grad_(True)
    dg = torch.randn(1, c, c)

    def gct_fwdbwd():
        xg.grad = None
        gct.gram(xg).backward(dg)

    def torch_fwdbwd():
        xg.grad = None
        fr = xg.reshape(1, c, h * w)
        (torch.bmm(fr, fr.transpose(1, 2)) / (h * w)).backward(dg)

    tools[("gram_fwdbwd", "gramconv.torch")] = gct_fwdbwd
    tools[("gram_fwdbwd", "torch autograd")] = torch_fwdbwd
else:
    print("# torch not installed: the torch cases are left out", file=sys.stderr)

a2 = np.array([[1.0, 5.0], [3.0, 4.0]])
k2 = np.array([[5.0, 6.0], [7.0, 8.0]])
assert gramconv.xcorr2(a2, k2)[0, 0] == 88.0

results = {key: [] for key in tools}
overhead = []
for r in range(ARGS.rounds):
    for key, fn in tools.items():
        if torch is not None and key == ("gram_fwd", "torch.bmm"):
            with torch.no_grad():
                results[key].append(median_ms(fn, ARGS.min_time))
        else:
            results[key].append(median_ms(fn, ARGS.min_time))
    overhead.append(per_call_us(lambda: gramconv.xcorr2(a2, k2), ARGS.min_time))

common = {"threads": 1, "dtype": "f32", "rounds": ARGS.rounds,
          "library": os.path.basename(gramconv.LIBRARY_PATH), "version": gramconv.__version__}
peers = {"numpy": np.__version__, "torch": torch.__version__ if torch is not None else None}
try:  # which BLAS the peers run on, and its kernels
    import threadpoolctl
    peers["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "architecture",
                                               "num_threads", "filepath")}
                     for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
except ImportError:
    pass
emit({"peers": peers, "load": [round(v, 1) for v in os.getloadavg()]})
med = {}
for (case, tool), vals in results.items():
    wall = statistics.median(v[0] for v in vals)
    cpu = statistics.median(v[1] for v in vals)
    med[(case, tool)] = (wall, cpu)
    emit({"case": case, "tool": tool, "shape": shape, "ms": round(wall, 4), "cpu_ms": round(cpu, 4),
          "rounds_ms": [round(v[0], 3) for v in vals],
          "rounds_cpu_ms": [round(v[1], 3) for v in vals], **common})
ov_wall = statistics.median(v[0] for v in overhead)
ov_cpu = statistics.median(v[1] for v in overhead)
emit({"case": "overhead", "tool": "gramconv", "shape": "2x2 xcorr2 f64", "us": round(ov_wall, 3),
      "cpu_us": round(ov_cpu, 3), "rounds_us": [round(v[0], 3) for v in overhead],
      "rounds_cpu_us": [round(v[1], 3) for v in overhead], **common})


def ratio(case, peer, target):
    if (case, peer) not in med:
        return
    ours = "gramconv" if case == "gram_fwd" else "gramconv.torch"
    s_cpu = med[(case, peer)][1] / med[(case, ours)][1]
    s_wall = med[(case, peer)][0] / med[(case, ours)][0]
    emit({"ratio": f"{case}: {peer} / {ours}", "speedup_cpu": round(s_cpu, 3),
          "speedup_wall": round(s_wall, 3), "target": target, "pass": s_cpu >= target})


ratio("gram_fwd", "torch.bmm", 1.5)
ratio("gram_fwd", "numpy", 1.15)
ratio("gram_fwdbwd", "torch autograd", 1.5)
emit({"ratio": "overhead: 2x2 xcorr2 microseconds per call", "cpu_us": round(ov_cpu, 3),
      "wall_us": round(ov_wall, 3), "target_max": 20, "pass": ov_cpu <= 20})
