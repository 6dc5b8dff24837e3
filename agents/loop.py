"""The run loop: any agent, any environment, a budget of evaluations."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agents.base import Optimizer
from agents.store import ResultsStore
from archgym_env.env import DesignEnv
from simulators.errors import ArchGymError, InvalidArgumentError


@dataclass
class RunResult:
    """The best evaluation, the Pareto front over the objective's goals, and every row."""

    best: dict[str, Any]
    front: list[dict[str, Any]]
    hypervolume: float
    trajectory: pd.DataFrame = field(repr=False)


def run(env: DesignEnv, agent: Optimizer, budget: int, *, store: ResultsStore | None = None,
        batch_size: int = 8, meta: dict[str, Any] | None = None,
        progress: bool = True) -> RunResult:
    """Drive `agent` on `env` for `budget` evaluations, `batch_size` designs per ask.

    Rows already in `store` (an interrupted run of the same agent and seed) are replayed
    into the agent and not evaluated again, so the run resumes where it stopped.
    """
    if not (isinstance(budget, int) and budget >= 1):
        raise InvalidArgumentError("budget", budget, "an integer >= 1")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise InvalidArgumentError("batch_size", batch_size, "an integer >= 1")
    env = env.unwrapped
    objective = env.objective
    previous = store.rows() if store is not None else []
    meta = {"run_id": uuid.uuid4().hex[:12], "agent": agent.name,
            "agent_args": agent.hyperparameters, "seed": agent.seed, **(meta or {})}
    if previous:
        identity = ("agent", "agent_args", "seed", "env_id", "env_kwargs")
        stored = {k: previous[0].get(k) for k in identity}
        wanted = {k: json.loads(json.dumps(meta.get(k))) for k in identity}
        if stored != wanted:
            differs = next(k for k in identity if stored[k] != wanted[k])
            raise ArchGymError(f"{store.directory} holds a run with {differs}="
                               f"{stored[differs]!r}, not {wanted[differs]!r}; use a new --out")
        meta["run_id"] = previous[0].get("run_id", meta["run_id"])
    archive = objective.new_archive()
    rows: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("best {task.fields[best]:.4f}  hv {task.fields[hv]:.4f}"),
               TimeRemainingColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task(f"{agent.name} on {meta.get('env_id', 'env')}", total=budget,
                            best=float("nan"), hv=0.0)
        while len(rows) < budget:
            designs = agent.ask(min(batch_size, budget - len(rows)))
            if not designs:
                raise ArchGymError(f"agent {agent.name} suggested no designs")
            replayed = previous[len(rows): len(rows) + len(designs)]
            for row, design in zip(replayed, designs, strict=False):
                if row["design"] != design:
                    raise ArchGymError(f"the store in {store.directory} holds another run "
                                       f"(step {row['step']} differs); use a new --out")
                if objective.mode == "pareto" and row["valid"]:
                    objective.reward(row["metrics"], env.archive)
            fresh = designs[len(replayed):]
            start = time.perf_counter()
            results = env.evaluate_batch(fresh) if fresh else []
            seconds = (time.perf_counter() - start) / max(len(fresh), 1)
            new_rows = [{**meta, "step": len(rows) + len(replayed) + i, "design": design,
                         "metrics": info["metrics"], "reward": reward, "valid": info["valid"],
                         "feasible": info["feasible"], "error": info.get("error"),
                         "wall_time_s": seconds}
                        for i, (design, (reward, info)) in enumerate(
                            zip(fresh, results, strict=True))]
            if store is not None and new_rows:
                store.append(new_rows)
            batch = replayed + new_rows
            agent.tell(designs, [r["reward"] for r in batch],
                       np.array([objective.minimization_form(r["metrics"]) if r["valid"]
                                 else np.full(len(objective.goals), 1e12) for r in batch]))
            for row in batch:
                if row["valid"]:
                    archive.add(objective.minimization_form(row["metrics"]), row)
                if best is None or row["reward"] > best["reward"]:
                    best = row
            rows.extend(batch)
            bar.update(task, completed=len(rows), best=best["reward"], hv=archive.hypervolume())
    return RunResult(best=best, front=archive.payloads, hypervolume=archive.hypervolume(),
                     trajectory=pd.json_normalize(rows, max_level=1))
