"""The analysis against hand arithmetic (closed forms) and against properties."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.accelerator.analysis import REASONS, analyze, analyze_batch
from simulators.accelerator.architecture import DIMS, Architecture, MacUnit, StorageLevel
from simulators.accelerator.mapper import Mapper, divisors
from simulators.accelerator.mapping import Mapping, MappingBatch, Problem, loop_order
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer

ONES = (1,) * 7
ALL = (True, True, True)


def two_level(buffer_words=10_000, mesh=(1, 1), dram_bw=None):
    """DRAM (fanning out mesh) over one buffer that keeps everything, over the MACs."""
    return Architecture("two-level", (
        StorageLevel("DRAM", None, read_energy_pj=100, write_energy_pj=100, update_energy_pj=100,
                     mesh_x=mesh[0], mesh_y=mesh[1], read_bandwidth=dram_bw,
                     write_bandwidth=dram_bw),
        StorageLevel("buffer", buffer_words, read_energy_pj=1, write_energy_pj=1,
                     update_energy_pj=1),
    ), MacUnit(energy_pj=0.5))


def factors(**kw):
    return tuple(kw.get(d, 1) for d in DIMS)


def gemm_mapping(outer, inner, order, sx=ONES, keep=(ALL, ALL)):
    """DRAM loops `outer` in `order` (outermost first) around buffer loops `inner`."""
    rest = tuple(d for d in DIMS if d not in order)
    return Mapping((factors(**outer), factors(**inner)), (tuple(order) + rest, DIMS),
                   (sx, ONES), (ONES, ONES), keep)


def dram(result, ds, kind):
    return result.levels["DRAM"][ds][kind]


split = st.tuples(*(st.sampled_from([1, 2, 3, 4]) for _ in range(6)))


@settings(max_examples=60, deadline=None)
@given(split)
def test_two_level_access_counts_equal_the_closed_forms(f):
    """Outputs[m,p] += W[m,c] * I[c,p]; DRAM loops M0 C0 P0, buffer loops M1 C1 P1."""
    M0, C0, P0, M1, C1, P1 = f
    M, C, P = M0 * M1, C0 * C1, P0 * P1
    layer = Layer("gemm", M=M, C=C, P=P)
    outer, inner = {"M": M0, "C": C0, "P": P0}, {"M": M1, "C": C1, "P": P1}
    arch = two_level()
    # Weight stationary: P (which weights do not index) innermost at DRAM.
    ws = analyze(layer, arch, gemm_mapping(outer, inner, "MCP"))
    # Output stationary: the reduction C innermost.
    os_ = analyze(layer, arch, gemm_mapping(outer, inner, "MPC"))
    # Input stationary: M (which inputs do not index) innermost.
    is_ = analyze(layer, arch, gemm_mapping(outer, inner, "CPM"))
    assert all(r.valid for r in (ws, os_, is_))
    # A loop that a data space's tile does not depend on re-fetches it only if some loop
    # inside it (still at DRAM) does index that data space.
    refetch_unless = lambda outer, *inner: outer if math.prod(inner) > 1 else 1  # noqa: E731
    assert dram(ws, "Weights", "reads") == M * C
    assert dram(os_, "Weights", "reads") == M * C * refetch_unless(P0, C0)
    assert dram(is_, "Weights", "reads") == M * C * refetch_unless(P0, M0)
    assert dram(ws, "Inputs", "reads") == C * P * refetch_unless(M0, C0, P0)
    assert dram(os_, "Inputs", "reads") == C * P * refetch_unless(M0, C0, P0)
    assert dram(is_, "Inputs", "reads") == C * P
    assert dram(ws, "Outputs", "updates") == M * P * refetch_unless(C0, P0)
    assert dram(os_, "Outputs", "updates") == M * P
    assert dram(is_, "Outputs", "updates") == M * P * refetch_unless(C0, P0, M0)
    for r in (ws, os_, is_):  # every writeback but the first of each output reloads it
        assert dram(r, "Outputs", "reads") == dram(r, "Outputs", "updates") - M * P
    # The buffer feeds every MAC: one weight and one input read, one partial-sum update.
    for r in (ws, os_, is_):
        macs = M * C * P
        assert r.levels["buffer"]["Weights"]["reads"] == macs
        assert r.levels["buffer"]["Outputs"]["updates"] == macs
        assert r.cycles == macs
        assert r.macs == macs


def test_weight_stationary_by_hand():
    """M=4, C=2, P=3 on M2 C2 P3 (DRAM, order M C P) and M2 (buffer), worked by hand."""
    r = analyze(Layer("l", M=4, C=2, P=3), two_level(),
                gemm_mapping({"M": 2, "C": 2, "P": 3}, {"M": 2}, "MCP"))
    # Weights: the P loop is innermost, so each 2-weight tile is read once: 8.
    assert dram(r, "Weights", "reads") == 8
    # Inputs: a 1-word tile per (M0, C0, P0) iteration: 12.
    assert dram(r, "Inputs", "reads") == 12
    # Outputs: 2-word tile written back 12 times, reloaded every time but the first of 6.
    assert dram(r, "Outputs", "updates") == 24
    assert dram(r, "Outputs", "reads") == 12
    # Energy: DRAM (8+12+12+24) * 100, buffer traffic * 1, 24 MACs * 0.5.
    buffer_words = sum(v for ds in r.levels["buffer"].values()
                       for k, v in ds.items() if k != "energy_pj")
    assert r.energy_pj == pytest.approx(56 * 100 + buffer_words * 1 + 24 * 0.5)


def test_dram_words_by_hand_and_as_the_batch_counts_them():
    # The weight-stationary example above: DRAM reads 8 + 12 + 12, updates 24, no fills.
    r = analyze(Layer("l", M=4, C=2, P=3), two_level(),
                gemm_mapping({"M": 2, "C": 2, "P": 3}, {"M": 2}, "MCP"))
    assert r.dram_words == 56
    layer, arch = Layer("l", M=16, C=8, P=7, Q=7, R=3, S=3), three_level(bw=2.0)
    batch = random_batch(layer, arch, 5, n=16)
    res = analyze_batch(layer, arch, batch)
    for i in range(16):
        assert analyze(layer, arch, batch[i]).dram_words == res.dram_words[i]


def test_spatial_multicast_and_reduction():
    """Four PEs under DRAM: unrolling M multicasts inputs, unrolling C reduces outputs."""
    layer = Layer("l", M=4, C=4, P=8)
    arch = two_level(mesh=(4, 1))
    m = analyze(layer, arch, gemm_mapping({"C": 4, "P": 8}, {}, "CP", sx=factors(M=4)))
    # Each input word is read once from DRAM and delivered to all four PEs.
    assert dram(m, "Inputs", "reads") == 4 * 8
    assert m.levels["buffer"]["Inputs"]["fills"] == 4 * 4 * 8
    c = analyze(layer, arch, gemm_mapping({"M": 4, "P": 8}, {}, "MP", sx=factors(C=4)))
    # Four partial sums of each output meet in the adder tree: one DRAM update each, while
    # each of the four PE buffers accumulates its own partial sum of every output, started
    # from zero without a fill (as Timeloop v3 counts: no reload, no fill).
    assert dram(c, "Outputs", "updates") == 4 * 8
    assert c.levels["buffer"]["Outputs"]["updates"] == 4 * 4 * 8
    assert c.levels["buffer"]["Outputs"]["fills"] == 0
    assert c.utilization == pytest.approx(1.0) and m.utilization == pytest.approx(1.0)


def test_invalid_mappings_report_their_reason():
    layer = Layer("l", M=4, C=4, P=8)
    wrong = analyze(layer, two_level(), gemm_mapping({"M": 2}, {}, "M"))
    assert not wrong.valid and wrong.reason == REASONS[1]
    too_wide = analyze(layer, two_level(mesh=(2, 1)),
                       gemm_mapping({"C": 4, "P": 8}, {}, "CP", sx=factors(M=4)))
    assert too_wide.reason == REASONS[2]
    too_big = analyze(layer, two_level(buffer_words=10),
                      gemm_mapping({}, {"M": 4, "C": 4, "P": 8}, ""))
    assert too_big.reason == REASONS[5]
    # Capacity is the last rule checked: too wide and too big reports too wide.
    both = analyze(layer, two_level(buffer_words=2, mesh=(2, 1)),
                   gemm_mapping({"C": 4, "P": 8}, {}, "CP", sx=factors(M=4)))
    assert both.reason == REASONS[2]


@settings(max_examples=60, deadline=None)
@given(split)
def test_footprint_is_the_words_each_level_holds(f):
    """A buffer keeping all three data spaces of a GEMM tile M1 x C1 x P1 holds
    M1*C1 weights, C1*P1 inputs and M1*P1 outputs; the fit check compares that sum."""
    M0, C0, P0, M1, C1, P1 = f
    layer = Layer("gemm", M=M0 * M1, C=C0 * C1, P=P0 * P1)
    words = M1 * C1 + C1 * P1 + M1 * P1
    mapping = gemm_mapping({"M": M0, "C": C0, "P": P0}, {"M": M1, "C": C1, "P": P1}, "MCP")
    batch = MappingBatch.from_mappings([mapping])
    for capacity, fits in ((words, True), (words - 1, False)):
        result = analyze_batch(layer, two_level(buffer_words=capacity), batch)
        assert result.footprint[0, 1] == words
        assert bool(result.valid[0]) is fits and bool(result.fits_larger_buffers[0])
        finite = np.isfinite(result.objective("energy"))
        assert bool(finite[0]) is fits
        assert np.isfinite(result.objective("energy", capacity_checked=False)[0])


def random_batch(layer, arch, seed, n=64):
    return Mapper(arch, budget=n, seed=seed).sample(Problem.from_layer(layer), n,
                                                    np.random.default_rng(seed))


layers = st.builds(
    lambda m, c, p, r, stride: Layer("l", M=m, C=c, P=p, Q=p, R=r, S=r, Hstride=stride,
                                     Wstride=stride),
    st.sampled_from([1, 2, 6, 16]), st.sampled_from([1, 3, 8]), st.sampled_from([1, 4, 7]),
    st.sampled_from([1, 3]), st.sampled_from([1, 2]))


def three_level(bw=None):
    return Architecture("three-level", (
        StorageLevel("DRAM", None, read_energy_pj=100, write_energy_pj=100, update_energy_pj=100,
                     read_bandwidth=bw, write_bandwidth=bw),
        StorageLevel("glb", 4096, mesh_x=4, mesh_y=2, read_energy_pj=6, write_energy_pj=6,
                     update_energy_pj=6, read_bandwidth=bw, write_bandwidth=bw),
        StorageLevel("spad", 64, read_energy_pj=1, write_energy_pj=1, update_energy_pj=1,
                     read_bandwidth=bw, write_bandwidth=bw),
    ), MacUnit(energy_pj=0.5))


def sizes(layer):
    """Words of each data space the layer touches (a stride above R skips input rows)."""
    h = len({p * layer.Hstride + r for p in range(layer.P) for r in range(layer.R)})
    w = len({q * layer.Wstride + s for q in range(layer.Q) for s in range(layer.S)})
    return {"Weights": layer.M * layer.C * layer.R * layer.S,
            "Inputs": layer.N * layer.C * h * w, "Outputs": layer.N * layer.M * layer.P * layer.Q}


@settings(max_examples=40, deadline=None)
@given(layers, st.integers(0, 10_000))
def test_mac_count_and_traffic_lower_bounds(layer, seed):
    arch = three_level()
    batch = random_batch(layer, arch, seed)
    res = analyze_batch(layer, arch, batch)
    assert np.all(res.macs == layer.macs)
    data = sizes(layer)
    assert np.all(res.reads[:, 0, 0] >= data["Weights"])
    assert np.all(res.reads[:, 0, 1] >= data["Inputs"])
    assert np.all(res.updates[:, 0, 2] >= data["Outputs"])
    for lvl in (1, 2):  # data an inner level keeps passes through it at least once
        for x, ds in enumerate(("Weights", "Inputs", "Outputs")):
            moved = res.updates[:, lvl, x] if ds == "Outputs" else res.fills[:, lvl, x]
            assert np.all(moved[batch.keep[:, lvl, x]] >= data[ds])


@settings(max_examples=40, deadline=None)
@given(layers, st.integers(0, 10_000), st.sampled_from([0.25, 1.0, 4.0]))
def test_more_bandwidth_never_increases_cycles(layer, seed, bw):
    batch = random_batch(layer, three_level(), seed)
    slow = analyze_batch(layer, three_level(bw), batch).cycles
    fast = analyze_batch(layer, three_level(2 * bw), batch).cycles
    unbounded = analyze_batch(layer, three_level(None), batch).cycles
    assert np.all(fast <= slow) and np.all(unbounded <= fast)
    assert np.all(unbounded == analyze_batch(layer, three_level(), batch).compute_cycles)


def test_groups_run_one_after_another():
    """A depthwise layer is `groups` copies of a one-channel layer."""
    dw = Layer("dw", M=8, C=8, P=4, Q=4, R=3, S=3, groups=8)
    one = Layer("one", M=1, C=1, P=4, Q=4, R=3, S=3)
    arch = three_level()
    mapping = Mapper(arch, budget=200).search(one).best.mapping
    a, b = analyze(dw, arch, mapping), analyze(one, arch, mapping)
    assert a.macs == dw.macs == 8 * b.macs
    assert a.cycles == 8 * b.cycles and a.energy_pj == pytest.approx(8 * b.energy_pj)


def test_loop_nest_text_lists_every_loop():
    r = analyze(Layer("l", M=4, C=2, P=3), two_level(),
                gemm_mapping({"M": 2, "C": 2, "P": 3}, {"M": 2}, "MCP"))
    text = r.mapping.to_text(two_level())
    assert text.index("for M in [0:2)") < text.index("for C in [0:2)") < \
        text.index("for P in [0:3)")
    assert text.count("for ") == 4 and "<< Compute >>" in text


def test_batch_of_one_matches_single_evaluation():
    layer = Layer("l", M=16, C=8, P=7, Q=7, R=3, S=3)
    arch = three_level(bw=2.0)
    batch = random_batch(layer, arch, 3, n=32)
    res = analyze_batch(layer, arch, batch)
    for i in range(0, 32, 7):
        one = analyze(layer, arch, batch[i])
        assert one.valid == res.valid[i]
        assert one.energy_pj == pytest.approx(res.energy_pj[i])
        assert one.cycles == res.cycles[i]


def test_architecture_rejects_bad_levels():
    from simulators.errors import InvalidArgumentError
    with pytest.raises(InvalidArgumentError, match="size_words"):
        StorageLevel("x", 0)
    with pytest.raises(InvalidArgumentError, match="DRAM"):
        Architecture("a", (StorageLevel("x", 10),), MacUnit(1.0))
    level = dataclasses.replace(two_level().levels[1], name="DRAM")
    with pytest.raises(InvalidArgumentError, match="level names"):
        Architecture("a", (two_level().levels[0], level), MacUnit(1.0))
    assert math.prod(divisors(12)) == 1728


@given(st.permutations(DIMS), st.integers(0, 7))
def test_loop_order_puts_the_given_dims_innermost(dims, k):
    inner = tuple(dims[:k])  # innermost first
    order = loop_order(inner)
    assert sorted(order) == sorted(DIMS)
    assert order[len(DIMS) - k:] == inner[::-1]
    outside = order[:len(DIMS) - k]
    assert list(outside) == [d for d in DIMS if d in outside]


def blocked(block_size=4, cluster_size=1):
    """DRAM (free) fanning out to two buffers that move 4-word blocks at 1 pJ a word and
    leak 0.5 pJ per instance and cycle."""
    return Architecture("blocked", (
        StorageLevel("DRAM", None, mesh_x=2),
        StorageLevel("buffer", 64, read_energy_pj=1, write_energy_pj=1, update_energy_pj=1,
                     block_size=block_size, cluster_size=cluster_size, leak_energy_pj=0.5),
    ), MacUnit(energy_pj=0.0))


def test_block_accesses_clusters_and_leakage_by_hand():
    """M2 across the two buffers, C3 in each: per buffer 3 weight reads and fills, 3 input
    reads and fills, 2 partial-sum reads and 3 updates, each kind rounded up to one 4-word
    access (4 pJ), as Timeloop's ComputeVectorAccesses; 3 cycles of leakage per buffer."""
    layer = Layer("l", M=2, C=3, P=1)
    mapping = gemm_mapping({}, {"C": 3}, "", sx=factors(M=2))
    r = analyze(layer, blocked(), mapping)
    assert r.valid and r.cycles == 3
    per_ds = {ds: v["energy_pj"] for ds, v in r.levels["buffer"].items()}
    assert per_ds == {"Weights": 2 * 4 * 2, "Inputs": 2 * 4 * 2, "Outputs": 2 * 4 * 2}
    assert r.leakage_pj == {"DRAM": 0.0, "buffer": 0.5 * 3 * 2}
    assert r.energy_pj == pytest.approx(48 + 3)
    # Two instances in one cluster share each access: the cluster's energy is paid once.
    shared = analyze(layer, blocked(cluster_size=2), mapping)
    assert {ds: v["energy_pj"] for ds, v in shared.levels["buffer"].items()} == \
        {ds: pj / 2 for ds, pj in per_ds.items()}
    # A buffer that keeps nothing still leaks, as one instance (Timeloop's floor).
    empty = analyze(layer, blocked(), gemm_mapping({}, {"C": 3}, "", sx=factors(M=2),
                                                    keep=(ALL, (False, False, False))))
    assert empty.leakage_pj["buffer"] == 0.5 * 3


def test_cluster_size_must_divide_the_instances():
    with pytest.raises(InvalidArgumentError, match="cluster_size"):
        blocked(cluster_size=3)
