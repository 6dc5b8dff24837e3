"""Ant colony optimization over the parameter graph: one pheromone per parameter choice.

An ant builds a design parameter by parameter (Ant Colony System, Dorigo & Gambardella,
IEEE TEC 1997): with probability `greediness` (q0) it takes the choice with the most
pheromone, otherwise it draws a choice in proportion to pheromone. After each batch every
pheromone evaporates by `evaporation`, and the `elite` best designs found so far deposit
by rank (rank-based Ant System, Bullnheimer, Hartl & Strauss 1999): the best deposits
`elite`, the next `elite - 1`, and so on. A floor relative to each parameter's strongest
choice (as MAX-MIN Ant System bounds pheromone, Stuetzle & Hoos 2000) keeps every choice
reachable; a parameter inactive in an elite design deposits nothing. The simulators are
deterministic, so ants avoid designs already evaluated (by canonical indices); when
pheromone has converged so far that they find none new, uniform unseen designs are asked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from agents.args import check_int, check_real
from agents.optimizers.base import Design, Optimizer
from archgym_env.space import DesignSpace

CONSTRUCTION_ROUNDS = 10  # batches of ants tried before falling back to uniform designs
ANTS_PER_ROUND = 8  # ants drawn at once


class AntColony(Optimizer):
    """Args:
        evaporation: fraction of pheromone lost after each batch, in (0, 1].
        greediness: q0, the probability of taking the strongest choice, in [0, 1].
        elite: how many of the best designs so far deposit pheromone.
        floor: the least pheromone of a choice relative to the strongest of its parameter,
            in [0, 1].
    """

    name = "aco"

    def __init__(self, space: DesignSpace, seed: int = 0, evaporation: float = 0.1,
                 greediness: float = 0.2, elite: int = 5, floor: float = 0.05):
        super().__init__(space, seed)
        self.evaporation = check_real("evaporation", evaporation, 0.0, 1.0, low_open=True)
        self.greediness = check_real("greediness", greediness, 0.0, 1.0)
        self.elite = check_int("elite", elite, 1)
        self.floor = check_real("floor", floor, 0.0, 1.0)
        self.pheromone = [np.ones(n) for n in space.nvec]
        self._best: list[tuple[float, tuple[int, ...]]] = []
        self._seen: set[tuple[int, ...]] = set()

    @property
    def hyperparameters(self) -> dict:
        return {"evaporation": self.evaporation, "greediness": self.greediness,
                "elite": self.elite, "floor": self.floor}

    def ask(self, n: int) -> list[Design]:
        designs: list[Design] = []
        taken = set(self._seen)
        for _ in range(n):  # one design at a time, so ask(k) begins like ask(n)
            key, design = next(((k, d) for k, d in self._candidates() if k not in taken
                                and not self.space.violations(d)), (None, None))
            if design is None:  # every candidate seen: the space is (nearly) exhausted
                design = self.space.sample(self.rng)[0]
                key = self._key(design)
            taken.add(key)
            designs.append(design)
        return designs

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        for design, reward in zip(designs, rewards, strict=True):
            index = self._key(design)
            self._seen.add(index)
            self._best.append((float(reward), index))
        self._best = sorted(self._best, key=lambda item: -item[0])[: self.elite]
        active = self.space.active_mask([index for _, index in self._best])
        for k, tau in enumerate(self.pheromone):
            tau *= 1.0 - self.evaporation
            for rank, (_, index) in enumerate(self._best):
                if active[rank, k]:  # an inactive parameter's choice says nothing
                    tau[index[k]] += self.elite - rank
            np.maximum(tau, self.floor * tau.max(), out=tau)

    def _candidates(self) -> Iterator[tuple[tuple[int, ...], Design]]:
        """(key, design) of ants' designs, then of uniform ones (when the pheromone has
        converged on designs already evaluated)."""
        for _ in range(CONSTRUCTION_ROUNDS):
            for index in self.space.canonical_index(self._ants(ANTS_PER_ROUND)).tolist():
                yield tuple(index), self.space.from_index(index)
        for design in self.space.sample(self.rng, ANTS_PER_ROUND):
            yield self._key(design), design

    def _ants(self, count: int) -> np.ndarray:
        """`count` ants' choice indices (count x parameters)."""
        columns = []
        for tau in self.pheromone:
            greedy = self.rng.random(count) < self.greediness
            drawn = self.rng.choice(len(tau), size=count, p=tau / tau.sum())
            columns.append(np.where(greedy, int(np.argmax(tau)), drawn))
        return np.column_stack(columns)
