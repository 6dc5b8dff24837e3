"""accounting="scalesim" against SCALE-Sim 3.0.0's read/write buffers, worked by hand, by
property, and (slow, where .venv-scalesim exists) against SCALE-Sim itself."""

import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.systolic import DATAFLOWS, SystolicArray
from simulators.workloads import Gemm, Layer

SIM = SystolicArray(accounting="scalesim")
ROOT = Path(__file__).resolve().parents[2]


def design(dataflow="os", rows=4, cols=4, sram_kb=1.0, bandwidth=8):
    return dict(rows=rows, cols=cols, dataflow=dataflow, ifmap_sram_kb=sram_kb,
                filter_sram_kb=sram_kb, ofmap_sram_kb=sram_kb, dram_bandwidth_words=bandwidth)


def test_operands_that_fit_are_fetched_once_in_whole_lines():
    # os, (4 x 3) @ (3 x 5) on 4 x 4, 8 KB, 10-word lines. Prefetch matrices: ifmap T x R
    # = 3 x 4 = 12 words -> 2 lines; filter T x C per column fold, padded: 3 x 4 x 2 = 24
    # words -> 3 lines. Every output is written once; nothing stalls (SCALE-Sim: 20, 30,
    # 20 and 17 = the index of the 18th cycle).
    m = SIM.evaluate(design(sram_kb=8, bandwidth=10), Gemm(rows=4, inner=3, cols=5))
    assert (m["ifmap_dram_read_words"], m["filter_dram_read_words"]) == (20, 30)
    assert m["ofmap_dram_write_words"] == 20 and m["ofmap_dram_read_words"] == 0
    assert m["latency_cycles"] == m["compute_cycles"] == 18


# os, (4 x 400) @ (400 x 8) on 4 x 4 with 1 KB SRAMs (1024 words): sets of ceil(1024/100)
# = 11 words; the window holds ceil(512/11) = 47 sets and slides by 47. The ifmap (T x R =
# 400 x 4 = 1600 words, 146 sets) is streamed once per column fold (2): the first pass ends
# in set 145 after ceil((145 - 47 + 1)/47) = 3 slides (window at 141..187); the second
# starts at set 0 = 146 unwrapped, still inside, and ends at 291 after 3 more. The filter
# (two 400 x 4 column blocks, 3200 words, 291 sets) is swept once: 6 slides too. Each
# fetch is half the SRAM: 512 words. Compute: 2 folds x (400 + 4 + 4 - 2) = 812 cycles.
def test_refetch_window_by_hand():
    m = SIM.evaluate(design(bandwidth=8), Gemm(rows=4, inner=400, cols=8))
    assert m["ifmap_dram_read_words"] == m["filter_dram_read_words"] == 512 * (1 + 6)
    assert m["compute_cycles"] == 812
    # 8-word lines: a fetch takes 64 + 1 cycles, the sixth is in at 391 < 812: no stall
    # (SCALE-Sim: 3584, 3584, 812, no stall).
    assert m["stall_cycles"] == 0


def test_stall_waits_for_the_last_fetch_by_hand():
    # As above at 1 word per cycle: fetch k is in at 1 + 513 k, the sixth at 3079. The
    # demand needs it when it reaches set 282 (= 141 + 47 + 2 * 47), 136 of the second
    # sweep's 145 sets in, i.e. at 406 + 402 * 136/145 (the fold's ifmap demand spans
    # T + R - 2 = 402 cycles): a wait of ceil(2295.95) (SCALE-Sim: 2298).
    m = SIM.evaluate(design(bandwidth=1), Gemm(rows=4, inner=400, cols=8))
    assert m["stall_cycles"] == math.ceil(3079 - (406 + 402 * 136 / 145)) == 2296
    assert m["latency_cycles"] == 812 + 2296


def test_partial_sums_all_go_to_dram():
    # ws, (4 x 10) @ (10 x 5) on 4 x 4: the window (10) folds 3 times over the rows; SCALE-Sim
    # writes each of the 20 outputs once per row fold to DRAM and never reads one back.
    m = SIM.evaluate(design("ws", sram_kb=64), Gemm(rows=4, inner=10, cols=5))
    assert m["ofmap_dram_write_words"] == 3 * 20
    assert m["ofmap_dram_read_words"] == m["ofmap_sram_read_words"] == 0


def test_write_port_bounds_the_layer():
    # ws, (64 x 64) @ (64 x 64) on 8 x 8, 8 KB ofmap SRAM, 1 word per cycle: 8 row folds x
    # 4096 outputs go out. Draining starts once 4096 words (the drain half) are written,
    # at 5504 * 4096 / 32768 = 688 of the 5504 compute cycles (64 folds of 16 + 8 + 64 - 2),
    # and all but the last 8192 words must be out before the end (SCALE-Sim: 25,354).
    d = design("ws", rows=8, cols=8, bandwidth=1) | {"ifmap_sram_kb": 64, "filter_sram_kb": 64,
                                                    "ofmap_sram_kb": 8}
    m = SIM.evaluate(d, Gemm(rows=64, inner=64, cols=64))
    assert m["ofmap_dram_write_words"] == 8 * 4096 and m["compute_cycles"] == 5504
    assert m["latency_cycles"] == 688 + 8 * 4096 - 8192


gemms = st.builds(Gemm, rows=st.integers(1, 200), inner=st.integers(1, 200),
                  cols=st.integers(1, 200))
designs = st.builds(design, dataflow=st.sampled_from(DATAFLOWS),
                    rows=st.sampled_from([1, 2, 4, 8, 16, 32]),
                    cols=st.sampled_from([1, 2, 4, 8, 16, 32]),
                    sram_kb=st.sampled_from([1.0, 4.0, 64.0]), bandwidth=st.integers(1, 32))


@settings(max_examples=150, deadline=None)
@given(gemm=gemms, d=designs)
def test_scalesim_accounting_properties(gemm, d):
    m = SIM.evaluate(d, gemm)
    default = SystolicArray().evaluate(d, gemm)
    bw = d["dram_bandwidth_words"]
    # Compute and SRAM reads do not depend on the accounting.
    for key in ("compute_cycles", "ifmap_sram_read_words", "filter_sram_read_words"):
        assert m[key] == default[key]
    # Reads move whole lines, and at least the first fill: half the SRAM or the whole
    # padded operand, whichever is less.
    for key in ("ifmap_dram_read_words", "filter_dram_read_words"):
        assert m[key] % bw == 0
        assert m[key] >= min(512, gemm.rows * gemm.inner, gemm.inner * gemm.cols) - bw
    assert m["latency_cycles"] >= m["compute_cycles"]
    assert m["latency_cycles"] >= (m["ofmap_dram_write_words"] - d["ofmap_sram_kb"] * 1024) / bw
    assert m["ofmap_dram_write_words"] >= gemm.rows * gemm.cols
    assert all(math.isfinite(v) and v >= 0 for v in m.values())


def test_sram_below_scalesims_range_still_evaluates():
    # SCALE-Sim takes whole KB; a 1-word SRAM has no prefetch half (SCALE-Sim would slide
    # by nothing forever): the window then steps one set at a time.
    m = SIM.evaluate(design(sram_kb=1 / 1024), Gemm(rows=8, inner=8, cols=8))
    assert all(math.isfinite(v) for v in m.values())
    assert m["latency_cycles"] >= m["compute_cycles"] > 0


def test_scalesim_accounting_batches_like_one_by_one():
    ds = [design(df, rows=r, cols=c, sram_kb=kb, bandwidth=bw)
          for df, r, c, kb, bw in (("os", 8, 4, 1, 2), ("ws", 4, 16, 4, 8), ("is", 16, 8, 1, 1))]
    layers = [Gemm(50, 70, 30), Layer("c", M=8, C=3, P=6, Q=6, R=3, S=3)]
    batch = SIM.evaluate_batch(ds, layers)
    assert [batch.row(i) for i in range(3)] == [SIM.evaluate(d, layers) for d in ds]


SCALESIM_PYTHON = ROOT / ".venv-scalesim/bin/python"


@pytest.mark.slow
@pytest.mark.skipif(not SCALESIM_PYTHON.exists(), reason="no .venv-scalesim (make it)")
def test_against_scalesim_itself():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_scalesim import as_workload, has_scalesim, run_scalesim
    if not has_scalesim(str(SCALESIM_PYTHON)):
        pytest.skip(".venv-scalesim cannot import scalesim")
    cases = [{"workload": dict(M=4, N=8, K=400), "design": design(bandwidth=1)},
             {"workload": dict(H=9, W=9, R=1, S=1, C=64, M=48, stride=1),
              "design": design("ws", rows=32, cols=32, bandwidth=16)},
             {"workload": dict(M=100, N=48, K=72),
              "design": design("os", rows=8, cols=32, sram_kb=4, bandwidth=16)}]
    for case in cases:
        ref = run_scalesim(str(SCALESIM_PYTHON), json.loads(json.dumps(case)))
        m = SIM.evaluate(case["design"], as_workload(case["workload"]))
        assert m["compute_cycles"] == ref["compute"]
        assert m["ifmap_dram_read_words"] == ref["DRAM IFMAP Reads"]
        assert m["filter_dram_read_words"] == ref["DRAM Filter Reads"]
        assert m["latency_cycles"] == pytest.approx(ref["Total Cycles"], rel=0.05)
