"""A network mapped layer by layer: the network's totals with their per-level breakdown."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

from simulators.accelerator.analysis import LayerResult
from simulators.accelerator.elementwise import ElementwiseCost, with_elementwise
from simulators.accelerator.mapper import Mapper
from simulators.elementwise import elementwise_layers
from simulators.errors import ArchGymError
from simulators.workloads import Elementwise, Layer, Network


@dataclass(frozen=True)
class NetworkBreakdown:
    """Each layer's best mapping and the network's totals. Layers run one after another,
    so cycles, energies and MACs add up (the layers without MACs' too, see
    simulators.accelerator.elementwise); the area is the architecture's."""

    architecture: str
    template: str | None
    layers: tuple[tuple[Layer, LayerResult], ...]
    cycles: float
    energy_pj: float
    level_energy_pj: dict[str, float]  # storage and network energy per level, all layers
    mac_energy_pj: float
    area_mm2: float
    utilization: float
    macs: float
    elementwise: tuple[tuple[Elementwise, ElementwiseCost], ...] = ()  # in the totals

    @property
    def edp(self) -> float:
        """Energy-delay product in pJ * cycles."""
        return self.energy_pj * self.cycles

    @property
    def energy_per_mac_pj(self) -> float:
        return self.energy_pj / self.macs


def network_breakdown(mapper: Mapper, network: Network | Layer | list[Layer]) -> NetworkBreakdown:
    """Map every layer of `network` with `mapper` and add the results up, level by level;
    ArchGymError naming the first layer the mapper finds no valid mapping for."""
    done = with_elementwise(mapper.map_network(network), mapper.arch,
                            elementwise_layers(network))
    template = mapper.template.name if mapper.template else None
    arch = mapper.arch
    missing = [layer.name for layer, r in done.layers if r.best is None]
    if missing:
        raise ArchGymError(f"no valid mapping of {missing[0]} on {arch.name} "
                           f"(template {template}); the layer does not fit its buffers")
    layers = tuple((layer, r.best) for layer, r in done.layers)
    per_layer = [best.level_energy_pj() for _, best in layers]
    per_layer += [cost.level_energy_pj for _, cost in done.elementwise]
    levels = {name: sum(energy.get(name, 0.0) for energy in per_layer)
              for name in arch.level_names}
    return NetworkBreakdown(arch.name, template, layers, done.cycles, done.energy_pj, levels,
                            sum(best.mac_energy_pj for _, best in layers)
                            + sum(cost.op_energy_pj for _, cost in done.elementwise),
                            done.area_mm2, done.utilization, done.macs, done.elementwise)


def shared_search(mapper: Mapper) -> Mapper:
    """A copy of `mapper` that searches each layer shape once across every network it maps
    (the search is deterministic per shape, so the results are those of `mapper`)."""
    shared = copy.copy(mapper)
    shared.search = functools.cache(mapper.search)
    return shared
