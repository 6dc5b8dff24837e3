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
   * "adaptive" (default): mutate the best valid mappings found so far. Fast and strong,
     but its path depends on which mappings fit, so a larger buffer can end it worse.
   * "monotone": start from every sampled mapping on the Pareto front of objective against
     footprint that fits, and follow each one's improving neighbours, drawn from a key
     hashed from the mapping itself. Every choice depends on the mapping alone except
     whether it fits, and what fits a buffer fits a larger one; so with buffers grown (and
     per-access energies unchanged) every mapping the search evaluated is evaluated again
     and still fits, and the best objective found never rises. It evaluates many more
     mappings: 2-16x the adaptive search's time on ResNet-18 (benchmarks/).

Stages 1-2 never look at buffer capacities: a larger buffer only adds valid candidates.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

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
from simulators.errors import InvalidArgumentError
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


@dataclass(frozen=True)
class MapperResult:
    """The best mapping found (None if no candidate was valid) and how many were tried."""

    best: LayerResult | None
    evaluated: int
    valid: int


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
        return all(r.best is not None for _, r in self.layers)


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
            neighbours = 8 if local_search == "monotone" else 32
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

    # -- stage 1: spatial ------------------------------------------------------------
    def _axis_dims(self, lvl: int, axis: str) -> tuple[int, ...]:
        lv = self.arch.levels[lvl]
        allowed = set(getattr(lv.constraints, f"spatial_{axis}"))
        allowed -= {d for d, f in lv.constraints.spatial_factors if f == 1}
        if self.template:
            allowed &= set(getattr(self.template, f"spatial_{axis}"))
        return tuple(dim_index(d) for d in DIMS if d in allowed)

    def spatial_choices(self, problem: Problem) -> tuple[np.ndarray, np.ndarray]:
        """All maximal spatial assignments: (K, L, 7) factors for meshX and for meshY."""
        L = len(self.arch.levels)
        slots = [(lvl, axis, getattr(lv, f"mesh_{axis}"), self._axis_dims(lvl, axis))
                 for lvl, lv in enumerate(self.arch.levels) for axis in ("x", "y")
                 if getattr(lv, f"mesh_{axis}") > 1]
        results: list[tuple[np.ndarray, np.ndarray]] = []

        def fill_slot(i: int, remaining: list[int], sx: np.ndarray, sy: np.ndarray) -> None:
            if len(results) >= MAX_SPATIAL_CHOICES:
                return
            if i == len(slots):
                results.append((sx.copy(), sy.copy()))
                return
            lvl, axis, mesh, dims = slots[i]
            target = sx if axis == "x" else sy
            for combo in _maximal_combos(dims, remaining, mesh):
                for d, f in combo.items():
                    target[lvl, d] = f
                    remaining[d] //= f
                fill_slot(i + 1, remaining, sx, sy)
                for d, f in combo.items():
                    target[lvl, d] = 1
                    remaining[d] *= f

        fill_slot(0, list(problem.bounds), np.ones((L, 7), np.int64), np.ones((L, 7), np.int64))
        sx = np.array([r[0] for r in results])
        sy = np.array([r[1] for r in results])
        return sx, sy

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
        problem = as_problem(layer)
        rng = np.random.default_rng(self.seed)
        pool = self.sample(problem, self.budget, rng)
        result = analyze_batch(problem, self.arch, pool)
        refine = self._monotone if self.local_search == "monotone" else self._adaptive
        found = [(pool, result)] + refine(problem, pool, result, rng)
        score = np.concatenate([r.objective(self.objective) for _, r in found])
        evaluated = sum(len(batch) for batch, _ in found)
        n_valid = sum(int(r.valid.sum()) for _, r in found)
        if not np.isfinite(score).any():
            return MapperResult(None, evaluated, n_valid)
        everything = MappingBatch.concat([batch for batch, _ in found])
        best = everything[int(np.argmin(score))]
        return MapperResult(analyze(problem, self.arch, best), evaluated, n_valid)

    def _adaptive(self, problem: Problem, pool: MappingBatch, result: BatchResult,
                  rng: np.random.Generator) -> list:
        """Rounds of mutating the best valid mappings so far: (children, results) each."""
        found, score = [], result.objective(self.objective)
        for _ in range(self.local_search_rounds):
            elite = np.argsort(score, kind="stable")[:self.elites]
            elite = elite[np.isfinite(score[elite])]
            if not len(elite):
                break
            pool, score = pool.take(elite), score[elite]
            children = self.mutate(pool.take(np.repeat(np.arange(len(elite)),
                                                       self.neighbours)), rng)
            child_result = analyze_batch(problem, self.arch, children)
            found.append((children, child_result))
            pool = MappingBatch.concat([pool, children])
            score = np.concatenate([score, child_result.objective(self.objective)])
        return found

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
        Layers of the same shape are searched once (the search is deterministic)."""
        layers = _layers(network)
        found: dict[Problem, MapperResult] = {}
        for layer in layers:
            shape = dataclasses.replace(Problem.from_layer(layer), name="")
            if shape not in found:
                found[shape] = self.search(shape)
        results = tuple((layer, found[dataclasses.replace(Problem.from_layer(layer), name="")])
                        for layer in layers)
        done = [r.best for _, r in results if r.best is not None]
        ok = len(done) == len(results)
        cycles = sum(b.cycles for b in done) if ok else math.inf
        energy = sum(b.energy_pj for b in done) if ok else math.inf
        macs = float(sum(layer.macs for layer in layers))
        util = macs / (cycles * self.arch.num_macs) if ok else 0.0
        return NetworkResult(results, cycles, energy, self.arch.area_mm2, util, macs)


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


def _maximal_combos(dims: tuple[int, ...], remaining: list[int], mesh: int) -> list[dict]:
    """Divisor assignments to `dims` with product <= mesh that no allowed prime extends."""
    combos: list[dict] = []

    def extend(i: int, product: int, combo: dict) -> None:
        if i == len(dims):
            room = mesh // product
            if not any(p <= room for d in dims
                       for p in prime_factors(remaining[d] // combo.get(d, 1))):
                combos.append(dict(combo))
            return
        d = dims[i]
        for f in divisors(remaining[d]):
            if product * f > mesh:
                break
            if f > 1:
                combo[d] = f
            extend(i + 1, product * f, combo)
            combo.pop(d, None)

    extend(0, 1, {})
    return combos or [{}]
