"""The `archgym` command line: envs, agents, eval, run, sweep, report, network, demo, collect,
proxy."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from agents.cli.accelerator import accelerator_eval, add_accelerator_eval_options
from agents.cli.checks import (
    add_guard_options,
    apply_guards,
    available_agents,
    check_reward_target,
)
from agents.cli.dram import add_dram_eval_options, dram_env_args
from agents.cli.json_args import json_object
from agents.cli.network import add_network_command
from agents.cli.proxy import add_proxy_commands, proxy_env_args
from agents.experiments.ray_pool import BACKENDS
from agents.registry import AGENTS, agent_names
from archgym_env.registry import descriptions, design_env, make
from simulators.errors import ArchGymError
from simulators.limits import VARIABLE as LIMITS_VARIABLE

# Commands import what they need (pandas, the experiment loop, simulators, numba kernels)
# when they run, so that `archgym envs` and `--help` start in a fraction of a second.
if TYPE_CHECKING:
    import pandas as pd


console = Console()  # the terminal's width (80 columns off a terminal, or $COLUMNS)
# The demo: the default co-design workload and specs, co-exploration against the
# successive baseline and random search.
DEMO_ENV_ID, DEMO_ENV_ARGS = "archgym/CoDesign-v0", {}
DEMO_AGENTS = ("ga", "successive", "bo", "random")
DEMO_BUDGET = 150
# The successive baseline's network phase: half the default budget, as a count, so that a
# larger --budget extends its run (a share of the budget would make it another run).
DEMO_AGENT_ARGS = {"successive": {"network_evaluations": DEMO_BUDGET // 2}}
DEMO_PLOT_AXES = ("latency_s", "accuracy_pct")  # the Pareto plot's trade-off


def _say(line: str) -> None:
    """A plain line (paths and `archgym[bo]` are not rich markup)."""
    console.print(line, markup=False, highlight=False)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit code 2."""

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _print_json(value: Any) -> None:
    try:
        text = json.dumps(value, indent=2)
    except TypeError:  # numpy values: the store's conversion (it loads pandas)
        from agents.experiments.store import jsonable

        text = json.dumps(value, indent=2, default=jsonable)
    print(text)


def cmd_envs(args) -> None:
    rows = descriptions()  # the registry's listing: no environment is built
    if args.json:
        _print_json(rows)
        return
    table = Table("id", "models", "design points", "parameters", "metrics (unit, direction)")
    for r in rows:
        table.add_row(r["id"], r["models"], f"{r['space_size']:,}", ", ".join(r["parameters"]),
                      ", ".join(f"{name} ({m['unit'] or '-'}, {m['direction']})"
                                for name, m in r["metrics"].items()))
    console.print(table)


def cmd_agents(args) -> None:
    rows = [{"name": name, "kind": entry.kind, "implementation": entry.path}
            for name, entry in AGENTS.items()]
    if args.json:
        _print_json(rows)
        return
    table = Table("name", "kind", "implementation")
    for r in rows:
        table.add_row(r["name"], r["kind"], r["implementation"])
    console.print(table)


def cmd_eval(args) -> None:
    if accelerator_eval(args, console):
        return
    env = make(args.env_id, **dram_env_args(args, json_object("--env-args", args.env_args)))
    env = design_env(env, args.env_id).unwrapped
    design = env.space.complete(json_object("--design", args.design))
    record = env.evaluate_batch([design])[0]
    reward, info = record.reward, record.info()
    result = {"env_id": args.env_id, "design": design, "metrics": info["metrics"],
              "reward": reward, "valid": info["valid"], "feasible": info["feasible"]}
    if args.json:
        _print_json(result)
        return
    table = Table("name", "value", title=f"{args.env_id}: reward {reward:.4f}")
    for k, v in design.items():
        table.add_row(k, str(v))
    for k, v in info["metrics"].items():
        table.add_row(k, f"{v:.6g}")
    console.print(table)


def cmd_run(args) -> None:
    from agents.cli.tables import best_designs
    from agents.experiments.experiment import run_experiment
    from agents.experiments.ray_pool import start_ray
    from agents.experiments.run_dir import default_run_dir

    env_args = proxy_env_args(args, json_object("--env-args", args.env_args))
    agent_args = json_object("--agent-args", args.agent_args)
    out = Path(args.out) if args.out else default_run_dir(args.env_id, env_args, args.agent,
                                                          agent_args, args.seed)
    started = args.backend == "ray" and start_ray(args.workers, args.address)
    try:
        result = run_experiment(args.env_id, env_args, args.agent, agent_args, args.budget,
                                args.seed, out, ray_workers=args.workers
                                if args.backend == "ray" else 0, overwrite=args.overwrite,
                                say=_say)
    finally:
        if started:
            import ray

            ray.shutdown()
    best_designs(result.trajectory, make(args.env_id, **env_args).unwrapped, console)
    plot = out / "run.png"
    console.print(f"results: {out / 'evaluations.parquet'}, {out / 'summary.json'}"
                  + (f", {plot}" if plot.exists() else ""))


def cmd_sweep(args) -> None:
    from agents.experiments.sweep import load_sweep, run_sweep

    runs = load_sweep(args.sweep_file)
    out = Path(args.out or f"results/sweep-{Path(args.sweep_file).stem}")
    console.print(f"sweep: {len(runs)} runs on the {args.backend} backend, "
                  f"{args.workers} at a time, into {out}")
    table = run_sweep(runs, out, backend=args.backend, workers=args.workers,
                      address=args.address, overwrite=args.overwrite)
    from agents.experiments.report import with_varying

    table["env"] = with_varying(table, "env_id", "env_kwargs", [])
    table["label"] = with_varying(table, "agent", "agent_args", ["env"])
    shown = Table("environment", "agent", "seed", "best reward", "hypervolume",
                  title=f"{len(table)} runs ({out / 'summary.csv'})")
    for _, r in table.iterrows():
        shown.add_row(r["env"], r["label"], str(r["seed"]), f"{r['best_reward']:.4f}",
                      f"{r['hypervolume']:.4f}")
    console.print(shown)


def cmd_report(args) -> None:
    import numpy as np

    from agents.experiments import report
    from agents.experiments.run_dir import claim, default_report_dir, mark

    frame = report.load_rows(args.directories)
    check_reward_target(args.reward_target, frame["objective"])
    curves = report.run_curves(frame)
    table = report.summarize(frame, curves, args.reward_target)
    out = claim(args.out or default_report_dir(args.directories), "report", args.overwrite)
    mark(out, "report")
    table.to_csv(out / "report.csv", index=False)
    curves.to_csv(out / "curves.csv", index=False)
    reach = "reward >= " + str(args.reward_target) if args.reward_target is not None \
        else "all targets met"
    shown = Table("environment", "agent", "seeds", "best reward (95% CI)",
                  f"evaluations to {reach}: mean over the seeds that reached it (95% CI)",
                  "hypervolume", "best reward vs random",
                  title=f"{frame['run_id'].nunique()} runs, {len(frame):,} evaluations; "
                        "95% bootstrap intervals over seeds")
    for _, r in table.iterrows():
        shown.add_row(r["env"], r["agent"], str(r["seeds"]), _interval(r, "best_reward", 4),
                      f"{_interval(r, 'evals_to_target', 0)} ({r['reached_target']} seeds)",
                      _interval(r, "hypervolume", 4),
                      "" if np.isnan(r["vs_random"]) else f"{r['vs_random']:+.4f}")
    console.print(shown)
    for env, objectives in table.groupby("env", sort=False)["objective"]:
        console.print(f"{env}: {'; '.join(objectives.unique())}")
    from agents.cli.tables import spec_summary

    spec_summary(table, frame, console)
    written = [out / "report.csv", out / "curves.csv"]
    with contextlib.suppress(ImportError):  # no plot without the plot extra
        from agents.experiments.plots import plot_report

        written.append(plot_report(curves, out / "report.png"))
    console.print("written: " + ", ".join(str(p) for p in written))


def _interval(row: pd.Series, name: str, digits: int) -> str:
    import numpy as np

    mean, low, high = row[f"{name}_mean"], row[f"{name}_low"], row[f"{name}_high"]
    if np.isnan(mean):
        return "-"
    if np.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def cmd_demo(args) -> None:
    import pandas as pd

    from agents.cli.tables import best_feasible
    from agents.experiments.experiment import plot_if_available, run_experiment
    from agents.experiments.report import spec_column
    from agents.experiments.run_dir import claim_demo
    from agents.experiments.store import ResultsStore

    agents, missing = available_agents(DEMO_AGENTS)
    out = claim_demo(args.out, {"env_id": DEMO_ENV_ID, "env_args": DEMO_ENV_ARGS,
                                "agent_args": DEMO_AGENT_ARGS, "seed": args.seed},
                     args.overwrite)
    env = make(DEMO_ENV_ID, **DEMO_ENV_ARGS).unwrapped
    specs = ", ".join(f"{g.metric} <= {g.limit:g}" for g in env.objective.goals
                      if g.limit is not None)
    console.print(f"[bold]ArchGym demo[/]: co-design an ImageNet and a CIFAR-10 network with "
                  f"one heterogeneous ASIC on {DEMO_ENV_ID} (specs {specs}; reward "
                  f"{env.objective.mode}), {', '.join(agents)}, {args.budget} evaluations each")
    for line in missing:
        _say(f"skipped: {line}")
    frames, complete, served = [], True, True
    for agent in agents:
        result = run_experiment(DEMO_ENV_ID, DEMO_ENV_ARGS, agent,
                                DEMO_AGENT_ARGS.get(agent, {}), args.budget, args.seed,
                                out / agent, say=_say)
        complete &= result.summary["evaluations"] == len(ResultsStore(out / agent))
        served &= result.stored == len(result.trajectory)
        frames.append(result.trajectory)
        rows = result.trajectory
        met = rows[spec_column(env.objective.as_dict())].to_numpy()
        reached = f"every spec met after {met.argmax() + 1} evaluations ({met.sum()} of " \
                  f"{len(met)} designs meet them)" if met.any() else "no design meets every spec"
        console.print(f"{agent}: best reward {result.best['reward']:.4f}, {reached}")
    frame = pd.concat(frames, ignore_index=True)
    best_feasible(frame, env, console)
    if not complete:  # a smaller budget than stored: report it, rewrite nothing
        _say(f"{out} keeps its files from the larger budget")
        return
    if served and (out / "evaluations.parquet").exists() and (out / "demo.png").exists():
        _say(f"results (unchanged): {out / 'evaluations.parquet'}, plot: {out / 'demo.png'}")
        return
    ResultsStore.frame_to_parquet(frame, out / "evaluations.parquet")
    plot = plot_if_available(frame, env.objective, out / "demo.png", DEMO_PLOT_AXES)
    _say(f"results: {out / 'evaluations.parquet'}" + (f", plot: {plot}" if plot else
         ", no plot: pip install 'archgym[plot]'"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="archgym", description="A gym for ML-assisted hardware design.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    envs = sub.add_parser("envs", help="list the registered environments")
    envs.add_argument("--json", action="store_true")
    envs.set_defaults(func=cmd_envs)

    ags = sub.add_parser("agents", help="list the agents and their kinds")
    ags.add_argument("--json", action="store_true")
    ags.set_defaults(func=cmd_agents)

    ev = sub.add_parser("eval", help="evaluate one design (unset parameters take defaults)")
    ev.add_argument("env_id", help="a registered id, or module:EnvId to import the module "
                                   "that registers it")
    ev.add_argument("--design", default="{}", help="JSON object of parameter values")
    ev.add_argument("--env-args", default="{}", help="JSON object of environment arguments")
    ev.add_argument("--json", action="store_true")
    add_dram_eval_options(ev)
    add_accelerator_eval_options(ev)
    add_guard_options(ev, overwrite=False)
    ev.set_defaults(func=cmd_eval)

    rn = sub.add_parser("run", help="run one agent on one environment")
    rn.add_argument("env_id", help="a registered id, or module:EnvId to import the module "
                                   "that registers it")
    rn.add_argument("--agent", choices=agent_names(), default="ga")
    rn.add_argument("--agent-args", default="{}", help="JSON object of hyperparameters")
    rn.add_argument("--env-args", default="{}", help="JSON object of environment arguments")
    rn.add_argument("--budget", type=_positive_int, default=200)
    rn.add_argument("--seed", type=_non_negative_int, default=0)
    rn.add_argument("--out", default=None, help="default: results/<environment>/<agent>/"
                                                "<hash of the arguments>/seed-<seed>")
    rn.add_argument("--backend", choices=BACKENDS, default="local",
                    help="ray: evaluate each batch of designs across Ray workers")
    rn.add_argument("--workers", type=_positive_int, default=2)
    rn.add_argument("--address", default=None, help="address of a running Ray cluster")
    rn.add_argument("--proxy", default=None,
                    help="a proxy model directory (archgym proxy train) to search instead of "
                         "the simulator")
    add_guard_options(rn)
    rn.set_defaults(func=cmd_run)

    sw = sub.add_parser("sweep", help="run every environment x agent x grid x seed of a file")
    sw.add_argument("sweep_file", help="YAML sweep file (see the README)")
    sw.add_argument("--backend", choices=BACKENDS, default="local")
    sw.add_argument("--workers", type=_positive_int, default=1)
    sw.add_argument("--address", default=None, help="address of a running Ray cluster")
    sw.add_argument("--out", default=None, help="default: results/sweep-<file name>")
    add_guard_options(sw)
    sw.set_defaults(func=cmd_sweep)

    rp = sub.add_parser("report", help="compare the runs stored under directories")
    rp.add_argument("directories", nargs="+")
    rp.add_argument("--reward-target", type=float, default=None,
                    help="count evaluations to this reward instead of to all targets met")
    rp.add_argument("--out", default=None, help="default: <first directory>-report")
    rp.add_argument("--overwrite", action="store_true",
                    help="replace what --out holds (its ArchGym files are removed)")
    rp.set_defaults(func=cmd_report)

    add_network_command(sub)

    demo = sub.add_parser("demo", help="a short co-design search with the built-in defaults")
    demo.add_argument("--budget", type=_positive_int, default=DEMO_BUDGET)
    demo.add_argument("--seed", type=_non_negative_int, default=0)
    demo.add_argument("--out", default="results/demo")
    add_guard_options(demo)
    demo.set_defaults(func=cmd_demo)
    add_proxy_commands(sub, _positive_int, _non_negative_int, console)
    return parser


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not allowed; allowed: an integer >= {low}")
        return value
    return parse


_positive_int, _non_negative_int = _int_at_least(1), _int_at_least(0)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lifted = os.environ.get(LIMITS_VARIABLE)
    try:
        apply_guards(args)
        args.func(args)
    except (ArchGymError, OSError) as error:
        sys.stderr.write(f"archgym: error: {error}\n")
        return 2
    finally:  # --allow-large holds for this command (and its workers) only
        if lifted is None:
            os.environ.pop(LIMITS_VARIABLE, None)
    return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
