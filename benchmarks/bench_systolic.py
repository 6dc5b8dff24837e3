"""Systolic model throughput: vectorized batch evaluation vs one design at a time.

Run: python benchmarks/bench_systolic.py [--designs N]. Both are measured in this run on
ResNet-18 at 224x224; the ratio is what counts, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from archgym_env.systolic_env import SYSTOLIC_SPACE
from simulators.systolic import SystolicArray
from simulators.workloads import resnet18


def designs_per_second(evaluate, designs) -> float:
    start = time.perf_counter()
    evaluate(designs)
    return len(designs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designs", type=int, default=2000)
    args = parser.parse_args()
    sim, net = SystolicArray(), resnet18()
    designs = SYSTOLIC_SPACE.sample(np.random.default_rng(0), args.designs)
    baseline = designs_per_second(lambda ds: [sim.evaluate(d, net) for d in ds], designs)
    batched = designs_per_second(lambda ds: sim.evaluate_batch(ds, net), designs)
    print(f"systolic, ResNet-18 (21 layers), {len(designs)} designs")
    print(f"  one at a time : {baseline:10.0f} designs/s (baseline)")
    print(f"  evaluate_batch: {batched:10.0f} designs/s ({batched / baseline:.1f}x baseline)")


if __name__ == "__main__":
    main()
