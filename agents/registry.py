"""Search agents by name, for the CLI and sweeps."""

from __future__ import annotations

import importlib
from typing import Any

from agents.base import Optimizer
from archgym_env.space import DesignSpace
from simulators.errors import ArchGymError, InvalidArgumentError

# Imported on first use, so the CLI starts fast and an agent whose optional dependency
# (optuna, pymoo, torch) is missing fails alone, with the extra to install.
AGENTS: dict[str, str] = {
    "random": "agents.random_search:RandomSearch",
    "grid": "agents.grid:GridSearch",
    "ga": "agents.ga:GeneticAlgorithm",
    "nsga2": "agents.nsga2:NSGA2Search",
    "aco": "agents.aco:AntColony",
    "bo": "agents.bo:BayesianOptimization",
    "reinforce": "agents.reinforce:Reinforce",
}
# Stable-Baselines3 trainers (agents.rl), imported only when asked for: they load torch.
RL_AGENTS = ("ppo", "a2c", "dqn", "sac")
# Multi-agent PPO trainers (agents.marl) on an environment's multi-agent form.
MARL_AGENTS = ("ippo", "mappo")


def agent_class(name: str) -> type[Optimizer]:
    if name not in AGENTS:
        raise InvalidArgumentError("agent", name, ", ".join(AGENTS))
    module, cls = AGENTS[name].split(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError as error:
        raise ArchGymError(f"agent {name} needs {error.name}: pip install 'archgym[all]'"
                           ) from None


def make_agent(name: str, space: DesignSpace, seed: int = 0, **kwargs: Any) -> Optimizer:
    cls = agent_class(name)
    try:
        return cls(space, seed=seed, **kwargs)
    except TypeError as error:
        raise InvalidArgumentError("agent args", sorted(kwargs), str(error)) from None
