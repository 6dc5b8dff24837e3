"""archgym/Mapping-v0: actions, invalid mappings, directive and Timeloop inputs."""

from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from archgym_env import make
from simulators.accelerator.analysis import analyze
from simulators.accelerator.directives import parse_directives
from simulators.accelerator.mapping import Mapping
from simulators.accelerator.presets import preset
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

DATA = Path(__file__).parents[2] / ".." / "shared" / "data" / "timeloop"
LAYER = Layer("conv", M=16, C=8, P=8, Q=8, R=3, S=3)


@pytest.fixture(scope="module")
def env():
    return make("archgym/Mapping-v0", layer=LAYER).unwrapped


@pytest.mark.parametrize("mode", ["one_shot", "sequential"])
def test_mapping_env_passes_check_env(mode):
    check_env(make("archgym/Mapping-v0", layer=LAYER, mode=mode).unwrapped,
              skip_render_check=True)


def test_invalid_mappings_get_the_penalty_and_a_reason(env):
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    seen_invalid = seen_valid = 0
    for _ in range(60):
        env.reset()  # one step per one-shot episode
        _, reward, _, _, info = env.step(rng.integers(0, env.space.nvec))
        if info["valid"]:
            seen_valid += 1
            assert reward > env.objective.reward_range[0]
        else:
            seen_invalid += 1
            assert reward == env.objective.reward_range[0]
            assert info["error"] and "non-finite" not in info["error"]
    assert seen_invalid and seen_valid


def test_batch_errors_are_the_analysis_reasons(env):
    """The reason a batch reports is the one the mapping and its analysis give."""
    env.reset(seed=0)
    rng = np.random.default_rng(2)
    designs = [env.space.from_index(rng.integers(0, env.space.nvec)) for _ in range(80)]
    invalid = 0
    for design, record in zip(designs, env.evaluate_batch(designs), strict=True):
        info = record.info()
        mapping = env.simulator.to_mapping(design)
        expected = mapping if isinstance(mapping, str) else analyze(
            LAYER, env.simulator.arch, mapping).reason
        if info["valid"]:
            assert expected == "valid"
        else:
            invalid += 1
            reason = env.simulator.evaluate_batch([design]).reasons[0]
            assert info["error"] == expected == reason is not None
    assert invalid


def test_default_targets_are_the_mappers_best(env):
    goals = {g.metric: g.target for g in env.objective.goals}
    assert set(goals) == {"energy_pj", "latency_cycles"} and all(goals.values())
    # Choice 0 of every parameter: every loop at DRAM, nothing unrolled - always valid, and
    # no better than the mapper's best.
    env.reset(seed=0)
    _, reward, _, _, info = env.step(np.zeros(len(env.space.nvec), dtype=np.int64))
    assert info["valid"] and 0 < reward < 1
    mapping = env.simulator.to_mapping(info["design"])
    assert isinstance(mapping, Mapping) and mapping.temporal[0] == (1, 16, 8, 8, 8, 3, 3)


def test_spatial_choices_always_divide_the_bound(env):
    rng = np.random.default_rng(1)
    for _ in range(200):
        design = env.space.from_index(rng.integers(0, env.space.nvec))
        mapping = env.simulator.to_mapping(design)
        if isinstance(mapping, str):  # only when both axes unroll one dimension too far
            assert design["shared_glb.x_dim"] == design["shared_glb.y_dim"]
            assert "other spatial factors" in mapping
            continue
        assert analyze(LAYER, env.simulator.arch, mapping).macs == LAYER.macs


def test_directives_translate_to_the_same_loop_nest():
    """Output-channel parallel over the 14 columns, channel-parallel over the 12 rows."""
    arch = preset("eyeriss_like")
    layer = Layer("conv", M=28, C=12, P=8, Q=8, R=3, S=3)
    text = """Dataflow {
        TemporalMap(14,14) K;   // two groups of 14 output channels
        SpatialMap(1,1) K;
        TemporalMap(1,1) Y';
        TemporalMap(1,1) X';
        Cluster(12);
        SpatialMap(1,1) C;
        TemporalMap(Sz(R),Sz(R)) R;
    }"""
    parsed = parse_directives(text, arch, layer)
    L = len(arch.levels)
    # K: 2 at DRAM, 14 across meshX; P and Q one row and column at a time at the global
    # buffer (between the SpatialMaps); C: 12 across meshY; R and S left to the innermost level.
    assert parsed.temporal[0] == (1, 2, 1, 1, 1, 1, 1)
    assert parsed.spatial_x[1] == (1, 14, 1, 1, 1, 1, 1)
    assert parsed.temporal[1] == (1, 1, 1, 8, 8, 1, 1)
    assert parsed.permutation[1][-2:] == ("P", "Q")
    assert parsed.spatial_y[1] == (1, 1, 12, 1, 1, 1, 1)
    assert parsed.temporal[L - 1] == (1, 1, 1, 1, 1, 3, 3)
    result = analyze(layer, arch, parsed)
    assert result.valid and result.macs == layer.macs
    # All 168 PEs busy and nothing else bounds the run: one MAC per PE per cycle.
    assert result.cycles == layer.macs / 168


def test_bad_directives_raise_with_the_allowed_forms():
    arch = preset("eyeriss_like")
    with pytest.raises(InvalidArgumentError, match="TemporalMap"):
        parse_directives("SpatialMap(1,1) K; Loop K;", arch, LAYER)
    with pytest.raises(InvalidArgumentError, match="divisor"):
        parse_directives("TemporalMap(5,5) K;", arch, LAYER)


def test_evaluate_mapping_accepts_directives(env):
    reward, info = env.evaluate_mapping("TemporalMap(8,8) K; SpatialMap(1,1) K; TemporalMap(1,1) "
                                        "Y'; TemporalMap(1,1) X'; Cluster(12); "
                                        "SpatialMap(1,1) C;")
    assert info["valid"] and reward > env.objective.reward_range[0]
    assert "Spatial-X" in info["mapping_text"]


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Timeloop examples absent")
def test_evaluate_mapping_accepts_timeloop_yaml():
    design = DATA / "simple_weight_stationary"
    problem = Layer("problem", M=32, C=3, P=112, Q=112, R=3, S=3, Hstride=2, Wstride=2)
    env = make("archgym/Mapping-v0", arch=str(design / "arch.yaml"),
               ert=str(design / "ERT_summary.yaml"), layer=problem).unwrapped
    reward, info = env.evaluate_mapping(design / "mapping.yaml")
    assert info["valid"] and info["metrics"]["utilization"] == pytest.approx(12 / 256)
    assert 0 < reward <= 1


def test_evaluate_mapping_reports_like_a_step_in_pareto_mode():
    """A mapping given directly gets the same info as the design naming it, pareto keys too."""
    env = make("archgym/Mapping-v0", layer=LAYER, reward="pareto",
               references={"energy_pj": 1e15, "latency_cycles": 1e15}).unwrapped
    env.reset(seed=0)
    design = env.space.from_index(np.zeros(len(env.space.nvec), dtype=np.int64))
    step = env.evaluate_batch([design])
    step_reward, step_info = step[0].reward, step.info(0)
    env.reset(seed=0)
    reward, info = env.evaluate_mapping(env.simulator.to_mapping(design))
    assert set(info) == set(step_info) | {"mapping_text"}
    assert reward == step_reward > 0 and info["hypervolume"] == env.archive.hypervolume() > 0
    assert info["reward_vector"].tolist() == (
        -env.objective.minimization_form(info["metrics"])).tolist()


def test_the_mapper_searches_only_for_missing_goals(monkeypatch):
    from simulators.accelerator.mapper import Mapper

    def refuse(self, layer):
        raise AssertionError("searched although every goal was given")

    monkeypatch.setattr(Mapper, "search", refuse)
    targets = {"energy_pj": 1e6, "latency_cycles": 1e4}
    env = make("archgym/Mapping-v0", layer=LAYER, targets=targets).unwrapped
    assert {g.metric: g.target for g in env.objective.goals} == targets
    with pytest.raises(AssertionError, match="searched"):
        make("archgym/Mapping-v0", layer=LAYER, reward="pareto")
