"""Timeloop interop on the example designs in ../shared/data/timeloop (skipped if absent)."""

import math
from pathlib import Path

import numpy as np
import pytest

from simulators.accelerator.analysis import analyze
from simulators.accelerator.mapper import Mapper
from simulators.accelerator.timeloop import load_arch, load_ert, load_mapping, load_problem
from simulators.errors import ArchGymError

DATA = Path(__file__).parents[3] / ".." / "shared" / "data" / "timeloop"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared Timeloop examples absent")

# The best spatial utilization each arch file's constraints allow for the default problem
# (M=32, C=3, R=S=3, P=Q=112), worked out by hand:
#   eyeriss_like: meshX 14 takes Q or M (Q14), meshY 12 takes S, C or M (S3 x M4): 168/168.
#   simba_like: meshX 16 takes M or C, meshY 4 (distributed) only M, meshY 4 (reg_mac) only C:
#     C can give at most 3, so M32 over 16 x 4 and C3 under it: 96/256.
#   simple_*: meshX 16 only C (3), meshY 16 only M (16): 48/256.
BEST_SPATIAL = {"eyeriss_like": 1.0, "simba_like": 96 / 256,
                "simple_output_stationary": 48 / 256, "simple_weight_stationary": 48 / 256}
# The spatial factors of each mapping.yaml, read by hand: Q14 x C3 S3; C3 M4 x M4;
# M16; C3 M4.
GIVEN_SPATIAL = {"eyeriss_like": 126 / 168, "simba_like": 48 / 256,
                 "simple_output_stationary": 16 / 256, "simple_weight_stationary": 12 / 256}


def spec(design):
    return load_arch(DATA / design / "arch.yaml", DATA / design / "ERT_summary.yaml")


def spatial_utilization(mapping, arch):
    used = np.prod(np.array(mapping.spatial_x) * np.array(mapping.spatial_y))
    return used / arch.num_macs


@pytest.mark.parametrize("design", sorted(BEST_SPATIAL))
def test_example_design_maps_the_default_problem(design):
    tl = spec(design)
    arch = tl.architecture
    layer = load_problem(DATA / "default_problem.yaml")
    assert layer.macs == 32 * 3 * 3 * 3 * 112 * 112
    fastest = Mapper(arch, objective="cycles", budget=2000, seed=0).search(layer).best
    assert fastest.valid and fastest.macs == layer.macs
    assert spatial_utilization(fastest.mapping, arch) == pytest.approx(BEST_SPATIAL[design])
    assert fastest.utilization <= BEST_SPATIAL[design] + 1e-12
    given = analyze(layer, arch, load_mapping(DATA / design / "mapping.yaml", tl))
    assert given.valid, given.reason
    assert spatial_utilization(given.mapping, arch) == pytest.approx(GIVEN_SPATIAL[design])
    # These arch files set no DRAM bandwidth and the buffers keep up, so compute bounds.
    assert given.utilization == pytest.approx(GIVEN_SPATIAL[design])
    cheapest = Mapper(arch, objective="energy", seed=0).search(layer).best
    assert cheapest.energy_pj <= given.energy_pj
    assert fastest.cycles <= given.cycles


def test_ert_energies_become_per_word_energies():
    ert = load_ert(DATA / "eyeriss_like" / "ERT_summary.yaml")
    arch = spec("eyeriss_like").architecture
    glb = arch.levels[arch.level_index("shared_glb")]
    # 64-bit wide, 8-bit words: one access moves 8 words (ERT read 18.183829 pJ).
    assert glb.read_energy_pj == pytest.approx(ert["shared_glb"]["read"] / 8)
    assert glb.size_words == 16384 * 8
    assert arch.mac.energy_pj == ert["mac"]["compute"]
    assert [lv.name for lv in arch.levels] == ["DRAM", "shared_glb", "ifmap_spad",
                                               "weights_spad", "psum_spad"]
    assert (glb.mesh_x, glb.mesh_y) == (14, 12)
    assert set(glb.constraints.spatial_x) == {"Q", "M"}
    assert set(glb.constraints.spatial_y) == {"S", "C", "M"}


def test_cluster_size_splits_a_wide_register_and_the_ert_leak_is_kept():
    """simba_like's PEWeightRegs: width 512, datawidth 8, cluster_size 64, depth 1. As
    Timeloop's stats print it: block size 512 / 64 / 8 = 1, size 1 word, 256 instances
    in 4 clusters; the ERT's read 0.259899 pJ per (block) access, leak 0.000169 pJ."""
    ert = load_ert(DATA / "simba_like" / "ERT_summary.yaml")["PEWeightRegs"]
    arch = spec("simba_like").architecture
    i = arch.level_index("PEWeightRegs")
    regs = arch.levels[i]
    assert (regs.block_size, regs.cluster_size, regs.size_words) == (1, 64, 1)
    assert arch.instances[i] == 256
    assert regs.read_energy_pj == ert["read"] and regs.leak_energy_pj == ert["leak"]
    glb = arch.levels[arch.level_index("GlobalBuffer")]
    assert (glb.block_size, glb.cluster_size, glb.size_words) == (32, 1, 2048 * 32)


def test_given_mapping_counts_follow_its_loop_nest():
    """simple_weight_stationary's mapping: Weights leave DRAM once (Q14 is the only DRAM
    loop and weights do not depend on Q)."""
    tl = spec("simple_weight_stationary")
    layer = load_problem(DATA / "default_problem.yaml")
    result = analyze(layer, tl.architecture,
                     load_mapping(DATA / "simple_weight_stationary" / "mapping.yaml", tl))
    assert result.levels["DRAM"]["Weights"]["reads"] == 32 * 3 * 3 * 3
    assert result.levels["DRAM"]["Outputs"]["updates"] == 32 * 112 * 112
    assert result.cycles == layer.macs / 12


def test_unsupported_keys_are_named():
    arch = {"architecture": {"version": 0.4, "nodes": [
        {"_kind": "Component", "name": "DRAM", "class": "DRAM",
         "attributes": {"width": 64, "datawidth": 8, "sparse_optimizations": True}}]}}
    with pytest.raises(ArchGymError, match="sparse_optimizations"):
        load_arch(arch)
    with pytest.raises(ArchGymError, match="problem"):
        load_problem({"nothing": 1})
    assert math.isfinite(spec("simba_like").architecture.area_mm2)


def test_block_and_cluster_sizes_follow_timeloops_derivation():
    """BufferLevel::ParseSpecs: any two of width, block_size and cluster_size give the third;
    all three must agree."""
    def regs(**attrs):
        arch = {"architecture": {"version": 0.4, "nodes": [
            {"_kind": "Component", "name": "DRAM", "class": "DRAM",
             "attributes": {"width": 64, "datawidth": 8}},
            {"_kind": "Container", "name": "PE", "spatial": {"meshX": 4}},
            {"_kind": "Component", "name": "regs", "class": "storage",
             "attributes": {"depth": 2, "datawidth": 8, **attrs}},
            {"_kind": "Component", "name": "mac", "class": "intmac", "attributes": {}}]}}
        lv = load_arch(arch).architecture.levels[1]
        return lv.block_size, lv.cluster_size, lv.size_words

    assert regs(width=64) == (8, 1, 16)
    assert regs(width=64, cluster_size=4) == (2, 4, 4)
    assert regs(width=64, block_size=4) == (4, 2, 8)
    assert regs() == (1, 1, 2)
    with pytest.raises(ArchGymError, match="width"):
        regs(width=64, block_size=4, cluster_size=4)
