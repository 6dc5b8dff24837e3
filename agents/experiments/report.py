"""Compare runs: per agent, mean and 95% interval over seeds of the best reward, of the
evaluations needed to reach the target (over the seeds that reached it, counted next to
it), and of the hypervolume; improvement over random search (the difference of mean best
rewards); best-reward and hypervolume curves. Under an objective with specs (limits or
targets): the share of evaluations that meet every spec, how many seeds' best designs do,
and the best designs' metrics (the goals and their breakdowns, such as a co-design's
per-task accuracy and latency).
Intervals are percentile bootstraps of the mean, so they stay inside the values
seen (a count never goes negative, a bounded reward never leaves its range); each seed
counts once (the longest of its runs), however many directories hold it.

Each run is scored with the objective it recorded (its `run.json`), so a default changed
since leaves old runs' hypervolumes as they were; runs stored without one are scored with
their environment's objective of today."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from agents.experiments.store import read_description, read_rows
from archgym_env.objective import Objective
from archgym_env.pareto import hypervolume
from archgym_env.registry import make
from simulators.errors import ArchGymError

CURVE_POINTS = 50
BOOTSTRAP_RESAMPLES = 2000


def load_rows(directories: Iterable[str | Path]) -> pd.DataFrame:
    """Every evaluation stored under `directories` (searched recursively), one row each,
    with its run's objective (`objective`, as `Objective.as_dict` gives it)."""
    rows, seen = [], set()
    for directory in directories:
        directory = Path(directory)
        if not directory.is_dir():
            raise ArchGymError(f"{directory} is not a directory of runs")
        for path in sorted(directory.rglob("evaluations.jsonl")):
            if path.resolve() in seen:  # a store under two of the directories given
                continue
            seen.add(path.resolve())
            description = read_description(path.parent)
            objective = description["objective"] if description else None
            rows.extend({**row, "objective": objective} for row in read_rows(path)[0])
    if not rows:
        raise ArchGymError("no evaluations.jsonl found under "
                           + ", ".join(str(d) for d in directories))
    frame = pd.DataFrame(rows)
    copies = frame.assign(_objective=frame["objective"].map(
        lambda o: json.dumps(o, sort_keys=True))).duplicated(["run_id", "step", "_objective"])
    frame = frame[~copies].reset_index(drop=True)  # a run copied into two directories
    for column in ("targets_met", "feasible"):
        frame[column] = frame.get(column, False)
        frame[column] = frame[column].fillna(False).astype(bool)
    frame["objective"] = _with_todays_objective(frame)
    frame["env"] = with_varying(frame, "env_id", "env_kwargs", [])
    texts = frame["objective"].map(objective_text)
    for _, group in frame.groupby("env"):  # one setting, several objectives: keep apart
        if texts[group.index].nunique() > 1:
            frame.loc[group.index, "env"] = group["env"] + " [" + texts[group.index] + "]"
    frame["label"] = with_varying(frame, "agent", "agent_args", ["env"])
    return frame.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def with_varying(frame: pd.DataFrame, name: str, settings: str,
                  within: list[str]) -> pd.Series:
    """Each row's `name`, plus the `settings` entries that vary between rows of that name
    (within the same `within` columns): `ga population=16`, `archgym/Systolic-v0 reward=...`."""
    text = frame[settings].map(lambda s: json.dumps(s, sort_keys=True))
    labels = frame[name].copy()
    for key, group in frame.groupby([*within, name]):
        variants = [json.loads(s) for s in text[group.index].unique()]
        varying = sorted(k for k in set().union(*variants)
                         if len({json.dumps(v.get(k)) for v in variants}) > 1)
        if varying:
            labels[group.index] = [
                key[-1] + " " + ", ".join(f"{k}={s.get(k)}" for k in varying)
                for s in group[settings]]
    return labels


def _with_todays_objective(frame: pd.DataFrame) -> pd.Series:
    """Each row's recorded objective, or (a run stored without one) its environment's."""
    objectives = frame["objective"].copy()
    missing = objectives.isna()
    if missing.any():
        keys = frame.loc[missing, "env_id"].combine(
            frame.loc[missing, "env_kwargs"], lambda i, k: json.dumps([i, k], sort_keys=True))
        objectives[missing] = keys.map({key: _todays_objective(*json.loads(key))
                                        for key in keys.unique()})
    return objectives


def _todays_objective(env_id: str, env_kwargs: dict) -> dict:
    return make(env_id, **env_kwargs).unwrapped.objective.as_dict()


def objective_text(objective: dict) -> str:
    """`pareto: latency_s min ref 0.001, ...`: the mode, then each goal's direction and
    the target, limit, weight (where not 1) and reference it has."""
    goals = []
    for g in objective["goals"]:
        bounds = [f"{label} {g[key]:g}" for key, label in
                  (("target", "target"), ("limit", "limit"), ("reference", "ref"))
                  if g.get(key) is not None]
        weight = [f"weight {g['weight']:g}"] if g.get("weight", 1.0) != 1.0 else []
        goals.append(" ".join([g["metric"], g["direction"], *bounds, *weight]))
    quality = f" (quality {objective['quality']})" if objective.get("quality") else ""
    return f"{objective['mode']}{quality}: " + ", ".join(goals)


def run_curves(frame: pd.DataFrame, points: int = CURVE_POINTS) -> pd.DataFrame:
    """Per run, at `points` evaluation counts: the best reward so far and the hypervolume
    of the valid designs so far (the run's objective's minimization form, its reference
    at 1)."""
    curves = []
    for run_id, run in frame.groupby("run_id"):
        objective = Objective.from_dict(run["objective"].iloc[0])
        forms = np.array([objective.minimization_form(m) if v else
                          np.full(len(objective.goals), np.inf)
                          for m, v in zip(run["metrics"], run["valid"], strict=True)])
        best = run["reward"].cummax().to_numpy()
        for n in np.unique(np.linspace(1, len(run), min(points, len(run))).astype(int)):
            seen = forms[:n][np.isfinite(forms[:n]).all(axis=1)]
            curves.append({"env": run["env"].iloc[0], "label": run["label"].iloc[0],
                           "run_id": run_id, "evaluations": int(n),
                           "best_reward": float(best[n - 1]),
                           "hypervolume": hypervolume(seen, np.ones(forms.shape[1]))})
    return pd.DataFrame(curves)


def has_specs(objective: dict) -> bool:
    """Whether an objective (as `Objective.as_dict` gives it) bounds any goal."""
    return any(g.get("limit") is not None or g.get("target") is not None
               for g in objective["goals"])


def spec_column(objective: dict) -> str:
    """The row column that says a design meets every spec: `feasible` (every hard limit
    holds) under an objective with limits, whose targets only scale goals (a constrained
    reward's quality); `targets_met` otherwise."""
    limited = any(g.get("limit") is not None for g in objective["goals"])
    return "feasible" if limited else "targets_met"


def shown_metrics(objective: dict, metrics: Iterable[str]) -> list[str]:
    """The goals of `objective` (and its quality metric), each followed by the metrics that
    break it down: the goal's name with a part inserted before its unit (`latency_s` ->
    `latency_cifar10_s`), in the order of `metrics`."""
    goals = [g["metric"] for g in objective["goals"]]
    shown = []
    for goal in goals:
        stem, _, unit = goal.rpartition("_")
        parts = [m for m in metrics if stem and m.startswith(stem + "_")
                 and m.endswith("_" + unit) and m != goal and m not in goals]
        shown += [goal, *parts]
    return list(dict.fromkeys(shown))


def summarize(frame: pd.DataFrame, curves: pd.DataFrame,
              reward_target: float | None = None) -> pd.DataFrame:
    """One line per (environment, agent label): means and 95% intervals over seeds; the
    median best reward; under an objective with specs, the mean share of a run's
    evaluations meeting every spec (`meets_specs_pct`), the seeds whose best design meets
    them (`best_meets_specs`, k/n) and the mean over seeds of each best design's metric
    (`best.<metric>`, the goals and their breakdowns: see `shown_metrics`)."""
    per_run = []
    for (env, label, run_id), run in frame.groupby(["env", "label", "run_id"]):
        reached = run["reward"] >= reward_target if reward_target is not None \
            else run["targets_met"]
        hit = run["step"][reached.to_numpy()]
        last = curves[curves["run_id"] == run_id].iloc[-1]
        objective = run["objective"].iloc[0]
        meets = run[spec_column(objective)].to_numpy()
        best = run.loc[run["reward"].idxmax()]
        line = {"env": env, "label": label, "seed": run["seed"].iloc[0],
                "evaluations": len(run), "best_reward": run["reward"].max(),
                "evals_to_target": hit.min() + 1 if len(hit) else np.nan,
                "hypervolume": last["hypervolume"], "objective": objective_text(objective),
                "specs": has_specs(objective), "meets_specs_pct": 100 * meets.mean(),
                "best_meets_specs": bool(meets[run.index.get_loc(best.name)])}
        metrics = best["metrics"] if best["valid"] else {}
        measured = [m for m, v in zip(run["metrics"], run["valid"], strict=True) if v]
        names = shown_metrics(objective, measured[0] if measured else [])
        line.update({f"best.{m}": metrics.get(m, np.nan) for m in names})
        per_run.append(line)
    runs = pd.DataFrame(per_run)
    # one run per seed: the longest (a seed stored twice, under two run ids, counts once)
    runs = runs.sort_values("evaluations", ascending=False, kind="stable") \
        .drop_duplicates(["env", "label", "seed"]).sort_index()
    lines = []
    for (env, label), group in runs.groupby(["env", "label"], sort=False):
        line = {"env": env, "agent": label, "seeds": len(group),
                "evaluations": int(group["evaluations"].median()),
                "objective": "; ".join(group["objective"].unique())}
        for column in ("best_reward", "evals_to_target", "hypervolume"):
            mean, low, high = mean_interval(group[column].dropna().to_numpy(dtype=float))
            line.update({f"{column}_mean": mean, f"{column}_low": low, f"{column}_high": high})
        line["reached_target"] = f"{group['evals_to_target'].notna().sum()}/{len(group)}"
        line["best_reward_median"] = float(group["best_reward"].median())
        if group["specs"].all():
            mean, low, high = mean_interval(group["meets_specs_pct"].to_numpy(dtype=float))
            line.update({"meets_specs_pct_mean": mean, "meets_specs_pct_low": low,
                         "meets_specs_pct_high": high,
                         "best_meets_specs": f"{group['best_meets_specs'].sum()}/{len(group)}"})
            line.update({c: group[c].mean() for c in group if c.startswith("best.")})
        lines.append(line)
    table = pd.DataFrame(lines)
    random = table[table["agent"] == "random"].set_index("env")["best_reward_mean"]
    baseline = table["env"].map(random)
    # a difference of rewards, not a percentage: rewards can be negative or cross zero
    table["vs_random"] = table["best_reward_mean"] - baseline
    return table


def mean_interval(values: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """The mean of `values` and its 95% percentile-bootstrap interval (NaN bounds with
    fewer than two values): resampled means, so the bounds lie within min..max of them."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, np.nan, np.nan
    draws = np.random.default_rng(seed).integers(0, len(values),
                                                 (BOOTSTRAP_RESAMPLES, len(values)))
    low, high = np.quantile(values[draws].mean(axis=1), [0.025, 0.975])
    return mean, float(low), float(high)
