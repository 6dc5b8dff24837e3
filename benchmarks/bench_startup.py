"""Whole-process CLI times: `archgym envs` and `archgym eval archgym/DRAM-v0` on a
200,000-request Ramulator trace, this tree against the code path before the start-up work
(commit ef47797, checked out into a temporary git worktree in this run) and against
Ramulator 1 on the same trace.

Run: python benchmarks/bench_startup.py [--runs N] [--requests N] [--baseline COMMIT]. Each
command runs once to warm up (numba's on-disk cache filled, files in the page cache), then
N times interleaved with the others; medians of wall time and of the child's CPU time (user +
system, steadier on a shared machine). Both trees run with this
interpreter, their sources compiled to bytecode first as an install does (with
PYTHONDONTWRITEBYTECODE set, as on some shells and CI, every run would compile them
again). Ramulator (build/ramulator/ramulator, `make build/ramulator/ramulator`) is
timed when built. The issue asks for envs >= 3x faster than the baseline and eval >= 1.5x
faster than Ramulator.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RAMULATOR = ROOT / "build" / "ramulator" / "ramulator"


def archgym(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from agents.cli.main import main; "
            "sys.exit(main(sys.argv[1:]))", *args]


def timed(command: list[str], tree: Path | None) -> tuple[float, float]:
    """(wall s, CPU s of the child: user + system) of one whole run."""
    env = {**os.environ, **({"PYTHONPATH": str(tree)} if tree else {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=tree or ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def write_trace(path: Path, n: int) -> None:
    """A 75%-read mix of streaming runs and random lines over 1 GiB."""
    rng = np.random.default_rng(0)
    line = np.where(rng.random(n) < 0.5, np.arange(n), rng.integers(0, 1 << 24, n))
    kind = np.where(rng.random(n) < 0.75, "R", "W")
    path.write_text("".join(f"0x{a * 64:x} {k}\n" for a, k in zip(line.tolist(), kind.tolist(),
                                                                 strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--baseline", default="ef47797")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        added = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach",
                                str(base), args.baseline], capture_output=True, text=True)
        if added.returncode:
            sys.exit(f"no baseline worktree of {args.baseline}: {added.stderr.strip()}")
        try:
            for tree in (base, ROOT):
                packages = [p.name for p in tree.iterdir() if (p / "__init__.py").is_file()]
                subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], cwd=tree,
                               check=True, capture_output=True)
            trace = Path(tmp) / "trace.txt"
            write_trace(trace, args.requests)
            evaluate = ("eval", "archgym/DRAM-v0", "--trace", str(trace), "--dram-preset",
                        "ramulator-ddr4")
            cases = {
                ("envs", "baseline"): (archgym("envs", "--json"), base),
                ("envs", "now"): (archgym("envs", "--json"), ROOT),
                ("eval", "baseline"): (archgym(*evaluate), base),
                ("eval", "now"): (archgym(*evaluate), ROOT),
            }
            if RAMULATOR.is_file():
                config = RAMULATOR.parent / "configs" / "DDR4-config.cfg"
                cases[("eval", "ramulator")] = ([str(RAMULATOR), str(config), "--mode=dram",
                                                 "--stats", str(Path(tmp) / "r.stats"),
                                                 str(trace)], None)
            times: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in cases}
            for command, tree in cases.values():
                timed(command, tree)  # warm-up: compile caches, page cache
            for _ in range(args.runs):
                for key, (command, tree) in cases.items():
                    times[key].append(timed(command, tree))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           check=False, capture_output=True)
    print(f"whole processes, median of {args.runs} (baseline {args.baseline}, "
          f"{args.requests:,}-request trace): wall s, CPU s")
    for kind, label in ((0, "wall"), (1, "CPU")):
        median = {key: statistics.median(v[kind] for v in runs) for key, runs in times.items()}
        if kind == 0:
            cpu = {key: statistics.median(v[1] for v in runs) for key, runs in times.items()}
            for (command, who), value in median.items():
                print(f"  {command:4s} {who:9s} {value:6.2f} {cpu[command, who]:6.2f}")
        ramulator = (f", {median['eval', 'ramulator'] / median['eval', 'now']:.2f}x faster than "
                     "Ramulator") if ("eval", "ramulator") in median else ""
        print(f"  {label}: envs {median['envs', 'baseline'] / median['envs', 'now']:.1f}x faster "
              f"than the baseline; eval {median['eval', 'baseline'] / median['eval', 'now']:.1f}x"
              f" faster than the baseline{ramulator}")


if __name__ == "__main__":
    main()
