"""Mapper: search the mappings of a layer on an architecture, deterministic per seed.

1. Spatial: enumerate every assignment of divisors to the dimensions allowed on each
   fan-out axis (the architecture's constraints intersected with the dataflow template),
   pruned to the maximal ones (no allowed dimension could be unrolled further).
2. Temporal: sample `budget` mappings; each picks a spatial assignment and sends every
   prime factor of the remaining bounds to a temporal level, with level weights drawn per
   mapping so that tile sizes vary from tiny to huge. Loop orders follow the template's
   stationarity (its dims innermost, at every level) and the architecture's permutation
   constraints; the rest is random. Free keep/bypass choices are random.
3. Local search, `local_search_rounds` rounds of mutations (move a prime factor between
   levels, swap two loops, flip a free bypass), one of two kinds:
   * "adaptive" (default): mutate the best distinct valid mappings found so far, and
     repair a sample or mutant that overflows a buffer by moving loops out until it fits.
     Fast and strong, but its path depends on which mappings fit, so a larger buffer can
     end it worse. Stages 2-3 of it run compiled (`simulators.accelerator.search`), many
     layers and architectures per call, each mapping scored once.
   * "monotone": start from every sampled mapping on the Pareto front of objective against
     footprint that fits, and follow each one's improving neighbours, drawn from a key
     hashed from the mapping itself. Every choice depends on the mapping alone except
     whether it fits, and what fits a buffer fits a larger one; so with buffers grown (and
     per-access energies unchanged) every mapping the search evaluated is evaluated again
     and still fits, and the best objective found never rises. It evaluates many more
     mappings: 25-60x the adaptive search's time on ResNet-18 (benchmarks/).

Stage 1, and stage 2 of the monotone search, never look at buffer capacities: a larger
buffer only adds valid candidates.
Searches are deterministic, so their results are kept (`search_many`), keyed by the
mapper's architecture and settings and the layer's shape; spatial assignments are kept
per shape and fan-out.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numba
import numpy as np
from numba import njit

from simulators.accelerator.analysis import (
    OBJECTIVES,
    BatchResult,
    LayerResult,
    analyze,
    analyze_batch,
)
from simulators.accelerator.architecture import DIMS, Architecture, dim_index
from simulators.accelerator.keyed import KeyedRandom, row_keys, splitmix64
from simulators.accelerator.mapping import MappingBatch, Problem, as_problem
from simulators.accelerator.search import (
    OBJECTIVE_CODES,
    _smallest_prime_of,
    check_engine,
    engine_checked,
    run_engine,
)
from simulators.errors import InvalidArgumentError
from simulators.jit import announce_compile
from simulators.pareto import non_dominated
from simulators.workloads import Layer, Network


@dataclass(frozen=True)
class Template:
    """A dataflow: dimensions unrolled on meshX and meshY, and loop dimensions kept
    innermost at every level (innermost first), which fixes what stays stationary."""

    name: str
    spatial_x: tuple[str, ...]
    spatial_y: tuple[str, ...]
    inner: tuple[str, ...]


TEMPLATES = {t.name: t for t in (
    # Weight stationary: loops that do not index weights (N, P, Q) innermost.
    Template("weight_stationary", ("C",), ("M",), ("Q", "P", "N")),
    # Output stationary: reduction loops (C, R, S) innermost; output pixels and channels unrolled.
    Template("output_stationary", ("Q", "P"), ("M",), ("S", "R", "C")),
    # Input stationary: the loop that does not index inputs (M) innermost.
    Template("input_stationary", ("C",), ("Q", "P"), ("M",)),
    # Row stationary (Chen et al., ISCA 2016, Sec. IV): filter rows on PE rows, output rows
    # on PE columns; a 1-D convolution of one filter row runs in each PE.
    Template("row_stationary", ("Q", "M"), ("S", "C", "M"), ("R", "C", "M")),
    # NVDLA direct convolution: atomic-C input channels x atomic-K kernels unrolled, weights
    # held while a stripe of output pixels streams (NVDLA Primer, "Convolution core").
    Template("nvdla_like", ("C",), ("M",), ("Q", "P", "N")),
    # ShiDianNao (Du et al., ISCA 2015): a PE per output pixel, outputs stay in the PEs.
    Template("shidiannao_like", ("Q",), ("P",), ("S", "R", "C")),
    Template("eyeriss_like", ("Q", "M"), ("S", "C", "M"), ("R", "C", "M")),
    # TPU v1 (Jouppi et al., ISCA 2017): 256x256 weight-stationary systolic array, input
    # channels down the rows, output channels across the columns.
    Template("tpu_like", ("C",), ("M",), ("Q", "P", "N")),
)}
MAX_SPATIAL_CHOICES = 4096
LOCAL_SEARCHES = ("adaptive", "monotone")
GROWTH_STEPS = 2  # monotone search: times a lineage may take a larger footprint


@lru_cache(maxsize=4096)
def prime_factors(n: int) -> tuple[int, ...]:
    """Prime factors of n, smallest first, with repeats (() for 1)."""
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return tuple(out)


@lru_cache(maxsize=4096)
def divisors(n: int) -> tuple[int, ...]:
    """Divisors of n, ascending."""
    return tuple(d for d in range(1, n + 1) if n % d == 0)


@dataclass(frozen=True, eq=False)
class MapperResult:
    """A search's best mapping (`mapping`, one row; None if no candidate was valid), how
    many mappings it tried, how many of those were valid and how many went through the
    analysis (a repeat or an overflowing mapping does not), and the best one's cycles and
    energy (inf without one). `best`, its full analysis, is built on first use."""

    problem: Problem
    arch: Architecture
    mapping: MappingBatch | None
    evaluated: int
    valid: int
    analyzed: int
    cycles: float = math.inf
    energy_pj: float = math.inf

    @cached_property
    def best(self) -> LayerResult | None:
        """`analyze` of the best mapping (None if there is none)."""
        return None if self.mapping is None else analyze(self.problem, self.arch,
                                                         self.mapping[0])


@dataclass(frozen=True)
class NetworkResult:
    """Per-layer results and the network's totals (layers run one after another); the
    totals include the layers without MACs in `elementwise` (their `ElementwiseCost`)."""

    layers: tuple[tuple[Layer, MapperResult], ...]
    cycles: float
    energy_pj: float
    area_mm2: float
    utilization: float
    macs: float
    elementwise: tuple = ()

    @property
    def edp(self) -> float:
        return self.energy_pj * self.cycles

    @property
    def mapped(self) -> bool:
        return all(r.mapping is not None for _, r in self.layers)


class Mapper:
    """Search mappings for minimum `objective` (energy, cycles, edp or dram_words).

    `budget` mappings are sampled, then `local_search_rounds` rounds of the `local_search`
    (module docstring) mutate the `elites` best (adaptive) or every live lineage
    (monotone), `neighbours` children each: 32 adaptive, 8 monotone by default.
    """

    def __init__(self, arch: Architecture, template: str | None = None,
                 objective: str = "energy", budget: int = 1000, seed: int = 0,
                 local_search_rounds: int = 10, elites: int = 8,
                 neighbours: int | None = None, local_search: str = "adaptive"):
        if template is not None and template not in TEMPLATES:
            raise InvalidArgumentError("template", template, ", ".join(TEMPLATES))
        if objective not in OBJECTIVES:
            raise InvalidArgumentError("objective", objective, ", ".join(OBJECTIVES))
        if local_search not in LOCAL_SEARCHES:
            raise InvalidArgumentError("local_search", local_search, ", ".join(LOCAL_SEARCHES))
        if neighbours is None:
            neighbours = 8 if local_search == "monotone" else 16
        for name, value, low in (("budget", budget, 1), ("seed", seed, 0),
                                 ("local_search_rounds", local_search_rounds, 0),
                                 ("elites", elites, 1), ("neighbours", neighbours, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidArgumentError(name, value, f"an integer >= {low}")
        self.arch, self.objective, self.budget, self.seed = arch, objective, budget, seed
        self.template = TEMPLATES[template] if template else None
        self.local_search_rounds, self.elites, self.neighbours = \
            local_search_rounds, elites, neighbours
        self.local_search = local_search
        L = len(arch.levels)
        # fixed[l, d]: a temporal factor the constraints impose (0: free).
        self.fixed = np.zeros((L, 7), dtype=np.int64)
        self.order_key = np.zeros((L, 7))  # larger keys sort innermost
        for lvl, lv in enumerate(arch.levels):
            for d, f in lv.constraints.temporal_factors:
                self.fixed[lvl, dim_index(d)] = f
            inner = list(lv.constraints.temporal_permutation)
            if self.template:
                inner += [d for d in self.template.inner if d not in inner]
            for rank, d in enumerate(inner):
                self.order_key[lvl, dim_index(d)] = 2.0 * (len(inner) - rank)
        self.free_keep = ~(arch.forced_keep() | arch.forced_bypass())
        # Sorting by random keys plus order_key puts the free loops (key 0) in random order
        # outside the keyed ones, which keep their order: free ones first, then by key.
        self.free_loops = self.order_key == 0
        self.loop_order = np.argsort(self.order_key, axis=1, kind="stable")
        # The fan-out axes: (level, axis, mesh, dimensions allowed on it).
        self.slots = tuple((lvl, axis, getattr(lv, f"mesh_{axis}"), self._axis_dims(lvl, axis))
                           for lvl, lv in enumerate(arch.levels) for axis in ("x", "y")
                           if getattr(lv, f"mesh_{axis}") > 1)
        self.split = {d for _, _, _, dims in self.slots for d in dims}  # what they may split
        # What fixes a search's result besides the layer's shape.
        self.cache_key = (arch, template, objective, budget, seed, local_search_rounds,
                          elites, neighbours, local_search)

    def machine(self) -> tuple[np.ndarray, ...]:
        """What the compiled search reads of the mapper (`search.run_engine`'s machines)."""
        a = self.arch
        return (a.level_costs(), a.capacity_words(), a.forced_keep(), a.forced_bypass(),
                self.free_keep, self.fixed, self.loop_order, self.free_loops.sum(axis=1),
                self.free_loops)

    # -- stage 1: spatial ------------------------------------------------------------
    def _axis_dims(self, lvl: int, axis: str) -> tuple[int, ...]:
        lv = self.arch.levels[lvl]
        allowed = set(getattr(lv.constraints, f"spatial_{axis}"))
        allowed -= {d for d, f in lv.constraints.spatial_factors if f == 1}
        if self.template:
            allowed &= set(getattr(self.template, f"spatial_{axis}"))
        return tuple(dim_index(d) for d in DIMS if d in allowed)

    def spatial_choices(self, problem: Problem) -> tuple[np.ndarray, np.ndarray]:
        """All maximal spatial assignments: (K, L, 7) factors for meshX and for meshY
        (read-only, kept per fan-out and the bounds of the dimensions it may split, so
        that layers alike on those share them)."""
        return _spatial_choices(tuple(b if d in self.split else 1
                                      for d, b in enumerate(problem.bounds)),
                                len(self.arch.levels), self.slots)

    # -- stage 2: sampling ---------------------------------------------------------------
    def sample(self, problem: Problem, n: int, rng: np.random.Generator) -> MappingBatch:
        L = len(self.arch.levels)
        sx_all, sy_all = self.spatial_choices(problem)
        k = rng.integers(0, len(sx_all), n)
        sx, sy = sx_all[k], sy_all[k]
        remaining = np.asarray(problem.bounds)[None, :] // (sx * sy).prod(axis=1)
        t = np.ones((n, L, 7), dtype=np.int64)
        fixed = self.fixed[None].repeat(n, axis=0)
        divides = (fixed > 0) & (remaining[:, None, :] % np.maximum(fixed, 1) == 0)
        t = np.where(divides, fixed, t)
        remaining = remaining // t.prod(axis=1)
        allowed = (self.fixed == 0).T.astype(np.float64)  # (7, L)
        # Per-mapping level weights: from "everything at DRAM" to "everything inside".
        weights = rng.random((n, L)) ** 2
        weights[:, 0] += rng.random(n)
        depth = max(1, int(remaining.max()).bit_length())  # enough draws for every prime
        _assign_primes(remaining, weights, allowed, rng.random((n, 7, depth)), t)
        keys = rng.random((n, L, 7)) + self.order_key[None]
        perm = np.argsort(keys, axis=2, kind="stable")
        keep = self.arch.forced_keep()[None] | (self.free_keep[None]
                                                & (rng.random((n, L, 3)) < 0.5))
        return MappingBatch(t, perm, sx, sy, keep)

    # -- stage 3: local search ------------------------------------------------------------
    def mutate(self, batch: MappingBatch, rng: np.random.Generator) -> MappingBatch:
        n, L = batch.temporal.shape[:2]
        rows = np.arange(n)
        t = batch.temporal.copy()
        movable = (self.fixed == 0)[None]
        for moves in (1.0, 0.5):  # one prime moved, a second one half of the time
            pick = np.argmax(rng.random((n, L * 7)) * ((t > 1) & movable).reshape(n, -1), axis=1)
            src, d = pick // 7, pick % 7
            dst = np.argmax(rng.random((n, L)) * movable[0, :, d], axis=1)
            values, where = np.unique(t[rows, src, d], return_inverse=True)
            p = np.where(rng.random(n) < moves, _smallest_prime(values)[where], 1)
            t[rows, src, d] //= p
            t[rows, dst, d] *= p
        perm = batch.permutation.copy()
        lvl = rng.integers(0, L, n)
        i, j = rng.integers(0, 7, n), rng.integers(0, 7, n)
        swappable = (self.order_key[lvl, perm[rows, lvl, i]] == 0) & \
            (self.order_key[lvl, perm[rows, lvl, j]] == 0) & (rng.random(n) < 0.5)
        a, b = perm[rows, lvl, i].copy(), perm[rows, lvl, j].copy()
        perm[rows, lvl, i] = np.where(swappable, b, a)
        perm[rows, lvl, j] = np.where(swappable, a, b)
        keep = batch.keep.copy()
        flip = self.free_keep[None] & (rng.random(keep.shape) < 1.0 / (3 * L))
        keep ^= flip
        return MappingBatch(t, perm, batch.spatial_x, batch.spatial_y, keep)

    def search(self, layer: Layer | Problem) -> MapperResult:
        """The best mapping of one layer under the objective."""
        return search_many([(self, layer)])[0]

    def _search_monotone(self, problem: Problem) -> MapperResult:
        rng = np.random.default_rng(self.seed)
        pool = self.sample(problem, self.budget, rng)
        result = analyze_batch(problem, self.arch, pool)
        found = [(pool, result)] + self._monotone(problem, pool, result, rng)
        score = np.concatenate([r.objective(self.objective) for _, r in found])
        evaluated = sum(len(batch) for batch, _ in found)
        n_valid = sum(int(r.valid.sum()) for _, r in found)
        if not np.isfinite(score).any():
            return MapperResult(problem, self.arch, None, evaluated, n_valid, evaluated)
        i = int(np.argmin(score))
        batch = MappingBatch.concat([batch for batch, _ in found])
        cycles = np.concatenate([r.cycles for _, r in found])[i]
        energy = np.concatenate([r.energy_pj for _, r in found])[i]
        return MapperResult(problem, self.arch, batch.take([i]), evaluated, n_valid, evaluated,
                            float(cycles), float(energy))

    def _monotone(self, problem: Problem, pool: MappingBatch, result: BatchResult,
                  rng: np.random.Generator) -> list:
        """Capacity-monotone rounds (module docstring): each live mapping draws its
        neighbours from its own key; it moves to its best improving neighbour that is no
        larger at any level (or stays for a fresh draw), and, fewer than GROWTH_STEPS times
        per lineage, also branches to the improving neighbour that grows its footprint the
        least, if that one fits. `rng` is unused: the draws are keyed."""
        del rng
        bounded = np.isfinite(self.arch.capacity_words())
        raw = result.objective(self.objective, capacity_checked=False)
        sound = np.flatnonzero(np.isfinite(raw))
        front = sound[non_dominated(np.column_stack([raw[sound],
                                                     result.footprint[sound][:, bounded]]))]
        live = front[result.valid[front]]
        batch, score = pool.take(live), raw[live]
        footprint, grown = result.footprint[live][:, bounded], np.zeros(len(live), np.int64)
        k, found = self.neighbours, []
        for rnd in range(self.local_search_rounds):
            if not len(score):
                break
            keys = row_keys([batch.temporal, batch.permutation, batch.spatial_x,
                             batch.spatial_y, batch.keep], self.seed * 1_000_003 + rnd)
            # One copy of each mapping, the one that has grown least, so that no copy
            # reached only at larger capacities can cut another's branches.
            order = np.lexsort((grown, keys))
            live = np.sort(order[np.unique(keys[order], return_index=True)[1]])
            batch, score, footprint, grown, keys = (batch.take(live), score[live],
                                                    footprint[live], grown[live], keys[live])
            n, rows = len(live), np.arange(len(live))
            child_keys = splitmix64(np.repeat(keys, k) ^ np.tile(np.arange(k, dtype=np.uint64),
                                                                  n))
            children = self.mutate(batch.take(np.repeat(rows, k)), KeyedRandom(child_keys))
            child_result = analyze_batch(problem, self.arch, children)
            found.append((children, child_result))
            child_raw = child_result.objective(self.objective, capacity_checked=False)
            child_fp = child_result.footprint[:, bounded]
            better = child_raw.reshape(n, k) < score[:, None]
            no_larger = (child_fp.reshape(n, k, -1) <= footprint[:, None, :]).all(axis=2)
            growth = (child_fp.reshape(n, k, -1) / np.maximum(footprint[:, None, :], 1)).max(2)
            step = np.argmin(np.where(better & no_larger, child_raw.reshape(n, k), np.inf), 1)
            moves = (better & no_larger)[rows, step]
            branch = np.argmin(np.where(better & ~no_larger, growth, np.inf), axis=1)
            branches = ((better & ~no_larger)[rows, branch] & (grown < GROWTH_STEPS)
                        & child_result.valid[rows * k + branch])
            nxt = np.concatenate([rows[moves] * k + step[moves],
                                  rows[branches] * k + branch[branches]])
            stay = rows[~moves]
            batch = MappingBatch.concat([children.take(nxt), batch.take(stay)])
            score = np.concatenate([child_raw[nxt], score[stay]])
            footprint = np.concatenate([child_fp[nxt], footprint[stay]])
            grown = np.concatenate([grown[moves], grown[branches] + 1, grown[stay]])
        return found

    def map_network(self, network: Network | Layer | list[Layer]) -> NetworkResult:
        """Map every layer; totals add layer by layer (inf where a layer has no mapping).
        Layers of the same shape share one search (the search is deterministic)."""
        layers = _layers(network)
        return self.network_result(layers, search_many([(self, x) for x in layers]))

    def network_result(self, layers: Sequence[Layer],
                       results: Sequence[MapperResult]) -> NetworkResult:
        """The network's totals from each layer's search result."""
        ok = all(r.mapping is not None for r in results)
        cycles = sum(r.cycles for r in results) if ok else math.inf
        energy = sum(r.energy_pj for r in results) if ok else math.inf
        macs = float(sum(layer.macs for layer in layers))
        util = macs / (cycles * self.arch.num_macs) if ok else 0.0
        return NetworkResult(tuple(zip(layers, results, strict=True)), cycles, energy,
                             self.arch.area_mm2, util, macs)


RESULT_CACHE_MAPPERS = 4096  # mapper configurations whose results are kept (LRU)
_results: OrderedDict[tuple, dict[Problem, MapperResult]] = OrderedDict()


def clear_search_cache() -> None:
    """Forget every search result kept by `search_many`."""
    _results.clear()


def search_many(jobs: Sequence[tuple[Mapper, Layer | Problem]]) -> list[MapperResult]:
    """Each mapper's search of its layer. A search done before (same mapper settings and
    architecture, same layer shape) is not run again; the adaptive searches left run in
    compiled batches (numba threads across them when numba has more than one), the
    monotone ones one by one."""
    out: list[MapperResult | None] = [None] * len(jobs)
    todo: dict[tuple, list[int]] = {}
    tables: dict[int, dict] = {}  # per mapper object: its architecture hashed once per call
    for i, (mapper, layer) in enumerate(jobs):
        known = tables.get(id(mapper))
        if known is None:
            known = tables[id(mapper)] = _known(mapper)
        shape = _shape(layer)
        if shape in known:
            out[i] = known[shape]
        else:
            todo.setdefault((id(known), shape), []).append(i)
    batches: dict[tuple, list[tuple[Mapper, Problem, list[int]]]] = {}
    for (_, shape), rows in todo.items():
        mapper = jobs[rows[0]][0]
        if mapper.local_search == "monotone":
            _store(out, rows, tables[id(mapper)], shape, mapper._search_monotone(shape))
        else:
            settings = (len(mapper.arch.levels), mapper.budget, mapper.local_search_rounds,
                        mapper.elites, mapper.neighbours, mapper.objective, mapper.seed)
            batches.setdefault(settings, []).append((mapper, shape, rows))
    for tasks in batches.values():
        for (mapper, shape, rows), result in zip(tasks, _run_adaptive(tasks), strict=True):
            _store(out, rows, tables[id(mapper)], shape, result)
    return out


def _known(mapper: Mapper) -> dict:
    """The results kept for the mapper's settings and architecture, most recent last."""
    known = _results.get(mapper.cache_key)
    if known is None:
        known = _results[mapper.cache_key] = {}
        if len(_results) > RESULT_CACHE_MAPPERS:
            _results.popitem(last=False)
    else:
        _results.move_to_end(mapper.cache_key)
    return known


def _store(out: list, rows: list[int], known: dict, shape: Problem,
           result: MapperResult) -> None:
    known[shape] = result
    for i in rows:
        out[i] = result


@lru_cache(maxsize=4096)
def _layer_shape(layer: Layer) -> Problem:
    return dataclasses.replace(Problem.from_layer(layer), name="")


def _shape(layer: Layer | Problem) -> Problem:
    """The layer's problem without its name: what a search depends on."""
    if isinstance(layer, Layer):
        return _layer_shape(layer)
    return dataclasses.replace(as_problem(layer), name="")


def _run_adaptive(tasks: list[tuple[Mapper, Problem, list[int]]]) -> list[MapperResult]:
    """Adaptive searches of the same settings in one engine call."""
    mappers = list({id(m): m for m, _, _ in tasks}.values())
    index = {id(m): i for i, m in enumerate(mappers)}
    machines = tuple(np.stack(column) if len(column) > 1 else column[0][None]
                     for column in zip(*(m.machine() for m in mappers), strict=True))
    for array in machines:  # read-only as the architecture's own: `_count` compiles once
        array.setflags(write=False)
    choices = [m.spatial_choices(p) for m, p, _ in tasks]
    ends = np.cumsum([len(x) for x, _ in choices])
    problems = [p for _, p, _ in tasks]
    first = tasks[0][0]
    settings = (first.budget, first.local_search_rounds, first.elites, first.neighbours,
                OBJECTIVE_CODES[first.objective], first.seed)
    arrays = (np.array([p.bounds for p in problems], dtype=np.int64),
              np.array([[p.Hstride, p.Wstride, p.Hdilation, p.Wdilation] for p in problems],
                       dtype=np.float64),
              np.array([float(p.groups) for p in problems]),
              np.array([p.macs * m.arch.mac.energy_pj for m, p, _ in tasks]),
              np.array([index[id(m)] for m, _, _ in tasks], dtype=np.int64),
              ends - np.array([len(x) for x, _ in choices]), ends,
              np.concatenate([x for x, _ in choices]), np.concatenate([y for _, y in choices]),
              machines, settings, numba.get_num_threads())
    t, perm, sx, sy, keep, score, energy, cycles, counts = run_engine(*arrays)
    found = np.flatnonzero(np.isfinite(score))
    if not engine_checked() and len(found):
        i = found[0]
        mapper, problem, _ = tasks[i]
        row = MappingBatch(t[i:i + 1], perm[i:i + 1], sx[i:i + 1], sy[i:i + 1], keep[i:i + 1])
        ref = analyze_batch(problem, mapper.arch, row)
        if not check_engine(energy[i], cycles[i], ref.energy_pj[0], ref.cycles[0]):
            t, perm, sx, sy, keep, score, energy, cycles, counts = run_engine(*arrays)
    score, counts, cycles, energy = score.tolist(), counts.tolist(), cycles.tolist(), \
        energy.tolist()  # Python numbers, converted at once
    return [MapperResult(p, m.arch, MappingBatch(t[i:i + 1], perm[i:i + 1], sx[i:i + 1],
                                                  sy[i:i + 1], keep[i:i + 1])
                         if math.isfinite(score[i]) else None, *counts[i], cycles[i],
                         energy[i])
            for i, (m, p, _) in enumerate(tasks)]


def _layers(network) -> list[Layer]:
    if isinstance(network, Network):
        return list(network.layers)
    if isinstance(network, Layer):
        return [network]
    if isinstance(network, list | tuple) and network and all(isinstance(x, Layer)
                                                             for x in network):
        return list(network)
    raise InvalidArgumentError("workload", type(network).__name__,
                               "a Network, a Layer or a list of Layers")


@njit(cache=True)
def _assign_primes(remaining, weights, allowed, uniform, t):
    """Send each prime factor of remaining[b, d] to a level drawn from weights[b] over the
    levels allowed for d (level 0 if none is), multiplying it into t[b, level, d]."""
    n, L = weights.shape
    cdf = np.empty(L)
    for b in range(n):
        for d in range(7):
            total = 0.0
            for lvl in range(L):
                total += weights[b, lvl] * allowed[d, lvl]
                cdf[lvl] = total
            value, p, j = remaining[b, d], 2, 0
            while value > 1:
                if p * p > value:
                    p = value
                if value % p:
                    p += 1
                    continue
                value //= p
                lvl = 0
                if total > 0:
                    u = uniform[b, d, j] * total
                    while lvl < L - 1 and cdf[lvl] < u:
                        lvl += 1
                t[b, lvl, d] *= p
                j += 1


def _smallest_prime(values: np.ndarray) -> np.ndarray:
    """The smallest prime factor of each value (1 for 1)."""
    return np.array([(prime_factors(int(v)) or (1,))[0] for v in values], dtype=np.int64)


@lru_cache(maxsize=4096)
def _spatial_choices(bounds: tuple[int, ...], levels: int,
                     slots: tuple) -> tuple[np.ndarray, np.ndarray]:
    """`Mapper.spatial_choices` of bounds over the fan-out axes `slots` (at most
    MAX_SPATIAL_CHOICES), enumerated slot by slot (`_enumerate_choices`)."""
    announce_compile(_enumerate_choices, "the accelerator mapper's spatial enumeration")
    choices = _enumerate_choices(*_slot_arrays(slots), np.array(bounds, np.int64), levels,
                                 MAX_SPATIAL_CHOICES)
    for array in choices:
        array.setflags(write=False)
    return choices


@lru_cache(maxsize=1024)
def _slot_arrays(slots: tuple) -> tuple:
    """The fan-out axes as `_enumerate_choices` reads them."""
    n = max(len(slots), 1)
    level, on_x, mesh = (np.zeros(n, np.int64) for _ in range(3))
    dims, width = np.zeros((n, 7), np.int64), np.zeros(n, np.int64)
    for i, (lvl, axis, fan_out, allowed) in enumerate(slots):
        level[i], on_x[i], mesh[i], width[i] = lvl, axis == "x", fan_out, len(allowed)
        dims[i, :len(allowed)] = allowed
    return len(slots), level, on_x, mesh, dims, width


@njit(cache=True)
def _enumerate_choices(n_slots, level, on_x, mesh, dims, width, bounds, L, most):
    """The spatial choices (meshX and meshY factors, each (K, L, 7)) over the slots (slot i:
    factors of dims[i, :width[i]] on level[i]'s meshX if on_x[i], else meshY, at most
    mesh[i] in product), depth first: each slot's maximal combinations (`_maximal`, or
    none if it has none) given what the slots before leave of the bounds; the first
    `most`."""
    remaining = bounds.copy()
    sx, sy = np.ones((L, 7), np.int64), np.ones((L, 7), np.int64)
    out_x, out_y = np.ones((16, L, 7), np.int64), np.ones((16, L, 7), np.int64)
    store = np.ones((64, 7), np.int64)  # the combinations of slot i: rows start[i]..
    start, count = np.zeros(n_slots + 1, np.int64), np.zeros(n_slots + 1, np.int64)
    at = np.zeros(n_slots + 1, np.int64)
    n, i, entering = 0, 0, True
    while i >= 0:
        if entering:
            if i == n_slots:
                if n == out_x.shape[0]:
                    out_x, out_y = _grown(out_x, 2 * n), _grown(out_y, 2 * n)
                out_x[n], out_y[n] = sx, sy
                n += 1
                if n >= most:
                    break
                i, entering = i - 1, False
                continue
            c = max(_maximal(dims[i], width[i], remaining, mesh[i], store[:0]), 1)
            if start[i] + c > store.shape[0]:
                store = _grown(store, 2 * (start[i] + c))
            store[start[i]:start[i] + c] = 1
            _maximal(dims[i], width[i], remaining, mesh[i], store[start[i]:start[i] + c])
            count[i], at[i], start[i + 1], entering = c, -1, start[i] + c, False
        target = sx if on_x[i] else sy
        if at[i] >= 0:  # take back the slot's current combination
            for j in range(width[i]):
                target[level[i], dims[i, j]] = 1
                remaining[dims[i, j]] *= store[start[i] + at[i], j]
        at[i] += 1
        if at[i] == count[i]:
            i -= 1
            continue
        for j in range(width[i]):
            target[level[i], dims[i, j]] = store[start[i] + at[i], j]
            remaining[dims[i, j]] //= store[start[i] + at[i], j]
        i, entering = i + 1, True
    return out_x[:n].copy(), out_y[:n].copy()


@njit(cache=True)
def _grown(a, rows):
    """a with `rows` rows, the new ones all ones."""
    out = np.ones((rows,) + a.shape[1:], a.dtype)
    out[:a.shape[0]] = a
    return out


@njit(cache=True)
def _maximal(dims, k, remaining, mesh, out):
    """Factors f of dims[:k] (each dividing what `remaining` holds of its dimension) with
    product <= mesh that no prime of what they leave extends, in ascending order per
    dimension (dims[0] slowest): the first into the rows of out (columns 0..k-1); returns
    their number."""
    f, product = np.zeros(k + 1, np.int64), np.ones(k + 1, np.int64)
    n, j = 0, 0
    while j >= 0:
        if j == k:  # a full combination: keep it if no prime fits in the room left
            room = mesh // product[k]
            maximal = True
            for a in range(k):
                left = remaining[dims[a]] // f[a]
                if left > 1 and _smallest_prime_of(left) <= room:
                    maximal = False
            if maximal:
                if n < out.shape[0]:
                    out[n, :k] = f[:k]
                n += 1
            j -= 1
            continue
        bound, v = remaining[dims[j]], f[j] + 1  # the next divisor that fits
        while v <= bound and product[j] * v <= mesh and bound % v:
            v += 1
        if v > bound or product[j] * v > mesh:
            f[j] = 0
            j -= 1
            continue
        f[j], product[j + 1] = v, product[j] * v
        j += 1
    return n
