"""The successive baseline of co-design: the networks first, for accuracy alone, then the
hardware for the networks chosen (NASAIC's "NAS then ASIC" baseline, Yang et al., DAC 2020).

The space must hold both sides of a co-design: network parameters named `net.<task>.*` and
hardware parameters named `hw.*` (as `archgym/CoDesign-v0` names them); every parameter is
on one side, and a conditional one depends only on parameters of its side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.args import check_int, check_real
from agents.optimizers.base import Design, Optimizer
from archgym_env.evaluation import Evaluation
from archgym_env.space import Constraint, DesignSpace
from simulators.errors import ArchGymError, InvalidArgumentError

SIDES = ("net.", "hw.")
INVALID_FITNESS = -1.0  # a design without an accuracy ranks below every accuracy (>= 0)


class Successive(Optimizer):
    """Two phases on one budget, each run by its own inner optimizer over its side's
    parameters (a space of that side alone; constraints are read with the other side's
    fixed values).

    1. Network phase, the first `network_evaluations` evaluations (by default
       `network_share` of the run's budget, rounded, at least 1): the hardware is held at
       the space's default values (`DesignSpace.default_design`) and the fitness is the
       metric `accuracy_metric` alone (the weighted accuracy over the tasks; a design the
       environment finds invalid, so without metrics, scores -1).
    2. Hardware phase, the rest of the budget: the networks are fixed at the network-phase
       design of highest accuracy (the first, on a tie) and the fitness is the
       environment's reward (the constrained reward by default). Its optimizer's space
       leaves out the default hardware, evaluated with those networks already.

    Args:
        network_share: the network phase's share of the budget, in (0, 1); default 0.5.
        network_evaluations: the network phase's length in evaluations instead of a share
            (a run with it extends to a larger budget; one with a share is another run).
        inner: the registered optimizer each phase runs (default `ga`), with `inner_args`.
        accuracy_metric: what the network phase maximizes (default `accuracy_pct`).

    The run loop tells the budget (`plan`) before the first `ask`; the phase length it
    gives is one of the `hyperparameters`, so a resumed run must have the same split. Both
    inner optimizers are seeded from `seed`, so a run is deterministic per seed and resumes
    by replay like any other agent.
    """

    name = "successive"

    def __init__(self, space: DesignSpace, seed: int = 0, network_share: float = 0.5,
                 network_evaluations: int | None = None, inner: str = "ga",
                 inner_args: dict[str, Any] | None = None,
                 accuracy_metric: str = "accuracy_pct"):
        super().__init__(space, seed)
        self.network_share = check_real("network_share", network_share, 0.0, 1.0,
                                        low_open=True, high_open=True)
        if network_evaluations is not None:
            check_int("network_evaluations", network_evaluations, 1)
        from agents.registry import agent_names  # the registry names this class

        optimizers = [n for n in agent_names("optimizer") if n != self.name]
        if inner not in optimizers:
            raise InvalidArgumentError("inner", inner, ", ".join(optimizers))
        if inner_args is not None and not isinstance(inner_args, dict):
            raise InvalidArgumentError("inner_args", inner_args, "a mapping of hyperparameters")
        if not isinstance(accuracy_metric, str) or not accuracy_metric:
            raise InvalidArgumentError("accuracy_metric", accuracy_metric, "a metric name")
        self.network_evaluations, self.inner = network_evaluations, inner
        self.inner_args, self.accuracy_metric = dict(inner_args or {}), accuracy_metric
        self._sides = _split(space)
        defaults = space.default_design()
        self._fixed_hardware = {n: defaults[n] for n in self._sides["hw."].names}
        self._seeds = [int(s) for s in np.random.default_rng(seed).integers(0, 2**31, 2)]
        self._network = self._inner_agent("net.", self._fixed_hardware, self._seeds[0])
        self._hardware: Optimizer | None = None
        self._planned = network_evaluations
        self._asked = self._told = 0
        self._best: tuple[float, Evaluation] | None = None  # network phase: fitness, record

    @property
    def hyperparameters(self) -> dict:
        return {"network_share": self.network_share, "network_evaluations": self._planned,
                "inner": self.inner, "inner_args": self.inner_args,
                "accuracy_metric": self.accuracy_metric}

    def plan(self, budget: int) -> None:
        check_int("budget", budget, 1)
        if self.network_evaluations is None:
            self._planned = min(max(round(self.network_share * budget), 1), budget)

    def ask(self, n: int) -> list[Design]:
        if self._planned is None:
            raise ArchGymError("successive splits the run's budget: call plan(budget) "
                               "first (the run loop does), or give network_evaluations")
        if self._told < self._asked:
            raise ArchGymError("successive: tell the designs asked before asking again")
        if self._asked < self._planned:  # network phase: at most up to its end
            designs = self._merged(self._network.ask(min(n, self._planned - self._asked)),
                                   self._fixed_hardware)
        else:
            designs = self._merged(self._hardware_agent().ask(n), self._best_networks())
        self._asked += len(designs)
        return designs

    def tell_records(self, records: Sequence[Evaluation]) -> None:
        split = max(min(self._planned - self._told, len(records)), 0)
        network, hardware = records[:split], records[split:]
        if network:
            fitness = [r.metrics.get(self.accuracy_metric, INVALID_FITNESS) if r.valid
                       else INVALID_FITNESS for r in network]
            self._network.tell(self._part(network, "net."), fitness)
            for value, record in zip(fitness, network, strict=True):
                if self._best is None or value > self._best[0]:
                    self._best = (value, record)
        if hardware:
            self._tell_hardware(hardware)
        self._told += len(records)

    def tell(self, designs: Sequence[Design], rewards: Sequence[float],
             objectives: np.ndarray | None = None) -> None:
        raise ArchGymError("successive learns from the environment's records (metrics "
                           "included): call tell_records, as the run loop does")

    def _inner_agent(self, side: str, fixed: dict[str, Any], seed: int,
                     avoid: dict[str, Any] | None = None) -> Optimizer:
        """The inner optimizer of `side`, the other side at `fixed`, never asking `avoid`."""
        from agents.registry import make_agent

        constraints = self.space.constraints
        if avoid is not None:
            constraints += (Constraint(
                lambda d: any(d[n] != v for n, v in avoid.items()),
                "not the network phase's hardware (evaluated with these networks already)"),)
        space = _side_space(self._sides[side], constraints, fixed)
        return make_agent(self.inner, space, seed=seed,
                          **self.inner_args)

    def _hardware_agent(self) -> Optimizer:
        """The hardware phase's optimizer, made when the phase begins."""
        if self._hardware is None:
            self._hardware = self._inner_agent("hw.", self._best_networks(), self._seeds[1],
                                               avoid=self._fixed_hardware)
        return self._hardware

    def _tell_hardware(self, records: Sequence[Evaluation]) -> None:
        self._hardware_agent().tell(
            self._part(records, "hw."), [r.reward for r in records],
            np.array([r.objectives for r in records]).reshape(len(records), -1))

    def _best_networks(self) -> dict[str, Any]:
        return {n: self._best[1].design[n] for n in self._sides["net."].names}

    def _part(self, records: Sequence[Evaluation], side: str) -> list[Design]:
        return [{n: r.design[n] for n in self._sides[side].names} for r in records]

    def _merged(self, part: list[Design], fixed: dict[str, Any]) -> list[Design]:
        """Whole designs of the space, in its parameter order."""
        return [{n: {**fixed, **d}[n] for n in self.space.names} for d in part]


def _split(space: DesignSpace) -> dict[str, DesignSpace]:
    """The space's network and hardware sides as two spaces of their parameters alone."""
    stray = [p.name for p in space.parameters if not p.name.startswith(SIDES)]
    sides = {side: [p for p in space.parameters if p.name.startswith(side)] for side in SIDES}
    if stray or not all(sides.values()):
        raise InvalidArgumentError(
            "space", stray[0] if stray else list(space.names),
            "a co-design space: network parameters net.<task>.* and hardware parameters "
            "hw.*, both present (e.g. archgym/CoDesign-v0 with neither side fixed)")
    for side, parameters in sides.items():
        names = {p.name for p in parameters}
        for p in parameters:
            across = [c.parent for c in p.active_when if c.parent not in names]
            if across:
                raise InvalidArgumentError(f"{p.name}.active_when", across[0],
                                           f"a parameter of its own side ({side}*)")
    return {side: DesignSpace(tuple(p)) for side, p in sides.items()}


def _side_space(side: DesignSpace, constraints: Sequence[Constraint],
                fixed: dict[str, Any]) -> DesignSpace:
    """`side` under the whole space's `constraints`, read with the other side at `fixed`."""
    return DesignSpace(side.parameters, tuple(
        Constraint(lambda d, c=c: c.predicate({**fixed, **d}), c.message)
        for c in constraints))
