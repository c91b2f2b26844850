"""Threads: the same results at 1 and 2 threads, and the GIL released during computations
(two Python threads overlap)."""

import os
import threading
import time

import numpy as np
import pytest

import gramconv


def test_set_get_num_threads():
    gramconv.set_num_threads(1)
    assert gramconv.get_num_threads() == 1
    gramconv.set_num_threads(3)
    assert gramconv.get_num_threads() == 3
    # the setting reaches contexts of other Python threads too
    seen = []
    t = threading.Thread(target=lambda: seen.append(gramconv.get_num_threads()))
    t.start()
    t.join()
    assert seen == [3]


def _runs(fn, counts=(1, 2)):
    out = []
    for n in counts:
        gramconv.set_num_threads(n)
        out.append(fn())
    return out


def test_results_identical_for_1_and_2_threads(rng):
    x = rng.standard_normal((3, 61, 77)).astype(np.float32)
    k = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    a, b = _runs(lambda: gramconv.xcorr2(x, k, mode="S"))
    np.testing.assert_array_equal(a, b)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    a, b = _runs(lambda: gramconv.conv2d(x[None], w, padding=1))
    np.testing.assert_array_equal(a, b)
    # Gram of a batch (one item per thread) and of a large M: the same sums at any count
    f = rng.standard_normal((4, 16, 40, 40)).astype(np.float32)
    a, b = _runs(lambda: gramconv.gram(f))
    np.testing.assert_array_equal(a, b)
    a, b = _runs(lambda: gramconv.gram_backward(f, np.ones((4, 16, 16), np.float32)))
    np.testing.assert_array_equal(a, b)
    s = rng.random((24, 24, 3)).astype(np.float32)
    a, b = _runs(lambda: gramconv.texture(s, iters=3, seed=5))
    np.testing.assert_array_equal(a, b)


def test_gram_split_over_threads_is_reproducible(rng):
    """One item with a long K is split over threads: each count gives its own bits (rounding
    only between counts), always the same for the same count."""
    f = rng.standard_normal((32, 200, 200)).astype(np.float32)
    a1, a2 = _runs(lambda: gramconv.gram(f))
    b1, b2 = _runs(lambda: gramconv.gram(f))
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    np.testing.assert_allclose(a1, a2, rtol=0, atol=1e-6 * np.abs(a1).max())


def _long_call(op, rng):
    """A call of ~0.1-0.5 s at one library thread (long enough on a fast, idle AVX-512 core:
    the conv2d of batch 1 took 19 ms on an idle Zen 3, under the 20 ms this test needs)."""
    if op == "gram":
        x = rng.standard_normal((384, 256, 256)).astype(np.float32)
        return lambda: gramconv.gram(x)
    if op == "xcorr2":
        x = rng.standard_normal((3000, 3000)).astype(np.float32)
        k = rng.standard_normal((15, 15)).astype(np.float32)
        return lambda: gramconv.xcorr2(x, k, method="direct")
    x = rng.standard_normal((8, 64, 128, 128)).astype(np.float32)
    w = rng.standard_normal((128, 64, 3, 3)).astype(np.float32)
    return lambda: gramconv.conv2d(x, w, padding=1)


def _python_ran_during_call(call):
    """One try: a worker thread makes the call while this thread reads the clock in a loop;
    True if a reading falls in the middle 80 % of the call's interval. Holding the GIL, the
    call would let this thread run only in the microseconds before and after the C call."""
    span = {}
    started = threading.Event()

    def worker():
        started.set()
        t0 = time.perf_counter()
        call()
        span["t"] = (t0, time.perf_counter())

    th = threading.Thread(target=worker)
    ticks = []
    th.start()
    started.wait()
    while th.is_alive():
        ticks.append(time.perf_counter())
    th.join()
    t0, t1 = span["t"]
    assert t1 - t0 > 0.02, "the call was too short to tell"
    lo, hi = t0 + 0.1 * (t1 - t0), t1 - 0.1 * (t1 - t0)
    return any(lo < t < hi for t in ticks)


@pytest.mark.parametrize("op", ["gram", "xcorr2", "conv2d"])
def test_gil_released(rng, op):
    """While one thread is inside a gramconv call, another Python thread keeps running
    Python code. (Up to 3 tries: on a loaded machine this thread may get no core for most of
    one call; with the GIL held no try could pass.)"""
    gramconv.set_num_threads(1)
    call = _long_call(op, rng)
    call()  # warm-up (plans, pools)
    assert any(_python_ran_during_call(call) for _ in range(3)), \
        "no Python ran during the call: the GIL was held"


def test_two_threads_calling_gram_overlap(rng):
    """Two Python threads inside gramconv at the same time: their calls' intervals, measured
    inside the calls by a third thread's observation, overlap."""
    gramconv.set_num_threads(1)
    call = _long_call("gram", rng)
    call()
    inside = [0, 0]
    both = []
    barrier = threading.Barrier(3)

    def worker(i):
        barrier.wait()
        inside[i] = 1
        call()
        inside[i] = 0

    ths = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in ths:
        t.start()
    barrier.wait()
    while any(t.is_alive() for t in ths):
        both.append(inside[0] and inside[1])
        time.sleep(0.001)
    for t in ths:
        t.join()
    # (holding the GIL, the calls could only be seen together in the instants before them)
    assert sum(both) >= 5, f"the two calls were seen together {sum(both)} times"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_forked_child_gets_its_own_context(rng):
    """After a fork (multiprocessing's default on Linux) the child's calls work, on threads of
    their own: the parent's context, whose workers do not exist in the child, is not used."""
    x = rng.standard_normal((64, 80, 80)).astype(np.float32)
    gramconv.set_num_threads(2)
    want = gramconv.gram(x)   # the parent's context has started its workers
    pid = os.fork()
    if pid == 0:   # the child: exit code 0 if the result matches
        code = 1
        try:
            code = 0 if np.array_equal(gramconv.gram(x), want) else 3
        finally:
            os._exit(code)
    deadline = time.time() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung in gramconv")
        time.sleep(0.01)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
