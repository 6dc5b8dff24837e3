"""The generic design-space environment: (space, simulator, workload, objective) -> Env."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from archgym_env.objective import Objective
from archgym_env.space import DesignSpace
from simulators.base import Simulator
from simulators.errors import InvalidArgumentError, InvalidDesignError

MODES = ("one_shot", "sequential")


class DesignEnv(gym.Env):
    """Search a hardware design space against a cost model.

    ## Description
    Each evaluation runs the simulator on one design of `space` for `workload` and turns
    its metrics into a reward with `objective`. Invalid designs (a broken constraint, a
    non-finite metric, a reason from a simulator's optional
    `evaluate_batch_explained(designs, workload) -> [(metrics, reason or None)]`) are never
    raised: they get the objective's lowest reward and `info["valid"] = False` with the reason.

    ## Action Space
    | mode | space | meaning |
    |---|---|---|
    | `one_shot` | `MultiDiscrete(space.nvec)` | a whole design as choice indices |
    | `sequential` | `Discrete(max(space.nvec))` | the choice for parameter `t` |

    In `sequential` mode action a picks choice floor(a * n_t / max(nvec)) of parameter t
    (equal bins, so every choice is reachable).

    ## Observation Space
    | mode | space | meaning |
    |---|---|---|
    | `one_shot` | `Box(0, 1, (n_params + n_goals,))` | last design, then its goal metrics |
    | `sequential` | `Box(-1, 1, (n_params + 1,))` | the partial design, then t / n_params |

    Designs are normalized choice indices (-1 where not yet set); a goal metric x shows as
    x / (x + scale), 0.5 at its target. After reset the one-shot observation is all zeros.

    ## Rewards
    As the objective's mode gives (see `Objective`): bounded in `objective.reward_range`.
    In `sequential` mode every step but the last gives 0.

    ## Episode End
    `one_shot`: terminated after one step when `max_steps` is 1; otherwise terminated when
    every target is met (target mode) and truncated after `max_steps` steps (the reference
    project's refine-for-N-steps episodes). `sequential`: terminated when every parameter is set.

    ## Info
    `design` (decoded), `valid`, `metrics` (raw), `feasible` (hard limits hold),
    `targets_met`, `evaluations` (count since creation or the last seeded reset),
    `reward_vector` and `hypervolume` (pareto; the archive also restarts on a seeded reset).

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

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, space: DesignSpace, simulator: Simulator, workload: Any,
                 objective: Objective, mode: str = "one_shot", max_steps: int = 1,
                 render_mode: str | None = None,
                 groupings: Mapping[str, Mapping[str, Sequence[str]]] | None = None):
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
        self.space, self.simulator, self.workload = space, simulator, workload
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
        self._index = np.full(n_params, -1, dtype=np.int64)
        self._last: dict[str, Any] = {}

    def copy_with(self, *, mode: str | None = None, max_steps: int | None = None,
                  simulator: Simulator | None = None) -> DesignEnv:
        """A fresh copy of this environment (subclass and all) with another mode, episode
        length or simulator, on the same space, workload and objective."""
        clone = copy.copy(self)
        DesignEnv.__init__(clone, self.space, simulator or self.simulator, self.workload,
                           self.objective, mode=mode or self.mode,
                           max_steps=max_steps or (self.max_steps if mode is None else 1),
                           render_mode=self.render_mode, groupings=self.groupings)
        return clone

    # -- evaluation, shared with agents and vector environments -------------------
    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]]) -> list[tuple[float, dict]]:
        """(reward, info) per design; valid designs go to the simulator in one batch."""
        checked: list[dict[str, Any]] = []
        for design in designs:
            try:
                checked.append({"design": self.space.validate(design), "valid": True})
            except InvalidDesignError as error:
                checked.append({"design": dict(design), "valid": False, "error": str(error)})
        valid = [c for c in checked if c["valid"]]
        for c, (metrics, reason) in zip(valid, self._simulate([c["design"] for c in valid]),
                                        strict=True):
            bad = [k for k, v in metrics.items() if not math.isfinite(v)]
            if reason or bad:
                c.update(valid=False, error=reason or f"simulator returned non-finite {bad[0]}")
            c["metrics"] = metrics
        return [self.score(c) for c in checked]

    def score(self, evaluated: Mapping[str, Any]) -> tuple[float, dict]:
        """Count one evaluation and reward it: `evaluated` holds `design`, `valid` and the
        `metrics` (or the `error`); the info adds `evaluations`, `feasible`, `targets_met`
        and, in pareto mode, `reward_vector` and `hypervolume`."""
        self.evaluations += 1
        info = {**evaluated, "evaluations": self.evaluations}
        if not info["valid"]:
            info.update(metrics={}, feasible=False, targets_met=False)
            return float(self.objective.reward_range[0]), info
        metrics = info["metrics"]
        reward = self.objective.reward(metrics, self.archive)
        info.update(feasible=self.objective.feasible(metrics),
                    targets_met=self.objective.targets_met(metrics))
        if self.objective.mode == "pareto":
            info.update(reward_vector=self.objective.reward_vector(metrics),
                        hypervolume=self.archive.hypervolume())
        return float(reward), info

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

    def _simulate(self, designs: list[dict[str, Any]]) -> list[tuple[dict, str | None]]:
        """(metrics, why the design is invalid or None) per design: from the simulator's
        `evaluate_batch_explained` when it has one, so its reasons reach `info["error"]`."""
        if not designs:
            return []
        explained = getattr(self.simulator, "evaluate_batch_explained", None)
        if explained is not None:
            return explained(designs, self.workload)
        return [(m, None) for m in self.simulator.evaluate_batch(designs, self.workload)]

    # -- gymnasium API -------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:  # a seed starts the history afresh, so runs repeat exactly
            self.evaluations = 0
            self.archive = self.objective.new_archive()
        self._steps = 0
        self._index[:] = -1
        self._last = {}
        return self._observation(), {}

    def step(self, action):
        if self.mode == "one_shot":
            index = np.asarray(action, dtype=np.int64).reshape(-1)
            if not self.action_space.contains(index):
                raise InvalidArgumentError("action", index.tolist(),
                                           f"choice indices below {self.space.nvec.tolist()}")
            reward, info = self.evaluate_batch([self.space.from_index(index)])[0]
            self._steps += 1
            self._last = info
            terminated = self.max_steps == 1 or (
                self.objective.mode == "target" and info["targets_met"])
            truncated = not terminated and self._steps >= self.max_steps
            return self._observation(), reward, terminated, truncated, info
        if self._steps >= len(self.space.parameters):
            raise InvalidArgumentError("step", self._steps, "call reset() after the episode ends")
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
        reward, info = self.evaluate_batch([self.space.from_index(self._index)])[0]
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

    def render(self):
        if self.render_mode != "ansi":
            return None
        if not self._last:
            return "no design evaluated yet"
        lines = [f"{k} = {v}" for k, v in self._last["design"].items()]
        lines += [f"{k}: {v:.6g}" for k, v in self._last.get("metrics", {}).items()]
        return "\n".join(lines)
