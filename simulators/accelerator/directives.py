"""MAESTRO's data-centric directives as a front end to the same analysis.

Kwon et al., "Understanding Reuse, Performance, and Hardware Cost of DNN Dataflows: A
Data-Centric Approach", MICRO 2019, Sec. 3: a dataflow is a list of directives, outermost
first: `TemporalMap(size, offset) D` (a loop over D in steps of `offset`, tiles of `size`),
`SpatialMap(size, offset) D` (the same loop unrolled across PEs) and `Cluster(n)` (the
directives below it run inside groups of n PEs). `Sz(D)` is the bound of D.

Dimension names: Timeloop's (N, M, C, P, Q, R, S) or MAESTRO's (K for M; Y', X' for the
output rows and columns P, Q; Y, X for input rows and columns, read in output steps of
offset / stride).

Translation to a loop nest on an architecture: the k-th SpatialMap unrolls over the k-th
fan-out axis of the architecture (meshX before meshY, outer levels first). TemporalMaps
listed before the first SpatialMap are loops at DRAM; those between SpatialMap k and k+1
loop at the level that owns fan-out k+1; those after the last one, and whatever is left
of each bound, loop at the innermost level. `Cluster` separates groups and is otherwise
implied by the fan-out sizes.
"""

from __future__ import annotations

import re

from simulators.accelerator.architecture import DIMS, Architecture
from simulators.accelerator.mapping import Mapping, Problem, as_problem, loop_order
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

MAESTRO_NAMES = {"K": "M", "Y'": "P", "X'": "Q", "Y": "P", "X": "Q", **{d: d for d in DIMS}}
INPUT_COORDINATES = {"Y": "Hstride", "X": "Wstride"}
_DIRECTIVE = re.compile(
    r"(TemporalMap|SpatialMap)\s*\(\s*(\d+|Sz\(\s*[A-Z]'?\s*\))\s*,"
    r"\s*(\d+|Sz\(\s*[A-Z]'?\s*\))\s*\)\s*([A-Z]'?)\s*;?"
    r"|Cluster\s*\(\s*(\d+)\s*(?:,\s*\w+\s*)?\)\s*;?")


def _size(text: str, problem: Problem, where: str) -> int:
    match = re.fullmatch(r"Sz\(\s*([A-Z]'?)\s*\)", text)
    if match:
        return problem.bound(_dim(match[1], where))
    if not text.isdigit() or int(text) < 1:
        raise InvalidArgumentError(where, text, "a positive integer or Sz(D)")
    return int(text)


def _dim(name: str, where: str) -> str:
    if name not in MAESTRO_NAMES:
        raise InvalidArgumentError(where, name, ", ".join(MAESTRO_NAMES))
    return MAESTRO_NAMES[name]


def parse_directives(text: str, arch: Architecture, layer: Layer | Problem) -> Mapping:
    """The Mapping a MAESTRO directive list describes on `arch` (see the module doc)."""
    problem = as_problem(layer)
    body = re.sub(r"//[^\n]*", "", text)
    body = re.sub(r"^\s*Dataflow\s*\{|\}\s*$", "", body.strip())
    slots = [(lvl, axis) for lvl, lv in enumerate(arch.levels) for axis in ("x", "y")
             if getattr(lv, f"mesh_{axis}") > 1]
    L = len(arch.levels)
    temporal = [[1] * 7 for _ in range(L)]
    spatial = {"x": [[1] * 7 for _ in range(L)], "y": [[1] * 7 for _ in range(L)]}
    order: list[list[str]] = [[] for _ in range(L)]
    remaining = dict(zip(DIMS, problem.bounds, strict=True))
    position, spatial_seen = 0, 0
    for match in _DIRECTIVE.finditer(body):
        if body[position:match.start()].strip():
            raise InvalidArgumentError("directive", body[position:match.start()].strip(),
                                       "TemporalMap(size, offset) D; SpatialMap(size, offset) "
                                       "D; Cluster(n)")
        position = match.end()
        if match[5]:  # Cluster(n)
            continue
        kind, where = match[1], f"{match[1]} {match[4]}"
        d = _dim(match[4], where)
        size, offset = _size(match[2], problem, where), _size(match[3], problem, where)
        if match[4] in INPUT_COORDINATES:
            tile = max(1, offset // getattr(problem, INPUT_COORDINATES[match[4]]))
        elif size != offset:
            raise InvalidArgumentError(where, (size, offset),
                                       "size equal to offset (sliding windows only on Y, X)")
        else:
            tile = size
        if remaining[d] % tile:
            raise InvalidArgumentError(where, tile, f"a divisor of the {remaining[d]} left of {d}")
        count = remaining[d] // tile
        remaining[d] = tile
        if kind == "SpatialMap":
            if spatial_seen == len(slots):
                raise InvalidArgumentError(where, spatial_seen + 1,
                                           f"at most {len(slots)} SpatialMaps on {arch.name}")
            lvl, axis = slots[spatial_seen]
            spatial[axis][lvl][DIMS.index(d)] *= count
            spatial_seen += 1
            continue
        if spatial_seen == 0:
            lvl = 0
        elif spatial_seen < len(slots):
            lvl = slots[spatial_seen][0]
        else:
            lvl = L - 1
        temporal[lvl][DIMS.index(d)] *= count
        order[lvl].append(d)
    if body[position:].strip():
        raise InvalidArgumentError("directive", body[position:].strip(),
                                   "TemporalMap(size, offset) D; SpatialMap(size, offset) D; "
                                   "Cluster(n)")
    for d, left in remaining.items():
        temporal[L - 1][DIMS.index(d)] *= left
        order[L - 1].append(d)
    perm = [loop_order(reversed(dict.fromkeys(listed))) for listed in order]  # listed outer first
    keep = tuple(tuple(bool(v) for v in row) for row in arch.default_keep())
    return Mapping(tuple(map(tuple, temporal)), tuple(perm), tuple(map(tuple, spatial["x"])),
                   tuple(map(tuple, spatial["y"])), keep)
