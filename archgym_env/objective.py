"""Objectives: which metrics matter and how they become a bounded reward."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from archgym_env.pareto import ParetoArchive
from simulators.base import Metric
from simulators.errors import InvalidArgumentError

MODES = ("target", "constrained", "weighted", "pareto")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
WEIGHTED_CLIP_DECADES = 10.0  # each weighted term is clipped to +-10 decades
INVALID_OBJECTIVE = 1e12  # an invalid design's minimization form, per goal (and the cap)


@dataclass(frozen=True)
class Goal:
    """One metric: its direction and, as the mode needs, a target, a hard limit, a
    weight and a reference (the worst value still counted in the hypervolume)."""

    metric: str
    direction: str = "min"
    target: float | None = None
    limit: float | None = None
    weight: float = 1.0
    reference: float | None = None

    def __post_init__(self):
        if self.direction not in ("min", "max"):
            raise InvalidArgumentError(f"{self.metric}.direction", self.direction, "min, max")
        for name in ("target", "limit", "reference"):
            value = getattr(self, name)
            if value is not None and not (_is_number(value) and value > 0):
                raise InvalidArgumentError(f"{self.metric}.{name}", value, "a positive number")
        if not (_is_number(self.weight) and self.weight >= 0):
            raise InvalidArgumentError(f"{self.metric}.weight", self.weight, "a number >= 0")

    @property
    def scale(self) -> float:
        """The value at which this metric counts as 'typical': target, limit or reference."""
        return next((v for v in (self.target, self.limit, self.reference) if v is not None), 1.0)

    def ratios(self, values: np.ndarray, to: float) -> np.ndarray:
        """How far each of `values` is from `to` in the good direction: >= 1 means at or
        beyond it."""
        values = np.maximum(np.asarray(values, dtype=np.float64), 1e-300)
        return to / values if self.direction == "min" else values / to

    def scores(self, values: np.ndarray) -> np.ndarray:
        """`score` of every entry of `values`."""
        if self.target is None:
            return np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
        return np.minimum(1.0, self.ratios(values, self.target))

    def score(self, value: float) -> float:
        """Target closeness in [0, 1]: 1 at or beyond the target, target/x (or x/target) short
        of it. Unlike the reference project's target/|x - target| it is finite at the target.
        A maximized metric with no target (accuracy, utilization) scores its value in [0, 1]."""
        return float(self.scores(np.float64(value)))

    def minimization_form(self, value: float) -> float:
        """Value / reference for 'min', reference / value for 'max': 1 is the reference point."""
        return float(self.minimization_forms(np.float64(value)))

    def minimization_forms(self, values: np.ndarray) -> np.ndarray:
        """`minimization_form` of every entry of `values`."""
        ref = self.reference if self.reference is not None else self.scale
        return 1.0 / self.ratios(values, ref)


@dataclass(frozen=True)
class Objective:
    """How metrics turn into a reward.

    Modes:
        target: mean of weighted target scores, in [0, 1], 1 when every target is met.
        constrained: (NASAIC) the `quality` goal's score when every hard limit holds, else
            that score minus, per violated limit, min(1, relative excess): in [-n_limits, 1].
            `gated`: a design that breaks a limit gets the penalties alone (minus the sum
            of min(1, relative excess)), so every feasible design outranks every
            infeasible one; still in [-n_limits, 1].
        weighted: sum over goals of weight * decades better than the goal's scale,
            weights normalized, each term clipped to +-10: in [-10, 10].
        pareto: a vector (one entry per goal, larger is better); the scalar reward is the
            hypervolume the design dominates alone in the normalized box [0, 1]^k, in
            [0, 1]: the same design always gets the same reward, so scalar agents that keep
            survivors or cache values see a fixed target. The environment reports the
            history-dependent hypervolume gain next to it (`hypervolume_gain`).

    Every method that takes `metrics` accepts one design's values (name -> float) or
    columns (name -> array, one entry per design) and answers in kind.
    """

    mode: str
    goals: tuple[Goal, ...]
    quality: str | None = None
    gated: bool = False

    def __post_init__(self):
        if self.mode not in MODES:
            raise InvalidArgumentError("reward mode", self.mode, ", ".join(MODES))
        object.__setattr__(self, "goals", tuple(self.goals))
        if not self.goals:
            raise InvalidArgumentError("goals", [], "at least one metric goal")
        metrics = [g.metric for g in self.goals]
        if len(set(metrics)) != len(metrics):
            raise InvalidArgumentError("goals", metrics, "each metric once")
        if self.mode == "target":
            for g in self.goals:
                if g.target is None:
                    raise InvalidArgumentError(f"{g.metric}.target", None,
                                               "a positive number in target mode")
        if not isinstance(self.gated, bool) or (self.gated and self.mode != "constrained"):
            raise InvalidArgumentError("gated", self.gated, "true (constrained mode only) or "
                                                            "false")
        if self.mode == "constrained":
            if self.quality not in metrics:
                raise InvalidArgumentError("quality", self.quality, ", ".join(metrics))
            quality = self.goals[metrics.index(self.quality)]
            if quality.direction == "min" and quality.target is None:
                raise InvalidArgumentError(f"{quality.metric}.target", None,
                                           "a target for a minimized quality metric")
        if self.mode == "pareto":
            for g in self.goals:
                if g.target is None and g.limit is None and g.reference is None:
                    raise InvalidArgumentError(f"{g.metric}.reference", None,
                                               "a positive number in pareto mode")
        if self.mode == "weighted" and sum(g.weight for g in self.goals) <= 0:
            raise InvalidArgumentError("weights", [g.weight for g in self.goals],
                                       "at least one positive weight")

    def as_dict(self) -> dict:
        """Plain JSON data (mode, goals with every field, quality, gated): stored with
        runs."""
        return {"mode": self.mode, "goals": [asdict(g) for g in self.goals],
                "quality": self.quality, "gated": self.gated}

    @classmethod
    def from_dict(cls, data: Mapping) -> Objective:
        """The objective `as_dict` wrote, checked as a new one is."""
        if not isinstance(data, Mapping) or not isinstance(data.get("goals"), list):
            raise InvalidArgumentError("objective", data, "a mapping with mode and goals")
        allowed = {f.name for f in fields(Goal)}
        goals = []
        for goal in data["goals"]:
            if not isinstance(goal, Mapping) or not set(goal) <= allowed:
                raise InvalidArgumentError("objective goal", goal, ", ".join(sorted(allowed)))
            goals.append(Goal(**goal))
        return cls(data.get("mode"), tuple(goals), data.get("quality"),
                   data.get("gated", False))

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(g.metric for g in self.goals)

    @property
    def reward_range(self) -> tuple[float, float]:
        if self.mode == "constrained":
            return -float(sum(g.limit is not None for g in self.goals)), 1.0
        if self.mode == "weighted":
            return -WEIGHTED_CLIP_DECADES, WEIGHTED_CLIP_DECADES
        return 0.0, 1.0

    def feasible(self, metrics: Mapping[str, Any]) -> Any:
        """Every hard limit holds."""
        return self._all(metrics, "limit")

    def targets_met(self, metrics: Mapping[str, Any]) -> Any:
        return self._all(metrics, "target")

    def _all(self, metrics: Mapping[str, Any], bound: str) -> Any:
        held = np.ones(np.shape(metrics[self.goals[0].metric]), dtype=bool)
        for g in self.goals:
            if getattr(g, bound) is not None:
                held &= g.ratios(metrics[g.metric], getattr(g, bound)) >= 1.0
        return held if held.ndim else bool(held)

    def reward(self, metrics: Mapping[str, Any]) -> Any:
        """The scalar reward of an evaluation (a float, or an array for columns)."""
        if self.mode == "target":
            weights = np.array([g.weight for g in self.goals])
            scores = np.stack([g.scores(metrics[g.metric]) for g in self.goals], axis=-1)
            total = weights.sum()
            reward = scores @ weights / total if total > 0 else scores.mean(axis=-1)
        elif self.mode == "constrained":
            quality = next(g for g in self.goals if g.metric == self.quality)
            penalty = 0.0
            for g in self.goals:
                if g.limit is not None:
                    excess = 1.0 / g.ratios(metrics[g.metric], g.limit) - 1.0
                    penalty = penalty + np.where(excess > 0, np.minimum(1.0, excess), 0.0)
            score = quality.scores(metrics[self.quality])
            reward = np.where(penalty > 0, -penalty, score) if self.gated else score - penalty
        elif self.mode == "weighted":
            total = sum(g.weight for g in self.goals)
            reward = sum(g.weight / total * np.clip(np.log10(g.ratios(metrics[g.metric], g.scale)),
                                                    -WEIGHTED_CLIP_DECADES, WEIGHTED_CLIP_DECADES)
                         for g in self.goals)
        else:  # the box between the design and the reference point (1, ..., 1)
            reward = np.prod(np.clip(1.0 - self.minimization_form(metrics), 0.0, 1.0), axis=-1)
        return reward if np.ndim(reward) else float(reward)

    def reward_vector(self, metrics: Mapping[str, Any]) -> np.ndarray:
        """Per goal, larger is better: minus the normalized minimization form."""
        return -self.minimization_form(metrics)

    def minimization_form(self, metrics: Mapping[str, Any]) -> np.ndarray:
        """Per goal (last axis), 1 at the goal's reference, lower is better (capped at 1e12)."""
        return np.minimum(np.stack([g.minimization_forms(metrics[g.metric])
                                    for g in self.goals], axis=-1), INVALID_OBJECTIVE)

    def new_archive(self) -> ParetoArchive:
        return ParetoArchive(reference=np.ones(len(self.goals)))

    def observe(self, metrics: Mapping[str, Any]) -> np.ndarray:
        """Metrics squashed to [0, 1) as x / (x + scale): 0.5 at the goal's scale."""
        values = np.stack([np.maximum(np.asarray(metrics[g.metric], dtype=np.float64), 0.0)
                           for g in self.goals], axis=-1)
        scales = np.array([g.scale for g in self.goals])
        return values / (values + scales)


def make_objective(mode: str, metrics: Sequence[str], available: Sequence[Metric],
                   targets: Mapping[str, float] | None = None,
                   limits: Mapping[str, float] | None = None,
                   weights: Mapping[str, float] | None = None,
                   references: Mapping[str, float] | None = None,
                   quality: str | None = None) -> Objective:
    """An Objective from per-metric tables, as environment constructors take them.

    The goals are `metrics`, then `quality`, then any metric with a target or a limit;
    `available` is what the simulator declares (its `metrics`), and each goal takes its
    direction from there.
    """
    if isinstance(metrics, str) or not isinstance(metrics, Sequence) or not metrics or \
            not all(isinstance(m, str) for m in metrics):
        raise InvalidArgumentError("metrics", metrics, "a non-empty list of metric names, "
                                   "e.g. [" + ", ".join(repr(m.name) for m in available[:2])
                                   + "]")
    for label, table in (("targets", targets), ("limits", limits), ("weights", weights),
                         ("references", references)):
        if table is not None and not isinstance(table, Mapping):
            raise InvalidArgumentError(label, table, "a mapping of metric name to number, "
                                                     'e.g. {"' + metrics[0] + '": 1.0}')
    targets, limits = dict(targets or {}), dict(limits or {})
    weights, references = dict(weights or {}), dict(references or {})
    if not all(isinstance(m, Metric) for m in available):
        raise InvalidArgumentError("available", list(available),
                                   "the simulator's declared metrics (simulators.base.Metric)")
    declared = {m.name: m for m in available}
    names = list(dict.fromkeys([*metrics, *([quality] if quality else []), *targets, *limits]))
    for name in names:
        if name not in declared:
            raise InvalidArgumentError("metric", name, ", ".join(declared))
    for label, table in (("weights", weights), ("references", references)):
        for name in table:
            if name not in names:
                raise InvalidArgumentError(f"{label} metric", name, ", ".join(names))
    goals = tuple(Goal(n, declared[n].direction, targets.get(n), limits.get(n),
                       weights.get(n, 1.0), references.get(n)) for n in names)
    return Objective(mode, goals, quality)


def budget_objective(mode: str, metrics: Sequence[str], available: Sequence[Metric],
                     budget: Mapping[str, float] | Callable[[], Mapping[str, float]],
                     default_quality: str,
                     targets: Mapping[str, float] | None = None,
                     limits: Mapping[str, float] | None = None,
                     weights: Mapping[str, float] | None = None,
                     references: Mapping[str, float] | None = None,
                     quality: str | None = None) -> Objective:
    """`make_objective` with an environment's default `budget` (restricted to `metrics`)
    standing in for what is not given: the targets (target and weighted modes), the limits
    and `default_quality` (constrained mode) and the references (pareto mode). A callable
    budget (an expensive one, say) is called only when one of those is missing."""

    def restricted() -> dict[str, float]:
        table = budget() if callable(budget) else budget
        return {m: table[m] for m in metrics if m in table}

    if mode in ("target", "weighted") and targets is None:
        targets = restricted()
    if mode == "constrained":
        limits = restricted() if limits is None else limits
        quality = quality or default_quality
    if mode == "pareto" and references is None:
        references = restricted()
    return make_objective(mode, metrics, available, targets=targets, limits=limits,
                          weights=weights, references=references, quality=quality)

