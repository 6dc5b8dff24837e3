"""archgym/DRAM-v0: Gymnasium API, workloads from generators and files, presets."""

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from archgym_env import make
from archgym_env.dram_env import dram_space, make_dram_env
from simulators.dram import DDR4_2400_X8_4GB, LPDDR4_3200_X16_8GB, RAMULATOR_DDR4
from simulators.errors import InvalidArgumentError, InvalidDesignError

DATA = Path(__file__).parents[2] / ".." / "shared" / "data" / "dramsys"
SMALL = {"n_requests": 600}


@pytest.mark.parametrize("kwargs", [{}, {"mode": "sequential"}, {"reward": "pareto"},
                                    {"reward": "constrained"}, {"memspec": "LPDDR4-3200"},
                                    {"max_steps": 3}])
def test_dram_env_passes_check_env(kwargs):
    check_env(make("archgym/DRAM-v0", **SMALL, **kwargs).unwrapped, skip_render_check=True)


def test_a_step_reports_the_simulators_metrics_for_the_chosen_design():
    env = make_dram_env(**SMALL)
    env.reset(seed=0)
    design = {**env.space.default_design(), "PagePolicy": "Closed", "Scheduler": "Fifo"}
    _, reward, terminated, _, info = env.step(env.space.to_index(design))
    assert terminated and info["valid"] and info["design"] == design
    assert info["metrics"] == env.simulator.evaluate(design, env.workload)
    assert set(("latency_ns", "power_mw", "energy_pj", "bandwidth_gbps")) <= set(info["metrics"])
    assert 0.0 <= reward <= 1.0


def test_per_bank_refresh_is_offered_only_where_the_standard_has_it():
    assert "PerBank" not in dram_space(DDR4_2400_X8_4GB)["RefreshPolicy"].choices
    assert "PerBank" in dram_space(LPDDR4_3200_X16_8GB)["RefreshPolicy"].choices
    with pytest.raises(InvalidDesignError):
        dram_space(DDR4_2400_X8_4GB).validate({**dram_space(LPDDR4_3200_X16_8GB)
                                               .default_design(), "RefreshPolicy": "PerBank"})


def test_issue_value_sets():
    space = dram_space(DDR4_2400_X8_4GB)
    assert space["RequestBufferSize"].choices == (1, 2, 4, 8, 16, 32, 64, 128)
    assert space["MaxActiveTransactions"].choices == (1, 2, 4, 8, 16, 32, 64, 128)
    # 0..8: DRAMSys' own configs (fr_fcfs.json) and Ramulator's timing use 0
    assert space["RefreshMaxPostponed"].choices == tuple(range(0, 9))
    assert len(space["PagePolicy"].choices) == 4 and len(space["Arbiter"].choices) == 3


def test_ramulator_trace_file_and_saturating_mode(tmp_path):
    path = tmp_path / "trace.txt"
    path.write_text("".join(f"0x{i * 64:x} {'W' if i % 4 == 0 else 'R'}\n" for i in range(300)))
    env = make_dram_env(workload=str(path), injection="saturating")
    assert len(env.workload.trace) == 300 and env.workload.injection == "saturating"
    assert env.workload.trace.is_write.sum() == 75
    info = env.evaluate_batch([env.space.default_design()])[0].info()
    assert info["metrics"]["rd_count"] == 225 and info["metrics"]["wr_count"] == 75


def test_ramulator_preset_fixes_the_options_outside_the_space():
    env = make_dram_env(preset="ramulator-ddr4", **SMALL)
    assert env.simulator.base == RAMULATOR_DDR4 and env.workload.injection == "saturating"
    assert env.simulator.spec == DDR4_2400_X8_4GB
    with pytest.raises(InvalidArgumentError, match="dram preset"):
        make_dram_env(preset="gem5")


def test_unknown_workload_is_one_clear_error():
    with pytest.raises(InvalidArgumentError, match="streaming"):
        make_dram_env(workload="no-such-trace")


def test_vector_env_batches_designs():
    vec = gym.make_vec("archgym/DRAM-v0", num_envs=3, **SMALL)
    vec.reset(seed=0)
    _, rewards, terminated, _, infos = vec.step(vec.action_space.sample())
    assert rewards.shape == (3,) and terminated.all() and len(infos["metrics"]["energy_pj"]) == 3


@pytest.mark.skipif(not DATA.is_dir(), reason="shared DRAMSys data absent")
def test_dramsys_files_drive_the_env():
    env = make_dram_env(workload=str(DATA / "traces" / "example.stl"),
                        memspec=str(DATA / "memspec" / "JEDEC_4Gb_DDR4-2400_8bit_A.json"),
                        mapping=str(DATA / "addressmapping" / "am_ddr4_8x4Gbx8_dimm_p1KB_brc.json"),
                        mcconfig=str(DATA / "mcconfig" / "fr_fcfs.json"))
    assert env.simulator.base.Scheduler == "FrFcfs" and env.simulator.base.RefreshMaxPostponed == 0
    info = env.evaluate_batch([env.space.default_design()])[0].info()
    trace = env.workload.trace
    assert info["valid"]
    assert info["metrics"]["rd_count"] + info["metrics"]["wr_count"] == len(trace)
    assert np.isfinite(list(info["metrics"].values())).all()


def _cli(capsys, *argv):
    from agents.cli.main import main
    code = main(["eval", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_evaluates_a_trace_file_with_dram_options(tmp_path, capsys):
    import json
    path = tmp_path / "t.trace"
    path.write_text("".join(f"0x{i * 4096:x} {'W' if i % 2 else 'R'}\n" for i in range(200)))
    code, out, _ = _cli(capsys, "archgym/DRAM-v0", "--trace", str(path), "--trace-format",
                        "ramulator", "--memspec", "LPDDR4-3200", "--injection", "saturating",
                        "--design", '{"PagePolicy": "Closed"}', "--json")
    result = json.loads(out)
    assert code == 0 and result["design"]["PagePolicy"] == "Closed"
    assert result["metrics"]["rd_count"] == 100 and result["metrics"]["wr_count"] == 100
    assert result["metrics"]["act_count"] == 200  # closed page: every access activates


def test_cli_ramulator_preset_and_clear_errors(capsys):
    import json
    code, out, _ = _cli(capsys, "archgym/DRAM-v0", "--dram-preset", "ramulator-ddr4",
                        "--env-args", '{"n_requests": 300}', "--json")
    design = json.loads(out)["design"]
    assert code == 0 and design["SchedulerBuffer"] == "ReadWrite"
    assert design["RequestBufferSize"] == 32 and design["RefreshMaxPostponed"] == 0
    code, _, err = _cli(capsys, "archgym/DRAM-v0", "--memspec", "DDR9")
    assert code == 2 and err.count("\n") == 1 and "memspec" in err
    code, _, err = _cli(capsys, "archgym/Systolic-v0", "--injection", "saturating")
    assert code == 2 and "only with archgym/DRAM-v0" in err


REFRESH_LIMITS = ("RefreshMaxPostponed", "RefreshMaxPulledin")


@pytest.mark.parametrize("spec", [DDR4_2400_X8_4GB, LPDDR4_3200_X16_8GB])
def test_refresh_limits_exist_only_under_a_refreshing_policy(spec):
    space = dram_space(spec)
    policies = space["RefreshPolicy"].choices
    for policy in policies:
        design = space.complete({"RefreshPolicy": policy, "RefreshMaxPostponed": 2,
                                 "RefreshMaxPulledin": 3})
        active = space.active(design)
        assert all(active[k] == (policy != "NoRefresh") for k in REFRESH_LIMITS)
        if policy == "NoRefresh":  # canonical: the defaults, whatever was given
            assert [design[k] for k in REFRESH_LIMITS] == [8, 8]
    # One policy without the 9 x 9 limits, the others with them.
    assert space.size == int(np.prod(space.nvec)) // 81 // len(policies) * (
        1 + 81 * (len(policies) - 1))


def test_no_refresh_designs_differing_only_in_the_refresh_limits_are_one_design():
    env = make_dram_env(**SMALL, allow_skipped_refresh=True)
    space = env.space
    a = {**space.default_design(), "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 1,
         "RefreshMaxPulledin": 7}
    b = {**a, "RefreshMaxPostponed": 5, "RefreshMaxPulledin": 0}
    assert space.validate(a) == space.validate(b)
    assert np.array_equal(space.to_index(a), space.to_index(b))
    assert space.validate({**a, "RefreshPolicy": "AllBank"}) != \
        space.validate({**b, "RefreshPolicy": "AllBank"})
    # The kernel ignores them too, and no agent's key tells the two apart.
    assert env.simulator.evaluate(a, env.workload) == env.simulator.evaluate(b, env.workload)
    # Sequential mode: the limits' steps do not matter once NoRefresh is chosen.
    seq = make_dram_env(**SMALL, mode="sequential", allow_skipped_refresh=True).unwrapped
    episodes = []
    for limit_action in (0, 7):
        seq.reset(seed=0)
        observations = []
        for k, name in enumerate(space.names):
            n = seq.action_space.n
            index = space.to_index(a)[k] if name not in REFRESH_LIMITS else limit_action
            action = -(-int(index) * n // int(space.nvec[k]))  # the smallest in its bin
            observation, *_, info = seq.step(action)
            observations.append(observation)
        episodes.append((np.array(observations), info["design"]))
    (first, design), (second, other) = episodes
    assert np.array_equal(first, second) and design == other == space.validate(a)


def test_an_index_matrix_is_canonical_in_the_env_records():
    env = make("archgym/DRAM-v0", n_requests=500).unwrapped
    space = env.space
    base = space.to_index({**space.default_design(), "RefreshPolicy": "NoRefresh"})
    other = base.copy()
    k = space.names.index("RefreshMaxPostponed")
    other[k] = (base[k] + 3) % space.nvec[k]  # differs only in an inactive parameter
    batch = env.evaluate_batch(np.stack([base, other]))
    assert batch[0].design == batch[1].design
    np.testing.assert_array_equal(batch[0].index, batch[1].index)
    assert batch[0].metrics == batch[1].metrics


def test_a_bad_injection_mode_is_named_as_the_argument():
    with pytest.raises(InvalidArgumentError, match=r"^injection='bad' .*timestamped, saturating"):
        make("archgym/DRAM-v0", injection="bad", **SMALL)


def test_the_vector_env_reports_the_canonical_designs_it_evaluated():
    vec = gym.make_vec("archgym/DRAM-v0", num_envs=2, n_requests=300)
    space = vec.env.space
    action = space.to_index({**space.default_design(), "RefreshPolicy": "NoRefresh"})
    actions = np.stack([action, action])
    k = space.names.index("RefreshMaxPostponed")
    actions[1, k] = (action[k] + 3) % space.nvec[k]
    vec.reset(seed=0)
    infos = vec.step(actions)[-1]
    assert infos["design"]["RefreshMaxPostponed"][0] == infos["design"]["RefreshMaxPostponed"][1]


def test_no_refresh_is_infeasible_by_default_with_the_reason():
    # JESD79-4: 8192 REF per 64 ms window (tREFI 7.8 us); JESD209-4 LPDDR4: 32 ms (3.9 us)
    for memspec, window in (("DDR4-2400", "64 ms"), ("LPDDR4-3200", "32 ms")):
        env = make_dram_env(**SMALL, memspec=memspec)
        env.reset(seed=0)
        design = {**env.space.default_design(), "RefreshPolicy": "NoRefresh"}
        _, reward, *_, info = env.step(env.space.to_index(design))
        assert not info["valid"] and reward == env.objective.reward_range[0]
        assert f"{window} retention window" in info["error"]
        assert "allow_skipped_refresh" in info["error"]
        assert len(env.archive) == 0  # not on any front
    study = make_dram_env(**SMALL, allow_skipped_refresh=True)
    study.reset(seed=0)
    *_, info = study.step(study.space.to_index(design))
    assert info["valid"] and info["error"] is None
    refreshing = {**design, "RefreshPolicy": "AllBank", "RefreshMaxPostponed": 8}
    env.reset()  # a one-shot episode ends after its step
    *_, info = env.step(env.space.to_index(refreshing))  # JEDEC's 8 postponed REFs are fine
    assert info["valid"]
