"""Pseudo-random numbers keyed by a row's content.

Two places need randomness that treats a repeated row exactly like one row with
an integer sample weight: the early-stopping split (duplicates must not straddle
it) and dropout masks (every copy of a row must see the same mask).  Both draw
from a 64-bit key computed from the row's bytes, mixed with SplitMix64.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import sparse

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


def row_keys(X, seed: int) -> np.ndarray:
    """Return a uint64 key per row of ``X`` that depends only on its content and seed.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    seed : int
        Salt of the keyed hash (BLAKE2b); different seeds give independent keys.

    Returns
    -------
    keys : ndarray of shape (n_samples,), dtype uint64
    """
    salt = int(seed).to_bytes(8, "little")
    # Hash the canonical sparse form of every row (sorted column indices of the
    # non-zeros, then their values, with -0.0 folded into 0.0), so that dense and
    # sparse copies of the same data give the same keys.
    if sparse.issparse(X):
        X = sparse.csr_matrix(X, copy=True)
        X.sum_duplicates()
        X.eliminate_zeros()
        X.sort_indices()
        rows = [
            _canonical(X.indices[a:b], X.data[a:b])
            for a, b in zip(X.indptr[:-1], X.indptr[1:])
        ]
    else:
        rows = []
        for row in np.asarray(X):
            nonzero = np.flatnonzero(row)
            rows.append(_canonical(nonzero, row[nonzero]))
    cache = {}
    keys = np.empty(len(rows), dtype=np.uint64)
    for i, row in enumerate(rows):
        key = cache.get(row)
        if key is None:
            digest = hashlib.blake2b(row, key=salt, digest_size=8).digest()
            key = cache[row] = int.from_bytes(digest, "little")
        keys[i] = key
    return keys


def _canonical(indices, values):
    return (
        np.asarray(indices, dtype=np.int64).tobytes() + b"|" + (values + 0.0).tobytes()
    )


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective mix of uint64 values (a new array)."""
    z = x + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX_1
    z ^= z >> np.uint64(27)
    z *= _MIX_2
    z ^= z >> np.uint64(31)
    return z


def to_unit(keys: np.ndarray) -> np.ndarray:
    """Map uint64 keys to floats uniform on [0, 1) (53 random bits)."""
    return (keys >> np.uint64(11)).astype(np.float64) * _TO_UNIT


def keyed_uniform(keys: np.ndarray, stream: int, n_columns: int) -> np.ndarray:
    """Uniform [0, 1) numbers of shape ``(len(keys), n_columns)``, row-keyed.

    Row ``i`` depends only on ``keys[i]`` and ``stream``; equal keys give equal
    rows.
    """
    base = splitmix64(keys ^ np.uint64(stream & 0xFFFFFFFFFFFFFFFF))
    columns = np.arange(n_columns, dtype=np.uint64) * _GOLDEN
    return to_unit(splitmix64(base[:, None] + columns[None, :]))
