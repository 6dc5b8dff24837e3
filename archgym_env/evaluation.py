"""The one record of an evaluation, and a batch of them kept as columns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym_env.space import DesignSpace
from simulators.base import BatchResult


@dataclass(frozen=True, eq=False)
class Evaluation:
    """One design scored once by the environment: what agents are told, the recorder
    stores and `info` shows.

    `design` is the canonical design (as given when it is outside the space) and `index`
    its choice indices (None outside the space); `metrics` the simulator's raw metrics ({}
    when invalid); `reason` why it is invalid (None when valid); `objectives` the
    objective's minimization form per goal (1 at the reference, lower is better,
    INVALID_OBJECTIVE when invalid); `reward` the scalar reward and `reward_vector` minus
    `objectives`; `evaluation` the environment's count after it; `hypervolume_gain` (pareto
    mode) how much it grew the archive's hypervolume over the archive its batch met.
    """

    design: dict[str, Any]
    index: np.ndarray | None
    metrics: dict[str, float]
    valid: bool
    reason: str | None
    objectives: np.ndarray
    reward: float
    feasible: bool
    targets_met: bool
    evaluation: int
    hypervolume_gain: float | None = None
    details: Any = None

    @property
    def reward_vector(self) -> np.ndarray:
        return -self.objectives

    def info(self) -> dict[str, Any]:
        """The Gymnasium `info` of this evaluation (the environment adds `hypervolume`)."""
        info = {"design": self.design, "valid": self.valid, "metrics": self.metrics,
                "error": self.reason, "feasible": self.feasible,
                "targets_met": self.targets_met, "evaluations": self.evaluation,
                "objectives": self.objectives, "reward_vector": self.reward_vector}
        if self.hypervolume_gain is not None:
            info["hypervolume_gain"] = self.hypervolume_gain
        return info


@dataclass(eq=False)
class Evaluations(Sequence[Evaluation]):
    """A scored batch as columns: `indices` (designs x parameters, -1 rows for designs
    outside the space), the simulator's `result` (metric columns, validity, reasons,
    details), per design `objectives`, `rewards`, `feasible`, `targets_met` and
    `evaluations` (the environment's count after each), in pareto mode `hypervolume_gains`
    and `hypervolume` (the archive's after the batch). Indexing gives one `Evaluation`;
    dicts are made only then."""

    space: DesignSpace
    indices: np.ndarray
    result: BatchResult
    objectives: np.ndarray
    rewards: np.ndarray
    feasible: np.ndarray
    targets_met: np.ndarray
    evaluations: np.ndarray
    designs: list[dict[str, Any]] | None = None
    hypervolume_gains: np.ndarray | None = None
    hypervolume: float | None = None

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def valid(self) -> np.ndarray:
        return self.result.valid

    @property
    def reasons(self) -> list[str | None]:
        return self.result.reasons

    @property
    def metrics(self) -> dict[str, np.ndarray]:
        return self.result.metrics

    def design(self, i: int) -> dict[str, Any]:
        if self.designs is not None:
            return dict(self.designs[i])
        return self.space.from_index(self.indices[i])

    def __getitem__(self, i: int) -> Evaluation:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        index = self.indices[i].copy() if self.indices[i, 0] >= 0 else None
        gain = None if self.hypervolume_gains is None else float(self.hypervolume_gains[i])
        details = None if self.result.details is None else self.result.details[i]
        return Evaluation(self.design(i), index, self.result.row(i), bool(self.valid[i]),
                          self.reasons[i], self.objectives[i].copy(), float(self.rewards[i]),
                          bool(self.feasible[i]), bool(self.targets_met[i]),
                          int(self.evaluations[i]), gain, details)

    def __iter__(self) -> Iterator[Evaluation]:
        return (self[i] for i in range(len(self)))

    def info(self, i: int) -> dict[str, Any]:
        """Design `i`'s Gymnasium `info`, with the archive's hypervolume in pareto mode."""
        info = self[i].info()
        if self.hypervolume is not None:
            info["hypervolume"] = self.hypervolume
        return info
