"""Genetic algorithm over choice indices: tournament selection, uniform crossover,
per-gene mutation (an ordered parameter to an adjacent choice, an unordered one to any
other; inactive parameters are left alone), (mu + lambda) survival. Children are canonical
designs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.args import check_int
from agents.optimizers.base import Design, Optimizer
from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError


class GeneticAlgorithm(Optimizer):
    """Args:
        population: designs kept between generations (mu).
        tournament: contestants per parent selection.
        crossover: probability that a child mixes two parents gene by gene.
        mutation: per-gene mutation probability (default 1 / number of parameters).

    The simulators are deterministic, so a design equal to one already evaluated or asked
    (by canonical indices) is drawn or bred again (see `Optimizer._draw_unseen`).
    """

    name = "ga"

    def __init__(self, space: DesignSpace, seed: int = 0, population: int = 32,
                 tournament: int = 3, crossover: float = 0.9, mutation: float | None = None):
        super().__init__(space, seed)
        check_int("population", population, 2)
        check_int("tournament", tournament, 1)
        for label, p in (("crossover", crossover), ("mutation", mutation)):
            if p is not None and not (isinstance(p, int | float) and 0.0 <= p <= 1.0):
                raise InvalidArgumentError(label, p, "a probability in [0, 1]")
        self.population, self.tournament, self.crossover = population, tournament, crossover
        self.mutation = 1.0 / len(space.parameters) if mutation is None else mutation
        self._genomes = np.empty((0, len(space.parameters)), dtype=np.int64)
        self._fitness = np.empty(0)
        self._seen: set[tuple[int, ...]] = set()

    @property
    def hyperparameters(self) -> dict:
        return {"population": self.population, "tournament": self.tournament,
                "crossover": self.crossover, "mutation": self.mutation}

    def ask(self, n: int) -> list[Design]:
        bred = len(self._fitness) >= self.population  # else the first population: uniform
        draw = (lambda: self.space.from_index(self._child())) if bred else self._uniform
        taken = set(self._seen)  # one design at a time, so ask(k) begins like ask(n)
        return [self._draw_unseen(draw, taken) for _ in range(n)]

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        genomes = np.array([self.space.to_index(d) for d in designs], dtype=np.int64)
        self._seen.update(map(tuple, genomes.tolist()))
        self._genomes = np.vstack([self._genomes, genomes.reshape(-1, self._genomes.shape[1])])
        self._fitness = np.concatenate([self._fitness, np.asarray(rewards, dtype=np.float64)])
        keep = np.argsort(-self._fitness, kind="stable")[: self.population]
        self._genomes, self._fitness = self._genomes[keep], self._fitness[keep]

    def _select(self) -> np.ndarray:
        contestants = self.rng.integers(0, len(self._fitness), self.tournament)
        return self._genomes[contestants[np.argmax(self._fitness[contestants])]]

    def _child(self) -> np.ndarray:
        a, b = self._select(), self._select()
        child = a.copy()
        if self.rng.random() < self.crossover:
            mask = self.rng.random(len(a)) < 0.5
            child[mask] = b[mask]
        nvec = self.space.nvec
        for k in np.flatnonzero(self.rng.random(len(child)) < self.mutation):
            # Genes in order, so each sees whether the genes before it leave it active.
            if nvec[k] == 1 or not self.space.active_mask(child)[k]:
                continue
            if self.space.parameters[k].ordered:  # to an adjacent choice
                step = 1 if self.rng.random() < 0.5 else -1
                child[k] += step if 0 <= child[k] + step < nvec[k] else -step
            else:  # to any other choice
                child[k] = (child[k] + self.rng.integers(1, nvec[k])) % nvec[k]
        return child
