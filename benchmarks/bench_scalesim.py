"""The systolic model against SCALE-Sim 3.0.0 itself: per-metric error of both accountings
and the speed ratio, on GEMMs and conv layers across array shapes, dataflows and SRAM sizes.

Run: python benchmarks/bench_scalesim.py [--scalesim-python PATH] [--jobs N]

SCALE-Sim (`scalesim` on PyPI, which needs numpy<2.3) lives in its own environment,
`.venv-scalesim` (`make .venv-scalesim/bin/python`); it is no ArchGym dependency. Each case
runs as one single-layer SCALE-Sim job (USER bandwidth mode: every operand's DRAM port
moves `dram_bandwidth_words` per cycle; no ramulator trace; traces not saved) and through
`SystolicArray` with both accountings. SCALE-Sim's "Total Cycles" is the index of the
last cycle, so one is added to it; its compute cycles are that minus its stall cycles.
Errors are |ours - SCALE-Sim| / SCALE-Sim per case; the table shows the median and the
largest. Conv layers have no padding (SCALE-Sim pads none).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from archgym_env.systolic_env import SYSTOLIC_SPACE
from simulators.systolic import SystolicArray
from simulators.workloads import Gemm, Layer, resnet18

ROOT = Path(__file__).resolve().parent.parent
RUNNER = r'''
import contextlib, io, json, os, sys, tempfile, time
from scalesim.scale_sim import scalesim
CFG = """[general]
run_name = run
[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = {ifmap_sram_kb}
FilterSramSzkB = {filter_sram_kb}
OfmapSramSzkB = {ofmap_sram_kb}
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Bandwidth = {dram_bandwidth_words}
Dataflow = {dataflow}
ReadRequestBuffer = 32
WriteRequestBuffer = 32
[layout]
IfmapCustomLayout = False
IfmapSRAMBankBandwidth = {dram_bandwidth_words}
IfmapSRAMBankNum = 1
IfmapSRAMBankPort = 2
FilterCustomLayout = False
FilterSRAMBankBandwidth = {dram_bandwidth_words}
FilterSRAMBankNum = 1
FilterSRAMBankPort = 2
[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40
[run_presets]
InterfaceBandwidth = USER
UseRamulatorTrace = False
"""
case = json.loads(sys.argv[1])
with tempfile.TemporaryDirectory() as top:
    cfg, topo, lay = (os.path.join(top, n) for n in ("c.cfg", "t.csv", "l.csv"))
    # SCALE-Sim reads whole KB and integers.
    open(cfg, "w").write(CFG.format(**{k: int(v) if isinstance(v, float) else v
                                       for k, v in case["design"].items()}))
    w = case["workload"]
    if "K" in w:
        open(topo, "w").write("Layer, M, N, K,\nl0, {M}, {N}, {K},\n".format(**w))
    else:
        open(topo, "w").write("Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                              "Channels, Num Filter, Strides,\n"
                              "l0, {H}, {W}, {R}, {S}, {C}, {M}, {stride},\n".format(**w))
    open(lay, "w").write("Layer name, unused,\nl0, 1,\n")
    with contextlib.redirect_stdout(io.StringIO()):
        s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo,
                     layout=lay, input_type_gemm="K" in w)
        start = time.perf_counter()
        s.run_scale(top_path=top)
        seconds = time.perf_counter() - start
    out = {"seconds": seconds}
    for name in ("COMPUTE_REPORT", "DETAILED_ACCESS_REPORT"):
        head, vals = open(os.path.join(top, "run", name + ".csv")).read().splitlines()[:2]
        out.update({h.strip(): float(v) for h, v in zip(head.split(","), vals.split(","))
                    if h.strip() and h.strip() != "LayerID"})
print(json.dumps(out))
'''

# Workloads: GEMMs as (M, N, K) = (rows, cols, inner); convs as SCALE-Sim topology rows.
GEMMS = ((64, 64, 64), (100, 48, 72), (128, 64, 96), (32, 200, 96), (24, 40, 300),
         (200, 16, 16))
CONVS = (dict(H=16, W=16, R=3, S=3, C=8, M=32, stride=1),
         dict(H=15, W=15, R=3, S=3, C=24, M=20, stride=2),
         dict(H=9, W=9, R=1, S=1, C=64, M=48, stride=1),
         dict(H=12, W=12, R=5, S=5, C=4, M=16, stride=1))
ARRAYS = ((8, 8), (16, 16), (32, 8), (8, 32), (32, 32))
SRAMS_KB = (1, 4, 64)
BANDWIDTHS = (2, 16)
DATAFLOWS = ("os", "ws", "is")
METRICS = (("compute cycles", "compute_cycles", None),
           ("total cycles", "latency_cycles", "Total Cycles"),
           ("ifmap DRAM reads", "ifmap_dram_read_words", "DRAM IFMAP Reads"),
           ("filter DRAM reads", "filter_dram_read_words", "DRAM Filter Reads"),
           ("ofmap DRAM writes", "ofmap_dram_write_words", "DRAM OFMAP Writes"),
           ("ifmap SRAM reads", "ifmap_sram_read_words", "SRAM IFMAP Reads"),
           ("filter SRAM reads", "filter_sram_read_words", "SRAM Filter Reads"))


def cases() -> list[dict]:
    """A fixed spread of cases: every workload under every dataflow, array shape, SRAM
    size and bandwidth taken in turn (a Latin-square walk, not the full product)."""
    workloads = [dict(M=m, N=n, K=k) for m, n, k in GEMMS] + list(CONVS)
    out = []
    for i, w in enumerate(workloads):
        for j, dataflow in enumerate(DATAFLOWS):
            k = 3 * i + j
            rows, cols = ARRAYS[k % len(ARRAYS)]
            kb = SRAMS_KB[(k // 2) % len(SRAMS_KB)]
            out.append({"workload": w, "design": dict(
                rows=rows, cols=cols, dataflow=dataflow, ifmap_sram_kb=kb, filter_sram_kb=kb,
                ofmap_sram_kb=kb, dram_bandwidth_words=BANDWIDTHS[k % len(BANDWIDTHS)])})
    return out


def as_workload(w: dict) -> Gemm | Layer:
    if "K" in w:
        return Gemm(rows=w["M"], inner=w["K"], cols=w["N"])
    s = w["stride"]
    return Layer("l0", M=w["M"], C=w["C"], P=(w["H"] - w["R"]) // s + 1,
                 Q=(w["W"] - w["S"]) // s + 1, R=w["R"], S=w["S"], Hstride=s, Wstride=s)


def has_scalesim(python: str) -> bool:
    """Whether `python` exists and imports scalesim."""
    return Path(python).exists() and subprocess.run(
        [python, "-c", "import scalesim.scale_sim"], capture_output=True).returncode == 0


def run_scalesim(python: str, case: dict) -> dict:
    """SCALE-Sim's report items of one case, run in `python` (its own environment)."""
    done = subprocess.run([python, "-c", RUNNER, json.dumps(case)], capture_output=True,
                          text=True, check=True)
    ref = json.loads(done.stdout.strip().splitlines()[-1])
    ref["Total Cycles"] += 1
    ref["compute"] = ref["Total Cycles"] - ref["Stall Cycles"]
    return ref


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scalesim-python", default=str(ROOT / ".venv-scalesim/bin/python"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--save", type=Path, help="also write SCALE-Sim's results here")
    parser.add_argument("--load", type=Path, help="take SCALE-Sim's results from a --save")
    args = parser.parse_args()
    if not args.load and not has_scalesim(args.scalesim_python):
        print(f"SCALE-Sim benchmark skipped: {args.scalesim_python} cannot import scalesim "
              "(make .venv-scalesim/bin/python)")
        return
    todo = cases()
    if args.load:
        saved = json.loads(args.load.read_text())
        assert saved["cases"] == todo, "the saved results are of other cases"
        refs = saved["refs"]
    else:
        with ThreadPoolExecutor(args.jobs) as pool:
            refs = list(pool.map(lambda c: run_scalesim(args.scalesim_python, c), todo))
    if args.save:
        args.save.write_text(json.dumps({"cases": todo, "refs": refs}))
    sims = {name: SystolicArray(accounting=name) for name in ("default", "scalesim")}
    errors = {name: {label: [] for label, _, _ in METRICS} for name in sims}
    seconds = {}
    for name, sim in sims.items():
        workloads = [as_workload(c["workload"]) for c in todo]
        sim.evaluate(todo[0]["design"], workloads[0])   # numba compiles once (scalesim)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            results = [sim.evaluate(c["design"], w) for c, w in zip(todo, workloads, strict=True)]
            best = min(best, time.perf_counter() - start)
        seconds[name] = best
        for ref, ours in zip(refs, results, strict=True):
            for label, key, ref_key in METRICS:
                truth = ref[ref_key] if ref_key else ref["compute"]
                errors[name][label].append(abs(ours[key] - truth) / truth)
    scalesim_seconds = sum(r["seconds"] for r in refs)
    print(f"SystolicArray vs SCALE-Sim 3.0.0, {len(todo)} single-layer cases "
          f"({len(GEMMS)} GEMMs, {len(CONVS)} convs x os/ws/is)")
    print(f"  {'metric':<20}{'default median':>16}{'max':>9}{'scalesim median':>18}{'max':>9}"
          f"{'within 2%':>11}")
    for label, _, _ in METRICS:
        row = [f"{100 * f(errors[name][label]):8.1f}%"
               for name in sims for f in (np.median, np.max)]
        close = sum(e <= 0.02 for e in errors["scalesim"][label])
        print(f"  {label:<20}{row[0]:>16}{row[1]:>9}{row[2]:>18}{row[3]:>9}"
              f"{f'{close}/{len(todo)}':>11}")
    for name in sims:
        print(f"  speed, {name} accounting: {scalesim_seconds / seconds[name]:,.0f}x SCALE-Sim "
              f"({seconds[name] / len(todo) * 1e6:.0f} us vs "
              f"{scalesim_seconds / len(todo) * 1e3:.0f} ms per case, one at a time)")
    # The environment's path: one batch of random Systolic-v0 designs on ResNet-18.
    index = np.random.default_rng(0).integers(0, SYSTOLIC_SPACE.nvec,
                                              size=(200, len(SYSTOLIC_SPACE.nvec)))
    designs = SYSTOLIC_SPACE.columns(index)
    for name, sim in sims.items():
        net = sim.prepare(resnet18())
        start = time.perf_counter()
        sim.evaluate_batch(designs, net)
        print(f"  Systolic-v0 designs on ResNet-18, {name} accounting: "
              f"{len(index) / (time.perf_counter() - start):,.0f} designs/s")
    compute_ok = max(errors["scalesim"]["compute cycles"]) <= 0.02
    print("  compute cycles within 2% on every case:", "yes" if compute_ok else "NO")


if __name__ == "__main__":
    main()
