#!/usr/bin/python3
"""Writes the NumPy fixtures of datasets/formats_test.go (numpy 1.24).

Run from this directory: /usr/bin/python3 make_numpy.py
Every array is also written as CSV with 17 significant digits, which parse
back to the same float64, so the Go tests compare the .npy/.npz readers
with the CSV reader bit for bit without needing Python.
"""
import io
import zipfile

import numpy as np

rng = np.random.default_rng(17)


def csv(path, names, m):
    m = np.asarray(m, dtype=np.float64)
    if m.ndim == 1:
        m = m[:, None]
    np.savetxt(path, m, delimiter=",", header=",".join(names), comments="", fmt="%.17g")


def names(prefix, n):
    return [f"{prefix}{j + 1}" for j in range(n)]


# Good matrices, in every layout the reader accepts.
m = rng.normal(size=(7, 3)) * np.array([1e-3, 1.0, 1e6])
np.save("matrix_f8.npy", m)
np.save("matrix_fortran.npy", np.asfortranarray(m))
np.save("matrix_f4_be.npy", m.astype(">f4"))
csv("matrix_f8.csv", names("c", 3), m)
csv("matrix_f4_be.csv", names("c", 3), m.astype(">f4").astype(np.float64))
ints = rng.integers(-1000, 1000, size=(5, 2))
np.save("matrix_i8.npy", ints)
np.save("matrix_u2.npy", np.abs(ints).astype(np.uint16))
csv("matrix_i8.csv", names("c", 2), ints)
csv("matrix_u2.csv", names("c", 2), np.abs(ints).astype(np.uint16))
v = rng.uniform(size=6)
np.save("vector.npy", v)
csv("vector.csv", names("c", 1), v)

# The three streams, as a user of POT or sklearn would save them.
px, py = rng.normal(size=(6, 2)), rng.normal(size=6)  # a 1-D pairs_y is one column
src, tgt = rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=(3, 1))
np.savez("streams.npz", pairs_x=px, pairs_y=py, sources=src, targets=tgt)
np.savez_compressed("streams_named.npz", pairs_x=px, pairs_y=py, sources=src, targets=tgt,
                    x_names=np.array(["height", "weight"]), y_names=np.array(["price"]))
np.savez("unpaired.npz", sources=src, targets=tgt)  # no pairs at all
sx = src.astype(np.float64)
rows = ([list(px[i]) + [py[i]] for i in range(6)] + [list(sx[i]) + [None] for i in range(4)]
        + [[None, None, tgt[i, 0]] for i in range(3)])
with open("streams.csv", "w") as f:
    f.write("x1,x2,y1\n")
    for r in rows:
        f.write(",".join("" if c is None else "%.17g" % c for c in r) + "\n")

# Broken files, each with the error the tests expect.
bad = m.copy()
bad[2, 1] = np.nan
np.save("bad_nan.npy", bad)  # row 3, column 2
np.save("bad_strings.npy", np.array(["a", "bb", "ccc"]))
np.save("bad_complex.npy", np.ones((2, 2), dtype=np.complex128))
np.save("bad_structured.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")]))
np.save("bad_3d.npy", np.zeros((2, 2, 2)))
buf = io.BytesIO()
np.save(buf, m)
with open("bad_truncated.npy", "wb") as f:
    f.write(buf.getvalue()[:-20])  # the last 2½ values missing
np.savez("bad_missing_pairs_y.npz", pairs_x=px, sources=src, targets=tgt)
np.savez("bad_ragged.npz", pairs_x=px, pairs_y=py[:5], targets=tgt)
np.savez("bad_unknown_array.npz", pairs_x=px, pairs_y=py, source=src)
np.savez("bad_nan.npz", pairs_x=px, pairs_y=py, targets=np.array([[1.0], [np.inf]]))
with zipfile.ZipFile("bad_member_truncated.npz", "w") as z:
    z.writestr("pairs_x.npy", buf.getvalue()[:100])
    z.writestr("pairs_y.npy", buf.getvalue())
