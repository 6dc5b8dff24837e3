"""The mapper: determinism, templates, the buffer-size property, network totals."""

import dataclasses
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.accelerator.architecture import Architecture, MacUnit, StorageLevel
from simulators.accelerator.mapper import (
    TEMPLATES,
    Mapper,
    _enumerate_choices,
    _slot_arrays,
    _smallest_prime,
    _spatial_choices,
    divisors,
    prime_factors,
)
from simulators.accelerator.mapping import Problem
from simulators.errors import InvalidArgumentError
from simulators.workloads import Layer, network

CONV = Layer("conv", M=32, C=16, P=14, Q=14, R=3, S=3)


def arch(glb_words=8192, spad_words=256, mesh=(8, 8)):
    return Architecture("test", (
        StorageLevel("DRAM", None, read_energy_pj=200, write_energy_pj=200,
                     update_energy_pj=200, read_bandwidth=16, write_bandwidth=16),
        StorageLevel("glb", glb_words, mesh_x=mesh[0], mesh_y=mesh[1], read_energy_pj=6,
                     write_energy_pj=6, update_energy_pj=6, network_energy_pj=2),
        StorageLevel("spad", spad_words, read_energy_pj=1, write_energy_pj=1,
                     update_energy_pj=1),
    ), MacUnit(energy_pj=1.0))


def test_same_seed_same_mapping():
    a = Mapper(arch(), budget=500, seed=7).search(CONV)
    b = Mapper(arch(), budget=500, seed=7).search(CONV)
    assert a.best.mapping == b.best.mapping and a.evaluated == b.evaluated
    assert a.best.valid and a.valid > 0


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_restrict_spatial_dimensions(name):
    t = TEMPLATES[name]
    best = Mapper(arch(), template=name, budget=300, seed=0).search(CONV).best
    m = best.mapping
    for axis, allowed in (("spatial_x", t.spatial_x), ("spatial_y", t.spatial_y)):
        for level in getattr(m, axis):
            for d, f in zip("NMCPQRS", level, strict=True):
                assert f == 1 or d in allowed
    # The template's stationary loops are innermost at every level they occur.
    for order in m.permutation:
        inner = list(reversed(order))[:len(t.inner)]
        assert inner == list(t.inner)


def test_objectives_pick_their_own_best():
    results = {o: Mapper(arch(), objective=o, budget=800, seed=1).search(CONV).best
               for o in ("energy", "cycles", "edp")}
    assert results["energy"].energy_pj <= results["cycles"].energy_pj
    assert results["cycles"].cycles <= results["energy"].cycles
    assert results["edp"].edp <= min(results["energy"].edp, results["cycles"].edp)


LAYERS = st.builds(
    lambda m, c, p, r, stride: Layer("l", M=m, C=c, P=p, Q=p, R=r, S=r, Hstride=stride,
                                     Wstride=stride),
    st.sampled_from([4, 12, 16, 64]), st.sampled_from([3, 6, 8, 32]),
    st.sampled_from([4, 7, 8, 14]), st.sampled_from([1, 3, 5]), st.sampled_from([1, 2]))
# Searches whose result can only improve with larger buffers: the monotone local search
# (small, to keep the test fast) and its sampling alone. (The adaptive search repairs
# what overflows, so even its samples depend on the buffers.)
CAPACITY_MONOTONE = {"sampling only": dict(local_search="monotone", local_search_rounds=0),
                     "monotone local search": dict(local_search="monotone",
                                                   local_search_rounds=4, neighbours=8)}


def dram_words(result):
    return sum(lv[ds][k] for lv in (result.levels["DRAM"],) for ds in lv
               for k in ("reads", "fills", "updates"))


@pytest.mark.parametrize("search", sorted(CAPACITY_MONOTONE))
@settings(max_examples=30, deadline=None)
@given(LAYERS, st.sampled_from([64, 256, 1024, 4096]), st.sampled_from([2, 4]),
       st.integers(0, 1000))
def test_larger_buffer_never_increases_dram_traffic(search, layer, glb, grow, seed):
    small, large = arch(glb_words=glb), arch(glb_words=glb * grow)
    best = [Mapper(a, objective="dram_words", budget=200, seed=seed,
                   **CAPACITY_MONOTONE[search]).search(layer).best for a in (small, large)]
    if best[0] is None:
        return
    assert best[1] is not None and dram_words(best[1]) <= dram_words(best[0])


@settings(max_examples=40, deadline=None)
@given(LAYERS, st.sampled_from(["energy", "cycles", "edp", "dram_words"]),
       st.sampled_from([64, 512, 4096]), st.sampled_from([16, 64, 256]),
       st.sampled_from([1, 2, 8]), st.sampled_from([1, 2, 8]), st.integers(0, 1000))
def test_monotone_search_never_does_worse_with_larger_buffers(layer, objective, glb, spad,
                                                              glb_grow, spad_grow, seed):
    """Any objective, either or both buffers grown, per-access energies unchanged."""
    found = [Mapper(a, objective=objective, budget=200, seed=seed,
                    **CAPACITY_MONOTONE["monotone local search"]).search(layer).best
             for a in (arch(glb, spad), arch(glb * glb_grow, spad * spad_grow))]
    if found[0] is None:
        return
    value = {"energy": lambda b: b.energy_pj, "cycles": lambda b: b.cycles,
             "edp": lambda b: b.edp, "dram_words": dram_words}[objective]
    assert found[1] is not None and value(found[1]) <= value(found[0])


def test_monotone_search_refines_the_samples_deterministically():
    runs = [Mapper(arch(glb_words=1024), budget=300, seed=3, local_search="monotone",
                   local_search_rounds=6, neighbours=8).search(CONV) for _ in range(2)]
    sampled = Mapper(arch(glb_words=1024), budget=300, seed=3,
                     local_search_rounds=0).search(CONV)
    assert runs[0].best.mapping == runs[1].best.mapping
    assert runs[0].evaluated == runs[1].evaluated > sampled.evaluated
    assert runs[0].best.energy_pj < sampled.best.energy_pj


def test_network_totals_add_the_layers():
    net = network("resnet18", resolution=64)
    result = Mapper(arch(), budget=200, seed=0, local_search_rounds=1).map_network(net)
    by_name = {layer.name: r for layer, r in result.layers}
    assert by_name["layer1.0.conv1"] is by_name["layer1.1.conv2"]  # one search per shape
    assert by_name["layer1.0.conv1"] is not by_name["layer2.0.conv1"]
    assert result.mapped and len(result.layers) == len(net.layers)
    assert result.energy_pj == pytest.approx(sum(r.best.energy_pj for _, r in result.layers))
    assert result.cycles == sum(r.best.cycles for _, r in result.layers)
    assert result.macs == net.macs
    assert 0 < result.utilization <= 1


def test_unmappable_layer_reports_no_mapping():
    tiny = dataclasses.replace(arch(), levels=(
        arch().levels[0], dataclasses.replace(arch().levels[1], size_words=1,
                                              keep=("Weights", "Inputs", "Outputs")),
        arch().levels[2]))
    result = Mapper(tiny, budget=50).search(CONV)
    assert result.best is None and result.valid == 0
    assert not np.isfinite(Mapper(tiny, budget=50).map_network([CONV]).energy_pj)


def test_bad_arguments_are_named():
    with pytest.raises(InvalidArgumentError, match="template"):
        Mapper(arch(), template="diagonal")
    with pytest.raises(InvalidArgumentError, match="objective"):
        Mapper(arch(), objective="area")
    with pytest.raises(InvalidArgumentError, match="local_search"):
        Mapper(arch(), local_search="greedy")
    with pytest.raises(InvalidArgumentError, match="budget"):
        Mapper(arch(), budget=0)


@given(st.lists(st.integers(1, 5000), min_size=1, max_size=20))
def test_smallest_prime_divides_and_nothing_smaller_does(values):
    smallest = _smallest_prime(np.array(values))
    for n, p in zip(values, smallest.tolist(), strict=True):
        assert n % p == 0 and all(n % q for q in range(2, p))
        assert (p == 1) == (n == 1)
        assert math.prod(prime_factors(n)) == n


@given(st.integers(1, 3000))
def test_cached_divisors_are_every_divisor_in_order(n):
    found = divisors(n)
    assert found == divisors(n) and isinstance(found, tuple)
    assert list(found) == [d for d in range(1, n + 1) if n % d == 0]
    assert all(d * (n // d) == n for d in found)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3, 6, 7, 12, 16, 28, 56, 64, 100]), min_size=7,
                max_size=7), st.sampled_from(sorted(TEMPLATES)),
       st.sampled_from([(8, 8), (16, 2), (14, 12), (32, 1)]))
def test_spatial_choices_depend_only_on_the_dimensions_a_mesh_may_split(bounds, template,
                                                                       mesh):
    """`Mapper.spatial_choices` shares its enumeration among layers that agree on the
    dimensions its fan-out axes may split: enumerating with every bound gives the same."""
    mapper = Mapper(arch(mesh=mesh), template=template)
    problem = Problem("p", tuple(bounds))
    full = _spatial_choices(tuple(bounds), 3, mapper.slots)
    shared = mapper.spatial_choices(problem)
    assert all(np.array_equal(a, b) for a, b in zip(full, shared, strict=True))


def brute_force_choices(bounds, levels, slots):
    """Every spatial choice, slot by slot: each factor tuple over the slot's dimensions
    (ascending, first dimension slowest) that divides what the slots before leave, has a
    product within the mesh, and leaves no prime that would still fit; all ones if none
    does."""
    out = []

    def walk(i, remaining, sx, sy):
        if i == len(slots):
            out.append((sx.copy(), sy.copy()))
            return
        lvl, axis, mesh, dims = slots[i]
        combos = [f for f in itertools.product(*(divisors(remaining[d]) for d in dims))
                  if math.prod(f) <= mesh
                  and not any(p <= mesh // math.prod(f) for d, x in zip(dims, f, strict=True)
                              for p in prime_factors(remaining[d] // x))]
        target = sx if axis == "x" else sy
        for f in combos or [(1,) * len(dims)]:
            left = list(remaining)
            for d, x in zip(dims, f, strict=True):
                target[lvl, d] = x
                left[d] //= x
            walk(i + 1, left, sx, sy)
            for d in dims:
                target[lvl, d] = 1

    walk(0, list(bounds), np.ones((levels, 7), np.int64), np.ones((levels, 7), np.int64))
    return out


SLOT = st.tuples(st.sampled_from(["x", "y"]), st.sampled_from([2, 3, 8, 12, 16, 64]),
                 st.sets(st.integers(0, 6), max_size=3))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3, 4, 6, 7, 12, 14, 16, 28, 56]), min_size=7,
                max_size=7), st.integers(2, 4), st.lists(SLOT, max_size=4),
       st.integers(1, 40))
def test_compiled_spatial_enumeration_matches_brute_force(bounds, levels, drawn, most):
    """`_enumerate_choices` gives every choice the brute force gives, in its order, and
    with a cap the first ones."""
    seen, slots = set(), []
    for n, (axis, mesh, dims) in enumerate(drawn):
        lvl = 1 + n % (levels - 1)
        if (lvl, axis) not in seen:
            seen.add((lvl, axis))
            slots.append((lvl, axis, mesh, tuple(sorted(dims))))
    slots = tuple(sorted(slots))
    expected = brute_force_choices(bounds, levels, slots)
    for cap in (10 ** 6, most):
        sx, sy = _enumerate_choices(*_slot_arrays(slots), np.array(bounds), levels, cap)
        want = expected[:cap]
        assert len(sx) == len(want)
        assert all(np.array_equal(a, x) and np.array_equal(b, y)
                   for a, b, (x, y) in zip(sx, sy, want, strict=True))
