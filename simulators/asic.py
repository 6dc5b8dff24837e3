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
    sub{i}.pes              its PEs, laid out as the most nearly square mesh (`mesh`)
    sub{i}.bandwidth_gbps   its share of the bandwidth: its DRAM port and the network from
                            its global buffer to its PEs (MAESTRO's NoC bandwidth, which
                            NASAIC divides), turned into words per cycle at clock_ghz
    sub{i}.glb_kb, .glb_banks, .ifmap_spad_words, .weights_spad_words, .psum_spad_words,
    sub{i}.precision_bits   its buffers and word width (SUB_DEFAULTS when absent)
    assign.{t}              optional: the sub-accelerator that runs every layer of task t
    assign.{t}.{l}          optional: the one that runs layer l of task t

Layers without an assignment are placed by `list_schedule`. Layers run in order within a
task and concurrently across sub-accelerators; every task starts at cycle 0. The
bandwidth is partitioned, so sub-accelerators do not contend. Energy adds the layers'
(mapper) energies: the technology tables carry no leakage, so idle sub-accelerators cost
nothing. Area adds the sub-accelerators' areas.

Mapper results are cached across designs by (layer shape, sub-accelerator configuration,
mapper settings) in a `MapperCache`, shared by every simulator of the process by default.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from simulators.accelerator.architecture import Architecture
from simulators.accelerator.mapper import TEMPLATES, Mapper
from simulators.accelerator.mapping import Problem
from simulators.accelerator.simulator import (
    ACCELERATOR_KEYS,
    AcceleratorSimulator,
    build_architecture,
)
from simulators.base import BatchResult, CostModel, Design, Designs, Metric, clocked, design_rows
from simulators.errors import InvalidArgumentError, InvalidDesignError, check_int, check_positive
from simulators.workloads import Layer, Network

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


def _positive_int(design: Design, name: str, default: int | None = None) -> int:
    value = design.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidDesignError(name, value, "a positive integer")
    return int(value)


def sub_accelerator(design: Design, i: int, clock_ghz: float = 1.0) -> dict[str, Any]:
    """Sub-accelerator i of an ASIC design as an accelerator-model design
    (ACCELERATOR_KEYS), its PEs and bandwidth share turned into a mesh and words/cycle."""
    key = f"sub{i}."
    dataflow = design.get(key + "dataflow")
    if dataflow not in TEMPLATES:
        raise InvalidDesignError(key + "dataflow", dataflow, ", ".join(TEMPLATES))
    pes = _positive_int(design, key + "pes")
    gbps = design.get(key + "bandwidth_gbps")
    if isinstance(gbps, bool) or not isinstance(gbps, int | float | np.number) \
            or not math.isfinite(gbps) or gbps <= 0:
        raise InvalidDesignError(key + "bandwidth_gbps", gbps, "a positive number")
    sub = {k: _positive_int(design, key + k, v) for k, v in SUB_DEFAULTS.items()}
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

    def get(self, key: tuple, compute: Callable[[], LayerCost]) -> LayerCost:
        value = self._entries.get(key)
        if value is not None:
            self.hits += 1
            return value
        self.misses += 1
        value = self._entries[key] = compute()
        if len(self._entries) > self.max_entries:
            del self._entries[next(iter(self._entries))]
        return value


SHARED_CACHE = MapperCache()


def _shape(layer: Layer) -> Problem:
    return dataclasses.replace(Problem.from_layer(layer), name="")


@dataclass(frozen=True)
class AsicWorkload:
    """Task networks: each task's MAC layers in order."""

    names: tuple[str, ...]
    tasks: tuple[tuple[Layer, ...], ...]

    @cached_property
    def shapes(self) -> tuple[Problem, ...]:
        """The distinct layer shapes (unnamed Problems) of all tasks."""
        return tuple(dict.fromkeys(_shape(layer) for task in self.tasks for layer in task))

    @cached_property
    def shape_index(self) -> tuple[np.ndarray, ...]:
        """Per task, the index in `shapes` of each layer's shape."""
        where = {shape: i for i, shape in enumerate(self.shapes)}
        return tuple(np.array([where[_shape(layer)] for layer in task], dtype=np.int64)
                     for task in self.tasks)

    @classmethod
    def of(cls, workload) -> AsicWorkload:
        """A Network or a list of Layers is one task; a sequence of them, one task each."""
        if isinstance(workload, AsicWorkload):
            return workload
        if isinstance(workload, Network | Layer) or (
                isinstance(workload, Sequence) and workload
                and all(isinstance(x, Layer) for x in workload)):
            workload = [workload]
        if not isinstance(workload, Sequence) or not workload:
            raise InvalidArgumentError("workload", type(workload).__name__,
                                       "a Network, a list of Layers, or a sequence of them")
        names, tasks = [], []
        for t, task in enumerate(workload):
            if isinstance(task, Network):
                names.append(task.name)
                tasks.append(tuple(task.layers))
            elif isinstance(task, Layer):
                names.append(task.name)
                tasks.append((task,))
            elif isinstance(task, Sequence) and task and all(isinstance(x, Layer)
                                                              for x in task):
                names.append(f"task{t}")
                tasks.append(tuple(task))
            else:
                raise InvalidArgumentError(f"workload[{t}]", type(task).__name__,
                                           "a Network, a Layer or a non-empty list of Layers")
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
    """Layer `layer` of task `task` ran on sub-accelerator `sub` in [start, end) cycles."""

    task: int
    layer: str
    sub: int
    start_cycle: float
    end_cycle: float
    energy_pj: float
    macs: int


@dataclass(frozen=True)
class AsicSchedule:
    """A design's per-layer schedule (BatchResult details): the sub-accelerators as
    accelerator-model designs, every layer where and when it ran, per-sub busy cycles and
    per-task latencies."""

    subs: tuple[dict[str, Any], ...]
    layers: tuple[ScheduledLayer, ...]
    busy_cycles: tuple[float, ...]
    task_cycles: tuple[float, ...]


class AsicSimulator(CostModel):
    """Heterogeneous multi-accelerator ASICs (module docstring) on `tasks` task networks.

    Args:
        tasks: task networks the workload holds (per-task metrics are named after them).
        max_subs: most sub-accelerators a design may use (per-sub metrics for each).
        pe_budget, bandwidth_budget_gbps: totals the sub-accelerators' shares must stay in.
        objective, mapper_budget, mapper_rounds, seed, mapper_search, clock_ghz: as
            AcceleratorSimulator's, whose mapper each sub-accelerator runs.
        cache: a MapperCache, True (the process-wide SHARED_CACHE) or False (none: every
            design maps its layers anew, same-shape layers once, as the accelerator model).
    """

    version = "1"  # bump when the same inputs could give other numbers

    def __init__(self, tasks: int = 2, max_subs: int = 3, pe_budget: int = PE_BUDGET,
                 bandwidth_budget_gbps: float = BANDWIDTH_BUDGET_GBPS,
                 objective: str = "energy", mapper_budget: int = 300, mapper_rounds: int = 4,
                 seed: int = 0, mapper_search: str = "adaptive", clock_ghz: float = 1.0,
                 cache: MapperCache | bool = True):
        check_int("tasks", tasks)
        check_int("max_subs", max_subs)
        check_int("pe_budget", pe_budget)
        check_positive("bandwidth_budget_gbps", bandwidth_budget_gbps)
        self.accelerator = AcceleratorSimulator(objective, mapper_budget, mapper_rounds, seed,
                                                mapper_search, clock_ghz)
        self.tasks, self.max_subs, self.clock_ghz = tasks, max_subs, clock_ghz
        self.pe_budget, self.bandwidth_budget_gbps = pe_budget, bandwidth_budget_gbps
        self.settings = (objective, mapper_budget, mapper_rounds, seed, mapper_search)
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

    def _cost(self, shape: Problem, config: tuple) -> LayerCost:
        def search() -> LayerCost:
            best = self._mapper(config).search(shape).best
            return LayerCost(math.inf, math.inf) if best is None else \
                LayerCost(best.cycles, best.energy_pj)
        if self.cache is None:
            return search()
        return self.cache.get((shape, config, self.settings), search)

    def run(self, design: Design, workload) -> AsicSchedule:
        """The schedule of `workload` on the design; InvalidDesignError with the reason
        when a value is bad, a budget is exceeded or a layer maps nowhere it may run."""
        work = self.prepare(workload)
        n = subs_in_use(design, self.max_subs)
        subs = tuple(sub_accelerator(design, i, self.clock_ghz) for i in range(n))
        pes = [int(design[f"sub{i}.pes"]) for i in range(n)]
        if sum(pes) > self.pe_budget:
            raise InvalidDesignError(" + ".join(f"sub{i}.pes" for i in range(n)),
                                     " + ".join(map(str, pes)),
                                     f"a total of at most pe_budget={self.pe_budget} PEs")
        gbps = [float(design[f"sub{i}.bandwidth_gbps"]) for i in range(n)]
        if sum(gbps) > self.bandwidth_budget_gbps * (1 + 1e-9):
            raise InvalidDesignError(" + ".join(f"sub{i}.bandwidth_gbps" for i in range(n)),
                                     " + ".join(f"{g:g}" for g in gbps),
                                     f"a total of at most bandwidth_budget_gbps="
                                     f"{self.bandwidth_budget_gbps:g}")
        configs = [tuple(s[k] for k in ACCELERATOR_KEYS) for s in subs]
        # allowed[t][i, k]: layer i of task t may run on sub-accelerator k.
        allowed = [np.ones((len(layers), n), dtype=bool) for layers in work.tasks]
        pins = any(str(key).startswith("assign.") for key in design)
        for t, layers in enumerate(work.tasks if pins else ()):
            for i in range(len(layers)):
                name = f"assign.{t}.{i}" if f"assign.{t}.{i}" in design else f"assign.{t}"
                pinned = design.get(name)
                if pinned is None:
                    continue
                if isinstance(pinned, bool) or not isinstance(pinned, int | np.integer) \
                        or not 0 <= pinned < n:
                    raise InvalidDesignError(name, pinned, f"a sub-accelerator in 0..{n - 1}")
                allowed[t][i] = np.arange(n) == pinned
        # The mapper's cycles and energy of every needed (shape, sub-accelerator) pair.
        table = np.full((2, len(work.shapes), n), math.inf)
        needed = np.zeros((len(work.shapes), n), dtype=bool)
        for index, mask in zip(work.shape_index, allowed, strict=True):
            needed[index] |= mask
        for u, k in zip(*np.nonzero(needed), strict=True):
            table[:, u, k] = self._cost(work.shapes[u], configs[k])
        cycles = [np.where(mask, table[0, index], math.inf)
                  for index, mask in zip(work.shape_index, allowed, strict=True)]
        energy = [table[1, index] for index in work.shape_index]
        for t, (c, mask) in enumerate(zip(cycles, allowed, strict=True)):
            unmapped = np.flatnonzero(~np.isfinite(c).any(axis=1))
            if len(unmapped):
                on = " or ".join(map(str, np.flatnonzero(mask[unmapped[0]])))
                raise InvalidDesignError(
                    f"task {t} layer {work.tasks[t][unmapped[0]].name}", "unmapped",
                    f"a layer with a valid mapping on sub-accelerator {on} (it does not fit "
                    "the buffers)")
        placed = list_schedule(cycles)
        entries = tuple(ScheduledLayer(t, layer.name, k, start, end, float(energy[t][i, k]),
                                       layer.macs)
                        for t, layers in enumerate(work.tasks)
                        for i, (layer, (k, start, end)) in enumerate(zip(layers, placed[t],
                                                                        strict=True)))
        busy = tuple(sum(x.end_cycle - x.start_cycle for x in entries if x.sub == k)
                     for k in range(n))
        return AsicSchedule(subs, entries, busy, tuple(p[-1][2] for p in placed))

    def metrics_of(self, schedule: AsicSchedule) -> dict[str, float]:
        """A schedule's metrics (the simulator's metric names)."""
        cycles = max(schedule.task_cycles)
        energy = sum(x.energy_pj for x in schedule.layers)
        pes = [s["pe_x"] * s["pe_y"] for s in schedule.subs]
        macs = [sum(x.macs for x in schedule.layers if x.sub == k) for k in range(len(pes))]
        out = {"latency_cycles": cycles, "energy_pj": energy,
               "area_mm2": sum(self._sub(tuple(s[k] for k in ACCELERATOR_KEYS))[0].area_mm2
                               for s in schedule.subs),
               "utilization": sum(macs) / (sum(pes) * cycles),
               **clocked(cycles, energy, self.clock_ghz)}
        for t, task_cycles in enumerate(schedule.task_cycles):
            out[f"task{t}_latency_cycles"] = task_cycles
            out[f"task{t}_latency_s"] = task_cycles / (self.clock_ghz * 1e9)
        for k in range(self.max_subs):
            out[f"sub{k}_utilization"] = macs[k] / (pes[k] * cycles) if k < len(pes) else 0.0
        return out

    def evaluate_batch(self, designs: Designs, workload) -> BatchResult:
        """Each design scheduled; the AsicSchedule of each valid design is its detail."""
        work = self.prepare(workload)
        rows, reasons, details = [], [], []
        for design in design_rows(designs):
            try:
                schedule = self.run(design, work)
            except InvalidDesignError as error:
                rows.append(None), reasons.append(str(error)), details.append(None)
                continue
            rows.append(self.metrics_of(schedule)), reasons.append(None)
            details.append(schedule)
        return BatchResult.from_rows(rows, self.metric_names, reasons, details)
