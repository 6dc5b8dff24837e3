"""The generic environment on the real systolic model, in both modes."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from archgym_env import DesignEnv, make
from archgym_env.objective import make_objective
from archgym_env.space import Categorical, Constraint, DesignSpace, PowerOfTwo
from simulators.base import Metric
from simulators.errors import InvalidArgumentError
from simulators.systolic import SystolicArray
from simulators.workloads import Gemm, Layer

SIM = SystolicArray()
SMALL = DesignSpace(
    (PowerOfTwo("rows", 4, 32), PowerOfTwo("cols", 4, 32), Categorical("dataflow", ("os", "ws")),
     PowerOfTwo("ifmap_sram_kb", 1, 8), PowerOfTwo("filter_sram_kb", 1, 8),
     PowerOfTwo("ofmap_sram_kb", 1, 8), PowerOfTwo("dram_bandwidth_words", 1, 16)),
    constraints=(Constraint(lambda d: d["rows"] * d["cols"] <= 256, "rows * cols <= 256"),),
)
WORKLOAD = [Layer("conv", M=16, C=8, P=8, Q=8, R=3, S=3), Gemm(rows=1, inner=64, cols=10)]


PARETO_REFERENCES = {"latency_s": 5e-3, "energy_pj": 2e10, "area_mm2": 40.0}


def square_array(side):
    """Action for a side x side array with the largest SRAMs and bandwidth."""
    return SMALL.to_index({"rows": side, "cols": side, "dataflow": "os", "ifmap_sram_kb": 8,
                           "filter_sram_kb": 8, "ofmap_sram_kb": 8, "dram_bandwidth_words": 16})


def small_env(mode="one_shot", reward="target", **kwargs):
    objective = make_objective(reward, ("latency_cycles", "energy_pj"), SIM.metrics,
                               targets={"latency_cycles": 2000, "energy_pj": 2e6})
    return DesignEnv(SMALL, SIM, WORKLOAD, objective, mode=mode, **kwargs)


@pytest.mark.parametrize("mode", ["one_shot", "sequential"])
def test_generic_env_passes_check_env(mode):
    check_env(small_env(mode), skip_render_check=True)


@pytest.mark.parametrize("kwargs", [{}, {"mode": "sequential"}, {"reward": "pareto"},
                                    {"reward": "constrained"}, {"max_steps": 4}])
def test_systolic_env_passes_check_env(kwargs):
    check_env(make("archgym/Systolic-v0", **kwargs).unwrapped, skip_render_check=True)


def test_one_shot_reports_the_simulators_metrics():
    env = small_env()
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(square_array(8))
    assert terminated and not truncated
    assert info["metrics"] == SIM.evaluate(info["design"], WORKLOAD)
    assert reward == pytest.approx(env.objective.reward(info["metrics"]))
    assert info["valid"] and info["evaluations"] == 1
    assert env.observation_space.contains(obs)
    lat = info["metrics"]["latency_cycles"]
    assert obs[len(SMALL.parameters)] == pytest.approx(lat / (lat + 2000), rel=1e-5)


def test_constraint_violation_is_penalized_not_raised():
    env = small_env()
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(square_array(32))
    assert terminated and not info["valid"] and "rows * cols <= 256" in info["error"]
    assert reward == env.objective.reward_range[0]


def test_sequential_rewards_only_the_finished_design():
    env = small_env("sequential")
    obs, _ = env.reset(seed=1)
    assert np.all(obs[:-1] == -1) and obs[-1] == 0
    n_max = env.action_space.n
    rewards = []
    for t in range(len(SMALL.parameters)):
        obs, reward, terminated, _, info = env.step(n_max - 1)  # the last bin: largest choice
        rewards.append(reward)
        assert terminated == (t == len(SMALL.parameters) - 1)
        assert obs[t] == 1.0
    assert rewards[:-1] == [0.0] * (len(rewards) - 1)
    assert info["design"]["rows"] == 32 and info["design"]["dataflow"] == "ws"


def test_refinement_episodes_truncate_after_max_steps():
    env = small_env(max_steps=3)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    ends = []
    for _ in range(3):
        action = SMALL.to_index(SMALL.sample(rng)[0])
        _, _, terminated, truncated, info = env.step(action)
        ends.append(truncated or terminated)
        if info["targets_met"]:
            break
    assert ends[-1] and not any(ends[:-1])


def test_pareto_mode_reports_vector_hypervolume_and_a_reward_fixed_per_design():
    env = make("archgym/Systolic-v0", reward="pareto", references=PARETO_REFERENCES).unwrapped
    rng = np.random.default_rng(0)
    hv, first = 0.0, None
    for design in env.space.sample(rng, 30):
        env.reset()
        _, reward, _, _, info = env.step(env.space.to_index(design))
        assert info["reward_vector"].shape == (3,)
        assert info["hypervolume"] == pytest.approx(hv + info["hypervolume_gain"])
        # the reward is the box the design dominates alone, whatever came before
        assert reward == pytest.approx(np.prod(np.clip(1 + info["reward_vector"], 0, 1)))
        hv = info["hypervolume"]
        if first is None and info["hypervolume_gain"] > 0:
            first = (design, reward, info["hypervolume_gain"])
    design, reward, gain = first
    env.reset()  # a one-shot episode ends after its step
    _, again, _, _, info = env.step(env.space.to_index(design))
    assert again == reward > 0 and info["hypervolume_gain"] == 0.0 < gain


def test_index_matrix_and_dicts_give_the_same_records():
    env = make("archgym/Systolic-v0").unwrapped
    index = np.random.default_rng(0).integers(0, env.space.nvec, size=(40, len(env.space.nvec)))
    by_index = env.evaluate_batch(index)
    by_dicts = env.evaluate_batch([env.space.from_index(row) for row in index])
    np.testing.assert_array_equal(by_index.rewards, by_dicts.rewards)
    np.testing.assert_array_equal(by_index.objectives, by_dicts.objectives)
    assert by_index.evaluations.tolist() == list(range(1, 41))
    assert by_dicts.evaluations.tolist() == list(range(41, 81))
    record = by_index[3]
    assert record.design == env.space.from_index(index[3]) == by_dicts[3].design
    assert record.index.tolist() == index[3].tolist() and record.valid and record.reason is None
    assert record.metrics == env.simulator.evaluate(record.design, env.workload)
    np.testing.assert_allclose(record.objectives,
                               env.objective.minimization_form(record.metrics))
    assert record.reward == pytest.approx(env.objective.reward(record.metrics))


def test_bad_rows_of_a_batch_are_invalid_records_with_reasons():
    env = small_env()
    out_of_range = square_array(8)
    out_of_range[0] = 99
    batch = env.evaluate_batch(np.array([square_array(8), out_of_range, square_array(32)]))
    assert batch.valid.tolist() == [True, False, False]
    assert "rows=99" in batch.reasons[1] and batch[1].index is None
    assert batch.reasons[2] == "rows * cols <= 256"  # the space's constraint
    assert batch.rewards[1] == batch.rewards[2] == env.objective.reward_range[0]
    assert (batch.objectives[1:] == 1e12).all() and batch[1].metrics == {}
    good = SMALL.from_index(square_array(8))
    missing = {k: v for k, v in good.items() if k != "cols"}
    dicts = env.evaluate_batch([good, {**good, "rows": 3}, missing])
    assert dicts.valid.tolist() == [True, False, False]
    assert "rows=3" in dicts.reasons[1] and "cols=None" in dicts.reasons[2]
    assert dicts[1].design == {**good, "rows": 3} and dicts[0].design == good
    with pytest.raises(InvalidArgumentError, match="designs"):
        env.evaluate_batch(np.zeros((2, 5), dtype=np.int64))


def test_workload_is_prepared_once_and_again_when_replaced():
    env = small_env()
    prepared = env.prepared_workload()
    env.evaluate_batch([SMALL.from_index(square_array(8))])
    assert env.prepared_workload() is prepared and prepared.macs == SIM.prepare(WORKLOAD).macs
    env.workload = [Gemm(rows=2, inner=2, cols=2)]
    assert env.prepared_workload().macs == 8
    assert env.evaluate_batch([SMALL.from_index(square_array(8))])[0].metrics["macs"] == 8


def test_bad_arguments_are_named():
    with pytest.raises(InvalidArgumentError, match="mode"):
        small_env("two_shot")
    with pytest.raises(InvalidArgumentError, match="max_steps"):
        small_env(max_steps=0)
    accuracy = make_objective("target", ("accuracy",), (Metric("accuracy", "fraction", "max"),),
                              targets={"accuracy": 1.0})
    with pytest.raises(InvalidArgumentError, match="objective metric='accuracy'"):
        DesignEnv(SMALL, SIM, WORKLOAD, accuracy)


def test_vector_env_batches_the_same_evaluations():
    import gymnasium as gym

    vec = gym.make_vec("archgym/Systolic-v0", num_envs=16)
    single = make("archgym/Systolic-v0").unwrapped
    obs, _ = vec.reset(seed=3)
    assert obs.shape == (16, single.observation_space.shape[0])
    actions = vec.action_space.sample()
    _, rewards, terminated, truncated, infos = vec.step(actions)
    assert terminated.all() and not truncated.any()
    for action, reward, final_obs in zip(actions, rewards, infos["final_obs"], strict=True):
        single.reset()
        s_obs, s_reward, *_ = single.step(action)
        assert reward == pytest.approx(s_reward)
        np.testing.assert_allclose(final_obs, s_obs)


def test_detached_evaluations_leave_archive_and_count_even_on_error():
    env = make("archgym/Systolic-v0", reward="pareto", references=PARETO_REFERENCES).unwrapped
    first, second = env.space.sample(np.random.default_rng(1), 2)
    gain = env.evaluate_batch([first])[0].hypervolume_gain
    archive, hv = env.archive, env.archive.hypervolume()
    with pytest.raises(InvalidArgumentError), env.detached():
        # a fresh archive: the same design earns its full hypervolume again
        assert env.evaluate_batch([first])[0].hypervolume_gain == pytest.approx(gain)
        env.evaluate_batch([second])
        assert env.evaluations == 3 and env.archive is not archive
        raise InvalidArgumentError("design", "x", "anything")
    assert env.archive is archive and env.archive.hypervolume() == hv and env.evaluations == 1


def test_hypervolume_gain_reward_wrapper_gives_the_gain():
    from archgym_env.wrappers import HypervolumeGainReward

    env = HypervolumeGainReward(make("archgym/Systolic-v0", reward="pareto",
                                     references=PARETO_REFERENCES))
    env.reset(seed=0)
    gains = []
    for design in env.unwrapped.space.sample(np.random.default_rng(3), 20):
        env.reset()  # one step per one-shot episode; the archive carries on
        _, reward, _, _, info = env.step(env.unwrapped.space.to_index(design))
        assert reward == info["hypervolume_gain"]
        gains.append(reward)
    assert sum(gains) == pytest.approx(env.unwrapped.archive.hypervolume())
    with pytest.raises(InvalidArgumentError, match="pareto"):
        HypervolumeGainReward(make("archgym/Systolic-v0"))


def test_a_design_can_pick_its_workload():
    from archgym_env.systolic_env import SYSTOLIC_SPACE
    from simulators.workloads import network

    nets = {"resnet18": network("resnet18", resolution=64),
            "mobilenet_v2": network("mobilenet_v2", resolution=64)}
    space = DesignSpace((*SYSTOLIC_SPACE.parameters, Categorical("network", tuple(nets))))
    objective = make_objective("target", ("latency_s",), SIM.metrics,
                               targets={"latency_s": 1e-4})
    env = DesignEnv(space, SIM, nets, objective, workload_parameter="network")
    check_env(env, skip_render_check=True)
    index = np.random.default_rng(0).integers(0, space.nvec, size=(30, len(space.nvec)))
    batch = env.evaluate_batch(index)
    assert len({r.design["network"] for r in batch}) == 2
    for record in batch:
        hardware = {k: v for k, v in record.design.items() if k != "network"}
        assert record.metrics == SIM.evaluate(hardware, nets[record.design["network"]])
    assert set(env._prepared) == {"resnet18", "mobilenet_v2"}
    assert env.prepared_workload("resnet18").macs == nets["resnet18"].macs
    with pytest.raises(InvalidArgumentError, match="network"):
        DesignEnv(space, SIM, {"resnet18": nets["resnet18"]}, objective,
                  workload_parameter="network")
