"""A Gymnasium vector environment that evaluates all sub-environments in one batch."""

from __future__ import annotations

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from archgym_env.env import DesignEnv
from simulators.errors import InvalidArgumentError


class BatchedDesignEnv(VectorEnv):
    """`num_envs` copies of a one-shot, one-step `DesignEnv` whose designs go through the
    simulator's `evaluate_batch` together.

    The action matrix goes to `DesignEnv.evaluate_batch` as it is (no dict per design).
    Every step ends every sub-episode, so with autoreset mode SAME_STEP the returned
    observations are the (all-zero) reset observations; the observation after each design
    is `infos["final_obs"]`. As Gymnasium batches infos, `infos["design"]` and
    `infos["metrics"]` map each parameter and metric to one entry per sub-environment (NaN
    metrics where invalid), and `infos["valid"]`, `infos["feasible"]`, `infos["error"]`
    (None where valid) and, in pareto mode, `infos["hypervolume_gain"]` are arrays.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, env: DesignEnv, num_envs: int):
        if env.mode != "one_shot" or env.max_steps != 1:
            raise InvalidArgumentError("mode", (env.mode, env.max_steps),
                                       "one_shot with max_steps=1 for the batched vector env")
        if not (isinstance(num_envs, int) and num_envs >= 1):
            raise InvalidArgumentError("num_envs", num_envs, "an integer >= 1")
        self.env, self.num_envs = env, num_envs
        self.single_action_space = env.action_space
        self.single_observation_space = env.observation_space
        self.action_space = batch_space(env.action_space, num_envs)
        self.observation_space = batch_space(env.observation_space, num_envs)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, _ = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self.action_space.seed(seed)
        return np.tile(obs, (self.num_envs, 1)), {}

    def step(self, actions):
        actions = np.asarray(actions, dtype=np.int64)
        if not self.action_space.contains(actions):
            raise InvalidArgumentError("actions", actions.shape,
                                       f"{self.num_envs} rows of choice indices")
        batch = self.env.evaluate_batch(actions)
        ones = np.ones(self.num_envs, dtype=bool)
        infos = {"final_obs": self.env.observe_batch(batch), "_final_obs": ones,
                 "design": self.env.space.columns(batch.indices), "metrics": dict(batch.metrics),
                 "valid": batch.valid, "feasible": batch.feasible,
                 "error": np.array(batch.reasons, dtype=object)}
        if batch.hypervolume_gains is not None:
            infos["hypervolume_gain"] = batch.hypervolume_gains
        for key in list(infos):
            if not key.startswith("_") and key != "final_obs":
                infos[f"_{key}"] = ones
        reset_obs = np.zeros(self.observation_space.shape, dtype=np.float32)
        return reset_obs, batch.rewards.copy(), ones.copy(), ~ones, infos
