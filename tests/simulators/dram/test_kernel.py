"""The controller kernel against JEDEC closed forms, an independent timing checker and the
expected direction of every controller option."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.dram import (
    DDR4_2400_X8_4GB,
    LPDDR4_3200_X16_8GB,
    AddressMapping,
    ControllerConfig,
    DRAMSimulator,
    DRAMWorkload,
    Trace,
    generate,
)
from simulators.dram import kernel as k
from simulators.dram.config import (
    ARBITERS,
    PAGE_POLICIES,
    RESP_QUEUES,
    SCHEDULER_BUFFERS,
    SCHEDULERS,
)
from simulators.errors import InvalidArgumentError
from tests.simulators.dram.checker import check_commands

SPECS = (DDR4_2400_X8_4GB, LPDDR4_3200_X16_8GB)
NO_REFRESH = {"RefreshPolicy": "NoRefresh"}
# DDR4 with the bank-group bits right above the burst, so a stream alternates bank groups
# (bits 0-5 are the 64-byte burst; DRAMSys-style explicit bit lists).
DDR4_BG_INTERLEAVED = AddressMapping(byte_bits=(0, 1, 2), column_bits=(3, 4, 5, *range(8, 15)),
                                     bank_group_bits=(6, 7), bank_bits=(15, 16),
                                     row_bits=tuple(range(17, 32)))


def address(sim: DRAMSimulator, bank: int, row: int, column: int = 0) -> int:
    """An address whose decode is (bank, row) under the simulator's mapping."""
    m, spec = sim.mapping, sim.spec
    per_group = spec.banks // spec.bank_groups
    fields = [(m.row_bits, row), (m.column_bits, column)]
    if m.bank_group_bits:
        fields += [(m.bank_group_bits, bank // per_group), (m.bank_bits, bank % per_group)]
    else:
        g, i = divmod(bank, per_group)
        fields += [(m.bank_bits, i * spec.bank_groups + g)]
    value = 0
    for bits, v in fields:
        for j, b in enumerate(bits):
            value |= ((v >> j) & 1) << b
    return value


def workload(sim, cells, times_ns, mode="timestamped"):
    """cells: [(bank, row, write)]."""
    addresses = [address(sim, b, r) for b, r, _ in cells]
    trace = Trace(np.array(addresses, np.uint64), np.array([w for *_, w in cells]),
                  np.array(times_ns, np.float64))
    return DRAMWorkload(trace, mode)


def latencies(sim, design, wl):
    result = sim.run(design, wl, record=True)
    assert check_commands(result.commands, sim.spec, result.bank, result.row,
                          result.is_write) == []
    return result.response - result.start, result


# -- closed forms ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_isolated_reads_take_the_jedec_closed_forms(spec):
    sim = DRAMSimulator(spec)
    # bank 1: closed bank, then a hit to the open row, then a conflict, each long after the last
    wl = workload(sim, [(1, 5, False), (1, 5, False), (1, 9, False)], [0.0, 1000.0, 2000.0])
    lat, _ = latencies(sim, {**NO_REFRESH, "PagePolicy": "Open"}, wl)
    cas = spec.rl + spec.burst_length // 2
    assert lat.tolist() == [spec.rcd + cas, cas, spec.rp + spec.rcd + cas]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_closed_page_turns_the_conflict_into_a_closed_bank(spec):
    sim = DRAMSimulator(spec)
    wl = workload(sim, [(2, 5, False), (2, 9, False)], [0.0, 1000.0])
    lat, result = latencies(sim, {**NO_REFRESH, "PagePolicy": "Closed"}, wl)
    assert lat.tolist() == [spec.rcd + spec.rl + spec.burst_cycles] * 2
    assert result.counters[k.RDA] == 2 and result.counters[k.PRE] == 0


@pytest.mark.parametrize("spec,mapping", [(DDR4_2400_X8_4GB, DDR4_BG_INTERLEAVED),
                                          (LPDDR4_3200_X16_8GB, "RoBaRaCoCh")],
                         ids=["DDR4", "LPDDR4"])
def test_streaming_reads_reach_peak_bandwidth_less_refresh(spec, mapping):
    sim = DRAMSimulator(spec, mapping)
    trace = generate("streaming", 40_000, line_bytes=spec.access_bytes)
    design = {"RefreshMaxPostponed": 0, "RefreshMaxPulledin": 0}
    metrics = sim.evaluate(design, DRAMWorkload(trace, "saturating"))
    expected = spec.peak_bandwidth_gbps * (1 - spec.rfc / spec.refi)
    assert 0.97 * expected < metrics["bandwidth_gbps"] <= expected * 1.001
    no_refresh = sim.evaluate(NO_REFRESH, DRAMWorkload(trace, "saturating"))
    assert 0.99 * spec.peak_bandwidth_gbps < no_refresh["bandwidth_gbps"] \
        <= spec.peak_bandwidth_gbps


def _all_miss_trace(sim, n):
    """Reads cycling over every bank, each to a new row: every one needs an activation."""
    banks = sim.spec.banks
    cells = [(i % banks, i // banks, False) for i in range(n)]
    return workload(sim, cells, [0.0] * n, mode="saturating")


def test_tfaw_limits_the_activation_rate():
    spec = DDR4_2400_X8_4GB  # tFAW/4 = 6.5 cycles > tRRD_S = 4: the window binds
    sim = DRAMSimulator(spec, DDR4_BG_INTERLEAVED)
    lat, result = latencies(sim, {**NO_REFRESH, "PagePolicy": "Closed"},
                            _all_miss_trace(sim, 400))
    acts = result.commands[result.commands[:, 1] == k.ACT, 0]
    assert len(acts) == 400
    assert (acts[-1] - acts[0]) / (len(acts) - 1) == pytest.approx(spec.faw / 4, rel=0.02)
    assert np.all(acts[4:] - acts[:-4] >= spec.faw)


def test_trrd_limits_the_activation_rate_when_the_window_is_wide():
    # 9 cycles: not a divisor of tRCD = 16, so RDs never collide with ACTs on the command bus
    spec = replace(DDR4_2400_X8_4GB, faw=4, rrd_s=9, rrd_l=9)
    sim = DRAMSimulator(spec, DDR4_BG_INTERLEAVED)
    _, result = latencies(sim, {**NO_REFRESH, "PagePolicy": "Closed"}, _all_miss_trace(sim, 400))
    acts = result.commands[result.commands[:, 1] == k.ACT, 0]
    assert np.diff(acts).min() == spec.rrd_s
    assert (acts[-1] - acts[0]) / (len(acts) - 1) == pytest.approx(spec.rrd_s, rel=0.02)


# -- the timing checker over generated traces and every configuration ----------------------
def _configs(spec):
    refresh = ("NoRefresh", "AllBank", "PerBank") if spec.has_per_bank_refresh \
        else ("NoRefresh", "AllBank")
    return [dict(zip(("PagePolicy", "Scheduler", "SchedulerBuffer", "RespQueue",
                      "RefreshPolicy", "Arbiter"), c, strict=True))
            for c in itertools.product(PAGE_POLICIES, SCHEDULERS, SCHEDULER_BUFFERS,
                                       RESP_QUEUES, refresh, ARBITERS)]


# Short refresh intervals so that refreshes interleave with the few requests generated.
FAST_REFRESH = {s.name: replace(s, refi=4 * s.rfc, refi_pb=max(s.refi_pb // 4, s.pbr2pbr + 1))
                for s in SPECS}
request_lists = st.lists(st.tuples(st.integers(0, 15), st.integers(0, 3), st.booleans(),
                                   st.sampled_from([0.0, 0.0, 1.0, 5.0, 40.0, 400.0])),
                         min_size=1, max_size=40)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@settings(max_examples=12, deadline=None)
@given(requests=request_lists, mode=st.sampled_from(["timestamped", "saturating"]),
       size=st.sampled_from([1, 2, 8]), postponed=st.integers(0, 8), pulledin=st.integers(0, 8),
       active=st.sampled_from([1, 4, 128]), seed=st.integers(0, 2**16))
def test_no_timing_violation_in_any_configuration(spec, requests, mode, size, postponed,
                                                  pulledin, active, seed):
    sim = DRAMSimulator(FAST_REFRESH[spec.name])
    cells = [(b % spec.banks, r, w) for b, r, w, _ in requests]
    times = np.cumsum([gap for *_, gap in requests])
    wl = workload(sim, cells, times, mode)
    configs = _configs(spec)
    rng = np.random.default_rng(seed)
    for i in rng.choice(len(configs), 24, replace=False):  # every config over the examples
        design = {**configs[i], "RequestBufferSize": size, "RefreshMaxPostponed": postponed,
                  "RefreshMaxPulledin": pulledin, "MaxActiveTransactions": active}
        result = sim.run(design, wl, record=True)
        assert check_commands(result.commands, sim.spec, result.bank, result.row,
                              result.is_write) == [], design
        _assert_conserved(sim, result, wl)


def test_every_configuration_is_legal_on_a_mixed_trace():
    for spec in SPECS:
        sim = DRAMSimulator(FAST_REFRESH[spec.name])
        wl = DRAMWorkload(generate("mixed", 120, seed=3, read_fraction=0.6, interval_ns=3.0,
                                   footprint_bytes=1 << 22))
        for design in _configs(spec):
            result = sim.run({**design, "RequestBufferSize": 4, "MaxActiveTransactions": 8},
                             wl, record=True)
            assert check_commands(result.commands, sim.spec, result.bank, result.row,
                                  result.is_write) == [], design
            _assert_conserved(sim, result, wl)


def _assert_conserved(sim, result, wl):
    n = len(wl.trace)
    c = result.counters
    assert c[k.RD] + c[k.RDA] == np.count_nonzero(~result.is_write)
    assert c[k.WR] + c[k.WRA] == np.count_nonzero(result.is_write)
    assert c[k.HITS] + c[k.MISSES] + c[k.CONFLICTS] == n
    assert np.all(result.response >= result.done) and np.all(result.done > result.start)
    metrics = sim.run_metrics(result)
    moved = metrics["bandwidth_gbps"] * metrics["total_time_ns"]
    assert moved == pytest.approx(n * sim.spec.access_bytes)


# -- each option's direction ------------------------------------------------------------------
SIM = DRAMSimulator()


def _run(design, kind="mixed", mode="saturating", n=4000, **trace_args):
    return SIM.evaluate(design, DRAMWorkload(generate(kind, n, seed=7, **trace_args), mode))


def test_frfcfs_beats_fifo_on_row_hit_rate():
    # two streams interleaved in one bank, in different rows: FIFO alternates rows
    cells = [(3, 10 + i % 2, False) for i in range(400)]
    wl = workload(SIM, cells, [0.0] * 400, mode="saturating")
    fifo, frfcfs = (SIM.evaluate({"Scheduler": s}, wl) for s in ("Fifo", "FrFcfs"))
    assert fifo["row_hit_rate"] < 0.01 and frfcfs["row_hit_rate"] > 0.7
    assert frfcfs["bandwidth_gbps"] > 2 * fifo["bandwidth_gbps"]


def test_the_checker_catches_violations():
    spec = DDR4_2400_X8_4GB
    misses = _all_miss_trace(SIM, 128)
    closed = SIM.run({"PagePolicy": "Closed"}, misses, record=True)
    stream = DRAMSimulator(spec, DDR4_BG_INTERLEAVED)
    streamed = stream.run(NO_REFRESH, DRAMWorkload(generate("streaming", 256), "saturating"),
                          record=True)
    cases = [(closed, replace(spec, rcd=spec.rcd + 1)), (closed, replace(spec, faw=spec.faw + 8)),
             (closed, replace(spec, rrd_s=spec.rrd_s + 1)),
             (closed, replace(spec, rtp=spec.rtp + 80)), (streamed, replace(spec, ccd_s=5)),
             (streamed, replace(spec, rl=spec.rl + 3, wl=spec.wl + 3, burst_length=10))]
    for result, stricter in cases:
        assert check_commands(result.commands, stricter, result.bank, result.row,
                              result.is_write) != []
    dropped = np.delete(closed.commands, np.flatnonzero(closed.commands[:, 1] == k.RDA)[0], 0)
    assert any("served 0 times" in v for v in check_commands(
        dropped, spec, closed.bank, closed.row, closed.is_write))


def test_closed_page_beats_open_on_random_latency():
    open_, closed = (_run({"PagePolicy": p}, kind="random", mode="timestamped",
                          interval_ns=20.0) for p in ("Open", "Closed"))
    assert closed["latency_ns"] < open_["latency_ns"]
    assert open_["row_conflicts"] > 0.9 * 4000 and closed["row_conflicts"] == 0


def test_closed_adaptive_keeps_rows_open_for_pending_hits():
    closed, adaptive = (_run({"PagePolicy": p}, kind="streaming") for p in
                        ("Closed", "ClosedAdaptive"))
    assert closed["row_hit_rate"] == 0 and adaptive["row_hit_rate"] > 0.5
    assert adaptive["bandwidth_gbps"] > closed["bandwidth_gbps"]


def test_open_adaptive_precharges_early_on_conflicts():
    open_, adaptive = (_run({"PagePolicy": p}, footprint_bytes=1 << 24) for p in
                       ("Open", "OpenAdaptive"))
    assert adaptive["row_conflicts"] < open_["row_conflicts"]


def test_no_refresh_is_faster_than_all_bank():
    none, allbank = (_run({"RefreshPolicy": p}, kind="streaming", n=20_000) for p in
                     ("NoRefresh", "AllBank"))
    assert none["total_cycles"] < allbank["total_cycles"] and none["refresh_count"] == 0
    due = allbank["total_cycles"] // DDR4_2400_X8_4GB.refi  # at most 8 postponed or pulled in
    assert due - 8 <= allbank["refresh_count"] <= due + 8


def test_per_bank_refresh_keeps_other_banks_serving():
    sim = DRAMSimulator("LPDDR4-3200")
    wl = DRAMWorkload(generate("random", 8000, seed=2), "saturating")
    allbank, perbank = (sim.evaluate({"RefreshPolicy": p}, wl) for p in ("AllBank", "PerBank"))
    assert perbank["read_latency_p99_ns"] < allbank["read_latency_p99_ns"]


def test_pulling_in_refreshes_during_idle_gaps():
    wl = DRAMWorkload(generate("cloud", 4000, seed=1, interval_ns=20.0))
    none, eight = (SIM.run({"RefreshMaxPulledin": p, "RefreshMaxPostponed": 0}, wl)
                   for p in (0, 8))
    assert eight.counters[k.REF] > none.counters[k.REF]


def test_bigger_buffers_expose_more_bank_parallelism():
    small, big = (_run({"SchedulerBuffer": "Shared", "RequestBufferSize": s}, kind="random")
                  for s in (1, 32))
    assert big["bandwidth_gbps"] > 2 * small["bandwidth_gbps"]


def test_max_active_transactions_throttles_fifo_and_reorder_arbiters_only():
    for arbiter in ("Fifo", "Reorder"):
        one, many = (_run({"Arbiter": arbiter, "MaxActiveTransactions": m}, kind="random")
                     for m in (1, 64))
        assert one["bandwidth_gbps"] < 0.5 * many["bandwidth_gbps"]
    simple = [_run({"Arbiter": "Simple", "MaxActiveTransactions": m}, kind="random")
              for m in (1, 64)]
    assert simple[0] == simple[1]


def test_reorder_response_queue_returns_in_request_order():
    wl = DRAMWorkload(generate("random", 2000, seed=4, interval_ns=5.0))
    fifo, reorder = (SIM.run({"RespQueue": q}, wl) for q in RESP_QUEUES)
    assert np.all(np.diff(reorder.response) >= 0) and np.any(np.diff(fifo.response) < 0)
    assert SIM.run_metrics(reorder)["latency_ns"] > SIM.run_metrics(fifo)["latency_ns"]


def _turnarounds(result):
    cas = result.commands[np.isin(result.commands[:, 1], [k.RD, k.RDA, k.WR, k.WRA])]
    writes = np.isin(cas[:, 1], [k.WR, k.WRA])
    return int(np.count_nonzero(writes[1:] != writes[:-1]))


def test_grouping_and_write_drain_cut_read_write_turnarounds():
    wl = DRAMWorkload(generate("hotset", 3000, seed=5, read_fraction=0.5, hot_lines=64),
                      "saturating")
    plain = SIM.run({"Scheduler": "FrFcfs"}, wl, record=True)
    grouped = SIM.run({"Scheduler": "FrFcfsGrp"}, wl, record=True)
    drained = SIM.run({"SchedulerBuffer": "ReadWrite", "RequestBufferSize": 32,
                       "WriteDrainHigh": 0.8, "WriteDrainLow": 0.2}, wl, record=True)
    assert _turnarounds(grouped) < _turnarounds(plain)
    assert _turnarounds(drained) < 0.5 * _turnarounds(plain)


def test_row_hit_cap_limits_consecutive_hits():
    uncapped, capped = (_run({"RowHitCap": c}, footprint_bytes=1 << 24) for c in (0, 2))
    assert capped["row_hit_rate"] < uncapped["row_hit_rate"]


def test_invalid_per_bank_refresh_on_ddr4_is_a_design_error():
    from simulators.errors import InvalidDesignError
    with pytest.raises(InvalidDesignError, match="RefreshPolicy"):
        _run({"RefreshPolicy": "PerBank"}, n=10)


def test_saturating_mode_ignores_trace_times():
    trace = generate("random", 500, seed=1, interval_ns=1000.0)
    timed = SIM.evaluate({}, DRAMWorkload(trace, "timestamped"))
    saturated = SIM.evaluate({}, DRAMWorkload(trace, "saturating"))
    assert saturated["total_time_ns"] < 0.1 * timed["total_time_ns"]
    assert timed["total_time_ns"] >= 499 * 1000.0


def test_simulator_protocol_and_threaded_batches():
    from simulators.base import Simulator
    assert isinstance(SIM, Simulator)
    wl = DRAMWorkload(generate("mixed", 500, seed=1))
    designs = [{"PagePolicy": p} for p in ("Open", "Closed", "OpenAdaptive")]
    prepared = SIM.prepare(wl)
    assert SIM.prepare(prepared) is prepared
    batch = SIM.evaluate_batch(designs + [{"PagePolicy": "Ajar"}], prepared)
    assert [batch.row(i) for i in range(3)] == [SIM.evaluate(d, wl) for d in designs]
    assert batch.valid.tolist() == [True, True, True, False]
    assert "PagePolicy='Ajar'" in batch.reasons[3] and "Open" in batch.reasons[3]
    by_columns = SIM.evaluate_batch({"PagePolicy": np.array(["Open", "Closed"])}, wl)
    assert [by_columns.row(i) for i in range(2)] == [batch.row(0), batch.row(1)]


def test_controller_config_round_trips_and_rejects_unknown_options():
    from simulators.errors import InvalidDesignError
    with pytest.raises(InvalidDesignError, match="CmdMux"):
        ControllerConfig.from_dict({"CmdMux": "Strict"})
    config = ControllerConfig.from_dict({"Scheduler": "Fifo", "CmdMux": "Oldest"})
    assert config.Scheduler == "Fifo" and ControllerConfig.from_dict(config.as_dict()) == config
    from simulators.errors import InvalidDesignError
    with pytest.raises(InvalidDesignError, match="mcconfig option"):
        ControllerConfig.from_dict({"Schedular": "Fifo"})
    with pytest.raises(InvalidDesignError, match="PagePolicy"):
        ControllerConfig(PagePolicy="Half")


def test_two_interleaved_channels_double_streaming_bandwidth():
    spec = LPDDR4_3200_X16_8GB
    trace = generate("streaming", 8000, line_bytes=spec.access_bytes)
    one = DRAMSimulator(spec)
    two = DRAMSimulator(spec, "RoBaRaCoCh", channels=2)  # channel bit right above the burst
    wl = DRAMWorkload(trace, "saturating")
    m1, result = one.evaluate(NO_REFRESH, wl), two.run(NO_REFRESH, wl, record=True)
    m2 = two.run_metrics(result)
    assert m2["bandwidth_gbps"] == pytest.approx(2 * m1["bandwidth_gbps"], rel=0.02)
    assert np.bincount(result.channel).tolist() == [4000, 4000]
    assert m2["power_mw"] == pytest.approx(2 * m1["power_mw"], rel=0.05)
    for c in (0, 1):  # each channel's commands are legal on their own
        mine = np.flatnonzero(result.channel == c)
        local = np.full(len(trace), -1)
        local[mine] = np.arange(len(mine))
        cmds = result.commands[result.command_channel == c].copy()
        cmds[:, 4] = np.where(cmds[:, 4] >= 0, local[cmds[:, 4]], -1)
        assert check_commands(cmds, spec, result.bank[mine], result.row[mine],
                              result.is_write[mine]) == []
    with pytest.raises(InvalidArgumentError, match="channels"):
        DRAMSimulator(spec, "RoBaCo", channels=2)


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("fast_refresh", [True, False])
def test_no_timing_violation_on_long_traces_in_every_configuration(spec, fast_refresh):
    sim = DRAMSimulator(FAST_REFRESH[spec.name] if fast_refresh else spec)
    rng = np.random.default_rng(0)
    for i, design in enumerate(_configs(spec)):
        kind = ("mixed", "hotset", "random", "cloud", "streaming")[i % 5]
        trace = generate(kind, 1500, seed=i, read_fraction=0.6, footprint_bytes=1 << 22,
                         interval_ns=float(rng.choice([0.5, 3.0, 20.0])), hot_lines=32)
        wl = DRAMWorkload(trace, ("timestamped", "saturating")[i % 2])
        design = {**design, "RequestBufferSize": int(rng.choice([1, 2, 4, 8, 32, 128])),
                  "RefreshMaxPostponed": int(rng.integers(0, 9)),
                  "RefreshMaxPulledin": int(rng.integers(0, 9)),
                  "MaxActiveTransactions": int(rng.choice([1, 3, 16, 128])),
                  "RowHitCap": int(rng.choice([0, 0, 2, 16])),
                  **({"WriteDrainHigh": 0.75, "WriteDrainLow": 0.25} if i % 7 == 0 else {})}
        result = sim.run(design, wl, record=True)
        assert check_commands(result.commands, sim.spec, result.bank, result.row,
                              result.is_write) == [], design
        _assert_conserved(sim, result, wl)
