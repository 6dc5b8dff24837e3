"""Multi-agent PPO on a `MultiAgentDesignEnv`, built from Stable-Baselines3's PPO.

Three trainers, each agent owning a group of design parameters:

- `ippo`: independent PPO, one SB3 PPO (actor and critic) per agent;
- `ippo` with `share_parameters=True`: one SB3 PPO acts for every agent, its observation
  extended by the agent's one-hot id and its action read by equal bins into each agent's
  choices (agents are its parallel "environments" in one rollout buffer);
- `mappo`: per-agent actors with one centralized critic (Yu et al., "The Surprising
  Effectiveness of PPO in Cooperative Multi-Agent Games", NeurIPS 2022): the critic sees
  the environment's global `state()` (the joint design and its metrics), is fitted to the
  team return, and gives every actor its advantage.

Every joint evaluation goes through a `Recorder`, so the results store, the budget and
resume behave as for single-agent runs.

This module collects the rollouts itself (SB3's public `learn` steps one vectorized
environment and has no centralized critic), then uses SB3's public `rollout_buffer`,
`policy` and `train()`. Three private members remain, for which SB3 has no public form:
`_init_setup_model=False` and `_setup_model()` (a PPO built from spaces, with no
environment) and `_current_progress_remaining` (what learning-rate and clip-range
schedules read). pyproject.toml pins the SB3 major version this is tested with (2.x).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.torch_layers import create_mlp
from stable_baselines3.common.utils import configure_logger, obs_as_tensor

from agents.args import check_int
from agents.experiments.recorder import Recorder, RunResult
from agents.experiments.store import ResultsStore
from agents.registry import agent_names
from archgym_env.multi_agent import MultiAgentDesignEnv
from simulators.errors import InvalidArgumentError

PPO_DEFAULTS = {"n_steps": 32, "batch_size": 32, "n_epochs": 10, "learning_rate": 3e-4,
                "gamma": 0.99, "ent_coef": 0.01}


def _ppo(observation_space: spaces.Space, action_space: spaces.Space, n_envs: int, seed: int,
         log_dir: Path | None, name: str, args: Mapping[str, Any]) -> PPO:
    """An SB3 PPO set up for rollouts this module collects itself (SB3 2.x private
    members: see the module docstring)."""
    try:
        model = PPO("MlpPolicy", None, seed=seed, _init_setup_model=False, **args)
        model.observation_space, model.action_space, model.n_envs = (
            observation_space, action_space, n_envs)
        model._setup_model()
    except (TypeError, ValueError, AssertionError) as error:
        raise InvalidArgumentError("agent args", dict(args), str(error) or "valid PPO "
                                                                        "arguments") from None
    model.set_logger(configure_logger(0, str(log_dir) if log_dir else None, name))
    return model


class _Learners:
    """The PPO models and how each agent's action and observation map onto them."""

    def __init__(self, env: MultiAgentDesignEnv, algorithm: str, share: bool, seed: int,
                 log_dir: Path | None, args: Mapping[str, Any]):
        self.env, self.share, self.agents = env, share, list(env.possible_agents)
        observation = env.observation_space(self.agents[0])
        if share:
            widths = [len(env.action_space(a).nvec) for a in self.agents]
            choices = max(int(env.action_space(a).nvec.max()) for a in self.agents)
            shared_obs = spaces.Box(-1.0, 1.0, (observation.shape[0] + len(self.agents),),
                                    np.float32)
            self.models = {"shared": _ppo(shared_obs, spaces.MultiDiscrete(
                [choices] * max(widths)), len(self.agents), seed, log_dir, "shared", args)}
        else:
            vf_coef = {"vf_coef": 0.0} if algorithm == "mappo" else {}
            self.models = {a: _ppo(observation, env.action_space(a), 1, seed + i, log_dir, a,
                                   {**args, **vf_coef}) for i, a in enumerate(self.agents)}
        self.critic = None
        if algorithm == "mappo":
            th.manual_seed(seed)
            self.critic = th.nn.Sequential(*create_mlp(env.state_space.shape[0], 1, [64, 64]))
            self.critic_optimizer = th.optim.Adam(self.critic.parameters(),
                                                  lr=args.get("learning_rate", 3e-4))

    def inputs(self, obs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per model, its observation batch (rows are the agents it acts for)."""
        if not self.share:
            return {a: obs[a][None, :] for a in self.agents}
        ids = np.eye(len(self.agents), dtype=np.float32)
        return {"shared": np.hstack([np.stack([obs[a] for a in self.agents]), ids])}

    def act(self, inputs: Mapping[str, np.ndarray], deterministic: bool = False):
        """(model outputs per model, the agents' actions)."""
        outputs = {}
        for name, model in self.models.items():
            with th.no_grad():
                outputs[name] = model.policy(obs_as_tensor(inputs[name], model.device),
                                             deterministic=deterministic)
        if not self.share:
            return outputs, {a: outputs[a][0].numpy()[0] for a in self.agents}
        raw = outputs["shared"][0].numpy()
        choices = self.models["shared"].action_space.nvec[0]
        actions = {}
        for row, agent in enumerate(self.agents):
            nvec = self.env.action_space(agent).nvec
            actions[agent] = raw[row, : len(nvec)] * nvec // choices
        return outputs, actions

    def values(self, inputs: Mapping[str, np.ndarray]) -> dict[str, th.Tensor]:
        """Per model, the value of the environment's current step: the centralized critic
        on the global state (mappo) or each model's own critic on its inputs."""
        with th.no_grad():
            if self.critic is not None:
                central = self.critic(th.as_tensor(self.env.state()[None])).flatten()
                return {name: central for name in self.models}
            return {name: model.policy.predict_values(obs_as_tensor(inputs[name], model.device))
                    .flatten() for name, model in self.models.items()}


def train_multi_agent(env: MultiAgentDesignEnv, algorithm: str, budget: int, *, seed: int = 0,
                      share_parameters: bool = False, algo_args: Mapping[str, Any] | None = None,
                      store: ResultsStore | None = None, meta: Mapping[str, Any] | None = None,
                      log_dir: str | Path | None = None, eval_every: int = 0,
                      progress: bool = True) -> RunResult:
    """Train `ippo` or `mappo` on `env` until `budget` joint designs are evaluated.

    With `log_dir`, TensorBoard logs go to `log_dir/<agent>_1`; with `eval_every` too, after
    the first update past every `eval_every` evaluations each agent's model is saved to
    `log_dir/checkpoints` and the deterministic joint policy is scored on an unrecorded copy
    of the environment (`log_dir/eval/evaluations.npz`, as SB3's EvalCallback writes).
    """
    if algorithm not in agent_names("marl"):
        raise InvalidArgumentError("agent", algorithm, ", ".join(agent_names("marl")))
    if algorithm == "mappo" and share_parameters:
        raise InvalidArgumentError("share_parameters", True, "False for mappo (per-agent "
                                                             "actors around one critic)")
    args = {**PPO_DEFAULTS, **(algo_args or {})}
    for name in ("n_steps", "n_epochs", "batch_size"):
        check_int(f"agent args {name}", args[name], 1)
    log_dir = Path(log_dir) if log_dir else None
    learners = _Learners(env, algorithm, share_parameters, seed, log_dir, args)
    meta = {"agent": algorithm, "seed": seed, **(meta or {}),
            "agent_args": {**args, "share_parameters": share_parameters,
                           "groups": {a: list(g) for a, g in env.groups.items()}}}
    n_steps = args["n_steps"]
    evaluation = _Evaluation(env, learners, Path(log_dir), eval_every) \
        if log_dir and eval_every else None
    with Recorder(env.env, budget, store, meta, progress) as recorder:
        obs, _ = env.reset(seed=seed)
        starts = np.ones(1, dtype=np.float32)
        while recorder.remaining:
            for model in learners.models.values():
                model.rollout_buffer.reset()
            states = []
            for _ in range(n_steps):
                inputs = learners.inputs(obs)
                outputs, actions = learners.act(inputs)
                central = learners.values(inputs) if learners.critic is not None else None
                states.append(env.state())
                start = time.perf_counter()
                next_obs, rewards, terms, truncs, infos = env.step(actions)
                info = infos[learners.agents[0]]
                recorder.observed(info["team_reward"], info, time.perf_counter() - start)
                done = terms[learners.agents[0]] or truncs[learners.agents[0]]
                if truncs[learners.agents[0]] and not terms[learners.agents[0]]:
                    bootstrap = learners.values(learners.inputs(next_obs))
                else:
                    bootstrap = None
                for name, model in learners.models.items():
                    agents = learners.agents if learners.share else [name]
                    reward = np.array([rewards[a] for a in agents], dtype=np.float32)
                    if bootstrap is not None:
                        reward = reward + args["gamma"] * bootstrap[name].numpy()
                    values = central[name] if central else outputs[name][1].flatten()
                    model.rollout_buffer.add(inputs[name], outputs[name][0].numpy(), reward,
                                             np.repeat(starts, len(agents)), values,
                                             outputs[name][2])
                starts = np.array([float(done)], dtype=np.float32)
                obs = env.reset()[0] if done else next_obs
                if not recorder.remaining:
                    break
            if not recorder.remaining:
                break  # the budget ended mid-rollout: nothing left to learn for
            last = learners.values(learners.inputs(obs))
            for name, model in learners.models.items():
                model.rollout_buffer.compute_returns_and_advantage(
                    last[name], np.repeat(starts, model.n_envs))
                model._current_progress_remaining = recorder.remaining / budget
                model.train()
            if learners.critic is not None:
                returns = next(iter(learners.models.values())).rollout_buffer.returns
                _fit_critic(learners, np.array(states), returns.reshape(-1), args["n_epochs"])
            if evaluation is not None:
                evaluation.maybe(len(recorder.rows))
    return recorder.result()


class _Evaluation:
    """Checkpoints and deterministic-policy scores every `every` evaluations."""

    def __init__(self, env: MultiAgentDesignEnv, learners: _Learners, log_dir: Path,
                 every: int):
        self.env = MultiAgentDesignEnv(env.env.copy_with(), env.groups, env.agent_reward)
        self.learners, self.log_dir, self.every = learners, log_dir, check_int(
            "eval_every", every, 1)
        self.done_at: list[int] = []
        self.scores: list[float] = []

    def maybe(self, evaluations: int) -> None:
        if evaluations < (len(self.done_at) + 1) * self.every:
            return
        (self.log_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        for name, model in self.learners.models.items():
            model.save(self.log_dir / "checkpoints" / f"{name}_{evaluations}_evaluations.zip")
        obs, _ = self.env.reset(seed=0)
        score, done = 0.0, False
        while not done:
            _, actions = self.learners.act(self.learners.inputs(obs), deterministic=True)
            obs, _, terms, truncs, infos = self.env.step(actions)
            first = self.learners.agents[0]
            score += infos[first]["team_reward"]
            done = terms[first] or truncs[first]
        self.done_at.append(evaluations)
        self.scores.append(score)
        for model in self.learners.models.values():
            model.logger.record("eval/mean_reward", score)
            model.logger.dump(evaluations)
        (self.log_dir / "eval").mkdir(parents=True, exist_ok=True)
        np.savez(self.log_dir / "eval" / "evaluations.npz", timesteps=np.array(self.done_at),
                 results=np.array(self.scores)[:, None])


def _fit_critic(learners: _Learners, states: np.ndarray, returns: np.ndarray,
                epochs: int) -> None:
    """Regress the centralized critic on the team's returns (the same for every agent)."""
    x = th.as_tensor(states, dtype=th.float32)
    y = th.as_tensor(returns, dtype=th.float32)
    for _ in range(epochs):
        loss = th.nn.functional.mse_loss(learners.critic(x).flatten(), y)
        learners.critic_optimizer.zero_grad()
        loss.backward()
        learners.critic_optimizer.step()

