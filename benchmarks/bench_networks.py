"""Network spaces on an accelerator: `archgym network SPACE --designs FILE --accelerator
eyeriss_like --json` on 300 designs, against mapping each network on its own.

Run: python benchmarks/bench_networks.py [--designs 300] [--baseline 20]

For nb201 and mbconv (resolution 224), N random designs: the command's wall time end to
end (a subprocess, start-up included; the issue's target: 300 designs within 2 minutes on
2 cores) and its per-design time against the baseline measured in the same run, each
network mapped with a fresh mapper (layer shapes searched once per network only), on the
first `--baseline` designs.
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

from archgym_env.network_spaces import network_design_space
from simulators.accelerator.network import network_breakdown
from simulators.accelerator.presets import preset
from simulators.accelerator.simulator import AcceleratorSimulator
from simulators.networks import mbconv, nb201, network_space

ROOT = Path(__file__).resolve().parents[1]


def designs(space: str, n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    if space == "nb201":
        strings = nb201.all_strings()
        return [strings[i] for i in rng.choice(len(strings), n, replace=False)]
    return [json.dumps(mbconv.to_ofa(d)) for d in network_design_space(space).sample(rng, n)]


def command_seconds(space: str, lines: list[str]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "agents.cli.main", "network", space,
                          "--designs", f.name, "--accelerator", "eyeriss_like", "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    seconds = time.perf_counter() - start
    os.unlink(f.name)
    assert len(out.splitlines()) == len(lines)
    return seconds


def baseline_seconds(space: str, lines: list[str]) -> float:
    """Per design: a fresh mapper per network (the accelerator environment's settings)."""
    arch, s = preset("eyeriss_like"), network_space(space)
    start = time.perf_counter()
    for line in lines:
        mapper = AcceleratorSimulator().mapper(arch, "eyeriss_like")
        network_breakdown(mapper, s.decode(json.loads(line) if line.startswith("{") else line))
    return (time.perf_counter() - start) / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=20)
    args = parser.parse_args()
    baseline_seconds("nb201", designs("nb201", 1))  # compile the mapper's kernels first
    for space in ("nb201", "mbconv"):
        lines = designs(space, args.designs)
        total = command_seconds(space, lines)
        base = baseline_seconds(space, lines[:args.baseline])
        print(f"{space}: {args.designs} designs in {total:.1f} s end to end "
              f"({'within' if total <= 120 else 'OVER'} the 120 s target); "
              f"{total / args.designs * 1e3:.0f} ms per design vs {base * 1e3:.0f} ms "
              f"mapping each network alone: {base / (total / args.designs):.1f}x")


if __name__ == "__main__":
    main()
