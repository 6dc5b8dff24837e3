"""Systolic-v0 throughput: the bare model, `env.evaluate_batch` and a Gymnasium vector env
on the same designs, and the model one design at a time.

Run: python benchmarks/bench_systolic.py [--designs N] [--num-envs M]. Everything is
measured in this run on ResNet-18 at 224x224 (best of --repeat runs); the ratios count,
not the absolute numbers. The environment paths take an index matrix (no dict per design);
the target is env time within 1.5x of the bare model's. The design-dicts line is the path a
caller with dicts takes (validated one by one, as every batch was before the columnar core).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

from archgym_env.registry import make


def best_seconds(calls, repeat: int) -> list[float]:
    """The best time of each call over `repeat` rounds, the calls interleaved in each round
    so that a change in machine load hits them alike."""
    best = [float("inf")] * len(calls)
    for _ in range(repeat):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            call()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--designs", type=int, default=20_000)
    parser.add_argument("--num-envs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = make("archgym/Systolic-v0").unwrapped
    space, sim, workload = env.space, env.simulator, env.prepared_workload()
    index = np.random.default_rng(0).integers(0, space.nvec, size=(args.designs, len(space.nvec)))
    few = [space.from_index(row) for row in index[:500]]

    one_by_one = best_seconds([lambda: [sim.evaluate(d, workload) for d in few]], 1)[0] \
        * args.designs / len(few)

    def env_batch():
        env.reset(seed=0)
        env.evaluate_batch(index)

    dicts = [space.from_index(row) for row in index]

    def env_dicts():
        env.reset(seed=0)
        env.evaluate_batch(dicts)

    vec = gym.make_vec("archgym/Systolic-v0", num_envs=args.num_envs)
    steps = [index[i: i + args.num_envs] for i in range(0, len(index), args.num_envs)]
    steps = [s for s in steps if len(s) == args.num_envs]
    n_vec = len(steps) * args.num_envs

    def vec_steps():
        vec.reset(seed=0)
        for actions in steps:
            vec.step(actions)

    model, in_env, from_dicts, vector = best_seconds(
        [lambda: sim.evaluate_batch(space.columns(index), workload), env_batch, env_dicts,
         vec_steps], args.repeat)
    vector *= args.designs / n_vec

    def line(label: str, seconds: float) -> str:
        return (f"  {label:<34}{args.designs / seconds:10.0f} designs/s  "
                f"{seconds / model:5.2f}x the model's time")

    print(f"Systolic-v0, ResNet-18 (21 layers), {args.designs} designs")
    print(line("model, columns from an index matrix", model))
    print(line("env.evaluate_batch(index matrix)", in_env))
    print(line("env.evaluate_batch(design dicts)", from_dicts))
    print(line(f"make_vec step, num_envs={args.num_envs}", vector))
    print(line("model, one design at a time", one_by_one))


if __name__ == "__main__":
    main()
