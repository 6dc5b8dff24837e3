"""Objectives: bounded rewards in every mode, and exact hypervolume."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym_env.objective import Goal, Objective, budget_objective, make_objective
from archgym_env.pareto import ParetoArchive, hypervolume, non_dominated
from simulators.base import Metric
from simulators.errors import InvalidArgumentError

positive = st.floats(1e-12, 1e12, allow_nan=False, allow_infinity=False)
DECLARED = (Metric("latency_s", "s", "min"), Metric("energy_pj", "pJ", "min"),
            Metric("utilization", "fraction", "max"))
METRICS = tuple(m.name for m in DECLARED)


def objective(mode):
    return make_objective(
        mode, METRICS, DECLARED, targets={"latency_s": 1e-3, "energy_pj": 5e9, "utilization": 0.5},
        limits={"latency_s": 2e-3, "energy_pj": 1e10} if mode == "constrained" else None,
        quality="utilization" if mode == "constrained" else None,
        references={"latency_s": 1e-2, "energy_pj": 1e11, "utilization": 0.01})


@pytest.mark.parametrize("mode", ["target", "constrained", "weighted", "pareto"])
@given(values=st.lists(st.tuples(positive, positive, positive), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_rewards_are_finite_and_within_their_range(mode, values):
    obj = objective(mode)
    low, high = obj.reward_range
    for lat, energy, util in values:
        r = obj.reward({"latency_s": lat, "energy_pj": energy, "utilization": util})
        assert math.isfinite(r) and low <= r <= high
    columns = {name: np.array(column) for name, column in
               zip(("latency_s", "energy_pj", "utilization"), zip(*values, strict=True),
                   strict=True)}
    one_by_one = [obj.reward({k: v[i] for k, v in columns.items()}) for i in range(len(values))]
    np.testing.assert_allclose(obj.reward(columns), one_by_one, rtol=1e-12)
    assert obj.feasible(columns).tolist() == [
        obj.feasible({k: v[i] for k, v in columns.items()}) for i in range(len(values))]
    assert obj.minimization_form(columns).shape == (len(values), 3)


def test_target_reward_is_one_at_and_beyond_target_and_continuous():
    goal = Goal("latency_s", "min", target=1e-3)
    assert goal.score(1e-3) == 1.0 and goal.score(1e-9) == 1.0
    assert goal.score(2e-3) == pytest.approx(0.5)
    assert goal.score(1e-3 * (1 + 1e-9)) == pytest.approx(1.0)
    up = Goal("utilization", "max", target=0.5)
    assert up.score(0.25) == pytest.approx(0.5) and up.score(0.9) == 1.0


def test_constrained_reward_is_quality_when_feasible_else_penalized():
    obj = objective("constrained")
    ok = {"latency_s": 1e-3, "energy_pj": 1e9, "utilization": 0.4}
    assert obj.feasible(ok) and obj.reward(ok) == pytest.approx(0.4 / 0.5)
    late = {**ok, "latency_s": 3e-3}  # 50% over the 2 ms limit
    assert not obj.feasible(late) and obj.reward(late) == pytest.approx(0.8 - 0.5)
    awful = {**ok, "latency_s": 1.0, "energy_pj": 1e15}
    assert obj.reward(awful) == pytest.approx(0.8 - 2.0)


def test_weighted_reward_counts_decades():
    obj = make_objective("weighted", ("latency_s", "energy_pj"), DECLARED,
                         targets={"latency_s": 1e-3, "energy_pj": 1e9},
                         weights={"latency_s": 3.0, "energy_pj": 1.0})
    # 10x faster than the scale (+1 decade, weight 3/4), 100x more energy (-2, weight 1/4).
    assert obj.reward({"latency_s": 1e-4, "energy_pj": 1e11}) == pytest.approx(0.75 - 0.5)


def test_mode_requirements_are_checked():
    with pytest.raises(InvalidArgumentError, match="latency_s.target"):
        Objective("target", (Goal("latency_s"),))
    with pytest.raises(InvalidArgumentError, match="quality"):
        Objective("constrained", (Goal("latency_s", limit=1.0),), quality="accuracy")
    with pytest.raises(InvalidArgumentError, match="reward mode"):
        Objective("best", (Goal("latency_s"),))
    with pytest.raises(InvalidArgumentError, match="latency_s.target"):
        Objective("constrained", (Goal("latency_s"), Goal("area", limit=1.0)),
                  quality="latency_s")
    with pytest.raises(InvalidArgumentError, match="utilization.reference"):
        Objective("pareto", (Goal("latency_s", target=1.0), Goal("utilization", "max")))
    with pytest.raises(InvalidArgumentError, match="metric='power'"):
        make_objective("target", ("power",), DECLARED)
    with pytest.raises(InvalidArgumentError, match="declared metrics"):
        make_objective("target", METRICS, METRICS)  # names alone carry no direction


def test_goal_directions_come_from_the_declared_metrics_not_their_names():
    declared = (Metric("row_hit_rate", "fraction", "max"), Metric("row_hits", "count", "max"),
                Metric("utilization_gap", "fraction", "min"),
                Metric("bandwidth_gbps", "GB/s", "min"))
    names = [m.name for m in declared]
    obj = make_objective("pareto", names, declared, references=dict.fromkeys(names, 1.0))
    assert [g.direction for g in obj.goals] == ["max", "max", "min", "min"]
    # A maximized goal is better the larger it is; a minimized one the smaller.
    assert obj.reward_vector({"row_hit_rate": 0.9, "row_hits": 9, "utilization_gap": 0.1,
                              "bandwidth_gbps": 1.0}).tolist() == pytest.approx(
        [-1 / 0.9, -1 / 9, -0.1, -1.0])


points_2d = st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=30)
points_3d = st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1,
                     max_size=25)
points_4d = st.lists(st.tuples(*[st.floats(0, 1)] * 4), min_size=1, max_size=12)


@pytest.mark.parametrize("strategy", [points_2d, points_3d, points_4d], ids=["2d", "3d", "4d"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_hypervolume_matches_pymoo(strategy, data):
    from pymoo.indicators.hv import HV

    pts = np.array(data.draw(strategy))
    ref = np.full(pts.shape[1], 1.1)
    assert hypervolume(pts, ref) == pytest.approx(HV(ref_point=ref)(pts), rel=1e-9, abs=1e-12)


def test_hypervolume_by_hand():
    # (1, 2) dominates [1,3]x[2,3] = 2; (2, 1) dominates [2,3]x[1,3] = 2; overlap 1 -> 3.
    assert hypervolume([(1, 2), (2, 1)], (3, 3)) == pytest.approx(3.0)
    assert hypervolume([(0, 0, 0)], (1, 2, 3)) == pytest.approx(6.0)
    assert hypervolume([(5, 5)], (3, 3)) == 0.0


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=40))
def test_archive_keeps_exactly_the_non_dominated_points(pts):
    archive = ParetoArchive([2.0, 2.0])
    for p in pts:
        archive.add(p)
    arr = np.unique(np.array(pts), axis=0)
    front = arr[non_dominated(arr)]
    assert {tuple(p) for p in archive.points} == {tuple(p) for p in front}
    assert archive.hypervolume() == pytest.approx(hypervolume(arr, [2.0, 2.0]))


@pytest.mark.parametrize("mode", ["target", "weighted", "constrained", "pareto"])
@pytest.mark.parametrize("given_own", [False, True])
def test_a_callable_budget_is_called_only_when_the_mode_needs_it(mode, given_own):
    budget = {"latency_s": 1e-3, "energy_pj": 5e9, "area_mm2": 2.0}
    own = {"latency_s": 4e-3, "energy_pj": 1e9}
    table = {"target": "targets", "weighted": "targets", "constrained": "limits",
             "pareto": "references"}
    kwargs = {table[mode]: own} if given_own else {}
    calls = []

    def lazy():
        calls.append(1)
        return budget

    available = (*DECLARED, Metric("area_mm2", "mm2", "min"))
    made = budget_objective(mode, METRICS[:2], available, lazy, "utilization", **kwargs)
    assert len(calls) == (0 if given_own else 1)
    assert made == budget_objective(mode, METRICS[:2], available, budget, "utilization",
                                    **kwargs)
    field = {"targets": "target", "limits": "limit", "references": "reference"}[table[mode]]
    assert {g.metric: getattr(g, field) for g in made.goals if g.metric in own} == (
        own if given_own else {m: budget[m] for m in own})


@pytest.mark.parametrize("reward", ["target", "constrained", "weighted", "pareto"])
def test_an_objective_survives_json_as_it_is(reward):
    import json

    from archgym_env.registry import make

    objective = make("archgym/Systolic-v0", reward=reward,
                     weights={"latency_s": 2.0}).unwrapped.objective
    back = Objective.from_dict(json.loads(json.dumps(objective.as_dict())))
    assert back == objective
    metrics = {"latency_s": 2e-3, "energy_pj": 1e9, "area_mm2": 4.0, "utilization": 0.5}
    assert back.reward(metrics) == objective.reward(metrics)


@pytest.mark.parametrize("data, message", [
    ({"mode": "pareto"}, "objective="),
    ({"mode": "pareto", "goals": [{"metric": "x", "reference": 1.0, "colour": "red"}]},
     "objective goal="),
    ({"mode": "best", "goals": [{"metric": "x", "target": 1.0}]}, "reward mode='best'"),
    ({"mode": "target", "goals": [{"metric": "x", "target": -1.0}]}, "x.target=-1.0"),
])
def test_a_bad_stored_objective_is_refused_by_name(data, message):
    import re

    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        Objective.from_dict(data)


@given(batches=st.lists(st.lists(st.tuples(*[st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 1.5])]
                                            * 3), max_size=120), min_size=1, max_size=3))
@settings(max_examples=60, deadline=None)
def test_adding_a_batch_is_adding_its_points_one_by_one(batches):
    one_by_one, batched = ParetoArchive(np.ones(3)), ParetoArchive(np.ones(3))
    for b, batch in enumerate(batches):
        for j, point in enumerate(batch):
            one_by_one.add(point, (b, j))
        batched.add_batch(np.array(batch).reshape(-1, 3), lambda j, b=b: (b, j))
        assert batched.payloads == one_by_one.payloads
        np.testing.assert_array_equal(batched.points, one_by_one.points)
        assert batched.hypervolume() == one_by_one.hypervolume()


def test_gated_constrained_reward_is_the_penalty_alone_when_a_limit_breaks():
    goals = (Goal("acc", "max", target=100.0), Goal("lat", "min", limit=2.0),
             Goal("area", "min", limit=4.0))
    gated = Objective("constrained", goals, "acc", gated=True)
    plain = Objective("constrained", goals, "acc")
    ok = {"acc": 90.0, "lat": 1.0, "area": 4.0}
    assert gated.reward(ok) == plain.reward(ok) == pytest.approx(0.9)
    late = {**ok, "lat": 2.5}  # 25% over one limit
    assert plain.reward(late) == pytest.approx(0.9 - 0.25)
    assert gated.reward(late) == pytest.approx(-0.25)
    both = {"acc": 99.0, "lat": 9.0, "area": 4.4}  # excess capped at 1, plus 10%
    assert gated.reward(both) == pytest.approx(-1.1) and gated.reward_range == (-2.0, 1.0)
    columns = {k: np.array([ok[k], late[k]]) for k in ok}
    assert gated.reward(columns) == pytest.approx([0.9, -0.25])
    assert Objective.from_dict(gated.as_dict()) == gated
    assert Objective.from_dict({k: v for k, v in plain.as_dict().items()
                                if k != "gated"}) == plain  # runs stored before the field
    with pytest.raises(InvalidArgumentError, match="gated"):
        Objective("target", (Goal("lat", "min", target=1.0),), gated=True)
