#!/usr/bin/env python3
"""Writes the SciPy goldens for the correlation boundaries (tests/golden/bnd_*.npy), used by
tests/test_fft.c (gc_tests_fft) for both the direct and the FFT method.

Run from anywhere: python3 tests/golden/make_boundary_golden.py   (needs numpy and scipy)

bnd_in.npy: an 11 x 13 float64 input; bnd_kAxB.npy: kernels 3x3, 4x5 (even sizes: SciPy's
'same' offsets) and 6x4. bnd_{xcorr,conv}_{full,same}_kAxB.npy: the outputs stacked over the
boundaries, in this order:
  0 fill, fillvalue 0      scipy.signal.correlate2d / convolve2d(boundary='fill')
  1 fill, fillvalue 2.5    (boundary='fill', fillvalue=2.5)
  2 wrap                   (boundary='wrap')
  3 symm                   (boundary='symm')
  4 reflect                numpy.pad(mode='reflect') then correlate2d/convolve2d 'valid'
  5 replicate              numpy.pad(mode='edge') then correlate2d/convolve2d 'valid'
SciPy has no reflect / replicate boundary, so those two pad with NumPy by the same offsets as
gramconv: full pads k-1 on both sides; same pads floor((k-1)/2) before for xcorr (floor(k/2)
for conv) and the rest after: the 'same' window of SciPy's fill/wrap/symm results."""
import os
import numpy as np
from scipy import signal

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(8)
x = rng.uniform(-1, 1, (11, 13))
kernels = {"3x3": rng.uniform(-1, 1, (3, 3)), "4x5": rng.uniform(-1, 1, (4, 5)),
           "6x4": rng.uniform(-1, 1, (6, 4))}
np.save(os.path.join(here, "bnd_in.npy"), x)


def padded(x, k, kind, mode, np_mode):
    pads = []
    for n, m in zip(x.shape, k.shape):
        if mode == "full":
            pads.append((m - 1, m - 1))
        else:
            before = (m - 1) // 2 if kind == "xcorr" else m // 2
            pads.append((before, m - 1 - before))
    return np.pad(x, pads, mode=np_mode)


for kname, k in kernels.items():
    np.save(os.path.join(here, f"bnd_k{kname}.npy"), k)
    for kind, fn in (("xcorr", signal.correlate2d), ("conv", signal.convolve2d)):
        for mode in ("full", "same"):
            outs = [fn(x, k, mode=mode, boundary="fill", fillvalue=0.0),
                    fn(x, k, mode=mode, boundary="fill", fillvalue=2.5),
                    fn(x, k, mode=mode, boundary="wrap"),
                    fn(x, k, mode=mode, boundary="symm")]
            for np_mode in ("reflect", "edge"):
                outs.append(fn(padded(x, k, kind, mode, np_mode), k, mode="valid"))
            for o in outs:
                assert o.shape == outs[0].shape
            np.save(os.path.join(here, f"bnd_{kind}_{mode}_k{kname}.npy"), np.stack(outs))

# Single outputs for tests/cli_fft.sh (gramconv compare takes one array per file); 3-D ones
# are plain loops over np.pad (SciPy has no 3-D boundary modes).
def save_cli(name, arr):
    np.save(os.path.join(here, f"bnd_cli_{name}.npy"), arr)


k = kernels["4x5"]
save_cli("xcorr2_S_symm", signal.correlate2d(x, k, mode="same", boundary="symm"))
save_cli("conv2_F_wrap", signal.convolve2d(x, k, mode="full", boundary="wrap"))
save_cli("xcorr2_F_fill", signal.correlate2d(x, k, mode="full", boundary="fill", fillvalue=-2.0))
save_cli("conv2_S_reflect", signal.convolve2d(padded(x, k, "conv", "same", "reflect"), k, mode="valid"))
x3 = rng.uniform(-1, 1, (5, 6, 7)).astype(np.float32)
k3 = rng.uniform(-1, 1, (3, 2, 4)).astype(np.float32)
np.save(os.path.join(here, "bnd_cli_in3.npy"), x3)
np.save(os.path.join(here, "bnd_cli_k3.npy"), k3)
xp = np.pad(x3.astype(np.float64), [((m - 1) // 2, m - 1 - (m - 1) // 2) for m in k3.shape], mode="edge")
out = np.zeros(x3.shape)
for idx in np.ndindex(*k3.shape):
    out += k3[idx] * xp[tuple(slice(i, i + n) for i, n in zip(idx, x3.shape))]
save_cli("xcorr3_S_replicate", out.astype(np.float32))
print("wrote", 4 + 12 + 7, "files to", here)
