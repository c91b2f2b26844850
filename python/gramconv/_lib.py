"""The shared library, loaded with ctypes: structures, signatures, per-thread contexts and
errors. Nothing here needs Python's headers, so one wheel serves every Python 3.

The library is looked up in this order: the file named by the GRAMCONV_LIBRARY environment
variable; libgramconv.so (.dylib, .dll) installed beside this file by the wheel."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int, c_int64, c_size_t,
                    c_uint32, c_uint64, c_void_p)
from typing import Optional

MAX_RANK = 8
SYNTH_MAX_LAYERS = 32

# gc_status values
OK = 0
ERR_NULL, ERR_ARG, ERR_RANK, ERR_SHAPE, ERR_DTYPE, ERR_ALIAS, ERR_OVERFLOW, ERR_NOMEM = range(1, 9)
ERR_LIMIT, ERR_EMPTY, ERR_LAYOUT, ERR_IO, ERR_FORMAT, ERR_UNSUPPORTED, ERR_THREAD = range(9, 16)
ERR_INTERNAL = 16

DTYPE_F32 = 1
DTYPE_F64 = 2


class Error(ValueError):
    """A gramconv call failed. ``str(e)`` is the library's one-line message; ``e.status`` is
    the gc_status number and ``e.status_name`` its name (e.g. ``"GC_ERR_SHAPE"``)."""

    def __init__(self, message: str, status: int = ERR_ARG):
        super().__init__(message)
        self.status = status
        self.status_name = _status_name(status)


# ---- structures (mirrors of include/gramconv.h; tests/test_layout.py checks them) ----------

class Allocator(Structure):
    _fields_ = [("alloc", c_void_p), ("free", c_void_p), ("user", c_void_p)]


class Tensor(Structure):
    _fields_ = [("dtype", c_int), ("rank", c_int), ("dims", c_int64 * MAX_RANK),
                ("strides", c_int64 * MAX_RANK), ("data", c_void_p), ("owned_", c_void_p),
                ("alloc_", Allocator)]


class CorrDesc(Structure):
    _fields_ = [("kind", c_int), ("spatial_dims", c_int), ("mode", c_int), ("method", c_int),
                ("boundary", c_int), ("fill_value", c_double)]


class GramDesc(Structure):
    _fields_ = [("norm", c_int), ("scale", c_double), ("center", c_int), ("precision", c_int)]


class Conv2dDesc(Structure):
    _fields_ = [("stride", c_int64 * 2), ("pad", c_int64 * 2), ("dilation", c_int64 * 2),
                ("groups", c_int64), ("padding_mode", c_int), ("same_padding", c_int),
                ("algo", c_int), ("precision", c_int)]


class ImageReadOpts(Structure):
    _fields_ = [("channels", c_int), ("max_pixels", c_int64)]


class ImageWriteOpts(Structure):
    _fields_ = [("format", c_int), ("quality", c_int), ("bit_depth", c_int)]


class SynthRandomDesc(Structure):
    _fields_ = [("nscales", c_int), ("sizes", c_int64 * SYNTH_MAX_LAYERS), ("filters", c_int64),
                ("channels", c_int64), ("seed", c_uint64), ("center", c_double * 4),
                ("zero_mean", c_int)]


class SynthProgress(Structure):
    _fields_ = [("iter", c_int64), ("iters", c_int64), ("loss", c_double),
                ("initial_loss", c_double), ("seconds", c_double), ("image", POINTER(Tensor))]


SYNTH_PROGRESS_FN = CFUNCTYPE(c_int, POINTER(SynthProgress), c_void_p)


class SynthDesc(Structure):
    _fields_ = [("height", c_int64), ("width", c_int64), ("style_layers", c_uint32),
                ("content_layer", c_int), ("style_weight", c_double), ("content_weight", c_double),
                ("tv_weight", c_double), ("iters", c_int64), ("optimizer", c_int),
                ("learning_rate", c_double), ("lbfgs_history", c_int),
                ("progress", SYNTH_PROGRESS_FN), ("progress_user", c_void_p),
                ("spectrum_weight", c_double), ("pyramid", c_int), ("match_histogram", c_int),
                ("init", c_int), ("loss", c_int)]


class SynthStats(Structure):
    _fields_ = [("iters", c_int64), ("evals", c_int64), ("initial_loss", c_double),
                ("final_loss", c_double), ("seconds", c_double)]


class SynthStyleDesc(Structure):
    _fields_ = [("styles", POINTER(Tensor)), ("weights", POINTER(c_double)), ("nstyles", c_int),
                ("colors", c_int)]


class TextureScoreDesc(Structure):
    _fields_ = [("patch", c_int), ("directions", c_int), ("max_descriptors", c_int64),
                ("min_level_size", c_int), ("spectrum_window", c_int), ("max_windows", c_int64),
                ("seed", c_uint64)]


class TextureScoreOut(Structure):
    _fields_ = [("swd", c_double), ("swd_noise", c_double), ("swd_rel", c_double),
                ("spectrum", c_double), ("spectrum_noise", c_double), ("spectrum_rel", c_double),
                ("levels", c_int)]


# ---- loading -------------------------------------------------------------------------------

def _candidates() -> list:
    env = os.environ.get("GRAMCONV_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.platform == "darwin":
        names = ["libgramconv.dylib"]
    elif sys.platform == "win32":
        names = ["gramconv.dll", "libgramconv.dll"]
    else:
        names = ["libgramconv.so"]
    return [os.path.join(here, n) for n in names]


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            try:
                return ctypes.CDLL(path)
            except OSError as e:
                raise ImportError(f"gramconv: cannot load the library {path}: {e}") from None
        tried.append(path)
    raise ImportError("gramconv: the shared library was not found (looked for "
                      + ", ".join(tried) + "); install the package with `pip install .` or set "
                      "GRAMCONV_LIBRARY to a built libgramconv.so")


lib = _load()
LIBRARY_PATH: str = lib._name

_T = POINTER(Tensor)
_CTX = c_void_p
_ST = c_int


def _sig(name: str, restype, *argtypes, optional: bool = False):
    fn = getattr(lib, name, None)
    if fn is None:
        if optional:
            return None
        raise ImportError(f"gramconv: {LIBRARY_PATH} has no {name} (a library older than "
                          "this package?)")
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


gc_version = _sig("gc_version", c_char_p)
gc_status_str = _sig("gc_status_str", c_char_p, c_int)
gc_context_create = _sig("gc_context_create", _ST, POINTER(c_void_p))
gc_context_free = _sig("gc_context_free", None, _CTX)
gc_context_set_threads = _sig("gc_context_set_threads", _ST, _CTX, c_int)
gc_context_threads = _sig("gc_context_threads", c_int, _CTX)
gc_context_last_error = _sig("gc_context_last_error", c_char_p, _CTX)
gc_context_set_max_pixels = _sig("gc_context_set_max_pixels", _ST, _CTX, c_int64)
gc_isa_detect = _sig("gc_isa_detect", c_int)
gc_isa_name = _sig("gc_isa_name", c_char_p, c_int)
gc_fft_available = _sig("gc_fft_available", c_int)
gc_image_supported = _sig("gc_image_supported", c_int, c_int)

gc_tensor_wrap = _sig("gc_tensor_wrap", _ST, _T, c_int, c_int, POINTER(c_int64), POINTER(c_int64),
                      c_void_p)
gc_tensor_free = _sig("gc_tensor_free", None, _T)

gc_corr_shape = _sig("gc_corr_shape", _ST, _CTX, POINTER(CorrDesc), _T, _T, POINTER(c_int),
                     POINTER(c_int64))
gc_corr = _sig("gc_corr", _ST, _CTX, POINTER(CorrDesc), _T, _T, _T)

gc_gram_shape = _sig("gc_gram_shape", _ST, _CTX, POINTER(GramDesc), _T, POINTER(c_int),
                     POINTER(c_int64))
gc_gram_forward = _sig("gc_gram_forward", _ST, _CTX, POINTER(GramDesc), _T, _T)
gc_gram_backward = _sig("gc_gram_backward", _ST, _CTX, POINTER(GramDesc), _T, _T, _T)
gc_gram_style_loss = _sig("gc_gram_style_loss", _ST, _CTX, POINTER(GramDesc), _T, _T, c_double,
                          POINTER(c_double), _T, _T)

gc_conv2d_shape = _sig("gc_conv2d_shape", _ST, _CTX, POINTER(Conv2dDesc), _T, _T, POINTER(c_int),
                       POINTER(c_int64))
gc_conv2d_workspace_size = _sig("gc_conv2d_workspace_size", _ST, _CTX, POINTER(Conv2dDesc), _T, _T,
                                c_int, POINTER(c_size_t))
gc_conv2d_forward = _sig("gc_conv2d_forward", _ST, _CTX, POINTER(Conv2dDesc), _T, _T, _T, _T,
                         c_void_p, c_size_t)
gc_conv2d_backward_input = _sig("gc_conv2d_backward_input", _ST, _CTX, POINTER(Conv2dDesc), _T, _T,
                                _T, c_void_p, c_size_t)
gc_conv2d_backward_weight = _sig("gc_conv2d_backward_weight", _ST, _CTX, POINTER(Conv2dDesc), _T,
                                 _T, c_double, _T, _T, c_void_p, c_size_t)

gc_image_read = _sig("gc_image_read", _ST, _CTX, c_char_p, POINTER(ImageReadOpts), _T)
gc_image_write = _sig("gc_image_write", _ST, _CTX, c_char_p, _T, POINTER(ImageWriteOpts))
gc_image_resize = _sig("gc_image_resize", _ST, _CTX, _T, c_int, _T)

gc_synth_random_desc_default = _sig("gc_synth_random_desc_default", SynthRandomDesc)
gc_synth_net_create_random = _sig("gc_synth_net_create_random", _ST, _CTX, POINTER(SynthRandomDesc),
                                  c_int, POINTER(c_void_p))
gc_synth_net_load_vgg19 = _sig("gc_synth_net_load_vgg19", _ST, _CTX, c_char_p, c_int, c_int,
                               POINTER(c_void_p))
gc_synth_net_free = _sig("gc_synth_net_free", None, c_void_p)
gc_synth_net_layer_count = _sig("gc_synth_net_layer_count", c_int, c_void_p)
gc_synth_net_layer_name = _sig("gc_synth_net_layer_name", c_char_p, c_void_p, c_int)
gc_synth_net_layer_find = _sig("gc_synth_net_layer_find", c_int, c_void_p, c_char_p)
gc_synth_desc_default = _sig("gc_synth_desc_default", SynthDesc)
gc_synth_create = _sig("gc_synth_create", _ST, _CTX, c_void_p, POINTER(SynthDesc), POINTER(c_void_p))
gc_synth_free = _sig("gc_synth_free", None, c_void_p)
gc_synth_add_style_image = _sig("gc_synth_add_style_image", _ST, _CTX, c_void_p, _T, c_double)
gc_synth_set_content = _sig("gc_synth_set_content", _ST, _CTX, c_void_p, _T)
gc_synth_run = _sig("gc_synth_run", _ST, _CTX, c_void_p, _T, POINTER(SynthStats))
gc_synth_noise = _sig("gc_synth_noise", _ST, _T, c_uint64)
gc_synth_start = _sig("gc_synth_start", _ST, _T, c_int, POINTER(c_double), c_uint64)
gc_synth_match_histogram = _sig("gc_synth_match_histogram", _ST, _CTX, _T, _T)
gc_synth_random_desc_center = _sig("gc_synth_random_desc_center", _ST, _CTX,
                                   POINTER(SynthRandomDesc), _T)
gc_synth_texture = _sig("gc_synth_texture", _ST, _CTX, c_void_p, _T, POINTER(SynthDesc), c_uint64,
                        _T, POINTER(SynthStats))
gc_synth_style = _sig("gc_synth_style", _ST, _CTX, c_void_p, _T, POINTER(SynthStyleDesc),
                      POINTER(SynthDesc), _T, POINTER(SynthStats))

gc_texture_score_desc_default = _sig("gc_texture_score_desc_default", TextureScoreDesc)
gc_texture_score_compute = _sig("gc_texture_score_compute", _ST, _CTX, POINTER(TextureScoreDesc),
                                _T, _T, POINTER(TextureScoreOut))


def _status_name(status: int) -> str:
    try:
        s = gc_status_str(int(status))
    except Exception:  # pragma: no cover - only while the interpreter shuts down
        return f"status {status}"
    return s.decode("utf-8", "replace").split(":", 1)[0] if s else f"status {status}"


# ---- contexts: one per Python thread --------------------------------------------------------

class _Context:
    """A gc_context owned by one Python thread (the library wants one context per thread)."""

    __slots__ = ("ptr", "threads_gen", "fork_gen", "_free")

    def __init__(self):
        p = c_void_p()
        st = gc_context_create(ctypes.byref(p))
        if st != OK or not p.value:
            raise Error("cannot create a gramconv context (out of memory?)", st or ERR_NOMEM)
        self.ptr = p.value
        self.threads_gen = -1
        self.fork_gen = _fork_gen
        self._free = gc_context_free

    def __del__(self):
        if self.ptr:
            try:
                self._free(self.ptr)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass
            self.ptr = None


_local = threading.local()
_settings_lock = threading.Lock()
_num_threads = 0      # 0: the library's default (GC_NUM_THREADS, else all cores)
_threads_gen = 0
_fork_gen = 0         # bumped in a forked child: contexts made before the fork are left alone


def _after_fork_in_child() -> None:
    # A context's worker threads do not exist in a forked child; freeing it there would wait
    # for them. The child's calls get new contexts; the old ones are dropped unfreed.
    global _fork_gen
    _fork_gen += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def ctx() -> int:
    """The calling thread's gc_context pointer, with the current thread count applied."""
    c = getattr(_local, "c", None)
    if c is not None and c.fork_gen != _fork_gen:
        c.ptr = None   # made before a fork: not used, not freed
        c = None
    if c is None:
        c = _local.c = _Context()
    if c.threads_gen != _threads_gen:
        gen, n = _threads_gen, _num_threads
        st = gc_context_set_threads(c.ptr, n)
        if st != OK:
            raise Error(last_error(c.ptr) or "cannot set the thread count", st)
        c.threads_gen = gen
    return c.ptr


def set_num_threads(n: int) -> None:
    global _num_threads, _threads_gen
    n = int(n)
    if n < 0 or n > 1024:
        raise Error(f"set_num_threads: the count must be 0 (all cores) .. 1024, not {n}", ERR_ARG)
    with _settings_lock:
        _num_threads = n
        _threads_gen += 1


def get_num_threads() -> int:
    return int(gc_context_threads(ctx()))


def last_error(c: Optional[int]) -> str:
    s = gc_context_last_error(c)
    return s.decode("utf-8", "replace") if s else ""


def check(st: int, c: Optional[int], what: str = "") -> None:
    """Raise Error with the library's message for a failed status."""
    if st != OK:
        msg = last_error(c) if c else ""
        if not msg:
            name = gc_status_str(st)
            msg = (what + ": " if what else "") + (name.decode() if name else f"status {st}")
        raise Error(msg, st)


def version() -> str:
    v = gc_version()
    return v.decode() if v else "0"
