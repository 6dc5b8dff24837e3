"""Run plots: best reward over evaluations, and the metric trade-off with its Pareto front."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the file-only backend

from agents.experiments.report import mean_interval, spec_column
from archgym_env.objective import Objective
from archgym_env.pareto import non_dominated


def colours(labels) -> dict[str, tuple]:
    """One colour per label (agent), the same in every panel and plot of a report."""
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {label: cycle[i % len(cycle)] for i, label in enumerate(sorted(set(labels)))}


def plot_report(curves: pd.DataFrame, path: str | Path) -> Path:
    """Best reward and hypervolume over evaluations: mean over seeds with a 95% bootstrap
    band, one colour per agent throughout."""
    envs = list(curves["env"].unique())
    colour = colours(curves["label"])
    fig, axes = plt.subplots(len(envs), 2, figsize=(12, 4.2 * len(envs)), squeeze=False)
    for (left, right), env_id in zip(axes, envs, strict=True):
        for label, group in curves[curves["env"] == env_id].groupby("label", sort=False):
            for ax, column in ((left, "best_reward"), (right, "hypervolume")):
                by_n = group.groupby("evaluations")[column]
                bands = np.array([mean_interval(v.to_numpy()) for _, v in by_n])
                mean = bands[:, 0]
                low, high = (np.where(np.isnan(b), mean, b) for b in (bands[:, 1], bands[:, 2]))
                n = list(by_n.groups)
                ax.plot(n, mean, color=colour[label],
                        label=f"{label} ({by_n.count().max()} seeds)")
                ax.fill_between(n, low, high, color=colour[label], alpha=0.2)
        left.set(xlabel="evaluations", ylabel="best reward so far", title=env_id)
        right.set(xlabel="evaluations", ylabel="hypervolume (reference = goals' scales)",
                  title=env_id)
        for ax in (left, right):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_runs(frame: pd.DataFrame, objective: Objective, path: str | Path,
              axes: tuple[str, str] | None = None) -> Path:
    """Save a PNG with one curve (and one point cloud) per agent in `frame`: the best reward
    over evaluations, and two goals (`axes`, by default the first two) with each agent's
    Pareto front over them, on log scales for minimized goals."""
    goals = {g.metric: g for g in objective.goals}
    if axes is None:
        x_goal, y_goal = objective.goals[0], objective.goals[min(1, len(objective.goals) - 1)]
    else:
        x_goal, y_goal = (goals[m] for m in axes)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    colour = colours(frame["agent"])
    for agent, group in frame.groupby("agent", sort=False):
        group = group.sort_values("step")
        left.plot(group["step"] + 1, group["reward"].cummax(), color=colour[agent], label=agent)
        valid = group[group["valid"]]
        if valid.empty:
            continue
        xs = valid[f"metrics.{x_goal.metric}"].to_numpy()
        ys = valid[f"metrics.{y_goal.metric}"].to_numpy()
        right.scatter(xs, ys, s=8, alpha=0.35, color=colour[agent], zorder=1,
                      label=f"{agent} designs")
        mask = non_dominated(np.column_stack([[x_goal.minimization_form(v) for v in xs],
                                              [y_goal.minimization_form(v) for v in ys]]))
        order = np.argsort(xs[mask])
        # fronts above every agent's scatter, outlined so each stays visible
        right.plot(xs[mask][order], ys[mask][order], "o-", ms=4, color=colour[agent],
                   markeredgecolor="black", markeredgewidth=0.5, zorder=3,
                   label=f"{agent} front")
    left.set(xlabel="evaluations", ylabel=f"best reward ({objective.mode})",
             title="Best reward so far")
    left.grid(alpha=0.3)
    left.legend()
    right.set(xlabel=x_goal.metric, ylabel=y_goal.metric, title="Designs and Pareto front",
              xscale="log" if x_goal.direction == "min" else "linear",
              yscale="log" if y_goal.direction == "min" else "linear")
    spec = spec_column(objective.as_dict()) == "feasible"  # limits, else targets
    for goal, line in ((x_goal, right.axvline), (y_goal, right.axhline)):
        bound = goal.limit if spec else goal.target
        if bound:
            line(bound, color="gray", ls="--", lw=1)
    right.grid(alpha=0.3, which="both")
    if right.get_legend_handles_labels()[0]:  # no valid design: nothing to name
        right.legend(fontsize=8)
    return _save(fig, path)
