"""`archgym/Accelerator-v0`: architecture search for a DNN on a Timeloop-class model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.objective import budget_objective
from archgym_env.space import Categorical, DesignSpace, PowerOfTwo
from simulators.accelerator.mapper import TEMPLATES
from simulators.accelerator.simulator import AcceleratorSimulator
from simulators.errors import check_int
from simulators.workloads import Layer, network


def distinct_templates() -> tuple[tuple[str, ...], dict[str, str]]:
    """The dataflow templates that differ (first of each identical group, in TEMPLATES
    order) and every other name as an alias of its equal: nvdla_like and tpu_like are
    weight_stationary, eyeriss_like is row_stationary."""
    first: dict[tuple, str] = {}
    aliases = {}
    for name, t in TEMPLATES.items():
        key = (t.spatial_x, t.spatial_y, t.inner)
        if key in first:
            aliases[name] = first[key]
        else:
            first[key] = name
    return tuple(first.values()), aliases


DATAFLOWS, DATAFLOW_ALIASES = distinct_templates()

ACCELERATOR_SPACE = DesignSpace((
    PowerOfTwo("pe_x", 2, 32),
    PowerOfTwo("pe_y", 2, 32),
    PowerOfTwo("ifmap_spad_words", 4, 256),
    PowerOfTwo("weights_spad_words", 16, 1024),
    PowerOfTwo("psum_spad_words", 4, 256),
    PowerOfTwo("glb_kb", 16, 1024),
    PowerOfTwo("glb_banks", 1, 32),
    PowerOfTwo("noc_bandwidth_words", 1, 64),
    PowerOfTwo("dram_bandwidth_words", 1, 64),
    Categorical("dataflow", DATAFLOWS, aliases=DATAFLOW_ALIASES),
    Categorical("precision_bits", (8, 16)),
))

DEFAULT_METRICS = ("latency_cycles", "energy_pj", "area_mm2")
# ResNet-18 at 224x224 (its pooling and residual adds charged): between the eyeriss_like
# preset (1.7e7 cycles, 2.1e10 pJ, 1.0 mm^2) and the simba_like preset (2.3e6 cycles,
# 6.2e9 pJ, 3.5 mm^2) as this model maps them; 9 of 2,000 random designs (seed 1) meet all
# three.
DEFAULT_BUDGET = {"latency_cycles": 6e6, "energy_pj": 1e10, "area_mm2": 3.0}


class AcceleratorEnv(DesignEnv):
    """`archgym/Accelerator-v0`: search the architecture of a spatial DNN accelerator.

    ## Description
    A design is an Eyeriss-style accelerator: DRAM, a global buffer (size, banks), a
    `pe_x` x `pe_y` PE mesh fed by a NoC of given bandwidth, per-PE scratchpads for
    inputs, weights and partial sums, a dataflow template and a precision. Each step the
    mapper (`simulators.accelerator.mapper.Mapper`, deterministic for `mapper_seed`) maps
    every layer of the workload under the template, minimizing `mapper_objective`, and
    the Timeloop-style analysis of the layers adds up (layers run one after another).
    Energies and areas come from the 45 nm technology tables. A design with a layer that
    has no valid mapping gets the objective's lowest reward, `info["valid"] = False` and
    the reason in `info["error"]`.

    Metrics (the goals by default: latency_cycles, energy_pj, area_mm2): latency_cycles,
    latency_s, energy_pj, power_mw, area_mm2, edp_pj_s and utilization (MACs over
    cycles x PEs);
    `env.unwrapped.simulator.metrics` (or `archgym envs`) lists every metric with its
    unit and direction.

    With `mapper_search="monotone"` a larger buffer never makes the mapper's result worse
    when per-access energies stay the same; here they grow with size (45 nm tables), so the
    guarantee covers the cycles objective: larger scratchpads or global buffer never add
    latency. It takes about 25x the time of `adaptive` (8% more energy on random designs).

    ## Action Space
    | parameter | choices |
    |---|---|
    | `pe_x`, `pe_y` | 2, 4, ..., 32 PEs |
    | `ifmap_spad_words`, `psum_spad_words` | 4, 8, ..., 256 words per PE |
    | `weights_spad_words` | 16, 32, ..., 1024 words per PE |
    | `glb_kb` | 16, 32, ..., 1024 KB of global buffer |
    | `glb_banks` | 1, 2, ..., 32 banks (64-bit rows) |
    | `noc_bandwidth_words`, `dram_bandwidth_words` | 1, 2, ..., 64 words per cycle |
    | `dataflow` | the distinct templates of `simulators.accelerator.mapper.TEMPLATES` |
    | | (`DATAFLOWS`); identical ones are accepted as aliases (`nvdla_like` and |
    | | `tpu_like` for `weight_stationary`, `eyeriss_like` for `row_stationary`) |
    | `precision_bits` | 8 or 16 (partial sums twice as wide) |

    `one_shot` mode: `MultiDiscrete` with one entry per parameter (`env.action_space`
    shows the counts), a whole design as choice indices. `sequential` mode:
    `Discrete(n)` with n the most choices of a parameter, the choice for parameter t;
    action a picks choice floor(a * n_t / n) of it.

    ## Observation Space
    `one_shot`: `Box(0, 1, (14,), float32)`, the last design as normalized choice indices,
    then each goal metric x as x / (x + target), 0.5 at its target. `sequential`:
    `Box(-1, 1, (12,), float32)`, the partial design (-1 where unset), then t / 11.

    ## Rewards
    `reward` selects the mode; the budget of 6e6 cycles, 1e10 pJ and 3 mm2
    (`DEFAULT_BUDGET`, between the Eyeriss-like and Simba-like presets on ResNet-18)
    fills in what is not given:
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
    empty partial design (`sequential`). Nothing is random: the mapper's seed is fixed
    (`mapper_seed`), and a seed only restarts the evaluation count and the Pareto archive.

    ## Episode End
    `one_shot`: terminated after each step when `max_steps` is 1; otherwise terminated
    when every target is met (target mode) and truncated after `max_steps` steps.
    `sequential`: terminated once every parameter is set (11 steps).

    ## Arguments
    `gymnasium.make("archgym/Accelerator-v0", **kwargs)` passes these to
    `make_accelerator_env`:

    | Parameter | Type | Default | Description |
    |---|---|---|---|
    | `workload` | `str or Any` | `'resnet18'` | a network of `simulators.workloads.NETWORKS`, |
    | | | | an `.onnx` path, or a Network, a Layer or a list of Layers |
    | `resolution` | `int` | `224` | input resolution of a named network |
    | `batch` | `int` | `1` | batch size of a named network |
    | `reward` | `str` | `'target'` | `target`, `constrained`, `weighted` or `pareto` |
    | `metrics` | `Sequence[str]` | `('latency_cycles', 'energy_pj', 'area_mm2')` | goals |
    | `targets` | `Mapping[str, float] or None` | `None` | per metric; default the budget |
    | `limits` | `Mapping[str, float] or None` | `None` | hard limits (constrained mode) |
    | `weights` | `Mapping[str, float] or None` | `None` | per goal (default 1) |
    | `references` | `Mapping[str, float] or None` | `None` | pareto reference point |
    | `quality` | `str or None` | `None` | the metric constrained mode rewards |
    | `mode` | `str` | `'one_shot'` | `one_shot` or `sequential` |
    | `max_steps` | `int` | `1` | steps per `one_shot` episode |
    | `mapper_objective` | `str` | `'energy'` | what the mapper minimizes per layer: |
    | | | | `energy`, `cycles` or `edp` |
    | `mapper_budget` | `int or None` | `None` | mappings the mapper samples per layer |
    | | | | (None: 70 adaptive, 300 monotone) |
    | `mapper_rounds` | `int or None` | `None` | the mapper's local-search rounds |
    | | | | (None: 2 adaptive, 4 monotone) |
    | `mapper_seed` | `int` | `0` | the mapper's seed |
    | `mapper_search` | `str` | `'adaptive'` | `adaptive` or `monotone` (see above) |
    | `clock_ghz` | `float` | `1.0` | clock that turns cycles into `latency_s`, `power_mw` |
    | | | | and `edp_pj_s` |
    | `render_mode` | `str or None` | `None` | `None` or `ansi` (the last design) |

    ## Version History
    * v0: initial version. Since issue 14 the adaptive mapper repairs mappings that
      overflow a buffer and searches 70 samples and 2 rounds per layer by default
      (lower energies than 300 and 4 before, in 0.7 of the time).
    """


def make_accelerator_env(workload: str | Any = "resnet18", resolution: int = 224, batch: int = 1,
                         reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                         targets: Mapping[str, float] | None = None,
                         limits: Mapping[str, float] | None = None,
                         weights: Mapping[str, float] | None = None,
                         references: Mapping[str, float] | None = None,
                         quality: str | None = None, mode: str = "one_shot",
                         max_steps: int = 1, mapper_objective: str = "energy",
                         mapper_budget: int | None = None, mapper_rounds: int | None = None,
                         mapper_seed: int = 0,
                         mapper_search: str = "adaptive", clock_ghz: float = 1.0,
                         render_mode: str | None = None) -> AcceleratorEnv:
    """Build `archgym/Accelerator-v0` (the arguments are documented on `AcceleratorEnv`)."""
    for name, value in (("mapper_budget", mapper_budget), ("mapper_rounds", mapper_rounds)):
        if value is not None:
            check_int(name, value)
    simulator = AcceleratorSimulator(objective=mapper_objective, mapper_budget=mapper_budget,
                                     mapper_rounds=mapper_rounds, seed=mapper_seed,
                                     mapper_search=mapper_search, clock_ghz=clock_ghz)
    if isinstance(workload, str):
        workload = network(workload, resolution=resolution, batch=batch)
    if isinstance(workload, Layer):
        workload = [workload]
    goal = budget_objective(reward, metrics, simulator.metrics, DEFAULT_BUDGET,
        "utilization", targets=targets, limits=limits, weights=weights,
        references=references, quality=quality)
    return AcceleratorEnv(ACCELERATOR_SPACE, simulator, workload, goal, mode=mode,
                          max_steps=max_steps, render_mode=render_mode)
