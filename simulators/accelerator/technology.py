"""Per-access energy and area from a level's size and width, for specs that give no energies.

45 nm figures from Horowitz, "Computing's energy problem (and what we can do about it)",
ISSCC 2014, Fig. 1.1.9 energy/area table; small register files and the on-chip network
priced relative to a MAC as in Eyeriss (Chen et al., ISCA 2016, Fig. 1 / Table IV:
DRAM 200x, global buffer 6x, array (NoC) 2x, RF 1x the energy of a MAC); SRAM energy
grows with capacity as a power law through Horowitz's cache points (the square-root-like
trend CACTI gives and Accelergy's SRAM plug-ins use).
"""

from __future__ import annotations

from simulators.accelerator.architecture import MacUnit, StorageLevel
from simulators.errors import InvalidArgumentError, check_int
from simulators.systolic import (
    DRAM_ENERGY_PJ_PER_BIT,
    SRAM_AREA_UM2_PER_BIT,
    sram_energy_pj_per_bit,
)

# Horowitz ISSCC 2014: 8b int multiply 0.2 pJ / 282 um^2, 32b multiply 3.1 pJ / 3495 um^2
# (about quadratic in width); 8b add 0.03 pJ / 36 um^2, 32b add 0.1 pJ / 137 um^2.
MULT_8B_PJ, MULT_8B_UM2 = 0.2, 282.0
ADD_32B_PJ, ADD_32B_UM2 = 0.1, 137.0
# Eyeriss ISCA 2016 normalized energies (x one MAC).
RF_RELATIVE, NOC_RELATIVE = 1.0, 2.0
# Storage of at most this many bytes counts as a register file (Eyeriss: 0.5 KB RFs per PE).
RF_MAX_BYTES = 512


def mac_energy_pj(bits: int) -> float:
    """A bits x bits multiply plus a 4*bits-wide accumulate (int8: 8b mult + 32b add)."""
    check_int("bits", bits, 1, 64)
    return MULT_8B_PJ * (bits / 8) ** 2 + ADD_32B_PJ * (bits / 8)


def mac_area_mm2(bits: int) -> float:
    check_int("bits", bits, 1, 64)
    return (MULT_8B_UM2 * (bits / 8) ** 2 + ADD_32B_UM2 * (bits / 8)) * 1e-6


def storage_energy_pj(size_words: int | None, word_bits: int, mac_bits: int = 8) -> float:
    """Energy to read or write one word of a storage level.

    None (off-chip DRAM): Horowitz's 640 pJ per 32-bit DRAM access, per bit. A register
    file (<= 512 B): Eyeriss' 1x MAC. Otherwise Horowitz's SRAM curve.
    """
    check_int("bits", word_bits, 1, 64)
    if size_words is None:
        return DRAM_ENERGY_PJ_PER_BIT * word_bits
    if size_words < 1:
        raise InvalidArgumentError("size_words", size_words, "a positive integer or None")
    size_bytes = size_words * word_bits / 8
    if size_bytes <= RF_MAX_BYTES:
        return RF_RELATIVE * mac_energy_pj(mac_bits) * word_bits / mac_bits
    return float(sram_energy_pj_per_bit(size_bytes / 1024)) * word_bits


def network_energy_pj(mac_bits: int = 8) -> float:
    """Energy to move one word through the PE array's network (Eyeriss: 2x MAC)."""
    return NOC_RELATIVE * mac_energy_pj(mac_bits)


def storage_area_mm2(size_words: int | None, word_bits: int) -> float:
    """SRAM macro area (45 nm 6T cell over 70% array efficiency); off-chip DRAM is 0."""
    if size_words is None:
        return 0.0
    return size_words * word_bits * SRAM_AREA_UM2_PER_BIT * 1e-6


def technology_level(name: str, size_words: int | None, word_bits: int, mac_bits: int = 8,
                     mesh_x: int = 1, mesh_y: int = 1, **kwargs) -> StorageLevel:
    """A storage level priced by these tables (same energy to read, write or update);
    a level with a fan-out below it also pays the network energy per word sent."""
    energy = storage_energy_pj(size_words, word_bits, mac_bits)
    noc = network_energy_pj(mac_bits) * word_bits / mac_bits if mesh_x * mesh_y > 1 else 0.0
    return StorageLevel(name, size_words, word_bits, mesh_x=mesh_x, mesh_y=mesh_y,
                        read_energy_pj=energy, write_energy_pj=energy, update_energy_pj=energy,
                        network_energy_pj=noc, area_mm2=storage_area_mm2(size_words, word_bits),
                        **kwargs)


def mac_unit(bits: int) -> MacUnit:
    """A MAC priced by these tables."""
    return MacUnit(mac_energy_pj(bits), mac_area_mm2(bits), bits)
