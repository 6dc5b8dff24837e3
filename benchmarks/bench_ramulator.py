"""The `ramulator-ddr4` preset against Ramulator 1 itself, on the same Ramulator-format traces.

Run: python benchmarks/bench_ramulator.py [--requests N] [--ramulator PATH]. Ramulator 1
(CMU-SAFARI/ramulator, DDR4-config.cfg: DDR4_2400R, DDR4_4Gb_x8, one channel and rank,
`--mode=dram`) is built from source into build/ramulator (`make build/ramulator/ramulator`);
without the binary only our side runs. Each trace is written as `0xADDR R|W` lines and read
back by both. Reported per trace: row hit / miss / conflict rates, total cycles and mean
read latency (memory cycles) of each, and the wall time of each whole run (Ramulator's
process; ours: parse the file, decode, simulate, after one warm-up so numba's compile is
excluded) with their ratio. Timings share a busy machine: the ratio is measured in one run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from simulators.dram import RAMULATOR_DDR4, DRAMSimulator, DRAMWorkload, generate, read_trace

ROOT = Path(__file__).resolve().parents[1]
RAMULATOR = ROOT / "build" / "ramulator" / "ramulator"
ROW_BYTES = 8192  # one (bank, row) under RoBaRaCoCh on DDR4 x8: 128 bursts of 64 B


def hot_rows(n: int, seed: int, rows: int = 32, hot: float = 0.9,
             read_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """`hot` of the requests to random columns of `rows` random (bank, row) pairs, the rest
    uniform over 1 GiB; reads with probability `read_fraction`."""
    rng = np.random.default_rng(seed)
    chunk = rng.integers(0, (1 << 30) // ROW_BYTES, rows)
    column = rng.integers(0, ROW_BYTES // 64, n)
    address = np.where(rng.random(n) < hot, chunk[rng.integers(0, rows, n)] * ROW_BYTES
                       + column * 64, rng.integers(0, (1 << 30) // 64, n) * 64)
    return address.astype(np.uint64), rng.random(n) >= read_fraction


def traces(n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for name, kind, reads in (("streaming", "streaming", 1.0), ("random", "random", 1.0),
                              ("strided", "strided", 1.0), ("stream 75% read", "streaming", 0.75)):
        t = generate(kind, n, seed=1, read_fraction=reads)
        out[name] = (t.address, t.is_write)
    out["hot rows r/w"] = hot_rows(n, seed=2)
    return out


def write_trace(path: Path, address: np.ndarray, is_write: np.ndarray) -> None:
    kind = np.where(is_write, "W", "R")
    path.write_text("".join(f"0x{a:x} {k}\n" for a, k in zip(address.tolist(), kind.tolist(),
                                                             strict=True)))


def run_ramulator(binary: Path, trace: Path, workdir: Path) -> tuple[dict[str, float], float]:
    stats = workdir / "ramulator.stats"
    config = binary.parent / "configs" / "DDR4-config.cfg"
    start = time.perf_counter()
    subprocess.run([str(binary), str(config), "--mode=dram", "--stats", str(stats), str(trace)],
                   check=True, capture_output=True, cwd=workdir)
    elapsed = time.perf_counter() - start
    values = {}
    for line in stats.read_text().splitlines():
        m = re.match(r"\s*ramulator\.(\S+)\s+(\S+)", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    hits, misses, conflicts = (values[f"row_{k}_channel_0_core"]
                               for k in ("hits", "misses", "conflicts"))
    total = hits + misses + conflicts
    return {"hit": hits / total, "miss": misses / total, "conflict": conflicts / total,
            "cycles": values["dram_cycles"], "read_latency": values["read_latency_avg_0"]}, elapsed


def run_ours(sim: DRAMSimulator, trace: Path) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    m = sim.evaluate({}, DRAMWorkload(read_trace(trace, "ramulator"), "saturating"))
    elapsed = time.perf_counter() - start
    total = m["row_hits"] + m["row_misses"] + m["row_conflicts"]
    return {"hit": m["row_hits"] / total, "miss": m["row_misses"] / total,
            "conflict": m["row_conflicts"] / total, "cycles": m["total_cycles"],
            "read_latency": m["latency_cycles"]}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--ramulator", type=Path, default=RAMULATOR)
    args = parser.parse_args()
    sim = DRAMSimulator("DDR4-2400", "RoBaRaCoCh", RAMULATOR_DDR4)
    have = args.ramulator.is_file()
    if not have:
        print(f"no Ramulator binary at {args.ramulator} (make build/ramulator/ramulator): "
              "our side only")
    print(f"ramulator-ddr4 vs Ramulator 1, {args.requests:,} requests per trace; rates hit/miss/"
          "conflict, cycles, mean read latency (cycles), wall s")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        warm = workdir / "warm.trace"
        write_trace(warm, *hot_rows(1000, seed=0))
        run_ours(sim, warm)  # compile (or load numba's cache) outside the timings
        for name, (address, is_write) in traces(args.requests).items():
            path = workdir / "t.trace"
            write_trace(path, address, is_write)
            rows = [("ours", *run_ours(sim, path))]
            if have:
                rows.append(("ramulator", *run_ramulator(args.ramulator, path, workdir)))
            print(f"  {name}:")
            for who, r, wall in rows:
                print(f"    {who:9s} {r['hit']:.3f}/{r['miss']:.3f}/{r['conflict']:.3f}  "
                      f"{r['cycles']:>10,.0f}  {r['read_latency']:7.1f}  {wall:6.2f}")
            if have:
                (_, a, wa), (_, b, wb) = rows
                print(f"    ours/ramulator: cycles {a['cycles'] / b['cycles']:.3f}, read latency "
                      f"{a['read_latency'] / b['read_latency']:.3f}, hit rate "
                      f"{a['hit'] - b['hit']:+.3f}; Ramulator takes {wb / wa:.1f}x our time")


if __name__ == "__main__":
    main()
