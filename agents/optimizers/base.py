"""The ask/tell interface every search algorithm implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from agents.args import check_int
from archgym_env.evaluation import Evaluation
from archgym_env.space import DesignSpace

Design = dict[str, Any]
UNSEEN_TRIES = 100  # designs drawn before one already seen is accepted


class Optimizer(ABC):
    """Suggests designs of `space` and learns from their rewards (larger is better).

    Every random choice comes from `self.rng`, seeded by `seed`, so the same seed and the
    same rewards give the same suggestions (which is how an interrupted run resumes).
    """

    name = "optimizer"

    def __init__(self, space: DesignSpace, seed: int = 0):
        check_int("seed", seed, 0)
        self.space = space
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return {}

    def plan(self, budget: int) -> None:
        """The run's budget of evaluations, told by the run loop before its first `ask`;
        an agent that divides its work over the budget (successive) overrides this."""
        return None

    @abstractmethod
    def ask(self, n: int) -> list[Design]:
        """`n` designs to evaluate next (fewer only if the space has run out)."""

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        """Learn from the rewards of designs this agent asked for; larger is better.

        `objectives` (designs x goals), when given, is the objective's minimization form
        (1 at each goal's reference, lower is better; 1e12 for an invalid design), which
        multi-objective agents rank by.
        """
        return None  # random search learns nothing; learning agents override this

    def tell_records(self, records: Sequence[Evaluation]) -> None:
        """Learn from the environment's records of designs this agent asked for (what the
        run loop calls): their designs, rewards and minimization forms go to `tell`."""
        self.tell([r.design for r in records], [r.reward for r in records],
                  np.array([r.objectives for r in records]).reshape(len(records), -1))

    def _key(self, design: Design) -> tuple[int, ...]:
        """`design`'s choice indices as a hashable key (for sets of designs seen)."""
        return tuple(self.space.to_index(design).tolist())

    def _uniform(self) -> Design:
        """One uniform valid design."""
        return self.space.sample(self.rng)[0]

    def _draw_unseen(self, draw: Callable[[], Design], taken: set[tuple[int, ...]]) -> Design:
        """A design from `draw()` that meets the constraints and whose key is not in `taken`
        (then added to it); after UNSEEN_TRIES draws without one, a uniform design. The
        simulators are deterministic, so a design seen before would waste an evaluation."""
        for _ in range(UNSEEN_TRIES):
            design = draw()
            key = self._key(design)
            if key not in taken and not self.space.violations(design):
                break
        else:
            design = self._uniform()
            key = self._key(design)
        taken.add(key)
        return design
