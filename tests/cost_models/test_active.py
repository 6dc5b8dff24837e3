"""Active learning reaches a held-out error with fewer simulator calls than random."""

from __future__ import annotations

import numpy as np
import pytest

from archgym_env.space import DesignSpace, IntRange
from cost_models.active import active_learning
from cost_models.features import FeatureEncoder, describe_space

SPACE = DesignSpace((IntRange("x", 0, 14, 1), IntRange("y", 0, 14, 1)))


def simulate(indices: np.ndarray) -> np.ndarray:
    """A smooth cost, steep in x and wavy in y."""
    x, y = indices[:, 0] / 14.0, indices[:, 1] / 14.0
    return np.exp(2 * x) * (1 + y * y) + np.sin(6 * y)


@pytest.mark.slow  # about 15 CPU s of Gaussian-process fits
def test_uncertainty_sampling_needs_fewer_calls_than_random():
    pool = np.array([[i, j] for i in range(15) for j in range(15)])
    encoder = FeatureEncoder(describe_space(SPACE))
    test = (pool, simulate(pool))  # the error over the whole space
    calls = {}
    for strategy in ("uncertainty", "random"):
        reached = []
        for seed in (0, 1, 2):  # the same initial designs for both strategies
            result = active_learning(pool, simulate, encoder, test, strategy=strategy,
                                     initial=6, batch=4, budget=42, target_error=0.005,
                                     seed=seed, options={"max_iter": 50})
            reached.append(result.calls_to(0.005) or 10 ** 6)
            assert result.history["calls"].is_monotonic_increasing
        calls[strategy] = float(np.median(reached))
    assert calls["uncertainty"] < calls["random"] <= 42, calls
