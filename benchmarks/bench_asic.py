"""Heterogeneous ASIC speed: evaluations per second with the mapper cache and without it.

Run: python benchmarks/bench_asic.py [--designs N] [--uncached N] [--repeats R]

Two task networks (MobileNet-V3-Small at 224x224 for ImageNet, ResNet-18 at 32x32 with 10
classes for CIFAR-10) on random two-sub-accelerator designs: each sub-accelerator a NASAIC
template, 256-2048 PEs, 16 or 32 GB/s, the list scheduler placing the layers. In one run:

1. uncached: every design maps all its layers anew (same-shape layers once, as the
   accelerator model does; the mapper's result cache cleared before each), the baseline;
2. cold cache: a fresh MapperCache over the same random designs, in order;
3. warm cache: the same designs again once the cache holds them (a warm process in a
   search), the median of `repeats` passes.

Evaluations per second and the ratios against the uncached path are printed; the numbers
of every path must agree (checked).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulators.accelerator.mapper import clear_search_cache
from simulators.asic import NASAIC_TEMPLATES, AsicSimulator, MapperCache
from simulators.workloads import mobilenet_v3_small, resnet18

PES = (256, 512, 1024, 2048)
GBPS = (16.0, 32.0)


def random_designs(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    designs = []
    for _ in range(n):
        design = {"subs": 2}
        for i in range(2):
            design.update({f"sub{i}.dataflow": str(rng.choice(NASAIC_TEMPLATES)),
                           f"sub{i}.pes": int(rng.choice(PES)),
                           f"sub{i}.bandwidth_gbps": float(rng.choice(GBPS))})
        designs.append(design)
    return designs


def rate(simulator: AsicSimulator, designs: list[dict], workload) -> tuple[float, object]:
    start = time.perf_counter()
    result = simulator.evaluate_batch(designs, workload)
    return len(designs) / (time.perf_counter() - start), result


def uncached_rate(designs: list[dict], workload) -> tuple[float, list[dict]]:
    """Each design alone, no ASIC cache and the mapper's result cache cleared first."""
    simulator, rows, seconds = AsicSimulator(tasks=2, cache=False), [], 0.0
    for design in designs:
        clear_search_cache()
        start = time.perf_counter()
        rows.append(simulator.evaluate_batch([design], workload).row(0))
        seconds += time.perf_counter() - start
    return len(designs) / seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designs", type=int, default=200)
    parser.add_argument("--uncached", type=int, default=3, help="designs on the uncached path")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    workload = [mobilenet_v3_small(), resnet18(resolution=32, num_classes=10)]
    layers = sum(len(net.layers) for net in workload)
    designs = random_designs(args.designs)
    print(f"ASIC: {layers} layers of {', '.join(n.name for n in workload)}; two "
          f"sub-accelerators per design, {args.designs} random designs")
    base, reference = uncached_rate(designs[:args.uncached], workload)
    print(f"  uncached     : {base:10.3f} evaluations/s ({args.uncached} designs; baseline)")
    cache = MapperCache()
    clear_search_cache()
    cached = AsicSimulator(tasks=2, cache=cache)
    cold, result = rate(cached, designs, workload)
    for i in range(args.uncached):
        assert result.row(i) == reference[i], "cached and uncached numbers differ"
    print(f"  cold cache   : {cold:10.3f} evaluations/s ({cold / base:.1f}x; {cache.misses} "
          f"searches for {args.designs * layers * 2} layer placements)")
    warm = float(np.median([rate(cached, designs, workload)[0] for _ in range(args.repeats)]))
    print(f"  warm cache   : {warm:10.1f} evaluations/s ({warm / base:.0f}x; median of "
          f"{args.repeats}, hit rate {cache.hits / (cache.hits + cache.misses):.3f})")


if __name__ == "__main__":
    main()
