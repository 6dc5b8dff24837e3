"""archgym/Accelerator-v0 on the real mapper and analysis."""

import dataclasses

import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym_env import make
from archgym_env.accelerator_env import ACCELERATOR_SPACE
from simulators.accelerator.mapper import TEMPLATES, Mapper
from simulators.accelerator.simulator import AcceleratorSimulator, build_architecture
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

SMALL = [Layer("a", M=16, C=8, P=8, Q=8, R=3, S=3), Layer.fc("fc", 64, 10)]


@pytest.mark.parametrize("kwargs", [{}, {"mode": "sequential"}, {"reward": "constrained"}])
def test_accelerator_env_passes_check_env(kwargs):
    env = make("archgym/Accelerator-v0", workload=SMALL, mapper_budget=100, mapper_rounds=1,
               **kwargs).unwrapped
    check_env(env, skip_render_check=True)


def test_step_reports_the_mapped_networks_metrics():
    env = make("archgym/Accelerator-v0", workload=SMALL, mapper_budget=100,
               mapper_rounds=1).unwrapped
    env.reset(seed=0)
    design = {**ACCELERATOR_SPACE.default_design(), "dataflow": "weight_stationary"}
    _, reward, terminated, _, info = env.step(ACCELERATOR_SPACE.to_index(design))
    assert terminated and info["valid"]
    arch = build_architecture(info["design"])
    expected = Mapper(arch, template="weight_stationary", budget=100,
                      local_search_rounds=1).map_network(SMALL)
    assert info["metrics"]["energy_pj"] == pytest.approx(expected.energy_pj)
    assert info["metrics"]["latency_cycles"] == expected.cycles
    assert info["metrics"]["edp_pj_s"] == pytest.approx(expected.energy_pj * expected.cycles
                                                        * 1e-9)  # 1 GHz by default
    assert info["metrics"]["area_mm2"] == pytest.approx(arch.area_mm2)
    assert 0 < reward <= 1


def test_more_pes_cost_area_and_save_cycles():
    sim = AcceleratorSimulator(mapper_budget=200, mapper_rounds=2)
    base = {**ACCELERATOR_SPACE.default_design(), "dataflow": "output_stationary",
            "noc_bandwidth_words": 64, "dram_bandwidth_words": 64}
    small = sim.evaluate({**base, "pe_x": 2, "pe_y": 2}, SMALL)
    large = sim.evaluate({**base, "pe_x": 8, "pe_y": 8}, SMALL)
    assert large["area_mm2"] > small["area_mm2"]
    assert large["latency_cycles"] < small["latency_cycles"]
    assert all(0 < m["utilization"] <= 1 for m in (small, large))


BUFFERS = ("ifmap_spad_words", "weights_spad_words", "psum_spad_words", "glb_kb")
# Bandwidth-bound, so that tiling sets the cycles (the adaptive search fails this test on
# about 6% of such cases).
STARVED = {"dram_bandwidth_words": 1, "noc_bandwidth_words": 2}
TILED = [Layer("a", M=64, C=32, P=14, Q=14, R=3, S=3), Layer("b", M=48, C=24, P=28, Q=28)]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(BUFFERS), st.sampled_from(sorted(TEMPLATES)),
       st.integers(0, 8), st.integers(0, 100))
def test_monotone_mapper_never_adds_latency_with_a_larger_buffer(buffer, dataflow, rung, seed):
    """Cycles do not depend on the size-dependent energies, so the monotone search's
    guarantee carries to the network: one buffer grown, every layer as fast or faster."""
    sim = AcceleratorSimulator(objective="cycles", mapper_budget=100, mapper_rounds=3,
                               seed=seed, mapper_search="monotone")
    values = ACCELERATOR_SPACE[buffer].choices
    small = {**ACCELERATOR_SPACE.default_design(), **STARVED, "dataflow": dataflow,
             buffer: values[min(rung, len(values) - 2)]}
    large = {**small, buffer: values[values.index(small[buffer]) + 1]}
    cycles = [sim.evaluate(d, TILED)["latency_cycles"] for d in (small, large)]
    assert cycles[1] <= cycles[0]


def test_mapper_search_is_checked_by_name():
    with pytest.raises(InvalidArgumentError, match="mapper_search"):
        make("archgym/Accelerator-v0", mapper_search="greedy")


def test_dataflow_offers_distinct_templates_and_accepts_their_aliases():
    offered = ACCELERATOR_SPACE["dataflow"].choices
    shapes = [(TEMPLATES[t].spatial_x, TEMPLATES[t].spatial_y, TEMPLATES[t].inner)
              for t in offered]
    assert len(set(shapes)) == len(shapes) == 5
    assert set(shapes) == {(t.spatial_x, t.spatial_y, t.inner) for t in TEMPLATES.values()}
    for name, template in TEMPLATES.items():  # every template name is still a design value
        chosen = ACCELERATOR_SPACE.complete({"dataflow": name})["dataflow"]
        assert chosen in offered and TEMPLATES[chosen] == dataclasses.replace(template,
                                                                             name=chosen)
    assert ACCELERATOR_SPACE.validate({**ACCELERATOR_SPACE.default_design(),
                                       "dataflow": "nvdla_like"})["dataflow"] == \
        "weight_stationary"
    assert ACCELERATOR_SPACE.complete({"dataflow": "tpu_like"}) == \
        ACCELERATOR_SPACE.complete({"dataflow": "weight_stationary"})
    assert ACCELERATOR_SPACE.complete({"dataflow": "eyeriss_like"})["dataflow"] == \
        "row_stationary"
    assert ACCELERATOR_SPACE.size == 5 * 5 * 7 * 7 * 7 * 7 * 6 * 7 * 7 * 5 * 2
