"""Layers without MACs on a Timeloop-class accelerator.

Timeloop maps the convolution loop nest only (Parashar et al., ISPASS 2019, Sec. III), so
pooling, residual adds, squeeze-excite scaling and zero fills have no mapping; they are
charged here from first principles, as simulators.elementwise explains: layer by layer
their inputs are read from DRAM (the outermost level) and their outputs written back, each
word staged through the outermost on-chip level (Eyeriss' global buffer holds ifmaps and
psums, Chen et al., ISCA 2016, Sec. V) and sent across its network to the PEs and back;
every MAC unit does one of the layer's operations per cycle (a compare or add on its
adder, a multiply on its multiplier; Eyeriss' PEs pool and apply ReLU in place, ibid.),
priced as the share of the architecture's MAC energy that Horowitz's adder or multiplier
takes at the MAC's precision. A layer takes the longest of its operation cycles and each
level's transfer cycles (the global buffer's read port carries the operands out to the PEs
and the results out to DRAM, its write port the operands in and the results back).

So a two-operand add of C x P x Q outputs moves 3 CPQ words through DRAM: NAS-Bench-201's
64 x 8 x 8 cell sum costs 12,288 x 320 pJ (16-bit words at Horowitz's 20 pJ/bit) = 3.9 uJ
there, the same layer-by-layer convention by which every MAC layer reads its inputs from
and writes its outputs to DRAM. On an architecture whose levels declare no bandwidth (the
eyeriss_like preset, like Timeloop's example) its cycles are the operations alone,
ceil(4,096 / 168 PEs) = 25, as the MAC layers there are bandwidth-free too; a declared DRAM
or buffer bandwidth bounds them (tests/simulators/accelerator/test_elementwise.py).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulators.accelerator.architecture import Architecture
from simulators.accelerator.technology import mac_energy_pj
from simulators.elementwise import op_energy_pj, work
from simulators.workloads import Elementwise


@dataclass(frozen=True)
class ElementwiseCost:
    """One layer without MACs on an architecture: cycles, energy and words per level."""

    cycles: float
    energy_pj: float
    op_energy_pj: float
    level_energy_pj: dict[str, float]
    level_words: dict[str, float]


def elementwise_costs(arch: Architecture,
                      layers: Sequence[Elementwise]) -> tuple[ElementwiseCost, ...]:
    """The cost of each layer (see the module docstring)."""
    if not layers:
        return ()
    read, write, adds, mults = work(layers)
    costs = arch.level_costs()
    staged = [0] + ([1] if len(arch.levels) > 1 else [])
    cycles = np.ceil((adds + mults) / arch.num_macs)
    level_energy, level_words = {}, {}
    for lvl in staged:
        lv, row = arch.levels[lvl], costs[lvl]
        words = read + write
        if lvl == 0:  # DRAM: read the inputs, write the outputs
            energy = read * row[0] + write * row[1]
            transfer = np.maximum(read / row[4], write / row[5])
        else:  # operands written in (fill) and read out to the PEs; results written in
            # from the PEs and read out to DRAM: read + write words on each port
            words = 2 * words
            energy = (read + write) * (row[0] + row[1]) + (read + write) * row[3]
            instances = arch.instances[lvl]
            transfer = np.maximum((read + write) / (row[4] * instances),
                                  (read + write) / (row[5] * instances))
        cycles = np.maximum(cycles, np.ceil(transfer))
        level_energy[lv.name], level_words[lv.name] = energy, words
    bits = arch.mac.precision_bits
    ops = arch.mac.energy_pj * op_energy_pj(adds, mults, bits) / mac_energy_pj(bits)
    return tuple(ElementwiseCost(
        float(cycles[i]), float(ops[i] + sum(e[i] for e in level_energy.values())),
        float(ops[i]), {k: float(v[i]) for k, v in level_energy.items()},
        {k: float(v[i]) for k, v in level_words.items()}) for i in range(len(layers)))


def with_elementwise(result, arch: Architecture, layers: Sequence[Elementwise]):
    """A mapper's NetworkResult with the layers without MACs added to its totals (they run
    between the MAC layers, one after another)."""
    costs = elementwise_costs(arch, layers)
    if not costs:
        return result
    cycles = result.cycles + sum(c.cycles for c in costs)
    energy = result.energy_pj + sum(c.energy_pj for c in costs)
    util = result.macs / (cycles * arch.num_macs) if math.isfinite(cycles) else 0.0
    return dataclasses.replace(result, cycles=cycles, energy_pj=energy, utilization=util,
                               elementwise=tuple(zip(layers, costs, strict=True)))
