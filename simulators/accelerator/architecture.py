"""Accelerator architectures: an ordered hierarchy of storage levels from DRAM inward.

Level 0 is the outermost (DRAM); each level may fan out spatially (meshX x meshY copies
of everything below it). The MAC array sits below the innermost level. Dimension names
follow Timeloop's CNN problem shape (N, M, C, P, Q, R, S).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from simulators.errors import InvalidArgumentError, check_int

DIMS = ("N", "M", "C", "P", "Q", "R", "S")
DATASPACES = ("Weights", "Inputs", "Outputs")
# RELEVANT[d, x]: dimension d indexes data space x (Weights[m,c,r,s], Inputs[n,c,h,w],
# Outputs[n,m,p,q]; P/R index Inputs through h = p*Hstride + r*Hdilation, Q/S through w).
RELEVANT = np.array([
    # W  I  O
    [0, 1, 1],  # N
    [1, 0, 1],  # M
    [1, 1, 0],  # C
    [0, 1, 1],  # P
    [0, 1, 1],  # Q
    [1, 1, 0],  # R
    [1, 1, 0],  # S
], dtype=bool)


def dim_index(name: str, owner: str = "dimension") -> int:
    if name not in DIMS:
        raise InvalidArgumentError(owner, name, ", ".join(DIMS))
    return DIMS.index(name)


def dataspace_index(name: str, owner: str = "dataspace") -> int:
    if name not in DATASPACES:
        raise InvalidArgumentError(owner, name, ", ".join(DATASPACES))
    return DATASPACES.index(name)


@dataclass(frozen=True)
class LevelConstraints:
    """Mapping constraints of one level, as in Timeloop's `constraints` block.

    temporal_factors / spatial_factors: fixed factors per dimension (1 forbids the loop).
    temporal_permutation: dimensions placed innermost at this level, innermost first.
    spatial_x / spatial_y: dimensions allowed on each axis of the fan-out below the level.
    """

    temporal_factors: tuple[tuple[str, int], ...] = ()
    temporal_permutation: tuple[str, ...] = ()
    spatial_factors: tuple[tuple[str, int], ...] = ()
    spatial_x: tuple[str, ...] = DIMS
    spatial_y: tuple[str, ...] = DIMS

    def __post_init__(self):
        for owner, pairs in (("temporal factors", self.temporal_factors),
                             ("spatial factors", self.spatial_factors)):
            for name, value in pairs:
                dim_index(name, owner)
                check_int(f"{owner} {name}", value)
        for owner, dims in (("temporal permutation", self.temporal_permutation),
                            ("spatial_x", self.spatial_x), ("spatial_y", self.spatial_y)):
            for name in dims:
                dim_index(name, owner)


@dataclass(frozen=True)
class StorageLevel:
    """One storage level (per instance), with its fan-out below and per-word energies.

    size_words: capacity in words (None: unbounded, as DRAM). Bandwidths are words per
    cycle per instance (None: unbounded). `keep` data spaces must stay here, `bypass` ones
    must skip it; the mapping decides the rest. Energies are pJ per word accessed;
    `network_energy_pj` is paid per word sent through the fan-out below.

    As Timeloop's buffer model (src/model/buffer.cpp) charges them: an instance moves
    `block_size` words per access, so its accesses of each kind are its words rounded up
    to whole blocks (ComputeVectorAccesses); `cluster_size` instances share one physical
    access, so the energy is one instance's accesses times the utilized clusters
    (FinalizeBufferEnergy); `leak_energy_pj` is paid per utilized instance and cycle
    (ComputeLeaksPerCycle).
    """

    name: str
    size_words: int | None
    word_bits: int = 8
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    keep: tuple[str, ...] = ()
    bypass: tuple[str, ...] = ()
    mesh_x: int = 1
    mesh_y: int = 1
    read_energy_pj: float = 0.0
    write_energy_pj: float = 0.0
    update_energy_pj: float = 0.0
    network_energy_pj: float = 0.0
    area_mm2: float = 0.0
    block_size: int = 1
    cluster_size: int = 1
    leak_energy_pj: float = 0.0
    constraints: LevelConstraints = field(default_factory=LevelConstraints)

    def __post_init__(self):
        if self.size_words is not None and (not isinstance(self.size_words, int)
                                            or self.size_words < 1):
            raise InvalidArgumentError(f"{self.name}.size_words", self.size_words,
                                       "a positive integer or None (unbounded)")
        for name in ("mesh_x", "mesh_y", "word_bits", "block_size", "cluster_size"):
            check_int(f"{self.name}.{name}", getattr(self, name))
        for name in ("read_bandwidth", "write_bandwidth"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InvalidArgumentError(f"{self.name}.{name}", value,
                                           "a positive number or None (unbounded)")
        for name in ("read_energy_pj", "write_energy_pj", "update_energy_pj",
                     "network_energy_pj", "leak_energy_pj", "area_mm2"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidArgumentError(f"{self.name}.{name}", value, "a number >= 0")
        for owner in ("keep", "bypass"):
            for ds in getattr(self, owner):
                dataspace_index(ds, f"{self.name}.{owner}")
        both = set(self.keep) & set(self.bypass)
        if both:
            raise InvalidArgumentError(f"{self.name}.keep", sorted(both),
                                       "data spaces not also bypassed")

    @property
    def fanout(self) -> int:
        return self.mesh_x * self.mesh_y


@dataclass(frozen=True)
class MacUnit:
    """The arithmetic at the bottom of the hierarchy: one MAC per cycle per unit."""

    energy_pj: float
    area_mm2: float = 0.0
    precision_bits: int = 8

    def __post_init__(self):
        if not (math.isfinite(self.energy_pj) and self.energy_pj >= 0):
            raise InvalidArgumentError("mac.energy_pj", self.energy_pj, "a number >= 0")


@dataclass(frozen=True)
class Architecture:
    """Storage levels outermost (DRAM) first, then the MAC unit below the innermost level."""

    name: str
    levels: tuple[StorageLevel, ...]
    mac: MacUnit

    def __post_init__(self):
        object.__setattr__(self, "levels", tuple(self.levels))
        if not self.levels:
            raise InvalidArgumentError("levels", [], "at least one storage level (DRAM)")
        names = [lv.name for lv in self.levels]
        if len(set(names)) != len(names):
            raise InvalidArgumentError("level names", names, "distinct names")
        for lv, n in zip(self.levels, self.instances, strict=True):
            if n % lv.cluster_size:
                raise InvalidArgumentError(f"{lv.name}.cluster_size", lv.cluster_size,
                                           f"a divisor of its {n} instances")
        if self.levels[0].bypass or self.levels[0].size_words is not None:
            raise InvalidArgumentError(f"{names[0]}", "bounded or bypassing",
                                       "an outermost level (DRAM) that keeps every data space "
                                       "with size_words=None")

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(lv.name for lv in self.levels)

    def level_index(self, name: str) -> int:
        if name not in self.level_names:
            raise InvalidArgumentError("level", name, ", ".join(self.level_names))
        return self.level_names.index(name)

    # Derived once per architecture (cached_property writes past the frozen __setattr__).
    @cached_property
    def instances(self) -> tuple[int, ...]:
        """Copies of each level: the product of the fan-outs above it."""
        out, n = [], 1
        for lv in self.levels:
            out.append(n)
            n *= lv.fanout
        return tuple(out)

    @cached_property
    def num_macs(self) -> int:
        return math.prod(lv.fanout for lv in self.levels)

    @cached_property
    def area_mm2(self) -> float:
        return (sum(lv.area_mm2 * n for lv, n in zip(self.levels, self.instances, strict=True))
                + self.mac.area_mm2 * self.num_macs)

    @cached_property
    def _level_arrays(self) -> dict[str, np.ndarray]:
        """The arrays the vectorized analysis reads, one row per level, built once, read-only."""
        keep = np.array([[ds in lv.keep for ds in DATASPACES] for lv in self.levels])
        keep[0] = True
        arrays = {
            "capacity_words": np.array([np.inf if lv.size_words is None else lv.size_words
                                        for lv in self.levels]),
            "forced_keep": keep,
            "forced_bypass": np.array([[ds in lv.bypass for ds in DATASPACES]
                                       for lv in self.levels]),
            "level_costs": np.array([
                [lv.read_energy_pj, lv.write_energy_pj, lv.update_energy_pj,
                 lv.network_energy_pj,
                 np.inf if lv.read_bandwidth is None else lv.read_bandwidth,
                 np.inf if lv.write_bandwidth is None else lv.write_bandwidth,
                 lv.mesh_x, lv.mesh_y, lv.block_size, n / lv.cluster_size,
                 lv.leak_energy_pj]
                for lv, n in zip(self.levels, self.instances, strict=True)], dtype=np.float64),
        }
        arrays["default_keep"] = arrays["forced_keep"] | ~arrays["forced_bypass"]
        for array in arrays.values():
            array.setflags(write=False)
        return arrays

    def capacity_words(self) -> np.ndarray:
        return self._level_arrays["capacity_words"]

    def forced_keep(self) -> np.ndarray:
        """(L, 3) masks: True where a level must keep a data space (DRAM keeps all)."""
        return self._level_arrays["forced_keep"]

    def forced_bypass(self) -> np.ndarray:
        return self._level_arrays["forced_bypass"]

    def default_keep(self) -> np.ndarray:
        """(L, 3) masks: every data space a level keeps unless it must bypass it."""
        return self._level_arrays["default_keep"]

    def level_costs(self) -> np.ndarray:
        """(L, 11) rows: read, write, update, network energy per word (pJ), read and write
        bandwidth per instance (words/cycle, inf: unbounded), mesh_x, mesh_y, block size
        (words), clusters (instances / cluster_size), leakage (pJ per instance-cycle)."""
        return self._level_arrays["level_costs"]
