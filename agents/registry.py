"""Search agents by name, for the CLI and sweeps."""

from __future__ import annotations

from typing import Any

from agents.base import Optimizer
from agents.ga import GeneticAlgorithm
from agents.random_search import RandomSearch
from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError

AGENTS: dict[str, type[Optimizer]] = {"random": RandomSearch, "ga": GeneticAlgorithm}
# Stable-Baselines3 trainers (agents.rl), imported only when asked for: they load torch.
RL_AGENTS = ("ppo", "a2c", "dqn", "sac")
# Multi-agent PPO trainers (agents.marl) on an environment's multi-agent form.
MARL_AGENTS = ("ippo", "mappo")


def make_agent(name: str, space: DesignSpace, seed: int = 0, **kwargs: Any) -> Optimizer:
    if name not in AGENTS:
        raise InvalidArgumentError("agent", name, ", ".join(AGENTS))
    try:
        return AGENTS[name](space, seed=seed, **kwargs)
    except TypeError as error:
        raise InvalidArgumentError("agent args", sorted(kwargs), str(error)) from None
