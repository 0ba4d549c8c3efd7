"""Writes NumPy files of every kind nn imports, for tests/numpy_files.rs.

usage: numpy_files.py DIR
Each file holds the same arrays, v[i] = i / 4 - 1 in row-major order:
  W1 (3, 4) float32, b1 (4,) float64, F (2, 3) float64 in Fortran order,
  B (5,) big-endian float32.
Files: p2.pkl ... p5.pkl (pickle protocols 2 to 5), savez.npz,
compressed.npz, and B.npy, F.npy.
"""
import os
import pickle
import sys

import numpy as np

out = sys.argv[1]


def values(shape, dtype):
    return (np.arange(int(np.prod(shape))) / 4 - 1).reshape(shape).astype(dtype)


arrays = {
    "W1": values((3, 4), "<f4"),
    "b1": values((4,), "<f8"),
    "F": np.asfortranarray(values((2, 3), "<f8")),
    "B": values((5,), ">f4"),
}
for protocol in (2, 3, 4, 5):
    with open(os.path.join(out, f"p{protocol}.pkl"), "wb") as f:
        pickle.dump(arrays, f, protocol=protocol)
np.savez(os.path.join(out, "savez.npz"), **arrays)
np.savez_compressed(os.path.join(out, "compressed.npz"), **arrays)
for name in ("B", "F"):
    np.save(os.path.join(out, f"{name}.npy"), arrays[name])
print(np.__version__)
