"""Random search, uniform or Latin hypercube: the baseline every other agent must beat."""

from __future__ import annotations

import numpy as np
from scipy.stats import qmc

from agents.args import check_choice
from agents.optimizers.base import Design, Optimizer
from archgym_env.space import DesignSpace

SAMPLINGS = ("uniform", "lhs")


class RandomSearch(Optimizer):
    """Designs drawn at random from the valid part of the space.

    Args:
        sampling: `uniform` (each design independently) or `lhs` (each `ask(n)` is one Latin
            hypercube of n designs over the choice indices: every parameter's range is cut
            into n equal strata, one design per stratum; a design that breaks a constraint
            is replaced by a uniform valid one).
    """

    name = "random"

    def __init__(self, space: DesignSpace, seed: int = 0, sampling: str = "uniform"):
        super().__init__(space, seed)
        self.sampling = check_choice("sampling", sampling, SAMPLINGS)

    @property
    def hyperparameters(self) -> dict:
        return {"sampling": self.sampling}

    def ask(self, n: int) -> list[Design]:
        if self.sampling == "uniform":
            return self.space.sample(self.rng, n)
        unit = qmc.LatinHypercube(d=len(self.space.nvec), rng=self.rng).random(n)
        indices = np.minimum((unit * self.space.nvec).astype(np.int64), self.space.nvec - 1)
        designs = [self.space.from_index(index) for index in indices]
        return [self.space.sample(self.rng)[0] if self.space.violations(d) else d
                for d in designs]
