"""Stable-Baselines3 trainers: budgets, stores, resume, adapters, and that PPO learns."""

import json

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agents.experiments.store import ResultsStore
from agents.registry import agent_names
from agents.trainers.rl import ALGORITHMS, adapt, train
from archgym_env.registry import make
from archgym_env.wrappers import EqualBinActions
from simulators.errors import InvalidArgumentError

pytest.importorskip("stable_baselines3")


def test_every_rl_agent_is_registered():
    assert set(agent_names("rl")) == set(ALGORITHMS)


@pytest.mark.parametrize("algorithm", ["ppo", "dqn"])
def test_run_stops_at_budget_and_resumes_from_a_cut_store(tmp_path, algorithm):
    full = ResultsStore(tmp_path / "full")
    train("archgym/Systolic-v0", algorithm, 40, seed=3, store=full, progress=False,
          meta={"env_id": "archgym/Systolic-v0", "env_kwargs": {}})
    assert len(full) == 40
    cut = tmp_path / "cut"
    cut.mkdir()
    lines = (tmp_path / "full" / "evaluations.jsonl").read_text().splitlines(keepends=True)
    (cut / "evaluations.jsonl").write_text("".join(lines[:17]))
    resumed = ResultsStore(cut)
    train("archgym/Systolic-v0", algorithm, 40, seed=3, store=resumed, progress=False,
          meta={"env_id": "archgym/Systolic-v0", "env_kwargs": {}})
    assert len(resumed) == 40
    for a, b in zip(full.rows(), resumed.rows(), strict=True):
        assert {k: v for k, v in a.items() if k != "wall_time_s"} == \
               {k: v for k, v in b.items() if k != "wall_time_s"}


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")  # checked on purpose
def test_dqn_searches_sequentially_and_sac_through_equal_bins():
    env = make("archgym/Systolic-v0").unwrapped
    sequential = adapt(env, "discrete")
    assert sequential.mode == "sequential" and sequential.space is env.space
    box = adapt(env, "box")
    assert isinstance(box, EqualBinActions)
    check_env(box, skip_render_check=True)
    low = box.action(np.full(len(env.space.parameters), -1.0))
    high = box.action(np.full(len(env.space.parameters), 1.0))
    assert low.tolist() == [0] * len(env.space.parameters)
    assert high.tolist() == (env.space.nvec - 1).tolist()


def test_logs_checkpoints_and_evaluations(tmp_path):
    train("archgym/Systolic-v0", "a2c", 24, seed=0, log_dir=tmp_path, eval_every=8,
          progress=False)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == \
        ["a2c_16_steps.zip", "a2c_24_steps.zip", "a2c_8_steps.zip"]
    assert np.load(tmp_path / "eval" / "evaluations.npz")["results"].shape == (3, 1)
    assert any((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


@pytest.mark.parametrize("args", [{"learning_rat": 0.1}, {"n_steps": 0},
                                  {"learning_rate": -1}])
@pytest.mark.parametrize("agent", ["ppo", "ippo"])
def test_bad_hyperparameter_is_one_clear_error(tmp_path, capsys, agent, args):
    from agents.cli.main import main

    assert main(["run", "archgym/Systolic-v0", "--agent", agent, "--budget", "4",
                 "--agent-args", json.dumps(args), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "agent args" in err[0]


@pytest.mark.slow
def test_ppo_learns_on_a_one_shot_environment():
    """Over three seeds, PPO's last 128 evaluations beat its first 128 and random search's
    at the same budget, on archgym/Systolic-v0's target reward."""
    from agents.experiments.loop import run
    from agents.registry import make_agent

    budget, window = 768, 128
    for seed in range(3):
        ppo = train("archgym/Systolic-v0", "ppo", budget, seed=seed, progress=False)
        rewards = ppo.trajectory["reward"].to_numpy()
        env = make("archgym/Systolic-v0")
        random = run(env, make_agent("random", env.unwrapped.space, seed=seed), budget,
                     progress=False).trajectory["reward"].to_numpy()
        assert rewards[-window:].mean() > rewards[:window].mean() + 0.05
        assert rewards[-window:].mean() > random[-window:].mean() + 0.05
        assert json.loads(json.dumps(ppo.best["design"])) == ppo.best["design"]


REFERENCES = {"latency_s": 5e-3, "energy_pj": 2e10, "area_mm2": 40.0}


@pytest.mark.parametrize("algorithm", ["dqn", "sac"])
def test_the_front_is_the_archive_of_the_env_the_agent_steps(algorithm):
    result = train(make("archgym/Systolic-v0", reward="pareto", references=REFERENCES),
                   algorithm, 24, seed=0, progress=False)
    valid = result.trajectory[result.trajectory["valid"]]
    assert len(valid) and result.front and result.hypervolume > 0


def test_a_reward_wrapper_is_kept_when_no_other_mode_is_needed():
    from archgym_env.wrappers import HypervolumeGainReward

    env = HypervolumeGainReward(make("archgym/Systolic-v0", reward="pareto",
                                     references=REFERENCES))
    result = train(env, "ppo", 16, seed=0, progress=False)
    # The gains of one run add up to its final hypervolume; own-box rewards would not.
    assert result.trajectory["reward"].sum() == pytest.approx(result.hypervolume)
    with pytest.raises(InvalidArgumentError, match="env="):
        train(env, "dqn", 4, seed=0, progress=False)
