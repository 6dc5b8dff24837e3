"""Every agent by name, with its kind, for the CLI, experiments and sweeps."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from agents.optimizers.base import Optimizer
from archgym_env.space import DesignSpace
from simulators.errors import ArchGymError, InvalidArgumentError

KINDS = ("optimizer", "rl", "marl")


@dataclass(frozen=True)
class AgentEntry:
    """`kind`: optimizer (ask/tell on the design space), rl (a Stable-Baselines3 trainer on
    the environment) or marl (multi-agent PPO on its multi-agent form); `path`: what
    `module:attribute` implements it (a class for optimizers, the training function else)."""

    kind: str
    path: str


# Imported on first use, so the CLI starts fast and an agent whose optional dependency
# (optuna, pymoo, torch) is missing fails alone, with the extra to install.
AGENTS: dict[str, AgentEntry] = {
    "random": AgentEntry("optimizer", "agents.optimizers.random_search:RandomSearch"),
    "grid": AgentEntry("optimizer", "agents.optimizers.grid:GridSearch"),
    "ga": AgentEntry("optimizer", "agents.optimizers.ga:GeneticAlgorithm"),
    "nsga2": AgentEntry("optimizer", "agents.optimizers.nsga2:NSGA2Search"),
    "aco": AgentEntry("optimizer", "agents.optimizers.aco:AntColony"),
    "bo": AgentEntry("optimizer", "agents.optimizers.bo:BayesianOptimization"),
    "reinforce": AgentEntry("optimizer", "agents.optimizers.reinforce:Reinforce"),
    "successive": AgentEntry("optimizer", "agents.optimizers.successive:Successive"),
    **{name: AgentEntry("rl", "agents.trainers.rl:train")
       for name in ("ppo", "a2c", "dqn", "sac")},
    **{name: AgentEntry("marl", "agents.trainers.marl:train_multi_agent")
       for name in ("ippo", "mappo")},
}


# The extra each agent's optional dependency comes with (RL and MARL trainers: `rl`).
EXTRAS = {"bo": "bo", "nsga2": "evo", "reinforce": "rl"}


def agent_names(kind: str | None = None) -> list[str]:
    """The agents of `kind` (every agent by default), in the table's order."""
    if kind is not None and kind not in KINDS:
        raise InvalidArgumentError("agent kind", kind, ", ".join(KINDS))
    return [name for name, entry in AGENTS.items() if kind in (None, entry.kind)]


def agent_kind(name: str) -> str:
    if name not in AGENTS:
        raise InvalidArgumentError("agent", name, ", ".join(AGENTS))
    return AGENTS[name].kind


def load_agent(name: str) -> Any:
    """What implements agent `name`, imported now; a missing optional dependency is one
    error naming the extra to install."""
    agent_kind(name)
    module, attribute = AGENTS[name].path.split(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError as error:  # ModuleNotFoundError, or an import blocked on purpose
        missing = getattr(error, "name", None) or str(error)
        extra = EXTRAS.get(name, "rl")
        raise ArchGymError(f"agent {name} needs {missing}: pip install 'archgym[{extra}]'"
                           ) from None


def agent_class(name: str) -> type[Optimizer]:
    if agent_kind(name) != "optimizer":
        raise InvalidArgumentError("agent", name, ", ".join(agent_names("optimizer")))
    return load_agent(name)


def make_agent(name: str, space: DesignSpace, seed: int = 0, **kwargs: Any) -> Optimizer:
    cls = agent_class(name)
    try:
        return cls(space, seed=seed, **kwargs)
    except TypeError as error:
        raise InvalidArgumentError("agent args", sorted(kwargs), str(error)) from None
