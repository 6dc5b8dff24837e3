"""The ask/tell interface every search algorithm implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError

Design = dict[str, Any]


class Optimizer:
    """Suggests designs of `space` and learns from their rewards (larger is better).

    Every random choice comes from `self.rng`, seeded by `seed`, so the same seed and the
    same rewards give the same suggestions (which is how an interrupted run resumes).
    """

    name = "optimizer"

    def __init__(self, space: DesignSpace, seed: int = 0):
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidArgumentError("seed", seed, "an integer >= 0")
        self.space = space
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return {}

    def ask(self, n: int) -> list[Design]:
        raise NotImplementedError

    def tell(self, designs: Sequence[Design], rewards: Sequence[float]) -> None:
        """Default: nothing to learn."""
