"""A PettingZoo `ParallelEnv` over any one-shot `DesignEnv`: each agent owns a group of
design parameters, all agents see the same observation and share the team reward."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from archgym_env.env import DesignEnv
from archgym_env.registry import make
from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError

AGENT_REWARDS = ("team", "difference")


def per_parameter(space: DesignSpace) -> dict[str, tuple[str, ...]]:
    """One agent per parameter, named after it."""
    return {name: (name,) for name in space.names}


def named_grouping(env: DesignEnv, name: str) -> Mapping[str, Sequence[str]]:
    """`per_parameter`, or one of the groupings the environment names (`env.groupings`)."""
    if name == "per_parameter":
        return per_parameter(env.space)
    if name not in env.groupings:
        raise InvalidArgumentError("grouping", name, ", ".join(["per_parameter",
                                                                *env.groupings]))
    return env.groupings[name]


def check_grouping(space: DesignSpace, groups: Mapping[str, Sequence[str]]) -> None:
    """InvalidArgumentError unless the groups partition the space's parameters."""
    owned = [p for params in groups.values() for p in params]
    unknown = [p for p in owned if p not in space.names]
    if unknown:
        raise InvalidArgumentError("grouping parameter", unknown[0], ", ".join(space.names))
    if sorted(owned) != sorted(space.names) or not all(groups.values()):
        missing = sorted(set(space.names) - set(owned))
        raise InvalidArgumentError("grouping", {k: list(v) for k, v in groups.items()},
                                   "non-empty groups owning every parameter exactly once"
                                   + (f" (unowned: {', '.join(missing)})" if missing else ""))


class MultiAgentDesignEnv(ParallelEnv):
    """Several agents design one point of a `DesignEnv` together.

    ## Description
    Agent `a` owns the parameters `groups[a]`; each step every agent picks values for its
    own parameters, the joint design is evaluated once by the wrapped one-shot `DesignEnv`,
    and all agents observe the result (the parameter grouping of Krishnan et al.,
    "Multi-Agent Reinforcement Learning for Microprocessor Design Space Exploration", 2022).

    ## Action Space
    Per agent, `MultiDiscrete` over the choice counts of its parameters, in group order.

    ## Observation Space
    Per agent, the wrapped environment's observation (design, then squashed goal metrics);
    `state()` (for centralized critics) is that same shared observation, in `state_space`.

    ## Rewards
    `team`: every agent gets the wrapped environment's reward. `difference`: agent a gets
    the team reward minus the reward of the same design with a's parameters at their
    defaults (Wolpert and Tumer's difference reward; one extra evaluation per agent, batched).
    Every agent's `info` is the wrapped environment's plus `team_reward`.

    ## Episode End
    As the wrapped environment: after one step when its `max_steps` is 1.

    ## Arguments
    | argument | meaning |
    |---|---|
    | `env` | a `DesignEnv` in `one_shot` mode (or a made one: its wrappers are dropped) |
    | `groups` | agent name -> parameter names; together they must own every parameter once |
    | `agent_reward` | `team` or `difference` |
    """

    metadata = {"name": "archgym_multi_agent_v0", "render_modes": []}

    def __init__(self, env: DesignEnv | gym.Env,
                 groups: str | Mapping[str, Sequence[str]] = "per_parameter",
                 agent_reward: str = "team"):
        env = env.unwrapped  # a made environment's wrappers (TimeLimit) drive no joint step
        if not isinstance(env, DesignEnv):
            raise InvalidArgumentError("env", type(env).__name__, "a DesignEnv (an ArchGym "
                                       "environment, made or not)")
        if env.mode != "one_shot":
            raise InvalidArgumentError("mode", env.mode, "one_shot for the multi-agent env")
        if agent_reward not in AGENT_REWARDS:
            raise InvalidArgumentError("agent_reward", agent_reward, ", ".join(AGENT_REWARDS))
        groups = named_grouping(env, groups) if isinstance(groups, str) else groups
        if not isinstance(groups, Mapping):
            raise InvalidArgumentError("groups", groups, "a grouping name or a mapping of "
                                                         "agent name to parameter names")
        check_grouping(env.space, groups)
        self.env, self.agent_reward = env, agent_reward
        self.groups = {agent: tuple(params) for agent, params in groups.items()}
        self.possible_agents = list(self.groups)
        self.agents: list[str] = []
        position = {name: i for i, name in enumerate(env.space.names)}
        self._columns = {a: np.array([position[p] for p in ps]) for a, ps in self.groups.items()}
        self._action_spaces = {a: spaces.MultiDiscrete(env.space.nvec[c])
                               for a, c in self._columns.items()}
        self._default = env.space.to_index(env.space.default_design())
        self.state_space = env.observation_space
        self._state = np.zeros(env.observation_space.shape, dtype=np.float32)

    def observation_space(self, agent: str) -> spaces.Space:
        return self.env.observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._action_spaces[agent]

    def state(self) -> np.ndarray:
        return self._state.copy()

    def reset(self, seed: int | None = None, options: dict | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._state = obs
        if seed is not None:
            for i, agent in enumerate(self.possible_agents):
                self._action_spaces[agent].seed(seed + i)
        self.agents = list(self.possible_agents)
        return {a: obs.copy() for a in self.agents}, {a: dict(info) for a in self.agents}

    def joint_index(self, actions: Mapping[str, Any]) -> np.ndarray:
        """The wrapped env's action: every agent's choices placed in their columns."""
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise InvalidArgumentError("actions", sorted(actions), f"an action for {missing[0]}")
        index = self._default.copy()
        for agent in self.agents:
            action = np.asarray(actions[agent], dtype=np.int64).reshape(-1)
            if not self._action_spaces[agent].contains(action):
                raise InvalidArgumentError(f"action of {agent}", action.tolist(),
                                           f"choice indices below "
                                           f"{self._action_spaces[agent].nvec.tolist()}")
            index[self._columns[agent]] = action
        return index

    def step(self, actions: Mapping[str, Any]):
        if not self.agents:
            raise InvalidArgumentError("step", "after the episode ended", "call reset() first")
        index = self.joint_index(actions)
        obs, reward, terminated, truncated, info = self.env.step(index)
        info["team_reward"] = float(reward)
        self._state = obs
        rewards = {a: float(reward) for a in self.agents}
        if self.agent_reward == "difference" and info["valid"]:
            counterfactuals = np.tile(index, (len(self.agents), 1))
            for row, agent in enumerate(self.agents):
                counterfactuals[row, self._columns[agent]] = self._default[self._columns[agent]]
            with self.env.detached():  # the episode's archive and count stay as they are
                results = self.env.evaluate_batch(counterfactuals)
            rewards = {a: float(reward - r) for a, r in zip(self.agents, results.rewards,
                                                             strict=True)}
        agents = list(self.agents)
        if terminated or truncated:
            self.agents = []
        return ({a: obs.copy() for a in agents}, rewards,
                {a: bool(terminated) for a in agents}, {a: bool(truncated) for a in agents},
                {a: dict(info) for a in agents})

    def render(self):
        return self.env.render()

    def close(self):
        self.env.close()


def parallel_env(env: str | gym.Env = "archgym/Systolic-v0",
                 groups: str | Mapping[str, Sequence[str]] = "per_parameter",
                 agent_reward: str = "team", **env_kwargs: Any) -> MultiAgentDesignEnv:
    """The multi-agent form of any ArchGym environment, in PettingZoo's style
    (`parallel_env(...)`): `env` is an id (made with `env_kwargs`) or a made environment;
    `groups` is `per_parameter`, a grouping the environment names (DRAM-v0's `subsystem`)
    or a mapping of agent name to parameters."""
    if isinstance(env, str):
        env = make(env, **env_kwargs)
    elif env_kwargs:
        raise InvalidArgumentError("env_kwargs", sorted(env_kwargs), "none with a made env")
    return MultiAgentDesignEnv(env, groups, agent_reward=agent_reward)
