"""The `archgym` command line: envs, eval, run, demo."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from agents.cli_accelerator import ENV_ID as ACCELERATOR_ENV
from agents.cli_accelerator import eval_command as accelerator_eval
from agents.loop import RunResult, run
from agents.registry import AGENTS, make_agent
from agents.store import ResultsStore
from archgym_env.env import DesignEnv
from archgym_env.registry import ENVIRONMENTS, make
from simulators.accelerator.presets import PRESETS
from simulators.errors import ArchGymError, InvalidArgumentError

console = Console(width=max(Console().width, 150))
# Tight enough that 36 of the 387,072 designs meet all three (found by enumeration).
DEMO_ENV_ARGS = {"targets": {"latency_s": 8e-4, "energy_pj": 4e9, "area_mm2": 8.0}}


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit code 2."""

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _json_object(option: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArgumentError(option, text, f"a JSON object ({error.msg} at column "
                                                 f"{error.colno})") from None
    if not isinstance(value, dict):
        raise InvalidArgumentError(option, text, "a JSON object")
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=lambda v: v.tolist()))


def cmd_envs(args) -> None:
    rows = []
    for env_id, entry in ENVIRONMENTS.items():
        env = make(env_id).unwrapped
        rows.append({"id": env_id, "models": entry.models, "space_size": env.space.size,
                     "parameters": list(env.space.names),
                     "metrics": list(env.simulator.metric_names)})
    if args.json:
        _print_json(rows)
        return
    table = Table("id", "models", "design points", "parameters", "metrics")
    for r in rows:
        table.add_row(r["id"], r["models"], f"{r['space_size']:,}", ", ".join(r["parameters"]),
                      ", ".join(r["metrics"]))
    console.print(table)


def cmd_eval(args) -> None:
    if accelerator_eval(args, console):
        return
    env = make(args.env_id, **_json_object("--env-args", args.env_args)).unwrapped
    design = env.space.complete(_json_object("--design", args.design))
    reward, info = env.evaluate_batch([design])[0]
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


def _run_one(env: DesignEnv, env_id: str, env_args: dict, agent_name: str, agent_args: dict,
             budget: int, seed: int, out: Path) -> RunResult:
    agent = make_agent(agent_name, env.space, seed=seed, **agent_args)
    store = ResultsStore(out)
    result = run(env, agent, budget, store=store,
                 meta={"env_id": env_id, "env_kwargs": env_args})
    store.to_parquet(limit=budget)
    summary = {"env_id": env_id, "agent": agent_name, "agent_args": agent.hyperparameters,
               "seed": seed, "budget": budget, "best_design": result.best["design"],
               "best_reward": result.best["reward"], "best_metrics": result.best["metrics"],
               "hypervolume": result.hypervolume, "pareto_front": [
                   {"design": r["design"], "metrics": r["metrics"]} for r in result.front]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return result


def _plot(frame: pd.DataFrame, env: DesignEnv, path: Path) -> Path | None:
    try:
        from agents.plots import plot_runs
    except ImportError:
        return None
    return plot_runs(frame, env.objective, path)


def cmd_run(args) -> None:
    env_args = _json_object("--env-args", args.env_args)
    agent_args = _json_object("--agent-args", args.agent_args)
    out = Path(args.out)
    env = make(args.env_id, **env_args).unwrapped
    result = _run_one(env, args.env_id, env_args, args.agent, agent_args, args.budget,
                      args.seed, out)
    plot = _plot(result.trajectory, env, out / "run.png")
    _show_best(result.trajectory, env)
    console.print(f"results: {out / 'evaluations.parquet'}, {out / 'summary.json'}"
                  + (f", {plot}" if plot else ""))


def cmd_demo(args) -> None:
    env_id, out = "archgym/Systolic-v0", Path(args.out)
    console.print(f"[bold]ArchGym demo[/]: size a systolic array for ResNet-18 on {env_id} "
                  f"(targets {DEMO_ENV_ARGS['targets']}), genetic algorithm vs random search, "
                  f"{args.budget} evaluations each")
    frames = []
    for agent in ("ga", "random"):
        env = make(env_id, **DEMO_ENV_ARGS).unwrapped
        result = _run_one(env, env_id, DEMO_ENV_ARGS, agent, {}, args.budget, args.seed,
                          out / agent)
        frames.append(result.trajectory)
        hit = result.trajectory.index[result.trajectory["reward"] >= 1.0]
        reached = f"all targets met after {hit[0] + 1} evaluations" if len(hit) else \
            "targets not met"
        console.print(f"{agent}: best reward {result.best['reward']:.4f}, {reached}, "
                      f"hypervolume {result.hypervolume:.4f}")
    frame = pd.concat(frames, ignore_index=True)
    frame.to_parquet(out / "evaluations.parquet", index=False)
    _show_best(frame, env)
    plot = _plot(frame, env, out / "demo.png")
    console.print(f"results: {out / 'evaluations.parquet'}" + (f", plot: {plot}" if plot else ""))


def _show_best(frame: pd.DataFrame, env: DesignEnv, top: int = 5) -> None:
    goals = [f"metrics.{g.metric}" for g in env.objective.goals]
    valid = frame[frame["valid"]].copy()
    valid["_tiebreak"] = np.log(valid[goals].to_numpy()).sum(axis=1)
    params = [f"design.{n}" for n in env.space.names]
    best = valid.sort_values(["reward", "_tiebreak"], ascending=[False, True]) \
        .drop_duplicates(params).head(top)
    table = Table("agent", *env.space.names, *env.objective.metric_names, "reward",
                  title=f"Best {len(best)} designs")
    for _, r in best.iterrows():
        table.add_row(r["agent"], *(str(r[p]) for p in params), *(f"{r[g]:.4g}" for g in goals),
                      f"{r['reward']:.4f}")
    console.print(table)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="archgym", description="A gym for ML-assisted hardware design.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    envs = sub.add_parser("envs", help="list the registered environments")
    envs.add_argument("--json", action="store_true")
    envs.set_defaults(func=cmd_envs)

    ev = sub.add_parser("eval", help="evaluate one design (unset parameters take defaults)")
    ev.add_argument("env_id")
    ev.add_argument("--design", default="{}", help="JSON object of parameter values")
    ev.add_argument("--env-args", default="{}", help="JSON object of environment arguments")
    ev.add_argument("--json", action="store_true")
    acc = ev.add_argument_group(f"{ACCELERATOR_ENV} (map a workload on an architecture)")
    acc.add_argument("--timeloop-arch", help="Timeloop v0.4 arch.yaml")
    acc.add_argument("--ert", help="Accelergy ERT_summary.yaml for --timeloop-arch")
    acc.add_argument("--preset", choices=sorted(PRESETS), help="a preset architecture")
    acc.add_argument("--layer", help='JSON layer in Timeloop dimensions, e.g. {"M": 64, "C": 3}')
    acc.add_argument("--timeloop-problem", help="Timeloop problem YAML")
    acc.add_argument("--network", help="built-in network name or FILE.onnx")
    acc.add_argument("--objective", choices=("energy", "cycles", "edp"),
                     help="what the mapper minimizes (default energy)")
    acc.add_argument("--timeloop-mapping", help="Timeloop mapping YAML to evaluate (no search)")
    ev.set_defaults(func=cmd_eval)

    rn = sub.add_parser("run", help="run one agent on one environment")
    rn.add_argument("env_id")
    rn.add_argument("--agent", choices=sorted(AGENTS), default="ga")
    rn.add_argument("--agent-args", default="{}", help="JSON object of hyperparameters")
    rn.add_argument("--env-args", default="{}", help="JSON object of environment arguments")
    rn.add_argument("--budget", type=_positive_int, default=200)
    rn.add_argument("--seed", type=_non_negative_int, default=0)
    rn.add_argument("--out", default="results/run")
    rn.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="a short search with the built-in defaults")
    demo.add_argument("--budget", type=_positive_int, default=600)
    demo.add_argument("--seed", type=_non_negative_int, default=0)
    demo.add_argument("--out", default="results/demo")
    demo.set_defaults(func=cmd_demo)
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
    try:
        args.func(args)
    except (ArchGymError, OSError) as error:
        sys.stderr.write(f"archgym: error: {error}\n")
        return 2
    return 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
