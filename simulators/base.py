"""The simulator protocol: (design, workload) -> metrics with units in their names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Design = Mapping[str, Any]
Metrics = dict[str, float]


@runtime_checkable
class Simulator(Protocol):
    """A stateless cost model: the same call always gives the same metrics.

    `metric_names` lists every key of the returned metrics, each carrying its unit
    (`latency_cycles`, `energy_pj`, `area_mm2`, ...).
    """

    metric_names: tuple[str, ...]

    def evaluate(self, design: Design, workload: Any) -> Metrics: ...

    def evaluate_batch(self, designs: Sequence[Design], workload: Any) -> list[Metrics]: ...
