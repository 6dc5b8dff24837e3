"""DRAMPower-style energy: per-command energies and background power from IDD currents.

Following DRAMPower (Chandrasekar et al., "Improved Power Modeling of DDR SDRAMs", DSD 2011,
sec. III; bankwise background as in DRAMPower 4's bankwise mode with factRho = 1), per device
and supply rail of voltage V, with tCK the clock period:

    E_ACT+PRE = V (IDD0 - IDD3N) tRAS tCK + V (IDD0 - IDD2N) tRP tCK    per activation
    E_RD      = V (IDD4R - IDD3N) BL/2 tCK                             per read burst
    E_WR      = V (IDD4W - IDD3N) BL/2 tCK                             per write burst
    E_REF     = V (IDD5B - IDD3N) tRFC tCK                             per all-bank refresh
    E_REFPB   = V (IDD5PB - IDD3N) tRFCpb tCK                          per per-bank refresh
    E_bg      = V tCK (IDD2N T + (IDD3N - IDD2N) sum_banks(open cycles) / banks)

then times the number of devices on the bus. Every activation is charged its precharge.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.dram.memspec import MemSpec


@dataclass(frozen=True)
class Energy:
    act_pre_pj: float
    read_pj: float
    write_pj: float
    refresh_pj: float
    background_pj: float

    @property
    def total_pj(self) -> float:
        return self.act_pre_pj + self.read_pj + self.write_pj + self.refresh_pj \
            + self.background_pj


def energy(spec: MemSpec, acts: int, reads: int, writes: int, refreshes: int,
           per_bank_refreshes: int, total_cycles: int, active_bank_cycles: int) -> Energy:
    """Energy of one run from its command counts and bank-open time (all in cycles)."""
    nj_to_pj = 1e3  # V * A * ns = nJ
    scale = spec.tck_ns * spec.devices * nj_to_pj
    act = rd = wr = ref = bg = 0.0
    for rail in spec.rails:
        v = rail.voltage_v
        act += v * ((rail.idd0_a - rail.idd3n_a) * spec.ras
                    + (rail.idd0_a - rail.idd2n_a) * spec.rp)
        rd += v * max(rail.idd4r_a - rail.idd3n_a, 0.0) * spec.burst_cycles
        wr += v * max(rail.idd4w_a - rail.idd3n_a, 0.0) * spec.burst_cycles
        ref += v * (max(rail.idd5ab_a - rail.idd3n_a, 0.0) * spec.rfc * refreshes
                    + max(rail.idd5pb_a - rail.idd3n_a, 0.0) * spec.rfc_pb * per_bank_refreshes)
        bg += v * (rail.idd2n_a * total_cycles
                   + (rail.idd3n_a - rail.idd2n_a) * active_bank_cycles / spec.banks)
    return Energy(act * acts * scale, rd * reads * scale, wr * writes * scale, ref * scale,
                  bg * scale)
