"""The compiled adaptive search: consistent with the analysis, keyed dedup, result cache."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.accelerator.analysis import TOO_BIG, analyze_batch
from simulators.accelerator.mapper import Mapper, clear_search_cache, prime_factors, search_many
from simulators.accelerator.mapping import MappingBatch, Problem
from simulators.accelerator.presets import preset
from simulators.accelerator.search import _repair
from simulators.workloads import Layer, resnet18

CONV = Layer("conv", M=32, C=16, P=14, Q=14, R=3, S=3)


def test_reported_energy_and_cycles_are_the_analysis_of_the_best_mapping():
    arch = preset("eyeriss_like")
    for layer in resnet18().layers[:4]:
        r = Mapper(arch, template="eyeriss_like", budget=100, local_search_rounds=2).search(layer)
        ref = analyze_batch(Problem.from_layer(layer), arch, r.mapping)
        assert bool(ref.valid[0])
        assert (r.energy_pj, r.cycles) == (ref.energy_pj[0], ref.cycles[0])
        assert (r.best.energy_pj, r.best.cycles) == (r.energy_pj, r.cycles)


def test_counts_of_tried_valid_and_analyzed_mappings():
    r = Mapper(preset("eyeriss_like"), budget=200, local_search_rounds=3, elites=4,
               neighbours=8).search(CONV)
    assert r.evaluated == 200 + 3 * 4 * 8  # enough valid samples for four lineages
    assert 0 < r.analyzed <= r.valid <= r.evaluated


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_unit_loops_can_be_reordered_without_changing_any_count(seed):
    """The search's key leaves out the order of loops with factor 1."""
    arch = preset("eyeriss_like")
    problem = Problem.from_layer(CONV)
    rng = np.random.default_rng(seed)
    batch = Mapper(arch).sample(problem, 16, rng)
    perm = batch.permutation.copy()
    for b in range(len(batch)):
        for lvl in range(perm.shape[1]):
            unit = [j for j in range(7) if batch.temporal[b, lvl, perm[b, lvl, j]] == 1]
            perm[b, lvl, unit] = perm[b, lvl, rng.permutation(unit)]
    shuffled = MappingBatch(batch.temporal, perm, batch.spatial_x, batch.spatial_y,
                            batch.keep)
    a, b = analyze_batch(problem, arch, batch), analyze_batch(problem, arch, shuffled)
    for name in ("reads", "fills", "updates", "cycles", "energy_pj", "reason"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_results_are_kept_per_settings_architecture_and_shape():
    clear_search_cache()
    arch = preset("eyeriss_like")
    first = Mapper(arch, budget=50, local_search_rounds=1)
    renamed = Layer("other name", M=32, C=16, P=14, Q=14, R=3, S=3)
    a, b = search_many([(first, CONV), (Mapper(arch, budget=50, local_search_rounds=1),
                                        renamed)])
    assert a is b  # same settings, architecture and shape: one search
    c = Mapper(arch, budget=50, local_search_rounds=1, seed=1).search(CONV)
    assert c is not a
    clear_search_cache()
    again = first.search(CONV)
    assert again is not a and again.mapping.temporal.tolist() == a.mapping.temporal.tolist()


LAYERS = st.builds(
    lambda m, c, p, r, stride: Layer("l", M=m, C=c, P=p, Q=p, R=r, S=r, Hstride=stride,
                                     Wstride=stride),
    st.sampled_from([16, 64, 96]), st.sampled_from([3, 32, 64]), st.sampled_from([7, 14, 28]),
    st.sampled_from([1, 3]), st.sampled_from([1, 2]))


@settings(max_examples=40, deadline=None)
@given(LAYERS, st.sampled_from(["eyeriss_like", "simba_like", "simple_weight_stationary"]),
       st.integers(0, 10_000))
def test_repair_moves_loops_out_until_the_mapping_fits(layer, name, seed):
    """Samples that overflow come back fitting by the analysis' own capacity rule, with
    every dimension's factors still multiplying to the layer's bounds, fixed loops left
    alone and no factor moved inward; a sample that fitted comes back unchanged."""
    arch, problem = preset(name), Problem.from_layer(layer)
    mapper = Mapper(arch)
    batch = mapper.sample(problem, 24, np.random.default_rng(seed))
    before = analyze_batch(problem, arch, batch)
    t, keep = batch.temporal.copy(), batch.keep.copy()
    L = t.shape[1]
    geo = np.array([problem.Hstride, problem.Wstride, problem.Hdilation, problem.Wdilation],
                   dtype=np.float64)
    fits = np.zeros(len(batch), dtype=bool)
    for r in range(len(batch)):
        moves = (L - 1) * sum(len(prime_factors(int(f))) for f in t[r].ravel())
        _, fits[r] = _repair(t, keep, r, batch.spatial_x[r:r + 1], batch.spatial_y[r:r + 1],
                             0, arch.capacity_words(), geo, np.ones((L + 1, 7)), mapper.fixed,
                             moves, np.uint64(seed), np.zeros(8 * L, np.int64))
    after = analyze_batch(problem, arch, MappingBatch(t, batch.permutation, batch.spatial_x,
                                                      batch.spatial_y, keep))
    assert np.array_equal(t.prod(axis=1), batch.temporal.prod(axis=1))
    fixed = mapper.fixed[None] > 0
    assert np.array_equal(np.where(fixed, t, 0), np.where(fixed, batch.temporal, 0))
    level = np.arange(L)[None, :, None]  # per dimension, sum of level x log factor
    assert np.all((level * np.log(t)).sum(axis=1)
                  <= (level * np.log(batch.temporal)).sum(axis=1) + 1e-9)
    fitted = before.reason != TOO_BIG
    assert np.array_equal(t[fitted], batch.temporal[fitted])
    assert np.array_equal(fits, after.reason != TOO_BIG)


def test_every_sample_of_the_adaptive_search_counts():
    """With repairs, the sampled mappings all fit (none is lost to overflow)."""
    r = Mapper(preset("eyeriss_like"), template="eyeriss_like", budget=100,
               local_search_rounds=0).search(resnet18().layers[0])
    assert r.evaluated == r.valid == 100
