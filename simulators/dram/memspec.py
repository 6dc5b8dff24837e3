"""DRAM device specs: JEDEC timings in clock cycles, organization, currents and voltages.

Shipped: DDR4-2400R x8 4 Gb (a 64-bit DIMM of 8 devices) and LPDDR4-3200 x16 8 Gb (one
channel of one die). DRAMSys memspec JSON files are read by `read_memspec`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from simulators.errors import InvalidArgumentError


@dataclass(frozen=True)
class Rail:
    """One supply of one device: voltage and datasheet currents (A) per operating state."""

    voltage_v: float
    idd0_a: float
    idd2n_a: float
    idd3n_a: float
    idd4r_a: float
    idd4w_a: float
    idd5ab_a: float
    idd5pb_a: float = 0.0


@dataclass(frozen=True)
class MemSpec:
    """One channel of DRAM: every timing in cycles of `tck_ns`."""

    name: str
    standard: str  # "DDR4" or "LPDDR4": selects the derived command-to-command delays
    tck_ns: float
    banks: int  # per rank, all bank groups together
    bank_groups: int
    rows: int
    columns: int
    device_width_bits: int
    devices: int  # devices side by side on the data bus
    burst_length: int
    rl: int  # read latency (CL + AL)
    wl: int  # write latency (CWL + AL)
    rcd: int
    rp: int  # precharge of one bank
    rp_all: int  # precharge-all (LPDDR4 tRPab)
    ras: int
    rc: int
    rfc: int  # all-bank refresh cycle (tRFC1 / tRFCab)
    refi: int
    ccd_s: int
    ccd_l: int
    rrd_s: int
    rrd_l: int
    faw: int
    wr: int
    wtr_s: int
    wtr_l: int
    rtp: int
    rails: tuple[Rail, ...]
    rfc_pb: int = 0  # per-bank refresh cycle; 0 where the standard has no per-bank refresh
    refi_pb: int = 0
    pbr2pbr: int = 0  # per-bank refresh to per-bank refresh, different banks
    ppd: int = 0  # precharge to precharge, different banks
    dqsck: int = 0

    def __post_init__(self):
        if self.standard not in ("DDR4", "LPDDR4"):
            raise InvalidArgumentError("memspec.standard", self.standard, "DDR4, LPDDR4")
        for field_name in ("banks", "bank_groups", "rows", "columns", "devices", "rl", "wl",
                           "rcd", "rp", "ras", "rc", "rfc", "refi", "ccd_s", "faw"):
            if getattr(self, field_name) < 1:
                raise InvalidArgumentError(f"memspec.{field_name}", getattr(self, field_name),
                                           "a positive integer")
        if self.banks % self.bank_groups:
            raise InvalidArgumentError("memspec.bank_groups", self.bank_groups,
                                       f"a divisor of banks={self.banks}")

    # -- derived quantities ---------------------------------------------------------
    @property
    def burst_cycles(self) -> int:
        """Data-bus cycles of one burst (double data rate)."""
        return self.burst_length // 2

    @property
    def bus_bytes(self) -> int:
        return self.device_width_bits * self.devices // 8

    @property
    def access_bytes(self) -> int:
        """Bytes moved by one RD or WR burst."""
        return self.bus_bytes * self.burst_length

    @property
    def peak_bandwidth_gbps(self) -> float:
        return self.access_bytes / (self.burst_cycles * self.tck_ns)

    @property
    def has_per_bank_refresh(self) -> bool:
        return self.rfc_pb > 0 and self.refi_pb > 0

    @property
    def rd_to_pre(self) -> int:
        """RD to PRE, same bank. DDR4: AL + tRTP (JESD79-4 sec. 4.22);
        LPDDR4: BL/2 + max(8, tRTP) - 8 (JESD209-4 Table 'Precharge & Auto Precharge
        clarification')."""
        if self.standard == "LPDDR4":
            return self.burst_cycles + max(8, self.rtp) - 8
        return self.rtp

    @property
    def wr_to_pre(self) -> int:
        """WR to PRE, same bank: WL + BL/2 + tWR (JESD79-4 sec. 4.22); LPDDR4 adds one
        cycle (JESD209-4, WL + BL/2 + tWR + 1)."""
        return self.wl + self.burst_cycles + self.wr + (1 if self.standard == "LPDDR4" else 0)

    @property
    def rd_to_wr(self) -> int:
        """RD to WR, any bank: RL + BL/2 - WL + 2 (JESD79-4 sec. 4.19, 1tCK preamble);
        LPDDR4: RL + tDQSCK + BL/2 - WL + tWPRE(2) + tRPST(1) (JESD209-4 sec. 4.21)."""
        if self.standard == "LPDDR4":
            return self.rl + self.dqsck + self.burst_cycles - self.wl + 3
        return self.rl + self.burst_cycles - self.wl + 2

    def wr_to_rd(self, same_group: bool) -> int:
        """WR to RD: WL + BL/2 + tWTR_L (same bank group) or tWTR_S (JESD79-4 sec. 4.19);
        LPDDR4: WL + BL/2 + tWTR + 1 (JESD209-4 sec. 4.21)."""
        wtr = self.wtr_l if same_group else self.wtr_s
        return self.wl + self.burst_cycles + wtr + (1 if self.standard == "LPDDR4" else 0)


def _cycles(ns: float, tck_ns: float, min_cycles: int = 0) -> int:
    """max(min_cycles nCK, ns) rounded up to whole cycles, as JEDEC tables state timings."""
    return max(min_cycles, math.ceil(ns / tck_ns - 1e-9))


def _interval(ns: float, tck_ns: float) -> int:
    """An average refresh interval (a maximum) rounded down to whole cycles."""
    return math.floor(ns / tck_ns + 1e-9)


# DDR4-2400: 1200 MHz clock, tCK(avg) = 0.833 ns (JESD79-4 Table 'DDR4-2400 Speed Bins')
_DDR4_TCK = 1 / 1.2

DDR4_2400_X8_4GB = MemSpec(
    name="DDR4-2400",
    standard="DDR4",
    tck_ns=_DDR4_TCK,
    # 4 Gb x8: 16 banks in 4 bank groups, 32K rows, 1K columns, 1 KB page (JESD79-4 Table 2,
    # 'DDR4 addressing'); a 64-bit rank of 8 devices, BL8.
    banks=16, bank_groups=4, rows=32768, columns=1024, device_width_bits=8, devices=8,
    burst_length=8,
    # DDR4-2400R speed bin 16-16-16 (JESD79-4 Table 'DDR4-2400 Speed Bins'): CL = tRCD = tRP
    # = 16 nCK (13.32 ns), tRAS = 32 ns, tRC = tRAS + tRP; CWL = 12 (first CWL set).
    rl=16, wl=12, rcd=16, rp=16, rp_all=16,
    ras=_cycles(32.0, _DDR4_TCK), rc=_cycles(32.0, _DDR4_TCK) + 16,
    # 4 Gb: tRFC1 = 260 ns, tREFI = 7.8 us below 85 C (JESD79-4 Table 'Refresh parameters').
    rfc=_cycles(260.0, _DDR4_TCK), refi=_interval(7800.0, _DDR4_TCK),
    # JESD79-4 Table 'Timing Parameters by Speed Bin' (DDR4-2400, 1 KB page):
    # tCCD_S = 4 nCK; tCCD_L = max(5 nCK, 5 ns); tRRD_S = max(4 nCK, 3.3 ns);
    # tRRD_L = max(4 nCK, 4.9 ns); tFAW = max(20 nCK, 21 ns); tWR = 15 ns;
    # tWTR_S = max(2 nCK, 2.5 ns); tWTR_L = max(4 nCK, 7.5 ns); tRTP = max(4 nCK, 7.5 ns).
    ccd_s=4, ccd_l=_cycles(5.0, _DDR4_TCK, 5),
    rrd_s=_cycles(3.3, _DDR4_TCK, 4), rrd_l=_cycles(4.9, _DDR4_TCK, 4),
    faw=_cycles(21.0, _DDR4_TCK, 20), wr=_cycles(15.0, _DDR4_TCK),
    wtr_s=_cycles(2.5, _DDR4_TCK, 2), wtr_l=_cycles(7.5, _DDR4_TCK, 4),
    rtp=_cycles(7.5, _DDR4_TCK, 4),
    # Currents of a 4 Gb x8 DDR4-2400 device (Micron MT40A512M8 datasheet IDD table, as
    # DRAMSys ships them in JEDEC_4Gb_DDR4-2400_8bit_A.json); VDD = 1.2 V, VPP = 2.5 V
    # (JESD79-4 sec. 2.7 'Supply voltages').
    rails=(Rail(1.2, 60.75e-3, 38.25e-3, 44.0e-3, 184.5e-3, 168.75e-3, 118.0e-3),
           Rail(2.5, 4.05e-3, 0.0, 0.0, 0.0, 0.0, 0.0)),
)

_LP4_TCK = 0.625  # LPDDR4-3200: tCK = 0.625 ns (JESD209-4 Table 'Read and write latencies')

LPDDR4_3200_X16_8GB = MemSpec(
    name="LPDDR4-3200",
    standard="LPDDR4",
    tck_ns=_LP4_TCK,
    # 8 Gb per x16 channel: 8 banks, 64K rows, 1K columns, BL16 (JESD209-4 Table 'LPDDR4
    # SDRAM addressing'); no bank groups.
    banks=8, bank_groups=1, rows=65536, columns=1024, device_width_bits=16, devices=1,
    burst_length=16,
    # RL = 28 (DBI off), WL = 14 (set A) at 3200 Mbps (JESD209-4 Table 'Read and write
    # latencies'); core timings from JESD209-4 Table 'Core AC timing': tRCD = max(18 ns,
    # 4 nCK), tRPpb = max(18 ns, 4 nCK), tRPab = max(21 ns, 4 nCK), tRAS = max(42 ns,
    # 3 nCK), tRRD = max(10 ns, 4 nCK), tFAW = 40 ns, tCCD = 8 nCK, tWR = max(18 ns, 6 nCK),
    # tWTR = max(10 ns, 8 nCK), tRTP = max(7.5 ns, 8 nCK), tPPD = 4 nCK, tDQSCK max 3.5 ns.
    rl=28, wl=14, rcd=_cycles(18.0, _LP4_TCK, 4), rp=_cycles(18.0, _LP4_TCK, 4),
    rp_all=_cycles(21.0, _LP4_TCK, 4), ras=_cycles(42.0, _LP4_TCK, 3),
    rc=_cycles(42.0, _LP4_TCK, 3) + _cycles(21.0, _LP4_TCK, 4),
    # 8 Gb per channel: tRFCab = 280 ns, tRFCpb = 140 ns, tREFI = 3.904 us, tREFIpb =
    # tREFI / 8, tpbR2pbR = 90 ns (JESD209-4 Table 'Refresh requirement parameters').
    rfc=_cycles(280.0, _LP4_TCK), refi=_interval(3904.0, _LP4_TCK),
    ccd_s=8, ccd_l=8, rrd_s=_cycles(10.0, _LP4_TCK, 4), rrd_l=_cycles(10.0, _LP4_TCK, 4),
    faw=_cycles(40.0, _LP4_TCK), wr=_cycles(18.0, _LP4_TCK, 6),
    wtr_s=_cycles(10.0, _LP4_TCK, 8), wtr_l=_cycles(10.0, _LP4_TCK, 8),
    rtp=_cycles(7.5, _LP4_TCK, 8),
    rfc_pb=_cycles(140.0, _LP4_TCK), refi_pb=_interval(488.0, _LP4_TCK),
    pbr2pbr=_cycles(90.0, _LP4_TCK), ppd=4, dqsck=_cycles(3.5, _LP4_TCK),
    # Currents of an 8 Gb x16 LPDDR4-3200 channel on VDD1 = 1.8 V and VDD2 = 1.1 V (JESD209-4
    # sec. 'IDD specification', values as DRAMSys ships in JEDEC_8Gb_LPDDR4-3200_16bit.json).
    rails=(Rail(1.8, 3.5e-3, 2.0e-3, 2.25e-3, 2.25e-3, 2.25e-3, 2.5e-3, 2.5e-3),
           Rail(1.1, 45.0e-3, 27.0e-3, 30.0e-3, 275.0e-3, 210.0e-3, 30.0e-3, 30.0e-3)),
)

MEMSPECS = {spec.name: spec for spec in (DDR4_2400_X8_4GB, LPDDR4_3200_X16_8GB)}


def memspec(name_or_path: str | Path) -> MemSpec:
    """A shipped spec by name (`DDR4-2400`, `LPDDR4-3200`) or a DRAMSys memspec JSON file."""
    if str(name_or_path) in MEMSPECS:
        return MEMSPECS[str(name_or_path)]
    path = Path(name_or_path)
    if path.suffix.lower() != ".json":
        raise InvalidArgumentError("memspec", str(name_or_path),
                                   f"{', '.join(MEMSPECS)} or a DRAMSys memspec .json file")
    return read_memspec(path)


def read_memspec(path: str | Path) -> MemSpec:
    """Read a DRAMSys memspec JSON file (DDR4 or LPDDR4)."""
    try:
        spec = json.loads(Path(path).read_text())["memspec"]
        arch, timing = spec["memarchitecturespec"], spec["memtimingspec"]
        power, standard = spec["mempowerspec"], spec["memoryType"].upper()
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise InvalidArgumentError("memspec file", str(path),
                                   f"DRAMSys memspec JSON ({error!r})") from None
    if standard not in ("DDR4", "LPDDR4"):
        raise InvalidArgumentError("memspec memoryType", standard, "DDR4, LPDDR4")
    try:
        common = dict(
            name=spec.get("memoryId", Path(path).stem), standard=standard,
            tck_ns=float(timing["tCK"]) * 1e9, banks=int(arch["nbrOfBanks"]),
            bank_groups=int(arch.get("nbrOfBankGroups", 1)), rows=int(arch["nbrOfRows"]),
            columns=int(arch["nbrOfColumns"]), device_width_bits=int(arch["width"]),
            devices=int(arch.get("nbrOfDevices", 1)), burst_length=int(arch["burstLength"]),
            rl=int(timing.get("RL", timing.get("CL"))), wl=int(timing["WL"]),
            rcd=int(timing["RCD"]), ras=int(timing["RAS"]), refi=int(timing["REFI"]),
            faw=int(timing["FAW"]), wr=int(timing["WR"]), rtp=int(timing["RTP"]),
            dqsck=int(timing.get("DQSCK", 0)))
        if standard == "DDR4":
            specific = dict(
                rp=int(timing["RP"]), rp_all=int(timing["RP"]), rc=int(timing["RC"]),
                rfc=int(timing["RFC1"]), ccd_s=int(timing["CCD_S"]), ccd_l=int(timing["CCD_L"]),
                rrd_s=int(timing["RRD_S"]), rrd_l=int(timing["RRD_L"]),
                wtr_s=int(timing["WTR_S"]), wtr_l=int(timing["WTR_L"]),
                rails=(Rail(power["vdd"], power["idd0"], power["idd2n"], power["idd3n"],
                            power["idd4r"], power["idd4w"], power["idd5B"]),
                       Rail(power["vpp"], power["ipp0"], power["ipp2n"], power["ipp3n"],
                            power["ipp4r"], power["ipp4w"], power.get("ipp5B", 0.0))))
        else:
            specific = dict(
                rp=int(timing["RPpb"]), rp_all=int(timing["RPab"]), rc=int(timing["RCab"]),
                rfc=int(timing["RFCab"]), rfc_pb=int(timing["RFCpb"]),
                refi_pb=int(timing["REFIpb"]), ccd_s=int(timing["CCD"]),
                ccd_l=int(timing["CCD"]), rrd_s=int(timing["RRD"]), rrd_l=int(timing["RRD"]),
                wtr_s=int(timing["WTR"]), wtr_l=int(timing["WTR"]), ppd=int(timing["PPD"]),
                # tpbR2pbR is not in DRAMSys memspecs: 90 ns (JESD209-4 refresh table).
                pbr2pbr=_cycles(90.0, float(timing["tCK"]) * 1e9),
                rails=tuple(Rail(power[f"vdd{k}"], power[f"idd0{k}"], power[f"idd2n{k}"],
                                 power[f"idd3n{k}"], power[f"idd4r{k}"], power[f"idd4w{k}"],
                                 power[f"idd5ab{k}"], power[f"idd5pb{k}"]) for k in (1, 2)))
    except KeyError as error:
        raise InvalidArgumentError("memspec file", str(path), f"a {standard} memspec with "
                                   f"key {error.args[0]}") from None
    return MemSpec(**common, **specific)
