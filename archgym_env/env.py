"""The generic design-space environment: (space, simulator, workload, objective) -> Env."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from archgym_env.evaluation import Evaluations
from archgym_env.objective import INVALID_OBJECTIVE, Objective
from archgym_env.space import DesignSpace
from simulators.base import BatchResult, Simulator
from simulators.errors import ArchGymError, InvalidArgumentError, InvalidDesignError

MODES = ("one_shot", "sequential")


class ResetNeeded(gym.error.ResetNeeded, ArchGymError):
    """A step after the episode ended (terminated or truncated): call `reset()` first, as
    Gymnasium's wrappers and vector environments do."""


def _scatter(base: BatchResult, parts: Sequence[tuple[np.ndarray, BatchResult]]) -> BatchResult:
    """`base` with each part's rows written at its positions."""
    metrics = {n: column.copy() for n, column in base.metrics.items()}
    valid, reasons = base.valid.copy(), list(base.reasons)
    details = list(base.details) if base.details is not None else None
    for rows, part in parts:
        for n in metrics:
            metrics[n][rows] = part.metrics[n]
        valid[rows] = part.valid
        if part.details is not None and details is None:
            details = [None] * len(valid)
        for j, i in enumerate(rows):
            reasons[i] = part.reasons[j]
            if part.details is not None:
                details[i] = part.details[j]
    return BatchResult(metrics, valid, reasons, details)


class DesignEnv(gym.Env):
    """Search a hardware design space against a cost model.

    ## Description
    Each evaluation runs the simulator on designs of `space` for `workload` and scores
    them with `objective`, once, into one record (`Evaluation`: design, choice indices,
    metrics, validity, reason, the objective's minimization form, reward, reward vector).
    `evaluate_batch(designs)` takes design dicts or an index matrix (designs x parameters)
    and returns the batch as columns (`Evaluations`); the workload is prepared once
    (`simulator.prepare`) and every batch is one simulator call. Invalid designs (a value
    outside the space, a broken constraint, a reason from the simulator, a non-finite
    metric) are never raised: they get the objective's lowest reward, `valid = False` and
    the reason. The environment owns the Pareto archive over the goals (`archive`), in
    every mode.

    ## Action Space
    | mode | space | meaning |
    |---|---|---|
    | `one_shot` | `MultiDiscrete(space.nvec)` | a whole design as choice indices |
    | `sequential` | `Discrete(max(space.nvec))` | the choice for parameter `t` |

    In `sequential` mode action a picks choice floor(a * n_t / max(nvec)) of parameter t
    (equal bins, so every choice is reachable); a step on a parameter that the earlier
    choices make inactive takes its canonical choice whatever the action. In both modes a
    design that differs from another only in inactive parameters is that design.

    ## Observation Space
    | mode | space | meaning |
    |---|---|---|
    | `one_shot` | `Box(0, 1, (n_params + n_goals,))` | last design, then its goal metrics |
    | `sequential` | `Box(-1, 1, (n_params + 1,))` | the partial design, then t / n_params |

    Designs are normalized choice indices (-1 where not yet set); a goal metric x shows as
    x / (x + scale), 0.5 at its target. After reset the one-shot observation is all zeros.

    ## Rewards
    As the objective's mode gives (see `Objective`): bounded in `objective.reward_range`.
    In pareto mode the reward is the hypervolume the design dominates alone in the
    normalized box, so a design always earns the same reward; the history-dependent
    hypervolume gain is `info["hypervolume_gain"]` (RL agents that want it as their reward
    wrap the environment in `wrappers.HypervolumeGainReward`).
    In `sequential` mode every step but the last gives 0.

    ## Episode End
    `one_shot`: terminated after one step when `max_steps` is 1; otherwise terminated when
    every target is met (target mode) and truncated after `max_steps` steps (the reference
    project's refine-for-N-steps episodes). `sequential`: terminated when every parameter is set.
    `episode_steps` is the longest episode; a step after the end raises `ResetNeeded`
    (Gymnasium's `ResetNeeded`) until `reset()`.

    ## Info
    `Evaluation.info()`: `design` (decoded), `valid`, `error` (the reason, None when valid),
    `metrics` (raw), `feasible` (hard limits hold), `targets_met`, `evaluations` (count
    since creation or the last seeded reset), `objectives` (minimization form) and
    `reward_vector`; in pareto mode also `hypervolume_gain` and `hypervolume` (the
    archive's; the archive also restarts on a seeded reset).

    ## Arguments
    | argument | meaning |
    |---|---|
    | `space` | the `DesignSpace` |
    | `simulator` | a `Simulator` |
    | `workload` | what the simulator evaluates designs on |
    | `objective` | an `Objective` |
    | `mode` | `one_shot` or `sequential` |
    | `max_steps` | steps per episode in `one_shot` mode |
    | `groupings` | named agent groupings of the parameters for the multi-agent form |
    | `workload_parameter` | a parameter naming the design's workload (then `workload` maps |
    |  | each of its choices to a workload, each prepared once, one batch per workload) |

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, space: DesignSpace, simulator: Simulator, workload: Any,
                 objective: Objective, mode: str = "one_shot", max_steps: int = 1,
                 render_mode: str | None = None,
                 groupings: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                 workload_parameter: str | None = None):
        if mode not in MODES:
            raise InvalidArgumentError("mode", mode, ", ".join(MODES))
        if not (isinstance(max_steps, int) and max_steps >= 1):
            raise InvalidArgumentError("max_steps", max_steps, "an integer >= 1")
        if mode == "sequential" and max_steps != 1:
            raise InvalidArgumentError("max_steps", max_steps, "1 in sequential mode")
        if render_mode not in (None, "ansi"):
            raise InvalidArgumentError("render_mode", render_mode, "None, ansi")
        missing = [m for m in objective.metric_names if m not in simulator.metric_names]
        if missing:
            raise InvalidArgumentError("objective metric", missing[0],
                                       ", ".join(simulator.metric_names))
        if workload_parameter is not None:
            choices = space[workload_parameter].choices
            if not isinstance(workload, Mapping) or any(c not in workload for c in choices):
                raise InvalidArgumentError("workload", type(workload).__name__,
                                           f"a mapping with a workload for every choice of "
                                           f"{workload_parameter}: {', '.join(map(str, choices))}")
        self.workload_parameter = workload_parameter
        self.space, self.simulator, self.workload = space, simulator, workload  # prepared once
        self.objective, self.mode, self.max_steps = objective, mode, max_steps
        self.render_mode = render_mode
        self.groupings = dict(groupings or {})
        self.archive = objective.new_archive()
        self.evaluations = 0
        n_params, n_goals = len(space.parameters), len(objective.goals)
        if mode == "one_shot":
            self.action_space = space.gym_space("multidiscrete")
            self.observation_space = spaces.Box(0.0, 1.0, (n_params + n_goals,), np.float32)
        else:
            self.action_space = spaces.Discrete(int(space.nvec.max()))
            self.observation_space = spaces.Box(-1.0, 1.0, (n_params + 1,), np.float32)
        self._steps = 0
        self._ended = False
        self._index = np.full(n_params, -1, dtype=np.int64)
        self._last: dict[str, Any] = {}

    @property
    def episode_steps(self) -> int:
        """The most steps an episode takes: `max_steps` (one_shot) or one per parameter."""
        return self.max_steps if self.mode == "one_shot" else len(self.space.parameters)

    def copy_with(self, *, mode: str | None = None, max_steps: int | None = None,
                  simulator: Simulator | None = None) -> DesignEnv:
        """A fresh copy of this environment (subclass and all) with another mode, episode
        length or simulator, on the same space, workload and objective."""
        clone = copy.copy(self)
        DesignEnv.__init__(clone, self.space, simulator or self.simulator, self.workload,
                           self.objective, mode=mode or self.mode,
                           max_steps=max_steps or (self.max_steps if mode is None else 1),
                           render_mode=self.render_mode, groupings=self.groupings,
                           workload_parameter=self.workload_parameter)
        return clone

    # -- evaluation, shared with agents and vector environments -------------------
    @property
    def workload(self) -> Any:
        return self._workload

    @workload.setter
    def workload(self, workload: Any) -> None:
        self._workload, self._prepared = workload, {}

    def prepared_workload(self, key: Any = None) -> Any:
        """The workload (the one named `key` when the design picks it, see
        `workload_parameter`) as the simulator prepared it, once (lowered, parsed)."""
        if key not in self._prepared:
            raw = self._workload if self.workload_parameter is None else self._workload[key]
            self._prepared[key] = self.simulator.prepare(raw)
        return self._prepared[key]

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | np.ndarray) -> Evaluations:
        """Score many designs, given as dicts or as an index matrix (designs x parameters),
        in one simulator batch per workload. A design outside the space (a bad value, an
        index out of range, a broken constraint) is not raised: it is an invalid record
        with the reason."""
        indices, designs, reasons = self._check(designs)
        inside = np.flatnonzero([r is None for r in reasons])
        if len(inside) == len(reasons):
            result = self._simulate(indices)
        else:
            outside = BatchResult.invalid(len(reasons), self.simulator.metric_names, reasons)
            result = _scatter(outside, [(inside, self._simulate(indices[inside]))])
        return self.score(result, indices, designs)

    def _simulate(self, indices: np.ndarray) -> BatchResult:
        """The simulator's batch of in-space designs: one call, or one per workload when
        the design picks its workload (that parameter is not passed to the simulator)."""
        if not len(indices):
            return BatchResult.invalid(0, self.simulator.metric_names)
        columns = self.space.columns(indices)
        if self.workload_parameter is None:
            return self.simulator.evaluate_batch(columns, self.prepared_workload())
        del columns[self.workload_parameter]
        k = self.space.names.index(self.workload_parameter)
        choices = self.space[self.workload_parameter].choices
        parts = []
        for choice in np.unique(indices[:, k]):
            rows = np.flatnonzero(indices[:, k] == choice)
            part = {name: column[rows] for name, column in columns.items()}
            parts.append((rows, self.simulator.evaluate_batch(
                part, self.prepared_workload(choices[choice]))))
        return _scatter(BatchResult.invalid(len(indices), self.simulator.metric_names), parts)

    def _check(self, designs: Sequence[Mapping[str, Any]] | np.ndarray
               ) -> tuple[np.ndarray, list[dict] | None, list[str | None]]:
        """Choice indices (-1 rows outside the space), the canonical dicts when the batch
        came as dicts, and a reason per design outside the space (None inside)."""
        space = self.space
        if isinstance(designs, np.ndarray):
            if designs.ndim != 2 or designs.shape[1] != len(space.nvec) or \
                    designs.dtype.kind not in "iu":
                raise InvalidArgumentError("designs", designs.shape,
                                           f"an integer matrix of n x {len(space.nvec)} "
                                           "choice indices, or a list of design dicts")
            indices = designs.astype(np.int64, copy=True)
            reasons: list[str | None] = [None] * len(indices)
            bad = (indices < 0) | (indices >= space.nvec)
            if space.conditional:  # inactive parameters take their canonical choice
                inside = ~bad.any(axis=1)
                indices[inside] = space.canonical_index(indices[inside])
            for i, k in zip(*np.nonzero(bad), strict=True):
                if reasons[i] is None:
                    reasons[i] = str(InvalidDesignError(space.names[k], int(indices[i, k]),
                                                        f"choice indices 0..{space.nvec[k] - 1}"))
            if space.constraints:
                for i in np.flatnonzero(~bad.any(axis=1)):
                    broken = space.violations(space.from_index(indices[i]))
                    if broken:
                        reasons[i] = broken[0]
            if not bad.any():
                return indices, None, reasons
            designs = [{p.name: p.choices[i] if 0 <= i < n else int(i) for p, i, n in
                        zip(space.parameters, row, space.nvec, strict=True)} for row in indices]
            indices[bad.any(axis=1)] = -1  # the dicts keep what was asked
            return indices, designs, reasons
        indices = np.full((len(designs), len(space.nvec)), -1, dtype=np.int64)
        checked, reasons = [], []
        for i, design in enumerate(designs):
            try:
                canonical = space.validate(design)
            except InvalidDesignError as error:
                checked.append(dict(design))
                reasons.append(str(error))
                continue
            indices[i] = space.to_index(canonical)
            checked.append(canonical)
            reasons.append(None)
        return indices, checked, reasons

    def score(self, result: BatchResult, indices: np.ndarray | None = None,
              designs: list[dict[str, Any]] | None = None) -> Evaluations:
        """Count and reward the evaluations of `result` (the designs given by `indices`,
        -1 rows outside the space, or by `designs`) once, and add the valid ones to the
        archive (over the objective's goals, in every mode). In pareto mode each record
        also gets its hypervolume gain over the archive as the batch found it."""
        n, objective = len(result), self.objective
        if indices is None:
            indices = np.full((n, len(self.space.nvec)), -1, dtype=np.int64)
        valid = result.valid
        goals = {g: result.metrics[g][valid] for g in objective.metric_names}
        objectives = np.full((n, len(objective.goals)), INVALID_OBJECTIVE)
        rewards = np.full(n, float(objective.reward_range[0]))
        feasible, targets_met = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        if valid.any():
            objectives[valid] = objective.minimization_form(goals)
            rewards[valid] = objective.reward(goals)
            feasible[valid] = objective.feasible(goals)
            targets_met[valid] = objective.targets_met(goals)
        counts = self.evaluations + 1 + np.arange(n)
        self.evaluations += n
        gains = None
        if objective.mode == "pareto":
            gains = np.zeros(n)
            for i in np.flatnonzero(valid):
                gains[i] = self.archive.gain(objectives[i])
        batch = Evaluations(self.space, indices, result, objectives, rewards, feasible,
                            targets_met, counts, designs, gains)
        positions = np.flatnonzero(valid)
        self.archive.add_batch(objectives[valid], lambda j: batch[int(positions[j])])
        if objective.mode == "pareto":
            batch.hypervolume = self.archive.hypervolume()
        return batch

    @contextmanager
    def detached(self) -> Iterator[None]:
        """Evaluations inside leave no trace: they start a fresh archive, and the archive and
        evaluation count are restored on the way out (counterfactual rewards, say)."""
        archive, count = self.archive, self.evaluations
        self.archive = self.objective.new_archive()
        try:
            yield
        finally:
            self.archive, self.evaluations = archive, count

    # -- gymnasium API -------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:  # a seed starts the history afresh, so runs repeat exactly
            self.evaluations = 0
            self.archive = self.objective.new_archive()
        self._steps = 0
        self._ended = False
        self._index[:] = -1
        self._last = {}
        return self._observation(), {}

    def step(self, action):
        if self._ended:
            raise ResetNeeded(f"{type(self).__name__}.step() after the episode ended "
                              f"(after {self._steps} steps); call reset() first")
        observation, reward, terminated, truncated, info = self._step(action)
        self._ended = terminated or truncated
        return observation, reward, terminated, truncated, info

    def _step(self, action):
        if self.mode == "one_shot":
            index = np.asarray(action, dtype=np.int64).reshape(-1)
            if not self.action_space.contains(index):
                raise InvalidArgumentError("action", index.tolist(),
                                           f"choice indices below {self.space.nvec.tolist()}")
            batch = self.evaluate_batch(index[None, :])
            reward, info = float(batch.rewards[0]), batch.info(0)
            self._steps += 1
            self._last = info
            terminated = self.max_steps == 1 or (
                self.objective.mode == "target" and info["targets_met"])
            truncated = not terminated and self._steps >= self.max_steps
            return self._observation(), reward, terminated, truncated, info
        if not self.action_space.contains(int(action)):
            raise InvalidArgumentError("action", action, f"0..{self.action_space.n - 1}")
        t = self._steps
        self._index[t] = int(action) * int(self.space.nvec[t]) // int(self.action_space.n)
        # A parameter that the earlier choices make inactive takes its canonical choice
        # whatever the action (activity reads only earlier parameters; the step still
        # counts, so an episode keeps one step per parameter).
        self._index[t] = self.space.canonical_index(np.maximum(self._index, 0))[t]
        self._steps += 1
        if self._steps < len(self.space.parameters):
            return self._observation(), 0.0, False, False, {"evaluations": self.evaluations}
        batch = self.evaluate_batch(self._index[None, :])
        reward, info = float(batch.rewards[0]), batch.info(0)
        self._last = info
        return self._observation(), reward, True, False, info

    def _observation(self) -> np.ndarray:
        if self.mode == "sequential":
            scaled = self.space.normalize_index(self._index)
            partial = np.where(self._index >= 0, scaled, -1.0)
            step = self._steps / len(self.space.parameters)
            return np.append(partial, step).astype(np.float32)
        if not self._last:
            return np.zeros(self.observation_space.shape, dtype=np.float32)
        return self.observe(self._last)

    def observe(self, info: dict) -> np.ndarray:
        """The one-shot observation of an evaluation: its design, then its goal metrics."""
        metrics = (self.objective.observe(info["metrics"]) if info["valid"]
                   else np.zeros(len(self.objective.goals)))
        design = self.space.to_normalized(info["design"])
        return np.concatenate([design, metrics]).astype(np.float32)

    def observe_batch(self, batch: Evaluations) -> np.ndarray:
        """`observe` of every record of `batch` (designs x observation), from its columns."""
        design = self.space.normalize_index(np.maximum(batch.indices, 0))
        metrics = np.zeros((len(batch), len(self.objective.goals)))
        if batch.valid.any():
            metrics[batch.valid] = self.objective.observe(
                {g: batch.metrics[g][batch.valid] for g in self.objective.metric_names})
        return np.concatenate([design, metrics], axis=1).astype(np.float32)

    def render(self):
        if self.render_mode != "ansi":
            return None
        if not self._last:
            return "no design evaluated yet"
        lines = [f"{k} = {v}" for k, v in self._last["design"].items()]
        lines += [f"{k}: {v:.6g}" for k, v in self._last.get("metrics", {}).items()]
        return "\n".join(lines)
