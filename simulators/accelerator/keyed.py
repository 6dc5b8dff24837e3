"""Random numbers keyed by content: row i of every draw depends only on key i.

The monotone local search draws a mapping's neighbours from a key hashed from the
mapping itself, so the same mapping gets the same neighbours whichever search reaches
it. Mixing is SplitMix64 (Steele, Lea and Flood, OOPSLA 2014).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _mix(x):
    """SplitMix64's step: add the golden gamma, then its finalizer (uint64 wraps)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True)
def splitmix64(x: np.ndarray) -> np.ndarray:
    """_mix elementwise over a uint64 vector."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = _mix(x[i])
    return out


@njit(cache=True)
def _hash_rows(columns: np.ndarray, salt: np.uint64) -> np.ndarray:
    keys = np.empty(columns.shape[0], dtype=np.uint64)
    for i in range(columns.shape[0]):
        h = salt
        for j in range(columns.shape[1]):
            h = _mix(h ^ columns[i, j])
        keys[i] = h
    return keys


@njit(cache=True)
def _uniforms(keys: np.ndarray, first: int, per_row: int) -> np.ndarray:
    out = np.empty((keys.size, per_row))
    for i in range(keys.size):
        base = keys[i] * np.uint64(0x9E3779B97F4A7C15)
        for j in range(per_row):
            out[i, j] = (_mix(base + np.uint64(first + j)) >> np.uint64(11)) * 2.0 ** -53
    return out


def row_keys(arrays: list[np.ndarray], salt: int) -> np.ndarray:
    """One 64-bit hash per row of the integer arrays (first axis: rows), mixed with salt."""
    columns = np.concatenate([a.reshape(len(a), -1).astype(np.int64) for a in arrays],
                             axis=1).astype(np.uint64)
    return _hash_rows(columns, np.uint64(salt))


class KeyedRandom:
    """The subset of numpy's Generator the mapper's mutation uses, one stream per key."""

    def __init__(self, keys: np.ndarray):
        self.keys, self.drawn = keys.astype(np.uint64), 0

    def random(self, shape: int | tuple[int, ...]) -> np.ndarray:
        shape = (shape,) if np.isscalar(shape) else tuple(shape)
        per_row = int(np.prod(shape[1:], dtype=np.int64))
        values = _uniforms(self.keys, self.drawn, per_row)
        self.drawn += per_row
        return values.reshape(shape)

    def integers(self, low: int, high: int, size: int) -> np.ndarray:
        return low + (self.random(size) * (high - low)).astype(np.int64)
