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
    """Search the mapping of one layer on a fixed architecture.

    ## Description
    The design is a mapping: per storage level below DRAM a temporal factor for every
    dimension of the layer (DRAM takes what is left), per fan-out axis the parallel
    dimension and its factor, per level a loop order named by what it keeps stationary,
    and the keep/bypass choices the architecture leaves free. The Timeloop-style analysis
    scores it. `evaluate_mapping` also takes a `Mapping`, MAESTRO directives
    (`TemporalMap(size, offset) D; SpatialMap(size, offset) D; Cluster(n)`) or a Timeloop
    mapping YAML (a path or its parsed dict).

    ## Action Space
    `MultiDiscrete` over the mapping parameters (one-shot), or one per step (sequential).

    ## Observation Space
    As in `DesignEnv`: the normalized mapping choices, then the goal metrics in (0, 1).

    ## Rewards
    The objective's; targets default to the metrics of the built-in mapper's best mapping
    (reward 1 in target mode means matching it). An invalid mapping (factors that do not
    divide the layer, a tile over capacity, too many PEs) gets the objective's lowest reward,
    `info["valid"] = False` and the reason in `info["error"]`; `step` never raises for it.

    ## Episode End
    As in `DesignEnv`.

    ## Arguments
    | argument | meaning |
    |---|---|
    | `arch` | a preset name, an Architecture, a TimeloopArch or a Timeloop arch.yaml path |
    | `ert` | an Accelergy ERT_summary.yaml for an arch.yaml path |
    | `layer` | a Layer (default: ResNet-18 layer1.0.conv1) |
    | `reward`, `metrics`, `targets`, `limits`, `weights`, `references`, `quality` | objective |
    | `mode`, `max_steps`, `render_mode` | as in `DesignEnv` |

    Metrics: latency_cycles, energy_pj, area_mm2, edp, utilization, dram_words,
    energy_per_mac_pj.

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
        scored = BatchResult.from_rows([metrics if result.valid else None],
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


def make_mapping_env(arch: Any = "eyeriss_like", ert: Any = None, layer: Layer = DEFAULT_LAYER,
                     reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                     targets: MappingABC[str, float] | None = None,
                     limits: MappingABC[str, float] | None = None,
                     weights: MappingABC[str, float] | None = None,
                     references: MappingABC[str, float] | None = None,
                     quality: str | None = None, mode: str = "one_shot", max_steps: int = 1,
                     render_mode: str | None = None) -> MappingEnv:
    """Build `archgym/Mapping-v0` (see MappingEnv)."""
    if not isinstance(layer, Layer):
        raise InvalidArgumentError("layer", layer, "a Layer")
    timeloop = _timeloop_arch(arch, ert)
    simulator = MappingSimulator(timeloop.architecture, layer)
    space = DesignSpace(tuple(Categorical(name, choices)
                              for name, choices in simulator.parameters()))

    def mappers_best() -> dict[str, float]:  # the default goals: what the built-in mapper reaches
        best = Mapper(timeloop.architecture).search(layer).best
        if best is None:
            raise ArchGymError(f"no valid mapping of {layer.name} on "
                               f"{timeloop.architecture.name}")
        found = simulator.evaluate_mapping(best.mapping)[0]
        return {m: v for m, v in found.items() if v > 0}

    objective = budget_objective(reward, metrics, simulator.metric_names, mappers_best,
                                 "utilization", targets=targets, limits=limits, weights=weights,
                                 references=references, quality=quality)
    return MappingEnv(timeloop, simulator, space, objective, mode=mode, max_steps=max_steps,
                      render_mode=render_mode)
