"""`archgym/CoDesign-v0`: task networks and one heterogeneous ASIC explored together.

The names other modules rely on:

* Parameters: every hardware parameter's name starts with `hw.` (`hw.sub{k}.pes`,
  `hw.sub{k}.dataflow`, `hw.sub{k}.bandwidth_gbps`, k = 0 .. max_subs-1); every network
  parameter's name starts with `net.<task>.` followed by the network space's own name
  (`net.imagenet.stage1.depth`, `net.cifar10.edge_0_1`). Tasks: `imagenet` (mbconv at
  224) and `cifar10` (nb201). `TASKS` lists them.
* Metrics (`CoDesignSimulator.metrics`): `accuracy_pct` (the task-weighted accuracy),
  `accuracy_imagenet_pct`, `accuracy_cifar10_pct`, `latency_s` (all tasks done),
  `latency_cycles`, `latency_imagenet_s`, `latency_cifar10_s`, `latency_imagenet_cycles`,
  `latency_cifar10_cycles`, `energy_pj`, `power_mw`, `area_mm2`, `edp_pj_s`,
  `utilization`, `sub{k}_utilization`.
* Groupings (multi-agent form): `task_hardware` (agents `imagenet`, `cifar10`,
  `hardware`; the default of `archgym run --agent mappo|ippo`) and `task_sub` (agents
  `imagenet`, `cifar10`, `sub0`, `sub1`, ...).
* `info["tasks"][task]`: `accuracy_pct`, `accuracy_kind`, `accuracy_std_pct` (None for a
  table), `accuracy_note`, `latency_s`; `info["spec_margins"][metric]`: 1 - value / spec
  (>= 0: the spec holds), for `latency_s`, `energy_pj`, `area_mm2` as the env's `specs`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.network_spaces import network_design_space
from archgym_env.objective import Objective, make_objective
from archgym_env.space import Categorical, Condition, DesignSpace, Ordinal, Parameter
from simulators.accuracy.base import Accuracy, Evaluator
from simulators.asic import (
    BANDWIDTH_BUDGET_GBPS,
    NASAIC_TEMPLATES,
    PE_BUDGET,
    AsicSimulator,
    AsicWorkload,
)
from simulators.base import BatchResult, CostModel, Designs, Metric, design_rows
from simulators.errors import InvalidArgumentError, InvalidDesignError, check_int
from simulators.networks import network_space
from simulators.workloads import Network


def _ofa_surrogate() -> Evaluator:
    from cost_models.accuracy_surrogate import OFASurrogate

    return OFASurrogate()


def _nb201_table() -> Evaluator:
    from simulators.accuracy.table import NB201Table

    return NB201Table("cifar10")


@dataclass(frozen=True)
class Task:
    """A task network: its network space, what the evaluator reads of a design of it, and
    its accuracy evaluator (built on first use)."""

    name: str
    space: str
    evaluator: Callable[[], Evaluator]
    kind: str
    to_evaluator: Callable[[dict[str, Any]], Any]


def _ofa_config(design: dict[str, Any]) -> dict[str, Any]:
    from simulators.networks.mbconv import to_ofa

    return to_ofa(design)


def _nb201_string(design: dict[str, Any]) -> str:
    return str(network_space("nb201").notation(design))


# The default workload (NASAIC's two-task setting, offline): an ImageNet classifier of the
# Once-for-All MobileNetV3 space at 224 (surrogate top-1, cost_models.accuracy_surrogate)
# and a CIFAR-10 classifier of NAS-Bench-201 (NATS-Bench's 200-epoch test accuracy).
TASKS = {
    "imagenet": Task("imagenet", "mbconv", _ofa_surrogate, "surrogate", _ofa_config),
    "cifar10": Task("cifar10", "nb201", _nb201_table, "table", _nb201_string),
}

# Coarse shares of NASAIC's budgets (4096 PEs, 64 GB/s): eighths of each. Sub-accelerator
# 0 always exists; a later one with 0 PEs is absent (its other parameters inactive).
PE_STEP, GBPS_STEP, SHARES = PE_BUDGET // 8, BANDWIDTH_BUDGET_GBPS / 8, 8

DEFAULT_METRICS = ("accuracy_pct", "latency_s", "energy_pj", "area_mm2")
# Specs a random design rarely meets: 1.65% of 2,000 random designs meet all three (see
# CoDesignEnv's docstring), each one binding.
DEFAULT_SPECS = {"latency_s": 2.5e-3, "energy_pj": 1.0e10, "area_mm2": 9.0}
# target / weighted modes aim accuracy at this (percent); pareto counts accuracy from the
# reference up.
ACCURACY_TARGET_PCT = 85.0
ACCURACY_REFERENCE_PCT = 50.0


def hardware_parameters(max_subs: int) -> tuple[Parameter, ...]:
    """hw.sub{k}.pes, .dataflow, .bandwidth_gbps per sub-accelerator (module constants)."""
    out: list[Parameter] = []
    for k in range(max_subs):
        key = f"hw.sub{k}."
        pes = tuple(PE_STEP * i for i in range(0 if k else 1, SHARES + 1))
        when = {key + "pes": pes[1:]} if k else None
        out += [Ordinal(key + "pes", pes, preferred=PE_STEP * (SHARES // max_subs)),
                Categorical(key + "dataflow", NASAIC_TEMPLATES,
                            preferred=NASAIC_TEMPLATES[k % len(NASAIC_TEMPLATES)],
                            active_when=when),
                Ordinal(key + "bandwidth_gbps",
                        tuple(GBPS_STEP * i for i in range(1, SHARES + 1)),
                        preferred=GBPS_STEP * (SHARES // max_subs), active_when=when)]
    return tuple(out)


def network_parameters(task: Task) -> tuple[Parameter, ...]:
    """The task's network space as searched, names prefixed `net.<task>.`, choices with a
    single value left out (they are fixed: mbconv's resolution 224)."""
    prefix = f"net.{task.name}."
    out = []
    for p in network_design_space(task.space).parameters:
        if len(p.choices) > 1:
            out.append(_renamed(p, prefix + p.name, prefix))
    return tuple(out)


def _renamed(p: Parameter, name: str, prefix: str) -> Parameter:
    return dataclasses.replace(p, name=name, active_when=tuple(
        Condition(prefix + c.parent, c.values) for c in p.active_when))


def _fixed_space(parameters: Sequence[Parameter], fixed: Mapping[str, Any]) -> DesignSpace:
    """The space without the fixed parameters: a condition on a fixed parent is decided
    by its value (kept when it holds, the parameter fixed at its default when not)."""
    kept = []
    for p in parameters:
        if p.name in fixed:
            continue
        conditions, holds = [], True
        for c in p.active_when:
            if c.parent in fixed:
                holds &= fixed[c.parent] in c.values
            else:
                conditions.append(c)
        if holds:
            kept.append(dataclasses.replace(p, active_when=tuple(conditions)))
    return DesignSpace(tuple(kept))


def _network_preset(name: str, task: Task) -> dict[str, Any]:
    """`default` (each space's default design), `smallest` / `largest` (every ordered
    choice at its first / last value; NB201's edges all 1x1 / all 3x3 convolutions)."""
    space = network_design_space(task.space)
    design = space.default_design()
    for p in space.parameters:
        if name != "default" and p.ordered:
            design[p.name] = p.choices[0 if name == "smallest" else -1]
    if task.space == "nb201" and name != "default":
        design = dict.fromkeys(design, "nor_conv_1x1" if name == "smallest" else "nor_conv_3x3")
    return {f"net.{task.name}.{k}": v for k, v in design.items()
            if len(space[k].choices) > 1}


NETWORK_PRESETS = ("default", "smallest", "largest")
# Hardware presets: two equal NASAIC sub-accelerators of complementary dataflows, or one
# Eyeriss-like accelerator with the whole budget.
HARDWARE_PRESETS = {
    "balanced": {"hw.sub0.pes": 2048, "hw.sub0.dataflow": "nvdla_like",
                 "hw.sub0.bandwidth_gbps": 32.0, "hw.sub1.pes": 2048,
                 "hw.sub1.dataflow": "shidiannao_like", "hw.sub1.bandwidth_gbps": 32.0},
    "single": {"hw.sub0.pes": 4096, "hw.sub0.dataflow": "eyeriss_like",
               "hw.sub0.bandwidth_gbps": 64.0, "hw.sub1.pes": 0},
}


def _fixed(side: str, value: Mapping[str, Any] | str | None, parameters: Sequence[Parameter],
           presets: Callable[[str], dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """A fixed side's values (a preset name or a dict of parameter values), checked."""
    if value is None:
        return {}
    if isinstance(value, str):
        if value not in names:
            raise InvalidArgumentError(side, value, ", ".join(names) + " or a dict of values")
        value = presets(value)
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(side, value, ", ".join(names) + " or a dict of values")
    by_name = {p.name: p for p in parameters}
    prefix = "hw." if side == "fixed_hardware" else "net."
    out = {}
    for name, v in value.items():
        if name not in by_name or not name.startswith(prefix):
            raise InvalidArgumentError(f"{side} parameter", name, ", ".join(
                n for n in by_name if n.startswith(prefix)))
        out[name] = by_name[name].choices[by_name[name].index(v)]
    return out


class CoDesignSimulator(CostModel):
    """Networks and hardware of one design: each task's network decoded from its `net.`
    values and its accuracy evaluated, the networks run on the ASIC of the `hw.` values
    (simulators.asic). Decoded networks, accuracies and prepared workloads are memoized.

    `fixed` holds the values of parameters outside the searched space; `task_weights`
    weigh the tasks' accuracies into `accuracy_pct` (normalized)."""

    version = "1"

    def __init__(self, tasks: Sequence[Task], asic: AsicSimulator,
                 fixed: Mapping[str, Any] | None = None,
                 task_weights: Mapping[str, float] | None = None):
        self.tasks, self.asic, self.fixed = tuple(tasks), asic, dict(fixed or {})
        weights = {t.name: 1.0 for t in self.tasks} if task_weights is None \
            else dict(task_weights)
        names = [t.name for t in self.tasks]
        if set(weights) != set(names) or any(
                not isinstance(w, int | float) or isinstance(w, bool) or w < 0
                for w in weights.values()) or sum(weights.values()) <= 0:
            raise InvalidArgumentError("task_weights", weights,
                                       f"a weight >= 0 for each of {', '.join(names)}, "
                                       "not all 0")
        total = sum(weights.values())
        self.task_weights = {t: weights[t] / total for t in names}
        self._networks: dict[tuple, Network] = {}
        self._accuracies: dict[tuple, Accuracy] = {}
        self._workloads: dict[tuple, AsicWorkload] = {}
        self.metrics = (
            Metric("accuracy_pct", "%", "max", "task-weighted accuracy"),
            *(Metric(f"accuracy_{t.name}_pct", "%", "max", f"{t.name} accuracy ({t.kind})")
              for t in self.tasks),
            *(m for m in asic.metrics if not m.name.startswith("task")),
            *(m for k, t in enumerate(self.tasks) for m in (
                Metric(f"latency_{t.name}_s", "s", "min", f"when {t.name} is done"),
                Metric(f"latency_{t.name}_cycles", "cycles", "min",
                       f"latency_{t.name}_s in cycles"))))

    @cached_property
    def evaluators(self) -> dict[str, Evaluator]:
        return {t.name: t.evaluator() for t in self.tasks}

    def prepare(self, workload: Any = None) -> None:
        """Nothing to prepare: each design names its networks."""
        return None

    @staticmethod
    def _memo(table: dict, key: tuple, make: Callable[[], Any]) -> Any:
        value = table.get(key)
        if value is None:
            if len(table) >= 20_000:
                table.clear()
            value = table[key] = make()
        return value

    def network_designs(self, design: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Each task's network design (the space's own names) from a full design."""
        out = {}
        for t in self.tasks:
            prefix = f"net.{t.name}."
            values = {k[len(prefix):]: v for k, v in design.items() if k.startswith(prefix)}
            out[t.name] = network_space(t.space).parse(values)
        return out

    def accuracies(self, designs: Sequence[Mapping[str, dict[str, Any]]]
                   ) -> list[dict[str, Accuracy]]:
        """Each task's accuracy for each design's networks (memoized; misses batched)."""
        keys = [{t.name: tuple(d[t.name].values()) for t in self.tasks} for d in designs]
        for t in self.tasks:
            missing = {k[t.name]: d[t.name] for k, d in zip(keys, designs, strict=True)
                       if (t.name, k[t.name]) not in self._accuracies}
            if missing:
                found = self.evaluators[t.name].evaluate_batch(
                    [t.to_evaluator(d) for d in missing.values()])
                if len(self._accuracies) >= 20_000:
                    self._accuracies.clear()
                self._accuracies.update({(t.name, k): a for k, a in zip(missing, found,
                                                                        strict=True)})
        return [{t.name: self._accuracies[t.name, k[t.name]] for t in self.tasks}
                for k in keys]

    def _workload(self, nets: Mapping[str, dict[str, Any]]) -> AsicWorkload:
        def networks() -> AsicWorkload:
            return self.asic.prepare([self._memo(
                self._networks, (t.name, tuple(nets[t.name].values())),
                lambda t=t: network_space(t.space).decode(nets[t.name]))
                for t in self.tasks])
        return self._memo(self._workloads, tuple(tuple(nets[t.name].values())
                                                 for t in self.tasks), networks)

    def evaluate_batch(self, designs: Designs, workload: Any = None) -> BatchResult:
        """Every design's networks on its ASIC, with their accuracies; the AsicSchedule is
        each valid design's detail."""
        rows, nets, pairs = [], [], []
        for row in design_rows(designs):
            full = {**self.fixed, **row}
            hw = {k[3:]: v for k, v in full.items() if k.startswith("hw.")}
            hw["subs"] = self.asic.max_subs  # one with 0 PEs is absent
            net = self.network_designs(full)
            rows.append(full), nets.append(net)
            pairs.append((hw, self._workload(net)))
        schedules = self.asic.run_many(pairs)
        accuracies = self.accuracies(nets)
        out, reasons, details = [], [], []
        for schedule, accuracy in zip(schedules, accuracies, strict=True):
            if isinstance(schedule, InvalidDesignError):
                out.append(None), reasons.append(_hw_reason(schedule)), details.append(None)
                continue
            asic = self.asic.metrics_of(schedule)
            metrics = {f"accuracy_{t}_pct": float(a.value) for t, a in accuracy.items()}
            metrics["accuracy_pct"] = sum(self.task_weights[t] * a.value
                                          for t, a in accuracy.items())
            for k, t in enumerate(self.tasks):
                metrics[f"latency_{t.name}_s"] = asic.pop(f"task{k}_latency_s")
                metrics[f"latency_{t.name}_cycles"] = asic.pop(f"task{k}_latency_cycles")
            out.append({**metrics, **asic}), reasons.append(None), details.append(schedule)
        return BatchResult.from_rows(out, self.metric_names, reasons, details)


def _hw_reason(error: InvalidDesignError) -> str:
    """The ASIC's reason in the environment's names (`sub0.pes` -> `hw.sub0.pes`)."""
    return re.sub(r"\bsub(\d+)\.", r"hw.sub\1.", str(error))


def codesign_objective(reward: str, metrics: Sequence[str], available: Sequence[Metric],
                       specs: Mapping[str, float], targets: Mapping[str, float] | None,
                       limits: Mapping[str, float] | None,
                       weights: Mapping[str, float] | None,
                       references: Mapping[str, float] | None,
                       quality: str | None) -> Objective:
    """The objective of a reward mode, the specs standing in for what is not given:
    constrained (gated: a design that breaks a spec gets its penalties alone): the specs as
    limits, `quality` (accuracy_pct) scored as value / 100;
    target, weighted: the specs and ACCURACY_TARGET_PCT as targets; pareto and constrained:
    the specs and ACCURACY_REFERENCE_PCT as the reference point (of pareto's reward, and of
    the hypervolume runs report under either: accuracy's target of 100% left it at 0)."""
    chosen = {m: v for m, v in specs.items() if m in metrics}
    accuracy = [m for m in metrics if m.startswith("accuracy")]
    if reward == "constrained":
        quality = quality or "accuracy_pct"
        limits = chosen if limits is None else limits
        targets = {quality: 100.0} if targets is None and quality.endswith("_pct") \
            else targets
    elif reward in ("target", "weighted") and targets is None:
        targets = {**chosen, **dict.fromkeys(accuracy, ACCURACY_TARGET_PCT)}
    if reward in ("constrained", "pareto") and references is None:
        references = {**chosen, **dict.fromkeys(accuracy, ACCURACY_REFERENCE_PCT)}
    objective = make_objective(reward, metrics, available, targets=targets, limits=limits,
                               weights=weights, references=references, quality=quality)
    return dataclasses.replace(objective, gated=True) if reward == "constrained" \
        else objective


class CoDesignEnv(DesignEnv):
    """`archgym/CoDesign-v0`: co-explore task networks and a heterogeneous ASIC (NASAIC).

    ## Description
    NASAIC (Yang et al., "Co-Exploration of Neural Architectures and Heterogeneous ASIC
    Accelerator Designs Targeting Multiple Tasks", DAC 2020) searches the networks of
    several tasks and one ASIC of several sub-accelerators together, under latency,
    energy and area specs. A design here is every task's network choices (`net.<task>.`)
    plus the hardware choices (`hw.`): per sub-accelerator its share of the 4096 PEs and
    of the 64 GB/s (eighths) and its dataflow template (ShiDianNao-like, NVDLA-like,
    Eyeriss-like; simulators.asic cites them). Each evaluation decodes the networks
    (simulators.networks), looks up their accuracy (ImageNet: the Once-for-All surrogate,
    kind `surrogate`; CIFAR-10: NATS-Bench's table, kind `table`) and runs both networks
    on the ASIC (`simulators.asic.AsicSimulator`: every layer, pooling and adds included,
    list-scheduled on the sub-accelerators, mapped by the accelerator model's mapper,
    mapper results cached across designs). Shares above the budgets, or a sub-accelerator
    no layer fits, make an invalid design with the reason in `info["error"]`.

    `fixed_hardware` fixes the hardware (hardware-aware NAS, as FBNet / ProxylessNAS
    search networks for one device) and `fixed_networks` the networks (multi-network
    accelerator search): a preset name or a dict of parameter values; the fixed
    parameters leave the space.

    Metrics (module docstring): the task-weighted `accuracy_pct`, per-task
    `accuracy_<task>_pct` and `latency_<task>_s`, `latency_s`, `energy_pj`, `area_mm2`,
    power, EDP and utilizations.

    ## Specs
    `DEFAULT_SPECS`: latency 2.5 ms (both tasks done), 1.0e10 pJ (10 mJ, both networks
    once), 9 mm2. Of 2,000 random designs (`space.sample`, seed 0, the default arguments;
    `python benchmarks/bench_codesign.py --calibrate 2000`): 598 valid (29.9%; the others
    ask for more than the PE or bandwidth budget), 164 (8.2%) meet the latency spec, 260
    (13.0%) the energy spec, 197 (9.9%) the area spec and 33 (1.65%) all three. The best
    of those 33 reaches 84.4% weighted accuracy, the best valid design 85.3%.

    ## Action Space
    | parameter | choices |
    |---|---|
    | `hw.sub0.pes` | 512, 1024, ..., 4096 PEs (eighths of the budget) |
    | `hw.sub<k>.pes` | 0 (absent), 512, ..., 4096 PEs, for k >= 1 |
    | `hw.sub<k>.dataflow` | shidiannao_like, nvdla_like, eyeriss_like |
    | `hw.sub<k>.bandwidth_gbps` | 8, 16, ..., 64 GB/s (eighths of the budget) |
    | `net.imagenet.stage<s>.depth` | 2, 3, 4 blocks (mbconv, stages 1-5) |
    | `net.imagenet.stage<s>.block<b>.kernel` | 3, 5, 7 (active while the stage is deep |
    | | enough) |
    | `net.imagenet.stage<s>.block<b>.expand` | 3, 4, 6 |
    | `net.cifar10.edge_<i>_<j>` | the NB201 ops: none, skip_connect, nor_conv_1x1, |
    | | nor_conv_3x3, avg_pool_3x3 |

    `one_shot`: `MultiDiscrete` over every parameter's choices (`env.space.names`), a
    whole design as choice indices. `sequential`: `Discrete(n)` with n the most choices of
    a parameter, one parameter per step, as NASAIC's RNN controller builds a design
    (action a picks choice floor(a * n_t / n)).

    ## Observation Space
    As `DesignEnv`'s. `one_shot`: `Box(0, 1, (61,), float32)` with the default arguments
    (n_params + n_goals), the last design as normalized choice indices, then each goal
    metric x as x / (x + scale). `sequential`: `Box(-1, 1, (n_params + 1,))`, the partial
    design (-1 where unset), then t / n_params.

    ## Rewards
    * `constrained` (default, NASAIC): accuracy_pct / 100 when every spec holds; else
      the bounded penalties alone, minus the sum over broken specs of min(1, relative
      excess) (the objective's `gated` form: every feasible design outranks every
      infeasible one): in [-3, 1]. `info["feasible"]` says whether every spec holds.
    * `target`: mean over goals of min(1, target / x) (accuracy: x / 85%), in [0, 1].
    * `weighted`: weighted decades beyond each target, each clipped to +-10.
    * `pareto`: the hypervolume the design dominates alone (reference: the specs and 50%
      accuracy), in [0, 1].
    Invalid designs get the mode's lowest reward. In `sequential` mode every step but the
    last gives 0.

    ## Starting State
    `reset` returns an all-zero observation (`one_shot`) or an empty partial design
    (`sequential`). Nothing is random: the mapper's seed is fixed (`mapper_seed`); a seed
    restarts the evaluation count and the Pareto archive.

    ## Episode End
    `one_shot`: terminated after one step when `max_steps` is 1, else truncated after
    `max_steps` (terminated early once every target is met, target mode). `sequential`:
    terminated once every parameter is set (57 steps with the default arguments).

    ## Info
    `DesignEnv`'s, plus `tasks` (per task: `accuracy_pct`, `accuracy_kind`,
    `accuracy_std_pct`, `accuracy_note`, `latency_s`) and `spec_margins` (per spec,
    1 - value / spec: >= 0 when it holds) for valid designs.

    ## Arguments
    `gymnasium.make("archgym/CoDesign-v0", **kwargs)` passes these to `make_codesign_env`:

    | Parameter | Type | Default | Description |
    |---|---|---|---|
    | `reward` | `str` | `'constrained'` | `constrained`, `target`, `weighted` or `pareto` |
    | `mode` | `str` | `'one_shot'` | `one_shot` or `sequential` |
    | `tasks` | `Sequence[str]` | `('imagenet', 'cifar10')` | task networks of `TASKS` |
    | `task_weights` | `Mapping[str, float] or None` | `None` | per task, weighing the |
    | | | | accuracies into accuracy_pct (default equal) |
    | `specs` | `Mapping[str, float] or None` | `None` | latency_s, energy_pj, area_mm2 |
    | | | | specs replacing those of `DEFAULT_SPECS` |
    | `fixed_hardware` | `Mapping[str, Any] or str or None` | `None` | `balanced`, `single` |
    | | | | or a dict of `hw.` values: those leave the space |
    | `fixed_networks` | `Mapping[str, Any] or str or None` | `None` | `default`, |
    | | | | `smallest`, `largest` or a dict of `net.` values |
    | `max_subs` | `int` | `2` | sub-accelerators, 1..8 (specs calibrated for 2) |
    | `metrics` | `Sequence[str]` | `DEFAULT_METRICS` | the goals |
    | `targets` | `Mapping[str, float] or None` | `None` | per metric (target, weighted) |
    | `limits` | `Mapping[str, float] or None` | `None` | hard limits (constrained): |
    | | | | default the specs |
    | `weights` | `Mapping[str, float] or None` | `None` | per goal (default 1) |
    | `references` | `Mapping[str, float] or None` | `None` | pareto reference point |
    | `quality` | `str or None` | `None` | what constrained mode rewards (accuracy_pct) |
    | `max_steps` | `int` | `1` | steps per `one_shot` episode |
    | `mapper_budget` | `int or None` | `None` | mappings the mapper samples per layer |
    | | | | (None: 70) |
    | `mapper_rounds` | `int or None` | `None` | the mapper's local-search rounds |
    | | | | (None: 2) |
    | `mapper_seed` | `int` | `0` | the mapper's seed |
    | `render_mode` | `str or None` | `None` | `None` or `ansi` (the last design) |

    ## Version History
    * v0: initial version.
    """

    default_grouping = "task_hardware"

    def __init__(self, *args: Any, specs: Mapping[str, float], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.specs = dict(specs)

    def _step(self, action):
        observation, reward, terminated, truncated, info = super()._step(action)
        if info.get("valid"):
            info.update(self.explain(info["design"], info["metrics"]))
        return observation, reward, terminated, truncated, info

    def explain(self, design: Mapping[str, Any], metrics: Mapping[str, float]
                ) -> dict[str, Any]:
        """`tasks` and `spec_margins` of a valid design (see Info)."""
        simulator = self.simulator
        while not isinstance(simulator, CoDesignSimulator):  # a proxy wraps it
            simulator = simulator.simulator
        accuracy = simulator.accuracies([simulator.network_designs(
            {**simulator.fixed, **design})])[0]
        tasks = {t: {"accuracy_pct": float(a.value), "accuracy_kind": a.kind,
                     "accuracy_std_pct": None if a.std is None else float(a.std),
                     "accuracy_note": a.note,
                     "latency_s": float(metrics[f"latency_{t}_s"])}
                 for t, a in accuracy.items()}
        margins = {m: 1.0 - float(metrics[m]) / spec for m, spec in self.specs.items()}
        return {"tasks": tasks, "spec_margins": margins}


def make_codesign_env(reward: str = "constrained", mode: str = "one_shot",
                      tasks: Sequence[str] = ("imagenet", "cifar10"),
                      task_weights: Mapping[str, float] | None = None,
                      specs: Mapping[str, float] | None = None,
                      fixed_hardware: Mapping[str, Any] | str | None = None,
                      fixed_networks: Mapping[str, Any] | str | None = None,
                      max_subs: int = 2, metrics: Sequence[str] = DEFAULT_METRICS,
                      targets: Mapping[str, float] | None = None,
                      limits: Mapping[str, float] | None = None,
                      weights: Mapping[str, float] | None = None,
                      references: Mapping[str, float] | None = None,
                      quality: str | None = None, max_steps: int = 1,
                      mapper_budget: int | None = None, mapper_rounds: int | None = None,
                      mapper_seed: int = 0,
                      render_mode: str | None = None) -> CoDesignEnv:
    """Build `archgym/CoDesign-v0` (the arguments are documented on `CoDesignEnv`)."""
    if isinstance(tasks, str) or not isinstance(tasks, Sequence) or not tasks or \
            any(t not in TASKS for t in tasks) or len(set(tasks)) != len(tasks):
        raise InvalidArgumentError("tasks", tasks, "distinct tasks of " + ", ".join(TASKS))
    check_int("max_subs", max_subs, 1, SHARES)  # each sub-accelerator gets a share
    chosen = [TASKS[t] for t in tasks]
    unknown = sorted(set(specs or {}) - set(DEFAULT_SPECS))
    if unknown:
        raise InvalidArgumentError("specs metric", unknown[0], ", ".join(DEFAULT_SPECS))
    all_specs = {**DEFAULT_SPECS, **dict(specs or {})}
    hardware = hardware_parameters(max_subs)
    networks = tuple(p for t in chosen for p in network_parameters(t))
    fixed = {**_fixed("fixed_hardware", fixed_hardware, hardware,
                      lambda name: dict(HARDWARE_PRESETS[name]), tuple(HARDWARE_PRESETS)),
             **_fixed("fixed_networks", fixed_networks, networks,
                      lambda name: {k: v for t in chosen
                                    for k, v in _network_preset(name, t).items()},
                      NETWORK_PRESETS)}
    space = _fixed_space(hardware + networks, fixed)
    if not space.parameters:
        raise InvalidArgumentError("fixed_hardware, fixed_networks", "both sides fixed",
                                   "at most one side fixed (nothing is left to search)")
    asic = AsicSimulator(tasks=len(chosen), max_subs=max_subs, mapper_budget=mapper_budget,
                         mapper_rounds=mapper_rounds, seed=mapper_seed)
    simulator = CoDesignSimulator(chosen, asic, fixed, task_weights)
    objective = codesign_objective(reward, metrics, simulator.metrics, all_specs, targets,
                                   limits, weights, references, quality)
    groupings = {
        "task_hardware": {**{t.name: [n for n in space.names if n.startswith(f"net.{t.name}.")]
                             for t in chosen},
                          "hardware": [n for n in space.names if n.startswith("hw.")]},
        "task_sub": {**{t.name: [n for n in space.names if n.startswith(f"net.{t.name}.")]
                        for t in chosen},
                     **{f"sub{k}": [n for n in space.names if n.startswith(f"hw.sub{k}.")]
                        for k in range(max_subs)}}}
    groupings = {g: {a: tuple(ps) for a, ps in groups.items() if ps}
                 for g, groups in groupings.items()}
    return CoDesignEnv(space, simulator, None, objective, mode=mode, max_steps=max_steps,
                       render_mode=render_mode, groupings=groupings, specs=all_specs)


def make_codesign_multi_agent_env(grouping: str = "task_hardware", agent_reward: str = "team",
                                  **kwargs: Any) -> Any:
    """The PettingZoo form: one agent per task network and one for the hardware
    (`task_hardware`), or one per task network and one per sub-accelerator (`task_sub`),
    sharing the team reward (or, with `agent_reward="difference"`, each its own
    contribution)."""
    from archgym_env.multi_agent import MultiAgentDesignEnv

    return MultiAgentDesignEnv(make_codesign_env(**kwargs), grouping, agent_reward=agent_reward)
