"""The run loop drives the environment it is given and tells agents the env's records."""

import gymnasium as gym
import numpy as np
import pytest

from agents.experiments.loop import run
from agents.experiments.store import ResultsStore
from agents.optimizers.base import Optimizer
from agents.registry import make_agent
from archgym_env.registry import make

REFERENCES = {"latency_s": 5e-3, "energy_pj": 2e10, "area_mm2": 40.0}


class CountingWrapper(gym.Wrapper):
    """A user's wrapper that counts the designs it sees evaluated."""

    def __init__(self, env):
        super().__init__(env)
        self.seen = 0

    def evaluate_batch(self, designs):
        self.seen += len(designs)
        return self.env.get_wrapper_attr("evaluate_batch")(designs)


class Spy(Optimizer):
    """Random designs; keeps every record it is told."""

    name = "spy"

    def __init__(self, space, seed=0):
        super().__init__(space, seed)
        self.records = []

    def ask(self, n):
        return self.space.sample(self.rng, n)

    def tell_records(self, records):
        self.records += list(records)
        super().tell_records(records)


def test_a_users_wrapper_sees_every_evaluation_and_agents_get_the_records(tmp_path):
    env = CountingWrapper(gym.wrappers.PassiveEnvChecker(make("archgym/Systolic-v0")))
    agent = Spy(env.unwrapped.space)
    result = run(env, agent, 20, batch_size=6, progress=False,
                 store=ResultsStore(tmp_path / "run"), meta={"env_id": "archgym/Systolic-v0"})
    assert env.seen == 20 and len(agent.records) == 20
    assert [r.evaluation for r in agent.records] == list(range(1, 21))
    assert result.trajectory["reward"].tolist() == [r.reward for r in agent.records]
    # resuming replays the stored rows: the wrapper sees no evaluation, the agent the same
    again = CountingWrapper(make("archgym/Systolic-v0"))
    replayed = Spy(again.unwrapped.space)
    resumed = run(again, replayed, 20, batch_size=6, progress=False,
                  store=ResultsStore(tmp_path / "run"), meta={"env_id": "archgym/Systolic-v0"})
    assert again.seen == 0 and [r.reward for r in replayed.records] == \
        [r.reward for r in agent.records]
    assert resumed.hypervolume == result.hypervolume
    assert [r["step"] for r in resumed.front] == [r["step"] for r in result.front]


def test_the_front_is_the_environments_archive_of_this_run():
    env = make("archgym/Systolic-v0", reward="pareto", references=REFERENCES)
    env.unwrapped.evaluate_batch(env.unwrapped.space.sample(np.random.default_rng(5), 50))
    result = run(env, make_agent("random", env.unwrapped.space, seed=1), 30, progress=False)
    assert env.unwrapped.evaluations == 30  # the run starts the env afresh
    assert result.hypervolume == env.unwrapped.archive.hypervolume() > 0
    steps = {r["step"] for r in result.front}
    assert len(steps) == len(env.unwrapped.archive) and steps <= set(range(30))


def median_final_hypervolume(name: str) -> float:
    volumes = []
    for seed in range(3):
        env = make("archgym/Systolic-v0", reward="pareto", references=REFERENCES)
        volumes.append(run(env, make_agent(name, env.unwrapped.space, seed=seed), 300,
                           progress=False).hypervolume)
    return float(np.median(volumes))


@pytest.mark.slow  # 12 runs of 300 evaluations, BO's the longest
def test_pareto_mode_agents_beat_random_search():
    random = median_final_hypervolume("random")
    for name in ("ga", "nsga2", "bo"):
        assert median_final_hypervolume(name) > random, name
