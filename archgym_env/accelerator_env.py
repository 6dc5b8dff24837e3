"""`archgym/Accelerator-v0`: architecture search for a DNN on a Timeloop-class model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.objective import budget_objective
from archgym_env.space import Categorical, DesignSpace, PowerOfTwo
from simulators.accelerator.mapper import TEMPLATES
from simulators.accelerator.simulator import AcceleratorSimulator
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
# ResNet-18 at 224x224: between the eyeriss_like preset (1.2e7 cycles, 2.3e10 pJ, 1.0 mm^2)
# and the simba_like preset (2.3e6 cycles, 5.7e9 pJ, 3.5 mm^2) as this model maps them;
# 1 of 300 random designs (seed 1) meets all three.
DEFAULT_BUDGET = {"latency_cycles": 5e6, "energy_pj": 1e10, "area_mm2": 3.0}


def make_accelerator_env(workload: str | Any = "resnet18", resolution: int = 224, batch: int = 1,
                         reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                         targets: Mapping[str, float] | None = None,
                         limits: Mapping[str, float] | None = None,
                         weights: Mapping[str, float] | None = None,
                         references: Mapping[str, float] | None = None,
                         quality: str | None = None, mode: str = "one_shot",
                         max_steps: int = 1, objective: str = "energy",
                         mapper_budget: int = 300, mapper_rounds: int = 4, seed: int = 0,
                         mapper_search: str = "adaptive",
                         render_mode: str | None = None) -> DesignEnv:
    """Search the architecture of a spatial DNN accelerator; the mapper maps every layer.

    ## Description
    A design is an Eyeriss-style accelerator: DRAM, a global buffer (size, banks), a
    `pe_x` x `pe_y` PE mesh fed by a NoC of given bandwidth, per-PE scratchpads for
    inputs, weights and partial sums, a dataflow template and a precision. The space offers
    the 5 distinct templates (weight_stationary, output_stationary, input_stationary,
    row_stationary, shidiannao_like); the names of identical ones (nvdla_like and tpu_like
    for weight_stationary, eyeriss_like for row_stationary) are accepted as aliases. Each
    step the mapper (`simulators.accelerator.mapper.Mapper`, deterministic for `seed`) finds a
    mapping of every layer under the template, and the layer results are summed.
    Energies and areas come from the 45 nm technology tables.

    ## Action Space
    `MultiDiscrete` over the parameters of `ACCELERATOR_SPACE` (one-shot mode) or one
    parameter per step (sequential mode), as in `DesignEnv`.

    ## Observation Space
    As in `DesignEnv`: the normalized design, then the goal metrics scaled to (0, 1).

    ## Rewards
    The objective's (`reward`): target (default; targets default to DEFAULT_BUDGET),
    constrained (limits default to DEFAULT_BUDGET, quality `utilization`), weighted or
    pareto. A design whose layers cannot all be mapped gets the lowest reward and
    `info["valid"] = False`.

    ## Episode End
    As in `DesignEnv`.

    ## Arguments
    | argument | meaning |
    |---|---|
    | `workload` | a built-in network name, a Network, a Layer or a list of Layers |
    | `resolution`, `batch` | for a named network |
    | `reward`, `metrics`, `targets`, `limits`, `weights`, `references`, `quality` | objective |
    | `mode`, `max_steps`, `render_mode` | as in `DesignEnv` |
    | `objective` | what the mapper minimizes per layer: energy, cycles, edp |
    | `mapper_budget`, `mapper_rounds`, `seed` | mapper samples, local-search rounds, seed |
    | `mapper_search` | adaptive (default) or monotone (2-16x slower): see below |

    Metrics: latency_cycles, energy_pj, area_mm2, edp (pJ x cycles), utilization.

    With `mapper_search="monotone"` a larger buffer never makes the mapper's result worse
    when per-access energies stay the same; here they grow with size (45 nm tables), so the
    guarantee covers the cycles objective: larger scratchpads or global buffer never add
    latency.

    ## Version History
    * v0: initial version.
    """
    simulator = AcceleratorSimulator(objective=objective, mapper_budget=mapper_budget,
                                     mapper_rounds=mapper_rounds, seed=seed,
                                     mapper_search=mapper_search)
    if isinstance(workload, str):
        workload = network(workload, resolution=resolution, batch=batch)
    if isinstance(workload, Layer):
        workload = [workload]
    goal = budget_objective(reward, metrics, simulator.metric_names, DEFAULT_BUDGET,
        "utilization", targets=targets, limits=limits, weights=weights,
        references=references, quality=quality)
    return DesignEnv(ACCELERATOR_SPACE, simulator, workload, goal, mode=mode,
                     max_steps=max_steps, render_mode=render_mode)
