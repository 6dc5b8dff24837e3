"""The generic multi-agent ParallelEnv on every registered environment."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test

from archgym_env import ENVIRONMENTS, make
from archgym_env.dram_env import SUBSYSTEMS, make_dram_multi_agent_env
from archgym_env.multi_agent import MultiAgentDesignEnv, check_grouping, per_parameter
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

SMALL = {"n_requests": 400}


@pytest.mark.parametrize("grouping", ["subsystem", "per_parameter"])
def test_dram_multi_agent_env_passes_the_parallel_api_test(grouping):
    parallel_api_test(make_dram_multi_agent_env(grouping, **SMALL), num_cycles=4)


def test_it_wraps_any_one_shot_env():
    env = make("archgym/Systolic-v0").unwrapped
    groups = {"array": ("rows", "cols", "dataflow"),
              "memory": ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb",
                         "dram_bandwidth_words")}
    parallel_api_test(MultiAgentDesignEnv(env, groups), num_cycles=4)


def test_joint_action_is_the_single_agent_design_and_reward_is_shared():
    ma = make_dram_multi_agent_env("subsystem", **SMALL)
    single = make("archgym/DRAM-v0", **SMALL).unwrapped
    ma.reset(seed=0)
    single.reset(seed=0)
    actions = {a: ma.action_space(a).sample() for a in ma.agents}
    obs, rewards, terms, truncs, infos = ma.step(actions)
    design = infos["scheduling"]["design"]
    active = single.space.active(design)
    for agent, params in SUBSYSTEMS.items():
        for name, i in zip(params, actions[agent], strict=True):
            p = single.space[name]  # inactive (refresh limits under NoRefresh): canonical
            assert design[name] == p.choices[i if active[name] else p.default_index]
    s_obs, s_reward, *_ = single.step(single.space.to_index(design))
    assert set(rewards.values()) == {s_reward}
    assert all(np.array_equal(o, s_obs) for o in obs.values())
    assert np.array_equal(ma.state(), s_obs) and ma.state_space.contains(ma.state())
    assert all(terms.values()) and ma.agents == []


def test_difference_reward_is_zero_for_an_agent_that_keeps_its_defaults():
    ma = make_dram_multi_agent_env("subsystem", agent_reward="difference", **SMALL)
    ma.reset(seed=0)
    default = ma.env.space.to_index(ma.env.space.default_design())
    actions = {a: default[ma._columns[a]] for a in ma.agents}
    actions["scheduling"] = np.array([2, 2, 1])  # FrFcfsGrp, Reorder arbiter, Reorder queue
    _, rewards, _, _, infos = ma.step(actions)
    assert rewards["buffering"] == 0.0 and rewards["page_refresh"] == 0.0
    team = ma.env.objective.reward(infos["scheduling"]["metrics"])
    base = ma.env.evaluate_batch([ma.env.space.default_design()])[0].reward
    assert rewards["scheduling"] == pytest.approx(team - base)
    assert ma.env.evaluations == 2  # counterfactuals are not counted (the check above is one)


def test_groupings_must_partition_the_parameters():
    space = make("archgym/DRAM-v0", **SMALL).unwrapped.space
    assert per_parameter(space) == {n: (n,) for n in space.names}
    with pytest.raises(InvalidArgumentError, match="unowned: Arbiter"):
        check_grouping(space, {k: [p for p in v if p != "Arbiter"]
                               for k, v in SUBSYSTEMS.items()})
    with pytest.raises(InvalidArgumentError, match="grouping parameter"):
        check_grouping(space, {"a": ["Nope"]})
    with pytest.raises(InvalidArgumentError, match="grouping"):
        make_dram_multi_agent_env("by_mood", **SMALL)


SMALL_ENVS = {
    "archgym/Systolic-v0": {"workload": "alexnet", "resolution": 64},
    "archgym/DRAM-v0": SMALL,
    "archgym/Accelerator-v0": {"workload": [Layer("a", M=16, C=8, P=8, Q=8, R=3, S=3)],
                               "mapper_budget": 60, "mapper_rounds": 1},
    "archgym/Mapping-v0": {},
    "archgym/CoDesign-v0": {"fixed_networks": "smallest", "mapper_budget": 20,
                            "mapper_rounds": 1},
}


@pytest.mark.parametrize("env_id", sorted(ENVIRONMENTS))
def test_every_registered_env_and_its_multi_agent_form_pass_the_api_tests(env_id):
    env = make(env_id, **SMALL_ENVS[env_id]).unwrapped
    check_env(env, skip_render_check=True)
    parallel_api_test(MultiAgentDesignEnv(env, "per_parameter"), num_cycles=3)
