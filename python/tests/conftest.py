"""Shared fixtures of the Python suite. Run it against a build with
GRAMCONV_LIBRARY=build/libgramconv.so PYTHONPATH=python (ctest does), or against the installed
package with plain `pytest python/tests`."""

import numpy as np
import pytest

import gramconv


@pytest.fixture(autouse=True)
def _default_threads():
    """Every test starts and ends with the default thread count."""
    gramconv.set_num_threads(0)
    yield
    gramconv.set_num_threads(0)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def close(a, b, dtype, scale=1.0):
    """assert_allclose with a tolerance for the dtype, relative to the reference's size."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    tol = (2e-5 if np.dtype(dtype) == np.float32 else 1e-12) * scale
    ref = max(float(np.abs(b).max()) if b.size else 0.0, 1.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * ref)
