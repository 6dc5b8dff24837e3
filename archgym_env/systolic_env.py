"""`archgym/Systolic-v0`: size a SCALE-Sim-style systolic array for a DNN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.objective import budget_objective
from archgym_env.space import Categorical, DesignSpace, PowerOfTwo
from archgym_env.vector import BatchedDesignEnv
from simulators.systolic import DATAFLOWS, SystolicArray, as_gemms
from simulators.workloads import network

SYSTOLIC_SPACE = DesignSpace((
    PowerOfTwo("rows", 8, 256),
    PowerOfTwo("cols", 8, 256),
    Categorical("dataflow", DATAFLOWS),
    PowerOfTwo("ifmap_sram_kb", 16, 2048),
    PowerOfTwo("filter_sram_kb", 16, 2048),
    PowerOfTwo("ofmap_sram_kb", 16, 2048),
    PowerOfTwo("dram_bandwidth_words", 1, 64),
))

DEFAULT_METRICS = ("latency_s", "energy_pj", "area_mm2")
# ResNet-18 at 224x224, batch 1, 1 GHz: a 1 ms / 5.5 mJ / 10 mm^2 budget that 2,384 of the
# 387,072 designs (0.6%) meet, counted by enumeration (pooling and residual adds charged).
DEFAULT_BUDGET = {"latency_s": 1e-3, "energy_pj": 5.5e9, "area_mm2": 10.0}


class SystolicEnv(DesignEnv):
    """`archgym/Systolic-v0`: size a SCALE-Sim-style systolic array for a DNN.

    ## Description
    A design is a `rows` x `cols` PE array with a dataflow, three double-buffered SRAMs
    (inputs, filters, outputs) and a DRAM bandwidth. Every layer of the workload is lowered
    to a GEMM by im2col and folded onto the array as SCALE-Sim does (Samajdar et al.,
    ISPASS 2020); a layer takes the longer of its compute and DRAM-transfer cycles, and
    energy and area come from 45 nm tables (int8 MACs). Every design is valid.

    Metrics (the goals by default: latency_s, energy_pj, area_mm2): latency in seconds at
    `clock_ghz` and in cycles, energy_pj, power_mw, area_mm2, utilization, stall cycles
    and per-buffer access counts; `env.unwrapped.simulator.metrics` (or `archgym envs`)
    lists every metric with its unit and direction.

    ## Action Space
    | parameter | choices |
    |---|---|
    | `rows`, `cols` | 8, 16, ..., 256 PEs |
    | `dataflow` | `os`, `ws`, `is` (output, weight or input stationary) |
    | `ifmap_sram_kb`, `filter_sram_kb`, `ofmap_sram_kb` | 16, 32, ..., 2048 KB |
    | `dram_bandwidth_words` | 1, 2, ..., 64 words per cycle |

    `one_shot` mode: `MultiDiscrete([6 6 3 8 8 8 7])`, a whole design as choice indices
    (`env.unwrapped.space.from_index` decodes one). `sequential` mode: `Discrete(8)`, the
    choice for parameter t; action a picks choice floor(a * n_t / 8) of it.

    ## Observation Space
    `one_shot`: `Box(0, 1, (10,), float32)`, the last design as normalized choice indices,
    then each goal metric x as x / (x + target), 0.5 at its target. `sequential`:
    `Box(-1, 1, (8,), float32)`, the partial design (-1 where unset), then t / 7.

    ## Rewards
    `reward` selects the mode; the budget of 1 ms, 5.5e9 pJ and 10 mm2 (`DEFAULT_BUDGET`,
    met by 0.6% of the designs on ResNet-18) fills in what is not given:
    * `target` (default): the mean over goals of min(1, target / x), in [0, 1]; 1 when
      every target is met.
    * `constrained`: the `quality` goal's score (utilization by default) when every limit
      holds, minus min(1, relative excess) per broken limit, in [-n_limits, 1].
    * `weighted`: the weighted decades by which each goal beats its target, each clipped
      to +-10, in [-10, 10].
    * `pareto`: the hypervolume gain of the run's Pareto archive with the budget as
      reference point, in [0, 1]; `info` adds `reward_vector` and `hypervolume`.

    In `sequential` mode every step but the last gives 0.

    ## Starting State
    `reset` returns an all-zero observation (`one_shot`; nothing evaluated yet) or an
    empty partial design (`sequential`). Nothing is random: a seed only restarts the
    evaluation count and the Pareto archive.

    ## Episode End
    `one_shot`: terminated after each step when `max_steps` is 1; otherwise terminated
    when every target is met (target mode) and truncated after `max_steps` steps.
    `sequential`: terminated once every parameter is set (7 steps).

    ## Arguments
    `gymnasium.make("archgym/Systolic-v0", **kwargs)` passes these to `make_systolic_env`:

    | Parameter | Type | Default | Description |
    |---|---|---|---|
    | `workload` | `str or Any` | `'resnet18'` | a network of `simulators.workloads.NETWORKS`, |
    | | | | an `.onnx` path, or a Network, Layer, Gemm or list of them |
    | `resolution` | `int` | `224` | input resolution of a named network |
    | `batch` | `int` | `1` | batch size of a named network |
    | `reward` | `str` | `'target'` | `target`, `constrained`, `weighted` or `pareto` |
    | `metrics` | `Sequence[str]` | `('latency_s', 'energy_pj', 'area_mm2')` | the goals |
    | `targets` | `Mapping[str, float] or None` | `None` | per metric; default the budget |
    | `limits` | `Mapping[str, float] or None` | `None` | hard limits (constrained mode) |
    | `weights` | `Mapping[str, float] or None` | `None` | per goal (default 1) |
    | `references` | `Mapping[str, float] or None` | `None` | pareto reference point |
    | `quality` | `str or None` | `None` | the metric constrained mode rewards |
    | `mode` | `str` | `'one_shot'` | `one_shot` or `sequential` |
    | `max_steps` | `int` | `1` | steps per `one_shot` episode |
    | `clock_ghz` | `float` | `1.0` | clock that turns cycles into seconds and power |
    | `render_mode` | `str or None` | `None` | `None` or `ansi` (the last design) |

    ## Version History
    * v0: initial version.
    """


def make_systolic_env(workload: str | Any = "resnet18", resolution: int = 224, batch: int = 1,
                      reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                      targets: Mapping[str, float] | None = None,
                      limits: Mapping[str, float] | None = None,
                      weights: Mapping[str, float] | None = None,
                      references: Mapping[str, float] | None = None,
                      quality: str | None = None, mode: str = "one_shot", max_steps: int = 1,
                      clock_ghz: float = 1.0, render_mode: str | None = None) -> SystolicEnv:
    """Build `archgym/Systolic-v0` (the arguments are documented on `SystolicEnv`)."""
    simulator = SystolicArray(clock_ghz=clock_ghz)
    if isinstance(workload, str):
        workload = network(workload, resolution=resolution, batch=batch)
    as_gemms(workload)  # a bad workload fails here, not at the first step
    objective = budget_objective(reward, metrics, simulator.metrics, DEFAULT_BUDGET,
        "utilization", targets=targets, limits=limits, weights=weights,
        references=references, quality=quality)
    return SystolicEnv(SYSTOLIC_SPACE, simulator, workload, objective, mode=mode,
                       max_steps=max_steps, render_mode=render_mode)


def make_systolic_vector_env(num_envs: int = 8, max_episode_steps: int | None = None,
                         **kwargs: Any) -> BatchedDesignEnv:
    """`gymnasium.make_vec("archgym/Systolic-v0", num_envs)`: one simulator batch per step
    (`max_episode_steps`, which gymnasium passes on, changes nothing: every step ends a
    one-shot episode and the copies reset themselves)."""
    return BatchedDesignEnv(make_systolic_env(**kwargs), num_envs)
