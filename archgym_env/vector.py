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

    Every step ends every sub-episode, so with autoreset mode SAME_STEP the returned
    observations are the (all-zero) reset observations; the observation after each design
    is `infos["final_obs"]`, and `infos["design"]`, `infos["metrics"]`, `infos["valid"]`
    and `infos["feasible"]` hold one entry per sub-environment.
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
        designs = [self.env.space.from_index(a) for a in actions]
        results = self.env.evaluate_batch(designs)
        final_obs = np.stack([self.env.observe(info) for _, info in results])
        ones = np.ones(self.num_envs, dtype=bool)
        infos = {"final_obs": final_obs, "_final_obs": ones}
        for key in ("design", "metrics", "valid", "feasible"):
            infos[key] = np.array([info[key] for _, info in results], dtype=object)
            infos[f"_{key}"] = ones
        reset_obs = np.zeros(self.observation_space.shape, dtype=np.float32)
        rewards = np.array([r for r, _ in results], dtype=np.float64)
        return reset_obs, rewards, ones.copy(), ~ones, infos
