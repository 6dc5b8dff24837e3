"""Checks of command-line input made before any work starts: sizes, output directories,
report targets, the agents whose extras are installed. Each failure is one line."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable, Sequence

from simulators.errors import ArchGymError, InvalidArgumentError
from simulators.limits import MAX_BUDGET, VARIABLE, check_size


def add_guard_options(parser: argparse.ArgumentParser, overwrite: bool = True) -> None:
    """`--allow-large` (lift the size limits) and, for commands that write, `--overwrite`."""
    parser.add_argument("--allow-large", action="store_true",
                        help="lift the limits on absurd sizes (budget, trace length, layer "
                             f"dimensions); the same as {VARIABLE}=1")
    if overwrite:
        parser.add_argument("--overwrite", action="store_true",
                            help="replace what --out holds (its ArchGym files are removed)")


def apply_guards(args: argparse.Namespace) -> None:
    """Lift the size limits for this process and its workers when asked; check the budget."""
    if getattr(args, "allow_large", False):
        os.environ[VARIABLE] = "1"
    if getattr(args, "budget", None) is not None:
        check_size("--budget", args.budget, MAX_BUDGET)


def only_with(option: str, value: object, env_id: str, wanted: str) -> InvalidArgumentError:
    """The error for an option of one environment given to another."""
    return InvalidArgumentError(option, value, f"only with {wanted}, not {env_id}")


def check_reward_target(target: float | None, objectives: Iterable[dict]) -> None:
    """A `--reward-target` inside every reported objective's reward range."""
    if target is None:
        return
    from archgym_env.objective import Objective
    distinct = {json.dumps(o, sort_keys=True): o for o in objectives}
    for data in distinct.values():
        low, high = Objective.from_dict(data).reward_range
        if not low <= target <= high:
            raise InvalidArgumentError("--reward-target", target,
                                       f"a reward in [{low:g}, {high:g}] ({data['mode']} mode)")


def available_agents(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """The agents of `names` whose optional dependencies are installed, and one line per
    agent that is not (`bo: needs optuna: pip install 'archgym[bo]'`)."""
    from agents.registry import load_agent

    ready, missing = [], []
    for name in names:
        try:
            load_agent(name)
        except ArchGymError as error:
            missing.append(str(error))
        else:
            ready.append(name)
    return ready, missing
