"""Design spaces, objectives, environments and their registry."""

from archgym_env.env import DesignEnv
from archgym_env.evaluation import Evaluation, Evaluations
from archgym_env.objective import Goal, Objective, make_objective
from archgym_env.pareto import ParetoArchive, hypervolume
from archgym_env.registry import ENVIRONMENTS, make, register_envs
from archgym_env.space import (
    Categorical,
    Condition,
    Constraint,
    Continuous,
    DesignSpace,
    IntRange,
    Ordinal,
    Parameter,
    PowerOfTwo,
)

register_envs()

__all__ = [
    "ENVIRONMENTS", "Categorical", "Condition", "Constraint", "Continuous", "DesignEnv",
    "DesignSpace", "Evaluation", "Evaluations", "Goal", "IntRange", "Objective", "Ordinal",
    "ParetoArchive", "Parameter", "PowerOfTwo", "hypervolume", "make", "make_objective",
    "register_envs",
]
