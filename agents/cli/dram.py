"""The DRAM options of `archgym eval`: trace, memspec, mcconfig, injection mode, preset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agents.cli.checks import only_with
from simulators.dram.config import PRESETS
from simulators.dram.traces import INJECTION_MODES, TRACE_FORMATS
from simulators.errors import InvalidArgumentError

DRAM_ENV = "archgym/DRAM-v0"
# option dest -> make_dram_env argument
OPTIONS = {"trace": "workload", "trace_format": "trace_format", "memspec": "memspec",
           "mcconfig": "mcconfig", "injection": "injection", "dram_preset": "preset"}


def add_dram_eval_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(f"{DRAM_ENV} options")
    group.add_argument("--trace", help="a DRAMSys .stl or Ramulator trace file")
    group.add_argument("--trace-format", choices=TRACE_FORMATS,
                       help="trace file format (default: from the suffix, .stl or ramulator)")
    group.add_argument("--memspec", help="DDR4-2400, LPDDR4-3200 or a DRAMSys memspec .json")
    group.add_argument("--mcconfig", help="a DRAMSys mcconfig .json (options outside the design)")
    group.add_argument("--injection", choices=INJECTION_MODES,
                       help="requests arrive at their trace times (timestamped, the default) "
                            "or whenever the controller has room (saturating)")
    group.add_argument("--dram-preset", choices=sorted(PRESETS),
                       help="ramulator-ddr4: Ramulator 1's DDR4 controller (DDR4-2400R x8, "
                            "FRFCFS_Cap 16, open page, RoBaRaCoCh, 32-entry queues, drain "
                            "0.8/0.2, one request per cycle)")


def dram_env_args(args: argparse.Namespace, env_args: dict[str, Any]) -> dict[str, Any]:
    """`env_args` plus the DRAM options given on the command line (DRAM-v0 only)."""
    given = {OPTIONS[dest]: value for dest in OPTIONS
             if (value := getattr(args, dest, None)) is not None}
    if given and args.env_id != DRAM_ENV:
        dest = next(d for d in OPTIONS if getattr(args, d, None) is not None)
        raise only_with("--" + dest.replace("_", "-"), getattr(args, dest), args.env_id,
                        DRAM_ENV)
    if "trace_format" in given and "workload" not in given:
        raise InvalidArgumentError("--trace-format", given["trace_format"], "only with --trace")
    for dest in ("trace", "mcconfig"):  # files only (memspec may also be a name)
        value = getattr(args, dest, None)
        if value is not None and not Path(value).is_file():
            raise InvalidArgumentError(f"--{dest}", value, f"an existing file (no file {value})")
    return {**env_args, **given}
