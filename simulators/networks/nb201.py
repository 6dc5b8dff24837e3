"""`nb201`: the NAS-Bench-201 cell space (Dong and Yang, ICLR 2020) and its macro skeleton.

A cell is a DAG of 4 nodes; each of the 6 edges i -> j (i < j) is one of OPS, node j the
sum of its incoming edges, the cell's output node 3. Arch strings list the edges into
nodes 1, 2, 3: `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`. The skeleton, on 32x32 inputs as
NAS-Bench-201's `TinyNetwork` (C=16, N=5): a 3x3 stem conv to 16 channels with batch norm;
5 cells at 16 channels; a residual reduction block (ReLU-conv3x3/2-BN, ReLU-conv3x3-BN,
shortcut 2x2/2 average pooling then a 1x1 conv, summed) to 32; 5 cells; a reduction to 64;
5 cells; batch norm and ReLU, global pooling and the classifier. In a cell, nor_conv_kxk
is ReLU-conv-BN (no conv bias), avg_pool_3x3 is 3x3/1 average pooling (padding 1, not
counted), skip_connect the identity, none nothing (a node fed only by none edges is a
zero tensor). Everything NAS-Bench-201's network computes is computed here, including
edges whose results no later node uses (its FLOPs count them too).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from simulators.errors import InvalidArgumentError
from simulators.networks import Choice, NetworkSpace
from simulators.workloads import Network, NetworkBuilder, Tensor

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = tuple((i, j) for j in range(1, 4) for i in range(j))  # (0,1) (0,2) (1,2) (0,3) ...
CHANNELS, CELLS, RESOLUTION = 16, 5, 32


def edge_name(i: int, j: int) -> str:
    return f"edge_{i}_{j}"


NAMES = tuple(edge_name(i, j) for i, j in EDGES)


def from_string(arch: Any) -> dict[str, str]:
    """The design of an arch string (a node's inputs in any order, spaces ignored);
    InvalidArgumentError naming what is wrong."""
    if not isinstance(arch, str):
        raise InvalidArgumentError("nb201 arch", arch, "a NAS-Bench-201 arch string "
                                   "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|")
    return dict(zip(NAMES, edge_ops(arch), strict=True))


@lru_cache(maxsize=65536)
def edge_ops(arch: str) -> tuple[str, ...]:
    """The six ops of an arch string in EDGES order."""
    nodes = "".join(arch.split()).split("+")
    if len(nodes) != 3:
        raise InvalidArgumentError("nb201 arch", arch, "3 nodes joined by '+', as "
                                   "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...~0|...~1|...~2|")
    ops: dict[tuple[int, int], str] = {}
    for to, node in enumerate(nodes, start=1):
        if not (node.startswith("|") and node.endswith("|")):
            raise InvalidArgumentError("nb201 arch", arch, f"node {to} as |op~i|...|")
        for edge in filter(None, node.split("|")):
            op, _, source = edge.partition("~")
            if op not in OPS:
                raise InvalidArgumentError("nb201 arch op", op, ", ".join(OPS))
            if not source.isdigit() or int(source) >= to or (int(source), to) in ops:
                raise InvalidArgumentError("nb201 arch", arch,
                                           f"node {to} with one input from each of 0..{to - 1}")
            ops[(int(source), to)] = op
        if sum(1 for _, t in ops if t == to) != to:
            raise InvalidArgumentError("nb201 arch", arch,
                                       f"node {to} with one input from each of 0..{to - 1}")
    return tuple(ops[e] for e in EDGES)


def to_string(design: Mapping[str, str]) -> str:
    return "+".join("|" + "|".join(f"{design[edge_name(i, j)]}~{i}" for i in range(j)) + "|"
                    for j in range(1, 4))


def all_strings() -> list[str]:
    """All 15,625 arch strings."""
    return [to_string(dict(zip(NAMES, ops, strict=True)))
            for ops in itertools.product(OPS, repeat=len(EDGES))]


def _cell(b: NetworkBuilder, x: Tensor, name: str, design: Mapping[str, str]) -> Tensor:
    nodes: list[Tensor | None] = [x]  # None: a node only none edges feed (zero)

    def value(i: int) -> Tensor:
        if nodes[i] is None:
            nodes[i] = b.zero(f"{name}.node{i}.zero", x)
        return nodes[i]

    for j in range(1, 4):
        terms = []
        for i in range(j):
            op, edge = design[edge_name(i, j)], f"{name}.{edge_name(i, j)}"
            if op == "none":
                continue
            source = value(i)
            if op == "skip_connect":
                terms.append(source)
            elif op == "avg_pool_3x3":
                terms.append(b.pool(source, edge, "avg_pool", 3, 1, padding=1))
            else:
                k = 3 if op == "nor_conv_3x3" else 1
                terms.append(b.conv(source, edge, source.channels, k, pre=("relu",),
                                    post=("bn",)))
        nodes.append(None if not terms else terms[0] if len(terms) == 1
                     else b.add(f"{name}.node{j}", *terms))
    return value(3)


def _reduction(b: NetworkBuilder, x: Tensor, name: str, out: int) -> Tensor:
    y = b.conv(x, f"{name}.conv_a", out, 3, stride=2, pre=("relu",), post=("bn",))
    y = b.conv(y, f"{name}.conv_b", out, 3, pre=("relu",), post=("bn",))
    shortcut = b.pool(x, f"{name}.pool", "avg_pool", 2, 2)
    shortcut = b.conv(shortcut, f"{name}.shortcut", out, 1)
    return b.add(f"{name}.add", shortcut, y)


def build(design: Mapping[str, str], batch: int = 1, num_classes: int = 10) -> Network:
    """The network of a complete design, CIFAR-10's 10 classes by default."""
    b = NetworkBuilder("nb201:" + to_string(design), RESOLUTION, batch=batch)
    x = b.conv(b.input, "stem", CHANNELS, 3, post=("bn",))
    for stage in range(3):
        if stage:
            x = _reduction(b, x, f"reduction{stage}", CHANNELS * 2 ** stage)
        for cell in range(CELLS):
            x = _cell(b, x, f"stage{stage + 1}.cell{cell}", design)
    x = b.global_pool(x, "pool", pre=("bn", "relu"))
    b.fc(x, "classifier", num_classes)
    return b.build()


SPACE = NetworkSpace(
    "nb201", "NAS-Bench-201 cells in the CIFAR skeleton (C=16, N=5, 32x32)",
    tuple(Choice(n, OPS, "nor_conv_3x3", ordered=False) for n in NAMES), build,
    from_string, to_string)
