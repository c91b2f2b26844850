#!/usr/bin/env python3
"""Writes the small inputs and expected outputs used by tests/cli_test.sh (tests/golden/cli_*.npy).

Run from anywhere: python3 tests/golden/make_golden_cli.py
Needs numpy and scipy; the test script itself does not. The expected values are computed
independently of gramconv: scipy.signal for single planes, plain numpy loops for the
plane-wise and summed (3D x 4D, 4D x 5D) cases. 'same' crops the full result from offset
floor(k/2) for xcorr and floor((k-1)/2) for conv, per dim (SciPy's correlate2d/convolve2d)."""
import os
import numpy as np
from scipy import signal

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240502)


def save(name, arr):
    np.save(os.path.join(here, f"cli_{name}.npy"), arr)


def xcorr_full(x, k):
    """Full cross-correlation of two same-rank arrays with plain loops over the kernel."""
    out_shape = tuple(n + m - 1 for n, m in zip(x.shape, k.shape))
    out = np.zeros(out_shape, dtype=np.float64)
    pad = [(m - 1, m - 1) for m in k.shape]
    xp = np.pad(x.astype(np.float64), pad)
    for idx in np.ndindex(*k.shape):
        sl = tuple(slice(i, i + n) for i, n in zip(idx, out_shape))
        out += k[idx] * xp[sl]
    return out


def corr(x, k, kind, mode):
    """One plane (any number of spatial dims), 'xcorr' or 'conv', mode 'V'/'F'/'S'."""
    k = k.astype(np.float64)
    if kind == "conv":
        k = k[tuple(slice(None, None, -1) for _ in k.shape)]
    full = xcorr_full(x, k)
    if mode == "F":
        return full
    if mode == "V":
        sl = tuple(slice(m - 1, n) for n, m in zip(x.shape, k.shape))
        return full[sl]
    off = [(m // 2 if kind == "xcorr" else (m - 1) // 2) for m in k.shape]
    sl = tuple(slice(o, o + n) for o, n in zip(off, x.shape))
    return full[sl]


def op(x, k, kind, mode, sd):
    """torch.xcorr2/conv2 (sd=2) and xcorr3/conv3 (sd=3) rank semantics."""
    if x.ndim == sd and k.ndim == sd:
        return corr(x, k, kind, mode)
    if x.ndim == sd + 1 and k.ndim == sd + 1:
        return np.stack([corr(x[i], k[i], kind, mode) for i in range(x.shape[0])])
    if x.ndim == sd + 1 and k.ndim == sd + 2:
        return np.stack([sum(corr(x[i], k[j][i], kind, mode) for i in range(x.shape[0]))
                         for j in range(k.shape[0])])
    raise ValueError("bad ranks")


# Cross-check the loop reference against SciPy on 2-D planes (including 'same', even kernels).
_x = rng.standard_normal((6, 7))
for _shape in [(3, 3), (2, 4), (4, 1), (8, 9)]:
    _k = rng.standard_normal(_shape)
    for _m, _s in [("F", "full"), ("S", "same")] + ([("V", "valid")] if _shape[0] <= 6 and _shape[1] <= 7 else []):
        assert np.allclose(corr(_x, _k, "xcorr", _m), signal.correlate2d(_x, _k, mode=_s))
        assert np.allclose(corr(_x, _k, "conv", _m), signal.convolve2d(_x, _k, mode=_s))
_x3 = rng.standard_normal((4, 5, 3))
_k3 = rng.standard_normal((2, 3, 2))
assert np.allclose(corr(_x3, _k3, "xcorr", "F"), signal.correlate(_x3, _k3, mode="full", method="direct"))
assert np.allclose(corr(_x3, _k3, "conv", "F"), signal.convolve(_x3, _k3, mode="full", method="direct"))
assert np.allclose(corr(_x3, _k3, "xcorr", "V"), signal.correlate(_x3, _k3, mode="valid", method="direct"))

# ---- 2-D single plane: float64 and float32, even kernel width for 'same' ------------------
x2 = rng.standard_normal((5, 6))
k2 = rng.standard_normal((3, 2))
save("x2_in", x2)
save("x2_k", k2)
save("x2_in_f32", x2.astype(np.float32))
save("x2_k_f32", k2.astype(np.float32))
for kind, name in [("xcorr", "xcorr2"), ("conv", "conv2")]:
    sp = signal.correlate2d if kind == "xcorr" else signal.convolve2d
    for mode, smode in [("V", "valid"), ("F", "full"), ("S", "same")]:
        ref = sp(x2, k2, mode=smode)
        assert np.allclose(ref, corr(x2, k2, kind, mode))
        save(f"{name}_{mode}", ref)
        ref32 = sp(x2.astype(np.float32).astype(np.float64), k2.astype(np.float32).astype(np.float64), mode=smode)
        save(f"{name}_{mode}_f32", ref32)  # exact products of the float32 operands, float64

# Mixed pair: float32 input with float64 kernel -> computed and written as float64.
save("xcorr2_mixed_F", signal.correlate2d(x2.astype(np.float32).astype(np.float64), k2, mode="full"))

# The same input stored big-endian and in Fortran order (the result must not change).
save("x2_in_be", x2.astype(">f8"))
save("x2_in_fortran", np.asfortranarray(x2))

# ---- 2-D plane-wise (3D x 3D) and summed (3D x 4D) ----------------------------------------
x3 = rng.standard_normal((3, 5, 6))
kp = rng.standard_normal((3, 2, 3))
ks = rng.standard_normal((4, 3, 2, 3))
save("p_in", x3)
save("p_k", kp)
save("s_k", ks)
for kind, name in [("xcorr", "xcorr2"), ("conv", "conv2")]:
    for mode in "VFS":
        save(f"{name}_planes_{mode}", op(x3, kp, kind, mode, 2))
        save(f"{name}_sum_{mode}", op(x3, ks, kind, mode, 2))

# ---- 3-D ops: single volume, per volume, summed -------------------------------------------
v = rng.standard_normal((4, 5, 3))
kv = rng.standard_normal((2, 3, 2))
vp = rng.standard_normal((2, 4, 3, 3))
kvp = rng.standard_normal((2, 2, 2, 3))
kvs = rng.standard_normal((3, 2, 2, 2, 3))
save("v_in", v)
save("v_k", kv)
save("vp_in", vp)
save("vp_k", kvp)
save("vs_k", kvs)
for kind, name in [("xcorr", "xcorr3"), ("conv", "conv3")]:
    for mode in "VFS":
        save(f"{name}_{mode}", op(v, kv, kind, mode, 3))
        save(f"{name}_planes_{mode}", op(vp, kvp, kind, mode, 3))
        save(f"{name}_sum_{mode}", op(vp, kvs, kind, mode, 3))

# ---- inputs the CLI must refuse -----------------------------------------------------------
save("bad_int", np.arange(6, dtype=np.int64).reshape(2, 3))
save("empty", np.zeros((0, 4)))
save("big_k", rng.standard_normal((7, 7)))
save("k4", rng.standard_normal((2, 2, 2, 2)))
