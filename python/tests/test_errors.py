"""Bad input raises gramconv.Error (a ValueError) with the library's one-line message; nothing
crashes the interpreter."""

import numpy as np
import pytest

import gramconv


def raises(fn, status, *fragments):
    with pytest.raises(gramconv.Error) as ei:
        fn()
    e = ei.value
    assert isinstance(e, ValueError)
    msg = str(e)
    assert msg and "\n" not in msg
    assert e.status_name == status, (e.status_name, msg)
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


def test_error_is_value_error():
    assert issubclass(gramconv.Error, ValueError)


def test_wrong_ndim():
    raises(lambda: gramconv.xcorr2(np.ones(5), np.ones(2)), "GC_ERR_RANK", "xcorr2")
    raises(lambda: gramconv.xcorr3(np.ones((4, 4)), np.ones((2, 2))), "GC_ERR_RANK", "xcorr3")
    raises(lambda: gramconv.gram(np.ones(5)), "GC_ERR_RANK", "gram")
    raises(lambda: gramconv.gram(np.ones((1,) * 9)), "GC_ERR_RANK", "at most 8")
    raises(lambda: gramconv.conv2d(np.ones((2, 3)), np.ones((1, 1, 1, 1))), "GC_ERR_RANK")


def test_mismatched_channels():
    raises(lambda: gramconv.xcorr2(np.ones((3, 5, 5)), np.ones((2, 2, 2))), "GC_ERR_SHAPE", "xcorr2")
    raises(lambda: gramconv.xcorr2(np.ones((3, 5, 5)), np.ones((4, 2, 2, 2))), "GC_ERR_SHAPE")
    raises(lambda: gramconv.conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 2, 3, 3))), "GC_ERR_SHAPE",
           "conv2d")
    raises(lambda: gramconv.gram_backward(np.ones((3, 4, 4)), np.ones((2, 2))), "GC_ERR_SHAPE")
    raises(lambda: gramconv.style_loss(np.ones((3, 4, 4)), np.ones((4, 4))), "GC_ERR_SHAPE")


def test_kernel_too_big_message_is_the_librarys():
    msg = raises(lambda: gramconv.xcorr2(np.ones((3, 3)), np.ones((4, 4))), "GC_ERR_SHAPE")
    assert msg == "xcorr2: kernel 4x4 is larger than input 3x3 in mode V (use F or S)"


def test_non_finite_where_refused():
    x = np.ones((4, 4))
    raises(lambda: gramconv.xcorr2(x, x[:2, :2], mode="F", fill_value=float("nan")),
           "GC_ERR_ARG", "finite")
    raises(lambda: gramconv.gram(x, scale=float("inf")), "GC_ERR_ARG", "finite")
    raises(lambda: gramconv.style_loss(x, np.ones((4, 4)), weight=float("nan")), "GC_ERR_ARG")
    raises(lambda: gramconv.texture(np.full((8, 8, 3), np.nan), iters=1), "GC_ERR_ARG",
           "NaN")


def test_wrong_dtype():
    raises(lambda: gramconv.xcorr2(np.ones((3, 3), complex), np.ones((2, 2))), "GC_ERR_DTYPE",
           "complex128")
    raises(lambda: gramconv.gram(np.array([["a", "b"]])), "GC_ERR_DTYPE")
    raises(lambda: gramconv.gram(np.array([[object()]])), "GC_ERR_DTYPE")
    raises(lambda: gramconv.gram([[1, 2], [3]]), "GC_ERR_ARG")   # ragged: not an array


def test_bad_options():
    x = np.ones((4, 4))
    raises(lambda: gramconv.xcorr2(x, x, mode="X"), "GC_ERR_ARG", "mode", "'X'")
    raises(lambda: gramconv.xcorr2(x, x, method="magic"), "GC_ERR_ARG", "method")
    raises(lambda: gramconv.xcorr2(x, x, boundary=3), "GC_ERR_ARG", "boundary")
    raises(lambda: gramconv.xcorr2(x, x, fill_value="a"), "GC_ERR_ARG", "fill_value")
    raises(lambda: gramconv.gram(x, norm="l2"), "GC_ERR_ARG", "norm")
    w = np.ones((1, 1, 2, 2))
    raises(lambda: gramconv.conv2d(x[None, None], w, stride=0), "GC_ERR_ARG", "stride")
    raises(lambda: gramconv.conv2d(x[None, None], w, stride=(1, 2, 3)), "GC_ERR_ARG", "stride")
    raises(lambda: gramconv.conv2d(x[None, None], w, padding=-1), "GC_ERR_ARG", "padding")
    raises(lambda: gramconv.conv2d(x[None, None], w, padding="half"), "GC_ERR_ARG", "padding")
    raises(lambda: gramconv.conv2d(x[None, None], w, padding_mode="mirror"), "GC_ERR_ARG")
    raises(lambda: gramconv.conv2d(x[None, None], np.ones((1, 1, 5, 5))), "GC_ERR_SHAPE")
    raises(lambda: gramconv.set_num_threads(-1), "GC_ERR_ARG")
    raises(lambda: gramconv.set_num_threads(5000), "GC_ERR_ARG")


def test_bad_out():
    x, k = np.ones((5, 5)), np.ones((2, 2))
    raises(lambda: gramconv.xcorr2(x, k, out=np.empty((3, 3))), "GC_ERR_SHAPE", "out")
    raises(lambda: gramconv.xcorr2(x, k, out=np.empty((4, 4), np.float32)), "GC_ERR_DTYPE")
    ro = np.empty((4, 4))
    ro.flags.writeable = False
    raises(lambda: gramconv.xcorr2(x, k, out=ro), "GC_ERR_ARG", "read-only")
    raises(lambda: gramconv.xcorr2(x, k, out=np.empty((4, 4))[::-1]), "GC_ERR_LAYOUT")
    raises(lambda: gramconv.xcorr2(x, k, out=[[0.0]]), "GC_ERR_ARG")
    # an out that overlaps an input is refused by the library
    buf = np.ones((5, 5))
    raises(lambda: gramconv.xcorr2(buf, k, out=buf[:4, :4]), "GC_ERR_ALIAS")
    # a broadcast (zero-stride) out cannot be written
    raises(lambda: gramconv.xcorr2(x, k, out=np.broadcast_to(np.empty(4), (4, 4))),
           "GC_ERR_ARG", "read-only")


def test_empty_and_huge_shapes():
    raises(lambda: gramconv.xcorr2(np.ones((0, 3)), np.ones((1, 1))), "GC_ERR_EMPTY")
    raises(lambda: gramconv.gram(np.ones((3, 0))), "GC_ERR_EMPTY")
    # a zero-stride view of 2^40 elements: taken without a copy, and its result (8 TiB) is
    # refused with an Error before any work
    big = np.lib.stride_tricks.as_strided(np.ones(1), shape=(2 ** 20, 2 ** 20), strides=(0, 0))
    raises(lambda: gramconv.xcorr2(big, np.ones((2, 2))), "GC_ERR_NOMEM", "cannot allocate")
    raises(lambda: gramconv.gram(big), "GC_ERR_NOMEM", "cannot allocate")


def test_texture_and_style_bad_input(tmp_path):
    raises(lambda: gramconv.texture(np.ones((8, 8, 7))), "GC_ERR_RANK", "texture")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3), np.int32)), "GC_ERR_DTYPE")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3)), optimizer="sgd"), "GC_ERR_ARG", "optimizer")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3)), layers=[4]), "GC_ERR_ARG", "random net")
    raises(lambda: gramconv.texture(str(tmp_path / "missing.png")), "GC_ERR_IO", "missing.png")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3)), seed=-1), "GC_ERR_ARG", "seed")
    raises(lambda: gramconv.style(np.ones((8, 8, 3)), []), "GC_ERR_ARG", "style")
    raises(lambda: gramconv.style(np.ones((8, 8, 3)), np.ones((8, 8, 1)), iters=1),
           "GC_ERR_SHAPE", "channels")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3)), init="zero"), "GC_ERR_ARG", "init")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3)), loss="l1"), "GC_ERR_ARG", "loss")
    raises(lambda: gramconv.texture(np.ones((8, 8, 3)), pyramid=-1, iters=1), "GC_ERR_ARG")
    rng = np.random.default_rng(1)
    tex = rng.random((32, 32, 3))
    raises(lambda: gramconv.texture_score(tex, np.ones((32, 32, 1))), "GC_ERR_SHAPE")
    raises(lambda: gramconv.texture_score(np.full((32, 32, 3), 0.5), tex), "GC_ERR_ARG")
    raises(lambda: gramconv.texture_score(tex, tex[:4]), "GC_ERR_SHAPE")
    raises(lambda: gramconv.texture_score(tex, tex, directions=0), "GC_ERR_ARG")
    raises(lambda: gramconv.texture_score(tex, tex, channels=5), "GC_ERR_ARG", "channels")
    # a bad synthesis setting is reported under the call that was made, not an inner one
    raises(lambda: gramconv.texture(tex, size=(0, 5), iters=1), "GC_ERR_SHAPE",
           "synth_texture: size 0 x 5")
    raises(lambda: gramconv.style(tex, tex, iters=1, tv_weight=-1.0), "GC_ERR_ARG",
           "synth_style: weights")
    raises(lambda: gramconv.style(tex, tex, iters=1, pyramid=9), "GC_ERR_ARG", "synth_style")
