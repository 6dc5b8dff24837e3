"""ArchGym's Gymnasium and PettingZoo environments for hardware design search.

Importing this package registers the environments with Gymnasium:

    archgym/Systolic-v0     SCALE-Sim-style systolic array sized for a DNN
    archgym/DRAM-v0         DRAMSys-style memory controller tuned for a trace
    archgym/Accelerator-v0  Timeloop-class spatial accelerator, every layer mapped
    archgym/Mapping-v0      the mapping of one layer on a fixed accelerator
    archgym/CoDesign-v0     task networks and a heterogeneous ASIC under specs (NASAIC)

Make one with `archgym_env.make(id, **arguments)`, or with Gymnasium alone, which imports
this package first when the id names it: `gymnasium.make("archgym_env:archgym/DRAM-v0")`.
Each environment documents its spaces, rewards and arguments:
`help(archgym_env.make("archgym/DRAM-v0").unwrapped)`.

Every environment is a `DesignEnv`: a `DesignSpace` (`env.unwrapped.space`), a simulator
and an `Objective` (`reward=` target, constrained, weighted or pareto). An action is a whole
design as choice indices (`mode="one_shot"`, one step per episode) or one parameter per
step (`mode="sequential"`); `env.unwrapped.evaluate_batch(designs)` scores many at once.
`parallel_env(id_or_env, groups)` is the PettingZoo form, each agent owning a group of
parameters. The `archgym` package adds the agents and the run loop to these names.
"""

from archgym_env.env import DesignEnv, ResetNeeded
from archgym_env.evaluation import Evaluation, Evaluations
from archgym_env.multi_agent import MultiAgentDesignEnv, parallel_env
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
    "DesignSpace", "Evaluation", "Evaluations", "Goal", "IntRange", "MultiAgentDesignEnv",
    "Objective", "Ordinal", "ParetoArchive", "Parameter", "PowerOfTwo", "ResetNeeded",
    "hypervolume", "make", "make_objective", "parallel_env", "register_envs",
]
