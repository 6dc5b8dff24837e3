"""archgym/CoDesign-v0: networks and a heterogeneous ASIC under specs."""

import math

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test

from archgym_env import make
from archgym_env.codesign_env import (
    DEFAULT_SPECS,
    HARDWARE_PRESETS,
    make_codesign_env,
    make_codesign_multi_agent_env,
)
from simulators.accuracy.table import NB201Table
from simulators.asic import AsicSimulator, MapperCache
from simulators.errors import InvalidArgumentError
from simulators.networks import network_space

FAST = {"mapper_budget": 20, "mapper_rounds": 1}
SMALL = {"fixed_networks": "smallest", **FAST}


@pytest.mark.parametrize("kwargs", [
    {"fixed_networks": "smallest"},
    {"fixed_networks": "smallest", "mode": "sequential"},
    {"fixed_hardware": "balanced"},
    {"fixed_hardware": "single", "mode": "sequential"},
])
def test_passes_check_env(kwargs):
    env = make("archgym/CoDesign-v0", **FAST, **kwargs).unwrapped
    check_env(env, skip_render_check=True)


def test_contract_names():
    env = make_codesign_env(**FAST)
    names = env.space.names
    assert all(n.startswith(("hw.", "net.imagenet.", "net.cifar10.")) for n in names)
    assert {n for n in names if n.startswith("hw.")} == {
        f"hw.sub{k}.{p}" for k in range(2) for p in ("pes", "dataflow", "bandwidth_gbps")}
    assert "net.imagenet.stage1.depth" in names and "net.cifar10.edge_0_1" in names
    assert "net.imagenet.resolution" not in names  # 224 only
    metrics = set(env.simulator.metric_names)
    assert {"accuracy_pct", "accuracy_imagenet_pct", "accuracy_cifar10_pct", "latency_s",
            "latency_imagenet_s", "latency_cifar10_s", "energy_pj", "area_mm2"} <= metrics
    assert env.objective.mode == "constrained" and env.objective.quality == "accuracy_pct"
    assert len(names) == 57 and env.copy_with(mode="sequential").episode_steps == 57
    assert set(env.groupings) == {"task_hardware", "task_sub"}
    assert set(env.groupings["task_sub"]) == {"imagenet", "cifar10", "sub0", "sub1"}


def test_a_step_is_the_networks_on_the_asic_with_their_accuracy():
    env = make_codesign_env(fixed_hardware="balanced", **FAST)
    env.reset(seed=0)
    design = {**env.space.default_design(), **{f"net.cifar10.edge_{e}": "nor_conv_3x3"
                                                for e in ("0_1", "0_2", "1_2", "0_3", "1_3",
                                                          "2_3")}}
    _, reward, terminated, _, info = env.step(env.space.to_index(design))
    assert terminated and info["valid"]
    m = info["metrics"]
    cifar = NB201Table("cifar10").evaluate("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                                           "|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    assert m["accuracy_cifar10_pct"] == cifar.value
    assert m["accuracy_pct"] == pytest.approx((m["accuracy_imagenet_pct"] + cifar.value) / 2)
    assert info["tasks"]["cifar10"]["accuracy_kind"] == "table"
    assert info["tasks"]["imagenet"]["accuracy_kind"] == "surrogate"
    assert info["tasks"]["imagenet"]["accuracy_std_pct"] > 0
    assert m["latency_s"] == max(m["latency_imagenet_s"], m["latency_cifar10_s"])
    # the same networks on the ASIC simulator directly
    nets = [network_space("mbconv").decode({k[len("net.imagenet."):]: v
                                            for k, v in info["design"].items()
                                            if k.startswith("net.imagenet.")}),
            network_space("nb201").decode({k[len("net.cifar10."):]: v
                                           for k, v in info["design"].items()
                                           if k.startswith("net.cifar10.")})]
    hw = {k[3:]: v for k, v in HARDWARE_PRESETS["balanced"].items()}
    asic = AsicSimulator(tasks=2, max_subs=2, cache=MapperCache(), mapper_budget=20,
                         mapper_rounds=1).evaluate({"subs": 2, **hw}, nets)
    for name in ("latency_s", "energy_pj", "area_mm2"):
        assert m[name] == pytest.approx(asic[name])
    assert m["latency_cifar10_s"] == asic["task1_latency_s"]
    for spec, limit in DEFAULT_SPECS.items():
        assert info["spec_margins"][spec] == pytest.approx(1 - m[spec] / limit)
    feasible = all(m[s] <= v for s, v in DEFAULT_SPECS.items())
    assert info["feasible"] == feasible
    assert reward == (m["accuracy_pct"] / 100 if feasible else pytest.approx(-sum(
        min(1.0, m[s] / v - 1) for s, v in DEFAULT_SPECS.items() if m[s] > v)))


def test_the_default_objective_s_hypervolume_is_the_box_from_the_specs_and_half_accuracy():
    objective = make_codesign_env(**FAST).objective
    metrics = {"accuracy_pct": 80.0, "latency_s": 1e-3, "energy_pj": 4e9, "area_mm2": 6.0}
    box = (1 - 50 / 80) * (1 - 1e-3 / 2.5e-3) * (1 - 4e9 / 1e10) * (1 - 6 / 9)
    archive = objective.new_archive()
    archive.add(objective.minimization_form(metrics))
    assert archive.hypervolume() == pytest.approx(box)
    archive.add(objective.minimization_form({**metrics, "latency_s": 3e-3}))  # breaks a spec
    assert archive.hypervolume() == pytest.approx(box)


@pytest.mark.parametrize("spec", sorted(DEFAULT_SPECS))
def test_each_spec_alone_makes_a_design_infeasible_with_a_bounded_penalty(spec):
    loose = {s: 1e30 for s in DEFAULT_SPECS}
    env = make_codesign_env(fixed_hardware="balanced", specs=loose, **FAST)
    env.reset(seed=0)
    index = env.space.to_index(env.space.default_design())
    _, free, _, _, info = env.step(index)
    assert info["feasible"] and free == pytest.approx(info["metrics"]["accuracy_pct"] / 100)
    value = info["metrics"][spec]
    for factor, penalty in ((0.5, 1.0), (1 / 1.25, 0.25), (1e-9, 1.0)):
        tight = make_codesign_env(fixed_hardware="balanced",
                                  specs={**loose, spec: value * factor}, **FAST)
        tight.reset(seed=0)
        _, reward, _, _, info = tight.step(index)
        assert not info["feasible"]
        assert info["spec_margins"][spec] == pytest.approx(1 - 1 / factor)
        assert reward == pytest.approx(-penalty)  # the penalty alone: below any feasible
        assert tight.objective.reward_range == (-3.0, 1.0)
        assert -3.0 <= reward <= 1.0


def test_shares_above_the_budgets_are_invalid_with_the_hardware_reason():
    env = make_codesign_env(fixed_networks="smallest", **FAST)
    env.reset(seed=0)
    design = {**env.space.default_design(), "hw.sub0.pes": 4096, "hw.sub1.pes": 512}
    _, reward, _, _, info = env.step(env.space.to_index(design))
    assert not info["valid"] and reward == -3.0 and not info["feasible"]
    assert "hw.sub0.pes + hw.sub1.pes" in info["error"] and "4096" in info["error"]


def test_fixed_sides_leave_the_space_and_are_checked():
    hw_fixed = make_codesign_env(fixed_hardware="balanced", **FAST)
    assert not any(n.startswith("hw.") for n in hw_fixed.space.names)
    net_fixed = make_codesign_env(fixed_networks="largest", **FAST)
    assert all(n.startswith("hw.") for n in net_fixed.space.names)
    partial = make_codesign_env(fixed_hardware={"hw.sub1.pes": 0}, **FAST)
    # sub-accelerator 1 is absent: its dataflow and bandwidth leave the space too
    assert not any(n.startswith("hw.sub1.") for n in partial.space.names)
    with pytest.raises(InvalidArgumentError, match="fixed_hardware"):
        make_codesign_env(fixed_hardware="huge")
    with pytest.raises(InvalidArgumentError, match="fixed_networks parameter"):
        make_codesign_env(fixed_networks={"hw.sub0.pes": 512})
    with pytest.raises(InvalidArgumentError, match="hw.sub0.pes"):
        make_codesign_env(fixed_hardware={"hw.sub0.pes": 100})


@pytest.mark.parametrize("reward", ["target", "weighted", "pareto"])
def test_other_reward_modes(reward):
    env = make_codesign_env(reward=reward, fixed_hardware="balanced", **FAST)
    env.reset(seed=0)
    _, r, _, _, info = env.step(env.space.to_index(env.space.default_design()))
    low, high = env.objective.reward_range
    assert info["valid"] and low <= r <= high and math.isfinite(r)


@pytest.mark.parametrize("grouping", ["task_hardware", "task_sub"])
def test_multi_agent_form_passes_the_parallel_api_test(grouping):
    env = make_codesign_multi_agent_env(grouping, fixed_networks="smallest", **FAST)
    # the networks are fixed, so only hardware agents are left
    assert set(env.possible_agents) == ({"hardware"} if grouping == "task_hardware"
                                        else {"sub0", "sub1"})
    parallel_api_test(env, num_cycles=3)
    full = make_codesign_multi_agent_env(grouping, **FAST)
    assert set(full.possible_agents) == {"imagenet", "cifar10"} | set(env.possible_agents)


def test_sequential_mode_builds_one_parameter_per_step():
    env = make_codesign_env(mode="sequential", fixed_hardware="balanced", **FAST)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for t in range(len(env.space.names)):
        _, reward, terminated, _, info = env.step(int(rng.integers(env.action_space.n)))
        assert terminated == (t == len(env.space.names) - 1)
    assert info["valid"] and "tasks" in info


def test_three_sub_accelerators_and_one_task():
    env = make_codesign_env(max_subs=3, tasks=["cifar10"], fixed_networks="default", **FAST)
    assert {n.split(".")[1] for n in env.space.names} == {"sub0", "sub1", "sub2"}
    env.reset(seed=0)
    _, _, _, _, info = env.step(env.space.to_index(env.space.default_design()))
    assert info["valid"] and set(info["tasks"]) == {"cifar10"}
    assert info["metrics"]["accuracy_pct"] == info["metrics"]["accuracy_cifar10_pct"]
    for bad in ({"max_subs": 9}, {"tasks": ["mnist"]}, {"specs": {"power_mw": 1.0}},
                {"task_weights": {"imagenet": 1.0}}):
        with pytest.raises(InvalidArgumentError):
            make_codesign_env(**{**FAST, **bad})
