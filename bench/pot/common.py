"""Shared inputs for the Sinkhorn benchmarks against POT.

The Go benchmarks read the same files, so both sides solve bit-identical
problems: x ~ N(0, I2), y ~ N((1, -0.5), diag(0.5, 2)), C = |x - y|^2 / max C,
uniform weights. Points are written as CSV with 17 significant digits.
"""
import os

import numpy as np


def gaussian_clouds(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    y = rng.standard_normal((n, 2)) * np.sqrt([0.5, 2.0]) + np.array([1.0, -0.5])
    return x, y


def cost_matrix(x, y):
    c = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    return c / c.max()


def write_points(path, pts):
    with open(path, "w") as f:
        f.write("p1,p2\n")
        for p in pts:
            f.write("%r,%r\n" % (float(p[0]), float(p[1])))


def data_dir():
    d = os.environ.get("SINKHORN_BENCH_DATA", "/tmp/sinkhorn-bench")
    os.makedirs(d, exist_ok=True)
    return d
