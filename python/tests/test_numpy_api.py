"""The NumPy API against NumPy / SciPy references: odd shapes, transposed views, float32 and
float64, every mode and boundary, out=, dtype conversions."""

import numpy as np
import pytest

import gramconv
from gramconv import _lib
from conftest import close

scipy_signal = pytest.importorskip("scipy.signal")

DTYPES = [np.float32, np.float64]


# ---- the seed's example --------------------------------------------------------------------

def test_seed_example():
    x, k = [[1, 5], [3, 4]], [[5, 6], [7, 8]]
    r = gramconv.xcorr2(x, k)
    assert r.shape == (1, 1) and r.dtype == np.float64 and r[0, 0] == 88.0
    assert gramconv.conv2(x, k)[0, 0] == 81.0
    assert gramconv.xcorr2(np.array(x, np.float32), np.array(k, np.float32)).dtype == np.float32


def test_version_and_library():
    assert gramconv.__version__.count(".") == 2
    assert gramconv.__version__ == _lib.version()
    assert gramconv.LIBRARY_PATH


# ---- references ---------------------------------------------------------------------------------

_PAD = {"fill": "constant", "wrap": "wrap", "symm": "symmetric", "reflect": "reflect",
        "replicate": "edge"}


def ref_corr_plane(x, k, mode, conv, boundary="fill", fill=0.0):
    """One plane (2-D or 3-D): pad by the boundary rule, valid correlation, crop."""
    if conv:
        k = k[(slice(None, None, -1),) * k.ndim]
    pad = [(kk - 1, kk - 1) for kk in k.shape]
    if mode == "V":
        xp = x.astype(np.float64)
    elif boundary == "fill":
        xp = np.pad(x.astype(np.float64), pad, mode="constant", constant_values=fill)
    else:
        xp = np.pad(x.astype(np.float64), pad, mode=_PAD[boundary])
    full = scipy_signal.correlate(xp, k.astype(np.float64), mode="valid", method="direct")
    if mode in ("V", "F"):
        return full
    # same: the full result from offset floor(k/2) (xcorr) or floor((k-1)/2) (conv)
    sl = tuple(slice((kk - 1) // 2 if conv else kk // 2, None) for kk in k.shape)
    sl = tuple(slice(s.start, s.start + n) for s, n in zip(sl, x.shape))
    return full[sl]


def ref_corr(x, k, sd, mode, conv, boundary="fill", fill=0.0):
    if x.ndim == sd:
        return ref_corr_plane(x, k, mode, conv, boundary, fill)
    if k.ndim == sd + 1:   # plane-wise
        return np.stack([ref_corr_plane(x[i], k[i], mode, conv, boundary, fill)
                         for i in range(x.shape[0])])
    return np.stack([sum(ref_corr_plane(x[i], k[j, i], mode, conv, boundary, fill)
                         for i in range(x.shape[0])) for j in range(k.shape[0])])


# ---- correlation and convolution ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["V", "F", "S"])
@pytest.mark.parametrize("conv", [False, True])
def test_corr2_matches_scipy(rng, dtype, mode, conv):
    x = rng.standard_normal((13, 17)).astype(dtype)
    k = rng.standard_normal((4, 3)).astype(dtype)
    fn = gramconv.conv2 if conv else gramconv.xcorr2
    r = fn(x, k, mode=mode)
    assert r.dtype == dtype
    # SciPy's own 2-D functions, the documented references
    sp = scipy_signal.convolve2d if conv else scipy_signal.correlate2d
    want = sp(x.astype(np.float64), k.astype(np.float64),
              mode={"V": "valid", "F": "full", "S": "same"}[mode])
    close(r, want, dtype)


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", ["F", "S"])
def test_corr2_boundaries_match_scipy(rng, boundary, mode):
    x = rng.standard_normal((9, 11))
    k = rng.standard_normal((3, 5))
    r = gramconv.xcorr2(x, k, mode=mode, boundary=boundary, fill_value=1.5)
    want = scipy_signal.correlate2d(x, k, mode={"F": "full", "S": "same"}[mode],
                                    boundary=boundary, fillvalue=1.5)
    close(r, want, np.float64)


@pytest.mark.parametrize("boundary", ["reflect", "replicate"])
def test_corr2_reflect_replicate(rng, boundary):
    x = rng.standard_normal((8, 10))
    k = rng.standard_normal((3, 3))
    for mode in "FS":
        close(gramconv.conv2(x, k, mode=mode, boundary=boundary),
              ref_corr(x, k, 2, mode, True, boundary), np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pairing", ["single", "planewise", "summed"])
@pytest.mark.parametrize("sd", [2, 3])
def test_corr_rank_pairings(rng, dtype, pairing, sd):
    s = (7, 9) if sd == 2 else (5, 6, 7)
    ks = (3, 2) if sd == 2 else (2, 3, 2)
    p, q = 3, 2
    x = rng.standard_normal(s if pairing == "single" else (p,) + s).astype(dtype)
    kshape = {"single": ks, "planewise": (p,) + ks, "summed": (q, p) + ks}[pairing]
    k = rng.standard_normal(kshape).astype(dtype)
    for conv in (False, True):
        fn = {(2, False): gramconv.xcorr2, (2, True): gramconv.conv2,
              (3, False): gramconv.xcorr3, (3, True): gramconv.conv3}[(sd, conv)]
        for mode in "VFS":
            close(fn(x, k, mode=mode), ref_corr(x, k, sd, mode, conv), dtype, scale=4)


def test_mode_names_and_case(rng):
    x, k = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    for a, b in (("V", "valid"), ("F", "FULL"), ("S", "same"), ("v", "Valid")):
        np.testing.assert_array_equal(gramconv.xcorr2(x, k, mode=a), gramconv.xcorr2(x, k, mode=b))


@pytest.mark.skipif(not _lib.gc_fft_available(), reason="library built without FFTW3")
def test_fft_method_matches_direct(rng):
    x = rng.standard_normal((40, 37))
    k = rng.standard_normal((9, 7))
    close(gramconv.xcorr2(x, k, method="fft"), gramconv.xcorr2(x, k, method="direct"),
          np.float64, scale=100)


@pytest.mark.parametrize("dtype", DTYPES)
def test_corr_transposed_and_strided_views(rng, dtype):
    base = rng.standard_normal((3, 20, 24)).astype(dtype)
    x = base.transpose(0, 2, 1)[:, 1::2, ::3]   # non-contiguous, positive strides
    kb = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    k = kb.transpose(0, 1, 3, 2)                # 2 x 3 x 4 x 5, transposed spatially
    assert not x.flags.c_contiguous and not k.flags.c_contiguous
    r = gramconv.xcorr2(x, k, mode="F")
    close(r, ref_corr(np.ascontiguousarray(x), np.ascontiguousarray(k), 2, "F", False), dtype,
          scale=4)
    # negative strides are copied, not refused
    close(gramconv.xcorr2(x[:, ::-1], k), ref_corr(np.ascontiguousarray(x[:, ::-1]),
                                                   np.ascontiguousarray(k), 2, "V", False),
          dtype, scale=4)


def test_corr_out(rng):
    x, k = rng.standard_normal((10, 12)), rng.standard_normal((3, 3))
    want = gramconv.xcorr2(x, k)
    out = np.full((8, 10), np.nan)
    r = gramconv.xcorr2(x, k, out=out)
    assert r is out
    np.testing.assert_array_equal(out, want)
    # a strided out (a transposed buffer) is written through its strides
    buf = np.zeros((10, 8))
    gramconv.xcorr2(x, k, out=buf.T)
    np.testing.assert_array_equal(buf.T, want)


# ---- dtypes -----------------------------------------------------------------------------------

def test_dtype_conversions():
    x = np.arange(12).reshape(3, 4)          # int64 -> float64
    k = np.ones((2, 2), np.int8)
    r = gramconv.xcorr2(x, k)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, scipy_signal.correlate2d(x, k, mode="valid"))
    assert gramconv.xcorr2(x.astype(np.float16), k.astype(np.float16)).dtype == np.float32
    assert gramconv.xcorr2(x.astype(bool), k.astype(bool)).dtype == np.float64
    # a float32 / float64 pair is computed in float64
    assert gramconv.xcorr2(x.astype(np.float32), k.astype(np.float64)).dtype == np.float64
    # foreign byte order is converted
    xb = x.astype(">f8")
    np.testing.assert_array_equal(gramconv.xcorr2(xb, k), r)
    assert gramconv.gram(np.arange(6).reshape(2, 3)).dtype == np.float64


# ---- Gram matrices --------------------------------------------------------------------------------

def ref_gram(x, norm="hw", center=False, scale=1.0):
    x = x.astype(np.float64)
    lead = x.shape[:1] if x.ndim == 4 else ()
    if x.ndim == 2:
        f = x[None]
    elif x.ndim == 3:
        f = x.reshape(1, x.shape[0], -1)
    else:
        f = x.reshape(x.shape[0], x.shape[1], -1)
    m, k = f.shape[1], f.shape[2]
    if center:
        f = f - f.mean(axis=2, keepdims=True)
    n = {"none": 1.0, "hw": 1.0 / k, "chw": 1.0 / (m * k)}[norm]
    g = n * scale * f @ f.transpose(0, 2, 1)
    return g.reshape(lead + (m, m)) if x.ndim == 4 else g[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 33), (7, 5, 9), (3, 6, 7, 5), (33, 17)])
@pytest.mark.parametrize("opts", [{}, {"norm": "chw"}, {"norm": "none", "center": True},
                                  {"scale": 0.25, "center": True}])
def test_gram_matches_numpy(rng, dtype, shape, opts):
    x = rng.standard_normal(shape).astype(dtype)
    g = gramconv.gram(x, **opts)
    assert g.dtype == dtype
    close(g, ref_gram(x, **opts), dtype, scale=4)
    np.testing.assert_array_equal(g, np.swapaxes(g, -1, -2))  # exactly symmetric


@pytest.mark.parametrize("dtype", DTYPES)
def test_gram_transposed_view(rng, dtype):
    base = rng.standard_normal((2, 9, 11, 6)).astype(dtype)
    x = base.transpose(0, 3, 2, 1)  # 2 x 6 x 11 x 9, no copy
    close(gramconv.gram(x), ref_gram(np.ascontiguousarray(x)), dtype, scale=4)
    f = rng.standard_normal((40, 7)).astype(dtype).T   # 7 x 40 view of a column-major matrix
    close(gramconv.gram(f, norm="none"), f.astype(np.float64) @ f.T.astype(np.float64), dtype,
          scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", [{}, {"norm": "chw", "center": True, "scale": 3.0}])
def test_gram_backward_matches_numpy(rng, dtype, opts):
    x = rng.standard_normal((2, 4, 5, 3)).astype(dtype)
    dg = rng.standard_normal((2, 4, 4)).astype(dtype)  # not symmetric
    gx = gramconv.gram_backward(x, dg, **opts)
    f = x.reshape(2, 4, 15).astype(np.float64)
    fc = f - f.mean(axis=2, keepdims=True) if opts.get("center") else f
    n = 1.0 / 15 if opts.get("norm", "hw") == "hw" else 1.0 / 60
    want = n * opts.get("scale", 1.0) * (dg + dg.transpose(0, 2, 1)) @ fc
    if opts.get("center"):
        want = want - want.mean(axis=2, keepdims=True)
    close(gx, want.reshape(x.shape), dtype, scale=4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_style_loss_matches_numpy(rng, dtype):
    x = rng.standard_normal((6, 7, 5)).astype(dtype)
    t = rng.standard_normal((6, 6)).astype(dtype)
    loss, gx = gramconv.style_loss(x, t, weight=2.5)
    g = ref_gram(x)
    d = g - t.astype(np.float64)
    assert loss == pytest.approx(2.5 * np.mean(d * d), rel=1e-5 if dtype == np.float32 else 1e-12)
    f = x.reshape(6, 35).astype(np.float64)
    want = 2.5 * 2 / 36 * (1 / 35) * (d + d.T) @ f
    close(gx, want.reshape(x.shape), dtype, scale=4)
    loss2, none = gramconv.style_loss(x, t, weight=2.5, grad=False)
    assert none is None and loss2 == loss


def test_gram_out_and_bf16(rng):
    x = rng.standard_normal((4, 9, 9)).astype(np.float32)
    out = np.empty((4, 4), np.float32)
    assert gramconv.gram(x, out=out) is out
    close(out, ref_gram(x), np.float32)
    try:
        g = gramconv.gram(x, precision="bf16")
    except gramconv.Error as e:   # CPUs without AVX512-BF16 refuse with a message
        assert e.status_name == "GC_ERR_UNSUPPORTED" and str(e)
    else:
        np.testing.assert_allclose(g, ref_gram(x), rtol=0, atol=0.05)


# ---- conv2d ---------------------------------------------------------------------------------------

_PADMODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def ref_conv2d(x, w, b=None, stride=(1, 1), pad=(0, 0), dilation=(1, 1), groups=1,
               padding_mode="zeros"):
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])], mode=_PADMODE[padding_mode])
    oh = (h + 2 * pad[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for a in range(kh):
            for bb in range(kw):
                y0, x0 = a * dilation[0], bb * dilation[1]
                patch = xs[:, :, y0:y0 + stride[0] * (oh - 1) + 1:stride[0],
                           x0:x0 + stride[1] * (ow - 1) + 1:stride[1]]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch,
                                                         w[g * og:(g + 1) * og, :, a, bb])
    if b is not None:
        out += b.astype(np.float64)[None, :, None, None]
    return out if batched else out[0]


CONV_CASES = [
    dict(),
    dict(stride=(2, 1), pad=(1, 2)),
    dict(dilation=(2, 1), pad=(2, 1), groups=2),
    dict(stride=(1, 3), pad=(1, 1), padding_mode="reflect"),
    dict(pad=(2, 1), padding_mode="replicate"),
    dict(pad=(1, 1), padding_mode="circular", groups=2),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_numpy(rng, dtype, case):
    x = rng.standard_normal((2, 4, 9, 11)).astype(dtype)
    w = rng.standard_normal((6, 4 // case.get("groups", 1), 3, 2)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    r = gramconv.conv2d(x, w, b, stride=case.get("stride", 1), padding=case.get("pad", 0),
                        dilation=case.get("dilation", 1), groups=case.get("groups", 1),
                        padding_mode=case.get("padding_mode", "zeros"))
    assert r.dtype == dtype
    want = ref_conv2d(x, w, b, case.get("stride", (1, 1)), case.get("pad", (0, 0)),
                      case.get("dilation", (1, 1)), case.get("groups", 1),
                      case.get("padding_mode", "zeros"))
    close(r, want, dtype, scale=8)


def test_conv2d_unbatched_same_and_views(rng):
    x = rng.standard_normal((3, 10, 8)).transpose(0, 2, 1)      # 3 x 8 x 10 view
    w = rng.standard_normal((5, 3, 3, 3))
    r = gramconv.conv2d(x, w, padding="same")
    assert r.shape == (5, 8, 10)
    close(r, ref_conv2d(np.ascontiguousarray(x), w, pad=(1, 1)), np.float64, scale=8)
    close(gramconv.conv2d(x, w, padding="valid"), ref_conv2d(np.ascontiguousarray(x), w),
          np.float64, scale=8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES[:3])
def test_conv2d_backward_matches_numpy(rng, dtype, case):
    """The three gradients against the adjoint identities of the reference forward:
    <dy, conv(dx)> = <conv^T dy, dx> checked through finite linear combinations."""
    geo = dict(stride=case.get("stride", (1, 1)), pad=case.get("pad", (0, 0)),
               dilation=case.get("dilation", (1, 1)), groups=case.get("groups", 1))
    x = rng.standard_normal((2, 4, 9, 11)).astype(dtype)
    w = rng.standard_normal((6, 4 // geo["groups"], 3, 2)).astype(dtype)
    y = ref_conv2d(x, w, None, **geo)
    dy = rng.standard_normal(y.shape).astype(dtype)
    gi, gw, gb = gramconv.conv2d_backward(x, w, dy, bias=True, stride=geo["stride"],
                                          padding=geo["pad"], dilation=geo["dilation"],
                                          groups=geo["groups"])
    assert gi.shape == x.shape and gw.shape == w.shape and gb.shape == (6,)
    # conv is linear in x and in w: the gradient of <dy, conv(x, w)> is the adjoint applied to dy
    dx = rng.standard_normal(x.shape)
    dw = rng.standard_normal(w.shape)
    lhs_x = float(np.sum(dy * ref_conv2d(dx, w, None, **geo)))
    lhs_w = float(np.sum(dy * ref_conv2d(x, dw, None, **geo)))
    tol = 1e-3 if dtype == np.float32 else 1e-10
    assert np.sum(gi * dx) == pytest.approx(lhs_x, rel=tol, abs=tol)
    assert np.sum(gw * dw) == pytest.approx(lhs_w, rel=tol, abs=tol)
    close(gb, dy.astype(np.float64).sum(axis=(0, 2, 3)), dtype, scale=8)
    gi2, gw2, gb2 = gramconv.conv2d_backward(x, w, dy, stride=geo["stride"], padding=geo["pad"],
                                             dilation=geo["dilation"], groups=geo["groups"],
                                             output_mask=(False, True, True))
    assert gi2 is None and gb2 is None   # no bias given: no grad_bias
    np.testing.assert_array_equal(gw2, gw)
