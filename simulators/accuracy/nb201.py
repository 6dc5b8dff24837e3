"""NAS-Bench-201 cells for lookups: parse leniently, normalize, index (Dong and Yang, ICLR
2020). The space itself (ops, edges, strict arch strings) is simulators.networks.nb201.

A cell has 4 nodes; node j sums one op on every earlier node i, written
`|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`. The six edges in that order, each one of OPS, give
5**6 = 15,625 cells; `cell_index` numbers them base 5 (edge (1,0) most significant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

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
    return _parse_string(arch)


@lru_cache(maxsize=65536)
def _parse_string(arch: str) -> tuple[str, ...]:
    nodes = "".join(arch.split()).split("+")
    if len(nodes) != 3:
        raise InvalidArgumentError("arch", arch, "3 nodes joined by '+', as "
                                   "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...~0|...~1|...~2|")
    ops: dict[tuple[int, int], str] = {}
    for to, node in enumerate(nodes, start=1):
        if not (node.startswith("|") and node.endswith("|")):
            raise InvalidArgumentError("arch", arch, f"node {to} as |op~i|...|")
        for edge in filter(None, node.split("|")):
            op, _, source = edge.partition("~")
            if op not in OPS:
                raise InvalidArgumentError("arch op", op, ", ".join(OPS))
            if not source.isdigit() or int(source) >= to or (to, int(source)) in ops:
                raise InvalidArgumentError("arch", arch,
                                           f"node {to} with one input from each of 0..{to - 1}")
            ops[(to, int(source))] = op
        if sum(1 for t, _ in ops if t == to) != to:
            raise InvalidArgumentError("arch", arch,
                                       f"node {to} with one input from each of 0..{to - 1}")
    return tuple(ops[e] for e in EDGES)


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
