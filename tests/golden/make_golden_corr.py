#!/usr/bin/env python3
"""Writes the SciPy golden files for 'same' mode used by tests/test_corr.c.

Run from the repository root: python3 tests/golden/make_golden_corr.py
Needs numpy and scipy (the test suite itself does not)."""
import os
import numpy as np
from scipy import signal

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2024)
x = rng.standard_normal((7, 8))
np.save(os.path.join(here, "corr_same_in.npy"), x)
for name, shape in [("k33", (3, 3)), ("k24", (2, 4)), ("k43", (4, 3)), ("k910", (9, 10))]:
    k = rng.standard_normal(shape)
    np.save(os.path.join(here, f"corr_same_{name}.npy"), k)
    np.save(os.path.join(here, f"corr_same_xcorr_{name}.npy"), signal.correlate2d(x, k, mode="same"))
    np.save(os.path.join(here, f"corr_same_conv_{name}.npy"), signal.convolve2d(x, k, mode="same"))
