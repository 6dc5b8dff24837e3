"""Grid search: every design of a small space once, in index order."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from agents.args import check_choice, check_int
from agents.optimizers.base import Design, Optimizer
from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError


class GridSearch(Optimizer):
    """Enumerates the distinct valid designs in index order (the last parameter varies
    fastest; an inactive parameter only at its canonical choice).

    Args:
        limit: the most grid points to visit; a larger space is an error unless `subsample`.
        subsample: on a space larger than `limit`, visit a coarser grid instead: evenly
            spaced choices of each parameter, taking levels from the parameter with the most
            until the grid has at most `limit` points.

    `ask` returns fewer designs than asked (eventually none) once the grid is exhausted.
    """

    name = "grid"

    def __init__(self, space: DesignSpace, seed: int = 0, limit: int = 1_000_000,
                 subsample: bool = False):
        super().__init__(space, seed)
        check_int("limit", limit, 1)
        check_choice("subsample", subsample, (False, True))
        if space.size > limit and not subsample:
            raise InvalidArgumentError(
                "limit", limit, f"at least the space size {space.size} "
                "(or subsample: true for a coarser grid)")
        self.limit, self.subsample = limit, subsample
        self.levels = space.nvec.tolist() if space.size <= limit \
            else grid_levels(space.nvec, limit)
        self._points = self._grid()

    @property
    def hyperparameters(self) -> dict:
        return {"limit": self.limit, "subsample": self.subsample}

    def ask(self, n: int) -> list[Design]:
        return list(itertools.islice(self._points, n))

    def _grid(self) -> Iterator[Design]:
        axes = [np.rint(np.linspace(0, size - 1, level)).astype(np.int64)
                for size, level in zip(self.space.nvec, self.levels, strict=True)]
        return self.space.product(axes)


def grid_levels(nvec: np.ndarray, limit: int) -> list[int]:
    """Choices per parameter: all of them, or fewer (from the widest first) until the
    product is at most `limit`."""
    levels = [int(n) for n in nvec]
    while math.prod(levels) > limit and max(levels) > 1:
        levels[levels.index(max(levels))] -= 1
    return levels
