"""Search agents by name, for the CLI and sweeps."""

from __future__ import annotations

from typing import Any

from agents.aco import AntColony
from agents.base import Optimizer
from agents.bo import BayesianOptimization
from agents.ga import GeneticAlgorithm
from agents.grid import GridSearch
from agents.nsga2 import NSGA2Search
from agents.random_search import RandomSearch
from agents.reinforce import Reinforce
from archgym_env.space import DesignSpace
from simulators.errors import InvalidArgumentError

AGENTS: dict[str, type[Optimizer]] = {
    "random": RandomSearch, "grid": GridSearch, "ga": GeneticAlgorithm, "nsga2": NSGA2Search,
    "aco": AntColony, "bo": BayesianOptimization, "reinforce": Reinforce}


def make_agent(name: str, space: DesignSpace, seed: int = 0, **kwargs: Any) -> Optimizer:
    if name not in AGENTS:
        raise InvalidArgumentError("agent", name, ", ".join(AGENTS))
    try:
        return AGENTS[name](space, seed=seed, **kwargs)
    except TypeError as error:
        raise InvalidArgumentError("agent args", sorted(kwargs), str(error)) from None
