"""Accelerator model speed: vectorized mapping evaluation and the mapper, against baselines.

Run: python benchmarks/bench_accelerator.py [--mappings N] [--designs D]
     [--baseline-commit C] [--threads T] [--pairs P] [--zigzag-python PATH]

0. Accelerator-v0 per design against the code before the compiled search (commit
   BASELINE_COMMIT, unpacked with `git archive` into build/): the same D random designs
   of ResNet-18 at 224x224 through `make_accelerator_env()` in fresh processes, one
   numba thread each, CPU seconds per design (median), one design per call as an agent
   steps and all D in one call, in P pairs of runs (--pairs), today's then this tree's,
   with the median of the pairs' ratios, as the machine's load drifts between runs; and
   the quality of the mappings each found, the energy (the mapper's objective) of every
   layer of every design, as a ratio to today's.
   With --threads T > 1, the one-call batch again on T numba threads (wall seconds).
1. Mapping evaluations per second: `analyze_batch` on N random mappings of one ResNet-18
   layer vs `analyze` called once per mapping (baseline), both in this run.
2. Mapper time per layer search and for all of ResNet-18 (one core: the kernels are
   serial; layers of the same shape are searched once), with the default adaptive local
   search and with the capacity-monotone one, whose time is reported against it.
3. ZigZag (`zigzag-dse` on PyPI, an analytic DSE framework) as the baseline mapper where it
   is installed, in its own environment (it is not an ArchGym dependency): its bundled
   tpu_like accelerator and mapping on the same layers, against this mapper on the same
   accelerator written as an ArchGym Architecture. The two cost models differ; the ratio
   of seconds per layer is what is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from archgym_env.accelerator_env import ACCELERATOR_SPACE
from simulators.accelerator.analysis import analyze, analyze_batch
from simulators.accelerator.architecture import (
    Architecture,
    LevelConstraints,
    MacUnit,
    StorageLevel,
)
from simulators.accelerator.mapper import Mapper, clear_search_cache
from simulators.accelerator.mapping import Problem
from simulators.accelerator.presets import preset
from simulators.workloads import resnet18

BASELINE_COMMIT = "a2d48e9"  # main before the compiled search, same cost model (issue 14)
ENV_RUNNER = r'''
import json, sys, time
import numpy as np
from archgym_env.accelerator_env import make_accelerator_env
from simulators.accelerator import mapper
index, warm = np.array(json.loads(sys.argv[1])), int(sys.argv[2])
clear = getattr(mapper, "clear_search_cache", lambda: None)  # absent before the cache
env = make_accelerator_env()
env.evaluate_batch(index[:warm])  # compile or load the kernels
clear()
seconds, details = [], []
for row in index[warm:]:
    start = time.process_time()
    details.append(env.evaluate_batch(row[None]).result.details[0])
    seconds.append(time.process_time() - start)
clear()
start, wall = time.process_time(), time.perf_counter()
env.evaluate_batch(index[warm:])
batch, batch_wall = time.process_time() - start, time.perf_counter() - wall
layers = [None if d is None else [None if r.best is None else [r.best.energy_pj, r.best.cycles]
                                  for _, r in d.layers] for d in details]
print(json.dumps({"seconds": seconds, "batch": batch, "batch_wall": batch_wall,
                  "layers": layers}))
'''
ZIGZAG_LAYERS = ("conv1", "layer1.0.conv1", "layer3.0.conv2")
ZIGZAG_RUNNER = r'''
import json, logging, os, sys, time
logging.disable(logging.CRITICAL)
import zigzag
from zigzag.api import get_hardware_performance_zigzag
root = os.path.dirname(zigzag.__file__)
out = []
for i, l in enumerate(json.loads(sys.argv[1])):
    layer = [{"id": 0, "name": l["name"], "operator_type": "Conv",
              "equation": "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]",
              "dimension_relations": [f"ix={l['stride']}*ox+1*fx", f"iy={l['stride']}*oy+1*fy"],
              "loop_dims": ["B", "K", "C", "OY", "OX", "FY", "FX"],
              "loop_sizes": [l["N"], l["M"], l["C"], l["P"], l["Q"], l["R"], l["S"]],
              "operand_precision": {"W": 8, "I": 8, "O": 16, "O_final": 8},
              "operand_source": {"I": 0}}]
    start = time.perf_counter()
    energy, cycles, _ = get_hardware_performance_zigzag(
        layer, f"{root}/inputs/hardware/tpu_like.yaml", f"{root}/inputs/mapping/tpu_like.yaml",
        opt="energy", dump_folder=os.path.join(sys.argv[2], str(i)),
        loma_show_progress_bar=False)
    out.append({"layer": l["name"], "seconds": time.perf_counter() - start,
                "energy_pj": energy, "cycles": cycles})
print(json.dumps(out))
'''


def zigzag_tpu_like() -> Architecture:
    """ZigZag's inputs/hardware/tpu_like.yaml: a 32 x 32 array (K across D1, C across D2),
    a 128 B weight register file and a 2 B output register per MAC, a 2 MB SRAM for inputs
    and outputs, DRAM; per-word energies from its r_cost/w_cost over the port width."""
    return Architecture("zigzag_tpu_like", (
        StorageLevel("dram", None, read_energy_pj=700 / 8, write_energy_pj=750 / 8,
                     update_energy_pj=750 / 8, read_bandwidth=8, write_bandwidth=8),
        StorageLevel("sram_2MB", 2 * 1024 * 1024, mesh_x=32, mesh_y=32,
                     read_energy_pj=416.16 / 256, write_energy_pj=378.4 / 256,
                     update_energy_pj=378.4 / 256, keep=("Inputs", "Outputs"),
                     bypass=("Weights",),
                     constraints=LevelConstraints(spatial_x=("M",), spatial_y=("C",))),
        StorageLevel("rf_128B", 128, read_energy_pj=0.095, write_energy_pj=0.095,
                     update_energy_pj=0.095, keep=("Weights",), bypass=("Inputs", "Outputs")),
        StorageLevel("rf_2B", 1, word_bits=16, read_energy_pj=0.021, write_energy_pj=0.021,
                     update_energy_pj=0.021, keep=("Outputs",), bypass=("Weights", "Inputs")),
    ), MacUnit(energy_pj=0.04))


def baseline_tree(commit: str) -> Path | None:
    """The repository at `commit`, unpacked once into build/ (None without git)."""
    root = Path(__file__).resolve().parent.parent
    tree = root / "build" / f"bench-baseline-{commit}"
    if not (tree / "simulators").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(root), "archive", commit],
                                 capture_output=True)
        if archive.returncode:
            return None
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def run_env(tree: Path, index: np.ndarray, warm: int, threads: int = 1) -> dict:
    """ENV_RUNNER on the code in `tree`, in a fresh process with `threads` numba threads."""
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_NUM_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, "-c", ENV_RUNNER, json.dumps(index.tolist()),
                           str(warm)], capture_output=True, text=True, env=env, cwd=tree)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def env_speed_and_quality(designs: int, commit: str, threads: int, pairs: int = 3,
                          seed: int = 0) -> None:
    """Section 0 of the module docstring."""
    old_tree = baseline_tree(commit)
    if old_tree is None:
        print(f"Accelerator-v0 baseline: no git history to unpack {commit} from; skipped")
        return
    warm = 2
    index = np.stack([ACCELERATOR_SPACE.to_index(d) for d in
                      ACCELERATOR_SPACE.sample(np.random.default_rng(seed), designs + warm)])
    new_tree = Path(__file__).resolve().parent.parent
    # Runs in pairs, today's then this tree's, so that both meet the machine's load alike.
    runs = [(run_env(old_tree, index, warm), run_env(new_tree, index, warm))
            for _ in range(pairs)]
    old, new = runs[0]
    ratios = [np.median(a["seconds"]) / np.median(b["seconds"]) for a, b in runs]
    per_old = np.median([np.median(a["seconds"]) for a, _ in runs])
    per_new = np.median([np.median(b["seconds"]) for _, b in runs])
    batch = np.median([b["batch"] for _, b in runs]) / designs
    print(f"Accelerator-v0, ResNet-18 at 224x224, {designs} random designs (seed {seed}), "
          f"one numba thread, CPU ms per design (median per run, median of {pairs} runs):")
    print(f"  today ({commit}), one design per call: {per_old * 1e3:7.1f} ms "
          f"({1 / per_old:5.1f} designs/s)")
    print(f"  this tree, one design per call       : {per_new * 1e3:7.1f} ms "
          f"({1 / per_new:5.1f} designs/s), {np.median(ratios):4.1f}x (median of the runs' "
          f"ratios: {', '.join(f'{r:.1f}x' for r in ratios)})")
    print(f"  this tree, {designs} designs in one call   : {batch * 1e3:7.1f} ms "
          f"({1 / batch:5.1f} designs/s), {per_old / batch:4.1f}x")
    if threads > 1:
        wide = run_env(new_tree, index, warm, threads)
        print(f"  this tree, one call on {threads} numba threads: "
              f"{wide['batch_wall'] / designs * 1e3:.1f} ms wall per design against "
              f"{new['batch_wall'] / designs * 1e3:.1f} ms on one")
    energy, cycles, lost, gained = [], [], 0, 0
    for a, b in zip(old["layers"], new["layers"], strict=True):
        for x, y in zip(a or [], b or [], strict=True):
            if x is None or y is None:
                lost, gained = lost + (y is None and x is not None), gained + (x is None
                                                                                and y is not None)
                continue
            energy.append(y[0] / x[0])
            cycles.append(y[1] / x[1])
    energy = np.array(energy)
    print(f"  mapping quality, {len(energy)} layer mappings (the mapper minimizes energy): "
          f"energy this tree / today geometric mean {np.exp(np.mean(np.log(energy))):.3f}, "
          f"median {np.median(energy):.3f}; lower on {np.mean(energy < 1 - 1e-12):.0%}, "
          f"equal on {np.mean(abs(energy - 1) <= 1e-12):.0%}, higher on "
          f"{np.mean(energy > 1 + 1e-12):.0%} (worst {energy.max():.3f}); cycles geometric "
          f"mean {np.exp(np.mean(np.log(cycles))):.3f}; layers mapped only today {lost}, "
          f"only here {gained}")


def evaluations_per_second(n: int) -> None:
    arch = preset("eyeriss_like")
    layer = next(x for x in resnet18().layers if x.name == "layer1.0.conv1")
    problem = Problem.from_layer(layer)
    batch = Mapper(arch).sample(problem, n, np.random.default_rng(0))
    analyze_batch(problem, arch, batch.take(np.arange(10)))  # load the compiled kernel
    start = time.perf_counter()
    result = analyze_batch(problem, arch, batch)
    vectorized = n / (time.perf_counter() - start)
    single = min(n, 2000)
    start = time.perf_counter()
    for i in range(single):
        analyze(problem, arch, batch[i])
    one_at_a_time = single / (time.perf_counter() - start)
    print(f"mapping evaluations, {layer.name} on eyeriss_like ({int(result.valid.sum())} of "
          f"{n} valid)")
    print(f"  analyze, one at a time: {one_at_a_time:12,.0f} mappings/s (baseline)")
    print(f"  analyze_batch         : {vectorized:12,.0f} mappings/s "
          f"({vectorized / one_at_a_time:.0f}x baseline)")


def mapper_times(arch: Architecture, template: str | None,
                 local_search: str = "adaptive") -> float:
    """Map ResNet-18, print the figures and return the seconds taken."""
    net = resnet18()
    mapper = Mapper(arch, template=template, local_search=local_search)
    mapper.search(net.layers[0])  # warm up (then forget it, so that it is searched again)
    clear_search_cache()
    start = time.perf_counter()
    result = mapper.map_network(net)
    seconds = time.perf_counter() - start
    searches = {id(r): r for _, r in result.layers}.values()  # same-shape layers share one
    evaluated = sum(r.evaluated for r in searches)
    print(f"mapper ({local_search}) on {arch.name}: ResNet-18 ({len(net.layers)} layers, "
          f"{len(searches)} distinct shapes searched, {evaluated:,} mappings evaluated) in "
          f"{seconds:.3f} s, {seconds / len(searches) * 1e3:.1f} ms per search, "
          f"{result.energy_pj / result.macs:.3f} pJ/MAC, utilization {result.utilization:.3f}")
    return seconds


def zigzag_comparison(python: str, names: tuple[str, ...]) -> None:
    layers = [x for x in resnet18().layers if x.name in names]
    payload = json.dumps([{"name": x.name, "N": x.N, "M": x.M, "C": x.C, "P": x.P, "Q": x.Q,
                           "R": x.R, "S": x.S, "stride": x.Hstride} for x in layers])
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([python, "-c", ZIGZAG_RUNNER, payload, out], capture_output=True,
                              text=True, cwd=out)
    if proc.returncode:
        print(f"zigzag: failed ({proc.stderr.strip().splitlines()[-1:]})")
        return
    zz = {r["layer"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])}
    arch = zigzag_tpu_like()
    mapper = Mapper(arch)
    mapper.search(layers[0])  # warm up (then forget it, so that it is searched again)
    clear_search_cache()
    print("mapper vs ZigZag (LOMA, its tpu_like 32x32 accelerator), energy-optimal mapping:")
    ratios = []
    for layer in layers:
        start = time.perf_counter()
        best = mapper.search(layer).best
        ours = time.perf_counter() - start
        theirs = zz[layer.name]["seconds"]
        ratios.append(theirs / ours)
        print(f"  {layer.name:16s} zigzag {theirs:7.2f} s ({zz[layer.name]['energy_pj']:.3g} pJ,"
              f" {zz[layer.name]['cycles']:.3g} cycles) | archgym {ours * 1e3:6.1f} ms "
              f"({best.energy_pj:.3g} pJ, {best.cycles:.3g} cycles) | {theirs / ours:6.0f}x")
    print(f"  geometric mean speed-up: {np.exp(np.mean(np.log(ratios))):.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mappings", type=int, default=100_000)
    parser.add_argument("--designs", type=int, default=30)
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=3)
    default_zz = os.environ.get("ARCHGYM_ZIGZAG_PYTHON", ".venv-zigzag/bin/python")
    parser.add_argument("--zigzag-python", default=default_zz,
                        help="a Python with zigzag-dse installed (skipped if absent)")
    args = parser.parse_args()
    env_speed_and_quality(args.designs, args.baseline_commit, args.threads, args.pairs)
    evaluations_per_second(args.mappings)
    adaptive = mapper_times(preset("eyeriss_like"), "eyeriss_like")
    monotone = mapper_times(preset("eyeriss_like"), "eyeriss_like", "monotone")
    print(f"  monotone local search: {monotone / adaptive:.1f}x the adaptive search's time")
    mapper_times(zigzag_tpu_like(), None)
    if Path(args.zigzag_python).is_file():
        zigzag_comparison(os.path.abspath(args.zigzag_python), ZIGZAG_LAYERS)
    else:
        print(f"zigzag: no Python at {args.zigzag_python}; pip install zigzag-dse in a separate "
              "venv and pass --zigzag-python")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
