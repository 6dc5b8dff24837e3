"""Heterogeneous multi-accelerator ASIC (NASAIC-style) over the accelerator model.

NASAIC (Yang et al., "Co-Exploration of Neural Architectures and Heterogeneous ASIC
Accelerator Designs Targeting Multiple Tasks", DAC 2020) builds one ASIC from several
sub-accelerators, each a dataflow template with its share of a PE budget (4096 PEs) and of
the bandwidth (64 GB/s), and runs the layers of several task networks on them. Here each
sub-accelerator is the accelerator model's Eyeriss-style hierarchy
(`simulators.accelerator.simulator.build_architecture`: DRAM, a global buffer over a PE
mesh, per-PE scratchpads) searched by its mapper under one template of
`simulators.accelerator.mapper.TEMPLATES`; NASAIC's three are

    shidiannao_like  output stationary, a PE per output pixel (Du et al., ISCA 2015)
    nvdla_like       weight stationary, input x output channels unrolled (NVDLA hardware
                     architecture docs, "Convolution Core")
    eyeriss_like     row stationary (Chen et al., ISCA 2016)

Design keys (sub-accelerators i = 0 .. subs-1; keys of unused ones are ignored):

    subs                    sub-accelerators in use, 1..max_subs (default: how many
                            sub{i}.dataflow keys there are, from 0 up)
    sub{i}.dataflow         a template name
    sub{i}.pes              its PEs, laid out as the most nearly square mesh (`mesh`);
                            0: sub-accelerator i is absent (no layers, no area; its other
                            keys are ignored), as long as another one has PEs
    sub{i}.bandwidth_gbps   its share of the bandwidth: its DRAM port and the network from
                            its global buffer to its PEs (MAESTRO's NoC bandwidth, which
                            NASAIC divides), turned into words per cycle at clock_ghz
    sub{i}.glb_kb, .glb_banks, .ifmap_spad_words, .weights_spad_words, .psum_spad_words,
    sub{i}.precision_bits   its buffers and word width (SUB_DEFAULTS when absent)
    assign.{t}              optional: the sub-accelerator that runs every layer of task t
    assign.{t}.{l}          optional: the one that runs layer l of task t

A task is its network's layers in graph order: the MAC layers, mapped by the mapper, and
the layers without MACs (pooling, residual adds, squeeze-excite scaling), charged on the
sub-accelerator that runs them as the accelerator model charges them
(`simulators.accelerator.elementwise`). Layers without an assignment are placed by
`list_schedule`. Layers run in order within a task and concurrently across
sub-accelerators; every task starts at cycle 0. The bandwidth is partitioned, so
sub-accelerators do not contend. Energy adds the layers' energies: the technology tables
carry no leakage, so idle sub-accelerators cost nothing. Area adds the sub-accelerators'
areas.

Mapper results are cached across designs by (layer shape, sub-accelerator configuration,
mapper settings) in a `MapperCache`, shared by every simulator of the process by default;
`evaluate_many` maps every (layer shape, sub-accelerator) pair its designs miss in one
batch of searches.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from simulators.accelerator.architecture import Architecture
from simulators.accelerator.elementwise import elementwise_costs
from simulators.accelerator.mapper import TEMPLATES, Mapper, search_many
from simulators.accelerator.mapping import Problem
from simulators.accelerator.simulator import (
    ACCELERATOR_KEYS,
    AcceleratorSimulator,
    build_architecture,
)
from simulators.base import BatchResult, CostModel, Design, Designs, Metric, clocked, design_rows
from simulators.errors import InvalidArgumentError, InvalidDesignError, check_int, check_positive
from simulators.workloads import Elementwise, Layer, Network

# NASAIC's hardware bounds (Yang et al., DAC 2020, experimental setup): at most 4096 PEs
# and 64 GB/s of bandwidth over all sub-accelerators.
PE_BUDGET = 4096
BANDWIDTH_BUDGET_GBPS = 64.0
NASAIC_TEMPLATES = ("shidiannao_like", "nvdla_like", "eyeriss_like")
# Eyeriss' buffers (Chen et al., ISCA 2016, Sec. V; JSSC 2017): a 108 KB global buffer of
# 27 banks, per-PE scratchpads of 12 inputs, 224 weights and 24 psums, 16-bit words.
SUB_DEFAULTS = {"glb_kb": 108, "glb_banks": 27, "ifmap_spad_words": 12,
                "weights_spad_words": 224, "psum_spad_words": 24, "precision_bits": 16}


def mesh(pes: int) -> tuple[int, int]:
    """(pe_x, pe_y) of `pes` PEs: pe_y the largest divisor not above the square root."""
    check_int("pes", pes)
    pe_y = max(d for d in range(1, math.isqrt(pes) + 1) if pes % d == 0)
    return pes // pe_y, pe_y


def subs_in_use(design: Design, max_subs: int) -> int:
    """The design's `subs`, or how many sub{i}.dataflow keys it has from 0 up."""
    subs = design.get("subs")
    if subs is None:
        subs = next(i for i in range(max_subs + 1) if f"sub{i}.dataflow" not in design)
    if isinstance(subs, bool) or not isinstance(subs, int | np.integer) \
            or not 1 <= subs <= max_subs:
        raise InvalidDesignError("subs", subs, f"an integer in 1..{max_subs}")
    return int(subs)


def _int_at_least(design: Design, name: str, least: int, default: int | None = None) -> int:
    value = design.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise InvalidDesignError(name, value, "a positive integer" if least == 1
                                 else f"an integer >= {least}")
    return int(value)


def sub_accelerator(design: Design, i: int, clock_ghz: float = 1.0) -> dict[str, Any]:
    """Sub-accelerator i of an ASIC design as an accelerator-model design
    (ACCELERATOR_KEYS), its PEs and bandwidth share turned into a mesh and words/cycle."""
    key = f"sub{i}."
    dataflow = design.get(key + "dataflow")
    if dataflow not in TEMPLATES:
        raise InvalidDesignError(key + "dataflow", dataflow, ", ".join(TEMPLATES))
    pes = _int_at_least(design, key + "pes", 1)
    gbps = design.get(key + "bandwidth_gbps")
    if isinstance(gbps, bool) or not isinstance(gbps, int | float | np.number) \
            or not math.isfinite(gbps) or gbps <= 0:
        raise InvalidDesignError(key + "bandwidth_gbps", gbps, "a positive number")
    sub = {k: _int_at_least(design, key + k, 1, v) for k, v in SUB_DEFAULTS.items()}
    words = float(gbps) / clock_ghz / (sub["precision_bits"] / 8)  # GB/s / GHz = B/cycle
    pe_x, pe_y = mesh(pes)
    sub.update(pe_x=pe_x, pe_y=pe_y, noc_bandwidth_words=words, dram_bandwidth_words=words,
               dataflow=str(dataflow))
    return {k: sub[k] for k in ACCELERATOR_KEYS}


class LayerCost(NamedTuple):
    """A layer's best mapping on a sub-accelerator: cycles and energy (inf: none fits)."""

    cycles: float
    energy_pj: float


class MapperCache:
    """Mapper results by (layer shape, sub-accelerator configuration, mapper settings),
    the oldest dropped beyond `max_entries`; counts its hits and misses."""

    def __init__(self, max_entries: int = 200_000):
        check_int("max_entries", max_entries)
        self.max_entries, self.hits, self.misses = max_entries, 0, 0
        self._entries: dict[tuple, LayerCost] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: tuple) -> bool:
        return key in self._entries

    def get(self, key: tuple, compute: Callable[[], LayerCost]) -> LayerCost:
        return self.get_many([key], lambda keys: [compute()])[0]

    def get_many(self, keys: Sequence[tuple],
                 compute: Callable[[list[tuple]], Sequence[LayerCost]]) -> list[LayerCost]:
        """The value of every key; the distinct missing keys computed in one `compute`
        call (a key asked again in the same call counts as a hit)."""
        missing = list(dict.fromkeys(k for k in keys if k not in self._entries))
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        found = dict(zip(missing, compute(missing), strict=True)) if missing else {}
        out = [self._entries.get(k) or found[k] for k in keys]
        for key, value in found.items():
            self._entries[key] = value
            if len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]
        return out


SHARED_CACHE = MapperCache()


def _shape(layer: Layer | Elementwise) -> Problem | Elementwise:
    """What a layer's cost depends on: its loop nest (a MAC layer) or its sizes."""
    if isinstance(layer, Elementwise):
        return dataclasses.replace(layer, name="_")
    return dataclasses.replace(Problem.from_layer(layer), name="")


def _task(task) -> tuple[Layer | Elementwise, ...]:
    """A Network's layers in graph order (its MAC layers alone without a graph)."""
    if isinstance(task, Network):
        if not task.graph:
            return tuple(task.layers)
        return tuple(n.layer for n in task.graph if isinstance(n.layer, Layer | Elementwise))
    return tuple(task)


@dataclass(frozen=True)
class AsicWorkload:
    """Task networks: each task's layers in order, MAC layers and layers without MACs."""

    names: tuple[str, ...]
    tasks: tuple[tuple[Layer | Elementwise, ...], ...]
    # Per sub-accelerator configuration, the (cycles, energy) arrays of `elementwise`.
    _elementwise_costs: dict = field(default_factory=dict, init=False, repr=False,
                                     compare=False, hash=False)

    @cached_property
    def shapes(self) -> tuple[Problem, ...]:
        """The distinct MAC layer shapes (unnamed Problems) of all tasks."""
        return tuple(dict.fromkeys(_shape(x) for task in self.tasks for x in task
                                   if isinstance(x, Layer)))

    @cached_property
    def elementwise(self) -> tuple[Elementwise, ...]:
        """The distinct layers without MACs (named `_`) of all tasks."""
        return tuple(dict.fromkeys(_shape(x) for task in self.tasks for x in task
                                   if isinstance(x, Elementwise)))

    @cached_property
    def shape_index(self) -> tuple[np.ndarray, ...]:
        """Per task, each layer's row in the cost table: its index in `shapes`, or
        len(shapes) + its index in `elementwise`."""
        where = {shape: i for i, shape in enumerate(self.shapes + self.elementwise)}
        return tuple(np.array([where[_shape(x)] for x in task], dtype=np.int64)
                     for task in self.tasks)

    @cached_property
    def is_mac(self) -> tuple[np.ndarray, ...]:
        """Per task, which layers are MAC layers."""
        return tuple(index < len(self.shapes) for index in self.shape_index)

    def elementwise_costs(self, config: tuple, arch: Architecture) -> np.ndarray:
        """(2, len(elementwise)) cycles and energy of the layers without MACs on `arch`
        (the architecture of `config`), computed once per configuration."""
        costs = self._elementwise_costs.get(config)
        if costs is None:
            found = elementwise_costs(arch, self.elementwise)
            costs = np.array([[c.cycles for c in found], [c.energy_pj for c in found]],
                             dtype=np.float64).reshape(2, len(found))
            if len(self._elementwise_costs) >= 4096:
                self._elementwise_costs.clear()
            self._elementwise_costs[config] = costs
        return costs

    @classmethod
    def of(cls, workload) -> AsicWorkload:
        """A Network or a list of layers is one task; a sequence of them, one task each."""
        if isinstance(workload, AsicWorkload):
            return workload
        if isinstance(workload, Network | Layer) or (
                isinstance(workload, Sequence) and workload
                and all(isinstance(x, Layer | Elementwise) for x in workload)):
            workload = [workload]
        if not isinstance(workload, Sequence) or not workload:
            raise InvalidArgumentError("workload", type(workload).__name__,
                                       "a Network, a list of Layers, or a sequence of them")
        names, tasks = [], []
        for t, task in enumerate(workload):
            if isinstance(task, Network):
                names.append(task.name)
            elif isinstance(task, Layer):
                names.append(task.name)
                task = (task,)
            elif isinstance(task, Sequence) and task and all(
                    isinstance(x, Layer | Elementwise) for x in task) and \
                    any(isinstance(x, Layer) for x in task):
                names.append(f"task{t}")
            else:
                raise InvalidArgumentError(f"workload[{t}]", type(task).__name__,
                                           "a Network, a Layer or a non-empty list of layers "
                                           "with a MAC layer")
            tasks.append(_task(task))
        return cls(tuple(names), tuple(tasks))
def list_schedule(cycles: Sequence[np.ndarray]) -> list[list[tuple[int, float, float]]]:
    """An earliest-finish-time list schedule of task chains on sub-accelerators.

    cycles[t][l, k]: layer l of task t on sub-accelerator k (inf: it cannot run there;
    every layer must run somewhere). Each step takes, among the next layer of every task,
    the (layer, sub-accelerator) pair that would finish first, starting once the
    sub-accelerator is free and the task's previous layer is done (ties: earlier start,
    then lower task, then lower sub-accelerator). Returns (sub-accelerator, start, end)
    per layer of each task."""
    rows = [np.asarray(chain, dtype=np.float64).tolist() for chain in cycles]
    subs = len(rows[0][0]) if rows and rows[0] else 0
    free, ready = [0.0] * subs, [0.0] * len(rows)
    out: list[list[tuple[int, float, float]]] = [[] for _ in rows]
    for _ in range(sum(len(chain) for chain in rows)):
        best = (math.inf, math.inf, 0, 0)
        for t, chain in enumerate(rows):
            i = len(out[t])
            if i < len(chain):
                for k, c in enumerate(chain[i]):
                    start = max(free[k], ready[t])
                    best = min(best, (start + c, start, t, k))
        end, start, t, k = best
        if not math.isfinite(end):
            raise InvalidArgumentError("cycles", "a layer that runs nowhere",
                                       "a finite number of cycles on some sub-accelerator "
                                       "for every layer")
        out[t].append((k, start, end))
        free[k] = ready[t] = end
    return out


@dataclass(frozen=True)
class ScheduledLayer:
    """Layer `layer` of task `task` ran on sub-accelerator `sub` in [start, end) cycles
    (`macs` 0 for a layer without MACs)."""

    task: int
    layer: str
    sub: int
    start_cycle: float
    end_cycle: float
    energy_pj: float
    macs: int


@dataclass(frozen=True)
class AsicSchedule:
    """A design's per-layer schedule (BatchResult details): the indices of the
    sub-accelerators in use and each as an accelerator-model design, every layer where and
    when it ran, per-sub busy cycles (in `used` order) and per-task latencies."""

    used: tuple[int, ...]
    subs: tuple[dict[str, Any], ...]
    layers: tuple[ScheduledLayer, ...]
    busy_cycles: tuple[float, ...]
    task_cycles: tuple[float, ...]


class _Plan(NamedTuple):
    """A checked design on its workload: sub-accelerators in use, their configurations
    and, per task, which of them each layer may run on."""

    work: AsicWorkload
    used: tuple[int, ...]
    subs: tuple[dict[str, Any], ...]
    configs: tuple[tuple, ...]
    allowed: tuple[np.ndarray, ...]


class AsicSimulator(CostModel):
    """Heterogeneous multi-accelerator ASICs (module docstring) on `tasks` task networks.

    Args:
        tasks: task networks the workload holds (per-task metrics are named after them).
        max_subs: most sub-accelerators a design may use (per-sub metrics for each).
        pe_budget, bandwidth_budget_gbps: totals the sub-accelerators' shares must stay in.
        objective, mapper_budget, mapper_rounds, seed, mapper_search, clock_ghz: as
            AcceleratorSimulator's, whose mapper each sub-accelerator runs.
        cache: a MapperCache, True (the process-wide SHARED_CACHE) or False (none: every
            design asks the mapper for its layers, same-shape layers once, as the
            accelerator model; the mapper's own result cache, `search_many`'s, still
            answers repeats until `simulators.accelerator.mapper.clear_search_cache()`).
    """

    version = "3"  # bump when the same inputs could give other numbers

    def __init__(self, tasks: int = 2, max_subs: int = 3, pe_budget: int = PE_BUDGET,
                 bandwidth_budget_gbps: float = BANDWIDTH_BUDGET_GBPS,
                 objective: str = "energy", mapper_budget: int | None = None,
                 mapper_rounds: int | None = None, seed: int = 0,
                 mapper_search: str = "adaptive", clock_ghz: float = 1.0,
                 cache: MapperCache | bool = True):
        check_int("tasks", tasks)
        check_int("max_subs", max_subs)
        check_int("pe_budget", pe_budget)
        check_positive("bandwidth_budget_gbps", bandwidth_budget_gbps)
        self.accelerator = AcceleratorSimulator(objective, mapper_budget, mapper_rounds, seed,
                                                mapper_search, clock_ghz)
        self.tasks, self.max_subs, self.clock_ghz = tasks, max_subs, clock_ghz
        self.pe_budget, self.bandwidth_budget_gbps = pe_budget, bandwidth_budget_gbps
        self.settings = (objective, self.accelerator.mapper_budget,
                         self.accelerator.mapper_rounds, seed, mapper_search)
        if not isinstance(cache, bool | MapperCache):
            raise InvalidArgumentError("cache", cache, "a MapperCache, True or False")
        self.cache = {True: SHARED_CACHE, False: None}[cache] if isinstance(cache, bool) \
            else cache
        self._subs: dict[tuple, tuple[Architecture, Mapper | None]] = {}
        self.metrics = (
            Metric("latency_cycles", "cycles", "min", "cycles until every task is done"),
            Metric("latency_s", "s", "min", "latency_cycles at clock_ghz"),
            Metric("energy_pj", "pJ", "min", "every layer's energy on its sub-accelerator"),
            Metric("power_mw", "mW", "min", "energy_pj / latency_s"),
            Metric("area_mm2", "mm2", "min", "the sub-accelerators' areas"),
            Metric("edp_pj_s", "pJ*s", "min", "energy_pj x latency_s"),
            Metric("utilization", "fraction", "max", "MACs / (PEs in use x latency_cycles)"),
            *(m for t in range(tasks) for m in (
                Metric(f"task{t}_latency_cycles", "cycles", "min", f"cycles of task {t}"),
                Metric(f"task{t}_latency_s", "s", "min", f"task{t}_latency_cycles in s"))),
            *(Metric(f"sub{k}_utilization", "fraction", "max",
                     f"sub-accelerator {k}'s MACs / (its PEs x latency_cycles); 0 unused")
              for k in range(max_subs)))

    def prepare(self, workload) -> AsicWorkload:
        """The task networks' layers; InvalidArgumentError unless there are `tasks`."""
        prepared = AsicWorkload.of(workload)
        if len(prepared.tasks) != self.tasks:
            raise InvalidArgumentError("workload", f"{len(prepared.tasks)} tasks",
                                       f"{self.tasks} task networks (the simulator's tasks)")
        return prepared

    def _sub(self, config: tuple) -> tuple[Architecture, Mapper | None]:
        """The architecture of a sub-accelerator and its mapper (built on first use)."""
        if config not in self._subs:
            if len(self._subs) >= 4096:
                self._subs.clear()
            self._subs[config] = (build_architecture(dict(zip(ACCELERATOR_KEYS, config,
                                                              strict=True))), None)
        return self._subs[config]

    def _mapper(self, config: tuple) -> Mapper:
        arch, mapper = self._sub(config)
        if mapper is None:
            mapper = self.accelerator.mapper(arch, config[ACCELERATOR_KEYS.index("dataflow")])
            self._subs[config] = (arch, mapper)
        return mapper

    def _search(self, keys: Sequence[tuple]) -> list[LayerCost]:
        """The mapper's best (cycles, energy) of each (shape, config, settings) key, all
        searched in one `search_many` call (compiled batches across sub-accelerators)."""
        found = search_many([(self._mapper(config), shape) for shape, config, _ in keys])
        return [LayerCost(r.cycles, r.energy_pj) if r.mapping is not None
                else LayerCost(math.inf, math.inf) for r in found]

    def _plan(self, design: Design, work: AsicWorkload) -> _Plan:
        """The design checked against the budgets and its assignments (InvalidDesignError
        with the reason otherwise)."""
        n = subs_in_use(design, self.max_subs)
        pes = [_int_at_least(design, f"sub{i}.pes", 0) for i in range(n)]
        used = tuple(i for i in range(n) if pes[i] > 0)
        if not used:
            raise InvalidDesignError("sub0.pes", pes[0], "a positive integer for at least "
                                     "one sub-accelerator")
        subs = tuple(sub_accelerator(design, i, self.clock_ghz) for i in used)
        if sum(pes) > self.pe_budget:
            raise InvalidDesignError(" + ".join(f"sub{i}.pes" for i in used),
                                     " + ".join(str(pes[i]) for i in used),
                                     f"a total of at most pe_budget={self.pe_budget} PEs")
        gbps = [float(design[f"sub{i}.bandwidth_gbps"]) for i in used]
        if sum(gbps) > self.bandwidth_budget_gbps * (1 + 1e-9):
            raise InvalidDesignError(" + ".join(f"sub{i}.bandwidth_gbps" for i in used),
                                     " + ".join(f"{g:g}" for g in gbps),
                                     f"a total of at most bandwidth_budget_gbps="
                                     f"{self.bandwidth_budget_gbps:g}")
        # allowed[t][i, k]: layer i of task t may run on sub-accelerator used[k].
        allowed = [np.ones((len(layers), len(used)), dtype=bool) for layers in work.tasks]
        pins = any(str(key).startswith("assign.") for key in design)
        for t, layers in enumerate(work.tasks if pins else ()):
            for i in range(len(layers)):
                name = f"assign.{t}.{i}" if f"assign.{t}.{i}" in design else f"assign.{t}"
                pinned = design.get(name)
                if pinned is None:
                    continue
                if isinstance(pinned, bool) or not isinstance(pinned, int | np.integer) \
                        or pinned not in used:
                    raise InvalidDesignError(name, pinned, "a sub-accelerator in use: "
                                             + ", ".join(map(str, used)))
                allowed[t][i] = np.array(used) == pinned
        configs = tuple(tuple(s[k] for k in ACCELERATOR_KEYS) for s in subs)
        return _Plan(work, used, subs, configs, tuple(allowed))

    def _mac_keys(self, plan: _Plan) -> list[tuple]:
        """The (shape, config, settings) keys of the MAC layer placements a plan needs."""
        work, mask = plan.work, np.zeros((len(plan.work.shapes), len(plan.used)), dtype=bool)
        for index, is_mac, allowed in zip(work.shape_index, work.is_mac, plan.allowed,
                                          strict=True):
            mask[index[is_mac]] |= allowed[is_mac]
        return [(work.shapes[u], plan.configs[k], self.settings)
                for u, k in zip(*np.nonzero(mask), strict=True)]

    def _schedule(self, plan: _Plan, costs: dict[tuple, LayerCost]) -> AsicSchedule:
        """The list schedule of a plan, given the mapper costs of its MAC placements."""
        work, n = plan.work, len(plan.used)
        table = np.full((2, len(work.shapes) + len(work.elementwise), n), math.inf)
        where = {shape: u for u, shape in enumerate(work.shapes)}
        for shape, config, settings in self._mac_keys(plan):
            table[:, where[shape], plan.configs.index(config)] = costs[shape, config, settings]
        if work.elementwise:
            for k, config in enumerate(plan.configs):
                table[:, len(work.shapes):, k] = work.elementwise_costs(config,
                                                                        self._sub(config)[0])
        cycles = [np.where(mask, table[0, index], math.inf)
                  for index, mask in zip(work.shape_index, plan.allowed, strict=True)]
        energy = [table[1, index] for index in work.shape_index]
        for t, (c, mask) in enumerate(zip(cycles, plan.allowed, strict=True)):
            unmapped = np.flatnonzero(~np.isfinite(c).any(axis=1))
            if len(unmapped):
                on = " or ".join(str(plan.used[k]) for k in np.flatnonzero(mask[unmapped[0]]))
                raise InvalidDesignError(
                    f"task {t} layer {work.tasks[t][unmapped[0]].name}", "unmapped",
                    f"a layer with a valid mapping on sub-accelerator {on} (it does not fit "
                    "the buffers)")
        placed = list_schedule(cycles)
        entries = tuple(ScheduledLayer(t, layer.name, plan.used[k], start, end,
                                       float(energy[t][i, k]),
                                       layer.macs if isinstance(layer, Layer) else 0)
                        for t, layers in enumerate(work.tasks)
                        for i, (layer, (k, start, end)) in enumerate(zip(layers, placed[t],
                                                                        strict=True)))
        busy = tuple(sum(x.end_cycle - x.start_cycle for x in entries if x.sub == k)
                     for k in plan.used)
        return AsicSchedule(plan.used, plan.subs, entries, busy,
                            tuple(p[-1][2] for p in placed))

    def run(self, design: Design, workload) -> AsicSchedule:
        """The schedule of `workload` on the design; InvalidDesignError with the reason
        when a value is bad, a budget is exceeded or a layer maps nowhere it may run."""
        schedule = self.run_many([(design, self.prepare(workload))])[0]
        if isinstance(schedule, InvalidDesignError):
            raise schedule
        return schedule

    def run_many(self, pairs: Sequence[tuple[Design, AsicWorkload]]
                 ) -> list[AsicSchedule | InvalidDesignError]:
        """The schedule of each (design, prepared workload), or why it is invalid; the
        MAC layer placements every design misses in the cache are searched in one batch
        (without a cache, each design's own placements, same-shape layers once)."""
        plans: list[_Plan | InvalidDesignError] = []
        for design, work in pairs:
            try:
                plans.append(self._plan(design, work))
            except InvalidDesignError as error:
                plans.append(error)
        keys = [self._mac_keys(p) if isinstance(p, _Plan) else [] for p in plans]
        if self.cache is not None:
            flat = [k for ks in keys for k in ks]
            costs = dict(zip(flat, self.cache.get_many(flat, self._search), strict=True))
        out: list[AsicSchedule | InvalidDesignError] = []
        for plan, ks in zip(plans, keys, strict=True):
            if isinstance(plan, InvalidDesignError):
                out.append(plan)
                continue
            try:
                out.append(self._schedule(plan, costs if self.cache is not None
                                          else dict(zip(ks, self._search(ks), strict=True))))
            except InvalidDesignError as error:
                out.append(error)
        return out

    def metrics_of(self, schedule: AsicSchedule) -> dict[str, float]:
        """A schedule's metrics (the simulator's metric names)."""
        cycles = max(schedule.task_cycles)
        energy = sum(x.energy_pj for x in schedule.layers)
        pes = {i: s["pe_x"] * s["pe_y"] for i, s in zip(schedule.used, schedule.subs,
                                                         strict=True)}
        macs = {i: sum(x.macs for x in schedule.layers if x.sub == i) for i in pes}
        out = {"latency_cycles": cycles, "energy_pj": energy,
               "area_mm2": sum(self._sub(tuple(s[k] for k in ACCELERATOR_KEYS))[0].area_mm2
                               for s in schedule.subs),
               "utilization": sum(macs.values()) / (sum(pes.values()) * cycles),
               **clocked(cycles, energy, self.clock_ghz)}
        for t, task_cycles in enumerate(schedule.task_cycles):
            out[f"task{t}_latency_cycles"] = task_cycles
            out[f"task{t}_latency_s"] = task_cycles / (self.clock_ghz * 1e9)
        for k in range(self.max_subs):
            out[f"sub{k}_utilization"] = macs[k] / (pes[k] * cycles) if k in pes else 0.0
        return out

    def result_of(self, schedules: Sequence[AsicSchedule | InvalidDesignError]) -> BatchResult:
        """The BatchResult of `run_many`'s answers; each valid design's schedule is its
        detail."""
        rows = [None if isinstance(s, InvalidDesignError) else self.metrics_of(s)
                for s in schedules]
        reasons = [str(s) if isinstance(s, InvalidDesignError) else None for s in schedules]
        details = [None if isinstance(s, InvalidDesignError) else s for s in schedules]
        return BatchResult.from_rows(rows, self.metric_names, reasons, details)

    def evaluate_batch(self, designs: Designs, workload) -> BatchResult:
        """Each design scheduled (`run_many`); the AsicSchedule of each valid design is its
        detail."""
        work = self.prepare(workload)
        return self.result_of(self.run_many([(d, work) for d in design_rows(designs)]))
