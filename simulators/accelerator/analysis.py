"""Vectorized Timeloop-style analysis of many mappings of one layer on one architecture.

Access counting (per data space x, per level that keeps x, called a consumer; the MAC
array below the innermost level is the last consumer of every data space):

* tile F: the footprint of x over every loop at or below the consumer (its own temporal
  and spatial loops and all inner ones). Inputs use the sliding-window extent
  (P-1)*Hstride + (R-1)*Hdilation + 1 (same for Q, S).
* refetches R: how many times the tile is brought in, from the temporal loops above the
  consumer, outermost first. Loops below the innermost loop that indexes x (with a factor
  above 1) leave the tile in place (temporal reuse, stationarity); every loop from that one
  outward multiplies. When that innermost loop slides an input window (P, Q, R or S),
  consecutive input tiles overlap and only the new rows or columns are fetched (Timeloop's
  tile deltas), unless a loop that does not index Inputs runs inside it: Timeloop v3.0.3
  (OperationSpace::SaveAndSubtractIfSameStride, the release that produced the exercises'
  reference outputs) then sees the stride change from 0 and refetches whole tiles.
  The MAC reads its operands on every one of its cycles.
* parent: the nearest outer level that keeps x. It serves G words per refetch and
  instance: one consumer tile for each distinct tile among the instances below it. Data
  that a spatial loop does not index is multicast (read once), partial sums it does not
  index are reduced spatially (written once); tiles that a spatial loop shifts are sent
  whole even where they overlap, as Timeloop multicasts only equal deltas
  (NestAnalysis::ComputeAccurateMulticastedAccesses).
* Weights and Inputs: parent reads R*G, consumer fills R*F (totals over instances).
  Outputs, as Timeloop counts them: each residency ends with a writeback that the parent
  takes as an update (R*G); every residency after the first of a distinct output tile
  (D of them) reloads the partial sums, which the parent reads ((R-D)*G) and the consumer
  fills ((R-D)*F; the first residency starts from zero without a fill). The MAC reads a
  partial sum on every cycle but the first of each output and updates it on every cycle.

Cycles are the larger of the compute cycles (product of all temporal factors) and each
level's bandwidth-bound cycles (per-instance words over words per cycle). Energy, as
Timeloop's BufferLevel (src/model/buffer.cpp) charges it: per level and data space, one
instance's reads, fills and updates in whole blocks of `block_size` words times the ERT
energy of that action, times the utilized instances (the utilized clusters where
`cluster_size` instances share an access); plus the network energy per word sent, the
leakage per utilized instance and cycle, and MACs times the MAC energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from simulators.accelerator.architecture import DATASPACES, RELEVANT, Architecture
from simulators.accelerator.mapping import Mapping, MappingBatch, Problem, as_problem
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

REASONS = (
    "valid",
    "factors do not multiply to the layer's bounds",
    "spatial factors exceed the meshX fan-out",
    "spatial factors exceed the meshY fan-out",
    "a level keeps a data space its architecture bypasses, or bypasses one it must keep",
    "a tile does not fit a level's capacity",
)
TOO_BIG = len(REASONS) - 1  # checked last: valid but for capacity


@njit(cache=True, inline="always")
def _footprint(e: np.ndarray, row: int, x: int, hs: float, ws: float, hd: float,
               wd: float) -> float:
    """Words of data space x spanned by the loop extents e[row] (in DIMS order)."""
    n, m, c, p, q, r, s = e[row, 0], e[row, 1], e[row, 2], e[row, 3], e[row, 4], e[row, 5], \
        e[row, 6]
    if x == 0:
        return m * c * r * s
    if x == 1:
        return n * c * ((p - 1) * hs + (r - 1) * hd + 1) * ((q - 1) * ws + (s - 1) * wd + 1)
    return n * m * p * q


@njit(cache=True, inline="always")
def _fresh(e: np.ndarray, row: int, d: int, f: float, hs: float, ws: float, hd: float,
           wd: float) -> float:
    """Share of an input tile (extents e[row]) fetched per step when the loop that changes
    it runs over d with factor f: consecutive windows along P/R (or Q/S) overlap, only the
    new rows (or columns) come in, as Timeloop's tile deltas give."""
    if f <= 1.0 or d < 3:
        return 1.0
    if d == 3 or d == 5:
        p, r, stride, dilation = e[row, 3], e[row, 5], hs, hd
    else:
        p, r, stride, dilation = e[row, 4], e[row, 6], ws, wd
    # Only a gap-free window shifts into a gap-free window; strided or dilated windows
    # with holes are refetched whole (their footprint is a bounding box).
    if not ((dilation == 1.0 or r == 1.0) and (p == 1.0 or stride <= (r - 1) * dilation + 1)):
        return 1.0
    extent = (p - 1) * stride + (r - 1) * dilation + 1
    shift = p * stride if d == 3 or d == 4 else r * dilation
    return (1.0 + (f - 1.0) * min(extent, shift) / extent) / f


@njit(cache=True, inline="always")
def _blocks(words: float, block: float) -> float:
    """Whole block accesses for `words` scalar accesses (a relative 1e-12 absorbs the
    rounding of per-instance averages)."""
    return np.ceil((words if block == 1.0 else words / block) * (1.0 - 1e-12))


@njit(cache=True, error_model="numpy")  # no raising paths: see `search._search_tasks`
def _count(t, sx, sy, perm, keep, geometry, bounds, groups, mac_energy, per_level,
           capacity, forced_keep, forced_bypass, reads, fills, updates, level_energy,
           leakage, footprint, compute_cycles, cycles, energy, macs, reason):
    """Fill counts, cycles, energy and validity of every mapping (see the module docstring).

    per_level: `Architecture.level_costs()`.
    """
    work = _work(t.shape[1])
    for b in range(t.shape[0]):
        reason[b], compute_cycles[b], cycles[b], energy[b], macs[b] = _count_one(
            t, sx, sy, perm, keep, b, b, geometry, bounds, groups, mac_energy, per_level,
            capacity, forced_keep, forced_bypass, reads, fills, updates, level_energy,
            leakage, footprint, b, work)


@njit(cache=True, inline="always")
def _work(L):
    """`_count_one`'s scratch arrays for L levels."""
    return (np.zeros((L, 3)), np.ones((L + 1, 7)), np.ones((L + 1, 3)), np.ones(L + 1),
            np.ones((L + 1, 3)), np.ones((L + 1, 3)), np.zeros(L + 1, dtype=np.int64),
            np.ones(L + 1), np.ones(L), np.zeros((L, 3)))


# `_count_one` reads the global RELEVANT, which numba compiles in as a constant: its tests
# fold away, a third of the count's time against an array argument.
@njit(cache=True, inline="always")
def _count_one(t, sx, sy, perm, keep, m, k, geometry, bounds, groups, mac_energy, per_level,
               capacity, forced_keep, forced_bypass, reads, fills, updates, level_energy,
               leakage, footprint, o, work):
    """`_count` of one mapping, row m of t, perm and keep with row k of the spatial
    factors sx and sy, into row o of the count arrays (`work`: scratch from `_work`):
    returns its reason code, compute cycles, cycles, energy and MACs."""
    L = t.shape[1]
    down, ext, sp, used, refetch, distinct, slide_d, slide_f, fans, fp = work
    hs, ws, hd, wd = geometry[0], geometry[1], geometry[2], geometry[3]
    for lvl in range(L):
        footprint[o, lvl] = 0.0
        for x in range(3):
            down[lvl, x], reads[o, lvl, x], fills[o, lvl, x], updates[o, lvl, x] = \
                0.0, 0.0, 0.0, 0.0
    # ext: loop extents at and below each level; sp[lvl, x]: the spatial fan-out at and
    # below lvl over the dimensions that index x; fans: each level's own fan-out
    # (integers, so exact).
    for lvl in range(L - 1, -1, -1):
        s0, s1, s2, fan = sp[lvl + 1, 0], sp[lvl + 1, 1], sp[lvl + 1, 2], 1.0
        for d in range(7):
            g = sx[k, lvl, d] * sy[k, lvl, d]
            ext[lvl, d] = ext[lvl + 1, d] * t[m, lvl, d] * g
            fan *= g
            if RELEVANT[d, 0]:
                s0 *= g
            if RELEVANT[d, 1]:
                s1 *= g
            if RELEVANT[d, 2]:
                s2 *= g
        sp[lvl, 0], sp[lvl, 1], sp[lvl, 2], fans[lvl] = s0, s1, s2, fan
    # run_x: the product of the temporal loops down to the innermost one so far that
    # indexes x with a factor above 1, which is `total` at that loop (integer products
    # below 2**53, so exact in any order).
    total, run0, run1, run2 = 1.0, 1.0, 1.0, 1.0
    last_d, last_f = 0, 1.0
    for lvl in range(L):
        slide_d[lvl], slide_f[lvl] = last_d, last_f
        used[lvl + 1] = used[lvl] * fans[lvl]
        refetch[lvl, 0], refetch[lvl, 1], refetch[lvl, 2] = run0, run1, run2
        for x in range(3):
            if keep[m, lvl, x]:
                fp[lvl, x] = _footprint(ext, lvl, x, hs, ws, hd, wd)
                footprint[o, lvl] += fp[lvl, x]
        for j in range(7):
            d = perm[m, lvl, j]
            f = t[m, lvl, d]
            total *= f
            if f > 1:
                if RELEVANT[d, 0]:
                    run0 = total
                if RELEVANT[d, 2]:
                    run2 = total
                if RELEVANT[d, 1]:
                    run1, last_d, last_f = total, d, f
                else:
                    last_f = 1.0  # a stationary loop inside: windows restart
        for x in range(3):
            rel_f = 1.0
            for d in range(7):
                if RELEVANT[d, x]:
                    rel_f *= t[m, lvl, d]
            distinct[lvl + 1, x] = distinct[lvl, x] * rel_f
    for x in range(3):
        refetch[L, x] = total
        parent = 0
        for lvl in range(1, L + 1):
            if lvl < L and not keep[m, lvl, x]:
                continue
            # Distinct tiles among the instances the parent serves: a spatial loop
            # over a dimension that indexes x gives each child its own tile.
            tiles = used[parent] * (sp[parent, x] / sp[lvl, x])
            own = fp[lvl, x] if lvl < L else 1.0
            if x == 1 and lvl < L:
                own *= _fresh(ext, lvl, slide_d[lvl], slide_f[lvl], hs, ws, hd, wd)
            served = tiles * own
            own *= used[lvl]
            r = refetch[lvl, x]
            reload = r - distinct[lvl, x]
            if x == 2:
                reads[o, parent, x] += served * reload
                updates[o, parent, x] += served * r
                down[parent, x] += served * (reload + r)
                if lvl < L:
                    fills[o, lvl, x] += own * reload
            else:
                reads[o, parent, x] += served * r
                down[parent, x] += served * r
                if lvl < L:
                    fills[o, lvl, x] += own * r
            if lvl < L:
                parent = lvl
    # Validity, first failing rule wins (codes index REASONS); capacity comes last, so
    # that TOO_BIG means "valid on a machine with larger buffers".
    code = 0
    for lvl in range(L - 1, -1, -1):
        fx, fy = 1.0, 1.0
        for d in range(7):
            fx *= sx[k, lvl, d]
            fy *= sy[k, lvl, d]
        for x in range(3):
            if (keep[m, lvl, x] and forced_bypass[lvl, x]) or \
                    (forced_keep[lvl, x] and not keep[m, lvl, x]):
                code = 4
        if fy > per_level[lvl, 7]:
            code = 3
        if fx > per_level[lvl, 6]:
            code = 2
    product = 1.0
    for d in range(7):
        if ext[0, d] != bounds[d]:
            code = 1
        product *= ext[0, d]
    if code == 0:
        for lvl in range(L):
            if footprint[o, lvl] > capacity[lvl]:
                code = TOO_BIG
    # Cycles: compute, or the slowest level's per-instance bandwidth.
    c = total * groups
    total_pj = mac_energy
    for lvl in range(L):
        r_words, w_words = 0.0, 0.0
        # One instance's accesses (words rounded up to blocks) times the utilized
        # clusters: the utilized instances unless cluster_size groups them.
        # (Zero terms and divisions by 1 skipped: the same floats, faster.)
        block, n = per_level[lvl, 8], used[lvl]
        scale = block * min(n, per_level[lvl, 9])
        for x in range(3):
            rd, fl, up = reads[o, lvl, x] * groups, fills[o, lvl, x] * groups, \
                updates[o, lvl, x] * groups
            reads[o, lvl, x], fills[o, lvl, x], updates[o, lvl, x] = rd, fl, up
            r_words += rd
            w_words += fl + up
            e = 0.0
            if rd != 0.0:
                e += _blocks(rd if n == 1.0 else rd / n, block) * per_level[lvl, 0]
            if fl != 0.0:
                e += _blocks(fl if n == 1.0 else fl / n, block) * per_level[lvl, 1]
            if up != 0.0:
                e += _blocks(up if n == 1.0 else up / n, block) * per_level[lvl, 2]
            level_energy[o, lvl, x] = scale * e + down[lvl, x] * groups * per_level[lvl, 3]
            total_pj += level_energy[o, lvl, x]
        if per_level[lvl, 4] < np.inf:
            c = max(c, np.ceil((r_words if n == 1.0 else r_words / n) / per_level[lvl, 4]))
        if per_level[lvl, 5] < np.inf:
            c = max(c, np.ceil((w_words if n == 1.0 else w_words / n) / per_level[lvl, 5]))
    # Leakage per utilized instance and cycle (at least one instance, as Timeloop).
    for lvl in range(L):
        leaking = 1.0
        for x in range(3):
            if keep[m, lvl, x]:
                leaking = used[lvl]
        leakage[o, lvl] = per_level[lvl, 10] * c * leaking
        total_pj += leakage[o, lvl]
    return code, total * groups, c, total_pj, product * groups


@dataclass(frozen=True)
class BatchResult:
    """Arrays over B mappings; counts are totals over instances and groups, in words."""

    valid: np.ndarray          # (B,) bool
    reason: np.ndarray         # (B,) index into REASONS
    reads: np.ndarray          # (B, L, 3)
    fills: np.ndarray          # (B, L, 3)
    updates: np.ndarray        # (B, L, 3)
    compute_cycles: np.ndarray
    cycles: np.ndarray
    utilization: np.ndarray
    level_energy_pj: np.ndarray  # (B, L, 3) storage and network energy per data space
    leakage_pj: np.ndarray     # (B, L) leakage energy per level
    footprint: np.ndarray      # (B, L) words each level holds per instance
    mac_energy_pj: float
    energy_pj: np.ndarray
    macs: np.ndarray
    area_mm2: float

    @property
    def edp(self) -> np.ndarray:
        """Energy-delay product in pJ * cycles."""
        return self.energy_pj * self.cycles

    @property
    def dram_words(self) -> np.ndarray:
        return (self.reads[:, 0] + self.fills[:, 0] + self.updates[:, 0]).sum(axis=1)

    @property
    def fits_larger_buffers(self) -> np.ndarray:
        """Valid but for capacity: valid on the same machine with large enough buffers."""
        return self.valid | (self.reason == TOO_BIG)

    def objective(self, name: str, capacity_checked: bool = True) -> np.ndarray:
        """The value to minimize; +inf for invalid mappings (with `capacity_checked=False`,
        only for mappings that no buffer size would make valid)."""
        values = {"energy": lambda: self.energy_pj, "cycles": lambda: self.cycles,
                  "edp": lambda: self.edp, "dram_words": lambda: self.dram_words}
        if name not in values:
            raise InvalidArgumentError("objective", name, ", ".join(OBJECTIVES))
        ok = self.valid if capacity_checked else self.fits_larger_buffers
        return np.where(ok, values[name](), np.inf)


OBJECTIVES = ("energy", "cycles", "edp", "dram_words")


def analyze_batch(problem: Problem | Layer, arch: Architecture,
                  batch: MappingBatch) -> BatchResult:
    """Validity, access counts, cycles and energy of every mapping in `batch`."""
    problem = as_problem(problem)
    L = len(arch.levels)
    if batch.temporal.shape[1:] != (L, 7):
        raise InvalidArgumentError("mapping levels", batch.temporal.shape[1],
                                   f"{L} (the levels of {arch.name})")
    B = len(batch)
    keep = batch.keep.copy()
    keep[:, 0] = True
    reads, fills, updates, level_energy = (np.zeros((B, L, 3)) for _ in range(4))
    footprint, leakage = np.zeros((B, L)), np.zeros((B, L))
    compute_cycles, cycles, energy, macs = (np.zeros(B) for _ in range(4))
    reason = np.zeros(B, dtype=np.int64)
    mac_energy = problem.macs * arch.mac.energy_pj
    _count(batch.temporal, batch.spatial_x, batch.spatial_y, batch.permutation, keep,
           np.array([problem.Hstride, problem.Wstride, problem.Hdilation, problem.Wdilation],
                    dtype=np.float64),
           np.asarray(problem.bounds, dtype=np.float64), float(problem.groups), mac_energy,
           arch.level_costs(), arch.capacity_words(), arch.forced_keep(),
           arch.forced_bypass(), reads, fills, updates, level_energy, leakage, footprint,
           compute_cycles, cycles, energy, macs, reason)
    return BatchResult(reason == 0, reason, reads, fills, updates, compute_cycles, cycles,
                       macs / (cycles * arch.num_macs), level_energy, leakage, footprint,
                       mac_energy, energy, macs, arch.area_mm2)


@dataclass(frozen=True)
class LayerResult:
    """One mapping's evaluation, with the per-level breakdown."""

    valid: bool
    reason: str
    cycles: float
    compute_cycles: float
    utilization: float
    energy_pj: float
    mac_energy_pj: float
    area_mm2: float
    macs: float
    levels: dict[str, dict[str, dict[str, float]]]
    mapping: Mapping
    leakage_pj: dict[str, float]

    @property
    def edp(self) -> float:
        return self.energy_pj * self.cycles

    @property
    def energy_per_mac_pj(self) -> float:
        return self.energy_pj / self.macs

    @property
    def dram_words(self) -> float:
        """Words read, filled and updated at the outermost level (DRAM), as
        `BatchResult.dram_words`."""
        dram = next(iter(self.levels.values()))
        return sum(ds[k] for ds in dram.values() for k in ("reads", "fills", "updates"))

    def level_energy_pj(self) -> dict[str, float]:
        """Access, network and leakage energy of each level."""
        return {name: sum(ds["energy_pj"] for ds in per.values()) + self.leakage_pj[name]
                for name, per in self.levels.items()}


def analyze(problem: Problem | Layer, arch: Architecture, mapping: Mapping) -> LayerResult:
    """Evaluate one mapping; invalid mappings come back with valid=False and the reason."""
    mapping.check_levels(arch)
    res = analyze_batch(problem, arch, MappingBatch.from_mappings([mapping]))
    levels = {
        lv.name: {ds: {"reads": float(res.reads[0, i, x]), "fills": float(res.fills[0, i, x]),
                       "updates": float(res.updates[0, i, x]),
                       "energy_pj": float(res.level_energy_pj[0, i, x])}
                  for x, ds in enumerate(DATASPACES)}
        for i, lv in enumerate(arch.levels)}
    return LayerResult(bool(res.valid[0]), REASONS[int(res.reason[0])], float(res.cycles[0]),
                       float(res.compute_cycles[0]), float(res.utilization[0]),
                       float(res.energy_pj[0]), float(res.mac_energy_pj), float(res.area_mm2),
                       float(res.macs[0]), levels, mapping,
                       {lv.name: float(res.leakage_pj[0, i]) for i, lv in enumerate(arch.levels)})
