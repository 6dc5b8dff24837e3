"""`DRAMSimulator`: one memory channel, controller config as the design, a trace as workload."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulators.base import BatchResult, CostModel, Designs, Metric, Metrics, design_rows
from simulators.dram import layout
from simulators.dram.addressmap import AddressMapping, address_mapping
from simulators.dram.compiled import simulate_function
from simulators.dram.config import (
    ALL_SCHEDULERS,
    ARBITERS,
    PAGE_POLICIES,
    REFRESH_POLICIES,
    SCHEDULER_BUFFERS,
    ControllerConfig,
)
from simulators.dram.energy import energy
from simulators.dram.memspec import MemSpec, memspec
from simulators.dram.traces import DRAMWorkload
from simulators.errors import InvalidArgumentError, InvalidDesignError

METRICS = (
    Metric("latency_ns", "ns", "min", "mean read latency, arrival to response"),
    Metric("latency_cycles", "cycles", "min", "mean read latency in controller cycles"),
    Metric("read_latency_p50_ns", "ns", "min", "median read latency"),
    Metric("read_latency_p95_ns", "ns", "min", "95th-percentile read latency"),
    Metric("read_latency_p99_ns", "ns", "min", "99th-percentile read latency"),
    Metric("write_latency_ns", "ns", "min", "mean write latency"),
    Metric("write_latency_cycles", "cycles", "min", "mean write latency in cycles"),
    Metric("bandwidth_gbps", "GB/s", "max", "bytes moved / total_time_ns"),
    Metric("power_mw", "mW", "min", "energy_pj / total_time_ns (DRAMPower-style)"),
    Metric("energy_pj", "pJ", "min", "command, background and refresh energy"),
    Metric("total_cycles", "cycles", "min", "cycles until the last request is served"),
    Metric("total_time_ns", "ns", "min", "total_cycles x tCK"),
    Metric("row_hits", "count", "max", "accesses to an open row"),
    Metric("row_misses", "count", "min", "accesses to a closed bank"),
    Metric("row_conflicts", "count", "min", "accesses that close another open row"),
    Metric("row_hit_rate", "fraction", "max", "row_hits / all accesses"),
    Metric("act_count", "count", "min", "ACT commands"),
    Metric("pre_count", "count", "min", "precharges (PRE, PREA, auto-precharge)"),
    Metric("rd_count", "count", "max", "reads served (RD, RDA)"),
    Metric("wr_count", "count", "max", "writes served (WR, WRA)"),
    Metric("refresh_count", "count", "min", "REF and REFpb commands"),
)
METRIC_NAMES = tuple(m.name for m in METRICS)


def timing_vector(spec: MemSpec) -> np.ndarray:
    """The kernel's timing vector (cycles) for `spec`."""
    t = np.zeros(layout.N_TIMING, np.int64)
    t[layout.T_RL], t[layout.T_WL], t[layout.T_BURST] = spec.rl, spec.wl, spec.burst_cycles
    t[layout.T_RCD], t[layout.T_RP], t[layout.T_RPAB] = spec.rcd, spec.rp, spec.rp_all
    t[layout.T_RAS], t[layout.T_RC] = spec.ras, spec.rc
    t[layout.T_RFC], t[layout.T_REFI] = spec.rfc, spec.refi
    t[layout.T_RFCPB], t[layout.T_REFIPB] = spec.rfc_pb, max(spec.refi_pb, 1)
    t[layout.T_PBR2PBR] = spec.pbr2pbr
    t[layout.T_CCD_S], t[layout.T_CCD_L] = max(spec.ccd_s, spec.burst_cycles), max(spec.ccd_l,
                                                                         spec.burst_cycles)
    t[layout.T_RRD_S], t[layout.T_RRD_L], t[layout.T_FAW] = spec.rrd_s, spec.rrd_l, spec.faw
    t[layout.T_RD2PRE], t[layout.T_WR2PRE] = spec.rd_to_pre, spec.wr_to_pre
    t[layout.T_RD2WR] = spec.rd_to_wr
    t[layout.T_WR2RD_S], t[layout.T_WR2RD_L] = spec.wr_to_rd(False), spec.wr_to_rd(True)
    t[layout.T_PPD] = spec.ppd
    return t


def config_vector(config: ControllerConfig, spec: MemSpec, saturating: bool) -> np.ndarray:
    """The kernel's config vector; PerBank refresh only where the standard has it."""
    if config.RefreshPolicy == "PerBank" and not spec.has_per_bank_refresh:
        raise InvalidDesignError("RefreshPolicy", "PerBank",
                                 f"NoRefresh, AllBank ({spec.standard} has no per-bank refresh)")
    c = np.zeros(layout.N_CONFIG, np.int64)
    c[layout.C_PAGE] = PAGE_POLICIES.index(config.PagePolicy)
    c[layout.C_SCHED] = ALL_SCHEDULERS.index(config.Scheduler)
    c[layout.C_BUF] = SCHEDULER_BUFFERS.index(config.SchedulerBuffer)
    c[layout.C_BUFSIZE] = config.RequestBufferSize
    c[layout.C_IN_ORDER] = config.RespQueue == "Reorder" or config.Arbiter == "Reorder"
    c[layout.C_REFRESH] = REFRESH_POLICIES.index(config.RefreshPolicy)
    c[layout.C_POSTPONE], c[layout.C_PULLIN] = config.RefreshMaxPostponed, config.RefreshMaxPulledin
    c[layout.C_ARBITER] = ARBITERS.index(config.Arbiter)
    c[layout.C_MAT] = config.MaxActiveTransactions
    c[layout.C_HIT_CAP] = config.RowHitCap
    if config.WriteDrainHigh > 0:
        c[layout.C_DRAIN_HIGH] = math.floor(config.WriteDrainHigh * config.RequestBufferSize)
        c[layout.C_DRAIN_LOW] = math.floor(config.WriteDrainLow * config.RequestBufferSize)
    c[layout.C_SATURATING] = saturating
    c[layout.C_BANKS], c[layout.C_GROUPS] = spec.banks, spec.bank_groups
    return c


@dataclass(frozen=True, eq=False)
class PreparedTrace:
    """A workload's trace decoded by one simulator's spec and mapping: arrival cycle, bank,
    row, write flag and channel per request."""

    workload: DRAMWorkload
    arrival: np.ndarray
    bank: np.ndarray
    row: np.ndarray
    is_write: np.ndarray
    channel: np.ndarray


@dataclass(frozen=True, eq=False)
class RunResult:
    """Per-request cycles (start: arrival or admission; done: last data beat; response: back
    to the requester), command counters indexed by `kernel` constants summed over channels
    (END_CYCLE: the last channel's), and the command trace (cycle, command, bank, row,
    request) with each command's channel, when recorded."""

    start: np.ndarray
    done: np.ndarray
    response: np.ndarray
    counters: np.ndarray
    commands: np.ndarray
    command_channel: np.ndarray
    channel: np.ndarray
    bank: np.ndarray
    row: np.ndarray
    is_write: np.ndarray


class DRAMSimulator(CostModel):
    """DRAMSys-style channels: `evaluate(design, workload)` where the design is a dict of
    DRAMSys mcconfig options (see `ControllerConfig`) and the workload a `DRAMWorkload`.
    Options a design leaves out come from `base`. With `channels` > 1 the mapping's channel
    bits interleave addresses over independent channels, each with its own controller."""

    version = "1"  # bump when the same inputs could give other numbers
    metrics = METRICS

    def __init__(self, spec: MemSpec | str | Path = "DDR4-2400",
                 mapping: AddressMapping | str | Path = "RoBaRaCoCh",
                 base: ControllerConfig | None = None, channels: int = 1):
        self.spec = spec if isinstance(spec, MemSpec) else memspec(spec)
        self.mapping = mapping if isinstance(mapping, AddressMapping) \
            else address_mapping(mapping, self.spec, channels)
        if self.mapping.channels != channels:
            raise InvalidArgumentError("channels", channels,
                                       f"{self.mapping.channels}, as the mapping selects")
        self.channels = channels
        self.base = base or ControllerConfig()
        self.timing = timing_vector(self.spec)

    def prepare(self, workload: DRAMWorkload | PreparedTrace) -> PreparedTrace:
        """`workload` with its trace decoded by this simulator's mapping (a prepared trace
        comes back as is); InvalidArgumentError for anything but a DRAMWorkload."""
        if isinstance(workload, PreparedTrace):
            return workload
        if not isinstance(workload, DRAMWorkload):
            raise InvalidArgumentError("workload", type(workload).__name__, "a DRAMWorkload")
        trace = workload.trace
        bank, row = self.mapping.decode(trace.address, self.spec)
        arrival = np.ceil(trace.arrival_ns / self.spec.tck_ns - 1e-9).astype(np.int64)
        return PreparedTrace(workload, arrival, bank, row, np.ascontiguousarray(trace.is_write),
                             self.mapping.channel(trace.address))

    def kernel_inputs(self, workload: DRAMWorkload | PreparedTrace) -> tuple[np.ndarray, ...]:
        """(arrival cycle, bank, row, write flag, channel) per request."""
        p = self.prepare(workload)
        return p.arrival, p.bank, p.row, p.is_write, p.channel

    def run(self, design: ControllerConfig | Mapping[str, Any],
            workload: DRAMWorkload | PreparedTrace, record: bool = False) -> RunResult:
        config = design if isinstance(design, ControllerConfig) \
            else ControllerConfig.from_dict({**self.base.as_dict(), **design})
        prepared = self.prepare(workload)
        arrival, bank, row, is_write, channel = self.kernel_inputs(prepared)
        vector = config_vector(config, self.spec, prepared.workload.injection == "saturating")
        simulate = simulate_function()
        n = len(arrival)
        start, done, response = (np.zeros(n, np.int64) for _ in range(3))
        counters = np.zeros(layout.N_COUNTERS, np.int64)
        commands, command_channel = [np.zeros((0, 5), np.int64)], [np.zeros(0, np.int64)]
        for c in range(self.channels):
            mine = np.flatnonzero(channel == c) if self.channels > 1 else slice(None)
            if self.channels > 1 and len(mine) == 0:
                continue
            s, d, r, counts, cmds = simulate(arrival[mine], bank[mine], row[mine],
                                          is_write[mine], self.timing, vector, record)
            start[mine], done[mine], response[mine] = s, d, r
            end = max(counters[layout.END_CYCLE], counts[layout.END_CYCLE])
            counters += counts
            counters[layout.END_CYCLE] = end
            if record and self.channels > 1:  # request numbers of the whole trace
                cmds = cmds.copy()
                cmds[:, 4] = np.where(cmds[:, 4] >= 0, mine[np.maximum(cmds[:, 4], 0)], -1)
            commands.append(cmds)
            command_channel.append(np.full(len(cmds), c, np.int64))
        return RunResult(start, done, response, counters, np.concatenate(commands),
                         np.concatenate(command_channel), channel, bank, row, is_write)

    def run_metrics(self, result: RunResult) -> Metrics:
        """The metrics of one run, units in their names."""
        spec, c = self.spec, result.counters
        latency = result.response - result.start
        reads, writes = latency[~result.is_write], latency[result.is_write]
        cycles = max(int(c[layout.END_CYCLE]), 1)
        time_ns = cycles * spec.tck_ns
        n_rd, n_wr = int(c[layout.RD] + c[layout.RDA]), int(c[layout.WR] + c[layout.WRA])
        e = energy(spec, int(c[layout.ACT]), n_rd, n_wr, int(c[layout.REF]), int(c[layout.REFPB]),
                   cycles * self.channels, int(c[layout.ACTIVE_BANK_CYCLES]))
        read_ns = reads * spec.tck_ns if len(reads) else np.zeros(1)
        hits, misses = int(c[layout.HITS]), int(c[layout.MISSES])
        conflicts = int(c[layout.CONFLICTS])
        p50, p95, p99 = np.percentile(read_ns, [50, 95, 99]).tolist()
        return {
            "latency_ns": float(read_ns.mean()),
            "latency_cycles": float(reads.mean()) if len(reads) else 0.0,
            "read_latency_p50_ns": p50,
            "read_latency_p95_ns": p95,
            "read_latency_p99_ns": p99,
            "write_latency_ns": float(writes.mean() * spec.tck_ns) if len(writes) else 0.0,
            "write_latency_cycles": float(writes.mean()) if len(writes) else 0.0,
            "bandwidth_gbps": (n_rd + n_wr) * spec.access_bytes / time_ns,
            "power_mw": e.total_pj / time_ns,
            "energy_pj": e.total_pj,
            "total_cycles": float(cycles),
            "total_time_ns": time_ns,
            "row_hits": float(hits), "row_misses": float(misses),
            "row_conflicts": float(conflicts),
            "row_hit_rate": hits / max(hits + misses + conflicts, 1),
            "act_count": float(c[layout.ACT]),
            "pre_count": float(c[layout.PRE] + c[layout.PREA] + c[layout.RDA] + c[layout.WRA]),
            "rd_count": float(n_rd), "wr_count": float(n_wr),
            "refresh_count": float(c[layout.REF] + c[layout.REFPB]),
        }

    def evaluate(self, design: Mapping[str, Any], workload: DRAMWorkload) -> Metrics:
        return self.run_metrics(self.run(design, workload))

    def evaluate_batch(self, designs: Designs, workload: DRAMWorkload | PreparedTrace
                       ) -> BatchResult:
        """Every design (dicts or columns) on the trace, decoded once and shared by one thread
        per core (the kernel releases the GIL); a design the controller cannot run (an option
        out of range, PerBank refresh on a standard without it) is invalid with the reason."""
        prepared = self.prepare(workload)
        designs = design_rows(designs)

        def one(design: Mapping[str, Any]) -> tuple[Metrics | None, str | None]:
            try:
                return self.evaluate(design, prepared), None
            except InvalidDesignError as error:
                return None, str(error)

        if len(designs) < 2:
            outcomes = [one(d) for d in designs]
        else:
            with ThreadPoolExecutor(min(len(designs), os.cpu_count() or 1)) as pool:
                outcomes = list(pool.map(one, designs))
        return BatchResult.from_rows([m for m, _ in outcomes], self.metric_names,
                                     [r for _, r in outcomes])
