"""One experiment: an agent on an environment for a budget, written to a directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from agents.experiments.loop import run
from agents.experiments.ray_pool import on_ray
from agents.experiments.recorder import RunResult
from agents.experiments.run_dir import claim
from agents.experiments.store import DESCRIPTION_KEYS, ResultsStore
from agents.registry import agent_kind, load_agent, make_agent
from archgym_env.objective import Objective
from archgym_env.registry import design_env, make


def run_experiment(env_id: str, env_kwargs: dict[str, Any], agent: str,
                   agent_args: dict[str, Any], budget: int, seed: int, out: str | Path, *,
                   run_id: str | None = None, ray_workers: int = 0,
                   progress: bool = True, overwrite: bool = False,
                   say: Callable[[str], None] | None = None) -> RunResult:
    """Run (or resume) `agent` on `env_id` (any id registered with Gymnasium whose
    environment is a design environment, see `design_env`) into `out`: `run.json` before
    the first evaluation, `evaluations.jsonl` as it goes, then `evaluations.parquet`,
    `summary.json` and, where matplotlib is installed, `run.png`. With `ray_workers`,
    each batch of designs is evaluated across that many Ray tasks.

    `out` holds one run: a directory of another kind or run is refused (with `overwrite`,
    its ArchGym files are removed first). A finished optimizer run is served from its
    store without asking the agent again; one asked for a smaller budget than it holds is
    reported over its first `budget` evaluations and none of its files is rewritten.
    `say` gets one line on what was resumed. The summary is also `result.summary`."""
    kind = agent_kind(agent)
    out = claim(out, "run", overwrite)
    env = design_env(make(env_id, **env_kwargs), env_id)
    if ray_workers:
        env = on_ray(env, ray_workers)
    store = ResultsStore(out)
    meta = {"env_id": env_id, "env_kwargs": env_kwargs, **({"run_id": run_id} if run_id else {})}
    if kind == "marl":
        result = _train_multi_agent(env, agent, dict(agent_args), budget, seed, store, meta,
                                    out, progress)
    elif kind == "rl":
        result = load_agent(agent)(env, agent, budget, seed=seed, algo_args=agent_args,
                                   store=store, meta=meta, log_dir=out / "logs",
                                   eval_every=max(budget // 4, 1), progress=progress)
    else:
        optimizer = make_agent(agent, env.unwrapped.space, seed=seed, **agent_args)
        result = run(env, optimizer, budget, store=store, meta=meta, progress=progress,
                     stored_only=_finished(out, len(store), budget))
    held, done = len(store), len(result.trajectory)
    if say is not None and result.stored:
        say(f"{agent}: all {done:,} evaluations served from the store in {out}; nothing run"
            if result.stored == done else f"{agent}: resumed from {result.stored:,} stored "
            f"evaluations in {out}; {done - result.stored:,} run now")
    result.summary = _summary(result, env_id, env_kwargs, agent, seed, budget, store)
    if held > done:
        if say is not None:
            say(f"{out} holds {held:,} evaluations of this run: reported over the first "
                f"{done:,} (--budget {budget}), its files left as they are")
        return result
    if result.stored == done and (out / "summary.json").exists() and \
            (out / "evaluations.parquet").exists():
        return result  # served whole from the store: its files are already these
    store.to_parquet(frame=result.trajectory)
    plot_if_available(result.trajectory, env.unwrapped.objective, out / "run.png")
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2))
    return result


def _finished(out: Path, stored: int, budget: int) -> bool:
    """Whether the store already holds this run for `budget`: as many evaluations, or a
    summary of a run that ended early (a finished grid) with at least that budget."""
    if stored >= budget:
        return True
    path = out / "summary.json"
    if not stored or not path.exists():
        return False
    summary = json.loads(path.read_text())
    return summary.get("budget", 0) >= budget and summary.get("evaluations") == stored


def _summary(result: RunResult, env_id: str, env_kwargs: dict[str, Any], agent: str,
             seed: int, budget: int, store: ResultsStore) -> dict[str, Any]:
    best = result.best
    description = store.description()
    summary = {"env_id": env_id, "env_kwargs": env_kwargs, "agent": agent,
               "agent_args": best["agent_args"], "seed": seed, "budget": budget,
               "evaluations": len(result.trajectory),
               "run_id": best["run_id"], "best_design": best["design"],
               "best_reward": best["reward"], "best_metrics": best["metrics"],
               "hypervolume": result.hypervolume,
               **{k: description[k] for k in DESCRIPTION_KEYS},
               "pareto_front": [{"design": r["design"], "metrics": r["metrics"]}
                                for r in result.front]}
    return summary


def _train_multi_agent(env, agent: str, agent_args: dict[str, Any], budget: int, seed: int,
                       store: ResultsStore, meta: dict[str, Any], out: Path,
                       progress: bool) -> RunResult:
    """ippo / mappo on the environment's multi-agent form: agent args `groups`
    (`per_parameter`, a grouping the environment names, or a mapping of agent name to
    parameters; default the environment's `default_grouping` where it has one, as
    CoDesign-v0's `task_hardware`, else `per_parameter`) and `share_parameters` pick the
    form; the rest go to PPO."""
    from archgym_env.multi_agent import MultiAgentDesignEnv

    groups = agent_args.pop("groups", getattr(env.unwrapped, "default_grouping",
                                              "per_parameter"))
    share = agent_args.pop("share_parameters", False)
    return load_agent(agent)(MultiAgentDesignEnv(env.unwrapped, groups), agent, budget,
                             seed=seed, share_parameters=share, algo_args=agent_args,
                             store=store, meta=meta, log_dir=out / "logs",
                             eval_every=max(budget // 4, 1), progress=progress)


def plot_if_available(frame: pd.DataFrame, objective: Objective, path: Path,
                      axes: tuple[str, str] | None = None) -> Path | None:
    """`plot_runs` where matplotlib is installed (the plot extra), else nothing."""
    try:
        from agents.experiments.plots import plot_runs
    except ImportError:
        return None
    return plot_runs(frame, objective, path, axes)
