"""The run loop: any ask/tell agent, any environment, a budget of evaluations."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agents.args import check_int
from agents.experiments.recorder import Recorder, RunResult, env_and_meta
from agents.experiments.store import ResultsStore
from agents.optimizers.base import Optimizer
from simulators.errors import ArchGymError


def run(env: gym.Env | str, agent: Optimizer, budget: int, *, store: ResultsStore | None = None,
        batch_size: int = 8, meta: dict[str, Any] | None = None,
        progress: bool = True, stored_only: bool = False) -> RunResult:
    """Drive `agent` on `env` (an environment or a registered id, wrappers included: the
    outermost `evaluate_batch` of the wrapper chain is called) for `budget` evaluations,
    asking `batch_size` designs at a time and evaluating them in one simulator batch; the
    agent is told the budget first (`Optimizer.plan`), then the environment's records.
    The run starts with `env.reset(seed=agent.seed)` (a fresh count and archive).

    Rows already in `store` (an interrupted run of the same agent and seed) are replayed
    into the agent and not evaluated again, so the run resumes where it stopped. With
    `stored_only` (a finished run) the stored rows are served without asking the agent.
    """
    check_int("batch_size", batch_size, 1)
    env, meta = env_and_meta(env, meta)
    agent.plan(budget)  # before its hyperparameters are recorded: a plan may be one
    meta = {"agent": agent.name, "agent_args": agent.hyperparameters, "seed": agent.seed, **meta}
    env.reset(seed=agent.seed)
    with Recorder(env, budget, store, meta, progress and not stored_only) as recorder:
        if stored_only:
            recorder.replay_stored()
        while recorder.remaining and not stored_only:
            designs = agent.ask(min(batch_size, recorder.remaining))[: recorder.remaining]
            if not designs:  # a finished grid, or an agent with nothing left to try
                if recorder.rows:
                    break
                raise ArchGymError(f"agent {agent.name} suggested no designs")
            agent.tell_records(recorder.evaluate(designs))
    return recorder.result()
