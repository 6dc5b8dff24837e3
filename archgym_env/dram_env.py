"""`archgym/DRAM-v0`: tune a DRAMSys-style memory controller for a memory trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.multi_agent import MultiAgentDesignEnv
from archgym_env.objective import budget_objective
from archgym_env.space import Categorical, DesignSpace, IntRange, PowerOfTwo
from archgym_env.vector import BatchedDesignEnv
from simulators.dram import (
    RAMULATOR_DDR4,
    ControllerConfig,
    DRAMSimulator,
    DRAMWorkload,
    MemSpec,
    Trace,
    generate,
    read_mcconfig,
    read_trace,
)
from simulators.dram import memspec as load_memspec
from simulators.dram.config import (
    ARBITERS,
    PAGE_POLICIES,
    RESP_QUEUES,
    SCHEDULER_BUFFERS,
    SCHEDULERS,
)
from simulators.dram.traces import GENERATORS
from simulators.errors import InvalidArgumentError


def dram_space(spec: MemSpec, base: ControllerConfig | None = None) -> DesignSpace:
    """The controller options as a design space, PerBank refresh where `spec` has it; each
    option defaults to its value in `base` (DRAMSys' defaults unless given). The refresh
    postponement and pull-in limits exist only under a policy that refreshes (the kernel's
    refresh manager is off under NoRefresh), so NoRefresh designs hold them at the default."""
    base = base or ControllerConfig()
    refresh = ("AllBank", "NoRefresh", "PerBank") if spec.has_per_bank_refresh \
        else ("AllBank", "NoRefresh")
    refreshing = {"RefreshPolicy": tuple(p for p in refresh if p != "NoRefresh")}

    def categorical(name: str, values: tuple[str, ...]) -> Categorical:
        first = getattr(base, name)  # a categorical parameter defaults to its first value
        return Categorical(name, (first, *(v for v in values if v != first)))

    return DesignSpace((
        categorical("PagePolicy", PAGE_POLICIES),
        categorical("Scheduler", SCHEDULERS),
        categorical("SchedulerBuffer", SCHEDULER_BUFFERS),
        PowerOfTwo("RequestBufferSize", 1, 128, preferred=base.RequestBufferSize),
        categorical("RespQueue", RESP_QUEUES),
        categorical("RefreshPolicy", refresh),
        IntRange("RefreshMaxPostponed", 0, 8, 1, preferred=base.RefreshMaxPostponed,
                 active_when=refreshing),
        IntRange("RefreshMaxPulledin", 0, 8, 1, preferred=base.RefreshMaxPulledin,
                 active_when=refreshing),
        categorical("Arbiter", ARBITERS),
        PowerOfTwo("MaxActiveTransactions", 1, 128,
                   preferred=base.MaxActiveTransactions),
    ))


# Agent groupings for the multi-agent form: one agent per option (as in Krishnan et al.,
# "Multi-Agent Reinforcement Learning for Microprocessor Design Space Exploration", 2022)
# or one per controller sub-system.
SUBSYSTEMS = {
    "scheduling": ("Scheduler", "Arbiter", "RespQueue"),
    "page_refresh": ("PagePolicy", "RefreshPolicy", "RefreshMaxPostponed", "RefreshMaxPulledin"),
    "buffering": ("SchedulerBuffer", "RequestBufferSize", "MaxActiveTransactions"),
}

DEFAULT_METRICS = ("latency_ns", "power_mw", "energy_pj", "bandwidth_gbps")
# Budget for the default workload (a 10,000-request cloud trace, 4 ns mean gap, on
# DDR4-2400): 66 of 1,000 random designs (seed 1) meet it all, counted by sampling.
DEFAULT_BUDGET = {"latency_ns": 300.0, "power_mw": 760.0, "energy_pj": 2.42e8,
                  "bandwidth_gbps": 2.0}
DEFAULTS = {"memspec": "DDR4-2400", "mapping": "RoBaRaCoCh", "mcconfig": None,
            "injection": "timestamped"}
# Arguments given explicitly override a preset's.
PRESETS = {"ramulator-ddr4": {"memspec": "DDR4-2400", "mapping": "RoBaRaCoCh",
                              "mcconfig": RAMULATOR_DDR4, "injection": "saturating"}}


def dram_workload(workload: str | Path | Trace | DRAMWorkload, mode: str, n_requests: int,
                  trace_seed: int, read_fraction: float, interval_ns: float,
                  trace_format: str | None, clock_mhz: float,
                  line_bytes: int) -> DRAMWorkload:
    """A named generated trace, a trace file, a Trace or a ready DRAMWorkload."""
    if isinstance(workload, DRAMWorkload):
        return workload
    if isinstance(workload, Trace):
        return DRAMWorkload(workload, mode)
    if isinstance(workload, str) and workload in GENERATORS:
        trace = generate(workload, n_requests, seed=trace_seed, read_fraction=read_fraction,
                         interval_ns=interval_ns, line_bytes=line_bytes)
        return DRAMWorkload(trace, mode, workload)
    path = Path(workload)
    if not path.is_file():
        raise InvalidArgumentError("workload", str(workload),
                                   f"{', '.join(GENERATORS)} or a trace file")
    return DRAMWorkload(read_trace(path, trace_format, clock_mhz), mode, path.name)


def make_dram_env(workload: str | Path | Trace | DRAMWorkload = "cloud",
                  injection: str | None = None, n_requests: int = 10_000, trace_seed: int = 0,
                  read_fraction: float = 0.7, interval_ns: float = 4.0,
                  trace_format: str | None = None, clock_mhz: float = 1000.0,
                  memspec: str | Path | MemSpec | None = None,
                  mapping: str | Path | None = None,
                  mcconfig: str | Path | ControllerConfig | None = None,
                  preset: str | None = None, channels: int = 1,
                  reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                  targets: Mapping[str, float] | None = None,
                  limits: Mapping[str, float] | None = None,
                  weights: Mapping[str, float] | None = None,
                  references: Mapping[str, float] | None = None,
                  quality: str | None = None, mode: str = "one_shot", max_steps: int = 1,
                  render_mode: str | None = None) -> DesignEnv:
    """Build `archgym/DRAM-v0`.

    ## Description
    Tune a one-channel DRAMSys-style memory controller (page policy, scheduler, buffers,
    refresh, arbitration) for a memory trace, simulated by a numba-compiled, event-driven
    model of the JEDEC timing constraints with DRAMPower-style energy.

    ## Action Space
    `MultiDiscrete` over the 10 controller options (`dram_space`): PagePolicy (4),
    Scheduler (3), SchedulerBuffer (3), RequestBufferSize (1..128, powers of two),
    RespQueue (2), RefreshPolicy (2, or 3 with PerBank on LPDDR4), RefreshMaxPostponed
    (0..8), RefreshMaxPulledin (0..8), Arbiter (3), MaxActiveTransactions (1..128). Each
    option defaults to its `mcconfig` value (DRAMSys' defaults without one). The two
    refresh limits are active only under AllBank or PerBank refresh: with NoRefresh they
    hold their defaults whatever the action says.

    ## Observation Space
    `Box(0, 1)`: the normalized design, then each goal metric as x / (x + target).

    ## Rewards
    As `reward` selects (see `Objective`); by default the target reward in [0, 1] over
    latency_ns, power_mw, energy_pj (minimized) and bandwidth_gbps (maximized).

    ## Episode End
    One step per episode by default (`max_steps` > 1: refine the design for that many steps).

    ## Arguments
    | argument | meaning |
    |---|---|
    | `workload` | a generator name (streaming, random, strided, hotset, mixed, cloud), a |
    | | `.stl` or Ramulator trace file, a `Trace` or a `DRAMWorkload` |
    | `injection` | `timestamped` (requests arrive at trace times, default) or `saturating` |
    | `n_requests`, `trace_seed`, `read_fraction`, `interval_ns` | for generated traces |
    | `trace_format`, `clock_mhz` | for trace files (`stl` or `ramulator`; the .stl clock) |
    | `memspec` | `DDR4-2400` (default), `LPDDR4-3200` or a DRAMSys memspec JSON file |
    | `mapping` | a bit-slice name (default `RoBaRaCoCh`) or a DRAMSys address-mapping JSON |
    | `mcconfig` | DRAMSys mcconfig JSON (or `ControllerConfig`): options outside the space |
    | `channels` | channels interleaved by the mapping's Ch bits (a power of two, default 1) |
    | `preset` | `ramulator-ddr4`: Ramulator's DDR4 setup (memspec, mapping, mcconfig, |
    | | saturating mode); explicit arguments override it |
    | `reward`, `metrics`, `targets`, `limits`, `weights`, `references`, `quality` | the objective |
    | `mode`, `max_steps` | `one_shot` or `sequential`; steps per episode |

    ## Version History
    * v0: initial version.
    """
    if preset is not None and preset not in PRESETS:
        raise InvalidArgumentError("dram preset", preset, ", ".join(PRESETS))
    chosen = {"memspec": memspec, "mapping": mapping, "mcconfig": mcconfig,
              "injection": injection}
    settings = {**DEFAULTS, **PRESETS.get(preset, {}),
                **{k: v for k, v in chosen.items() if v is not None}}
    memspec, mapping, mcconfig, injection = (settings[k] for k in chosen)
    spec = memspec if isinstance(memspec, MemSpec) else load_memspec(memspec)
    base = mcconfig if isinstance(mcconfig, ControllerConfig) else \
        read_mcconfig(mcconfig) if mcconfig is not None else ControllerConfig()
    simulator = DRAMSimulator(spec, mapping, base, channels)
    trace = dram_workload(workload, injection, n_requests, trace_seed, read_fraction, interval_ns,
                          trace_format, clock_mhz, spec.access_bytes)
    objective = budget_objective(reward, metrics, simulator.metric_names, DEFAULT_BUDGET,
        "bandwidth_gbps", targets=targets, limits=limits, weights=weights,
        references=references, quality=quality)
    return DesignEnv(dram_space(spec, base), simulator, trace, objective, mode=mode,
                     max_steps=max_steps, render_mode=render_mode,
                     groupings={"subsystem": SUBSYSTEMS})


def make_dram_vector_env(num_envs: int = 8, **kwargs: Any) -> BatchedDesignEnv:
    """`gymnasium.make_vec("archgym/DRAM-v0", num_envs)`: one simulator batch per step."""
    return BatchedDesignEnv(make_dram_env(**kwargs), num_envs)


def make_dram_multi_agent_env(grouping: str = "subsystem", agent_reward: str = "team",
                              **kwargs: Any) -> MultiAgentDesignEnv:
    """The PettingZoo form: one agent per option (`per_parameter`) or per sub-system
    (`subsystem`: scheduling, page_refresh, buffering), sharing the team reward or, with
    `agent_reward="difference"`, each rewarded by its own contribution."""
    return MultiAgentDesignEnv(make_dram_env(**kwargs), grouping, agent_reward=agent_reward)
