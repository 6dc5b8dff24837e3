"""On a problem whose optimum is known by enumeration, the search agents beat random search.

The problem: size a SCALE-Sim-style systolic array for ResNet-18 (the real simulator) over
6,912 designs (rows, cols, dataflow, ifmap and filter SRAM; ofmap SRAM fixed at 64 KB and
DRAM bandwidth at 16 words per cycle), rewarded by the target mode with each metric's
target at its best value over the space (the ideal point), so no design meets all three
and the optimum is a trade-off.
"""

import functools

import numpy as np
import pytest

from agents.experiments.loop import run
from agents.registry import make_agent
from archgym_env.env import DesignEnv
from archgym_env.objective import make_objective
from archgym_env.space import Categorical, DesignSpace, PowerOfTwo
from simulators.systolic import DATAFLOWS, SystolicArray
from simulators.workloads import resnet18

SPACE = DesignSpace((
    PowerOfTwo("rows", 8, 256), PowerOfTwo("cols", 8, 256), Categorical("dataflow", DATAFLOWS),
    PowerOfTwo("ifmap_sram_kb", 16, 2048), PowerOfTwo("filter_sram_kb", 16, 2048),
    PowerOfTwo("ofmap_sram_kb", 64, 64), PowerOfTwo("dram_bandwidth_words", 16, 16),
))
METRICS = ("latency_s", "energy_pj", "area_mm2")
SEEDS = range(5)
BUDGET = 300
TOLERANCE = 0.01
# NSGA-II is judged on the same scalar reward, so it ranks by it (one objective).
AGENT_ARGS = {"random": {}, "ga": {}, "aco": {}, "bo": {}, "nsga2": {"rank_by": "reward"}}


@functools.cache
def problem() -> tuple[DesignEnv, float]:
    """The environment and its optimum reward, both found by evaluating every design."""
    simulator, workload = SystolicArray(), resnet18()
    designs = list(SPACE.enumerate())
    metrics = simulator.evaluate_batch(designs, workload).metrics
    ideal = {m: float(metrics[m].min()) for m in METRICS}
    objective = make_objective("target", METRICS, simulator.metrics, targets=ideal)
    env = DesignEnv(SPACE, simulator, workload, objective)
    return env, float(env.evaluate_batch(designs).rewards.max())


@functools.cache
def evaluations_to_optimum(name: str, seed: int) -> int:
    """Evaluations until a reward within 1% of the optimum (BUDGET + 1 if never)."""
    env, best = problem()
    result = run(env, make_agent(name, SPACE, seed=seed, **AGENT_ARGS[name]), BUDGET,
                 progress=False)
    rewards = result.trajectory["reward"].to_numpy()
    assert rewards.max() <= best + 1e-12  # enumeration really found the optimum
    hits = np.flatnonzero(rewards >= (1 - TOLERANCE) * best)
    return int(hits[0]) + 1 if len(hits) else BUDGET + 1


def median_evaluations(name: str) -> float:
    return float(np.median([evaluations_to_optimum(name, seed) for seed in SEEDS]))


def test_the_optimum_is_a_needle_for_random_search():
    env, best = problem()
    rewards = env.evaluate_batch(list(SPACE.enumerate())).rewards
    near = int(np.sum(rewards >= (1 - TOLERANCE) * best))
    assert SPACE.size == 6 * 6 * 3 * 8 * 8 == len(rewards) and 0 < best < 1
    # With k of N designs near the optimum, uniform draws need N / k on average.
    assert SPACE.size / near > 2 * BUDGET


# Optuna's TPE takes ~25 s for its 5 x 300 evaluations on 2 busy cores: marked slow.
@pytest.mark.parametrize("name", ["ga", "aco", pytest.param("bo", marks=pytest.mark.slow),
                                  "nsga2"])
def test_search_reaches_the_optimum_in_fewer_evaluations_than_random(name):
    assert median_evaluations(name) < median_evaluations("random")
