"""NSGA-II (Deb et al., IEEE TEC 2002) via pymoo's ask/tell interface, over choice indices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.evaluator import Evaluator
from pymoo.core.population import Population
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.rounding import RoundingRepair
from pymoo.operators.sampling.rnd import IntegerRandomSampling
from pymoo.problems.static import StaticProblem

from agents.args import check_choice, check_int, check_real
from agents.optimizers.base import Design, Optimizer
from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError

RANKINGS = ("objectives", "reward")


class NSGA2Search(Optimizer):
    """Non-dominated sorting and crowding distance over the objective's goals.

    Parameters with more than one choice are pymoo integer variables in [0, n - 1]
    (integer random sampling, SBX crossover and polynomial mutation with rounding repair);
    a suggestion that breaks a space constraint is replaced by a uniform valid design.

    Args:
        population: designs per generation.
        rank_by: `objectives` (the objective's minimization form, one column per goal) or
            `reward` (the scalar reward alone, a single-objective NSGA-II).
        crossover_eta, mutation_eta: distribution indices of SBX and polynomial mutation
            (small values spread children further from their parents).

    `ask(n)` returns at most the designs left in the current generation; the next
    generation is bred once all of this one has been told.
    """

    name = "nsga2"

    def __init__(self, space: DesignSpace, seed: int = 0, population: int = 32,
                 rank_by: str = "objectives", crossover_eta: float = 3.0,
                 mutation_eta: float = 3.0):
        super().__init__(space, seed)
        self.population = check_int("population", population, 2)
        self.rank_by = check_choice("rank_by", rank_by, RANKINGS)
        self.crossover_eta = check_real("crossover_eta", crossover_eta, 0.0, 1e3, low_open=True)
        self.mutation_eta = check_real("mutation_eta", mutation_eta, 0.0, 1e3, low_open=True)
        self._free = np.flatnonzero(space.nvec > 1)
        if not len(self._free):
            raise InvalidArgumentError("space", list(space.names),
                                       "at least one parameter with two or more choices")
        self._algorithm = NSGA2(
            pop_size=population, sampling=IntegerRandomSampling(),
            crossover=SBX(prob=1.0, eta=self.crossover_eta, vtype=float,
                          repair=RoundingRepair()),
            mutation=PM(prob=1.0, eta=self.mutation_eta, vtype=float, repair=RoundingRepair()),
            repair=_SpaceRepair(self), eliminate_duplicates=True, seed=seed)
        self._problem: Problem | None = None
        self._generation: Population | None = None
        self._values: list[np.ndarray] = []
        self._handed = 0

    @property
    def hyperparameters(self) -> dict:
        return {"population": self.population, "rank_by": self.rank_by,
                "crossover_eta": self.crossover_eta, "mutation_eta": self.mutation_eta}

    def ask(self, n: int) -> list[Design]:
        if self._generation is None or self._handed == len(self._generation):
            if self._problem is None:
                self._setup()
            self._generation = self._algorithm.ask()
            self._values = []
            self._handed = 0
        X = self._generation.get("X")[self._handed: self._handed + n]
        self._handed += len(X)
        return [self._design(x) for x in X]

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        if self.rank_by == "objectives" and objectives is not None:
            values = np.asarray(objectives, dtype=np.float64)
        else:
            values = -np.asarray(rewards, dtype=np.float64)[:, None]
        self._values.extend(values)
        if len(self._values) == len(self._generation):
            F = np.array(self._values)
            self._problem.n_obj = F.shape[1]
            Evaluator().eval(StaticProblem(self._problem, F=F), self._generation)
            self._algorithm.tell(infills=self._generation)

    def _setup(self) -> None:
        """The integer problem; its number of objectives is set when the first
        generation is told, as only then the goals are known."""
        upper = self.space.nvec[self._free] - 1
        self._problem = Problem(n_var=len(self._free), n_obj=1, xl=np.zeros_like(upper),
                                xu=upper, vtype=int)
        self._algorithm.setup(self._problem, termination=("n_gen", 2**62), verbose=False)

    def _design(self, x: np.ndarray) -> Design:
        index = np.zeros(len(self.space.nvec), dtype=np.int64)
        index[self._free] = np.rint(x).astype(np.int64)
        return self.space.from_index(index)


class _SpaceRepair(Repair):
    """Rounds and clips to choice indices, sets inactive parameters to their canonical
    choice (so pymoo's duplicate elimination sees designs that differ only there as one),
    and replaces designs that break a constraint with uniform valid ones drawn from
    pymoo's seeded generator."""

    def __init__(self, agent: NSGA2Search):
        super().__init__()
        self.agent = agent

    def _do(self, problem, X, random_state=None, **kwargs):
        X = np.clip(np.rint(X), problem.xl, problem.xu).astype(np.int64)
        space, free = self.agent.space, self.agent._free
        if space.conditional:
            full = np.zeros((len(X), len(space.nvec)), dtype=np.int64)
            full[:, free] = X
            X = space.canonical_index(full)[:, free]
        for row in X:
            if self.agent.space.violations(self.agent._design(row)):
                valid = self.agent.space.sample(random_state)[0]
                row[:] = self.agent.space.to_index(valid)[self.agent._free]
        return X
