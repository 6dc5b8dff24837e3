"""Stable-Baselines3 trainers (PPO, A2C, DQN, SAC) on any single-agent ArchGym environment.

Every environment step that evaluates a design goes through a `Recorder`, so an RL run
writes the same results store as an ask/tell run, stops after the same budget of
evaluations, and resumes the same way: training restarts from its seed and the stored
evaluations are checked and served again instead of being written twice.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import stable_baselines3
from gymnasium.wrappers import TimeLimit
from stable_baselines3.common.callbacks import (
    BaseCallback,
    CallbackList,
    CheckpointCallback,
    EvalCallback,
)
from stable_baselines3.common.monitor import Monitor

from agents.args import check_int
from agents.experiments.recorder import Recorder, RunResult, env_and_meta
from agents.experiments.store import ResultsStore
from archgym_env.env import DesignEnv
from archgym_env.wrappers import EqualBinActions
from simulators.errors import InvalidArgumentError

# Per algorithm: the action space it needs, and defaults sized for design search (short
# rollouts, small replay buffers) rather than Atari.
ALGORITHMS: dict[str, tuple[str, dict[str, Any]]] = {
    "ppo": ("any", {"n_steps": 64, "batch_size": 64, "n_epochs": 10, "learning_rate": 3e-4}),
    "a2c": ("any", {"n_steps": 8, "learning_rate": 7e-4}),
    "dqn": ("discrete", {"buffer_size": 10_000, "learning_starts": 64, "batch_size": 32,
                         "exploration_fraction": 0.3, "target_update_interval": 100}),
    "sac": ("box", {"buffer_size": 10_000, "learning_starts": 64, "batch_size": 64}),
}


class RecordingWrapper(gym.Wrapper):
    """Passes every evaluation the environment makes to a Recorder."""

    def __init__(self, env: gym.Env, recorder: Recorder):
        super().__init__(env)
        self.recorder = recorder

    def step(self, action):
        start = time.perf_counter()
        obs, reward, terminated, truncated, info = self.env.step(action)
        if "metrics" in info and self.recorder.remaining:
            self.recorder.observed(float(reward), info, time.perf_counter() - start)
        return obs, reward, terminated, truncated, info


def adapt(env: gym.Env, action_kind: str) -> gym.Env:
    """`env` in a form whose action space the algorithm takes: DQN needs one discrete choice
    per step (sequential mode), SAC a box (one-shot mode through equal bins). An env that
    needs no other mode is kept with its wrappers; a wrapped one that does is refused, since
    its wrappers cannot be carried over to the copy."""
    design_env: DesignEnv = env.unwrapped
    wanted = {"discrete": "sequential", "box": "one_shot"}.get(action_kind, design_env.mode)
    if design_env.mode != wanted:
        inner = env
        while isinstance(inner, TimeLimit):  # registration's TimeLimit: set anew for the mode
            inner = inner.env
        if inner is not design_env:
            raise InvalidArgumentError("env", type(env).__name__,
                                       f"an unwrapped environment, or one in {wanted} mode, "
                                       f"for a {action_kind}-action agent")
        copy = design_env.copy_with(mode=wanted)
        env = copy if env is design_env else TimeLimit(copy, copy.episode_steps)
    return EqualBinActions(env) if action_kind == "box" else env


def train(env: gym.Env | str, algorithm: str, budget: int, *, seed: int = 0,
          algo_args: dict[str, Any] | None = None, store: ResultsStore | None = None,
          meta: dict[str, Any] | None = None, log_dir: str | Path | None = None,
          eval_every: int = 0, progress: bool = True) -> RunResult:
    """Train `algorithm` (ppo, a2c, dqn, sac) on `env` until `budget` designs are evaluated.

    With `log_dir`, TensorBoard logs go to `log_dir/tensorboard`, a checkpoint of the policy
    to `log_dir/checkpoints` every `eval_every` evaluations, and a deterministic-policy
    evaluation (EvalCallback, on a separate copy of the environment that is not recorded)
    to `log_dir/eval`.
    """
    if algorithm not in ALGORITHMS:
        raise InvalidArgumentError("agent", algorithm, ", ".join(ALGORITHMS))
    check_int("seed", seed, 0)
    env, meta = env_and_meta(env, meta)
    action_kind, defaults = ALGORITHMS[algorithm]
    hyperparameters = {**defaults, **(algo_args or {})}
    meta = {"agent": algorithm, "agent_args": hyperparameters, "seed": seed, **meta}
    design_env = adapt(env, action_kind)
    steps_per_evaluation = (len(design_env.unwrapped.space.parameters)
                            if design_env.unwrapped.mode == "sequential" else 1)
    algorithm_class = getattr(stable_baselines3, algorithm.upper())
    with Recorder(design_env, budget, store, meta, progress) as recorder:  # the env stepped
        wrapped = RecordingWrapper(design_env, recorder)
        try:
            model = algorithm_class("MlpPolicy", wrapped, seed=seed, verbose=0,
                                    tensorboard_log=str(Path(log_dir) / "tensorboard")
                                    if log_dir else None, **hyperparameters)
        except (TypeError, ValueError, AssertionError) as error:
            raise InvalidArgumentError("agent args", algo_args or {},
                                       str(error) or "valid SB3 arguments") from None
        callbacks = [StopAtBudget(recorder)]
        if log_dir and eval_every:
            log_dir = Path(log_dir)
            every = eval_every * steps_per_evaluation
            callbacks.append(CheckpointCallback(every, str(log_dir / "checkpoints"),
                                                name_prefix=algorithm))
            eval_env = Monitor(adapt(env.unwrapped.copy_with(), action_kind))
            callbacks.append(EvalCallback(eval_env, eval_freq=every, n_eval_episodes=1,
                                          log_path=str(log_dir / "eval"), verbose=0))
        # Each episode ends after at most max_steps evaluations, so this many steps always
        # exhaust the budget; _StopAtBudget ends training at the budget exactly.
        total = budget * steps_per_evaluation * design_env.unwrapped.max_steps
        model.learn(total_timesteps=total, callback=CallbackList(callbacks))
    return recorder.result()



class StopAtBudget(BaseCallback):
    """Ends training once the recorder has its budget of evaluations."""

    def __init__(self, recorder: Recorder):
        super().__init__()
        self.recorder = recorder

    def _on_step(self) -> bool:
        return self.recorder.remaining > 0
