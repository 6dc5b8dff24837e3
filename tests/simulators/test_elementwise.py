"""Layers without MACs on the systolic array and the accelerator, by hand arithmetic."""

import math

import numpy as np
import pytest

from simulators.accelerator.elementwise import elementwise_costs
from simulators.accelerator.presets import preset
from simulators.accelerator.simulator import _DEFAULT, AcceleratorSimulator
from simulators.elementwise import ADD_8B_PJ, MULT_8B_PJ, work
from simulators.networks import nb201
from simulators.systolic import DRAM_ENERGY_PJ_PER_BIT, SystolicArray, sram_energy_pj_per_bit
from simulators.workloads import Elementwise, NetworkBuilder

DESIGN = {"rows": 16, "cols": 32, "dataflow": "ws", "ifmap_sram_kb": 64, "filter_sram_kb": 64,
          "ofmap_sram_kb": 128, "dram_bandwidth_words": 4}


def _conv_then(kind: str):
    """A 3x3 conv on 8 x 16 x 16, then a layer without MACs; and the conv alone."""
    b = NetworkBuilder("toy", 16, channels=8)
    x = b.conv(b.input, "conv", 8, 3)
    if kind == "max_pool":
        b.pool(x, "pool", "max_pool", 2)
    elif kind == "add":
        b.add("add", x, b.input)
    else:
        b.squeeze_excite(x, "se", 8)
    net = b.build()
    return net, net.layers


def test_work_by_hand():
    pool = Elementwise("p", "max_pool", C=8, P=8, Q=8, R=2, S=2, Hstride=2, Wstride=2)
    add = Elementwise("a", "add", C=8, P=16, Q=16, operands=3)
    scale = Elementwise("s", "scale", C=8, P=16, Q=16, operands=2)
    table = work([pool, add, scale])
    assert table.T.tolist() == [[8 * 16 * 16, 8 * 8 * 8, 8 * 8 * 8 * 4, 0],
                                [3 * 8 * 16 * 16, 8 * 16 * 16, 2 * 8 * 16 * 16, 0],
                                [8 * 16 * 16 + 8, 8 * 16 * 16, 0, 8 * 16 * 16]]


@pytest.mark.parametrize("kind", ["max_pool", "add"])
def test_systolic_vector_unit_by_hand(kind):
    model = SystolicArray()  # int8 words
    net, conv_only = _conv_then(kind)
    full = model.evaluate(DESIGN, net)
    alone = model.evaluate(DESIGN, conv_only)
    (read, write, adds, _), = work(net.elementwise).T
    # one lane per column (32), 4 DRAM words per cycle: the longer of the two
    cycles = max(math.ceil(adds / 32), math.ceil((read + write) / 4))
    assert full["latency_cycles"] - alone["latency_cycles"] == cycles
    assert full["elementwise_cycles"] == cycles and alone["elementwise_cycles"] == 0
    energy = (adds * ADD_8B_PJ + read * 8 * sram_energy_pj_per_bit(64)
              + write * 8 * sram_energy_pj_per_bit(128) + (read + write) * 8
              * DRAM_ENERGY_PJ_PER_BIT)
    assert full["energy_pj"] - alone["energy_pj"] == pytest.approx(energy)
    assert full["ifmap_dram_read_words"] - alone["ifmap_dram_read_words"] == read
    assert full["ofmap_dram_write_words"] - alone["ofmap_dram_write_words"] == write
    assert full["macs"] == alone["macs"]
    assert full["utilization"] < alone["utilization"]


def test_accelerator_by_hand():
    arch = preset("eyeriss_like")  # 168 PEs, 16-bit MACs of 1 pJ, DRAM 320 pJ, GLB 8.6 pJ
    glb = arch.levels[1]
    layer = Elementwise("s", "scale", C=64, P=14, Q=14, operands=2)
    cost, = elementwise_costs(arch, [layer])
    read, write, ops = 64 * 196 + 64, 64 * 196, 64 * 196
    assert cost.cycles == math.ceil(ops / 168)  # unbounded bandwidths in this preset
    assert cost.level_energy_pj["DRAM"] == pytest.approx((read + write) * 320.0)
    assert cost.level_energy_pj["shared_glb"] == pytest.approx(
        (read + write) * (2 * glb.read_energy_pj + glb.network_energy_pj))
    # a 16-bit multiply is 0.8 of Horowitz's 16-bit MAC (0.8 + 0.2 pJ), times this MAC's 1 pJ
    assert cost.op_energy_pj == pytest.approx(ops * MULT_8B_PJ * 4 / 1.0)
    assert cost.energy_pj == pytest.approx(cost.op_energy_pj
                                           + sum(cost.level_energy_pj.values()))


def test_accelerator_bandwidth_bound():
    design = {**_DEFAULT, "dram_bandwidth_words": 2}
    net, conv_only = _conv_then("add")
    sim = AcceleratorSimulator(mapper_budget=50, mapper_rounds=1)
    full, alone = sim.run(design, net), sim.run(design, conv_only)
    (read, write, adds, _), = work(net.elementwise).T
    # 4096 reads at 2 words per cycle beat 2048 adds on 168 PEs
    assert full.cycles - alone.cycles == math.ceil(read / 2)
    assert full.macs == alone.macs and full.utilization < alone.utilization


def test_pooling_edges_cost_time_that_macs_do_not_show():
    """Two NB201 cells with the same MACs: average pooling where the other skips costs
    cycles on both models (HW-NAS-Bench's observation, Li et al., ICLR 2021)."""
    skip = nb201.SPACE.decode("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|"
                              "skip_connect~0|skip_connect~1|nor_conv_3x3~2|")
    pool = nb201.SPACE.decode("|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|"
                              "avg_pool_3x3~0|avg_pool_3x3~1|nor_conv_3x3~2|")
    assert skip.macs == pool.macs
    systolic = SystolicArray().evaluate_batch([DESIGN], skip).metrics
    pooled = SystolicArray().evaluate_batch([DESIGN], pool).metrics
    assert np.all(pooled["latency_cycles"] > systolic["latency_cycles"])
    sim = AcceleratorSimulator(mapper_budget=50, mapper_rounds=1)
    assert sim.run(_DEFAULT, pool).cycles > sim.run(_DEFAULT, skip).cycles
