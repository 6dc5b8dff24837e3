"""Presets against the published parameters, and the technology tables by hand."""

from pathlib import Path

import pytest

from simulators.accelerator.mapper import Mapper
from simulators.accelerator.presets import PRESET_TEMPLATES, PRESETS, preset
from simulators.accelerator.technology import (
    mac_energy_pj,
    network_energy_pj,
    storage_energy_pj,
    technology_level,
)
from simulators.accelerator.timeloop import load_arch
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

DATA = Path(__file__).parents[3] / ".." / "shared" / "data" / "timeloop"

# MAC counts from the papers: Eyeriss 12 x 14; Simba 16 PEs x 8 vector MACs x 8 lanes;
# Timeloop's simple designs 16 x 16; NVDLA nv_full atomic-K 32 x atomic-C 64;
# ShiDianNao 8 x 8; TPU v1 256 x 256.
MACS = {"eyeriss_like": 168, "simba_like": 1024, "simple_output_stationary": 256,
        "simple_weight_stationary": 256, "nvdla_like": 2048, "shidiannao_like": 64,
        "tpu_like": 65536}
# On-chip buffer bytes: Eyeriss 108 KB GLB; TPU 24 MiB unified buffer.
BUFFER_BYTES = {("eyeriss_like", "shared_glb"): 108 * 1024,
                ("tpu_like", "UnifiedBuffer"): 24 * 1024 * 1024,
                ("nvdla_like", "CBUF"): 512 * 1024, ("simba_like", "GlobalBuffer"): 64 * 1024}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_matches_its_paper_and_maps_a_layer(name):
    arch = preset(name)
    assert arch.num_macs == MACS[name]
    for (owner, level), size in BUFFER_BYTES.items():
        if owner == name:
            lv = arch.levels[arch.level_index(level)]
            assert lv.size_words * lv.word_bits // 8 == size
    layer = Layer("conv", M=64, C=64, P=14, Q=14, R=3, S=3)
    best = Mapper(arch, template=PRESET_TEMPLATES[name], budget=300,
                  local_search_rounds=2).search(layer).best
    assert best.valid and best.macs == layer.macs
    # Energy per MAC sits between one MAC and one DRAM word per MAC.
    dram = arch.levels[0].read_energy_pj
    assert arch.mac.energy_pj < best.energy_per_mac_pj < dram + arch.mac.energy_pj


def test_technology_tables_by_hand():
    # Horowitz ISSCC 2014: 8b mult 0.2 pJ + 32b add 0.1 pJ; 16b: 4 x 0.2 + 2 x 0.1.
    assert mac_energy_pj(8) == pytest.approx(0.3)
    assert mac_energy_pj(16) == pytest.approx(1.0)
    # DRAM: 640 pJ per 32 bits -> 160 pJ per byte.
    assert storage_energy_pj(None, 8) == pytest.approx(160.0)
    # Register files (<= 512 B) cost one MAC per access (Eyeriss); NoC two.
    assert storage_energy_pj(64, 8) == pytest.approx(0.3)
    assert network_energy_pj(8) == pytest.approx(0.6)
    # SRAM: Horowitz's 10 pJ per 64-bit read at 8 KB -> 1.25 pJ per byte; larger costs more.
    assert storage_energy_pj(8 * 1024, 8) == pytest.approx(1.25)
    sizes = [1024, 8192, 65536, 1 << 20]
    energies = [storage_energy_pj(s, 8) for s in sizes]
    assert energies == sorted(energies)
    assert storage_energy_pj(1 << 20, 8) == pytest.approx(100 / 8, rel=1e-6)  # 1 MB point
    level = technology_level("glb", 8192, 8, mesh_x=4)
    assert level.network_energy_pj == pytest.approx(0.6) and level.area_mm2 > 0
    with pytest.raises(InvalidArgumentError, match="preset"):
        preset("gpu_like")


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Timeloop examples absent")
def test_arch_without_ert_takes_technology_energies():
    arch = load_arch(DATA / "eyeriss_like" / "arch.yaml").architecture
    glb = arch.levels[arch.level_index("shared_glb")]
    assert glb.read_energy_pj == pytest.approx(storage_energy_pj(glb.size_words, 8))
    assert arch.mac.energy_pj == pytest.approx(mac_energy_pj(8))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_level_arrays_are_built_once_read_only_and_follow_the_levels(name):
    arch = preset(name)
    for method in (arch.capacity_words, arch.forced_keep, arch.forced_bypass,
                   arch.default_keep, arch.level_costs):
        assert method() is method() and not method().flags.writeable
    for i, lv in enumerate(arch.levels):
        assert arch.capacity_words()[i] == (lv.size_words or float("inf"))
        assert [arch.forced_keep()[i, x] for x in range(3)] == \
            [i == 0 or ds in lv.keep for ds in ("Weights", "Inputs", "Outputs")]
        assert [arch.forced_bypass()[i, x] for x in range(3)] == \
            [ds in lv.bypass for ds in ("Weights", "Inputs", "Outputs")]
        assert arch.default_keep()[i].tolist() == \
            [i == 0 or ds not in lv.bypass for ds in ("Weights", "Inputs", "Outputs")]
        assert arch.level_costs()[i, [0, 3, 6, 7]].tolist() == \
            [lv.read_energy_pj, lv.network_energy_pj, lv.mesh_x, lv.mesh_y]
