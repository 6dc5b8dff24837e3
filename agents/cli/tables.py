"""Tables the command line prints, at the terminal's own width: long columns fold, and the
best designs are shown one design per column so that long parameter names stay whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from agents.experiments.report import shown_metrics, spec_column
from archgym_env.env import DesignEnv
from archgym_env.objective import Objective
from archgym_env.registry import make
from simulators.errors import ArchGymError

DESIGN_COLUMN = 16  # characters a design's column needs (ClosedAdaptive, 0.0001234)


def best_designs(frame: pd.DataFrame, env: DesignEnv, console: Console, top: int = 5) -> None:
    """The best valid designs of `frame` (ties broken on every goal's own direction): one
    row per parameter, goal metric and the reward, one column per design."""
    goals = [f"metrics.{g.metric}" for g in env.objective.goals]
    valid = frame[frame["valid"]].copy()
    if valid.empty:
        errors = frame["error"].value_counts()
        console.print(f"no valid design among {len(frame)} evaluations; most common reason: "
                      f"{errors.index[0] if len(errors) else 'unknown'}")
        return
    forms = env.objective.minimization_form(
        {g.metric: valid[f"metrics.{g.metric}"].to_numpy(dtype=float)
         for g in env.objective.goals})
    valid["_tiebreak"] = np.log(np.maximum(forms, 1e-300)).sum(axis=1)
    params = [f"design.{n}" for n in env.space.names]
    names = [*env.space.names, *env.objective.metric_names, "reward"]
    fits = (console.width - max(map(len, names)) - 4) // DESIGN_COLUMN
    best = valid.sort_values(["reward", "_tiebreak"], ascending=[False, True]) \
        .drop_duplicates(params).head(max(1, min(top, fits)))
    table = Table("", title=f"Best {len(best)} designs")
    table.columns[0].no_wrap = True
    for rank, (_, r) in enumerate(best.iterrows(), start=1):
        table.add_column(f"{rank}: {r['agent']}", overflow="fold")
    for name, column in zip(names, [*params, *goals, "reward"], strict=True):
        values = [str(v) if column in params else f"{v:.4f}" if column == "reward"
                  else f"{v:.4g}" for v in best[column]]
        table.add_row(name, *values)
    console.print(table)


def spec_summary(table: pd.DataFrame, frame: pd.DataFrame, console: Console) -> None:
    """For each environment of a report (`report.summarize` of `frame`) whose objective
    has specs: one column per agent, one row per figure: the share of evaluations meeting
    every spec (mean over seeds, 95% interval), the seeds whose best design meets them,
    the median best reward, and each best design's metric (mean over seeds), named with
    its description where the environment gives one (an accuracy's kind)."""
    if "best_meets_specs" not in table:
        return
    for env, group in table[table["best_meets_specs"].notna()].groupby("env", sort=False):
        first = frame[frame["env"] == env].iloc[0]
        try:
            notes = metric_notes(make(first["env_id"], **first["env_kwargs"]).unwrapped)
        except ArchGymError:  # an environment no longer made so: names alone
            notes = {}
        shown = Table("", title=f"{env}: specs and best designs (over seeds)")
        shown.columns[0].no_wrap = True
        for agent in group["agent"]:
            shown.add_column(agent, overflow="fold")
        share = [f"{r['meets_specs_pct_mean']:.1f}%" + (
            "" if np.isnan(r["meets_specs_pct_low"]) else
            f" [{r['meets_specs_pct_low']:.1f}, {r['meets_specs_pct_high']:.1f}]")
            for _, r in group.iterrows()]
        shown.add_row("evaluations meeting every spec", *share)
        shown.add_row("best designs meeting every spec", *group["best_meets_specs"])
        shown.add_row("best reward, median", *(f"{v:.4f}" for v in group["best_reward_median"]))
        for column in (c for c in group if c.startswith("best.") and group[c].notna().any()):
            metric = column.removeprefix("best.")
            label = f"{metric}: {notes[metric]}" if metric in notes else metric
            shown.add_row(label, *("-" if np.isnan(v) else f"{v:.4g}" for v in group[column]))
        console.print(shown)


def metric_notes(env: DesignEnv) -> dict[str, str]:
    """Each metric's description as its simulator declares it (an accuracy's kind)."""
    return {m.name: m.description for m in env.simulator.metrics if m.description}


def spec_margins(objective: Objective, metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per spec (each limit; without limits, each target): 1 - value / spec for a
    minimized metric, value / spec - 1 for a maximized one; >= 0 when the spec holds."""
    margins, bound_of = {}, "limit" if spec_column(objective.as_dict()) == "feasible" \
        else "target"
    for g in objective.goals:
        bound = getattr(g, bound_of)
        if bound is not None:
            value = np.asarray(metrics[g.metric], dtype=float)
            margins[g.metric] = 1 - value / bound if g.direction == "min" else value / bound - 1
    return margins


def best_feasible(frame: pd.DataFrame, env: DesignEnv, console: Console) -> None:
    """Each agent's best design of `frame` that meets every spec (by reward), best first:
    one column per agent; rows: the reward, the objective's goals with their breakdowns
    (`report.shown_metrics`, each with its description) and each spec's margin. The designs
    themselves are in the results (too many parameters to print)."""
    met = frame[frame["valid"] & frame[spec_column(env.objective.as_dict())]]
    none = [a for a in frame["agent"].unique() if a not in set(met["agent"])]
    if met.empty:
        console.print(f"no design among {len(frame):,} evaluations meets every spec")
        return
    fits = (console.width - 36) // DESIGN_COLUMN
    best = met.sort_values("reward", ascending=False, kind="stable") \
        .drop_duplicates("agent").head(max(1, fits))
    names = shown_metrics(env.objective.as_dict(), env.simulator.metric_names)
    notes = metric_notes(env)
    table = Table("", title="Each agent's best design meeting every spec")
    table.columns[0].no_wrap = True
    for agent in best["agent"]:
        table.add_column(agent, overflow="fold")
    table.add_row("designs meeting every spec",
                  *(f"{(met['agent'] == a).sum():,}" for a in best["agent"]))
    table.add_row("reward", *(f"{v:.4f}" for v in best["reward"]))
    for name in names:
        label = f"{name}: {notes[name]}" if name in notes else name
        table.add_row(label, *(f"{v:.4g}" for v in best[f"metrics.{name}"]))
    margins = spec_margins(env.objective, {g.metric: best[f"metrics.{g.metric}"]
                                           for g in env.objective.goals})
    for name, values in margins.items():
        table.add_row(f"margin {name}", *(f"{v:+.1%}" for v in values))
    console.print(table)
    if none:
        console.print(f"no design meeting every spec: {', '.join(none)}")
