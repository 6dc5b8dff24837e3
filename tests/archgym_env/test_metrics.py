"""Every registered environment's simulator declares its metrics: units follow one naming
rule, directions are right, and objectives take their directions from the declaration."""

import math

import pytest

from archgym_env import make
from archgym_env.registry import ENVIRONMENTS
from simulators.base import UNITS, Metric
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

SMALL = [Layer("a", M=16, C=8, P=8, Q=8, R=3, S=3), Layer.fc("fc", 64, 10)]
# Smaller workloads where the default one is slow to simulate; other environments as made.
FAST = {"archgym/Accelerator-v0": {"workload": SMALL, "mapper_budget": 60, "mapper_rounds": 1},
        "archgym/DRAM-v0": {"n_requests": 500}}
# A name's ending fixes its unit (longest ending first: edp_pj_s is pJ*s, not s).
SUFFIX_UNITS = {"_pj_s": "pJ*s", "_pj": "pJ", "_s": "s", "_ns": "ns", "_cycles": "cycles",
                "_mm2": "mm2", "_mw": "mW", "_gbps": "GB/s", "_words": "words"}
MAXIMIZED = ("row_hit_rate", "bandwidth_gbps", "utilization")


def fast_env(env_id, **kwargs):
    return make(env_id, **{**FAST.get(env_id, {}), **kwargs}).unwrapped


def suffix_unit(name: str) -> str | None:
    endings = sorted((s for s in SUFFIX_UNITS if name.endswith(s)), key=len, reverse=True)
    return SUFFIX_UNITS[endings[0]] if endings else None


@pytest.fixture(scope="module", params=sorted(ENVIRONMENTS))
def env(request):
    return fast_env(request.param)


def test_every_metric_has_a_unit_its_name_spells(env):
    declared = env.simulator.metrics
    assert declared and all(isinstance(m, Metric) for m in declared)
    names = [m.name for m in declared]
    assert len(set(names)) == len(names) and tuple(names) == env.simulator.metric_names
    for m in declared:
        assert m.unit in UNITS and m.direction in ("min", "max") and m.description
        # A unit with an ending is in the name; a name without one is dimensionless.
        assert suffix_unit(m.name) == (m.unit if m.unit in SUFFIX_UNITS.values() else None), \
            m.name


def test_rates_bandwidths_and_utilizations_are_maximized(env):
    for m in env.simulator.metrics:
        if m.name in MAXIMIZED:
            assert m.direction == "max", m.name
        if m.unit in ("pJ", "pJ*s", "mW", "mm2", "s", "ns", "words"):
            assert m.direction == "min", m.name  # energy, power, area, time, traffic


def test_each_maximized_metric_is_declared_somewhere():
    declared = {m.name for env_id in ENVIRONMENTS for m in fast_env(env_id).simulator.metrics}
    assert set(MAXIMIZED) <= declared


def test_a_step_reports_exactly_the_declared_metrics(env):
    env.reset(seed=0)
    action = env.space.to_index(env.space.default_design())
    info = env.step(action)[4]
    assert info["valid"], info.get("error")
    assert set(info["metrics"]) == set(env.simulator.metric_names)
    assert all(math.isfinite(v) for v in info["metrics"].values())


@pytest.mark.parametrize("env_id", sorted(ENVIRONMENTS))
def test_objectives_take_the_declared_directions(env_id):
    names = fast_env(env_id).simulator.metric_names
    made = fast_env(env_id, reward="pareto", metrics=names,
                    references=dict.fromkeys(names, 1.0))
    assert [g.metric for g in made.objective.goals] == list(names)
    for goal in made.objective.goals:
        assert goal.direction == made.simulator.metric(goal.metric).direction
    default = fast_env(env_id)  # the default objective too
    for goal in default.objective.goals:
        assert goal.direction == default.simulator.metric(goal.metric).direction


@pytest.mark.parametrize("env_id", ["archgym/Accelerator-v0", "archgym/Mapping-v0"])
def test_the_clock_turns_cycles_into_seconds_and_power(env_id):
    seen = []
    for clock_ghz in (0.5, 2.0):
        env = fast_env(env_id, clock_ghz=clock_ghz)
        env.reset(seed=0)
        m = env.step(env.space.to_index(env.space.default_design()))[4]["metrics"]
        seconds = m["latency_cycles"] / (clock_ghz * 1e9)
        assert m["latency_s"] == pytest.approx(seconds, rel=1e-12)
        watts = m["energy_pj"] * 1e-12 / seconds
        assert m["power_mw"] == pytest.approx(watts * 1e3, rel=1e-12)
        assert m["edp_pj_s"] == pytest.approx(m["energy_pj"] * seconds, rel=1e-12)
        seen.append(m)
    slow, fast = seen  # the clock changes time, not cycles or energy
    assert slow["latency_cycles"] == fast["latency_cycles"]
    assert slow["energy_pj"] == fast["energy_pj"]
    assert slow["latency_s"] == pytest.approx(4 * fast["latency_s"])
    assert slow["power_mw"] == pytest.approx(fast["power_mw"] / 4)


@pytest.mark.parametrize("env_id", ["archgym/Systolic-v0", "archgym/Accelerator-v0",
                                    "archgym/Mapping-v0"])
@pytest.mark.parametrize("clock_ghz", [0, -1.0, math.inf, math.nan, "1", True, None])
def test_a_bad_clock_is_refused_by_name(env_id, clock_ghz):
    with pytest.raises(InvalidArgumentError, match="clock_ghz"):
        fast_env(env_id, clock_ghz=clock_ghz)
