"""`archgym/Mapping-v0`: search the mapping of one layer on a fixed accelerator."""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.objective import Objective, budget_objective
from archgym_env.space import Categorical, DesignSpace
from simulators.accelerator.architecture import Architecture
from simulators.accelerator.directives import parse_directives
from simulators.accelerator.mapper import Mapper
from simulators.accelerator.mapping import Mapping
from simulators.accelerator.presets import PRESETS, preset
from simulators.accelerator.simulator import MappingSimulator
from simulators.accelerator.timeloop import TimeloopArch, load_arch, load_mapping
from simulators.base import BatchResult
from simulators.errors import ArchGymError, InvalidArgumentError
from simulators.workloads import Layer

DEFAULT_LAYER = Layer("resnet18.layer1.0.conv1", M=64, C=64, P=56, Q=56, R=3, S=3)
DEFAULT_METRICS = ("energy_pj", "latency_cycles")


class MappingEnv(DesignEnv):
    """`archgym/Mapping-v0`: search the mapping of one layer on a fixed architecture.

    ## Description
    The design is a mapping: per storage level below DRAM a temporal factor for every
    dimension of the layer (DRAM takes what is left), per fan-out axis the parallel
    dimension and its factor, per level a loop order named by what it keeps stationary,
    and the keep/bypass choices the architecture leaves free. The Timeloop-style analysis
    scores it. An invalid mapping (factors that do not divide the layer, a tile over
    capacity, too many PEs) gets the objective's lowest reward, `info["valid"] = False`
    and the reason in `info["error"]`; `step` never raises for it.
    `evaluate_mapping(mapping)` scores a `Mapping`, MAESTRO directives
    (`TemporalMap(size, offset) D; SpatialMap(size, offset) D; Cluster(n)`) or a Timeloop
    mapping YAML (a path or its parsed dict) the same way, with the mapping's text.

    Metrics (the goals by default: energy_pj, latency_cycles): energy_pj, latency_cycles,
    utilization, dram_words (words moved at DRAM), energy_per_mac_pj and area_mm2;
    `env.unwrapped.simulator.metrics` (or `archgym envs`) lists every metric with its
    unit and direction.

    ## Action Space
    The parameters follow the layer and the architecture (`env.unwrapped.space.names`):

    | parameter | choices |
    |---|---|
    | `<dim>.tiling` | temporal factors of dimension `dim` (M, C, P, ...) per level from |
    | | DRAM inward, as `a/b/...`, for every dimension larger than 1 |
    | `<level>.x_dim`, `<level>.y_dim` | `-` or a dimension the level's fan-out may unroll |
    | `<level>.x_factor`, `<level>.y_factor` | i: the i-th divisor of that dimension that |
    | | fits the fan-out |
    | `<level>.order` | `weight_stationary`, `output_stationary`, `input_stationary`, |
    | | `row_stationary` (the loop order of the level) |
    | `<level>.keep_<data space>` | True or False, where the architecture leaves it free |

    `one_shot` mode: `MultiDiscrete` with one entry per parameter (15 for the default
    layer on `eyeriss_like`), a whole mapping as choice indices. `sequential` mode:
    `Discrete(n)` with n the most choices of a parameter, the choice for parameter t;
    action a picks choice floor(a * n_t / n) of it.

    ## Observation Space
    `one_shot`: `Box(0, 1, (n_params + n_goals,), float32)`, `(17,)` by default: the last
    mapping as normalized choice indices, then each goal metric x as x / (x + target), 0.5
    at its target. `sequential`: `Box(-1, 1, (n_params + 1,), float32)`, the partial
    mapping (-1 where unset), then t / n_params.

    ## Rewards
    `reward` selects the mode; the metrics of the built-in mapper's best mapping of the
    layer fill in what is not given (so reward 1 in target mode means matching it):
    * `target` (default): the mean over goals of min(1, target / x), in [0, 1]; 1 when
      every target is met.
    * `constrained`: the `quality` goal's score (utilization by default) when every limit
      holds, minus min(1, relative excess) per broken limit, in [-n_limits, 1].
    * `weighted`: the weighted decades by which each goal beats its target, each clipped
      to +-10, in [-10, 10].
    * `pareto`: the hypervolume gain of the run's Pareto archive with the mapper's best
      as reference point, in [0, 1]; `info` adds `reward_vector` and `hypervolume`.

    In `sequential` mode every step but the last gives 0.

    ## Starting State
    `reset` returns an all-zero observation (`one_shot`; nothing evaluated yet) or an
    empty partial mapping (`sequential`). Nothing is random: a seed only restarts the
    evaluation count and the Pareto archive.

    ## Episode End
    `one_shot`: terminated after each step when `max_steps` is 1; otherwise terminated
    when every target is met (target mode) and truncated after `max_steps` steps.
    `sequential`: terminated once every parameter is set.

    ## Arguments
    `gymnasium.make("archgym/Mapping-v0", **kwargs)` passes these to `make_mapping_env`:

    | Parameter | Type | Default | Description |
    |---|---|---|---|
    | `arch` | `str or Path or Architecture or TimeloopArch` | `'eyeriss_like'` | a preset |
    | | | | of `simulators.accelerator.presets.PRESETS`, an Architecture, a |
    | | | | TimeloopArch or a Timeloop arch.yaml path |
    | `ert` | `str or Path or None` | `None` | an Accelergy ERT_summary.yaml for an |
    | | | | arch.yaml path (default: technology-table energies) |
    | `layer` | `Layer` | `DEFAULT_LAYER` | the layer to map; ResNet-18's layer1.0.conv1 |
    | `reward` | `str` | `'target'` | `target`, `constrained`, `weighted` or `pareto` |
    | `metrics` | `Sequence[str]` | `('energy_pj', 'latency_cycles')` | the goals |
    | `targets` | `Mapping[str, float] or None` | `None` | per metric; default the mapper's |
    | `limits` | `Mapping[str, float] or None` | `None` | hard limits (constrained mode) |
    | `weights` | `Mapping[str, float] or None` | `None` | per goal (default 1) |
    | `references` | `Mapping[str, float] or None` | `None` | pareto reference point |
    | `quality` | `str or None` | `None` | the metric constrained mode rewards |
    | `mode` | `str` | `'one_shot'` | `one_shot` or `sequential` |
    | `max_steps` | `int` | `1` | steps per `one_shot` episode |
    | `clock_ghz` | `float` | `1.0` | clock that turns cycles into `latency_s`, `power_mw` |
    | | | | and `edp_pj_s` |
    | `render_mode` | `str or None` | `None` | `None` or `ansi` (the last mapping) |

    ## Version History
    * v0: initial version.
    """

    def __init__(self, timeloop: TimeloopArch, simulator: MappingSimulator, space: DesignSpace,
                 objective: Objective, **kwargs: Any):
        super().__init__(space, simulator, simulator.problem, objective, **kwargs)
        self.timeloop = timeloop

    def evaluate_mapping(self, mapping: Mapping | str | Path | MappingABC) -> tuple[float, dict]:
        """(reward, info) of a Mapping, MAESTRO directive text, or Timeloop mapping YAML.
        Text that does not parse raises InvalidArgumentError; an invalid mapping does not."""
        if isinstance(mapping, str) and ("Map(" in mapping or "Cluster(" in mapping):
            mapping = parse_directives(mapping, self.simulator.arch, self.simulator.problem)
        elif not isinstance(mapping, Mapping):
            mapping = load_mapping(mapping, self.timeloop)
        mapping.check_levels(self.simulator.arch)
        metrics, result = self.simulator.evaluate_mapping(mapping)
        scored = BatchResult.from_rows([metrics],
                                       self.simulator.metric_names,
                                       [None if result.valid else result.reason])
        batch = self.score(scored, designs=[mapping.to_dict()])
        info = batch.info(0)
        info["mapping_text"] = mapping.to_text(self.simulator.arch)
        return float(batch.rewards[0]), info


def _timeloop_arch(arch: Any, ert: Any) -> TimeloopArch:
    if isinstance(arch, TimeloopArch):
        return arch
    if isinstance(arch, str) and arch in PRESETS:
        arch = preset(arch)
    if isinstance(arch, Architecture):
        return TimeloopArch.from_architecture(arch)
    if isinstance(arch, str | Path) and Path(arch).is_file():
        return load_arch(arch, ert)
    raise InvalidArgumentError("arch", arch, "a preset (" + ", ".join(PRESETS)
                               + "), an Architecture or a Timeloop arch.yaml path")


def make_mapping_env(arch: str | Path | Architecture | TimeloopArch = "eyeriss_like",
                     ert: str | Path | None = None, layer: Layer = DEFAULT_LAYER,
                     reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                     targets: MappingABC[str, float] | None = None,
                     limits: MappingABC[str, float] | None = None,
                     weights: MappingABC[str, float] | None = None,
                     references: MappingABC[str, float] | None = None,
                     quality: str | None = None, mode: str = "one_shot", max_steps: int = 1,
                     clock_ghz: float = 1.0, render_mode: str | None = None) -> MappingEnv:
    """Build `archgym/Mapping-v0` (the arguments are documented on `MappingEnv`)."""
    if not isinstance(layer, Layer):
        raise InvalidArgumentError("layer", layer, "a Layer")
    timeloop = _timeloop_arch(arch, ert)
    simulator = MappingSimulator(timeloop.architecture, layer, clock_ghz)
    space = DesignSpace(tuple(Categorical(name, choices)
                              for name, choices in simulator.parameters()))

    def mappers_best() -> dict[str, float]:  # the default goals: what the built-in mapper reaches
        best = Mapper(timeloop.architecture).search(layer).best
        if best is None:
            raise ArchGymError(f"no valid mapping of {layer.name} on "
                               f"{timeloop.architecture.name}")
        found = simulator.evaluate_mapping(best.mapping)[0]
        return {m: v for m, v in found.items() if v > 0}

    objective = budget_objective(reward, metrics, simulator.metrics, mappers_best,
                                 "utilization", targets=targets, limits=limits, weights=weights,
                                 references=references, quality=quality)
    return MappingEnv(timeloop, simulator, space, objective, mode=mode, max_steps=max_steps,
                      render_mode=render_mode)
