"""One run's evaluations: stored as they happen, replayed on resume, summarized at the end."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agents.args import check_int
from agents.experiments.store import ResultsStore, as_stored, run_description
from archgym_env.env import DesignEnv
from archgym_env.evaluation import Evaluation
from archgym_env.registry import make
from simulators.base import BatchResult
from simulators.errors import ArchGymError

# What makes two runs the same run: a store holding another run is never resumed into.
RUN_IDENTITY = ("agent", "agent_args", "seed", "env_id", "env_kwargs")
# Off a terminal, progress is a line to stderr at most this often (seconds).
PROGRESS_SECONDS_VARIABLE = "ARCHGYM_PROGRESS_SECONDS"
PROGRESS_SECONDS = 30.0


def progress_seconds() -> float:
    """How often progress lines go to stderr off a terminal ($ARCHGYM_PROGRESS_SECONDS)."""
    try:
        return float(os.environ.get(PROGRESS_SECONDS_VARIABLE, PROGRESS_SECONDS))
    except ValueError:
        return PROGRESS_SECONDS


class ProgressLines:
    """Progress as plain lines to stderr, at most one every `progress_seconds()`: what
    long work shows when stderr is not a terminal (a log file, a pipe, a batch job)."""

    def __init__(self, label: str, total: int, unit: str):
        self.label, self.total, self.unit = label, total, unit
        self.every, self.start = progress_seconds(), time.monotonic()
        self.last = self.start

    def update(self, done: int, detail: str = "") -> None:
        now = time.monotonic()
        if now - self.last >= self.every and done < self.total:
            self.last = now
            sys.stderr.write(f"{self.label}: {done:,}/{self.total:,} {self.unit}"
                             f"{', ' + detail if detail else ''}, {now - self.start:.0f} s\n")
            sys.stderr.flush()


def identity_changes(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """`key.sub stored (here wanted)` for each entry of a run identity that differs,
    nested mappings compared entry by entry."""
    changes = []
    for key in dict.fromkeys([*stored, *wanted]):
        old, new = stored.get(key), wanted.get(key)
        if old == new:
            continue
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changes += [f"{key}.{change}" for change in identity_changes(old, new)]
        else:
            changes.append(f"{key}={old!r} (here {new!r})")
    return changes


@dataclass
class RunResult:
    """The best evaluation, the Pareto front over the objective's goals, and every row."""

    best: dict[str, Any]
    front: list[dict[str, Any]]
    hypervolume: float
    trajectory: pd.DataFrame = field(repr=False)
    stored: int = 0  # evaluations served from the store instead of being run
    summary: dict[str, Any] = field(default_factory=dict, repr=False)


def env_and_meta(env: gym.Env | str, meta: Mapping[str, Any] | None) -> tuple[gym.Env, dict]:
    """`env`, made from its registered id (with `meta`'s env_kwargs) when given as one, and
    a copy of `meta` that names that id as env_id unless it already names one."""
    meta = dict(meta or {})
    if isinstance(env, str):
        meta.setdefault("env_id", env)
        env = make(env, **meta.get("env_kwargs", {}))
    return env, meta


class Recorder:
    """Counts a run's evaluations against its budget, writes each to `store`, keeps the best
    row and shows progress. The environment scores and archives; the recorder only reads.

    Rows already in `store` (an interrupted run with the same identity) are served again in
    order instead of being evaluated or written twice (the environment scores them from
    their stored metrics), so the run resumes where it stopped. The store's `run.json`
    (identity, objective, space fingerprint, versions) is written before the first
    evaluation; a resume under another objective, space or simulator version is refused.
    """

    def __init__(self, env: DesignEnv, budget: int, store: ResultsStore | None = None,
                 meta: Mapping[str, Any] | None = None, progress: bool = True):
        check_int("budget", budget, 1)
        self.env, self.budget, self.store = env, budget, store
        self.design_env: DesignEnv = env.unwrapped
        self.objective = self.design_env.objective
        self.previous = store.rows() if store is not None else []
        self.meta = {"run_id": uuid.uuid4().hex[:12], **(meta or {})}
        if self.previous:
            self._check_identity()
            self.meta["run_id"] = self.previous[0].get("run_id", self.meta["run_id"])
        if store is not None:
            self._describe()
        self.rows: list[dict[str, Any]] = []
        self._by_evaluation: dict[int, dict[str, Any]] = {}  # the env's count -> row
        self.best: dict[str, Any] | None = None
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("best {task.fields[best]:.4f}  hv {task.fields[hv]:.4f}"),
                   TimeRemainingColumn())
        label = f"{self.meta.get('agent', 'agent')} on {self.meta.get('env_id', 'env')}"
        terminal = sys.stderr.isatty()
        self._bar = Progress(*columns, console=Console(stderr=True),
                             disable=not (progress and terminal), transient=False)
        self._task = self._bar.add_task(label, total=budget, best=float("nan"), hv=0.0)
        self._lines = ProgressLines(label, budget, "evaluations") \
            if progress and not terminal else None

    def _check_identity(self) -> None:
        stored = {k: self.previous[0].get(k) for k in RUN_IDENTITY}
        wanted = {k: as_stored(self.meta.get(k)) for k in RUN_IDENTITY}
        changes = identity_changes(stored, wanted)
        if changes:
            raise ArchGymError(f"{self.store.directory} holds a run with {'; '.join(changes)};"
                               " use another --out (by default each run has its own), or "
                               "--overwrite to replace it")

    @property
    def stored(self) -> int:
        """How many evaluations the store held when the run started."""
        return len(self.previous)

    def replay_stored(self) -> None:
        """Serve the stored evaluations (up to the budget) without asking an agent: a
        finished run reported from its store."""
        self.evaluate([row["design"] for row in self.previous[: self.budget]])

    def _describe(self) -> None:
        """Write the run's identity and description to the store before any evaluation; on
        resume, refuse a changed objective, space or simulator and keep the first one."""
        description = {**{k: as_stored(self.meta.get(k)) for k in ("run_id", *RUN_IDENTITY)},
                       **run_description(self.env)}
        if self.previous:
            self.store.check_description(description)
            if self.store.description() is not None:
                return
        self.store.describe(description)

    def __enter__(self) -> Recorder:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    @property
    def remaining(self) -> int:
        return self.budget - len(self.rows)

    def evaluate(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
        """The environment's records of `designs`: stored ones scored again from their
        stored metrics, the rest evaluated in one batch through the environment as given
        (wrappers included); each becomes a row."""
        designs = list(designs)[: self.remaining]
        replayed = []
        for design in designs:
            row = self._stored_row(len(self.rows) + len(replayed), design)
            if row is None:
                break
            replayed.append(row)
        records = list(self._replay(replayed)) if replayed else []
        self._add(replayed, records)
        fresh = designs[len(replayed):]
        if fresh:
            start = time.perf_counter()
            batch = list(self.env.get_wrapper_attr("evaluate_batch")(fresh))
            seconds = (time.perf_counter() - start) / len(fresh)
            rows = [self._row(len(self.rows) + i, r.info(), r.reward, seconds)
                    for i, r in enumerate(batch)]
            self._write(rows)
            self._add(rows, batch)
            records += batch
        return records

    def observed(self, reward: float, info: Mapping[str, Any], seconds: float) -> dict:
        """Record an evaluation the environment already made (an RL step); on resume, check
        it against the stored row instead of writing it again."""
        row = self._stored_row(len(self.rows), info["design"])
        if row is None:
            row = self._row(len(self.rows), info, reward, seconds)
            self._write([row])
        self._by_evaluation[info["evaluations"]] = row
        self._add([row])
        return row

    def result(self) -> RunResult:
        if self.best is None:
            raise ArchGymError("the run made no evaluation")
        archive = self.design_env.archive
        front = [self._by_evaluation[p.evaluation] for p in archive.payloads
                 if p.evaluation in self._by_evaluation]
        return RunResult(best=self.best, front=front, hypervolume=archive.hypervolume(),
                         trajectory=pd.json_normalize(self.rows, max_level=1),
                         stored=min(self.stored, len(self.rows)))

    def _replay(self, rows: Sequence[Mapping[str, Any]]):
        """The environment's records of stored rows, scored from their stored metrics."""
        env = self.design_env
        names = env.simulator.metric_names
        result = BatchResult.from_rows(
            [r["metrics"] if r["valid"] else None for r in rows], names,
            [None if r["valid"] else (r.get("error") or "invalid design") for r in rows])
        indices = np.full((len(rows), len(env.space.nvec)), -1, dtype=np.int64)
        for i, row in enumerate(rows):
            if row["valid"]:
                indices[i] = env.space.to_index(row["design"])
        return env.score(result, indices, [dict(r["design"]) for r in rows])

    def _stored_row(self, step: int, design: Mapping[str, Any]) -> dict[str, Any] | None:
        if step >= len(self.previous):
            return None
        row = self.previous[step]
        if row["design"] != as_stored(dict(design)):
            where = self.store.directory if self.store is not None else "the store"
            raise ArchGymError(f"{where} holds another run (step {step} differs); use "
                               "another --out, or --overwrite to replace it")
        return row

    def _row(self, step: int, info: Mapping[str, Any], reward: float, seconds: float) -> dict:
        return {**self.meta, "step": step, "design": info["design"], "metrics": info["metrics"],
                "reward": reward, "valid": info["valid"], "feasible": info["feasible"],
                "targets_met": info["targets_met"], "error": info.get("error"),
                "wall_time_s": seconds}

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if self.store is not None and rows:
            self.store.append(rows)

    def _add(self, rows: Sequence[dict[str, Any]], records: Sequence[Evaluation] = ()) -> None:
        for row, record in zip(rows, records, strict=False):
            self._by_evaluation[record.evaluation] = row
        for row in rows:
            if self.best is None or row["reward"] > self.best["reward"]:
                self.best = row
        self.rows.extend(rows)
        if self._lines is not None and self.rows:
            self._lines.update(len(self.rows), f"best reward {self.best['reward']:.4f}")
        if not self._bar.disable and self.rows:  # the exact hypervolume only when shown
            self._bar.update(self._task, completed=len(self.rows), best=self.best["reward"],
                             hv=self.design_env.archive.hypervolume())
