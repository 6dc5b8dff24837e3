"""Uniform random search: the baseline every other agent must beat."""

from __future__ import annotations

from agents.base import Design, Optimizer


class RandomSearch(Optimizer):
    """Designs drawn uniformly from the valid part of the space."""

    name = "random"

    def ask(self, n: int) -> list[Design]:
        return self.space.sample(self.rng, n)
