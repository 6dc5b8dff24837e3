"""archgym/CoDesign-v0 speed: one-shot steps per second, warm (mapper cache) and uncached.

Run: python benchmarks/bench_codesign.py [--steps N] [--uncached N] [--repeats R]
     python benchmarks/bench_codesign.py --calibrate 2000   (the specs' calibration)

The default workload (an mbconv ImageNet and an nb201 CIFAR-10 network on the two
sub-accelerator ASIC, mapper budget 300 / 4 rounds), stepped one design per `env.step`
(reset between, as an agent's one-shot episodes), in one process; invalid designs (shares
above the budgets) count as steps, as they do for an agent. In one run:

1. GA trajectory, cold: `steps` designs asked one at a time of the project's genetic
   algorithm (seed 0, population 32) and told their rewards; the process's caches start
   empty, so this pass fills them (searches of new layer shapes on new sub-accelerators);
2. warm: the same trajectory replayed once the caches hold it (a warm process in a
   search), the median of `repeats` passes;
3. random designs: `steps` uniform designs of the space (seed 1) after the trajectory,
   their own cold pass, then warm (median of `repeats`);
4. uncached: the first `uncached` valid designs of the trajectory, each with every cache
   cleared first (the ASIC's MapperCache and the mapper's search results): the baseline.

Steps per second and the ratios against the uncached path are printed; the metrics of the
warm and uncached paths must agree (checked).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from agents.optimizers.ga import GeneticAlgorithm
from archgym_env.codesign_env import make_codesign_env
from simulators.accelerator.mapper import clear_search_cache
from simulators.asic import MapperCache


def steps_per_s(env, indices) -> tuple[float, list[dict]]:
    infos = []
    start = time.perf_counter()
    for index in indices:
        env.reset()
        infos.append(env.step(index)[4])
    return len(indices) / (time.perf_counter() - start), infos


def ga_trajectory(env, steps: int) -> tuple[float, list[np.ndarray]]:
    """The GA's designs, each stepped and told as it comes; steps per second."""
    ga, indices = GeneticAlgorithm(env.space, seed=0), []
    start = time.perf_counter()
    for _ in range(steps):
        design = ga.ask(1)[0]
        env.reset()
        index = env.space.to_index(design)
        _, reward, *_ = env.step(index)
        ga.tell([design], [reward])
        indices.append(index)
    return steps / (time.perf_counter() - start), indices


def calibrate(env, n: int, seed: int = 0) -> None:
    """How often `n` random designs (space.sample) meet each spec and all of them, with
    the quantiles of each specced metric over the valid ones."""
    designs = env.space.sample(np.random.default_rng(seed), n)
    batches = [env.evaluate_batch(designs[i:i + 100]) for i in range(0, n, 100)]
    valid = np.concatenate([b.valid for b in batches])
    feasible = np.concatenate([b.feasible for b in batches])
    print(f"{n} random designs (seed {seed}): {valid.sum()} valid ({valid.mean():.1%}), "
          f"{feasible.sum()} meet every spec ({feasible.mean():.2%})")
    for metric, spec in env.specs.items():
        values = np.concatenate([b.metrics[metric] for b in batches])[valid]
        q = np.quantile(values, [0.05, 0.25, 0.5, 0.75])
        print(f"  {metric:10s} <= {spec:.3g}: {np.mean(values <= spec) * valid.mean():.1%} of "
              f"all; valid quantiles 5/25/50/75%: " + ", ".join(f"{v:.3g}" for v in q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--uncached", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calibrate", type=int, default=0,
                        help="instead: the share of this many random designs meeting the specs")
    args = parser.parse_args()
    env = make_codesign_env()
    if args.calibrate:
        return calibrate(env, args.calibrate)
    cache = env.simulator.asic.cache = MapperCache()
    clear_search_cache()
    env.reset(seed=0)
    env.simulator.evaluators  # noqa: B018 -- load the accuracy models outside the timing
    print(f"CoDesign-v0, default workload: {len(env.space.names)} parameters, one-shot steps")
    cold, trajectory = ga_trajectory(env, args.steps)
    print(f"  GA trajectory, cold : {cold:8.2f} steps/s ({args.steps} steps, "
          f"{cache.misses} searches)")
    warm_rates, warm_infos = [], None
    for _ in range(args.repeats):
        rate, warm_infos = steps_per_s(env, trajectory)
        warm_rates.append(rate)
    warm = float(np.median(warm_rates))
    valid = sum(i["valid"] for i in warm_infos)
    random = env.space.sample(np.random.default_rng(1), args.steps)
    random = [env.space.to_index(d) for d in random]
    random_cold, _ = steps_per_s(env, random)
    random_warm = float(np.median([steps_per_s(env, random)[0] for _ in range(args.repeats)]))
    base_times = []
    measured = [(index, info) for index, info in zip(trajectory, warm_infos, strict=True)
                if info["valid"]][:args.uncached]
    for index, info in measured:
        env.simulator.asic.cache = MapperCache()
        clear_search_cache()
        start = time.perf_counter()
        env.reset()
        got = env.step(index)[4]
        base_times.append(time.perf_counter() - start)
        assert got["metrics"] == info["metrics"], "cached and uncached numbers differ"
    base = len(base_times) / sum(base_times)
    print(f"  uncached            : {base:8.3f} steps/s ({args.uncached} designs; baseline)")
    print(f"  GA trajectory, warm : {warm:8.1f} steps/s ({warm / base:.0f}x; median of "
          f"{args.repeats}; {valid} of {args.steps} valid)")
    print(f"  random, cold        : {random_cold:8.2f} steps/s ({random_cold / base:.1f}x)")
    print(f"  random, warm        : {random_warm:8.1f} steps/s ({random_warm / base:.0f}x)")


if __name__ == "__main__":
    main()
