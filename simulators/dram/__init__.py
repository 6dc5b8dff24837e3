"""DRAMSys-style DRAM memory-controller simulator: JEDEC timings, numba kernel, DRAMPower energy.

The simulator (and with it the compiled kernel) is imported on first use of one of its
names, so traces, memspecs and configs load without it."""

from simulators.dram.addressmap import AddressMapping, address_mapping, bit_slice
from simulators.dram.config import PRESETS, RAMULATOR_DDR4, ControllerConfig, read_mcconfig
from simulators.dram.memspec import (
                                     DDR4_2400_X8_4GB,
                                     LPDDR4_3200_X16_8GB,
                                     MEMSPECS,
                                     MemSpec,
                                     memspec,
                                     read_memspec,
)
from simulators.dram.traces import DRAMWorkload, Trace, generate, read_trace

_SIMULATOR_NAMES = ("METRIC_NAMES", "METRICS", "DRAMSimulator", "RunResult")


def __getattr__(name: str):
    if name in _SIMULATOR_NAMES:
        from simulators.dram import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DDR4_2400_X8_4GB", "LPDDR4_3200_X16_8GB", "MEMSPECS", "METRICS", "METRIC_NAMES",
    "PRESETS", "RAMULATOR_DDR4",
    "AddressMapping", "ControllerConfig", "DRAMSimulator", "DRAMWorkload", "MemSpec",
    "RunResult", "Trace", "address_mapping", "bit_slice", "generate", "memspec",
    "read_mcconfig", "read_memspec", "read_trace",
]
