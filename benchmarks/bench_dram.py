"""DRAM kernel throughput: simulated requests per second, numba-compiled vs pure Python.

Run: python benchmarks/bench_dram.py [--requests N] [--python-requests M]. Both run the same
scheduler (the kernel function, compiled and as plain Python via `py_func`) in this run on
DDR4-2400 with DRAMSys' default controller; the pure-Python loop runs the first M requests
of each trace and is scaled to requests/s. Times are CPU seconds of this process (one
core; the kernel is single-threaded), so a busy machine does not skew them. JIT
compilation is excluded (warm-up first, and numba's on-disk cache keeps it across runs).
The ratio is what counts; Ramulator simulates roughly 70-125 thousand requests/s on this
class of machine.
"""

from __future__ import annotations

import argparse
import time

from simulators.dram import ControllerConfig, DRAMSimulator, DRAMWorkload, generate
from simulators.dram import kernel as k
from simulators.dram.simulator import config_vector


def requests_per_second(simulate, arrays, timing, config, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        simulate(*arrays, timing, config, False)
        best = min(best, time.process_time() - start)
    return len(arrays[0]) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--python-requests", type=int, default=5_000)
    args = parser.parse_args()
    sim = DRAMSimulator("DDR4-2400")
    config = config_vector(ControllerConfig(), sim.spec, saturating=True)
    print(f"DRAM kernel, DDR4-2400, FR-FCFS open page, saturating, {args.requests:,} requests")
    for kind in ("streaming", "random"):
        trace = generate(kind, args.requests, seed=0, read_fraction=0.7)
        arrays = sim.kernel_inputs(DRAMWorkload(trace, "saturating"))[:4]
        sliced = tuple(a[:args.python_requests] for a in arrays)
        k.simulate(*sliced, sim.timing, config, False)  # compile (or load the cache) first
        compiled = requests_per_second(k.simulate, arrays, sim.timing, config, repeats=3)
        python = requests_per_second(k.simulate.py_func, sliced, sim.timing, config, 1)
        print(f"  {kind:9s}: numba {compiled / 1e6:6.2f} M requests/s, pure Python "
              f"{python / 1e3:6.1f} k requests/s ({args.python_requests:,}-request slice), "
              f"{compiled / python:6.0f}x")


if __name__ == "__main__":
    main()
