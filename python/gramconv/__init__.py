"""gramconv from Python: Torch7's correlations, Gram matrices, conv2d and texture / style
synthesis on NumPy arrays, computed by the gramconv C library (loaded with ctypes).

    >>> import gramconv
    >>> gramconv.xcorr2([[1, 5], [3, 4]], [[5, 6], [7, 8]])
    array([[88.]])
    >>> gramconv.conv2([[1, 5], [3, 4]], [[5, 6], [7, 8]])
    array([[81.]])

Arrays
  * float32 and float64 are computed in their own dtype. Other dtypes are converted first:
    float16 -> float32; integers and bool -> float64 (NumPy's default float); longdouble ->
    float64. Complex, object and string arrays raise :class:`Error`. Operands of one call that
    mix float32 and float64 are all computed in float64 (as the CLI does).
  * Strided and transposed views (any non-negative strides in whole elements) go to the
    library as they are, without a copy; negative strides, unaligned data or a foreign byte
    order are copied first.
  * Results are new C-contiguous arrays, or written into ``out=`` (the result's shape and
    dtype, any non-negative strides, not overlapping an input) where a function takes it.

Errors raise :class:`gramconv.Error` (a ``ValueError``) whose text is the library's one-line
message; ``e.status_name`` names the gc_status.

Threads: :func:`set_num_threads` (default: all cores, or ``GC_NUM_THREADS``). Every call
releases the GIL, so Python threads calling gramconv run in parallel; results are bitwise
reproducible for a given thread count.

PyTorch ops with autograd are in :mod:`gramconv.torch` (imported on its own, when PyTorch is
installed).
"""

from ._lib import Error, LIBRARY_PATH, version as _version
from ._core import (Progress, TextureScore, conv2, conv2d, conv2d_backward, conv3, get_num_threads, gram,
                    gram_backward, imread, imwrite, set_num_threads, style, style_loss, texture,
                    texture_score, xcorr2, xcorr3)

__version__: str = _version()

__all__ = [
    "Error", "Progress", "TextureScore", "LIBRARY_PATH", "__version__",
    "xcorr2", "conv2", "xcorr3", "conv3",
    "gram", "gram_backward", "style_loss",
    "conv2d", "conv2d_backward",
    "texture", "style", "texture_score", "imread", "imwrite",
    "set_num_threads", "get_num_threads",
]
