"""Wrappers that adapt a one-shot DesignEnv to agents that need another action space."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from archgym_env.env import DesignEnv
from simulators.errors import InvalidArgumentError


class EqualBinActions(gym.ActionWrapper, gym.utils.RecordConstructorArgs):
    """Continuous actions in [-1, 1]^n for a one-shot DesignEnv (SAC, TD3, CMA-ES...):
    each coordinate picks its parameter's choice by equal bins (`DesignSpace.action_index`),
    so every choice owns the same share of the action range."""

    def __init__(self, env: gym.Env):
        design_env = env.unwrapped
        if not isinstance(design_env, DesignEnv) or design_env.mode != "one_shot":
            raise InvalidArgumentError("env", type(design_env).__name__,
                                       "a one_shot DesignEnv for equal-bin actions")
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ActionWrapper.__init__(self, env)
        self.action_space = design_env.space.gym_space("box")

    def action(self, action: np.ndarray) -> np.ndarray:
        return self.env.unwrapped.space.action_index(action)


class HypervolumeGainReward(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """A pareto-mode DesignEnv whose step reward is the hypervolume gain of the archive
    (`info["hypervolume_gain"]`, in [0, 1]) instead of the design's own dominated box:
    the per-step signal of multi-objective RL, which depends on what came before."""

    def __init__(self, env: gym.Env):
        design_env = env.unwrapped
        if not isinstance(design_env, DesignEnv) or design_env.objective.mode != "pareto":
            raise InvalidArgumentError("env", type(design_env).__name__,
                                       "a DesignEnv in pareto mode for hypervolume-gain rewards")
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, float(info.get("hypervolume_gain", 0.0)), terminated, truncated, info
