"""Collect proxy training data: simulate designs of an environment's space in batches and
write them as a dataset (`cost_models.dataset`), resumably, optionally on Ray workers;
or turn stored runs (agent trajectories) into a dataset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.experiments.experiment import design_env
from agents.experiments.ray_pool import on_ray
from agents.experiments.store import (
    ResultsStore,
    description_changes,
    package_version,
    read_description,
    run_description,
)
from archgym_env.registry import make
from cost_models import dataset as ds
from cost_models.features import describe_space
from cost_models.sampling import COLLECT_SAMPLERS, SAMPLERS, sample_indices
from simulators.errors import ArchGymError, InvalidArgumentError


def plan(space, n: int, sampler: str, seed: int,
         exclude: set[tuple[int, ...]] | None = None) -> np.ndarray:
    """`n` distinct canonical designs of `space` (an index matrix) drawn by `sampler`,
    none of them in `exclude`: the sampler is asked for more points until there are `n`
    (QMC samplers then lose their balance for the extra draws)."""
    exclude = exclude or set()
    if n > space.size - len(exclude):
        raise InvalidArgumentError("n", n, f"at most {space.size - len(exclude)} distinct "
                                           "designs in this space")
    seen, chosen, draw = set(exclude), [], 0
    while len(chosen) < n:
        batch = space.canonical_index(sample_indices(space.nvec, max(2 * n, 16), sampler,
                                                     seed + 7919 * draw))
        for row in batch:
            key = tuple(row.tolist())
            if key not in seen and not (space.constraints and space.violations(
                    space.from_index(row))):
                seen.add(key)
                chosen.append(row)
                if len(chosen) == n:
                    break
        draw += 1
    return np.asarray(chosen, dtype=np.int64)


def feature_context(simulator) -> dict[str, Any]:
    """Constants of the simulated system that derived features use: a DRAM model's banks
    per rank (`cost_models.features.QUEUE`)."""
    spec = getattr(getattr(simulator, "spec", None), "banks", None)
    return {"banks": int(spec)} if isinstance(spec, int) else {}


def _manifest(env, env_id: str, env_args: dict[str, Any], **how: Any) -> dict[str, Any]:
    design_env_ = env.unwrapped
    return {"env_id": env_id, "env_args": env_args,
            "space_fingerprint": design_env_.space.fingerprint(),
            "space": describe_space(design_env_.space, feature_context(design_env_.simulator)),
            "simulators": run_description(env)["simulators"],
            "metrics": [m.as_dict() for m in design_env_.simulator.metrics],
            "archgym_version": package_version(), **how}


def _frame(space, rows: np.ndarray, indices: np.ndarray, valid: np.ndarray,
           reasons: Sequence[str | None], metrics: dict[str, np.ndarray]) -> pd.DataFrame:
    values = space.columns(indices)
    frame = {"row": rows.astype(np.int64),
             **{f"design.{p}": (v.tolist() if v.dtype == object else v)
                for p, v in values.items()},
             "valid": np.asarray(valid, dtype=bool), "error": list(reasons),
             **{f"metrics.{m}": np.asarray(v, dtype=np.float64) for m, v in metrics.items()}}
    return pd.DataFrame(frame)


def collect(env_id: str, env_args: dict[str, Any], n: int, sampler: str, seed: int,
            out: str | Path, *, workers: int = 1, batch_size: int = 100,
            exclude: Sequence[str | Path] = (),
            progress: Callable[[int, int], None] | None = None) -> ds.Dataset:
    """Simulate `n` distinct designs drawn by `sampler` (random, lhs, sobol) into the dataset
    `out`, `batch_size` designs per simulator batch (spread over `workers` Ray tasks when
    more than one; the caller starts Ray), each batch written as it comes. Rerun with the
    same arguments, it evaluates only the designs not yet stored. Designs of the datasets
    in `exclude` are never drawn (a held-out set disjoint from a training set)."""
    if sampler not in SAMPLERS:
        raise InvalidArgumentError("sampler", sampler, ", ".join(COLLECT_SAMPLERS))
    env = design_env(make(env_id, **env_args), env_id)
    space = env.unwrapped.space
    excluded, sources = set(), []
    for directory in exclude:
        other = ds.read_dataset(directory)
        if other.manifest["space_fingerprint"] != space.fingerprint():
            raise ArchGymError(f"{directory} was collected on another design space")
        encoder_rows = space.canonical_index(np.stack([space.to_index(
            {p: v for p, v in zip(other.parameters, row, strict=True)})
            for row in other.frame[[f"design.{p}" for p in other.parameters]].itertuples(
                index=False)]))
        excluded |= {tuple(r.tolist()) for r in encoder_rows}
        sources.append(str(directory))
    ds.start(out, _manifest(env, env_id, env_args, sampler=sampler, seed=seed, n=n,
                            exclude=sources))
    indices = plan(space, n, sampler, seed, excluded)
    todo = np.array(sorted(set(range(n)) - ds.done_rows(out)), dtype=np.int64)
    if workers > 1:
        env = on_ray(env, workers)
    inner = env.unwrapped
    for start in range(0, len(todo), batch_size):
        rows = todo[start: start + batch_size]
        batch = inner.evaluate_batch(indices[rows])
        ds.append_part(out, _frame(space, rows, indices[rows], batch.valid, batch.reasons,
                                   batch.metrics))
        if progress:
            progress(n - len(todo) + start + len(rows), n)
    return ds.read_dataset(out)


def collect_runs(env_id: str, env_args: dict[str, Any], runs: Sequence[str | Path],
                 out: str | Path, n: int | None = None) -> ds.Dataset:
    """The distinct designs of stored runs (`agents.experiments.store`) as a dataset, no
    simulation: each run's description must name this environment's design space and
    simulator versions. `n` keeps the first n distinct designs."""
    env = design_env(make(env_id, **env_args), env_id)
    space, current = env.unwrapped.space, run_description(env)
    names = env.unwrapped.simulator.metric_names
    seen, records = set(), []
    for directory in runs:
        description = read_description(directory)
        if description is None or not Path(directory, "evaluations.jsonl").exists():
            raise ArchGymError(f"{directory} holds no stored run (run.json and "
                               "evaluations.jsonl)")
        changes = [c for c in description_changes(description, current)
                   if not c.startswith("objective")]
        if changes:
            raise ArchGymError(f"{directory} was run with another {'; '.join(changes)}")
        for row in ResultsStore(directory).rows():
            index = space.to_index(row["design"])
            key = tuple(index.tolist())
            if key in seen:
                continue
            seen.add(key)
            records.append((index, bool(row["valid"]), row.get("error"), row["metrics"]))
    records = records[:n] if n else records
    if not records:
        raise ArchGymError("the runs hold no evaluations")
    ds.start(out, _manifest(env, env_id, env_args, sampler="from-runs", seed=None,
                            n=len(records), sources=[str(r) for r in runs]))
    if ds.parts(out):
        return ds.read_dataset(out)
    indices = np.stack([r[0] for r in records])
    metrics = {m: np.array([r[3].get(m, np.nan) if r[1] else np.nan for r in records])
               for m in names}
    ds.append_part(out, _frame(space, np.arange(len(records)), indices,
                               np.array([r[1] for r in records]), [r[2] for r in records],
                               metrics))
    return ds.read_dataset(out)


def active_collect(env_id: str, env_args: dict[str, Any], metric: str, budget: int,
                   out: str | Path, *, target_nrmse: float | None = None,
                   strategy: str = "uncertainty", family: str = "rf", pool: int = 2000,
                   test: int = 200, initial: int = 20, batch: int = 10, seed: int = 0,
                   options: dict | None = None) -> dict[str, Any]:
    """Active learning of `metric` on `env_id` (`cost_models.active`) next to random
    collection at the same simulator budget, on one pool of `pool` distinct designs and
    a disjoint held-out set of `test`: writes `history.csv` (strategy, calls, held-out
    measures per round) and `summary.json` (simulator calls each needed to reach
    `target_nrmse`, final measures) to `out`, and returns the summary."""
    from cost_models.active import STRATEGIES, active_learning
    from cost_models.features import FeatureEncoder

    if strategy not in STRATEGIES or strategy == "random":
        raise InvalidArgumentError("strategy", strategy, "uncertainty, promising")
    env = design_env(make(env_id, **env_args), env_id).unwrapped
    names = env.simulator.metric_names
    if metric not in names:
        raise InvalidArgumentError("metric", metric, ", ".join(names))
    direction = next(m.direction for m in env.simulator.metrics if m.name == metric)
    candidates = plan(env.space, pool, "random", seed)
    held = plan(env.space, test, "random", seed + 1, {tuple(r.tolist()) for r in candidates})

    def simulate(indices: np.ndarray) -> np.ndarray:  # NaN where a design is invalid
        result = env.evaluate_batch(indices)
        return np.where(result.valid, result.metrics[metric], np.nan)

    truth = simulate(held)
    keep = np.isfinite(truth)
    encoder = FeatureEncoder(describe_space(env.space, feature_context(env.simulator)))
    histories, summary = [], {"env_id": env_id, "metric": metric, "budget": budget,
                              "target_nrmse": target_nrmse, "model": family}
    for name in (strategy, "random"):
        result = active_learning(candidates, simulate, encoder, (held[keep], truth[keep]),
                                 strategy=name, family=family, initial=initial, batch=batch,
                                 budget=budget, target_error=target_nrmse,
                                 direction=direction, seed=seed, options=options)
        histories.append(result.history.assign(strategy=name))
        summary[name] = {"calls_to_target": None if target_nrmse is None
                         else result.calls_to(target_nrmse),
                         "calls": int(result.history["calls"].iloc[-1]),
                         **result.history.iloc[-1].drop("calls").to_dict()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pd.concat(histories, ignore_index=True).to_csv(out / "history.csv", index=False)
    ds.write_json(out / "summary.json", summary)
    return summary
