"""Problems (one layer's loop bounds) and mappings (tiling, loop order, spatial unrolling).

A mapping gives, per storage level (outermost first): temporal factors per dimension,
the loop order (outermost first), spatial factors over the fan-out below the level on
meshX and meshY, and which data spaces the level keeps. The loop nest reads, from the
outside in: level 0's temporal loops, level 0's spatial loops, level 1's temporal
loops, ... A `MappingBatch` holds many mappings of one layer as numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulators.accelerator.architecture import DATASPACES, DIMS, Architecture, dim_index
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer


@dataclass(frozen=True)
class Problem:
    """One group of a layer as Timeloop sees it: bounds in DIMS order, strides and
    dilations; `groups` copies run one after another."""

    name: str
    bounds: tuple[int, ...]
    Hstride: int = 1
    Wstride: int = 1
    Hdilation: int = 1
    Wdilation: int = 1
    groups: int = 1

    @classmethod
    def from_layer(cls, layer: Layer) -> Problem:
        g = layer.groups
        return cls(layer.name, (layer.N, layer.M // g, layer.C // g, layer.P, layer.Q,
                                layer.R, layer.S),
                   layer.Hstride, layer.Wstride, layer.Hdilation, layer.Wdilation, g)

    @property
    def macs(self) -> int:
        return math.prod(self.bounds) * self.groups

    def bound(self, dim: str) -> int:
        return self.bounds[dim_index(dim)]


def as_problem(workload: Layer | Problem) -> Problem:
    if isinstance(workload, Problem):
        return workload
    if isinstance(workload, Layer):
        return Problem.from_layer(workload)
    raise InvalidArgumentError("layer", type(workload).__name__, "a Layer or Problem")


def loop_order(innermost: Sequence[str]) -> tuple[str, ...]:
    """A level's loop order (outermost first) ending in `innermost`, listed innermost first;
    the other dimensions go outside them in DIMS order."""
    innermost = tuple(innermost)
    return tuple(d for d in DIMS if d not in innermost) + innermost[::-1]


@dataclass(frozen=True)
class Mapping:
    """One mapping; per-level tuples are outermost level first, factors in DIMS order."""

    temporal: tuple[tuple[int, ...], ...]
    permutation: tuple[tuple[str, ...], ...]
    spatial_x: tuple[tuple[int, ...], ...]
    spatial_y: tuple[tuple[int, ...], ...]
    keep: tuple[tuple[bool, ...], ...]

    def __post_init__(self):
        n = len(self.temporal)
        for name in ("permutation", "spatial_x", "spatial_y", "keep"):
            if len(getattr(self, name)) != n:
                raise InvalidArgumentError(f"mapping.{name}", len(getattr(self, name)),
                                           f"one entry per level ({n})")
        for order in self.permutation:
            if sorted(order) != sorted(DIMS):
                raise InvalidArgumentError("mapping.permutation", order,
                                           "an order of all of " + "".join(DIMS))
        for name in ("temporal", "spatial_x", "spatial_y"):
            for row in getattr(self, name):
                if len(row) != len(DIMS) or any(
                        isinstance(f, bool) or not isinstance(f, int | np.integer) or f < 1
                        for f in row):
                    raise InvalidArgumentError(f"mapping.{name}", row,
                                               f"{len(DIMS)} positive integer factors")

    @property
    def num_levels(self) -> int:
        return len(self.temporal)

    def check_levels(self, arch: Architecture) -> None:
        if self.num_levels != len(arch.levels):
            raise InvalidArgumentError("mapping levels", self.num_levels,
                                       f"{len(arch.levels)} (the levels of {arch.name})")

    def to_text(self, arch: Architecture) -> str:
        """The loop nest in Timeloop's style: each level's kept data, then its loops."""
        self.check_levels(arch)
        lines, depth = [], 0
        for i, level in enumerate(arch.levels):
            kept = [ds for ds, k in zip(DATASPACES, self.keep[i], strict=True) if k]
            lines.append(f"{level.name} [ {' '.join(kept) or '-'} ]")
            lines.append("-" * 40)
            for d in self.permutation[i]:
                f = self.temporal[i][dim_index(d)]
                if f > 1:
                    lines.append(f"{'| ' * depth}for {d} in [0:{f})")
                    depth += 1
            for axis, factors in (("X", self.spatial_x[i]), ("Y", self.spatial_y[i])):
                for d, f in zip(DIMS, factors, strict=True):
                    if f > 1:
                        lines.append(f"{'| ' * depth}for {d} in [0:{f}) (Spatial-{axis})")
                        depth += 1
            lines.append("")
        lines.append(f"{'| ' * depth}<< Compute >>")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """A JSON-friendly form: per level factors by name, order as a string."""
        return {"levels": [
            {"temporal": dict(zip(DIMS, map(int, t), strict=True)),
             "permutation": "".join(p),
             "spatial_x": {d: int(f) for d, f in zip(DIMS, sx, strict=True) if f > 1},
             "spatial_y": {d: int(f) for d, f in zip(DIMS, sy, strict=True) if f > 1},
             "keep": [ds for ds, k in zip(DATASPACES, kp, strict=True) if k]}
            for t, p, sx, sy, kp in zip(self.temporal, self.permutation, self.spatial_x,
                                        self.spatial_y, self.keep, strict=True)]}


@dataclass(frozen=True)
class MappingBatch:
    """B mappings as arrays: temporal, spatial_x, spatial_y (B, L, 7) factors; permutation
    (B, L, 7) dimension indices outermost first; keep (B, L, 3) booleans."""

    temporal: np.ndarray
    permutation: np.ndarray
    spatial_x: np.ndarray
    spatial_y: np.ndarray
    keep: np.ndarray

    def __len__(self) -> int:
        return self.temporal.shape[0]

    @classmethod
    def from_mappings(cls, mappings: list[Mapping]) -> MappingBatch:
        if not mappings:
            raise InvalidArgumentError("mappings", [], "at least one mapping")
        arr = lambda name: np.array([getattr(m, name) for m in mappings])  # noqa: E731
        perm = np.array([[[DIMS.index(d) for d in order] for order in m.permutation]
                         for m in mappings])
        return cls(arr("temporal").astype(np.int64), perm, arr("spatial_x").astype(np.int64),
                   arr("spatial_y").astype(np.int64), arr("keep").astype(bool))

    def __getitem__(self, i: int) -> Mapping:
        as_rows = lambda a: tuple(tuple(int(v) for v in row) for row in a[i])  # noqa: E731
        return Mapping(as_rows(self.temporal),
                       tuple(tuple(DIMS[j] for j in row) for row in self.permutation[i]),
                       as_rows(self.spatial_x), as_rows(self.spatial_y),
                       tuple(tuple(bool(v) for v in row) for row in self.keep[i]))

    def take(self, index: np.ndarray) -> MappingBatch:
        return MappingBatch(self.temporal[index], self.permutation[index],
                            self.spatial_x[index], self.spatial_y[index], self.keep[index])

    @staticmethod
    def concat(batches: list[MappingBatch]) -> MappingBatch:
        return MappingBatch(*(np.concatenate([getattr(b, f) for b in batches])
                              for f in ("temporal", "permutation", "spatial_x", "spatial_y",
                                        "keep")))
