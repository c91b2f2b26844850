"""The NumPy API: every function takes array-likes, converts them as documented in
``gramconv.__doc__`` and calls the C library through ctypes (which releases the GIL for the
whole call)."""

from __future__ import annotations

import ctypes
import math
import os
import signal
import struct
import threading
from ctypes import byref, c_double, c_int, c_int64, c_size_t, c_void_p
from typing import (Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple, Union)

import numpy as np

from . import _lib as L
from ._lib import Error

ArrayLike = Any  # numpy.typing.ArrayLike where NumPy has it; kept loose for old NumPy
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Pair = Union[int, Sequence[int]]

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_GC_DTYPE = {_F32: L.DTYPE_F32, _F64: L.DTYPE_F64}


# ---- arrays ----------------------------------------------------------------------------------

def _float_dtype(dt: np.dtype, op: str, what: str) -> np.dtype:
    """float32 and float64 stay; float16 -> float32; other real floats (longdouble) ->
    float64; integers and bool -> float64 (NumPy's default float, as np.mean gives)."""
    if dt == _F32 or dt == _F64:
        return dt
    k = dt.kind
    if k == "f":
        return _F32 if dt.itemsize <= 4 else _F64
    if k in "iub":
        return _F64
    raise Error(f"{op}: {what} has dtype {dt}, which gramconv does not take (float32, float64, "
                "or integers / bool / float16, converted)", L.ERR_DTYPE)


def _array(x: ArrayLike, op: str, what: str) -> np.ndarray:
    if isinstance(x, np.ndarray):
        dt = x.dtype
        if dt is _F64 or dt is _F32:   # the common case, decided without dtype comparisons
            return x
        a = x
    else:
        try:
            a = np.asarray(x)
        except (ValueError, TypeError) as e:
            raise Error(f"{op}: {what} is not an array ({e})", L.ERR_ARG) from None
    dt = _float_dtype(a.dtype, op, what)
    if a.dtype != dt or not a.dtype.isnative:
        a = a.astype(dt.newbyteorder("="))
    return a


def _common(arrays: Sequence[np.ndarray]) -> Sequence[np.ndarray]:
    """A mixed float32/float64 set is computed in float64 (as the CLI does)."""
    first = arrays[0].dtype
    for a in arrays:
        if a.dtype != first:
            return [a.astype(_F64) if a.dtype == _F32 else a for a in arrays]
    return arrays


# gc_tensor packed in one go (dtype, rank, dims[8], strides[8], data, owned_, allocator):
# cheaper than setting the ctypes fields one by one; tests/test_layout.py checks the layout.
_TENSOR = struct.Struct("=ii8q8q5Q")
_ZEROS = (0,) * L.MAX_RANK
assert _TENSOR.size == ctypes.sizeof(L.Tensor)


def _usable_strides(a: np.ndarray) -> bool:
    isz = a.itemsize
    if a.ctypes.data % isz:
        return False
    for s in a.strides:
        if s < 0 or s % isz:
            return False
    return True


def _wrap(a: np.ndarray, op: str, what: str) -> L.Tensor:
    """A gc_tensor view of `a` (no copy when its strides suit the C API: non-negative, whole
    elements). Filled here rather than by gc_tensor_wrap (a call fewer per operand): an
    ndarray already has what gc_tensor_wrap checks (dims >= 0, a byte extent that fits)."""
    shape = a.shape
    nd = len(shape)
    if nd > L.MAX_RANK:
        raise Error(f"{op}: {what} has {nd} dimensions (at most {L.MAX_RANK})", L.ERR_RANK)
    isz = a.itemsize
    data = a.ctypes.data
    strides = []
    for s in a.strides:
        if s < 0 or s % isz:
            raise _Copy()
        strides.append(s // isz)
    if data % isz:
        raise _Copy()
    pad = _ZEROS[nd:]
    t = L.Tensor()
    _TENSOR.pack_into(t, 0, _GC_DTYPE[a.dtype], nd, *shape, *pad, *strides, *pad, data, 0, 0, 0, 0)
    return t


class _Copy(Exception):
    pass


def _view(a: np.ndarray, op: str, what: str) -> Tuple[np.ndarray, L.Tensor]:
    """(array kept alive for the call, its gc_tensor): `a` itself, or a C-contiguous copy
    when its strides are negative or not whole elements."""
    try:
        return a, _wrap(a, op, what)
    except _Copy:
        c = np.ascontiguousarray(a)
        return c, _wrap(c, op, what)


def _inputs(op: str, **named: ArrayLike) -> Tuple[list, list]:
    """The named operands as arrays of one float dtype (kept alive by the caller for the
    call) and their gc_tensor views."""
    names = list(named)
    arrays = _common([_array(v, op, k) for k, v in named.items()])
    keep, ts = [], []
    for i, a in enumerate(arrays):
        try:
            t = _wrap(a, op, names[i])
        except _Copy:
            a = np.ascontiguousarray(a)
            t = _wrap(a, op, names[i])
        keep.append(a)
        ts.append(t)
    return keep, ts


def _output(out: Optional[np.ndarray], shape: Tuple[int, ...], dtype: np.dtype, op: str,
            what: str = "out") -> Tuple[np.ndarray, L.Tensor]:
    if out is None:
        try:
            o = np.empty(shape, dtype)
        except (MemoryError, ValueError):
            n = float(np.prod(np.array(shape, dtype=np.float64))) * np.dtype(dtype).itemsize
            raise Error(f"{op}: cannot allocate the {what} of shape {tuple(shape)} "
                        f"({n / 2**30:.3g} GiB)", L.ERR_NOMEM) from None
        return o, _wrap(o, op, what)
    if not isinstance(out, np.ndarray):
        raise Error(f"{op}: {what} must be a numpy.ndarray", L.ERR_ARG)
    if out.dtype != dtype or not out.dtype.isnative:
        raise Error(f"{op}: {what} is {out.dtype} but the result is {dtype}", L.ERR_DTYPE)
    if tuple(out.shape) != tuple(shape):
        raise Error(f"{op}: {what} has shape {tuple(out.shape)}, the result {tuple(shape)}",
                    L.ERR_SHAPE)
    if not out.flags.writeable:
        raise Error(f"{op}: {what} is read-only", L.ERR_ARG)
    if not _usable_strides(out):
        raise Error(f"{op}: {what} has negative or unaligned strides, which gramconv cannot "
                    "write", L.ERR_LAYOUT)
    return out, _wrap(out, op, what)


def _dims(rank: ctypes.c_int, dims) -> Tuple[int, ...]:
    return tuple(dims[i] for i in range(rank.value))


def _real(v: Any, op: str, what: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise Error(f"{op}: {what} must be a number, not {v!r}", L.ERR_ARG) from None


def _int(v: Any, op: str, what: str) -> int:
    try:
        i = int(v)
        if i != v:
            raise ValueError
        return i
    except (TypeError, ValueError, OverflowError):
        raise Error(f"{op}: {what} must be an integer, not {v!r}", L.ERR_ARG) from None


def _choice(v: Any, table: Dict[str, int], op: str, what: str) -> int:
    key = v.lower() if isinstance(v, str) else None
    if key not in table:
        names = ", ".join(sorted({k for k in table if not k.isdigit()}))
        raise Error(f"{op}: {what} must be one of {names}, not {v!r}", L.ERR_ARG)
    return table[key]


# ---- threads, version --------------------------------------------------------------------

def set_num_threads(n: int) -> None:
    """Threads every later call uses, from every Python thread (each has its own pool):
    1..1024, or 0 for the default (GC_NUM_THREADS in the environment, else all cores).
    Results are bitwise reproducible for a given count."""
    L.set_num_threads(_int(n, "set_num_threads", "n"))


def get_num_threads() -> int:
    """The thread count calls run with now (the default resolved)."""
    return L.get_num_threads()


# ---- correlation and convolution ----------------------------------------------------------

_MODES = {"v": 0, "valid": 0, "f": 1, "full": 1, "s": 2, "same": 2}
_METHODS = {"auto": 0, "direct": 1, "fft": 2}
_BOUNDARIES = {"fill": 0, "wrap": 1, "symm": 2, "reflect": 3, "replicate": 4}


_corr_descs: Dict[tuple, "L.CorrDesc"] = {}


def _corr_desc(op: str, kind: int, sd: int, mode: str, method: str, boundary: str,
               fill_value: float) -> "L.CorrDesc":
    """The descriptor, made once per set of options (read-only once made)."""
    try:
        key = (op, mode, method, boundary, fill_value)
        d = _corr_descs.get(key)
    except TypeError:  # unhashable option: validated (and refused) below
        key, d = None, None
    if d is None:
        d = L.CorrDesc(kind, sd, _choice(mode, _MODES, op, "mode"),
                       _choice(method, _METHODS, op, "method"),
                       _choice(boundary, _BOUNDARIES, op, "boundary"),
                       _real(fill_value, op, "fill_value"))
        if key is not None and len(_corr_descs) < 256:
            _corr_descs[key] = d
    return d


# The small-call path: input, kernel and output described in one buffer by one pack_into and
# passed by address (gc_corr with untyped pointer arguments); about half the Python work of
# the general path, which it leaves every case but plain float arrays of one dtype.
_TENSOR3 = struct.Struct("=" + "ii8q8q5Q" * 3)
_gc_corr_addr = L.lib["gc_corr"]   # a second function object, its own argument types
_gc_corr_addr.restype = c_int
_gc_corr_addr.argtypes = [c_void_p] * 5


def _corr_small(c: int, op: str, desc, sd: int, a: np.ndarray, k: np.ndarray,
                dt: np.dtype) -> Optional[np.ndarray]:
    sa, sk = a.strides, k.strides
    isz = dt.itemsize
    na, nk = len(sa), len(sk)
    if na > 4 or nk > 4:
        return None
    for s in sa + sk:
        if s < 0 or s % isz:
            return None
    pa, pk = a.ctypes.data, k.ctypes.data
    if pa % isz or pk % isz:
        return None
    shape = _corr_out_shape(a.shape, k.shape, sd, desc.mode)
    if shape is None:
        return None
    try:
        o = np.empty(shape, dt)
    except (MemoryError, ValueError):
        return None   # the general path says so with an Error
    no = len(shape)
    code = _GC_DTYPE[dt]
    buf = ctypes.create_string_buffer(_TENSOR3.size)
    z = _ZEROS
    so = o.strides
    _TENSOR3.pack_into(buf, 0,
                       code, na, *a.shape, *z[na:], *[s // isz for s in sa], *z[na:], pa, 0, 0, 0, 0,
                       code, nk, *k.shape, *z[nk:], *[s // isz for s in sk], *z[nk:], pk, 0, 0, 0, 0,
                       code, no, *shape, *z[no:], *[s // isz for s in so], *z[no:], o.ctypes.data,
                       0, 0, 0, 0)
    b = ctypes.addressof(buf)
    n = _TENSOR.size
    L.check(_gc_corr_addr(c, ctypes.addressof(desc), b, b + n, b + 2 * n), c, op)
    return o


def _corr(op: str, kind: int, sd: int, input: ArrayLike, kernel: ArrayLike, mode: str,
          method: str, boundary: str, fill_value: float, out: Optional[np.ndarray]) -> np.ndarray:
    c = L.ctx()
    desc = _corr_desc(op, kind, sd, mode, method, boundary, fill_value)
    if out is None and type(input) is np.ndarray and type(kernel) is np.ndarray:
        dt = input.dtype
        if (dt is _F64 or dt is _F32) and kernel.dtype is dt:
            r = _corr_small(c, op, desc, sd, input, kernel, dt)
            if r is not None:
                return r
    keep, (ti, tk) = _inputs(op, input=input, kernel=kernel)
    shape = _corr_out_shape(keep[0].shape, keep[1].shape, sd, desc.mode)
    if shape is None:   # not a pairing the shortcut knows: the library says what is wrong
        rank, dims = c_int(), (c_int64 * L.MAX_RANK)()
        L.check(L.gc_corr_shape(c, byref(desc), byref(ti), byref(tk), byref(rank), dims), c, op)
        shape = _dims(rank, dims)
    o, to = _output(out, shape, keep[0].dtype, op)
    # gc_corr checks everything gc_corr_shape does, the output's shape included
    L.check(L.gc_corr(c, byref(desc), byref(ti), byref(tk), byref(to)), c, op)
    return o


def _corr_out_shape(s: Tuple[int, ...], k: Tuple[int, ...], sd: int,
                    mode: int) -> Optional[Tuple[int, ...]]:
    """The output shape for a valid rank pairing with non-empty sizes (the README's table),
    else None (then gc_corr_shape finds the error). Saves a library call on small inputs."""
    ni, nk = len(s), len(k)
    if ni == sd and nk == sd:
        lead: Tuple[int, ...] = ()
    elif ni == sd + 1 and nk == sd + 1 and s[0] == k[0]:
        lead = (s[0],)
    elif ni == sd + 1 and nk == sd + 2 and s[0] == k[1]:
        lead = (k[0],)
    else:
        return None
    out = []
    for n, kk in zip(s[-sd:], k[-sd:]):
        if n < 1 or kk < 1:
            return None
        o = n - kk + 1 if mode == 0 else (n + kk - 1 if mode == 1 else n)
        if o < 1:
            return None
        out.append(o)
    if 0 in lead:
        return None
    return lead + tuple(out)


def xcorr2(input: ArrayLike, kernel: ArrayLike, mode: str = "V", method: str = "auto",
           boundary: str = "fill", fill_value: float = 0.0,
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """Torch7's ``torch.xcorr2``: 2-D cross-correlation, ``out[y][x] = sum in[y+i][x+j] k[i][j]``.

    Ranks pair as ``H x W`` with ``KH x KW`` (one plane), ``P x H x W`` with ``P x KH x KW``
    (plane i with kernel i) or ``P x H x W`` with ``Q x P x KH x KW`` (output plane j summed
    over the input planes). ``mode``: ``"V"`` valid (default), ``"F"`` full or ``"S"`` same
    (also ``"valid"``, ``"full"``, ``"same"``, any case). ``method``: ``"auto"``, ``"direct"``
    or ``"fft"``. ``boundary`` (modes F and S): ``"fill"`` with ``fill_value``, ``"wrap"``,
    ``"symm"``, ``"reflect"`` or ``"replicate"``."""
    return _corr("xcorr2", 0, 2, input, kernel, mode, method, boundary, fill_value, out)


def conv2(input: ArrayLike, kernel: ArrayLike, mode: str = "V", method: str = "auto",
          boundary: str = "fill", fill_value: float = 0.0,
          out: Optional[np.ndarray] = None) -> np.ndarray:
    """Torch7's ``torch.conv2``: as :func:`xcorr2` with the kernel turned 180 degrees."""
    return _corr("conv2", 1, 2, input, kernel, mode, method, boundary, fill_value, out)


def xcorr3(input: ArrayLike, kernel: ArrayLike, mode: str = "V", method: str = "auto",
           boundary: str = "fill", fill_value: float = 0.0,
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """Torch7's ``torch.xcorr3``: :func:`xcorr2` over ``D x H x W`` volumes."""
    return _corr("xcorr3", 0, 3, input, kernel, mode, method, boundary, fill_value, out)


def conv3(input: ArrayLike, kernel: ArrayLike, mode: str = "V", method: str = "auto",
          boundary: str = "fill", fill_value: float = 0.0,
          out: Optional[np.ndarray] = None) -> np.ndarray:
    """Torch7's ``torch.conv3``: :func:`xcorr3` with the kernel turned 180 degrees in depth,
    height and width."""
    return _corr("conv3", 1, 3, input, kernel, mode, method, boundary, fill_value, out)


# ---- Gram matrices -------------------------------------------------------------------------

_NORMS = {"none": 0, "hw": 1, "chw": 2}
_PRECISIONS = {"default": 0, "bf16": 1}


def _gram_desc(op: str, norm: str, center: bool, scale: float, precision: str = "default"):
    return L.GramDesc(_choice(norm, _NORMS, op, "norm"), _real(scale, op, "scale"),
                      1 if center else 0, _choice(precision, _PRECISIONS, op, "precision"))


def _gram_shape(c: int, op: str, desc, tx) -> Tuple[int, ...]:
    rank, dims = c_int(), (c_int64 * L.MAX_RANK)()
    L.check(L.gc_gram_shape(c, byref(desc), byref(tx), byref(rank), dims), c, op)
    return _dims(rank, dims)


def gram(x: ArrayLike, norm: str = "hw", center: bool = False, scale: float = 1.0,
         precision: str = "default", out: Optional[np.ndarray] = None) -> np.ndarray:
    """Gram matrix ``G = norm * scale * F F^T``: ``M x K`` -> ``M x M``, ``C x H x W`` ->
    ``C x C``, ``N x C x H x W`` -> ``N x C x C``. ``norm``: ``"hw"`` divides by H*W (K),
    ``"chw"`` by C*H*W, ``"none"``. ``center`` subtracts each row's mean first.
    ``precision="bf16"`` rounds float32 inputs to bfloat16 (AVX512-BF16 CPUs only)."""
    op = "gram"
    c = L.ctx()
    desc = _gram_desc(op, norm, center, scale, precision)
    keep, (tx,) = _inputs(op, x=x)
    o, to = _output(out, _gram_shape(c, op, desc, tx), keep[0].dtype, op)
    L.check(L.gc_gram_forward(c, byref(desc), byref(tx), byref(to)), c, op)
    return o


def gram_backward(x: ArrayLike, grad_g: ArrayLike, norm: str = "hw", center: bool = False,
                  scale: float = 1.0, out: Optional[np.ndarray] = None) -> np.ndarray:
    """dL/dx given ``grad_g`` = dL/dG (G's shape; need not be symmetric):
    ``norm * scale * (dG + dG^T) Fc``, then minus its row means if ``center``."""
    op = "gram_backward"
    c = L.ctx()
    desc = _gram_desc(op, norm, center, scale)
    keep, (tx, tg) = _inputs(op, x=x, grad_g=grad_g)
    o, to = _output(out, keep[0].shape, keep[0].dtype, op)
    L.check(L.gc_gram_backward(c, byref(desc), byref(tx), byref(tg), byref(to)), c, op)
    return o


def style_loss(x: ArrayLike, target_g: ArrayLike, weight: float = 1.0, norm: str = "hw",
               center: bool = False, scale: float = 1.0,
               grad: bool = True) -> Tuple[float, Optional[np.ndarray]]:
    """Fused style loss: ``loss = weight * mean((G(x) - T)^2)`` and ``dloss/dx`` (None when
    ``grad`` is False), G as :func:`gram` with the same options, T = ``target_g``."""
    op = "style_loss"
    c = L.ctx()
    desc = _gram_desc(op, norm, center, scale)
    w = _real(weight, op, "weight")
    keep, (tx, tt) = _inputs(op, x=x, target_g=target_g)
    gshape = _gram_shape(c, op, desc, tx)
    ws, tws = _output(None, gshape, keep[0].dtype, op, "workspace")
    g, tg = (_output(None, keep[0].shape, keep[0].dtype, op) if grad else (None, None))
    loss = c_double()
    L.check(L.gc_gram_style_loss(c, byref(desc), byref(tx), byref(tt), w, byref(loss),
                                 byref(tg) if tg is not None else None, byref(tws)), c, op)
    return loss.value, g


# ---- conv2d ---------------------------------------------------------------------------------

# PyTorch's padding_mode names -> gc_boundary (FILL 0, WRAP 1, REFLECT 3, REPLICATE 4)
_PADDING_MODES = {"zeros": 0, "reflect": 3, "replicate": 4, "circular": 1}


def _pair(v: Pair, op: str, what: str) -> Tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        i = int(v)
        return i, i
    try:
        items = list(v)  # type: ignore[arg-type]
    except TypeError:
        raise Error(f"{op}: {what} must be an int or a pair of ints, not {v!r}", L.ERR_ARG) from None
    if len(items) != 2:
        raise Error(f"{op}: {what} must be an int or a pair (height, width), not {v!r}", L.ERR_ARG)
    return _int(items[0], op, what), _int(items[1], op, what)


def _conv_desc(op: str, stride: Pair, padding: Union[Pair, str], dilation: Pair, groups: int,
               padding_mode: str) -> "L.Conv2dDesc":
    d = L.Conv2dDesc()
    d.stride[:] = _pair(stride, op, "stride")
    d.dilation[:] = _pair(dilation, op, "dilation")
    if isinstance(padding, str):
        p = padding.lower()
        if p == "same":
            d.same_padding = 1
        elif p != "valid":
            raise Error(f"{op}: padding must be an int, a pair, 'same' or 'valid', not {padding!r}",
                        L.ERR_ARG)
    else:
        d.pad[:] = _pair(padding, op, "padding")
    d.groups = _int(groups, op, "groups")
    d.padding_mode = _choice(padding_mode, _PADDING_MODES, op, "padding_mode")
    for name, vals in (("stride", d.stride), ("dilation", d.dilation)):
        if vals[0] < 1 or vals[1] < 1:
            raise Error(f"{op}: {name} must be >= 1, not ({vals[0]}, {vals[1]})", L.ERR_ARG)
    if d.pad[0] < 0 or d.pad[1] < 0:
        raise Error(f"{op}: padding must be >= 0, not ({d.pad[0]}, {d.pad[1]})", L.ERR_ARG)
    if d.groups < 1:
        raise Error(f"{op}: groups must be >= 1, not {d.groups}", L.ERR_ARG)
    return d


_ws_local = threading.local()


def _workspace(nbytes: int) -> Tuple[Optional[int], int]:
    """This thread's 64-byte-aligned scratch of at least nbytes (kept for the next call)."""
    if nbytes <= 0:
        return None, 0
    buf = getattr(_ws_local, "buf", None)
    if buf is None or buf.nbytes < nbytes + 64:
        buf = np.empty(nbytes + 64, np.uint8)
        _ws_local.buf = buf
    addr = buf.ctypes.data
    return addr + (-addr) % 64, nbytes


def _conv_ws(c: int, desc, tx, tw, pass_: int, op: str) -> Tuple[Optional[int], int]:
    n = c_size_t()
    L.check(L.gc_conv2d_workspace_size(c, byref(desc), byref(tx), byref(tw), pass_, byref(n)), c, op)
    return _workspace(n.value)


def conv2d(x: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None, stride: Pair = 1,
           padding: Union[Pair, str] = 0, dilation: Pair = 1, groups: int = 1,
           padding_mode: str = "zeros", out: Optional[np.ndarray] = None) -> np.ndarray:
    """PyTorch's ``torch.nn.functional.conv2d`` (with ``Conv2d``'s ``padding_mode``):
    ``x`` N x C x H x W (or C x H x W), ``weight`` O x C/groups x KH x KW, ``bias`` O or None.
    Pairs are (height, width); ``padding`` may also be ``"same"`` or ``"valid"``."""
    op = "conv2d"
    c = L.ctx()
    desc = _conv_desc(op, stride, padding, dilation, groups, padding_mode)
    named = {"x": x, "weight": weight}
    if bias is not None:
        named["bias"] = bias
    keep, ts = _inputs(op, **named)
    tx, tw = ts[0], ts[1]
    tb = byref(ts[2]) if bias is not None else None
    rank, dims = c_int(), (c_int64 * L.MAX_RANK)()
    L.check(L.gc_conv2d_shape(c, byref(desc), byref(tx), byref(tw), byref(rank), dims), c, op)
    o, to = _output(out, _dims(rank, dims), keep[0].dtype, op)
    ws, nws = _conv_ws(c, desc, tx, tw, 0, op)
    L.check(L.gc_conv2d_forward(c, byref(desc), byref(tx), byref(tw), tb, byref(to), ws, nws), c, op)
    return o


def conv2d_backward(x: ArrayLike, weight: ArrayLike, grad_output: ArrayLike,
                    bias: Union[ArrayLike, bool, None] = None, stride: Pair = 1,
                    padding: Union[Pair, str] = 0, dilation: Pair = 1, groups: int = 1,
                    padding_mode: str = "zeros",
                    output_mask: Sequence[bool] = (True, True, True)
                    ) -> Tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
    """Gradients of :func:`conv2d` given ``grad_output`` = dL/d(output):
    ``(grad_input, grad_weight, grad_bias)``. ``grad_bias`` (grad_output summed over N, H, W)
    is computed when ``bias`` is given (an array, or True); its values are not used.
    ``output_mask`` skips any of the three (None in its place), as PyTorch's."""
    op = "conv2d_backward"
    c = L.ctx()
    desc = _conv_desc(op, stride, padding, dilation, groups, padding_mode)
    want = [bool(m) for m in output_mask]
    if len(want) != 3:
        raise Error(f"{op}: output_mask must have 3 entries", L.ERR_ARG)
    with_bias = bias is not None and bias is not False
    keep, (tx, tw, tgo) = _inputs(op, x=x, weight=weight, grad_output=grad_output)
    dt = keep[0].dtype
    # gc_conv2d_shape validates the whole geometry and says what grad_output must be.
    rank, dims = c_int(), (c_int64 * L.MAX_RANK)()
    L.check(L.gc_conv2d_shape(c, byref(desc), byref(tx), byref(tw), byref(rank), dims), c, op)
    if _dims(rank, dims) != keep[2].shape:
        raise Error(f"{op}: grad_output has shape {keep[2].shape}, the output {_dims(rank, dims)}",
                    L.ERR_SHAPE)
    gi = gw = gb = None
    if want[0]:
        gi, tgi = _output(None, keep[0].shape, dt, op, "grad_input")
        ws, nws = _conv_ws(c, desc, tx, tw, 1, op)
        L.check(L.gc_conv2d_backward_input(c, byref(desc), byref(tgo), byref(tw), byref(tgi), ws,
                                           nws), c, op)
    if want[1] or (want[2] and with_bias):
        gw = np.zeros(keep[1].shape, dt)
        tgw = _wrap(gw, op, "grad_weight")
        tgb = None
        if want[2] and with_bias:
            gb = np.zeros((keep[1].shape[0],), dt)
            tgb = _wrap(gb, op, "grad_bias")
        ws, nws = _conv_ws(c, desc, tx, tw, 2, op)
        L.check(L.gc_conv2d_backward_weight(c, byref(desc), byref(tx), byref(tgo), 1.0, byref(tgw),
                                            byref(tgb) if tgb is not None else None, ws, nws), c, op)
        if not want[1]:
            gw = None
    return gi, gw, gb


# ---- texture and style synthesis -------------------------------------------------------------

class Progress(NamedTuple):
    """What a ``progress`` callback of :func:`texture` / :func:`style` receives after every
    iteration; the callback returns True to stop early."""
    iter: int
    iters: int
    loss: float
    initial_loss: float
    seconds: float


_NOISE_MIX = 0x6A09E667F3BCC909  # the CLI's: the noise start's seed is the net seed mixed
_OPTIMIZERS = {"lbfgs": 0, "adam": 1}
_POOLS = {"max": 0, "avg": 1, "average": 1}


def _read_chw(path: PathLike, channels: int, max_pixels: Optional[int], op: str,
              what: str) -> np.ndarray:
    c = L.ctx()
    opts = L.ImageReadOpts(channels, _int(max_pixels or 0, op, "max_pixels"))
    t = L.Tensor()
    bpath = os.fsencode(path)
    st = L.gc_image_read(c, bpath, byref(opts), byref(t))
    if st != L.OK:
        raise Error(f"{op}: cannot read {what} '{os.fsdecode(bpath)}': {L.last_error(c)}", st)
    try:
        n = t.dims[0] * t.dims[1] * t.dims[2]
        buf = (ctypes.c_float * n).from_address(t.data)
        return np.frombuffer(buf, np.float32).reshape(t.dims[0], t.dims[1], t.dims[2]).copy()
    finally:
        L.gc_tensor_free(byref(t))


def imread(path: PathLike, channels: int = 0, max_pixels: Optional[int] = None) -> np.ndarray:
    """Read a PNG or JPEG as an H x W x C float32 array in [0, 1] (``gramconv image-to-npy``'s
    reading, channels last). ``channels``: 0 as stored, 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    ``max_pixels`` refuses larger images before decoding them (default 8192 x 8192)."""
    ch = _int(channels, "imread", "channels")
    if not 0 <= ch <= 4:
        raise Error(f"imread: channels must be 0..4, not {channels}", L.ERR_ARG)
    return np.ascontiguousarray(_read_chw(path, ch, max_pixels, "imread", "the image")
                                .transpose(1, 2, 0))


def imwrite(path: PathLike, image: ArrayLike, quality: int = 90, bit_depth: int = 8) -> None:
    """Write an H x W or H x W x C (C 1..4) image, float in [0, 1] (clamped) or uint8, as PNG
    or JPEG by the file's extension; written to a temporary name and renamed, so ``path`` is
    never left half-written."""
    op = "imwrite"
    a = np.asarray(image)
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / np.float32(255)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise Error(f"{op}: the image must be H x W or H x W x C, not {a.shape}", L.ERR_RANK)
    chw = _array(a, op, "image").transpose(2, 0, 1)   # a view: the library takes the strides
    keep, (t,) = _inputs(op, image=chw)
    opts = L.ImageWriteOpts(0, _int(quality, op, "quality"), _int(bit_depth, op, "bit_depth"))
    c = L.ctx()
    L.check(L.gc_image_write(c, os.fsencode(path), byref(t), byref(opts)), c, op)


def _image_chw(img: Union[ArrayLike, PathLike], op: str, what: str,
               max_pixels: Optional[int], channels: int = 3) -> np.ndarray:
    """A C x H x W float32 array in [0, 1] from an H x W (x C) array or an image file (read
    with `channels`: 3 RGB as the synthesis commands read, 0 as stored)."""
    if isinstance(img, (str, bytes, os.PathLike)):
        return _read_chw(img, channels, max_pixels, op, what)
    a = np.asarray(img)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or not 1 <= a.shape[2] <= 4:
        raise Error(f"{op}: {what} must be H x W or H x W x C with C in 1..4, not {a.shape}",
                    L.ERR_RANK)
    if a.dtype == np.uint8:
        f = a.astype(np.float32) / np.float32(255)
    elif a.dtype == np.uint16:
        f = a.astype(np.float32) / np.float32(65535)
    elif a.dtype.kind in "fb":
        f = a.astype(np.float32)
    else:
        raise Error(f"{op}: {what} has dtype {a.dtype}; images are uint8, uint16 or float in "
                    "[0, 1]", L.ERR_DTYPE)
    if not np.isfinite(f).all():
        raise Error(f"{op}: {what} has NaN or infinite values", L.ERR_ARG)
    return np.ascontiguousarray(f.transpose(2, 0, 1))


def _resize(chw: np.ndarray, h: int, w: int, op: str) -> np.ndarray:
    if (h, w) == chw.shape[1:]:
        return chw
    c = L.ctx()
    out = np.empty((chw.shape[0], h, w), np.float32)
    filt = 1 if h * w < chw.shape[1] * chw.shape[2] else 0  # area to shrink, bilinear to grow
    keep, (ts,) = _inputs(op, image=chw)
    _, to = _output(out, out.shape, out.dtype, op)
    L.check(L.gc_image_resize(c, byref(ts), filt, byref(to)), c, op)
    return out


def _resize_long_side(chw: np.ndarray, side: int, op: str) -> np.ndarray:
    h, w = chw.shape[1:]
    if h >= w:
        nh, nw = side, int(math.floor(w * side / h + 0.5))
    else:
        nw, nh = side, int(math.floor(h * side / w + 0.5))
    return _resize(chw, max(nh, 1), max(nw, 1), op)


class _Net:
    def __init__(self, op: str, net: Union[str, PathLike], layers: Optional[Sequence[Any]],
                 filters: Optional[int], pool: str, seed: int, channels: int,
                 center_on: Optional[np.ndarray] = None):
        c = L.ctx()
        self.ptr = c_void_p()
        self.style = 0
        if isinstance(net, str) and net == "random":
            rd = L.gc_synth_random_desc_default()
            rd.seed = seed
            rd.channels = channels
            if center_on is not None:   # the net centred on the sample's mean (the CLI's)
                L.check(L.gc_synth_random_desc_center(c, byref(rd),
                                                      byref(_view(center_on, op, "sample")[1])),
                        c, op)
            if filters is not None:
                rd.filters = _int(filters, op, "filters")
            if layers is not None:
                sizes = [_int(s, op, "layers (filter sizes)") for s in layers]
                if not 1 <= len(sizes) <= L.SYNTH_MAX_LAYERS:
                    raise Error(f"{op}: layers must list 1..{L.SYNTH_MAX_LAYERS} filter sizes",
                                L.ERR_ARG)
                rd.nscales = len(sizes)
                for i, s in enumerate(sizes):
                    rd.sizes[i] = s
            st = L.gc_synth_net_create_random(c, byref(rd), L.DTYPE_F32, byref(self.ptr))
            if st != L.OK:
                raise Error(f"{op}: random net: {L.last_error(c)}", st)
            return
        if filters is not None:
            raise Error(f"{op}: filters applies to net='random' only", L.ERR_ARG)
        path = os.fsencode(net)
        st = L.gc_synth_net_load_vgg19(c, path, _choice(pool, _POOLS, op, "pool"), L.DTYPE_F32,
                                       byref(self.ptr))
        if st != L.OK:
            raise Error(f"{op}: cannot load the network '{os.fsdecode(path)}': {L.last_error(c)}", st)
        for name in layers or ():
            i = L.gc_synth_net_layer_find(self.ptr, str(name).encode())
            if i < 0:
                raise Error(f"{op}: the network has no layer {name!r}", L.ERR_ARG)
            self.style |= 1 << i

    def layer(self, name: str, op: str) -> int:
        i = L.gc_synth_net_layer_find(self.ptr, str(name).encode())
        if i < 0:
            raise Error(f"{op}: the network has no layer {name!r}", L.ERR_ARG)
        return i

    def __del__(self):
        if getattr(self, "ptr", None):
            L.gc_synth_net_free(self.ptr)
            self.ptr = None


class _Synth:
    """gc_synth with a progress trampoline that forwards to a Python callable, stops on its
    True, and carries its exceptions (KeyboardInterrupt too) out of the run."""

    def __init__(self, op: str, net: _Net, desc: "L.SynthDesc",
                 progress: Optional[Callable[[Progress], Any]], create: bool = True):
        self.op = op
        self.user_fn = progress
        self.exc: Optional[BaseException] = None
        self.interrupted = False
        self.fn = L.SYNTH_PROGRESS_FN(self._tramp)  # kept alive as long as the run
        desc.progress = self.fn
        self.net = net
        self.ptr = c_void_p()
        if create:
            c = L.ctx()
            L.check(L.gc_synth_create(c, net.ptr, byref(desc), byref(self.ptr)), c, op)

    def call(self, fn: Callable[[], int]) -> int:
        """Run fn (the C run) with Ctrl-C turned into a stop: on the main thread, while the
        default SIGINT handler is in place, SIGINT only sets a flag, which the next progress
        call answers by stopping; KeyboardInterrupt is raised once the run has returned. (A
        KeyboardInterrupt raised inside the callback would be lost by ctypes.)"""
        self.interrupted = False
        swap = (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        if not swap:
            return fn()
        old = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            return fn()
        finally:
            signal.signal(signal.SIGINT, old)

    def _on_sigint(self, signum, frame) -> None:
        self.interrupted = True

    def finish(self, st: int) -> None:
        """After a run: the callback's exception first, then an interrupt, else the status."""
        if self.exc is not None:
            e, self.exc = self.exc, None
            raise e
        if getattr(self, "interrupted", False):
            raise KeyboardInterrupt
        L.check(st, L.ctx(), self.op)

    def _tramp(self, p, user) -> int:
        if self.interrupted:
            return 1
        try:
            if self.user_fn is not None:
                q = p.contents
                return 1 if self.user_fn(Progress(int(q.iter), int(q.iters), float(q.loss),
                                                  float(q.initial_loss), float(q.seconds))) else 0
            return 0
        except BaseException as e:  # noqa: B036 - re-raised after the run
            self.exc = e
            return 1

    def run(self, image: np.ndarray) -> Dict[str, float]:
        c = L.ctx()
        _, ti = _view(image, self.op, "image")
        stats = L.SynthStats()
        st = self.call(lambda: L.gc_synth_run(c, self.ptr, byref(ti), byref(stats)))
        self.finish(st)
        return _stats(stats)

    def __del__(self):
        if getattr(self, "ptr", None):
            L.gc_synth_free(self.ptr)
            self.ptr = None


def _stats(stats: "L.SynthStats") -> Dict[str, float]:
    return {"iters": int(stats.iters), "evals": int(stats.evals),
            "initial_loss": float(stats.initial_loss), "final_loss": float(stats.final_loss),
            "seconds": float(stats.seconds)}


def _synth_desc(op: str, iters: int, optimizer: str, lr: Optional[float]) -> "L.SynthDesc":
    d = L.gc_synth_desc_default()
    d.iters = _int(iters, op, "iters")
    if d.iters < 0:
        raise Error(f"{op}: iters must be >= 0, not {iters}", L.ERR_ARG)
    d.optimizer = _choice(optimizer, _OPTIMIZERS, op, "optimizer")
    d.learning_rate = _real(lr, op, "lr") if lr is not None else (0.02 if d.optimizer == 1 else 1.0)
    return d


def _as_result(hwc: np.ndarray, like_uint8: bool) -> np.ndarray:
    out = np.clip(hwc, 0.0, 1.0)
    if like_uint8:
        return np.ascontiguousarray((out * 255.0 + 0.5).astype(np.uint8))
    return np.ascontiguousarray(out, dtype=np.float32)


_INITS = {"noise": 0, "mean": 1}
_LOSSES = {"gram": 0, "swd": 1, "both": 2}


def texture(sample: Union[ArrayLike, PathLike], size: Optional[Tuple[int, int]] = None,
            iters: int = 200, seed: int = 0, optimizer: str = "lbfgs", lr: Optional[float] = None,
            net: Union[str, PathLike] = "random", layers: Optional[Sequence[Any]] = None,
            filters: Optional[int] = None, pool: str = "max", tv_weight: float = 0.0,
            spectrum: Optional[float] = None, pyramid: int = 0, histogram: bool = True,
            init: str = "noise", loss: str = "gram", max_pixels: Optional[int] = None,
            progress: Optional[Callable[[Progress], Any]] = None,
            return_stats: bool = False) -> Any:
    """Texture synthesis (``gramconv texture``): an image whose features match the sample's,
    from a seeded start. ``sample``: an H x W x C array (C 1..4; uint8, uint16 or float in
    [0, 1]) or an image file (read as RGB). ``size=(width, height)`` (default: the sample's).
    ``net="random"`` (centred on the sample's mean; ``layers``: odd filter sizes, ``filters``
    per size) or VGG-19 weights (``layers``: style layer names). The CLI's options and
    defaults: ``spectrum`` (the spectrum constraint's weight; default 1 where the library has
    FFTW, else 0), ``pyramid`` (coarse-to-fine levels; 0, the default: as many as keep the
    coarsest output's shorter side >= 128, so 1 at 128 x 128, 2 at 256 x 256), ``histogram`` (match the sample's
    colour histograms, on), ``init`` ("noise" or "mean"), ``loss`` ("gram", "swd" or
    "both"). Returns H x W x C: uint8 for a uint8 sample, else float32 in [0, 1]; with
    ``return_stats`` the pair (image, stats dict). The same seed and thread count give the
    CLI's image."""
    op = "texture"
    chw = _image_chw(sample, op, "the sample", max_pixels)
    like_uint8 = isinstance(sample, np.ndarray) and sample.dtype == np.uint8
    seed = _int(seed, op, "seed")
    if not 0 <= seed < 1 << 64:
        raise Error(f"{op}: seed must be 0 .. 2**64 - 1", L.ERR_ARG)
    if size is None:
        w, h = chw.shape[2], chw.shape[1]
    else:
        w, h = _pair(size, op, "size (width, height)")
    d = _synth_desc(op, iters, optimizer, lr)
    if spectrum is None:   # on by default where the build has FFTW; asked for, it must run
        spectrum = 1.0 if L.gc_fft_available() else 0.0
    d.spectrum_weight = _real(spectrum, op, "spectrum")
    d.loss = _choice(loss, _LOSSES, op, "loss")
    d.pyramid = _int(pyramid, op, "pyramid")
    d.match_histogram = 1 if histogram else 0
    d.init = _choice(init, _INITS, op, "init")
    n = _Net(op, net, layers, filters, pool, seed, chw.shape[0], center_on=chw)
    d.width, d.height = w, h
    d.style_layers = n.style
    d.content_layer = -1
    d.tv_weight = _real(tv_weight, op, "tv_weight")
    s = _Synth(op, n, d, progress, create=False)
    c = L.ctx()
    img = np.empty((chw.shape[0], h, w), np.float32)
    _, ts = _inputs(op, sample=chw)
    stats = L.SynthStats()
    timg = _wrap(img, op, "image")
    st = s.call(lambda: L.gc_synth_texture(c, n.ptr, byref(ts[0]), byref(d),
                                           (seed ^ _NOISE_MIX) & (2**64 - 1), byref(timg),
                                           byref(stats)))
    s.finish(st)
    res = _as_result(img.transpose(1, 2, 0), like_uint8)
    return (res, _stats(stats)) if return_stats else res


def style(content: Union[ArrayLike, PathLike], styles: Any,
          style_weights: Optional[Sequence[float]] = None, content_weight: float = 1.0,
          style_weight: float = 5.0, tv_weight: float = 0.0,
          init: Union[str, ArrayLike] = "content", original_colors: bool = False,
          image_size: Optional[int] = 256, style_scale: float = 1.0, optimizer: str = "lbfgs",
          lr: Optional[float] = None, iters: int = 200, seed: int = 0,
          net: Union[str, PathLike] = "random", layers: Optional[Sequence[Any]] = None,
          content_layer: Optional[str] = None, filters: Optional[int] = None, pool: str = "max",
          histogram: bool = False, pyramid: int = 1, loss: str = "gram",
          spectrum: float = 0.0, max_pixels: Optional[int] = None,
          progress: Optional[Callable[[Progress], Any]] = None,
          return_stats: bool = False) -> Any:
    """Style transfer (``gramconv style``, one library call): ``content``'s layout with the
    textures of ``styles`` (one image or a list, blended by ``style_weights``). Images as in
    :func:`texture`. The content is resized to ``image_size`` pixels on its longer side (None:
    kept), each style to ``style_scale`` times that. ``init``: ``"content"``, ``"random"``
    (seeded noise) or an image. The random net is centred on the content's mean.
    ``pyramid``: coarse-to-fine levels (1, the default: one scale; 0: automatic, as
    :func:`texture`'s); ``loss``: ``"gram"``, ``"swd"`` or ``"both"``; ``spectrum``: the
    spectrum constraint's weight (needs FFTW). ``histogram`` matches the result's colour
    histograms to the most-weighted style image's after each level; ``original_colors`` then
    keeps the content's colours (the result's luminance, BT.601; 3 channels). Returns
    H x W x C like :func:`texture`; the same options, seed and thread count give the CLI's
    image."""
    op = "style"
    like_uint8 = isinstance(content, np.ndarray) and content.dtype == np.uint8
    cont = _image_chw(content, op, "the content image", max_pixels)
    if image_size is not None:
        cont = _resize_long_side(cont, _int(image_size, op, "image_size"), op)
    if isinstance(styles, (str, bytes, os.PathLike, np.ndarray)):
        styles = [styles]
    styles = list(styles)
    if not styles:
        raise Error(f"{op}: no style image", L.ERR_ARG)
    ws = [1.0] * len(styles) if style_weights is None else [_real(v, op, "style_weights")
                                                           for v in style_weights]
    if len(ws) != len(styles):
        raise Error(f"{op}: style_weights has {len(ws)} values for {len(styles)} style images",
                    L.ERR_ARG)
    seed = _int(seed, op, "seed")
    if not 0 <= seed < 1 << 64:
        raise Error(f"{op}: seed must be 0 .. 2**64 - 1", L.ERR_ARG)
    d = _synth_desc(op, iters, optimizer, lr)
    n = _Net(op, net, layers, filters, pool, seed, cont.shape[0], center_on=cont)
    d.height, d.width = cont.shape[1], cont.shape[2]
    d.style_layers = n.style
    d.content_layer = n.layer(content_layer, op) if content_layer is not None else -2
    d.content_weight = _real(content_weight, op, "content_weight")
    d.style_weight = _real(style_weight, op, "style_weight")
    d.tv_weight = _real(tv_weight, op, "tv_weight")
    d.pyramid = _int(pyramid, op, "pyramid")
    d.loss = _choice(loss, _LOSSES, op, "loss")
    d.spectrum_weight = _real(spectrum, op, "spectrum")
    d.match_histogram = 1 if histogram else 0
    scale = _real(style_scale, op, "style_scale")
    if not scale > 0:
        raise Error(f"{op}: style_scale must be > 0", L.ERR_ARG)
    side = max(int(math.floor(scale * max(cont.shape[1], cont.shape[2]) + 0.5)), 1)
    sized = []
    for i, simg in enumerate(styles):
        sc = _resize_long_side(_image_chw(simg, op, f"style image {i}", max_pixels), side, op)
        if sc.shape[0] != cont.shape[0]:
            raise Error(f"{op}: style image {i} has {sc.shape[0]} channels, the content "
                        f"{cont.shape[0]}", L.ERR_SHAPE)
        sized.append(np.ascontiguousarray(sc, dtype=np.float32))
    if isinstance(init, str) and init == "content":
        img = cont.copy()
    elif isinstance(init, str) and init == "random":
        img = np.empty_like(cont)
        L.check(L.gc_synth_noise(byref(_wrap(img, op, "image")), (seed ^ _NOISE_MIX) & (2**64 - 1)),
                L.ctx(), op)
    elif isinstance(init, str):
        raise Error(f"{op}: init must be 'content', 'random' or an image, not {init!r}", L.ERR_ARG)
    else:
        img = np.ascontiguousarray(_resize(_image_chw(init, op, "the init image", max_pixels),
                                           cont.shape[1], cont.shape[2], op))
        if img.shape[0] != cont.shape[0]:
            raise Error(f"{op}: the init image has {img.shape[0]} channels, the content "
                        f"{cont.shape[0]}", L.ERR_SHAPE)
    img = np.ascontiguousarray(img, dtype=np.float32)
    tstyles = (L.Tensor * len(sized))(*[_wrap(a, op, f"style image {i}")
                                        for i, a in enumerate(sized)])
    tweights = (c_double * len(ws))(*ws)
    sd = L.SynthStyleDesc(tstyles, tweights, len(sized), 1 if original_colors else 0)
    s = _Synth(op, n, d, progress, create=False)
    c = L.ctx()
    keep, (tc,) = _inputs(op, content=cont)
    timg = _wrap(img, op, "image")
    stats = L.SynthStats()
    st = s.call(lambda: L.gc_synth_style(c, n.ptr, byref(tc), byref(sd), byref(d), byref(timg),
                                         byref(stats)))
    s.finish(st)
    res = _as_result(img.transpose(1, 2, 0), like_uint8)
    return (res, _stats(stats)) if return_stats else res


class TextureScore(NamedTuple):
    """:func:`texture_score`'s result: each distance raw, for noise of the candidate's size
    with the sample's per-channel mean and deviation, and their ratio (1: as far from the
    sample as that noise; a real piece of a texture scores about 0.1 - 0.3)."""
    swd: float
    swd_noise: float
    swd_rel: float
    spectrum: float
    spectrum_noise: float
    spectrum_rel: float
    levels: int


def texture_score(sample: Union[ArrayLike, PathLike], candidate: Union[ArrayLike, PathLike],
                  directions: int = 256, seed: int = 0, channels: int = 0,
                  max_pixels: Optional[int] = None) -> TextureScore:
    """How far ``candidate`` is from the texture ``sample`` (``gramconv texture-score``):
    the sliced Wasserstein distance between 7 x 7 neighbourhoods of their Laplacian pyramids
    (``swd``) and the RMS difference of their log power spectra (``spectrum``), no network.
    Images: H x W x C arrays (uint8, uint16 or float in [0, 1]) or image files (read with
    ``channels``: 0 as stored, 1 gray, 3 RGB, ...); both must have the same channels, each side
    at least 8. Deterministic for any thread count."""
    op = "texture_score"
    ch = _int(channels, op, "channels")
    if not 0 <= ch <= 4:
        raise Error(f"{op}: channels must be 0..4, not {channels}", L.ERR_ARG)
    a = _image_chw(sample, op, "the sample", max_pixels, ch)
    b = _image_chw(candidate, op, "the candidate", max_pixels, ch)
    d = L.gc_texture_score_desc_default()
    d.directions = _int(directions, op, "directions")
    seed = _int(seed, op, "seed")
    if not 0 <= seed < 1 << 64:
        raise Error(f"{op}: seed must be 0 .. 2**64 - 1", L.ERR_ARG)
    d.seed = seed
    keep, (ta, tb) = _inputs(op, sample=a, candidate=b)
    r = L.TextureScoreOut()
    c = L.ctx()
    L.check(L.gc_texture_score_compute(c, byref(d), byref(ta), byref(tb), byref(r)), c, op)
    return TextureScore(r.swd, r.swd_noise, r.swd_rel, r.spectrum, r.spectrum_noise,
                        r.spectrum_rel, int(r.levels))
