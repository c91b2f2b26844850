"""Goldens for tests/test_nn.c: PyTorch's max_pool2d / avg_pool2d, whose ceil_mode, padding and
count_include_pad rules are Torch7's SpatialMaxPooling / SpatialAveragePooling ones (the window
clipped to the padded input; the last window dropped when it starts past input + pad).
Run from this directory: python3 nn_pool.py"""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(5)
x = rng.standard_normal((2, 3, 7, 8))
np.save("nn_pool_input.npy", x)
t = torch.from_numpy(x)
cases = {
    "nn_pool_max_k3s2p1_ceil": lambda: F.max_pool2d(t, 3, 2, 1, ceil_mode=True),
    "nn_pool_max_k2s2p0_ceil": lambda: F.max_pool2d(t, 2, 2, 0, ceil_mode=True),
    "nn_pool_max_k3x2s2x1p1x0": lambda: F.max_pool2d(t, (3, 2), (2, 1), (1, 0)),
    "nn_pool_avg_k3s2p1_ceil_inc": lambda: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True,
                                                        count_include_pad=True),
    "nn_pool_avg_k3s2p1_ceil_exc": lambda: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True,
                                                        count_include_pad=False),
    "nn_pool_avg_k2s3p1_ceil_inc": lambda: F.avg_pool2d(t, 2, 3, 1, ceil_mode=True,
                                                        count_include_pad=True),
    "nn_pool_avg_k3x2s2x1p1x0_inc": lambda: F.avg_pool2d(t, (3, 2), (2, 1), (1, 0),
                                                         count_include_pad=True),
}
for name, f in cases.items():
    np.save(name + ".npy", f().numpy())
    print(name, tuple(f().shape))
