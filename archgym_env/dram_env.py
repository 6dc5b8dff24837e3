"""`archgym/DRAM-v0`: tune a DRAMSys-style memory controller for a memory trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archgym_env.env import DesignEnv
from archgym_env.objective import budget_objective
from archgym_env.space import Categorical, Constraint, DesignSpace, IntRange, PowerOfTwo
from archgym_env.vector import BatchedDesignEnv
from simulators.dram import (
    PRESETS,
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
from simulators.errors import InvalidArgumentError, check_int, check_positive
from simulators.limits import MAX_TRACE_REQUESTS, check_size

if TYPE_CHECKING:  # PettingZoo loads only for the multi-agent form
    from archgym_env.multi_agent import MultiAgentDesignEnv


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


# A DRAM row holds its data for the refresh window tREFW, which 8192 REF commands at tREFI
# cover (JESD79-4 DDR4: 8192 per 64 ms, tREFI 7.8 us at 0-85 C; JESD209-4 LPDDR4: 32 ms,
# tREFI 3.9 us). A policy that refreshes stays within it (JEDEC lets at most 8 REFs be
# postponed, the space's limit); NoRefresh leaves every row unrefreshed past it.
REFRESH_COMMANDS_PER_WINDOW = 8192


def retention_constraint(spec: MemSpec) -> Constraint:
    """Designs must refresh: NoRefresh would lose data after the retention window."""
    window_ms = REFRESH_COMMANDS_PER_WINDOW * spec.refi * spec.tck_ns / 1e6
    return Constraint(lambda d: d["RefreshPolicy"] != "NoRefresh",
                      f"RefreshPolicy=NoRefresh skips refresh past the {window_ms:.0f} ms "
                      f"retention window of {spec.name} (8192 x tREFI, JEDEC): rows lose data; "
                      "allow_skipped_refresh=True admits it for studies")


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
# DDR4-2400), tight enough to separate agents as Systolic-v0's 0.7% does: 40 of 6,000
# random designs (space.sample, seed 1) meet it all (0.67%), 21 of the 2,991 of them that
# refresh (0.70%), counted by sampling with the simulator before NoRefresh designs became
# infeasible; with them infeasible, 3 of 600 (seed 1, 0.5%). tests/agents/cli/
# test_first_hour.py checks 120 designs, and 1,000 when slow.
DEFAULT_BUDGET = {"latency_ns": 190.0, "power_mw": 750.0, "energy_pj": 2.4e8,
                  "bandwidth_gbps": 2.0}
DEFAULTS = {"memspec": "DDR4-2400", "mapping": "RoBaRaCoCh", "mcconfig": None,
            "injection": "timestamped"}


def dram_workload(workload: str | Path | Trace | DRAMWorkload, injection: str, n_requests: int,
                  trace_seed: int, read_fraction: float, interval_ns: float,
                  trace_format: str | None, clock_mhz: float,
                  line_bytes: int) -> DRAMWorkload:
    """A named generated trace, a trace file, a Trace or a ready DRAMWorkload."""
    if isinstance(workload, DRAMWorkload):
        return workload
    if isinstance(workload, Trace):
        return DRAMWorkload(workload, injection)
    if isinstance(workload, str) and workload in GENERATORS:
        trace = generate(workload, n_requests, seed=trace_seed, read_fraction=read_fraction,
                         interval_ns=interval_ns, line_bytes=line_bytes)
        return DRAMWorkload(trace, injection, workload)
    if not isinstance(workload, str | Path):
        raise InvalidArgumentError("workload", workload,
                                   f"{', '.join(GENERATORS)} or a trace file")
    path = Path(workload)
    if not path.is_file():
        raise InvalidArgumentError("workload", str(workload),
                                   f"{', '.join(GENERATORS)} or a trace file (no file "
                                   f"{str(workload)!r} exists)")
    return DRAMWorkload(read_trace(path, trace_format, clock_mhz), injection, path.name)


class DRAMEnv(DesignEnv):
    """`archgym/DRAM-v0`: tune a DRAMSys-style memory controller for a memory trace.

    ## Description
    A design sets the controller options of DRAMSys' mcconfig (page policy, scheduler and
    its buffers, response queue, refresh, arbitration); the options outside the space come
    from `mcconfig`. The trace runs through a numba-compiled, event-driven model of the
    JEDEC timing constraints of `memspec` (DDR4-2400 by default) with DRAMPower-style
    energy, on `channels` channels each with its own controller. A NoRefresh design is
    infeasible (`valid` False, the reason in `info["error"]`): its rows would go unrefreshed
    past the retention window (64 ms on DDR4, JESD79-4; 32 ms on LPDDR4, JESD209-4) and lose
    data; `allow_skipped_refresh=True` admits it for studies. PerBank refresh is offered
    only where the memspec has it.

    Metrics (the goals by default: latency_ns, power_mw, energy_pj, bandwidth_gbps):
    mean read latency (latency_ns) and its p50/p95/p99, write latency, bandwidth_gbps,
    power_mw, energy_pj, row_hit_rate and command counts;
    `env.unwrapped.simulator.metrics` (or `archgym envs`) lists every metric with its
    unit and direction. `make_dram_multi_agent_env` is the PettingZoo form (one agent per
    option or per sub-system).

    ## Action Space
    | parameter | choices (the first is DRAMSys' default or `mcconfig`'s value) |
    |---|---|
    | `PagePolicy` | `Open`, `OpenAdaptive`, `Closed`, `ClosedAdaptive` |
    | `Scheduler` | `FrFcfs`, `Fifo`, `FrFcfsGrp` (and first `FrFcfsCap`, Ramulator 1's, |
    | | when `mcconfig` or the `ramulator-ddr4` preset sets it) |
    | `SchedulerBuffer` | `Bankwise`, `ReadWrite`, `Shared` |
    | `RequestBufferSize`, `MaxActiveTransactions` | 1, 2, ..., 128 |
    | `RespQueue` | `Fifo`, `Reorder` |
    | `RefreshPolicy` | `AllBank`, `NoRefresh`, and `PerBank` on memspecs that have it |
    | `RefreshMaxPostponed`, `RefreshMaxPulledin` | 0, 1, ..., 8 refreshes; active only |
    | | under `AllBank` or `PerBank` (with `NoRefresh` they hold their default) |
    | `Arbiter` | `Simple`, `Fifo`, `Reorder` |

    `one_shot` mode: `MultiDiscrete([4 3 3 8 2 2 9 9 3 8])` on DDR4, a whole design as
    choice indices (`env.unwrapped.space.from_index` decodes one). `sequential` mode:
    `Discrete(9)`, the choice for parameter t; action a picks choice floor(a * n_t / 9).

    ## Observation Space
    `one_shot`: `Box(0, 1, (14,), float32)`, the last design as normalized choice indices,
    then each goal metric x as x / (x + target), 0.5 at its target. `sequential`:
    `Box(-1, 1, (11,), float32)`, the partial design (-1 where unset), then t / 10.

    ## Rewards
    `reward` selects the mode; the budget of 190 ns, 750 mW, 2.4e8 pJ and 2 GB/s
    (`DEFAULT_BUDGET`, for the default trace; 0.7% of random designs meet it) fills in
    what is not given:
    * `target` (default): the mean over goals of min(1, target / x) (x / target for the
      maximized bandwidth_gbps), in [0, 1]; 1 when every target is met.
    * `constrained`: the `quality` goal's score (bandwidth_gbps by default) when every
      limit holds, minus min(1, relative excess) per broken limit, in [-n_limits, 1].
    * `weighted`: the weighted decades by which each goal beats its target, each clipped
      to +-10, in [-10, 10].
    * `pareto`: the hypervolume gain of the run's Pareto archive with the budget as
      reference point, in [0, 1]; `info` adds `reward_vector` and `hypervolume`.

    In `sequential` mode every step but the last gives 0.

    ## Starting State
    `reset` returns an all-zero observation (`one_shot`; nothing evaluated yet) or an
    empty partial design (`sequential`). Nothing is random: the trace is fixed when the
    environment is built (`trace_seed`), and a seed only restarts the evaluation count
    and the Pareto archive.

    ## Episode End
    `one_shot`: terminated after each step when `max_steps` is 1; otherwise terminated
    when every target is met (target mode) and truncated after `max_steps` steps.
    `sequential`: terminated once every parameter is set (10 steps).

    ## Arguments
    `gymnasium.make("archgym/DRAM-v0", **kwargs)` passes these to `make_dram_env`:

    | Parameter | Type | Default | Description |
    |---|---|---|---|
    | `workload` | `str or Path or Trace or DRAMWorkload` | `'cloud'` | a generated trace |
    | | | | (streaming, random, strided, hotset, mixed, cloud), a DRAMSys `.stl` or |
    | | | | Ramulator trace file, a `Trace` or a ready `DRAMWorkload` |
    | `injection` | `str or None` | `None` | `timestamped` (requests arrive at their |
    | | | | trace times; the default) or `saturating` (whenever the controller has room) |
    | `n_requests` | `int` | `10000` | requests of a generated trace |
    | `trace_seed` | `int` | `0` | seed of a generated trace |
    | `read_fraction` | `float` | `0.7` | share of reads in a generated trace |
    | `interval_ns` | `float` | `4.0` | mean gap between requests of a generated trace |
    | `trace_format` | `str or None` | `None` | `stl` or `ramulator` (default: from the |
    | | | | file suffix) |
    | `clock_mhz` | `float` | `1000.0` | the clock of `.stl` cycle stamps |
    | `memspec` | `str or Path or MemSpec or None` | `None` | `DDR4-2400` (default), |
    | | | | `LPDDR4-3200` or a DRAMSys memspec JSON file |
    | `mapping` | `str or Path or None` | `None` | a bit-slice name (default `RoBaRaCoCh`) |
    | | | | or a DRAMSys address-mapping JSON file |
    | `mcconfig` | `str or Path or ControllerConfig or None` | `None` | a DRAMSys mcconfig |
    | | | | JSON file: the options outside the space and the space's defaults |
    | `preset` | `str or None` | `None` | `ramulator-ddr4`: Ramulator's DDR4 setup |
    | | | | (memspec, mapping, mcconfig, saturating); explicit arguments override it |
    | `channels` | `int` | `1` | channels interleaved by the mapping's Ch bits (power of 2) |
    | `allow_skipped_refresh` | `bool` | `False` | admit NoRefresh designs (they lose data |
    | | | | past the retention window in a real device) |
    | `reward` | `str` | `'target'` | `target`, `constrained`, `weighted` or `pareto` |
    | `metrics` | `Sequence[str]` | `('latency_ns', 'power_mw', 'energy_pj', |
    | | | 'bandwidth_gbps')` | the goals |
    | `targets` | `Mapping[str, float] or None` | `None` | per metric; default the budget |
    | `limits` | `Mapping[str, float] or None` | `None` | hard limits (constrained mode) |
    | `weights` | `Mapping[str, float] or None` | `None` | per goal (default 1) |
    | `references` | `Mapping[str, float] or None` | `None` | pareto reference point |
    | `quality` | `str or None` | `None` | the metric constrained mode rewards |
    | `mode` | `str` | `'one_shot'` | `one_shot` or `sequential` |
    | `max_steps` | `int` | `1` | steps per `one_shot` episode |
    | `render_mode` | `str or None` | `None` | `None` or `ansi` (the last design) |

    ## Version History
    * v0: initial version.
    """


def make_dram_env(workload: str | Path | Trace | DRAMWorkload = "cloud",
                  injection: str | None = None, n_requests: int = 10_000, trace_seed: int = 0,
                  read_fraction: float = 0.7, interval_ns: float = 4.0,
                  trace_format: str | None = None, clock_mhz: float = 1000.0,
                  memspec: str | Path | MemSpec | None = None,
                  mapping: str | Path | None = None,
                  mcconfig: str | Path | ControllerConfig | None = None,
                  preset: str | None = None, channels: int = 1,
                  allow_skipped_refresh: bool = False, reward: str = "target",
                  metrics: Sequence[str] = DEFAULT_METRICS,
                  targets: Mapping[str, float] | None = None,
                  limits: Mapping[str, float] | None = None,
                  weights: Mapping[str, float] | None = None,
                  references: Mapping[str, float] | None = None,
                  quality: str | None = None, mode: str = "one_shot", max_steps: int = 1,
                  render_mode: str | None = None) -> DRAMEnv:
    """Build `archgym/DRAM-v0` (the arguments are documented on `DRAMEnv`)."""
    check_int("n_requests", n_requests)
    check_size("n_requests", n_requests, MAX_TRACE_REQUESTS)
    check_int("trace_seed", trace_seed, low=0)
    if isinstance(read_fraction, bool) or not isinstance(read_fraction, int | float) \
            or not 0 <= read_fraction <= 1:
        raise InvalidArgumentError("read_fraction", read_fraction, "a number in [0, 1]")
    check_positive("interval_ns", interval_ns)
    check_positive("clock_mhz", clock_mhz)
    check_int("channels", channels)
    if preset is not None and preset not in PRESETS:
        raise InvalidArgumentError("dram preset", preset, ", ".join(PRESETS))
    chosen = {"memspec": memspec, "mapping": mapping, "mcconfig": mcconfig,
              "injection": injection}
    settings = {**DEFAULTS, **PRESETS.get(preset, {}),  # explicit arguments override a preset's
                **{k: v for k, v in chosen.items() if v is not None}}
    memspec, mapping, mcconfig, injection = (settings[k] for k in chosen)
    spec = memspec if isinstance(memspec, MemSpec) else load_memspec(memspec)
    base = mcconfig if isinstance(mcconfig, ControllerConfig) else \
        read_mcconfig(mcconfig) if mcconfig is not None else ControllerConfig()
    simulator = DRAMSimulator(spec, mapping, base, channels)
    trace = dram_workload(workload, injection, n_requests, trace_seed, read_fraction, interval_ns,
                          trace_format, clock_mhz, spec.access_bytes)
    objective = budget_objective(reward, metrics, simulator.metrics, DEFAULT_BUDGET,
        "bandwidth_gbps", targets=targets, limits=limits, weights=weights,
        references=references, quality=quality)
    space = dram_space(spec, base)
    if not allow_skipped_refresh:
        space = replace(space, constraints=(retention_constraint(spec),))
    return DRAMEnv(space, simulator, trace, objective, mode=mode,
                   max_steps=max_steps, render_mode=render_mode,
                   groupings={"subsystem": SUBSYSTEMS})


def make_dram_vector_env(num_envs: int = 8, max_episode_steps: int | None = None,
                         **kwargs: Any) -> BatchedDesignEnv:
    """`gymnasium.make_vec("archgym/DRAM-v0", num_envs)`: one simulator batch per step
    (`max_episode_steps`, which gymnasium passes on, changes nothing: every step ends a
    one-shot episode and the copies reset themselves)."""
    return BatchedDesignEnv(make_dram_env(**kwargs), num_envs)


def make_dram_multi_agent_env(grouping: str = "subsystem", agent_reward: str = "team",
                              **kwargs: Any) -> MultiAgentDesignEnv:
    """The PettingZoo form: one agent per option (`per_parameter`) or per sub-system
    (`subsystem`: scheduling, page_refresh, buffering), sharing the team reward or, with
    `agent_reward="difference"`, each rewarded by its own contribution."""
    from archgym_env.multi_agent import MultiAgentDesignEnv

    return MultiAgentDesignEnv(make_dram_env(**kwargs), grouping, agent_reward=agent_reward)
