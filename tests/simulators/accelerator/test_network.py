"""`network_breakdown`: a network's totals and per-level energies equal its layers' sums."""

import dataclasses

import pytest

from simulators.accelerator.analysis import analyze
from simulators.accelerator.elementwise import elementwise_costs
from simulators.accelerator.mapper import Mapper
from simulators.accelerator.network import network_breakdown
from simulators.accelerator.presets import preset
from simulators.errors import ArchGymError
from simulators.workloads import Layer, network

LAYERS = [Layer("a", M=32, C=16, P=14, Q=14, R=3, S=3), Layer("b", M=64, C=32, P=7, Q=7),
          Layer("a2", M=32, C=16, P=14, Q=14, R=3, S=3)]


@pytest.mark.parametrize("template", [None, "row_stationary", "weight_stationary"])
def test_totals_and_levels_are_the_sums_of_the_layers(template):
    arch = preset("eyeriss_like")
    mapper = Mapper(arch, template=template, budget=200, local_search_rounds=2, seed=3)
    done = network_breakdown(mapper, LAYERS)
    results = [best for _, best in done.layers]
    assert [layer.name for layer, _ in done.layers] == ["a", "b", "a2"]
    assert done.template == template and done.architecture == arch.name
    assert done.cycles == pytest.approx(sum(r.cycles for r in results))
    assert done.energy_pj == pytest.approx(sum(r.energy_pj for r in results))
    assert done.mac_energy_pj == pytest.approx(sum(r.mac_energy_pj for r in results))
    assert done.macs == sum(layer.macs for layer in LAYERS)
    assert list(done.level_energy_pj) == list(arch.level_names)
    for name, energy in done.level_energy_pj.items():
        assert energy == pytest.approx(sum(r.level_energy_pj()[name] for r in results))
    # every pJ is in a level or the MACs, and the derived totals follow from the sums
    assert done.energy_pj == pytest.approx(sum(done.level_energy_pj.values())
                                           + done.mac_energy_pj)
    assert done.edp == pytest.approx(done.energy_pj * done.cycles)
    assert done.energy_per_mac_pj == pytest.approx(done.energy_pj / done.macs)
    assert done.utilization == pytest.approx(done.macs / (done.cycles * arch.num_macs))
    assert done.area_mm2 == arch.area_mm2
    # each layer's result is the analysis of its mapping
    again = analyze(LAYERS[1], arch, results[1].mapping)
    assert again.energy_pj == pytest.approx(results[1].energy_pj)


def test_matches_the_mapper_totals_on_a_network():
    arch = preset("simba_like")
    mapper = Mapper(arch, budget=100, local_search_rounds=1)
    net = network("alexnet")
    done = network_breakdown(mapper, net)
    plain = mapper.map_network(net)
    assert len(done.layers) == len(net.layers)
    # the mapper's totals plus the layers without MACs (AlexNet's three max pools)
    costs = elementwise_costs(arch, net.elementwise)
    assert [layer for layer, _ in done.elementwise] == list(net.elementwise)
    assert len(costs) == 3 and all(c.cycles > 0 and c.energy_pj > 0 for c in costs)
    assert done.cycles == plain.cycles + sum(c.cycles for c in costs)
    assert done.energy_pj == pytest.approx(plain.energy_pj + sum(c.energy_pj for c in costs))
    assert done.macs == plain.macs
    assert done.energy_pj == pytest.approx(sum(done.level_energy_pj.values())
                                           + done.mac_energy_pj)


def test_an_unmappable_layer_is_named():
    # A two-word global buffer that must keep all three data spaces holds no tile (at
    # least one word of each).
    arch = preset("eyeriss_like")
    glb = dataclasses.replace(arch.levels[1], size_words=2,
                              keep=("Weights", "Inputs", "Outputs"), bypass=())
    tiny = dataclasses.replace(arch, levels=(arch.levels[0], glb, *arch.levels[2:]))
    huge = Layer("huge", M=1, C=1, P=1, Q=1, R=4096, S=4096)
    with pytest.raises(ArchGymError, match="no valid mapping of"):
        network_breakdown(Mapper(tiny, budget=20, local_search_rounds=0), [LAYERS[1], huge])
