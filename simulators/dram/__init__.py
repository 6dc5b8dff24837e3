"""DRAMSys-style DRAM memory-controller simulator: JEDEC timings, numba kernel, DRAMPower energy."""

from simulators.dram.addressmap import AddressMapping, address_mapping, bit_slice
from simulators.dram.config import RAMULATOR_DDR4, ControllerConfig, read_mcconfig
from simulators.dram.memspec import (
                                     DDR4_2400_X8_4GB,
                                     LPDDR4_3200_X16_8GB,
                                     MEMSPECS,
                                     MemSpec,
                                     memspec,
                                     read_memspec,
)
from simulators.dram.simulator import METRIC_NAMES, METRICS, DRAMSimulator, RunResult
from simulators.dram.traces import DRAMWorkload, Trace, generate, read_trace

__all__ = [
    "DDR4_2400_X8_4GB", "LPDDR4_3200_X16_8GB", "MEMSPECS", "METRICS", "METRIC_NAMES",
    "RAMULATOR_DDR4",
    "AddressMapping", "ControllerConfig", "DRAMSimulator", "DRAMWorkload", "MemSpec",
    "RunResult", "Trace", "address_mapping", "bit_slice", "generate", "memspec",
    "read_mcconfig", "read_memspec", "read_trace",
]
