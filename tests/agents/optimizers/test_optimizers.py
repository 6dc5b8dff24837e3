"""Ask/tell agents: determinism, valid suggestions, argument checks, and what each one learns."""

import json
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.experiments.loop import run
from agents.experiments.store import ResultsStore
from agents.optimizers.aco import AntColony
from agents.optimizers.grid import GridSearch, grid_levels
from agents.registry import agent_class, agent_names, make_agent
from archgym_env.space import (
    Categorical,
    Constraint,
    Continuous,
    DesignSpace,
    IntRange,
    Ordinal,
    PowerOfTwo,
)
from archgym_env.systolic_env import SYSTOLIC_SPACE, make_systolic_env
from simulators.errors import ArchGymError, InvalidArgumentError

# 5 * 4 * 3 * 5 * 1 = 300 index vectors; the constraint rules out rows 64 with depth 5 or 7
# (2 * 3 * 5 = 30 of them), leaving 270 valid designs.
SPACE = DesignSpace(
    (PowerOfTwo("rows", 4, 64), IntRange("depth", 1, 7, 2), Categorical("kind", ("a", "b", "c")),
     Continuous("volts", 0.6, 1.0, levels=5), Categorical("fixed", ("only",))),
    constraints=(Constraint(lambda d: d["rows"] * d["depth"] <= 256, "rows * depth <= 256"),),
)
VALID = 270
TARGET = np.array([0.75, 1 / 3, 1.0, 0.5, 0.0])  # normalized coordinates of the best design

# Fast settings for each agent; `bo` with the GP sampler (seconds per suggestion) apart.
FAST_AGENTS = {"random": {}, "random-lhs": {"sampling": "lhs"}, "grid": {}, "ga": {},
               "nsga2": {"population": 8}, "aco": {}, "bo": {"startup": 4}, "reinforce": {}}


def build(label: str, seed: int, space: DesignSpace = SPACE, **extra):
    name = label.split("-")[0]
    return make_agent(name, space, seed=seed, **{**FAST_AGENTS[label], **extra})


def reward(design) -> float:
    """Larger nearer TARGET; deterministic, so any agent can be replayed."""
    return float(1.0 - np.abs(SPACE.to_normalized(design) - TARGET).sum() / 4)


def drive(agent, rounds: int, n: int) -> list[dict]:
    """Ask and tell `rounds` batches of up to `n`; every suggestion, in order."""
    asked = []
    for _ in range(rounds):
        designs = agent.ask(n)
        if not designs:
            break
        rewards = [reward(d) for d in designs]
        agent.tell(designs, rewards, np.array([[1 - r, 1 + r] for r in rewards]))
        asked += designs
    return asked


def test_every_agent_is_registered():
    optimizers = agent_names("optimizer")
    assert set(optimizers) == {"random", "grid", "ga", "nsga2", "aco", "bo", "reinforce",
                              "successive"}
    assert all(agent_class(name).name == name for name in optimizers)


def test_an_agent_missing_its_optional_dependency_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # as if optuna were not installed
    monkeypatch.delitem(sys.modules, "agents.optimizers.bo", raising=False)
    with pytest.raises(ArchGymError, match=r"agent bo needs optuna: pip install 'archgym\[bo\]'"):
        make_agent("bo", SPACE)
    assert make_agent("aco", SPACE).name == "aco"


@pytest.mark.parametrize("label", FAST_AGENTS)
def test_same_seed_and_rewards_give_the_same_suggestions(label):
    first = drive(build(label, seed=3), rounds=6, n=5)
    assert first == drive(build(label, seed=3), rounds=6, n=5)
    if label != "grid":  # the grid ignores its seed
        assert first != drive(build(label, seed=4), rounds=6, n=5)


def test_gp_sampler_is_deterministic_and_valid():
    runs = [drive(make_agent("bo", SPACE, seed=1, sampler="gp", startup=4), 3, 3)
            for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) == 9
    assert all(SPACE.validate(d) == d for d in runs[0])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 12))
@pytest.mark.parametrize("label", FAST_AGENTS)
def test_suggestions_are_valid_designs_that_meet_the_constraints(label, seed, n):
    agent = build(label, seed)
    for _ in range(4):
        designs = agent.ask(n)
        # Only the grid (when exhausted) and NSGA-II (at a generation's end) give fewer.
        assert 1 <= len(designs) <= n and (len(designs) == n or label in ("grid", "nsga2"))
        for design in designs:
            assert SPACE.validate(design) == design and not SPACE.violations(design)
        agent.tell(designs, [reward(d) for d in designs])


@pytest.mark.parametrize("label", FAST_AGENTS)
def test_hyperparameters_are_json_and_rebuild_the_agent(label):
    agent = build(label, seed=0)
    args = json.loads(json.dumps(agent.hyperparameters))
    assert make_agent(agent.name, SPACE, seed=0, **args).hyperparameters == args


@pytest.mark.parametrize("name, args, message", [
    ("random", {"sampling": "sobol"}, "sampling='sobol'"),
    ("grid", {"limit": 0}, "limit=0"),
    ("grid", {"subsample": 1}, "subsample=1"),
    ("ga", {"population": 1}, "population=1"),
    ("ga", {"tournament": True}, "tournament=True"),
    ("ga", {"mutation": 1.5}, "mutation=1.5"),
    ("nsga2", {"population": 1}, "population=1"),
    ("nsga2", {"rank_by": "vector"}, "rank_by='vector'"),
    ("nsga2", {"mutation_eta": 0}, "mutation_eta=0"),
    ("aco", {"evaporation": 0.0}, "evaporation=0.0"),
    ("aco", {"greediness": 1.5}, "greediness=1.5"),
    ("aco", {"elite": 0}, "elite=0"),
    ("aco", {"floor": -0.1}, "floor=-0.1"),
    ("bo", {"sampler": "cmaes"}, "sampler='cmaes'"),
    ("bo", {"startup": 0}, "startup=0"),
    ("bo", {"multi_objective": "yes"}, "multi_objective='yes'"),
    ("reinforce", {"hidden": 0}, "hidden=0"),
    ("reinforce", {"learning_rate": 0}, "learning_rate=0"),
    ("reinforce", {"baseline_decay": 1.0}, "baseline_decay=1.0"),
    ("reinforce", {"temperature": -1}, "temperature=-1"),
    ("aco", {"ants": 4}, "agent args"),
])
def test_bad_hyperparameters_name_the_argument(name, args, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(")) as error:
        make_agent(name, SPACE, **args)
    assert len(str(error.value).splitlines()) == 1


def test_nsga2_needs_a_parameter_to_vary():
    with pytest.raises(InvalidArgumentError, match="at least one parameter with two"):
        make_agent("nsga2", DesignSpace((Categorical("only", (1,)),)))


def test_grid_visits_every_valid_design_once_in_order_then_stops():
    agent = GridSearch(SPACE)
    visited = drive(agent, rounds=100, n=7)
    assert visited == list(SPACE.enumerate()) and len(visited) == VALID
    assert agent.ask(5) == []


def test_grid_refuses_a_large_space_unless_told_to_subsample():
    with pytest.raises(InvalidArgumentError, match="subsample"):
        GridSearch(SYSTOLIC_SPACE, limit=10_000)
    coarse = GridSearch(SYSTOLIC_SPACE, limit=10_000, subsample=True).ask(20_000)
    keys = {tuple(SYSTOLIC_SPACE.to_index(d)) for d in coarse}
    assert len(keys) == len(coarse) == int(np.prod(grid_levels(SYSTOLIC_SPACE.nvec, 10_000)))
    assert 5_000 < len(coarse) <= 10_000
    for k, p in enumerate(SYSTOLIC_SPACE.parameters):  # both ends of every parameter
        assert {i[k] for i in keys} >= {0, len(p.choices) - 1}


@given(levels=st.lists(st.integers(1, 9), min_size=1, max_size=5), limit=st.integers(1, 5000))
def test_grid_levels_shrink_the_widest_parameter_until_the_grid_fits(levels, limit):
    shrunk = grid_levels(np.array(levels), limit)
    assert all(1 <= s <= n for s, n in zip(shrunk, levels, strict=True))
    assert np.prod(shrunk) <= limit
    if np.prod(levels) <= limit:
        assert shrunk == levels


UNCONSTRAINED = DesignSpace(SPACE.parameters)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 200))
def test_latin_hypercube_puts_each_choice_in_its_share_of_strata(seed, n):
    designs = make_agent("random", UNCONSTRAINED, seed=seed, sampling="lhs").ask(n)
    indices = np.array([UNCONSTRAINED.to_index(d) for d in designs])
    for k, m in enumerate(UNCONSTRAINED.nvec):
        counts = np.bincount(indices[:, k], minlength=m)
        # Stratum i holds one point in [i/n, (i+1)/n); choice j owns [j/m, (j+1)/m): all but
        # the two strata straddling its ends fall wholly inside or outside it.
        assert np.all(np.abs(counts - n / m) < 2)
        if n % m == 0:
            assert np.all(counts == n // m)


def test_uniform_sampling_is_not_stratified():
    designs = make_agent("random", UNCONSTRAINED, seed=0).ask(300)
    counts = np.bincount([UNCONSTRAINED.to_index(d)[0] for d in designs], minlength=5)
    assert np.any(np.abs(counts - 60) >= 2)


@pytest.mark.parametrize("label", ["aco", "bo"])
def test_deterministic_simulators_are_not_asked_twice(label):
    # Half the space: unseen designs stay easy to find, so none is repeated.
    visited = drive(build(label, seed=0), rounds=15, n=9)
    assert len(visited) == VALID // 2
    assert len({tuple(SPACE.to_index(d)) for d in visited}) == VALID // 2


def test_ant_pheromone_follows_the_elite_by_rank():
    agent = AntColony(UNCONSTRAINED, elite=3)
    designs = [UNCONSTRAINED.from_index(np.array([i, i % 4, i % 3, i, 0])) for i in range(5)]
    agent.tell(designs, [0.1, 0.9, 0.5, 0.7, 0.0])
    for k, tau in enumerate(agent.pheromone[:4]):
        best, second, third = (UNCONSTRAINED.to_index(designs[i])[k] for i in (1, 3, 2))
        # 0.9 of the initial 1 survives evaporation, then deposits of 3, 2, 1 by rank.
        expected = np.full(len(tau), 0.9)
        for choice, deposit in ((best, 3), (second, 2), (third, 1)):
            expected[choice] += deposit
        np.testing.assert_allclose(tau, expected)


@given(seed=st.integers(0, 2**16))
@settings(max_examples=25, deadline=None)
def test_ant_candidates_carry_their_own_choice_indices(seed):
    # ask skips designs already taken by the key each candidate carries, not its design.
    agent = AntColony(SPACE, seed=seed)
    for key, design in agent._candidates():
        assert key == tuple(SPACE.to_index(design).tolist())


@pytest.mark.parametrize("label, extra", [("nsga2", {}), ("bo", {"multi_objective": True})])
def test_multi_objective_agents_rank_by_the_objectives(label, extra):
    # Rewards say nothing; both objectives favour small choice indices. (Batches 3 to 6:
    # later ones run short of unseen good designs in this 300-design space.)
    agent = build(label, seed=0, space=UNCONSTRAINED, **extra)
    means = []
    for _ in range(6):
        designs = agent.ask(8)
        norm = np.array([UNCONSTRAINED.to_normalized(d)[:4].mean() for d in designs])
        agent.tell(designs, [0.0] * len(designs), np.column_stack([norm, norm ** 2]))
        means.append(norm.mean())
    assert np.mean(means[2:]) < 0.35  # uniform designs average 0.5


def test_reinforce_policy_improves_on_its_first_samples():
    for seed in range(3):
        agent = build("reinforce", seed)
        means = []
        for _ in range(60):
            designs = agent.ask(16)
            rewards = [reward(d) for d in designs]
            agent.tell(designs, rewards)
            means.append(np.mean(rewards))
        assert np.mean(means[-10:]) > np.mean(means[:10]) + 0.1


@pytest.mark.parametrize("label", FAST_AGENTS)
def test_a_killed_run_resumes_with_the_same_suggestions(label, tmp_path):
    # The store holds whole batches (and a killed one's prefix): replaying them into a new
    # agent must lead to the same suggestions as a run never stopped.
    env = make_systolic_env(reward="pareto")  # objectives with three goals
    space, extra = env.unwrapped.space, {"limit": 400_000} if label == "grid" else {}
    run(env, build(label, 2, space, **extra), 18, store=ResultsStore(tmp_path), batch_size=6,
        progress=False)
    resumed = run(env, build(label, 2, space, **extra), 44, store=ResultsStore(tmp_path),
                  batch_size=6, progress=False)
    straight = run(make_systolic_env(reward="pareto"), build(label, 2, space, **extra), 44,
                   batch_size=6, progress=False)
    columns = [c for c in straight.trajectory if c.startswith("design.")] + ["reward"]
    assert len(ResultsStore(tmp_path)) == 44
    assert resumed.trajectory[columns].equals(straight.trajectory[columns])


def test_an_environment_given_by_id_is_made_with_the_run_env_kwargs():
    space = make_systolic_env().unwrapped.space
    by_id = run("archgym/Systolic-v0", build("random", 3, space), 12, progress=False,
                meta={"env_kwargs": {"reward": "pareto"}})
    made, default = (run(make_systolic_env(**kwargs), build("random", 3, space), 12,
                         progress=False).trajectory["reward"].tolist()
                     for kwargs in ({"reward": "pareto"}, {}))
    assert set(by_id.trajectory["env_id"]) == {"archgym/Systolic-v0"}
    assert by_id.trajectory["reward"].tolist() == made != default


@pytest.mark.parametrize("label", [a for a in FAST_AGENTS if a != "random-lhs"])
def test_a_smaller_batch_begins_like_a_larger_one(label):
    # So a run resumed with a larger budget, whose last stored batch was cut short by the
    # old budget, replays. (A Latin hypercube of k designs is not the start of one of n.)
    small, large = build(label, 5), build(label, 5)
    drive(small, 3, 4), drive(large, 3, 4)
    assert small.ask(3) == large.ask(7)[:3]


# A network-like space: a block's kernel exists only when the stage is deep enough, and its
# expansion only for the larger kernels (a chain): (1 + 2 * (1 + 2 * 4)) * 4 * 3 = 228 designs.
NETWORK = DesignSpace((
    IntRange("depth", 1, 3),
    Categorical("kernel", (3, 5, 7), active_when={"depth": (2, 3)}),
    Ordinal("expand", ("x1", "x2", "x4", "x6"), active_when={"kernel": (5, 7)}),
    PowerOfTwo("width", 8, 64),
    Categorical("act", ("relu", "swish", "gelu")),
))


def network_reward(design) -> float:
    return float(NETWORK.to_normalized(design).sum())


@pytest.mark.parametrize("label", FAST_AGENTS)
def test_agents_ask_canonical_designs_of_a_conditional_space(label):
    agent = build(label, seed=1, space=NETWORK)
    asked = []
    for _ in range(6):
        designs = agent.ask(8)
        asked += designs
        assert all(NETWORK.validate(d) == d for d in designs)  # inactive ones canonical
        agent.tell(designs, [network_reward(d) for d in designs],
                   np.array([[network_reward(d), -network_reward(d)] for d in designs]))
    keys = [tuple(NETWORK.to_index(d)) for d in asked]
    if label in ("grid", "ga", "aco", "bo"):  # agents that never ask a known design
        assert len(set(keys)) == len(keys)
    if label == "grid":
        assert asked == list(NETWORK.enumerate())[:48]


def test_ga_mutates_ordered_genes_to_adjacent_choices_and_leaves_inactive_ones():
    agent = make_agent("ga", NETWORK, seed=0, population=4, crossover=0.0, mutation=1.0)
    parent = NETWORK.validate({"depth": 1, "width": 32, "act": "relu"})
    agent.tell([parent] * 4, [1.0] * 4)
    for _ in range(50):
        child = NETWORK.from_index(agent._child())
        assert child["act"] != "relu" and child["width"] in (16, 64)
        # Every gene mutates, in order: depth 1 -> 2 makes the kernel active, which then
        # leaves its canonical 3; with kernel 5 or 7 the expansion moves next to its x1.
        assert child["depth"] == 2 and child["kernel"] in (5, 7) and child["expand"] == "x2"
