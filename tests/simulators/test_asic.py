"""The heterogeneous ASIC against the accelerator model and hand arithmetic."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.accelerator.simulator import AcceleratorSimulator
from simulators.asic import (
    NASAIC_TEMPLATES,
    AsicSimulator,
    MapperCache,
    list_schedule,
    mesh,
    sub_accelerator,
)
from simulators.base import Simulator
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer, Network

MAPPER = {"mapper_budget": 60, "mapper_rounds": 1}
NET_A = [Layer("a1", M=16, C=8, P=8, Q=8, R=3, S=3), Layer("a2", M=32, C=16, P=4, Q=4),
         Layer.fc("a3", 64, 10)]
NET_B = [Layer("b1", M=8, C=4, P=16, Q=16, R=3, S=3), Layer("b2", M=16, C=8, P=8, Q=8)]


def sub(i, dataflow, pes, gbps):
    return {f"sub{i}.dataflow": dataflow, f"sub{i}.pes": pes, f"sub{i}.bandwidth_gbps": gbps}


def test_mesh_and_bandwidth_share_by_hand():
    assert mesh(256) == (16, 16) and mesh(2048) == (64, 32) and mesh(12) == (4, 3)
    assert mesh(7) == (7, 1)
    # 32 GB/s at 1 GHz is 32 B per cycle: 16 words of 16 bits, 32 of 8 bits.
    acc = sub_accelerator(sub(0, "nvdla_like", 2048, 32), 0)
    assert (acc["pe_x"], acc["pe_y"]) == (64, 32)
    assert acc["dram_bandwidth_words"] == acc["noc_bandwidth_words"] == 16
    assert sub_accelerator({**sub(0, "nvdla_like", 64, 32), "sub0.precision_bits": 8},
                           0)["dram_bandwidth_words"] == 32
    assert sub_accelerator(sub(0, "nvdla_like", 64, 32), 0, clock_ghz=2.0)[
        "dram_bandwidth_words"] == 8


@pytest.mark.parametrize("dataflow", NASAIC_TEMPLATES)
def test_one_sub_accelerator_equals_the_accelerator_model(dataflow):
    design = {"subs": 1, **sub(0, dataflow, 256, 32)}
    asic = AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER).evaluate(design, NET_A)
    alone = AcceleratorSimulator(**MAPPER).evaluate(sub_accelerator(design, 0), NET_A)
    for name in ("latency_cycles", "latency_s", "energy_pj", "area_mm2", "utilization",
                 "power_mw", "edp_pj_s"):
        assert asic[name] == pytest.approx(alone[name], rel=1e-12), name
    assert asic["task0_latency_cycles"] == alone["latency_cycles"]
    assert asic["sub0_utilization"] == pytest.approx(alone["utilization"])
    assert asic["sub1_utilization"] == asic["sub2_utilization"] == 0


def test_two_sub_accelerators_on_two_networks_take_the_maximum_latency():
    design = {"subs": 2, **sub(0, "eyeriss_like", 256, 32), **sub(1, "nvdla_like", 1024, 32),
              "assign.0": 0, "assign.1": 1}
    simulator = AsicSimulator(tasks=2, cache=MapperCache(), **MAPPER)
    result = simulator.evaluate_batch([design], [NET_A, Network("b", tuple(NET_B))])
    got = result.row(0)
    accelerator = AcceleratorSimulator(**MAPPER)
    a = accelerator.evaluate(sub_accelerator(design, 0), NET_A)
    b = accelerator.evaluate(sub_accelerator(design, 1), NET_B)
    assert got["latency_cycles"] == max(a["latency_cycles"], b["latency_cycles"])
    assert got["latency_cycles"] < a["latency_cycles"] + b["latency_cycles"]
    assert (got["task0_latency_cycles"], got["task1_latency_cycles"]) == (
        a["latency_cycles"], b["latency_cycles"])
    assert got["energy_pj"] == pytest.approx(a["energy_pj"] + b["energy_pj"])
    assert got["area_mm2"] == pytest.approx(a["area_mm2"] + b["area_mm2"])
    macs_a = sum(layer.macs for layer in NET_A)
    assert got["sub0_utilization"] == pytest.approx(macs_a / (256 * got["latency_cycles"]))
    schedule = result.details[0]
    assert [x.sub for x in schedule.layers] == [0, 0, 0, 1, 1]
    assert schedule.busy_cycles == (a["latency_cycles"], b["latency_cycles"])


@pytest.mark.parametrize("shares, reason", [
    ({**sub(0, "eyeriss_like", 3000, 16), **sub(1, "nvdla_like", 2000, 16)},
     "3000 + 2000"),
    ({**sub(0, "eyeriss_like", 64, 40), **sub(1, "nvdla_like", 64, 30)}, "40 + 30"),
])
def test_shares_above_the_budgets_are_invalid_with_a_reason(shares, reason):
    simulator = AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER)
    result = simulator.evaluate_batch([{"subs": 2, **shares}], [NET_A])
    assert not result.valid[0] and reason in result.reasons[0]
    assert "budget" in result.reasons[0]
    assert math.isnan(result.metrics["latency_cycles"][0])


def test_shares_at_the_budgets_are_valid():
    design = {"subs": 2, **sub(0, "shidiannao_like", 2048, 32),
              **sub(1, "nvdla_like", 2048, 32)}
    assert AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER).evaluate_batch(
        [design], [NET_A]).valid[0]


@pytest.mark.parametrize("bad, name", [
    ({"sub0.dataflow": "systolic"}, "sub0.dataflow"),
    ({"sub0.pes": 0}, "sub0.pes"),
    ({"sub0.bandwidth_gbps": -1.0}, "sub0.bandwidth_gbps"),
    ({"sub0.glb_kb": 1.5}, "sub0.glb_kb"),
    ({"assign.0": 1}, "assign.0"),
    ({"assign.0.2": 3}, "assign.0.2"),
    ({"subs": 4}, "subs"),
])
def test_bad_values_are_invalid_designs_naming_the_key(bad, name):
    design = {"subs": 1, **sub(0, "eyeriss_like", 256, 32), **bad}
    result = AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER).evaluate_batch(
        [design], [NET_A])
    assert not result.valid[0] and result.reasons[0].startswith(name + "=")


def test_follows_the_simulator_protocol_with_per_task_and_per_sub_metrics():
    simulator = AsicSimulator(tasks=2, max_subs=2)
    assert isinstance(simulator, Simulator)
    assert {"task1_latency_s", "task1_latency_cycles", "sub1_utilization"} <= set(
        simulator.metric_names)
    assert "sub2_utilization" not in simulator.metric_names


def test_workload_must_hold_the_simulators_tasks():
    with pytest.raises(InvalidArgumentError, match="2 task networks"):
        AsicSimulator(tasks=2).prepare([NET_A])
    assert AsicSimulator(tasks=1).prepare(NET_A).tasks == (tuple(NET_A),)


def test_list_schedule_by_hand():
    # Both first layers finish at 1 on sub 0: task 0 wins the tie; task 1 then finishes
    # sooner after it on sub 0 (1 + 1) than alone on sub 1 (3).
    assert list_schedule([np.array([[1.0, 2.0]]), np.array([[1.0, 3.0]])]) == [
        [(0, 0.0, 1.0)], [(0, 1.0, 2.0)]]
    # A chain waits for its previous layer even when another sub-accelerator is free.
    assert list_schedule([np.array([[2.0, math.inf], [math.inf, 1.0]])]) == [
        [(0, 0.0, 2.0), (1, 2.0, 3.0)]]


def _row(subs):  # a layer's cycles per sub-accelerator, inf (0 drawn) where it cannot run
    return st.lists(st.integers(0, 50), min_size=subs, max_size=subs).map(
        lambda row: [float(c) if c else math.inf for c in row] if any(row)
        else [1.0] + [math.inf] * (subs - 1))


chains = st.integers(1, 3).flatmap(lambda subs: st.lists(st.lists(
    _row(subs), min_size=1, max_size=6), min_size=1, max_size=4))


@settings(max_examples=100, deadline=None)
@given(chains)
def test_list_schedule_properties(tasks):
    cycles = [np.array(task) for task in tasks]
    placed = list_schedule(cycles)
    makespan = max(p[-1][2] for p in placed)
    runs = [(k, s, e, cycles[t][i, k]) for t, p in enumerate(placed)
            for i, (k, s, e) in enumerate(p)]
    assert all(e - s == c for _, s, e, c in runs)  # each layer takes its own cycles
    busy = [sum(e - s for k, s, e, _ in runs if k == j) for j in range(len(tasks[0][0]))]
    assert makespan >= max(busy)
    assert makespan <= sum(c for *_, c in runs)
    for p in placed:  # layers run in order within a task
        assert p[0][1] >= 0 and all(a[2] <= b[1] for a, b in zip(p, p[1:], strict=False))
    for j in range(len(busy)):  # a sub-accelerator runs one layer at a time
        spans = sorted((s, e) for k, s, e, _ in runs if k == j)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_list_scheduled_design_is_consistent_with_its_schedule():
    design = {**sub(0, "eyeriss_like", 512, 32), **sub(1, "shidiannao_like", 1024, 32)}
    simulator = AsicSimulator(tasks=2, cache=MapperCache(), **MAPPER)
    result = simulator.evaluate_batch([design], [NET_A, NET_B])
    got, schedule = result.row(0), result.details[0]
    assert got["latency_cycles"] == max(x.end_cycle for x in schedule.layers)
    assert got["latency_cycles"] >= max(schedule.busy_cycles)
    assert got["energy_pj"] == pytest.approx(sum(x.energy_pj for x in schedule.layers))
    assert [x.layer for x in schedule.layers] == [layer.name for layer in NET_A + NET_B]
    # A layer pinned to a sub-accelerator runs there; the others stay list-scheduled.
    pinned = simulator.evaluate_batch([{**design, "assign.0.1": 1}], [NET_A, NET_B])
    placed = {x.layer: x.sub for x in pinned.details[0].layers}
    assert placed["a2"] == 1 and pinned.valid[0]


def test_list_schedule_refuses_a_layer_that_runs_nowhere():
    with pytest.raises(InvalidArgumentError, match="runs nowhere"):
        list_schedule([np.array([[1.0], [math.inf]])])


def test_cache_hits_across_designs_and_gives_the_same_numbers():
    cache = MapperCache()
    cached = AsicSimulator(tasks=2, cache=cache, **MAPPER)
    first = {**sub(0, "eyeriss_like", 256, 32), **sub(1, "nvdla_like", 1024, 32)}
    other = {**sub(0, "eyeriss_like", 256, 32), **sub(1, "nvdla_like", 512, 32)}
    rows = cached.evaluate_batch([first, other], [NET_A, NET_B])
    assert cache.misses == 5 * 3 and cache.hits == 5  # sub 0 shared by both designs
    again = cached.evaluate_batch([first], [NET_A, NET_B])
    assert cache.hits == 5 + 10 and again.row(0) == rows.row(0)
    uncached = AsicSimulator(tasks=2, cache=False, **MAPPER).evaluate_batch(
        [first, other], [NET_A, NET_B])
    assert uncached.row(0) == rows.row(0) and uncached.row(1) == rows.row(1)


def test_cache_drops_the_oldest_entry():
    cache = MapperCache(max_entries=2)
    for key in ("a", "b", "a", "c"):
        cache.get(key, lambda: (1.0, 1.0))
    assert (cache.hits, cache.misses, len(cache)) == (1, 3, 2)
    cache.get("b", lambda: (2.0, 2.0))
    assert cache.hits == 2  # "a" went, not "b"


def _nb201(arch="|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|"
                "none~1|nor_conv_3x3~2|"):
    from simulators.workloads import network
    return network("nb201:" + arch)


@pytest.mark.parametrize("dataflow", NASAIC_TEMPLATES)
def test_one_sub_accelerator_equals_the_accelerator_model_with_layers_without_macs(dataflow):
    net = _nb201()
    assert net.elementwise  # pooling and the cells' sums
    design = {"subs": 1, **sub(0, dataflow, 256, 16)}
    result = AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER).evaluate_batch([design],
                                                                                 [net])
    alone = AcceleratorSimulator(**MAPPER).evaluate(sub_accelerator(design, 0), net)
    got = result.row(0)
    for name in ("latency_cycles", "energy_pj", "area_mm2", "utilization"):
        assert got[name] == pytest.approx(alone[name], rel=1e-12), name
    # every layer of the graph is scheduled, in graph order, one after another
    schedule = result.details[0]
    assert [x.layer for x in schedule.layers] == [n.name for n in net.graph
                                                  if n.op != "input"][:len(schedule.layers)]
    assert len(schedule.layers) == len(net.layers) + len(net.elementwise)
    assert all(a.end_cycle == b.start_cycle for a, b in zip(schedule.layers,
                                                             schedule.layers[1:], strict=False))
    assert sum(x.macs for x in schedule.layers) == net.macs


def test_layers_without_macs_are_charged_where_they_run():
    net = _nb201()
    design = {"subs": 2, **sub(0, "eyeriss_like", 256, 16), **sub(1, "nvdla_like", 512, 32),
              "assign.0": 1}
    schedule = AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER).run(design, net)
    assert {x.sub for x in schedule.layers} == {1}
    alone = AcceleratorSimulator(**MAPPER).evaluate(sub_accelerator(design, 1), net)
    assert schedule.task_cycles[0] == pytest.approx(alone["latency_cycles"])
    assert schedule.busy_cycles == (0, alone["latency_cycles"])


def test_a_sub_accelerator_without_pes_is_absent():
    design = {"subs": 2, **sub(0, "eyeriss_like", 0, 0), **sub(1, "nvdla_like", 256, 32)}
    simulator = AsicSimulator(tasks=1, cache=MapperCache(), **MAPPER)
    got = simulator.evaluate(design, NET_A)
    alone = simulator.evaluate({"subs": 1, **sub(0, "nvdla_like", 256, 32)}, NET_A)
    for name in ("latency_cycles", "energy_pj", "area_mm2"):
        assert got[name] == alone[name]
    assert got["sub0_utilization"] == 0 and got["sub1_utilization"] == alone[
        "sub0_utilization"]
    none = simulator.evaluate_batch([{"subs": 1, **sub(0, "eyeriss_like", 0, 16)}], NET_A)
    assert not none.valid[0] and none.reasons[0].startswith("sub0.pes=0")
    pinned = simulator.evaluate_batch([{**design, "assign.0": 0}], NET_A)
    assert not pinned.valid[0] and "in use: 1" in pinned.reasons[0]


def test_a_batch_searches_each_missing_placement_once():
    cache = MapperCache()
    simulator = AsicSimulator(tasks=2, cache=cache, **MAPPER)
    first = {**sub(0, "eyeriss_like", 256, 32), **sub(1, "nvdla_like", 1024, 32)}
    designs = [first, first, {**first, "sub1.pes": 512}]
    rows = simulator.evaluate_batch(designs, [NET_A, NET_B])
    assert cache.misses == 5 * 3 and cache.hits == 5 * 3
    assert rows.row(0) == rows.row(1)
