"""Layers without MACs on the hardware models: what they move and compute, and what that
costs on the systolic array's vector unit.

Neither reference model charges them: SCALE-Sim runs convolution and GEMM layers only
(Samajdar et al., ISPASS 2020, Sec. III) and Timeloop's workload is the seven-dimensional
convolution loop nest (Parashar et al., ISPASS 2019, Sec. III). Yet on small networks they
take much of an accelerator's time: HW-NAS-Bench's Eyeriss latencies of NAS-Bench-201
cells depend on their pooling edges as well as their convolutions (Li et al., ICLR 2021,
Sec. 3). So every layer without MACs is charged from first principles, the way the models
charge a MAC layer: its inputs come from DRAM and its outputs go back (layer by layer),
through the on-chip buffers, and its operations (`Elementwise.ops`: compares and adds, or
the multiplies of a scaling) run one per lane per cycle.

The systolic array's lanes are a vector unit one word wide per array column, as the TPU's
activation/pooling pipeline takes one row of the array's outputs per cycle (Jouppi et al.,
ISCA 2017, Sec. 2: the 256-wide systolic array feeds the Activation and Normalize/Pool
units); operands stream through the ifmap SRAM, results through the ofmap SRAM.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulators.workloads import Elementwise, Network

# Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm table: 8b add 0.03 pJ, 8b
# multiply 0.2 pJ; adds scale about linearly with width (32b: 0.1 pJ), multiplies about
# quadratically (32b: 3.1 pJ).
ADD_8B_PJ = 0.03
MULT_8B_PJ = 0.2
WORK_ROWS = ("read_words", "write_words", "adds", "multiplies")


def elementwise_layers(workload) -> tuple[Elementwise, ...]:
    """The layers without MACs of a workload: a Network's, or those in a sequence."""
    if isinstance(workload, Network):
        return workload.elementwise
    if isinstance(workload, Elementwise):
        return (workload,)
    if isinstance(workload, Sequence) and not isinstance(workload, str):
        return tuple(x for x in workload if isinstance(x, Elementwise))
    return ()


def work(layers: Sequence[Elementwise]) -> np.ndarray:
    """(4, E) float64 rows of WORK_ROWS per layer: words read and written, adds (or
    compares), multiplies."""
    return np.array([(e.read_words, e.write_words, 0 if e.kind == "scale" else e.ops,
                      e.ops if e.kind == "scale" else 0) for e in layers],
                    dtype=np.float64).reshape(-1, 4).T.copy()


def op_energy_pj(adds: np.ndarray, multiplies: np.ndarray, bits: int) -> np.ndarray:
    """Energy of the adds (compares) and multiplies at `bits`-wide operands."""
    return adds * ADD_8B_PJ * bits / 8 + multiplies * MULT_8B_PJ * (bits / 8) ** 2


def systolic_cost(table: np.ndarray, lanes: np.ndarray, dram_bandwidth: np.ndarray,
                  bits: int, ifmap_pj_per_word: np.ndarray, ofmap_pj_per_word: np.ndarray,
                  dram_pj_per_word: float) -> dict[str, np.ndarray]:
    """Per design (lanes, bandwidths and per-word energies as (D, 1) or (D,) arrays): the
    cycles (each layer the longer of its lane cycles and its DRAM transfer), energy and
    words moved of the layers in `table` (`work`)."""
    read, write, adds, mults = (table[k][None, :] for k in range(4))
    lanes, bandwidth = np.reshape(lanes, (-1, 1)), np.reshape(dram_bandwidth, (-1, 1))
    compute = -(-(adds + mults) // lanes)
    cycles = np.maximum(compute, -(-(read + write) // bandwidth)).sum(axis=1)
    total_read, total_write = read.sum(), write.sum()
    energy = (op_energy_pj(adds, mults, bits).sum()
              + total_read * np.reshape(ifmap_pj_per_word, -1)
              + total_write * np.reshape(ofmap_pj_per_word, -1)
              + (total_read + total_write) * dram_pj_per_word)
    return {"cycles": cycles, "energy_pj": energy, "read_words": np.full(len(cycles), total_read),
            "write_words": np.full(len(cycles), total_write)}
