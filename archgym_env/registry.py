"""The `archgym/` environments, registered with Gymnasium."""

from __future__ import annotations

import importlib
import inspect
import json
import numbers
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator
from gymnasium.wrappers import TimeLimit

from archgym_env.objective import Objective
from archgym_env.space import DesignSpace
from simulators.errors import ArchGymError, InvalidArgumentError


@dataclass(frozen=True)
class EnvEntry:
    """`episode_steps`: the longest episode with the default arguments, one step per
    parameter in sequential mode (a one-shot episode is one step); the registered
    `max_episode_steps`."""

    entry_point: str
    models: str
    episode_steps: int
    vector_entry_point: str | None = None


ENVIRONMENTS = {
    "archgym/Systolic-v0": EnvEntry(
        "archgym_env.systolic_env:make_systolic_env",
        "SCALE-Sim-style systolic array (array shape, dataflow, SRAMs, DRAM bandwidth)",
        7, "archgym_env.systolic_env:make_systolic_vector_env"),
    "archgym/DRAM-v0": EnvEntry(
        "archgym_env.dram_env:make_dram_env",
        "DRAMSys-style DRAM memory controller (page policy, scheduler, buffers, refresh)",
        10, "archgym_env.dram_env:make_dram_vector_env"),
    "archgym/Accelerator-v0": EnvEntry(
        "archgym_env.accelerator_env:make_accelerator_env",
        "Timeloop-class spatial accelerator (PE mesh, scratchpads, buffer, bandwidths, "
        "dataflow, precision); every layer mapped by the mapper", 11),
    "archgym/Mapping-v0": EnvEntry(
        "archgym_env.mapping_env:make_mapping_env",
        "Mapping of one layer on a fixed accelerator (tiling, loop order, parallel dims, "
        "bypass); MAESTRO directives and Timeloop mapping YAML accepted", 15),
    "archgym/CoDesign-v0": EnvEntry(
        "archgym_env.codesign_env:make_codesign_env",
        "NASAIC-style co-design: an mbconv ImageNet and an nb201 CIFAR-10 network on a "
        "heterogeneous ASIC (PE and bandwidth shares, dataflow templates) under latency, "
        "energy and area specs", 57),
}


# What `archgym envs` lists (space size, parameters, metrics of each environment with its
# default arguments), written by `write_descriptions` (`make envs-json`) from the built
# environments, so that listing builds none (Mapping-v0 runs its mapper to set targets);
# a test checks it against the environments.
DESCRIPTIONS = Path(__file__).with_name("envs.json")


def describe(env_id: str) -> dict[str, Any]:
    """One environment's listing, from the environment built with its default arguments."""
    env = make(env_id).unwrapped
    return {"id": env_id, "models": ENVIRONMENTS[env_id].models, "space_size": env.space.size,
            "parameters": list(env.space.names),
            "metrics": {m.name: {k: v for k, v in m.as_dict().items() if k != "name"}
                        for m in env.simulator.metrics}}


def write_descriptions() -> None:
    """Rewrite the listing file from the environments as they are built now."""
    rows = [describe(env_id) for env_id in ENVIRONMENTS]
    DESCRIPTIONS.write_text(json.dumps(rows, indent=1) + "\n")


def descriptions() -> list[dict[str, Any]]:
    """Every ArchGym environment's listing, as `describe` wrote it."""
    return json.loads(DESCRIPTIONS.read_text())


def build(env_id: str, entry_point: str, proxy: str | None = None, **kwargs: Any) -> gym.Env:
    """The environment of `entry_point` (`module:factory`) with `kwargs`; with `proxy` (a
    model directory of `archgym proxy train`) its simulator is that proxy, checked against
    this environment (id, design space, simulator versions, arguments that change the
    metrics) before use. The proxy wraps the simulator it stands in for, so run
    descriptions record both."""
    module, _, name = entry_point.partition(":")
    env = getattr(importlib.import_module(module), name)(**kwargs)
    if proxy is None:
        return env
    from cost_models.proxy import ProxySimulator, load

    inner = env.unwrapped
    simulators, simulator = {}, inner.simulator
    while simulator is not None:
        simulators[type(simulator).__name__] = str(getattr(simulator, "version", ""))
        simulator = getattr(simulator, "simulator", None)
    model = load(proxy, {"env_id": env_id, "space_fingerprint": inner.space.fingerprint(),
                         "simulators": simulators, "env_args": kwargs})
    return inner.copy_with(simulator=ProxySimulator(model, inner.simulator))


def register_envs() -> None:
    """Register the `archgym/` ids with `max_episode_steps` (Gymnasium's TimeLimit; the
    longest default episode, see `EnvEntry`). `gymnasium.make` adds no OrderEnforcing or
    PassiveEnvChecker: every environment passes `check_env` (the tests run it), a step
    before `reset` is well defined (it evaluates from the initial state) and a step after
    the end raises `ResetNeeded`. `help(env.unwrapped)` shows an environment's docs. Every
    id takes `proxy=PATH` too (see `build`)."""
    for env_id, entry in ENVIRONMENTS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=partial(build, env_id, entry.entry_point),
                         vector_entry_point=entry.vector_entry_point,
                         max_episode_steps=entry.episode_steps,
                         order_enforce=False, disable_env_checker=True)


def registered(env_id: str) -> bool:
    """Whether `make` knows `env_id`: an ArchGym id, any id registered with Gymnasium, or
    `module:EnvId` (Gymnasium's form: importing `module` registers `EnvId`)."""
    register_envs()
    module, _, name = env_id.rpartition(":")
    if module:
        try:
            importlib.import_module(module)
        except ImportError:
            return False
    return name in gym.registry


def make(env_id: str, **kwargs: Any) -> gym.Env:
    """`gymnasium.make` for an ArchGym id or any other registered one (see `registered`),
    with a clear error for an unknown id and for arguments the environment does not take."""
    if not registered(env_id):
        raise InvalidArgumentError("env_id", env_id, ", ".join(known_ids())
                                   + " or any id registered with gymnasium")
    check_env_arguments(env_id, kwargs)
    try:
        env = gym.make(env_id, **kwargs)
    except TypeError as error:
        raise InvalidArgumentError("env kwargs", sorted(kwargs), str(error)) from None
    steps = getattr(env.unwrapped, "episode_steps", None)
    if isinstance(env, TimeLimit) and steps is not None and \
            env.spec.max_episode_steps != steps:  # this mode's own episode length
        env = TimeLimit(env.env, steps)
    return env


def check_env_arguments(env_id: str, kwargs: Mapping[str, Any]) -> None:
    """InvalidArgumentError naming the first argument the environment's entry point does not
    take, or whose value is not of its annotated type (a number for a float, a list for a
    sequence, a mapping for a mapping: what is inside is the environment's to check)."""
    entry_point = gym.spec(env_id.rpartition(":")[2]).entry_point
    if isinstance(entry_point, partial) and entry_point.func is build:  # an ArchGym id
        entry_point = entry_point.args[1]
        if not isinstance(kwargs.get("proxy"), str | Path | None):
            raise InvalidArgumentError("proxy", kwargs["proxy"], "a model directory path")
        kwargs = {k: v for k, v in kwargs.items() if k != "proxy"}
    try:
        creator = load_env_creator(entry_point) if isinstance(entry_point, str) else entry_point
        signature = inspect.signature(creator)
        hints = typing.get_type_hints(creator)
    except (ImportError, AttributeError, TypeError, ValueError, NameError):
        return  # an entry point that cannot be read is left to gymnasium
    parameters = signature.parameters
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        for name in kwargs:
            if name not in parameters:
                raise InvalidArgumentError("env argument", name, ", ".join(parameters))
    for name, value in kwargs.items():
        hint = hints.get(name)
        if hint is not None and not _matches(value, hint):
            raise InvalidArgumentError(name, value, _describe(hint))


def _matches(value: Any, hint: Any) -> bool:
    """Whether `value` is of the annotated type `hint`, at its outer level."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint in (int, float):  # numpy's numbers too
        return isinstance(value, numbers.Integral if hint is int else numbers.Real) and \
            not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is Path:
        return isinstance(value, str | Path)
    if origin is not None and isinstance(origin, type):
        if issubclass(origin, Mapping):
            return isinstance(value, Mapping)
        if issubclass(origin, Sequence):
            return isinstance(value, list | tuple)
    if isinstance(hint, type) and hint is not typing.Any:
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    """`hint` in words: `a number or None`, `a list`, `a mapping`, `a string or Path`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_describe(a) for a in args))
    words = {type(None): "None", bool: "true or false", int: "an integer", float: "a number",
             str: "a string", Path: "a path"}
    if hint in words:
        return words[hint]
    if origin is not None and isinstance(origin, type):
        return "a mapping" if issubclass(origin, Mapping) else "a list"
    return getattr(hint, "__name__", str(hint))


def design_env(env: gym.Env, env_id: str) -> gym.Env:
    """`env` when it is one agents can search: its unwrapped form offers a `DesignSpace` as
    `space` and an `Objective` as `objective` (as every `DesignEnv` does); else one error."""
    inner = env.unwrapped
    if not (isinstance(getattr(inner, "space", None), DesignSpace)
            and isinstance(getattr(inner, "objective", None), Objective)):
        raise ArchGymError(f"{env_id} makes a {type(inner).__name__}, which has no design "
                           "space: agents need env.unwrapped.space (a DesignSpace) and "
                           "env.unwrapped.objective (an Objective), as a DesignEnv has")
    return env


def known_ids() -> list[str]:
    """The ArchGym ids, then every id another package registered (Gymnasium's own
    environments, which have no design space, left out)."""
    register_envs()
    others = [env_id for env_id, spec in gym.registry.items()
              if env_id not in ENVIRONMENTS and not _module(spec.entry_point).startswith(
                  ("gymnasium.", "shimmy."))]
    return [*ENVIRONMENTS, *others]


def _module(entry_point: Any) -> str:
    """The module an entry point (`module:attribute` or a callable) lives in."""
    if isinstance(entry_point, str):
        return entry_point.partition(":")[0]
    return getattr(entry_point, "__module__", "") or ""

