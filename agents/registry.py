"""Search agents by name, for the CLI and sweeps."""

from __future__ import annotations

import importlib
from typing import Any

from agents.optimizers.base import Optimizer
from archgym_env.space import DesignSpace
from simulators.errors import ArchGymError, InvalidArgumentError

# Imported on first use, so the CLI starts fast and an agent whose optional dependency
# (optuna, pymoo, torch) is missing fails alone, with the extra to install.
AGENTS: dict[str, str] = {
    "random": "agents.optimizers.random_search:RandomSearch",
    "grid": "agents.optimizers.grid:GridSearch",
    "ga": "agents.optimizers.ga:GeneticAlgorithm",
    "nsga2": "agents.optimizers.nsga2:NSGA2Search",
    "aco": "agents.optimizers.aco:AntColony",
    "bo": "agents.optimizers.bo:BayesianOptimization",
    "reinforce": "agents.optimizers.reinforce:Reinforce",
}
# Stable-Baselines3 trainers (agents.trainers.rl), imported only when asked for: they load torch.
RL_AGENTS = ("ppo", "a2c", "dqn", "sac")
# Multi-agent PPO trainers (agents.trainers.marl) on an environment's multi-agent form.
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
