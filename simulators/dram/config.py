"""Memory-controller configuration: DRAMSys `mcconfig` options, plus Ramulator's row-hit cap
and write-drain watermarks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from simulators.errors import InvalidArgumentError, InvalidDesignError

PAGE_POLICIES = ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive")
SCHEDULERS = ("Fifo", "FrFcfs", "FrFcfsGrp")  # DRAMSys' schedulers, DRAM-v0's choices
# Ramulator 1's FRFCFS_Cap controller (see simulators.dram.kernel), the ramulator-ddr4 preset's
ALL_SCHEDULERS = (*SCHEDULERS, "FrFcfsCap")
SCHEDULER_BUFFERS = ("Bankwise", "ReadWrite", "Shared")
RESP_QUEUES = ("Fifo", "Reorder")
REFRESH_POLICIES = ("NoRefresh", "AllBank", "PerBank")
ARBITERS = ("Simple", "Fifo", "Reorder")
CHOICES = {"PagePolicy": PAGE_POLICIES, "Scheduler": ALL_SCHEDULERS,
           "SchedulerBuffer": SCHEDULER_BUFFERS, "RespQueue": RESP_QUEUES,
           "RefreshPolicy": REFRESH_POLICIES, "Arbiter": ARBITERS}
# DRAMSys options the model takes only at the value it simulates: the oldest-first
# command multiplexer, no power-down, no refresh management (row-hammer counters).
FIXED_MCCONFIG = {"CmdMux": "Oldest", "PowerDownPolicy": "NoPowerDown",
                  "RefreshManagement": False}
# DRAMSys options about its SystemC plumbing (delays, protocol checks, ECC) or another
# scheduler's watermarks: no effect on this timing model.
IGNORED_MCCONFIG = ("PowerDownTimeout", "ThinkDelayFw", "ThinkDelayBw", "PhyDelayFw",
                    "PhyDelayBw", "BlockingReadDelay", "BlockingWriteDelay",
                    "CheckTLM2Protocol", "ECCControllerMode", "HighWatermark", "LowWatermark")


@dataclass(frozen=True)
class ControllerConfig:
    """One controller design, DRAMSys names. `RowHitCap` (0: no cap) stops FR-FCFS from
    preferring row hits after that many to one activation; under `FrFcfsCap` (Ramulator's
    FRFCFS_Cap) a hit counts as ready while its row has had at most that many hits, as
    Ramulator compares (Scheduler.h:184). `WriteDrainHigh`/`WriteDrainLow` (fractions of
    the write buffer, 0: off) switch to draining writes when more than floor(high x size)
    are queued or no read is, and back when fewer than floor(low x size) are and a read is
    (Ramulator's write mode, Controller.h:357-366)."""

    PagePolicy: str = "Open"
    Scheduler: str = "FrFcfs"
    SchedulerBuffer: str = "Bankwise"
    RequestBufferSize: int = 8
    RespQueue: str = "Fifo"
    RefreshPolicy: str = "AllBank"
    RefreshMaxPostponed: int = 8
    RefreshMaxPulledin: int = 8
    Arbiter: str = "Simple"
    MaxActiveTransactions: int = 128
    RowHitCap: int = 0
    WriteDrainHigh: float = 0.0
    WriteDrainLow: float = 0.0

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise InvalidDesignError(name, getattr(self, name), ", ".join(allowed))
        for name, low, high in (("RequestBufferSize", 1, 1024), ("MaxActiveTransactions", 1, 4096),
                                ("RefreshMaxPostponed", 0, 8), ("RefreshMaxPulledin", 0, 8),
                                ("RowHitCap", 0, 1 << 20)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidDesignError(name, value, f"integers {low}..{high}")
        if not 0.0 <= self.WriteDrainLow <= self.WriteDrainHigh <= 1.0:
            raise InvalidDesignError("WriteDrainHigh/Low", (self.WriteDrainHigh,
                                     self.WriteDrainLow), "0 <= low <= high <= 1")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ControllerConfig:
        """From DRAMSys option names; unknown names are errors, timing-neutral ones are skipped."""
        known = {f.name for f in fields(cls)}
        kwargs = {}
        for key, value in values.items():
            if key in FIXED_MCCONFIG:
                if value != FIXED_MCCONFIG[key]:
                    raise InvalidDesignError(key, value, f"{FIXED_MCCONFIG[key]} (the value "
                                             "this model simulates)")
            elif key in known:
                kwargs[key] = int(value) if isinstance(value, float) and value.is_integer() \
                    and key not in ("WriteDrainHigh", "WriteDrainLow") else value
            elif key not in IGNORED_MCCONFIG:
                raise InvalidDesignError("mcconfig option", key, ", ".join(sorted(known)))
        return cls(**kwargs)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_mcconfig(path: str | Path) -> ControllerConfig:
    """Read a DRAMSys mcconfig JSON file."""
    try:
        table = json.loads(Path(path).read_text())
        table = table.get("mcconfig", table)
    except json.JSONDecodeError as error:
        raise InvalidArgumentError("mcconfig file", str(path), f"JSON ({error.msg})") from None
    if not isinstance(table, dict):
        raise InvalidArgumentError("mcconfig file", str(path), "a JSON object of options")
    return ControllerConfig.from_dict(table)


RAMULATOR_DDR4 = ControllerConfig(
    # Ramulator's DDR4 defaults: FRFCFS_Cap with cap 16 (Scheduler.h:74-76), open page
    # (Scheduler.h:219), read and write queues of 32 with write-drain watermarks 0.8 / 0.2
    # (Controller.h:80, 95-96), a REF every tREFI with no postponing (Refresh.h tick_ref).
    PagePolicy="Open", Scheduler="FrFcfsCap", SchedulerBuffer="ReadWrite", RequestBufferSize=32,
    RespQueue="Fifo", RefreshPolicy="AllBank", RefreshMaxPostponed=0, RefreshMaxPulledin=0,
    Arbiter="Simple", MaxActiveTransactions=128, RowHitCap=16, WriteDrainHigh=0.8,
    WriteDrainLow=0.2)

# Setups of other simulators, by name: the memspec, mapping, mcconfig and injection that
# reproduce them (archgym/DRAM-v0's `preset`, `archgym eval --dram-preset`).
PRESETS = {"ramulator-ddr4": {"memspec": "DDR4-2400", "mapping": "RoBaRaCoCh",
                              "mcconfig": RAMULATOR_DDR4, "injection": "saturating"}}
