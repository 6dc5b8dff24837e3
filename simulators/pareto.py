"""Non-dominated filtering, in minimization form."""

from __future__ import annotations

import numpy as np


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of `points` that no other row dominates (minimization)."""
    points = np.asarray(points, dtype=np.float64)
    le = np.all(points[:, None, :] <= points[None, :, :], axis=2)
    lt = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dominated = np.any(le & lt, axis=0)
    return ~dominated
