"""The successive baseline: networks for accuracy alone, then hardware for those networks.

A small two-sided problem: two task networks (`net.a.*`, `net.b.*`, one of them
conditional) on one accelerator (`hw.*`), with a constraint across the sides. Accuracy
depends on the networks only; latency on both; area on the hardware only. The accurate
networks miss the latency limit on the default hardware.
"""

import json

import numpy as np
import pytest

from agents.experiments.loop import run
from agents.experiments.store import ResultsStore
from agents.registry import agent_names, make_agent
from archgym_env.env import DesignEnv
from archgym_env.objective import make_objective
from archgym_env.space import Categorical, Constraint, DesignSpace, IntRange, PowerOfTwo
from simulators.base import BatchResult, CostModel, Metric, columns
from simulators.errors import ArchGymError, InvalidArgumentError

SPACE = DesignSpace((
    IntRange("net.a.depth", 1, 4), PowerOfTwo("net.a.width", 8, 64),
    Categorical("net.b.op", ("conv", "pool", "skip")),
    Categorical("net.b.kernel", (3, 5), active_when={"net.b.op": "conv"}),
    PowerOfTwo("hw.pes", 16, 256), PowerOfTwo("hw.buffer_kb", 16, 256),
    IntRange("hw.banks", 1, 8),
), constraints=(Constraint(lambda d: d["hw.buffer_kb"] >= d["net.a.width"],
                           "hw.buffer_kb >= net.a.width"),))


class Toy(CostModel):
    """accuracy_pct from the networks alone; latency_s = MACs / PEs; area_mm2 from the PEs,
    the buffer and its banks."""

    metrics = (Metric("accuracy_pct", "", "max"), Metric("latency_s", "s", "min"),
               Metric("area_mm2", "mm2", "min"))
    version = "1"

    def evaluate_batch(self, designs, workload):
        c = columns(designs)
        kernel = np.where(c["net.b.op"] == "conv", c["net.b.kernel"].astype(float), 1.0)
        bonus = np.select([c["net.b.op"] == "conv", c["net.b.op"] == "pool"], [5.0, 2.0], 0.0)
        accuracy = 50 + 8 * c["net.a.depth"] + 0.2 * c["net.a.width"] + bonus + kernel
        macs = c["net.a.depth"] * c["net.a.width"] * kernel * 1e3
        return BatchResult({"accuracy_pct": accuracy, "latency_s": macs / c["hw.pes"] * 1e-6,
                            "area_mm2": 0.02 * c["hw.pes"] + 0.01 * c["hw.buffer_kb"]
                            + 0.1 * c["hw.banks"]},
                           np.ones(len(accuracy), dtype=bool))


def toy_env() -> DesignEnv:
    objective = make_objective("constrained", ["latency_s", "area_mm2"], Toy.metrics,
                               limits={"latency_s": 0.005, "area_mm2": 3.0},
                               quality="accuracy_pct")
    return DesignEnv(SPACE, Toy(), None, objective)


def successive(seed=0, **args):
    return make_agent("successive", SPACE, seed=seed, **{"inner_args": {"population": 8},
                                                         **args})


def test_it_is_registered_and_refuses_a_space_without_both_sides():
    assert "successive" in agent_names("optimizer")
    networks = DesignSpace(tuple(p for p in SPACE.parameters if p.name.startswith("net.")))
    with pytest.raises(InvalidArgumentError, match="a co-design space"):
        make_agent("successive", networks)
    stray = DesignSpace((*SPACE.parameters, IntRange("batch", 1, 2)))
    with pytest.raises(InvalidArgumentError, match="space='batch'"):
        make_agent("successive", stray)
    across = DesignSpace((Categorical("hw.kind", ("a", "b")),
                          IntRange("net.a.depth", 1, 2, active_when={"hw.kind": "a"})))
    with pytest.raises(InvalidArgumentError, match="net.a.depth.active_when='hw.kind'"):
        make_agent("successive", across)
    for args, message in (({"network_share": 1.0}, "network_share=1.0"),
                          ({"network_evaluations": 0}, "network_evaluations=0"),
                          ({"inner": "successive"}, "inner='successive'"),
                          ({"inner": "ppo"}, "inner='ppo'")):
        with pytest.raises(InvalidArgumentError, match=message):
            make_agent("successive", SPACE, **args)


def test_it_needs_the_budget_or_a_phase_length():
    with pytest.raises(ArchGymError, match=r"call plan\(budget\)"):
        successive().ask(4)
    assert len(successive(network_evaluations=5).ask(8)) == 5  # the phase's end


@pytest.mark.parametrize("budget, share, phase", [(40, 0.5, 20), (41, 0.25, 10), (3, 0.1, 1)])
def test_networks_first_on_the_default_hardware_then_hardware_for_the_best_networks(
        budget, share, phase):
    result = run(toy_env(), successive(network_share=share), budget, progress=False)
    rows = result.trajectory
    hardware = [c for c in rows if c.startswith("design.hw.")]
    networks = [c for c in rows if c.startswith("design.net.")]
    assert len(rows) == budget and rows["agent_args.network_evaluations"].eq(phase).all()
    first, second = rows.iloc[:phase], rows.iloc[phase:]
    default = SPACE.default_design()
    assert (first[hardware] == pd_row(default, hardware)).all(axis=None)
    # the hardware phase keeps the networks of highest accuracy in the network phase,
    # which on the default hardware miss the latency limit: the reward ranks them lower
    top = first["metrics.accuracy_pct"].idxmax()
    assert (second[networks] == first.loc[top, networks]).all(axis=None)
    if phase >= 10:
        assert first.loc[top, "reward"] < first["reward"].max()
    keys = [tuple(SPACE.to_index(d)) for d in designs(rows)]
    assert len(set(keys)) == budget  # nothing asked twice, across the phases too
    assert all(SPACE.validate(d) == d for d in designs(rows))  # the cross constraint


def pd_row(design, names):
    return [design[n.removeprefix("design.")] for n in names]


def designs(rows) -> list[dict]:
    return [{n: row[f"design.{n}"] for n in SPACE.names} for _, row in rows.iterrows()]


def test_deterministic_per_seed_and_a_killed_run_resumes(tmp_path):
    env = toy_env()
    straight = run(env, successive(seed=2), 36, batch_size=5, progress=False).trajectory
    again = run(toy_env(), successive(seed=2), 36, batch_size=5, progress=False).trajectory
    other = run(toy_env(), successive(seed=3), 36, batch_size=5, progress=False).trajectory
    assert designs(straight) == designs(again) != designs(other)
    # a store holding the first 23 rows (a kill in the hardware phase's first batch)
    full = ResultsStore(tmp_path / "full")
    run(toy_env(), successive(seed=2), 36, store=full, batch_size=5, progress=False)
    killed = tmp_path / "killed"
    killed.mkdir()
    lines = (tmp_path / "full" / "evaluations.jsonl").read_text().splitlines(keepends=True)
    (killed / "evaluations.jsonl").write_text("".join(lines[:23]))
    resumed = run(toy_env(), successive(seed=2), 36, store=ResultsStore(killed), batch_size=5,
                  progress=False)
    assert resumed.stored == 23
    assert designs(resumed.trajectory) == designs(straight)
    assert resumed.trajectory["reward"].tolist() == straight["reward"].tolist()


def test_a_resume_with_another_split_is_refused_and_a_fixed_phase_extends(tmp_path):
    run(toy_env(), successive(), 20, store=ResultsStore(tmp_path / "share"), progress=False)
    with pytest.raises(ArchGymError, match="network_evaluations=10 \\(here 20\\)"):
        run(toy_env(), successive(), 40, store=ResultsStore(tmp_path / "share"),
            progress=False)
    fixed = ResultsStore(tmp_path / "fixed")
    run(toy_env(), successive(network_evaluations=10), 20, store=fixed, progress=False)
    longer = run(toy_env(), successive(network_evaluations=10), 40,
                 store=ResultsStore(tmp_path / "fixed"), progress=False)
    assert longer.stored == 20 and len(longer.trajectory) == 40


def test_hyperparameters_are_json_and_rebuild_the_agent():
    agent = successive()
    agent.plan(30)
    args = json.loads(json.dumps(agent.hyperparameters))
    assert args["network_evaluations"] == 15 and args["inner"] == "ga"
    assert make_agent("successive", SPACE, **args).hyperparameters == args


@pytest.mark.parametrize("inner", ["random", "aco", "nsga2"])
def test_any_optimizer_runs_each_phase(inner):
    args = {"population": 8} if inner == "nsga2" else {}
    rows = run(toy_env(), successive(inner=inner, inner_args=args), 24,
               progress=False).trajectory
    assert len(rows) == 24 and rows["agent_args.inner"].iloc[0] == inner


@pytest.mark.slow
def test_on_codesign_networks_then_hardware_under_the_constrained_reward():
    import archgym_env

    env = archgym_env.make("archgym/CoDesign-v0")
    space = env.unwrapped.space
    agent = make_agent("successive", space, seed=0, network_evaluations=8,
                       inner_args={"population": 4})
    rows = run(env, agent, 16, progress=False).trajectory
    hardware = [f"design.{n}" for n in space.names if n.startswith("hw.")]
    networks = [f"design.{n}" for n in space.names if n.startswith("net.")]
    default = space.default_design()
    first, second = rows.iloc[:8], rows.iloc[8:]
    assert (first[hardware] == pd_row(default, hardware)).all(axis=None)
    assert first[networks].drop_duplicates().shape[0] == 8
    top = first["metrics.accuracy_pct"].idxmax()
    assert (second[networks] == first.loc[top, networks]).all(axis=None)
    assert second[hardware].drop_duplicates().shape[0] == 8
    assert not (second[hardware] == pd_row(default, hardware)).all(axis=1).any()
    # the hardware phase is led by the environment's (constrained) reward, bounded
    low, high = env.unwrapped.objective.reward_range
    assert rows["reward"].between(low, high).all()
