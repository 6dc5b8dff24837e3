"""Bayesian optimization with Optuna: TPE or Gaussian-process samplers over choice indices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.trial import TrialState

from agents.args import check_choice, check_int
from agents.optimizers.base import Design, Optimizer
from archgym_env.space import DesignSpace

SAMPLERS = ("tpe", "gp")
SUGGESTION_TRIES = 50  # sampler suggestions tried before asking a uniform unseen design

optuna.logging.set_verbosity(optuna.logging.WARNING)


class BayesianOptimization(Optimizer):
    """Optuna's ask/tell study over the space's choice indices (unordered parameters as
    CategoricalDistribution, ordered ones as IntDistribution). Suggestions are canonical
    designs and are known by their canonical indices, so one that differs from a seen
    design only in inactive parameters counts as seen.

    Args:
        sampler: `tpe` (Tree-structured Parzen Estimator, multivariate, constant liar for
            batches) or `gp` (Gaussian process with log expected improvement).
        startup: evaluations drawn at random before the sampler models the results.
        multi_objective: rank by the objective's minimization form (one direction per goal)
            when it has several goals, instead of by the scalar reward.

    The study starts at the first `tell`, when the number of goals is known; designs asked
    before it are uniform. The simulators are deterministic, so a suggestion already
    evaluated is told its known value and replaced by one of its unseen neighbours
    (`DesignSpace.neighbors`), one pending likewise but recorded as failed; a suggestion
    that breaks a constraint is recorded as failed and asked again; after
    `SUGGESTION_TRIES` of these a uniform unseen design is asked.
    """

    name = "bo"

    def __init__(self, space: DesignSpace, seed: int = 0, sampler: str = "tpe",
                 startup: int = 16, multi_objective: bool = False):
        super().__init__(space, seed)
        self.sampler = check_choice("sampler", sampler, SAMPLERS)
        self.startup = check_int("startup", startup, 1)
        self.multi_objective = check_choice("multi_objective", multi_objective, (False, True))
        self.distributions: dict[str, BaseDistribution] = {
            p.name: IntDistribution(0, int(n) - 1) if p.ordered
            else CategoricalDistribution(list(range(n)))
            for p, n in zip(space.parameters, space.nvec, strict=True)}
        self._study: optuna.Study | None = None
        self._threads: Callable[[], AbstractContextManager] = nullcontext
        self._values: dict[tuple[int, ...], list[float]] = {}
        self._pending: dict[tuple[int, ...], list[optuna.Trial]] = {}

    @property
    def hyperparameters(self) -> dict:
        return {"sampler": self.sampler, "startup": self.startup,
                "multi_objective": self.multi_objective}

    def ask(self, n: int) -> list[Design]:
        if self._study is None:  # nothing told yet: distinct uniform designs
            taken: set[tuple[int, ...]] = set()
            return [self._draw_unseen(self._uniform, taken) for _ in range(n)]
        with self._threads():
            return [self._suggest() for _ in range(n)]

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        values = self._as_values(rewards, objectives)
        if self._study is None:
            self._study = self._new_study(len(values[0]))
        for design, value in zip(designs, values, strict=True):
            key = self._key(design)
            self._values[key] = value
            trials = self._pending.pop(key, [])
            if trials:
                self._study.tell(trials.pop(0), value)
                if trials:
                    self._pending[key] = trials
            else:
                self._study.add_trial(optuna.trial.create_trial(
                    params=dict(zip(self.space.names, key, strict=True)),
                    distributions=self.distributions, values=value))

    def _as_values(self, rewards: Sequence[float], objectives: np.ndarray | None) -> list:
        if self.multi_objective and objectives is not None and np.shape(objectives)[1] > 1:
            return np.asarray(objectives, dtype=np.float64).tolist()
        return [[float(r)] for r in rewards]

    def _new_study(self, goals: int) -> optuna.Study:
        if self.sampler == "tpe":
            sampler = optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=self.startup,
                                                 multivariate=True, constant_liar=True)
        else:
            from agents.trainers.torch_threads import single_thread  # torch only for the GP sampler

            sampler = optuna.samplers.GPSampler(seed=self.seed, n_startup_trials=self.startup)
            self._threads = single_thread
        directions = ["maximize"] if goals == 1 else ["minimize"] * goals
        return optuna.create_study(directions=directions, sampler=sampler)

    def _suggest(self) -> Design:
        for _ in range(SUGGESTION_TRIES):
            trial = self._study.ask(self.distributions)
            design = self.space.from_index(np.array([trial.params[n] for n in self.space.names]))
            broken = self.space.violations(design)
            if self._is_new(design) and not broken:
                self._pending.setdefault(self._key(design), []).append(trial)
                return design
            known = self._values.get(self._key(design))
            self._study.tell(trial, known, state=TrialState.FAIL if known is None else None)
            fresh = [] if broken else [d for d in self.space.neighbors(design)
                                       if self._is_new(d)]
            if fresh:  # the sampler's favourite is known: look next to it instead
                return self._enqueue(fresh[self.rng.integers(len(fresh))])
        unseen = [d for d in self.space.sample(self.rng, SUGGESTION_TRIES) if self._is_new(d)]
        return self._enqueue(unseen[0] if unseen else self.space.sample(self.rng)[0])

    def _enqueue(self, design: Design) -> Design:
        """Ask a trial fixed at `design`."""
        key = self._key(design)
        self._study.enqueue_trial(dict(zip(self.space.names, key, strict=True)))
        self._pending.setdefault(key, []).append(self._study.ask(self.distributions))
        return design

    def _is_new(self, design: Design) -> bool:
        key = self._key(design)
        return key not in self._values and key not in self._pending
