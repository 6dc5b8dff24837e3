"""The compiled adaptive search: consistent with the analysis, keyed dedup, result cache."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.accelerator.analysis import analyze_batch
from simulators.accelerator.mapper import Mapper, clear_search_cache, search_many
from simulators.accelerator.mapping import MappingBatch, Problem
from simulators.accelerator.presets import preset
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
