"""Design spaces, objectives, environments and their registry."""

from archgym_env.env import DesignEnv
from archgym_env.evaluation import Evaluation, Evaluations
from archgym_env.objective import Goal, Objective, make_objective
from archgym_env.pareto import ParetoArchive, hypervolume
from archgym_env.registry import ENVIRONMENTS, make, register_envs
from archgym_env.space import (
    Categorical,
    Constraint,
    Continuous,
    DesignSpace,
    IntRange,
    Parameter,
    PowerOfTwo,
)

register_envs()

__all__ = [
    "ENVIRONMENTS", "Categorical", "Constraint", "Continuous", "DesignEnv", "DesignSpace",
    "Evaluation", "Evaluations", "Goal",
    "IntRange", "Objective", "ParetoArchive", "Parameter", "PowerOfTwo", "hypervolume", "make",
    "make_objective", "register_envs",
]
