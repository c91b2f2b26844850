"""gramconv.torch: the ops against PyTorch's own, gradcheck in float64 for every op, opcheck
where PyTorch has it, and the nn.Modules."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import gramconv  # noqa: E402
import gramconv.torch as gct  # noqa: E402

gradcheck = torch.autograd.gradcheck


def ref_gram(x, norm="hw", center=False, scale=1.0):
    f = x.reshape(x.shape[0], x.shape[1], -1) if x.dim() == 4 else x.reshape(1, x.shape[0], -1)
    if center:
        f = f - f.mean(dim=2, keepdim=True)
    m, k = f.shape[1], f.shape[2]
    n = {"none": 1.0, "hw": 1.0 / k, "chw": 1.0 / (m * k)}[norm]
    g = torch.bmm(f, f.transpose(1, 2)) * (n * scale)
    return g if x.dim() == 4 else g[0]


def d64(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64, generator=g).requires_grad_(True)


TORCH_VERSION = tuple(int("".join(c for c in part if c.isdigit()) or 0)
                      for part in torch.__version__.split("+")[0].split(".")[:2])
CUSTOM_OP = gct.BACKEND == "custom_op"
needs_custom_op = pytest.mark.skipif(
    not CUSTOM_OP, reason=f"gramconv's custom operators (opcheck, fake tensors, torch.compile) "
                          f"need PyTorch >= 2.4, this is {torch.__version__}")


def test_backend_follows_the_torch_version():
    if TORCH_VERSION >= (2, 4):
        assert gct.BACKEND == "custom_op"
        assert sorted(gct.OPS) == ["conv2d", "conv2d_backward", "gram", "gram_backward",
                                   "style_loss"]
        for name in gct.OPS:  # registered with the dispatcher as gramconv::NAME
            assert isinstance(getattr(torch.ops.gramconv, name).default, torch._ops.OpOverload)
    else:
        assert gct.BACKEND == "autograd.Function"
        assert gct.OPS == {}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(2, 5, 7, 3), (4, 6, 5), (7, 19)])
@pytest.mark.parametrize("opts", [{}, {"norm": "chw", "center": True, "scale": 0.5}])
def test_gram_forward_backward_match_torch(dtype, shape, opts):
    x = torch.randn(*shape, dtype=dtype, requires_grad=True)
    g = gct.gram(x, **opts)
    xr = x.detach().clone().requires_grad_(True)
    gr = ref_gram(xr, **opts)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g, gr, **tol)
    dg = torch.randn_like(g)
    g.backward(dg)
    gr.backward(dg)
    torch.testing.assert_close(x.grad, xr.grad, **tol)


def test_gram_transposed_input():
    base = torch.randn(2, 8, 6, 5, dtype=torch.float64)
    x = base.permute(0, 3, 2, 1)  # non-contiguous 2 x 5 x 6 x 8
    torch.testing.assert_close(gct.gram(x), ref_gram(x.contiguous()))


def test_gradcheck_gram():
    assert gradcheck(lambda x: gct.gram(x), (d64(2, 3, 4, 5),))
    assert gradcheck(lambda x: gct.gram(x, norm="chw", center=True, scale=2.0), (d64(3, 4, 5),))
    assert gradcheck(lambda x: gct.gram(x, norm="none"), (d64(4, 9),))


def test_gradcheck_style_loss():
    x, t = d64(2, 3, 4, 5), d64(2, 3, 3, seed=1)
    assert gradcheck(lambda x, t: gct.style_loss(x, t, weight=1.5), (x, t))
    assert gradcheck(lambda x: gct.style_loss(x, t.detach(), norm="chw", center=True), (x,))


def test_style_loss_matches_torch():
    x = torch.randn(2, 4, 6, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 4, 4, dtype=torch.float64)
    loss = gct.style_loss(x, t, weight=3.0)
    assert loss.dim() == 0
    xr = x.detach().clone().requires_grad_(True)
    lr = 3.0 * F.mse_loss(ref_gram(xr), t)
    torch.testing.assert_close(loss, lr)
    loss.backward()
    lr.backward()
    torch.testing.assert_close(x.grad, xr.grad)


CONV_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=2),
    dict(padding="same"),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2), padding_mode="circular"),
    dict(padding=1, padding_mode="replicate"),
]


def _torch_conv(x, w, b, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    if padding_mode == "zeros" or isinstance(padding, str):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)
    p = (padding, padding) if isinstance(padding, int) else tuple(padding)
    xp = F.pad(x, (p[1], p[1], p[0], p[0]), mode=padding_mode)
    return F.conv2d(xp, w, b, stride, 0, dilation, groups)


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv2d_matches_torch(case, dtype):
    groups = case.get("groups", 1)
    x = torch.randn(2, 4, 9, 10, dtype=dtype, requires_grad=True)
    w = torch.randn(6, 4 // groups, 3, 3, dtype=dtype, requires_grad=True)
    b = torch.randn(6, dtype=dtype, requires_grad=True)
    y = gct.conv2d(x, w, b, **case)
    xr, wr, br = (t.detach().clone().requires_grad_(True) for t in (x, w, b))
    yr = _torch_conv(xr, wr, br, **case)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(y, yr, **tol)
    dy = torch.randn_like(y)
    y.backward(dy)
    yr.backward(dy)
    for a, r in ((x, xr), (w, wr), (b, br)):
        torch.testing.assert_close(a.grad, r.grad, **tol)


@pytest.mark.parametrize("case", CONV_CASES)
def test_gradcheck_conv2d(case):
    groups = case.get("groups", 1)
    x, w, b = d64(1, 2, 6, 7), d64(4, 2 // groups, 3, 2, seed=1), d64(4, seed=2)
    assert gradcheck(lambda x, w, b: gct.conv2d(x, w, b, **case), (x, w, b))
    assert gradcheck(lambda x, w: gct.conv2d(x, w, None, **case), (x, w))


def test_conv2d_unbatched_and_partial_grads():
    x = torch.randn(3, 8, 8, dtype=torch.float64)
    w = torch.randn(5, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    y = gct.conv2d(x, w, padding=1)
    assert y.shape == (5, 8, 8)
    y.sum().backward()
    assert x.grad is None and w.grad is not None
    torch.testing.assert_close(w.grad, torch.autograd.grad(
        F.conv2d(x[None], w, padding=1).sum(), w)[0])


def test_half_precision_and_errors():
    x = torch.randn(3, 5, 5, dtype=torch.bfloat16)
    g = gct.gram(x)
    assert g.dtype == torch.bfloat16
    with pytest.raises(gramconv.Error, match="floating-point"):
        gct.gram(torch.ones(3, 4, 4, dtype=torch.int32))
    with pytest.raises(gramconv.Error, match="gram"):
        gct.gram(torch.ones(5, dtype=torch.float32))
    with pytest.raises(gramconv.Error, match="conv2d"):
        gct.conv2d(torch.ones(1, 3, 5, 5), torch.ones(2, 4, 3, 3))


def test_modules():
    feats = torch.randn(1, 4, 6, 6, dtype=torch.float64)
    gm = gct.GramMatrix()
    torch.testing.assert_close(gm(feats), ref_gram(feats))
    sl = gct.StyleLoss(feats, weight=2.0)
    x = torch.randn(1, 4, 6, 6, dtype=torch.float64, requires_grad=True)
    assert sl(x) is x
    torch.testing.assert_close(sl.loss, 2.0 * F.mse_loss(ref_gram(x), ref_gram(feats)))
    sl.loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert "target" in dict(sl.named_buffers())
    sl2 = gct.StyleLoss(target_gram=ref_gram(feats), weight=2.0)
    sl2(x)
    torch.testing.assert_close(sl2.loss, sl.loss)
    with pytest.raises(gramconv.Error):
        gct.StyleLoss()


def _f64(*shape, grad=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64, generator=g).requires_grad_(grad)


def _f32(*shape, grad=False, seed=0):
    return _f64(*shape, seed=seed).float().requires_grad_(grad)


# (op name, arguments) for opcheck and the fake-tensor shapes: every rank and dtype of gram,
# style_loss with and without its gradient, conv2d with and without bias, unbatched, strided,
# 'same', reflect, grouped and dilated, and conv2d_backward with a partial output mask.
OP_CASES = [
    ("gram", lambda: (_f64(2, 3, 4, 5, grad=True), "hw", False, 1.0)),
    ("gram", lambda: (_f32(3, 4, 5, grad=True), "chw", True, 0.5)),
    ("gram", lambda: (_f64(4, 9, grad=True), "none", False, 2.0)),
    ("gram_backward", lambda: (_f64(2, 3, 4, 5), _f64(2, 3, 3, seed=1), "chw", True, 2.0)),
    ("gram_backward", lambda: (_f32(4, 9), _f32(4, 4, seed=1), "hw", False, 1.0)),
    ("style_loss", lambda: (_f64(2, 3, 4, 5, grad=True), _f64(2, 3, 3, grad=True, seed=1), 1.5,
                            "hw", False, 1.0, True)),
    ("style_loss", lambda: (_f32(3, 4, 5), _f32(3, 3, seed=1), 1.0, "chw", True, 1.0, False)),
    ("conv2d", lambda: (_f64(2, 3, 4, 5, grad=True), _f64(4, 3, 3, 3, grad=True, seed=1),
                        _f64(4, grad=True, seed=2), [1, 1], [1, 1], False, [1, 1], 1, "zeros")),
    ("conv2d", lambda: (_f32(3, 7, 6, grad=True), _f32(2, 3, 3, 2, grad=True, seed=1), None,
                        [2, 1], [1, 0], False, [1, 1], 1, "reflect")),
    ("conv2d", lambda: (_f64(1, 4, 6, 7, grad=True), _f64(6, 2, 3, 3, grad=True, seed=1), None,
                        [1, 1], [0, 0], True, [2, 1], 2, "zeros")),
    ("conv2d_backward", lambda: (_f64(2, 4, 4, 5, seed=3), _f64(2, 3, 4, 5),
                                 _f64(4, 3, 3, 3, seed=1), True, [1, 1], [1, 1], False,
                                 [1, 1], 1, "zeros", [True, True, True])),
    ("conv2d_backward", lambda: (_f32(2, 4, 5, seed=3), _f32(3, 7, 6), _f32(2, 3, 3, 2, seed=1),
                                 False, [2, 1], [1, 0], False, [1, 1], 1, "reflect",
                                 [False, True, False])),
]
OP_IDS = [f"{name}{i}" for i, (name, _) in enumerate(OP_CASES)]


@needs_custom_op
@pytest.mark.parametrize("name,args", OP_CASES, ids=OP_IDS)
def test_opcheck(name, args):
    """Schema, autograd registration, fake tensor and AOT-dispatch checks of each operator."""
    torch.library.opcheck(gct.OPS[name], args())


def _meta(v):
    return v.detach().to("meta") if isinstance(v, torch.Tensor) else v


@needs_custom_op
@pytest.mark.parametrize("name,args", OP_CASES, ids=OP_IDS)
def test_fake_outputs_match_real(name, args):
    """register_fake: the operators on meta tensors give the real outputs' shapes, dtypes and
    strides without computing anything."""
    a = args()
    with torch.no_grad():
        real = gct.OPS[name](*[v.detach() if isinstance(v, torch.Tensor) else v for v in a])
        fake = gct.OPS[name](*[_meta(v) for v in a])
    real = real if isinstance(real, tuple) else (real,)
    fake = fake if isinstance(fake, tuple) else (fake,)
    assert len(fake) == len(real)
    for f, r in zip(fake, real):
        assert f.device.type == "meta"
        assert (f.shape, f.dtype, f.stride()) == (r.shape, r.dtype, r.stride())


@needs_custom_op
def test_public_functions_trace_on_meta_tensors():
    """gct.gram / style_loss / conv2d go through the operators (a NumPy path could not take
    meta tensors): half precision keeps its dtype, conv2d's geometry its shape."""
    x = torch.empty(2, 3, 9, 10, device="meta", dtype=torch.bfloat16)
    assert (gct.gram(x).shape, gct.gram(x).dtype) == ((2, 3, 3), torch.bfloat16)
    assert gct.style_loss(x, torch.empty(2, 3, 3, device="meta")).shape == ()
    w = torch.empty(5, 3, 3, 3, device="meta", dtype=torch.bfloat16)
    assert gct.conv2d(x, w, stride=2, padding=1).shape == (2, 5, 5, 5)
    assert gct.conv2d(x, w, padding="same").shape == (2, 5, 9, 10)
    assert gct.conv2d(x[0], w, dilation=(2, 1)).shape == (5, 5, 8)


def test_second_order_gradient_is_refused():
    """Backward passes are first-order on both paths: a second backward raises."""
    x = d64(2, 3, 4, 5)
    (gx,) = torch.autograd.grad(gct.gram(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        gx.sum().backward()
    w = d64(2, 3, 3, 3, seed=1)
    (gw,) = torch.autograd.grad(gct.conv2d(x, w).sum(), w, create_graph=True)
    with pytest.raises(RuntimeError):
        gw.sum().backward()


def test_gradcheck_modules():
    feats = d64(1, 3, 5, 4, seed=3).detach()
    gm = gct.GramMatrix(norm="chw", center=True)
    assert gradcheck(gm, (d64(2, 3, 4, 5),))
    sl = gct.StyleLoss(feats, weight=2.0)

    def loss_of(x):
        assert sl(x) is x
        return sl.loss

    assert gradcheck(loss_of, (d64(1, 3, 5, 4),))


@needs_custom_op
def test_compile_fullgraph():
    """torch.compile traces the operators without a graph break (fake tensors, autograd) and
    gives eager's values and gradients. The aot_eager backend: no C++ code generation."""
    def f(x, w, t):
        y = gct.conv2d(x, w, padding=1)
        return gct.style_loss(y, t, weight=2.0) + gct.gram(y, norm="chw").sum()

    x, w, t = d64(2, 3, 6, 5), d64(4, 3, 3, 3, seed=1), d64(2, 4, 4, seed=2).detach()
    torch._dynamo.reset()
    lc = torch.compile(f, backend="aot_eager", fullgraph=True)(x, w, t)
    gc_ = torch.autograd.grad(lc, (x, w))
    le = f(x, w, t)
    ge = torch.autograd.grad(le, (x, w))
    torch.testing.assert_close(lc, le)
    for a, b in zip(gc_, ge):
        torch.testing.assert_close(a, b)


def test_training_step_reduces_style_loss():
    """A tiny PyTorch network trained with gramconv's style loss: the loss falls."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU())
    for p in net.parameters():
        p.requires_grad_(False)
    target = gct.gram(net(torch.rand(1, 3, 16, 16))).detach()
    img = torch.rand(1, 3, 16, 16, requires_grad=True)
    opt = torch.optim.Adam([img], lr=0.05)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = gct.style_loss(net(img), target, weight=1e3)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_array_less(0, losses)
