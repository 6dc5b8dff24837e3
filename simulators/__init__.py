"""Cost models: (design, workload) -> metrics. No gym, no agents."""

from simulators.base import Design, Metrics, Simulator
from simulators.errors import ArchGymError, InvalidArgumentError, InvalidDesignError

__all__ = [
    "ArchGymError",
    "Design",
    "InvalidArgumentError",
    "InvalidDesignError",
    "Metrics",
    "Simulator",
]
