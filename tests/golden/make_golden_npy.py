#!/usr/bin/env python3
"""Writes the tests/golden/npy_*.npy files that tests/test_npy.c reads (needs numpy; the test
suite itself does not). Every array comes from a formula the C test recomputes:
    values(n, scale, offset) = np.arange(n) * scale + offset
Run from anywhere: python3 tests/golden/make_golden_npy.py
"""
import os

import numpy as np
from numpy.lib import format as npf

HERE = os.path.dirname(os.path.abspath(__file__))


def values(n, scale, offset, dtype):
    return (np.arange(n, dtype=np.float64) * scale + offset).astype(dtype)


def save(name, arr, version=None):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        npf.write_array(f, arr, version=version, allow_pickle=True)


def main():
    # little-endian C order, version 1.0: the base of the truncation sweep
    save("npy_le_f4.npy", values(6, 0.5, -1.0, "<f4").reshape(2, 3))
    # big-endian
    save("npy_be_f4.npy", values(12, 0.5, -2.0, ">f4").reshape(3, 4))
    save("npy_be_f8.npy", values(12, 0.25, -1.0, ">f8").reshape(2, 3, 2))
    # Fortran order (the file holds the transpose's bytes)
    save("npy_fortran_f4.npy", np.asfortranarray(values(12, 0.5, 0.0, "<f4").reshape(3, 4)))
    save("npy_fortran_be_f8.npy",
         np.asfortranarray(values(24, 0.125, 0.0, ">f8").reshape(2, 3, 4)))
    # format versions 2.0 and 3.0
    save("npy_v2_f8.npy", values(5, 0.5, 1.0, "<f8"), version=(2, 0))
    save("npy_v3_f4.npy", values(4, 0.5, 0.0, "<f4").reshape(2, 2), version=(3, 0))
    # rank 0 and a zero-size dimension
    save("npy_scalar_f8.npy", np.array(2.5, dtype="<f8"))
    save("npy_empty_f4.npy", np.zeros((0, 3), dtype="<f4"))
    # dtypes gramconv refuses
    save("npy_i4.npy", np.arange(4, dtype="<i4"))
    save("npy_b1.npy", np.array([True, False]))
    save("npy_c8.npy", np.arange(3, dtype="<c8"))
    save("npy_obj.npy", np.array([1, "a"], dtype=object))
    save("npy_struct.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))


if __name__ == "__main__":
    main()
