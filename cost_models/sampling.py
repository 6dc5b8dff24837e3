"""Designs to simulate, as choice-index matrices: uniform random, Latin hypercube or Sobol
points on the index space (scipy.stats.qmc), each coordinate binned to a choice."""

from __future__ import annotations

import numpy as np

from simulators.errors import InvalidArgumentError

SAMPLERS = ("random", "lhs", "sobol")
# Where a dataset's designs come from: a sampler, or the designs of stored runs.
COLLECT_SAMPLERS = (*SAMPLERS, "from-runs")


def sample_indices(nvec: np.ndarray, n: int, sampler: str, seed: int) -> np.ndarray:
    """`n` index vectors (n x len(nvec)) drawn by `sampler`: `random` is uniform per choice;
    `lhs` and `sobol` place [0, 1)^d points (scrambled, seeded) and take choice
    floor(u * n_k), so each choice of a parameter gets an equal share of the points."""
    nvec = np.asarray(nvec, dtype=np.int64)
    if sampler not in SAMPLERS:
        raise InvalidArgumentError("sampler", sampler, ", ".join(SAMPLERS))
    if not (isinstance(n, int) and n >= 1):
        raise InvalidArgumentError("n", n, "an integer >= 1")
    rng = np.random.default_rng(seed)
    if sampler == "random":
        return rng.integers(0, nvec, size=(n, len(nvec)))
    from scipy.stats import qmc

    engine = qmc.LatinHypercube(len(nvec), rng=rng) if sampler == "lhs" else \
        qmc.Sobol(len(nvec), scramble=True, rng=rng)
    # Sobol points keep their balance properties in blocks of powers of two: draw the next
    # one up and keep the first n.
    points = engine.random(n if sampler == "lhs" else 1 << max(n - 1, 1).bit_length())[:n]
    return np.minimum((points * nvec).astype(np.int64), nvec - 1)
