"""The systolic model against hand-computed cycles, traffic, energy and area."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.base import columns
from simulators.errors import InvalidArgumentError, InvalidDesignError
from simulators.systolic import (
    ACCOUNTINGS,
    DATAFLOWS,
    DRAM_ENERGY_PJ_PER_BIT,
    MAC_ENERGY_PJ,
    PE_AREA_UM2,
    SRAM_AREA_UM2_PER_BIT,
    SystolicArray,
)
from simulators.workloads import Gemm, Layer, resnet18

SIM = SystolicArray()


def design(dataflow="os", rows=4, cols=4, sram_kb=8.0, bandwidth=10**6, **overrides):
    d = dict(rows=rows, cols=cols, dataflow=dataflow, ifmap_sram_kb=sram_kb,
             filter_sram_kb=sram_kb, ofmap_sram_kb=sram_kb, dram_bandwidth_words=bandwidth)
    return {**d, **overrides}


# A (4 x 3) @ B (3 x 5) on a 4 x 4 array. SCALE-Sim 3.0.0 pads every fold to the full
# R x C array; an os fold takes T + R + C - 2 cycles, a ws or is fold 2R + C + T - 2.
@pytest.mark.parametrize("dataflow, cycles", [
    # os: Sr=4 pixels, Sc=5 filters, T=3: 1 x 2 folds of 3+4+4-2 (SCALE-Sim reports 17, the
    # index of the last of these 18 cycles)
    ("os", 2 * 9),
    # ws: Sr=3 window, Sc=5 filters, T=4 pixels: 1 x 2 folds of 8+4+4-2
    ("ws", 2 * 14),
    # is: Sr=3 window, Sc=4 pixels, T=5 filters: one fold of 8+4+5-2
    ("is", 15),
])
def test_compute_cycles_by_hand(dataflow, cycles):
    m = SIM.evaluate(design(dataflow), Gemm(rows=4, inner=3, cols=5))
    assert m["compute_cycles"] == cycles
    assert m["latency_cycles"] == cycles  # bandwidth is ample
    assert m["utilization"] == pytest.approx(60 / (16 * cycles))


def test_row_folding_by_hand():
    # os, (10 x 2) @ (2 x 3): Sr=10 folds into 4, 4, 2 rows, the last padded to 4; each
    # fold streams T=2 through the whole 4 x 4 array: 3 x (2 + 4 + 4 - 2).
    for accounting in ACCOUNTINGS:
        m = SystolicArray(accounting=accounting).evaluate(design("os"),
                                                          Gemm(rows=10, inner=2, cols=3))
        assert m["compute_cycles"] == 3 * 8


def test_groups_repeat_the_gemm():
    one = SIM.evaluate(design("ws"), Gemm(rows=4, inner=3, cols=5))
    three = SIM.evaluate(design("ws"), Gemm(rows=4, inner=3, cols=5, count=3))
    for key in ("compute_cycles", "ifmap_sram_read_words", "ofmap_dram_write_words"):
        assert three[key] == 3 * one[key]


@pytest.mark.parametrize("dataflow, ifmap, filt, ofmap_w, ofmap_r", [
    ("os", 4 * 3 * 2, 5 * 3, 20, 0),  # A re-read per column fold, B once, outputs once
    ("ws", 4 * 3 * 2, 15, 20, 0),     # weights loaded once, A re-read per column fold
    ("is", 12, 15, 20, 0),            # inputs loaded once, weights streamed once
])
def test_sram_traffic_by_hand(dataflow, ifmap, filt, ofmap_w, ofmap_r):
    m = SIM.evaluate(design(dataflow), Gemm(rows=4, inner=3, cols=5))
    assert (m["ifmap_sram_read_words"], m["filter_sram_read_words"],
            m["ofmap_sram_write_words"], m["ofmap_sram_read_words"]) == (ifmap, filt,
                                                                         ofmap_w, ofmap_r)


def test_partial_sums_spill_across_row_folds():
    # ws, (4 x 10) @ (10 x 5) on 4x4: the window (10) folds 3 times over rows, so each of
    # the 20 outputs is written 3 times and read back twice.
    m = SIM.evaluate(design("ws"), Gemm(rows=4, inner=10, cols=5))
    assert m["ofmap_sram_write_words"] == 3 * 20
    assert m["ofmap_sram_read_words"] == 2 * 20
    tiny = SIM.evaluate(design("ws", ofmap_sram_kb=8 / 1024), Gemm(rows=4, inner=10, cols=5))
    assert tiny["ofmap_dram_write_words"] == 3 * 20 and tiny["ofmap_dram_read_words"] == 2 * 20


def test_stall_when_bandwidth_bound():
    # os: DRAM moves 12 ifmap + 15 filter + 20 ofmap words at 1 word/cycle -> 47 cycles.
    m = SIM.evaluate(design("os", bandwidth=1), Gemm(rows=4, inner=3, cols=5))
    assert m["latency_cycles"] == 47 and m["stall_cycles"] == 47 - 18


def test_small_sram_refetches_from_dram():
    # os: a 4 x 3 ifmap slice (12 words) does not fit half of an 8-word SRAM, so the ifmap
    # is fetched once per column fold.
    m = SIM.evaluate(design("os", ifmap_sram_kb=8 / 1024), Gemm(rows=4, inner=3, cols=5))
    assert m["ifmap_dram_read_words"] == 12 * 2


def test_energy_and_area_from_cited_constants():
    m = SIM.evaluate(design("os"), Gemm(rows=4, inner=3, cols=5))
    # Horowitz ISSCC 2014: 8 KB SRAM 10 pJ per 64b -> 1.25 pJ per byte; DRAM 20 pJ/bit.
    sram_accesses = 24 + 15 + 20
    dram_words = 12 + 15 + 20
    expected = 60 * MAC_ENERGY_PJ + sram_accesses * 1.25 + dram_words * 8 * DRAM_ENERGY_PJ_PER_BIT
    assert MAC_ENERGY_PJ == pytest.approx(0.3) and DRAM_ENERGY_PJ_PER_BIT == 20.0
    assert m["energy_pj"] == pytest.approx(expected)
    area = (16 * PE_AREA_UM2 + 3 * 8 * 8192 * SRAM_AREA_UM2_PER_BIT) * 1e-6
    assert m["area_mm2"] == pytest.approx(area)
    assert m["power_mw"] == pytest.approx(m["energy_pj"] * 1e-9 / m["latency_s"])


def test_sram_energy_matches_horowitz_32kb_and_1mb_points():
    # 64b reads: 32 KB 20 pJ, 1 MB 100 pJ (the power law is within 5% of both).
    for kb, pj_64b in ((32, 20.0), (1024, 100.0)):
        m = SIM.evaluate(design("os", sram_kb=kb), Gemm(rows=4, inner=3, cols=5))
        ref = SIM.evaluate(design("os", sram_kb=8.0), Gemm(rows=4, inner=3, cols=5))
        per_byte = (m["energy_pj"] - ref["energy_pj"]) / 59 + 1.25
        assert per_byte == pytest.approx(pj_64b / 8, rel=0.05)


def test_conv_lowering_and_unique_inputs():
    layer = Layer("c", M=3, C=2, P=2, Q=2, R=2, S=2)
    gemm = layer.to_gemm()
    assert (gemm.rows, gemm.inner, gemm.cols) == (4, 8, 3)
    m = SIM.evaluate(design("os", rows=8, cols=8), layer)
    assert m["ifmap_dram_read_words"] == 2 * 3 * 3  # the 3x3x2 input, not the 4x8 im2col
    assert m["macs"] == layer.macs == 3 * 2 * 2 * 2 * 2 * 2


def test_resnet18_macs_match_published_figure():
    # torchvision's ResNet-18 model card: 1.81 GFLOPS (multiply-accumulates) at 224x224.
    net = resnet18()
    assert len(net.layers) == 21
    assert net.macs == pytest.approx(1.814e9, rel=1e-3)


def test_bad_design_names_the_parameter():
    with pytest.raises(InvalidDesignError, match="dataflow"):
        SIM.evaluate(design("xs"), Gemm(4, 3, 5))
    for bad in ({"rows": 0}, {"rows": 8.9}, {"cols": float("nan")},
                {"ifmap_sram_kb": float("inf")}, {"dram_bandwidth_words": "8"}):
        with pytest.raises(InvalidDesignError, match=next(iter(bad))):
            SIM.evaluate(design(**bad), Gemm(4, 3, 5))
    with pytest.raises(InvalidArgumentError, match="gemm.rows"):
        Gemm(0, 3, 5)
    with pytest.raises(InvalidArgumentError, match="Hdilation"):
        Layer("c", M=1, C=1, Hdilation=-5)
    with pytest.raises(InvalidArgumentError, match="clock_ghz"):
        SystolicArray(clock_ghz=float("inf"))
    with pytest.raises(InvalidArgumentError, match="accounting.*default, scalesim"):
        SystolicArray(accounting="ramulator")


gemms = st.builds(Gemm, rows=st.integers(1, 300), inner=st.integers(1, 300),
                  cols=st.integers(1, 300), count=st.integers(1, 3))
designs = st.builds(design, dataflow=st.sampled_from(DATAFLOWS),
                    rows=st.sampled_from([1, 2, 4, 8, 16, 32]),
                    cols=st.sampled_from([1, 2, 4, 8, 16, 32]),
                    sram_kb=st.sampled_from([1 / 64, 1.0, 16.0, 1024.0]),
                    bandwidth=st.integers(1, 64))


@settings(max_examples=200, deadline=None)
@given(gemm=gemms, d=designs)
def test_physical_bounds(gemm, d):
    m = SIM.evaluate(d, gemm)
    macs = gemm.rows * gemm.inner * gemm.cols * gemm.count
    assert m["compute_cycles"] >= math.ceil(macs / (d["rows"] * d["cols"]))
    assert 0 < m["utilization"] <= 1
    dram = sum(m[k] for k in ("ifmap_dram_read_words", "filter_dram_read_words",
                              "ofmap_dram_write_words", "ofmap_dram_read_words"))
    assert m["latency_cycles"] >= dram / d["dram_bandwidth_words"]
    # Every operand crosses DRAM at least once.
    assert m["filter_dram_read_words"] >= gemm.inner * gemm.cols * gemm.count
    assert m["ofmap_dram_write_words"] >= gemm.rows * gemm.cols * gemm.count
    assert all(math.isfinite(v) and v >= 0 for v in m.values())


@settings(max_examples=100, deadline=None)
@given(gemm=gemms, d=designs)
def test_partial_folds_take_a_full_fold(gemm, d):
    # SCALE-Sim pads every fold to the full array: growing the stationary matrix up to the
    # next multiple of the array leaves the cycles as they are, and they are folds x the
    # per-fold time (T + R + C - 2 in os, 2R + C + T - 2 otherwise).
    R, C, df = d["rows"], d["cols"], d["dataflow"]
    Sr, Sc, T = {"os": (gemm.rows, gemm.cols, gemm.inner), "ws": (gemm.inner, gemm.cols, gemm.rows),
                 "is": (gemm.inner, gemm.rows, gemm.cols)}[df]
    fold = T + R + C - 2 if df == "os" else 2 * R + C + T - 2
    folds = math.ceil(Sr / R) * math.ceil(Sc / C)
    m = SIM.evaluate(d, gemm)
    assert m["compute_cycles"] == folds * fold * gemm.count
    padded = {"os": Gemm(math.ceil(Sr / R) * R, T, math.ceil(Sc / C) * C, gemm.count),
              "ws": Gemm(T, math.ceil(Sr / R) * R, math.ceil(Sc / C) * C, gemm.count),
              "is": Gemm(math.ceil(Sc / C) * C, math.ceil(Sr / R) * R, T, gemm.count)}[df]
    assert SIM.evaluate(d, padded)["compute_cycles"] == m["compute_cycles"]


@settings(max_examples=50, deadline=None)
@given(gemm=gemms, d=designs)
def test_more_sram_never_adds_dram_traffic(gemm, d):
    small = SIM.evaluate(d, gemm)
    big = SIM.evaluate({**d, "ifmap_sram_kb": 4096, "filter_sram_kb": 4096,
                        "ofmap_sram_kb": 4096}, gemm)
    assert big["compute_cycles"] == small["compute_cycles"]
    for key in ("ifmap_dram_read_words", "filter_dram_read_words", "ofmap_dram_write_words"):
        assert big[key] <= small[key]


@settings(max_examples=20, deadline=None)
@given(ds=st.lists(designs, min_size=1, max_size=6))
def test_batch_equals_one_by_one(ds):
    net = resnet18(64)
    batch = SIM.evaluate_batch(ds, SIM.prepare(net))
    assert batch.valid.all() and batch.reasons == [None] * len(ds)
    assert [batch.row(i) for i in range(len(ds))] == [SIM.evaluate(d, net) for d in ds]
    assert SIM.evaluate_batch(columns(ds), net).metrics.keys() == batch.metrics.keys()
    for name, column in SIM.evaluate_batch(columns(ds), net).metrics.items():
        np.testing.assert_array_equal(column, batch.metrics[name])


def test_invalid_designs_in_a_batch_come_back_with_reasons():
    good = design()
    batch = SIM.evaluate_batch([good, design(rows=0), design("xs"), good], Gemm(4, 3, 5))
    assert batch.valid.tolist() == [True, False, False, True]
    assert batch.reasons[0] is None and "rows=0" in batch.reasons[1]
    assert "dataflow='xs'" in batch.reasons[2] and "os, ws, is" in batch.reasons[2]
    assert np.isnan(batch.metrics["energy_pj"][1:3]).all()
    assert batch.row(3) == SIM.evaluate(good, Gemm(4, 3, 5)) and batch.row(1) == {}
    with pytest.raises(InvalidDesignError, match="ofmap_sram_kb"):
        SIM.evaluate_batch([{k: v for k, v in good.items() if k != "ofmap_sram_kb"}],
                           Gemm(4, 3, 5))


def test_prepare_lowers_once_and_a_list_is_lowered_when_given():
    sim, net, gemm = SystolicArray(), resnet18(), Gemm(rows=4, inner=3, cols=5)
    lowered = sim.prepare(net)
    assert sim.prepare(lowered) is lowered and lowered.macs == net.macs
    assert sim.evaluate(design(), lowered) == sim.evaluate(design(), net)
    assert sim.evaluate(design(), gemm) == SystolicArray().evaluate(design(), gemm)
    layers = [gemm]
    assert sim.evaluate(design(), layers)["macs"] == 60
    layers.append(Gemm(rows=2, inner=2, cols=2))
    assert sim.evaluate(design(), layers)["macs"] == 60 + 8
    with pytest.raises(InvalidArgumentError, match="workload"):
        sim.prepare("resnet18")
