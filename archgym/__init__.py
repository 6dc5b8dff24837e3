"""ArchGym under one import name: environments, agents and the run loop.

    import archgym

    env = archgym.make("archgym/Systolic-v0")             # any of archgym.ENV_IDS
    agent = archgym.make_agent("ga", env.unwrapped.space, seed=0)   # any of archgym.AGENT_NAMES
    result = archgym.run(env, agent, budget=200)
    print(result.best["reward"], result.best["design"])

The four packages stay as they are (`simulators`, `cost_models`, `archgym_env`,
`agents`); this one re-exports what a first script needs from them.
"""

from agents.experiments.experiment import run_experiment
from agents.experiments.loop import run
from agents.registry import AGENTS, agent_names, make_agent
from archgym_env import (
    ENVIRONMENTS,
    DesignEnv,
    DesignSpace,
    MultiAgentDesignEnv,
    Objective,
    make,
    parallel_env,
)

ENV_IDS = tuple(ENVIRONMENTS)
AGENT_NAMES = tuple(AGENTS)

__all__ = ["AGENTS", "AGENT_NAMES", "ENVIRONMENTS", "ENV_IDS", "DesignEnv", "DesignSpace",
           "MultiAgentDesignEnv", "Objective", "agent_names", "make", "make_agent",
           "parallel_env", "run", "run_experiment"]
