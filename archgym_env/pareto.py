"""Pareto archive and exact hypervolume, all in minimization form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from simulators.pareto import non_dominated

__all__ = ["ParetoArchive", "hypervolume", "non_dominated"]


def hypervolume(points: Sequence[Sequence[float]] | np.ndarray,
                reference: Sequence[float] | np.ndarray) -> float:
    """Exact volume dominated by `points` and bounded by `reference` (minimization).

    2-D by a sweep over the front sorted on the first objective; higher dimensions by
    slicing along the last objective and summing slab volumes (HSO), exact in any
    dimension and fast for the 2-D and 3-D fronts of design-space exploration.
    """
    ref = np.asarray(reference, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, ref.size)
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = pts[non_dominated(pts)]
    return _hv(pts, ref)


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    if ref.size == 1:
        return float(ref[0] - pts[:, 0].min())
    if ref.size == 2:
        pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
        volume, best_y = 0.0, ref[1]
        for x, y in pts:
            if y < best_y:
                volume += (ref[0] - x) * (best_y - y)
                best_y = y
        return float(volume)
    order = np.argsort(pts[:, -1])
    pts = pts[order]
    levels = np.append(pts[:, -1], ref[-1])
    volume = 0.0
    for i in range(len(pts)):
        depth = levels[i + 1] - levels[i]
        if depth > 0:
            slab = pts[: i + 1, :-1]
            volume += depth * _hv(slab[non_dominated(slab)], ref[:-1])
    return float(volume)


def _front(pts: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The rows of `order` (sorted by coordinate sum, ties by position) that no other row
    weakly dominates, the first of equal rows kept: the smallest sum is non-dominated, so
    take it and drop what it weakly dominates, until nothing is left."""
    front = []
    cols = [np.ascontiguousarray(pts[order, j]) for j in range(pts.shape[1])]
    while len(order):
        front.append(order[0])
        keep = np.zeros(len(order) - 1, dtype=bool)
        for col in cols:
            keep |= col[1:] < col[0]
        order, cols = order[1:][keep], [col[1:][keep] for col in cols]
    return np.array(front, dtype=np.int64)


def _weakly_dominated(points: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Mask of the rows of `points` that some row of `by` weakly dominates."""
    hit = np.ones((len(points), len(by)), dtype=bool)
    for j in range(points.shape[1]):
        hit &= by[None, :, j] <= points[:, j, None]
    return hit.any(axis=1)


class ParetoArchive:
    """The non-dominated points seen so far, each with a payload (design, metrics...)."""

    def __init__(self, reference: Sequence[float]):
        self.reference = np.asarray(reference, dtype=np.float64)
        self.points = np.empty((0, self.reference.size))
        self.payloads: list[Any] = []
        self._volume: float | None = 0.0  # None: the points changed since it was computed

    def __len__(self) -> int:
        return len(self.payloads)

    def add(self, point: Sequence[float], payload: Any = None) -> bool:
        """Insert `point` unless an archived point weakly dominates it; drop what it dominates."""
        p = np.asarray(point, dtype=np.float64)
        if len(self.points) and np.any(np.all(self.points <= p, axis=1)):
            return False
        keep = ~(np.all(p <= self.points, axis=1) & np.any(p < self.points, axis=1))
        self.points = np.vstack([self.points[keep], p])
        self.payloads = [pl for pl, k in zip(self.payloads, keep, strict=True) if k] + [payload]
        self._volume = None
        return True

    def add_batch(self, points: np.ndarray, payload: Callable[[int], Any]) -> None:
        """Insert the rows of `points` as `add` one by one would (the same points stay, in
        the same order); `payload(j)` is made only for the rows that stay."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, self.reference.size)
        order = np.argsort(pts.sum(axis=1), kind="stable")
        seed = _front(pts, order[:64])  # a few good points drop most of a large batch at once
        rest = order[64:]
        if len(rest):
            rest = rest[~_weakly_dominated(pts[rest], pts[seed])]
        front = np.sort(_front(pts, np.concatenate([seed, rest])))
        if len(self.points) and len(front):  # front points an archived one weakly dominates
            front = front[~_weakly_dominated(pts[front], self.points)]
        if not len(front):
            return
        new = pts[front]
        beaten = (np.all(new[:, None, :] <= self.points[None, :, :], axis=2)
                  & np.any(new[:, None, :] < self.points[None, :, :], axis=2)).any(axis=0)
        self.points = np.vstack([self.points[~beaten], new])
        self.payloads = [pl for pl, b in zip(self.payloads, beaten, strict=True) if not b] + [
            payload(int(j)) for j in front]
        self._volume = None

    def gain(self, point: np.ndarray) -> float:
        """How much the hypervolume would grow if `point` were added (0 when dominated)."""
        p = np.asarray(point, dtype=np.float64)
        if np.any(p >= self.reference) or (
                len(self.points) and np.any(np.all(self.points <= p, axis=1))):
            return 0.0
        alone = float(np.prod(self.reference - p))
        return alone - hypervolume(np.maximum(self.points, p), self.reference)

    def hypervolume(self) -> float:
        """Exact hypervolume of the archive, recomputed only after an insertion."""
        if self._volume is None:
            self._volume = hypervolume(self.points, self.reference)
        return self._volume
