"""Layers without MACs on the accelerator, against hand arithmetic."""

import math

import pytest

from simulators.accelerator.elementwise import elementwise_costs
from simulators.accelerator.presets import preset
from simulators.accelerator.simulator import build_architecture
from simulators.accelerator.technology import network_energy_pj, storage_energy_pj
from simulators.workloads import Elementwise

# NAS-Bench-201's stage-3 cell sum: two 64 x 8 x 8 operands, one add per output.
CELL_SUM = Elementwise("node2", "add", C=64, P=8, Q=8, operands=2)
READ, WRITE, ADDS = 2 * 4096, 4096, 4096
DESIGN = {"pe_x": 14, "pe_y": 12, "ifmap_spad_words": 12, "weights_spad_words": 224,
          "psum_spad_words": 24, "glb_kb": 128, "glb_banks": 16, "noc_bandwidth_words": 16,
          "dram_bandwidth_words": 8, "dataflow": "eyeriss_like", "precision_bits": 16}


def test_cell_sum_moves_every_word_through_dram_and_the_buffer_ports():
    cost, = elementwise_costs(build_architecture(DESIGN), [CELL_SUM])
    dram_pj = storage_energy_pj(None, 16)  # 20 pJ/bit x 16 bits
    assert dram_pj == 320.0
    assert cost.level_energy_pj["DRAM"] == pytest.approx((READ + WRITE) * dram_pj)
    assert cost.level_energy_pj["DRAM"] == pytest.approx(3.93216e6)
    glb_pj = storage_energy_pj(128 * 1024 * 8 // 16, 16, 16)
    assert cost.level_energy_pj["global_buffer"] == pytest.approx(
        (READ + WRITE) * (2 * glb_pj + network_energy_pj(16)))
    assert cost.level_words == {"DRAM": READ + WRITE, "global_buffer": 2 * (READ + WRITE)}
    # DRAM: 8,192 reads at 8 words/cycle; the buffer's ports (16 words/cycle each) carry
    # the 12,288 words in and the 12,288 out: 768 cycles each; the 168 MACs add in 25.
    assert cost.cycles == max(READ / 8, WRITE / 8, (READ + WRITE) / 16,
                              math.ceil(ADDS / 168)) == 1024


def test_buffer_ports_carry_operands_and_results_both_ways():
    # With DRAM out of the way the buffer bounds the layer: 12,288 words per port at 16.
    cost, = elementwise_costs(build_architecture({**DESIGN, "dram_bandwidth_words": 64}),
                              [CELL_SUM])
    assert cost.cycles == (READ + WRITE) / 16 == 768


def test_without_declared_bandwidth_only_the_operations_take_time():
    # The eyeriss_like preset declares no bandwidth (Timeloop's example neither), so its
    # MAC layers and this add alike are bound by compute: ceil(4,096 / 168) = 25 cycles.
    cost, = elementwise_costs(preset("eyeriss_like"), [CELL_SUM])
    assert cost.cycles == 25
    assert cost.energy_pj == pytest.approx(cost.op_energy_pj + sum(
        cost.level_energy_pj.values()))
    assert 3.9e6 < cost.energy_pj < 4.5e6  # DRAM's 3.93 uJ dominates
