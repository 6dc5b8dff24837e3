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
        rest = np.argsort(pts.sum(axis=1), kind="stable")
        front = []
        while len(rest):  # the smallest sum is non-dominated; drop what it weakly dominates
            best = rest[0]
            front.append(best)
            rest = rest[1:][np.any(pts[best] > pts[rest[1:]], axis=1)]
        front = np.sort(front)
        if len(self.points) and len(front):  # front points an archived one weakly dominates
            weakly = np.all(self.points[None, :, :] <= pts[front][:, None, :], axis=2).any(axis=1)
            front = front[~weakly]
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
