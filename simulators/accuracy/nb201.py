"""NAS-Bench-201 cells for lookups: parse, normalize, index (Dong and Yang, ICLR 2020). The
space itself (ops, edges, arch strings) is simulators.networks.nb201.

A cell has 4 nodes; node j sums one op on every earlier node i, written
`|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`. The six edges in that order, each one of OPS, give
5**6 = 15,625 cells; `cell_index` numbers them base 5 (edge (1,0) most significant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from simulators.errors import InvalidArgumentError
from simulators.networks import nb201 as space

# NATS-Bench's op order (nats_bench/api_topology.py, str2matrix's default search_space).
OPS = space.OPS
# (to node, from node) of the six edges in arch-string order.
EDGES = tuple((j, i) for i, j in space.EDGES)
N_CELLS = len(OPS) ** len(EDGES)


def parse(arch: str | Sequence[str]) -> tuple[str, ...]:
    """The six edge ops of `arch`: an arch string (inputs of a node in any order, spaces
    ignored), a design of the nb201 space or a sequence of six op names in EDGES order."""
    if isinstance(arch, Mapping):
        arch = [arch.get(name) for name in space.NAMES]
    if not isinstance(arch, str):
        ops = tuple(arch)
        if len(ops) != len(EDGES) or any(op not in OPS for op in ops):
            raise InvalidArgumentError("arch", arch, f"6 ops, each one of {', '.join(OPS)}")
        return ops
    return space.edge_ops(arch)


def arch_str(ops: str | Sequence[str]) -> str:
    """The canonical arch string of a cell (inputs in order, no spaces)."""
    return space.to_string(dict(zip(space.NAMES, parse(ops), strict=True)))


def cell_index(arch: str | Sequence[str]) -> int:
    """0..15,624: the six op indices as a base-5 number."""
    index = 0
    for op in parse(arch):
        index = index * len(OPS) + OPS.index(op)
    return index


def cell_ops(index: int) -> tuple[str, ...]:
    """The inverse of `cell_index`."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < N_CELLS:
        raise InvalidArgumentError("cell index", index, f"an integer in 0..{N_CELLS - 1}")
    digits = []
    for _ in EDGES:
        index, digit = divmod(index, len(OPS))
        digits.append(OPS[digit])
    return tuple(reversed(digits))
