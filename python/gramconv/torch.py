"""gramconv as PyTorch ops with autograd (CPU tensors).

    import gramconv.torch as gct
    G = gct.gram(features)                       # N x C x H x W -> N x C x C, norm 1/(H*W)
    loss = gct.style_loss(features, target_G)    # weight * mean((G - T)^2)
    y = gct.conv2d(x, w, b, stride=1, padding=1)
    loss.backward()                              # backward passes run in gramconv too

On PyTorch >= 2.4 the functions are ``torch.library.custom_op`` operators (``gramconv::gram``,
``gramconv::gram_backward``, ``gramconv::style_loss``, ``gramconv::conv2d``,
``gramconv::conv2d_backward``) with ``register_autograd`` and ``register_fake`` (so
``torch.compile`` and ``opcheck`` see them); on older PyTorch they are
``torch.autograd.Function`` s. :data:`BACKEND` says which. Tensors must be on the CPU;
float32 and float64 are computed in their own dtype, float16 / bfloat16 in float32 (results
cast back). Backward passes are first-order (no double backward).
"""

from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

import gramconv as _gc
from gramconv import Error

__all__ = ["gram", "gram_backward", "style_loss", "conv2d", "GramMatrix", "StyleLoss", "BACKEND"]


def _version_tuple(v: str) -> Tuple[int, int]:
    parts = v.split("+")[0].split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (IndexError, ValueError):
        return 0, 0


_HAS_CUSTOM_OP = (_version_tuple(torch.__version__) >= (2, 4)
                  and hasattr(torch.library, "custom_op")
                  and hasattr(torch.library, "register_autograd"))
BACKEND: str = "custom_op" if _HAS_CUSTOM_OP else "autograd.Function"


# ---- tensors <-> arrays ----------------------------------------------------------------------

def _np(t: Tensor, what: str) -> np.ndarray:
    if not isinstance(t, Tensor):
        raise Error(f"gramconv.torch: {what} must be a torch.Tensor, not {type(t).__name__}")
    if t.device.type != "cpu":
        raise Error(f"gramconv.torch: {what} is on {t.device}; gramconv runs on the CPU "
                    "(move it with .cpu())")
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    elif not (t.dtype == torch.float32 or t.dtype == torch.float64):
        raise Error(f"gramconv.torch: {what} is {t.dtype}; the ops take floating-point tensors")
    if t.is_conj() or t.is_neg():
        t = t.resolve_conj().resolve_neg()
    return t.numpy()  # a view with the tensor's strides: gramconv takes them without a copy


def _out(a: np.ndarray, like: Tensor) -> Tensor:
    t = torch.from_numpy(a)
    return t if t.dtype == like.dtype else t.to(like.dtype)


def _gram_shape(x: Tensor) -> List[int]:
    if x.dim() == 2:
        return [x.shape[0], x.shape[0]]
    if x.dim() == 3:
        return [x.shape[0], x.shape[0]]
    if x.dim() == 4:
        return [x.shape[0], x.shape[1], x.shape[1]]
    raise Error(f"gram: input must be M x K, C x H x W or N x C x H x W, not {x.dim()}-D")


def _conv_out_size(n, k, s, p0, p1, d):
    return (n + p0 + p1 - d * (k - 1) - 1) // s + 1


def _conv_shape(x: Tensor, w: Tensor, stride: Sequence[int], padding: Sequence[int],
                same: bool, dilation: Sequence[int]) -> List[int]:
    if x.dim() not in (3, 4) or w.dim() != 4:
        raise Error("conv2d: input must be C x H x W or N x C x H x W and weight O x C/g x KH x KW")
    h, wd = x.shape[-2], x.shape[-1]
    kh, kw = w.shape[2], w.shape[3]
    if same:
        oh, ow = h, wd
    else:
        oh = _conv_out_size(h, kh, stride[0], padding[0], padding[0], dilation[0])
        ow = _conv_out_size(wd, kw, stride[1], padding[1], padding[1], dilation[1])
    return ([x.shape[0]] if x.dim() == 4 else []) + [w.shape[0], oh, ow]


def _pair(v, what: str) -> List[int]:
    if isinstance(v, int):
        return [v, v]
    v = list(v)
    if len(v) != 2:
        raise Error(f"conv2d: {what} must be an int or a pair (height, width), not {v!r}")
    return [int(v[0]), int(v[1])]


# ---- the computations (shared by both backends) ------------------------------------------------

def _gram_impl(x: Tensor, norm: str, center: bool, scale: float) -> Tensor:
    return _out(_gc.gram(_np(x, "x"), norm=norm, center=center, scale=scale), x)


def _gram_backward_impl(x: Tensor, grad_g: Tensor, norm: str, center: bool,
                        scale: float) -> Tensor:
    return _out(_gc.gram_backward(_np(x, "x"), _np(grad_g, "grad_g"), norm=norm, center=center,
                                  scale=scale), x)


def _style_loss_impl(x: Tensor, target: Tensor, weight: float, norm: str, center: bool,
                     scale: float, want_grad: bool) -> Tuple[Tensor, Tensor]:
    loss, g = _gc.style_loss(_np(x, "x"), _np(target, "target_g"), weight=weight, norm=norm,
                             center=center, scale=scale, grad=want_grad)
    lt = torch.tensor(loss, dtype=x.dtype)
    return lt, (_out(g, x) if g is not None else x.new_zeros(x.shape))


def _conv2d_impl(x: Tensor, w: Tensor, b: Optional[Tensor], stride: Sequence[int],
                 padding: Sequence[int], same: bool, dilation: Sequence[int], groups: int,
                 padding_mode: str) -> Tensor:
    return _out(_gc.conv2d(_np(x, "x"), _np(w, "weight"), None if b is None else _np(b, "bias"),
                           stride=list(stride), padding="same" if same else list(padding),
                           dilation=list(dilation), groups=groups, padding_mode=padding_mode), x)


def _conv2d_backward_impl(grad_out: Tensor, x: Tensor, w: Tensor, with_bias: bool,
                          stride: Sequence[int], padding: Sequence[int], same: bool,
                          dilation: Sequence[int], groups: int, padding_mode: str,
                          mask: Sequence[bool]) -> Tuple[Tensor, Tensor, Tensor]:
    gi, gw, gb = _gc.conv2d_backward(
        _np(x, "x"), _np(w, "weight"), _np(grad_out, "grad_output"), bias=with_bias,
        stride=list(stride), padding="same" if same else list(padding), dilation=list(dilation),
        groups=groups, padding_mode=padding_mode, output_mask=list(mask))
    # Every output is a tensor (custom ops return no None): zeros where not asked for.
    return (_out(gi, x) if gi is not None else x.new_zeros(x.shape),
            _out(gw, w) if gw is not None else w.new_zeros(w.shape),
            _out(gb, w) if gb is not None else w.new_zeros(w.shape[:1]))


# ---- PyTorch >= 2.4: custom operators -----------------------------------------------------------

if _HAS_CUSTOM_OP:
    @torch.library.custom_op("gramconv::gram", mutates_args=(), device_types="cpu")
    def _gram_op(x: Tensor, norm: str, center: bool, scale: float) -> Tensor:
        return _gram_impl(x, norm, center, scale)

    @_gram_op.register_fake
    def _(x, norm, center, scale):
        return x.new_empty(_gram_shape(x))

    @torch.library.custom_op("gramconv::gram_backward", mutates_args=(), device_types="cpu")
    def _gram_backward_op(x: Tensor, grad_g: Tensor, norm: str, center: bool,
                          scale: float) -> Tensor:
        return _gram_backward_impl(x, grad_g, norm, center, scale)

    @_gram_backward_op.register_fake
    def _(x, grad_g, norm, center, scale):
        return torch.empty_like(x, memory_format=torch.contiguous_format)

    def _gram_setup(ctx, inputs, output):
        x, norm, center, scale = inputs
        ctx.save_for_backward(x)
        ctx.opts = (norm, center, scale)

    def _gram_bwd(ctx, grad):
        (x,) = ctx.saved_tensors
        return _gram_backward_op(x, grad, *ctx.opts), None, None, None

    _gram_op.register_autograd(_gram_bwd, setup_context=_gram_setup)

    # style_loss: the fused call gives the loss and dloss/dx at once; the op returns both and
    # the public function hands out the loss (backward scales the saved gradient).
    @torch.library.custom_op("gramconv::style_loss", mutates_args=(), device_types="cpu")
    def _style_loss_op(x: Tensor, target: Tensor, weight: float, norm: str, center: bool,
                       scale: float, want_grad: bool) -> Tuple[Tensor, Tensor]:
        return _style_loss_impl(x, target, weight, norm, center, scale, want_grad)

    @_style_loss_op.register_fake
    def _(x, target, weight, norm, center, scale, want_grad):
        return x.new_empty(()), torch.empty_like(x, memory_format=torch.contiguous_format)

    def _style_setup(ctx, inputs, output):
        x, target, weight, norm, center, scale, want_grad = inputs
        ctx.save_for_backward(x, target, output[1])
        ctx.opts = (weight, norm, center, scale)

    def _style_bwd(ctx, grad_loss, _grad_gx):
        x, target, gx = ctx.saved_tensors
        weight, norm, center, scale = ctx.opts
        gt = None
        if ctx.needs_input_grad[1]:
            g = _gram_op(x, norm, center, scale)
            gt = (g - target) * (-2.0 * weight / target.numel()) * grad_loss
        return gx * grad_loss, gt, None, None, None, None, None

    _style_loss_op.register_autograd(_style_bwd, setup_context=_style_setup)

    @torch.library.custom_op("gramconv::conv2d", mutates_args=(), device_types="cpu")
    def _conv2d_op(x: Tensor, weight: Tensor, bias: Optional[Tensor], stride: List[int],
                   padding: List[int], same: bool, dilation: List[int], groups: int,
                   padding_mode: str) -> Tensor:
        return _conv2d_impl(x, weight, bias, stride, padding, same, dilation, groups,
                            padding_mode)

    @_conv2d_op.register_fake
    def _(x, weight, bias, stride, padding, same, dilation, groups, padding_mode):
        return x.new_empty(_conv_shape(x, weight, stride, padding, same, dilation))

    @torch.library.custom_op("gramconv::conv2d_backward", mutates_args=(), device_types="cpu")
    def _conv2d_backward_op(grad_out: Tensor, x: Tensor, weight: Tensor, with_bias: bool,
                            stride: List[int], padding: List[int], same: bool,
                            dilation: List[int], groups: int, padding_mode: str,
                            mask: List[bool]) -> Tuple[Tensor, Tensor, Tensor]:
        return _conv2d_backward_impl(grad_out, x, weight, with_bias, stride, padding, same,
                                     dilation, groups, padding_mode, mask)

    @_conv2d_backward_op.register_fake
    def _(grad_out, x, weight, with_bias, stride, padding, same, dilation, groups, padding_mode,
          mask):
        return (torch.empty_like(x, memory_format=torch.contiguous_format),
                torch.empty_like(weight, memory_format=torch.contiguous_format),
                weight.new_empty(weight.shape[:1]))

    def _conv_setup(ctx, inputs, output):
        x, weight, bias, stride, padding, same, dilation, groups, padding_mode = inputs
        ctx.save_for_backward(x, weight)
        ctx.with_bias = bias is not None
        ctx.geom = (stride, padding, same, dilation, groups, padding_mode)

    def _conv_bwd(ctx, grad):
        x, weight = ctx.saved_tensors
        nig = ctx.needs_input_grad
        mask = [bool(nig[0]), bool(nig[1]), bool(ctx.with_bias and nig[2])]
        gi, gw, gb = _conv2d_backward_op(grad, x, weight, ctx.with_bias, *ctx.geom, mask)
        return (gi if mask[0] else None, gw if mask[1] else None, gb if mask[2] else None,
                None, None, None, None, None, None)

    _conv2d_op.register_autograd(_conv_bwd, setup_context=_conv_setup)

    def _gram_call(x, norm, center, scale):
        return _gram_op(x, norm, center, scale)

    def _gram_backward_call(x, grad_g, norm, center, scale):
        return _gram_backward_op(x, grad_g, norm, center, scale)

    def _style_loss_call(x, target, weight, norm, center, scale):
        want = torch.is_grad_enabled() and (x.requires_grad or target.requires_grad)
        return _style_loss_op(x, target, weight, norm, center, scale, want)[0]

    def _conv2d_call(x, weight, bias, stride, padding, same, dilation, groups, padding_mode):
        return _conv2d_op(x, weight, bias, stride, padding, same, dilation, groups, padding_mode)

    OPS = {"gram": _gram_op, "gram_backward": _gram_backward_op, "style_loss": _style_loss_op,
           "conv2d": _conv2d_op, "conv2d_backward": _conv2d_backward_op}

# ---- older PyTorch: autograd.Function ----------------------------------------------------------

else:
    from torch.autograd.function import once_differentiable

    class _GramFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, norm, center, scale):
            ctx.save_for_backward(x)
            ctx.opts = (norm, center, scale)
            return _gram_impl(x, norm, center, scale)

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            gx = _gram_backward_impl(x, grad, *ctx.opts) if ctx.needs_input_grad[0] else None
            return gx, None, None, None

    class _StyleLossFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, target, weight, norm, center, scale):
            want = ctx.needs_input_grad[0]
            loss, gx = _style_loss_impl(x, target, weight, norm, center, scale, want)
            ctx.save_for_backward(x, target, gx)
            ctx.opts = (weight, norm, center, scale)
            return loss

        @staticmethod
        @once_differentiable
        def backward(ctx, grad_loss):
            x, target, gx = ctx.saved_tensors
            weight, norm, center, scale = ctx.opts
            gt = None
            if ctx.needs_input_grad[1]:
                g = _gram_impl(x, norm, center, scale)
                gt = (g - target) * (-2.0 * weight / target.numel()) * grad_loss
            return (gx * grad_loss if ctx.needs_input_grad[0] else None), gt, None, None, None, None

    class _Conv2dFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight, bias, stride, padding, same, dilation, groups, padding_mode):
            ctx.save_for_backward(x, weight)
            ctx.with_bias = bias is not None
            ctx.geom = (stride, padding, same, dilation, groups, padding_mode)
            return _conv2d_impl(x, weight, bias, stride, padding, same, dilation, groups,
                                padding_mode)

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            x, weight = ctx.saved_tensors
            nig = ctx.needs_input_grad
            mask = [bool(nig[0]), bool(nig[1]), bool(ctx.with_bias and nig[2])]
            gi, gw, gb = _conv2d_backward_impl(grad, x, weight, ctx.with_bias, *ctx.geom, mask)
            return (gi if mask[0] else None, gw if mask[1] else None, gb if mask[2] else None,
                    None, None, None, None, None, None)

    def _gram_call(x, norm, center, scale):
        return _GramFn.apply(x, norm, center, scale)

    def _gram_backward_call(x, grad_g, norm, center, scale):
        return _gram_backward_impl(x, grad_g, norm, center, scale)

    def _style_loss_call(x, target, weight, norm, center, scale):
        return _StyleLossFn.apply(x, target, weight, norm, center, scale)

    def _conv2d_call(x, weight, bias, stride, padding, same, dilation, groups, padding_mode):
        return _Conv2dFn.apply(x, weight, bias, stride, padding, same, dilation, groups,
                               padding_mode)

    OPS = {}


# ---- the public functions ----------------------------------------------------------------------

def gram(x: Tensor, norm: str = "hw", center: bool = False, scale: float = 1.0) -> Tensor:
    """Gram matrix of ``x`` (M x K -> M x M, C x H x W -> C x C, N x C x H x W -> N x C x C)
    as :func:`gramconv.gram`, differentiable."""
    return _gram_call(x, str(norm), bool(center), float(scale))


def gram_backward(x: Tensor, grad_g: Tensor, norm: str = "hw", center: bool = False,
                  scale: float = 1.0) -> Tensor:
    """dL/dx of :func:`gram` given dL/dG (no autograd of its own)."""
    return _gram_backward_call(x, grad_g, str(norm), bool(center), float(scale))


def style_loss(x: Tensor, target_g: Tensor, weight: float = 1.0, norm: str = "hw",
               center: bool = False, scale: float = 1.0) -> Tensor:
    """``weight * mean((gram(x) - target_g)^2)`` as a 0-d tensor, its gradient computed in the
    same fused call as the loss."""
    return _style_loss_call(x, target_g, float(weight), str(norm), bool(center), float(scale))


def conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
           stride: Union[int, Sequence[int]] = 1, padding: Union[int, Sequence[int], str] = 0,
           dilation: Union[int, Sequence[int]] = 1, groups: int = 1,
           padding_mode: str = "zeros") -> Tensor:
    """``torch.nn.functional.conv2d`` (plus ``Conv2d``'s ``padding_mode``) through gramconv."""
    same = False
    if isinstance(padding, str):
        if padding.lower() == "same":
            same, pad = True, [0, 0]
        elif padding.lower() == "valid":
            pad = [0, 0]
        else:
            raise Error(f"conv2d: padding must be an int, a pair, 'same' or 'valid', not {padding!r}")
    else:
        pad = _pair(padding, "padding")
    return _conv2d_call(x, weight, bias, _pair(stride, "stride"), pad, same,
                        _pair(dilation, "dilation"), int(groups), str(padding_mode))


class GramMatrix(torch.nn.Module):
    """``forward(x) = gram(x)``: the Gram of feature maps (N x C x H x W -> N x C x C)."""

    def __init__(self, norm: str = "hw", center: bool = False, scale: float = 1.0):
        super().__init__()
        self.norm, self.center, self.scale = norm, center, scale

    def forward(self, x: Tensor) -> Tensor:
        return gram(x, self.norm, self.center, self.scale)

    def extra_repr(self) -> str:
        return f"norm={self.norm!r}, center={self.center}, scale={self.scale}"


class StyleLoss(torch.nn.Module):
    """A transparent layer for style networks (as in PyTorch's neural-style tutorial):
    ``forward(x)`` stores ``self.loss = style_loss(x, target, weight)`` and returns ``x``.
    The target is the Gram of ``target_feature`` (computed once, detached), or ``target_gram``
    given directly."""

    def __init__(self, target_feature: Optional[Tensor] = None, weight: float = 1.0,
                 norm: str = "hw", center: bool = False, scale: float = 1.0,
                 target_gram: Optional[Tensor] = None):
        super().__init__()
        if (target_feature is None) == (target_gram is None):
            raise Error("StyleLoss: give target_feature or target_gram (one of them)")
        self.weight, self.norm, self.center, self.scale = weight, norm, center, scale
        if target_gram is None:
            with torch.no_grad():
                target_gram = gram(target_feature, norm, center, scale)
        self.register_buffer("target", target_gram.detach().clone())
        self.loss: Tensor = torch.zeros(())

    def forward(self, x: Tensor) -> Tensor:
        self.loss = style_loss(x, self.target, self.weight, self.norm, self.center, self.scale)
        return x

    def extra_repr(self) -> str:
        return f"weight={self.weight}, norm={self.norm!r}, center={self.center}"
