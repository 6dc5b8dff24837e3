"""Sweeps: environments x agents x hyperparameter grids x seeds, run locally or on Ray.

A sweep file (YAML):

    budget: 200                 # evaluations per run
    seeds: 3                    # 0, 1, 2; or a list such as [0, 7]
    environments:               # Gymnasium ids of design environments (`module:EnvId`
      - id: archgym/Systolic-v0 #   imports the module that registers EnvId first)
        args: {reward: target}  # optional environment arguments
    agents:
      - name: ga
        args: {tournament: 3}   # optional fixed hyperparameters
        grid: {population: [16, 32], mutation: [0.05, 0.2]}  # optional cross product
      - name: random

Each run writes to `OUT/<environment>/<agent>/<args>/seed-<s>/`. A run whose
`summary.json` holds the sweep's budget is finished and skipped; an unfinished one, or one
asked for a larger budget, resumes from its store, so a killed or extended sweep never
repeats a finished evaluation.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agents.args import check_int
from agents.experiments.experiment import design_env, run_experiment
from agents.experiments.ray_pool import BACKENDS, start_ray
from agents.experiments.recorder import ProgressLines
from agents.experiments.run_dir import claim, mark, run_key
from agents.experiments.store import ResultsStore, run_description
from agents.registry import AGENTS, agent_kind, agent_names, make_agent
from archgym_env.registry import known_ids, make, registered
from simulators.errors import InvalidArgumentError

SWEEP_KEYS = {"budget", "seeds", "environments", "agents"}


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep."""

    env_id: str
    agent: str
    seed: int
    budget: int
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    agent_args: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The run's directory under the sweep's output (as `archgym run`'s default)."""
        return run_key(self.env_id, self.env_kwargs, self.agent, self.agent_args, self.seed)

    @property
    def run_id(self) -> str:
        """Fixed by the run's settings (not its budget, which a rerun may raise)."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:12]


def load_sweep(path: str | Path) -> list[RunSpec]:
    """The runs a sweep file asks for, checked before anything runs."""
    try:
        spec = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        reason = getattr(error, "problem", None) or type(error).__name__
        raise InvalidArgumentError("sweep file", str(path),
                                   f"valid YAML ({reason}{where})") from None
    if not isinstance(spec, dict):
        raise InvalidArgumentError("sweep file", str(path), "a YAML mapping")
    return expand(spec)


def expand(spec: dict[str, Any]) -> list[RunSpec]:
    """The cross product of a parsed sweep mapping (see the module docstring)."""
    unknown = sorted(set(spec) - SWEEP_KEYS)
    if unknown:
        raise InvalidArgumentError("sweep key", unknown[0], ", ".join(sorted(SWEEP_KEYS)))
    budget = spec.get("budget", 100)
    check_int("budget", budget, 1)
    seeds = spec.get("seeds", 1)
    seeds = list(range(seeds)) if isinstance(seeds, int) and not isinstance(seeds, bool) \
        else seeds
    if not (isinstance(seeds, list) and seeds
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
        raise InvalidArgumentError("seeds", spec.get("seeds"),
                                   "a count >= 1 or a list of integers >= 0")
    environments = [_entry(e, "environments", "id", registered, known_ids)
                    for e in _list(spec, "environments")]
    agents = [_entry(a, "agents", "name", AGENTS.__contains__, agent_names)
              for a in _list(spec, "agents")]
    runs = []
    for (env_id, env_kwargs, env_grid), (agent, args, grid), seed in itertools.product(
            environments, agents, seeds):
        if env_grid:
            raise InvalidArgumentError("environments grid", env_id,
                                       "no grid: list the environment once per setting")
        for values in itertools.product(*grid.values()):
            runs.append(RunSpec(env_id, agent, seed, budget, env_kwargs,
                                {**args, **dict(zip(grid, values, strict=True))}))
    keys = [run.key for run in runs]
    repeated = next((key for key in keys if keys.count(key) > 1), None)
    if repeated:
        raise InvalidArgumentError("sweep run", repeated, "each run once (a seed, grid value "
                                                          "or environment is listed twice)")
    return runs


def _list(spec: dict[str, Any], key: str) -> list[Any]:
    value = spec.get(key)
    if not isinstance(value, list) or not value:
        raise InvalidArgumentError(key, value, "a non-empty list")
    return value


def _entry(item: Any, section: str, name_key: str, known: Callable[[str], bool],
           allowed: Callable[[], Iterable[str]]) -> tuple[str, dict, dict]:
    if isinstance(item, str):
        item = {name_key: item}
    keys = {name_key, "args", "grid"}
    if not isinstance(item, dict) or set(item) - keys or name_key not in item:
        raise InvalidArgumentError(section, item, f"entries with {name_key} and optional "
                                                  "args and grid mappings")
    if not known(item[name_key]):
        raise InvalidArgumentError(f"{section} {name_key}", item[name_key],
                                   ", ".join(allowed()))
    args, grid = item.get("args") or {}, item.get("grid") or {}
    if not isinstance(args, dict) or not isinstance(grid, dict) or not all(
            isinstance(v, list) and v for v in grid.values()):
        raise InvalidArgumentError(f"{item[name_key]} args/grid", item,
                                   "args a mapping, grid a mapping of non-empty lists")
    return item[name_key], args, grid


def check(runs: list[RunSpec]) -> None:
    """Build every environment and ask/tell agent once, so bad arguments fail before any
    run starts rather than in a worker midway (RL arguments are checked when training)."""
    spaces = {}
    for run in runs:
        env_key = json.dumps([run.env_id, run.env_kwargs], sort_keys=True)
        if env_key not in spaces:
            env = design_env(make(run.env_id, **run.env_kwargs), run.env_id)
            spaces[env_key] = env.unwrapped.space
        if agent_kind(run.agent) == "optimizer":
            make_agent(run.agent, spaces[env_key], seed=run.seed, **run.agent_args)


def execute(run: RunSpec, out: str) -> dict[str, Any]:
    """Run (or resume, or extend to a new budget) one run into `out/run.key`; its summary.
    A finished run is reused only if its objective, space and simulators are still the
    environment's (else the one-line refusal a resume gives)."""
    directory = Path(out) / run.key
    summary = directory / "summary.json"
    if summary.exists() and json.loads(summary.read_text())["budget"] == run.budget:
        ResultsStore(directory).check_description(
            run_description(make(run.env_id, **run.env_kwargs)))
        return json.loads(summary.read_text())
    return run_experiment(run.env_id, run.env_kwargs, run.agent, run.agent_args, run.budget,
                          run.seed, directory, run_id=run.run_id, progress=False).summary


def run_sweep(runs: list[RunSpec], out: str | Path, backend: str = "local", workers: int = 1,
              address: str | None = None, progress: bool = True,
              overwrite: bool = False) -> pd.DataFrame:
    """Every run of the sweep, `workers` at a time; a table of their summaries in the
    sweep's order, also written to `out/summary.csv` (nested values as JSON). `out` holds
    sweeps only (see `run_dir.claim`)."""
    if backend not in BACKENDS:
        raise InvalidArgumentError("backend", backend, ", ".join(BACKENDS))
    check_int("workers", workers, 1)
    check(runs)
    out = claim(out, "sweep", overwrite)
    mark(out, "sweep")
    columns = (TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    summaries = []
    terminal = sys.stderr.isatty()
    lines = ProgressLines("sweep", len(runs), "runs") if progress and not terminal else None
    with Progress(*columns, console=Console(stderr=True),
                  disable=not (progress and terminal)) as bar:
        task = bar.add_task("runs", total=len(runs))
        for summary in _dispatch(backend, runs, str(out), workers, address):
            summaries.append(summary)
            bar.advance(task)
            if lines is not None:
                lines.update(len(summaries))
    order = {run.run_id: i for i, run in enumerate(runs)}
    summaries.sort(key=lambda s: order[s["run_id"]])  # completion order -> sweep order
    table = pd.json_normalize(summaries, max_level=0).drop(columns=["pareto_front"])
    nested = [c for c in table.columns if table[c].map(lambda v: isinstance(v, dict | list)).any()]
    table.assign(**{c: table[c].map(json.dumps) for c in nested}).to_csv(
        out / "summary.csv", index=False)
    return table


def _dispatch(backend: str, runs: list[RunSpec], out: str, workers: int,
              address: str | None) -> Iterable[dict[str, Any]]:
    if backend == "ray":
        yield from _on_ray(runs, out, workers, address)
    elif workers == 1:
        yield from (execute(run, out) for run in runs)
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(execute, run, out) for run in runs]
            yield from (f.result() for f in as_completed(futures))


def _on_ray(runs: list[RunSpec], out: str, workers: int,
            address: str | None) -> Iterable[dict[str, Any]]:
    started = start_ray(workers, address)
    import ray

    try:
        remote: Callable = ray.remote(num_cpus=1)(execute)
        pending = [remote.remote(run, out) for run in runs]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()
