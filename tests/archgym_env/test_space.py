"""DesignSpace: round trips, equal-bin reachability, constraints, errors."""

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym_env import ENVIRONMENTS, make
from archgym_env.space import (
    Categorical,
    Condition,
    Constraint,
    Continuous,
    DesignSpace,
    IntRange,
    Ordinal,
    PowerOfTwo,
)
from simulators.errors import InvalidArgumentError, InvalidDesignError

MIXED = DesignSpace(
    (PowerOfTwo("pe", 1, 64), IntRange("banks", 1, 9, 2), Categorical("df", ("os", "ws", "is")),
     Continuous("vdd", 0.6, 1.2, levels=7), Categorical("one", (True,))),
    constraints=(Constraint(lambda d: d["pe"] * d["banks"] <= 256, "pe * banks <= 256"),),
)


def registered_spaces():
    return [make(env_id).unwrapped.space for env_id in ENVIRONMENTS]


def all_spaces():
    return [MIXED, *registered_spaces()]


@pytest.mark.parametrize("space", all_spaces(), ids=lambda s: ",".join(s.names[:2]))
def test_every_choice_reachable_from_equal_bins(space):
    # Sweep each action coordinate over [-1, 1]; every choice of every parameter must appear
    # (the reference project's binning reached only 3 of 8 choices). The other coordinates
    # hold a sampled design in which the parameter is active.
    designs = space.sample(np.random.default_rng(0), 200)
    for k, p in enumerate(space.parameters):
        base = next(d for d in designs if space.active(d)[p.name])
        seen = set()
        for a in np.linspace(-1, 1, 20 * len(p.choices) + 1):
            action = -1 + (2 * space.to_index(base) + 1) / space.nvec
            action[k] = a
            seen.add(space.to_index(space.from_action(action))[k])
        assert seen == set(range(len(p.choices))), p.name


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_index_round_trips(data):
    space = data.draw(st.sampled_from(all_spaces()))
    drawn = np.array([data.draw(st.integers(0, n - 1)) for n in space.nvec])
    design, index = space.from_index(drawn), space.canonical_index(drawn)
    assert np.array_equal(space.to_index(design), index)  # drawn, but inactive ones canonical
    assert space.from_index(space.to_index(design)) == design
    x = space.to_normalized(design)
    assert np.all((0 <= x) & (x <= 1))
    assert space.from_normalized(x) == design
    # Equal bins: the centre of choice i's bin maps back to i.
    centre = -1 + (2 * index + 1) / space.nvec
    assert space.from_action(centre) == design


@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=5, max_size=5))
def test_any_action_decodes_to_a_choice(action):
    design = MIXED.from_action(action)
    assert np.all(MIXED.to_index(design) < MIXED.nvec)


@given(st.lists(st.floats(0, 1), min_size=5, max_size=5))
def test_normalized_maps_to_nearest_choice(x):
    index = MIXED.to_index(MIXED.from_normalized(x))
    steps = MIXED.nvec - 1
    many = steps > 0  # a single-choice parameter takes its one value whatever x says
    distance = np.abs(index[many] / steps[many] - np.array(x)[many])
    assert np.all(distance <= 0.5 / steps[many] + 1e-12)
    assert np.all(index[~many] == 0)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_samples_and_neighbors_respect_constraints(seed):
    rng = np.random.default_rng(seed)
    for design in MIXED.sample(rng, 20):
        assert design["pe"] * design["banks"] <= 256
        assert MIXED.validate(design) == design
        for n in MIXED.neighbors(design):
            assert n["pe"] * n["banks"] <= 256
            assert sum(n[k] != design[k] for k in MIXED.names) == 1


def test_enumerate_counts_only_valid_designs():
    valid = list(MIXED.enumerate())
    brute = sum(pe * b <= 256 for pe in (1, 2, 4, 8, 16, 32, 64) for b in (1, 3, 5, 7, 9)
                for _ in range(3 * 7))
    assert len(valid) == brute
    assert MIXED.size == 7 * 5 * 3 * 7 * 1


def test_sample_is_seeded():
    a = MIXED.sample(np.random.default_rng(3), 10)
    b = MIXED.sample(np.random.default_rng(3), 10)
    assert a == b


def test_gym_spaces():
    assert list(MIXED.gym_space("multidiscrete").nvec) == [7, 5, 3, 7, 1]
    assert MIXED.gym_space("box").shape == (5,)
    assert set(MIXED.gym_space("dict").spaces) == set(MIXED.names)


@pytest.mark.parametrize("design, match", [
    ({"pe": 3, "banks": 1, "df": "os", "vdd": 1.0, "one": True}, r"pe=3 .*powers of two 1\.\.64"),
    ({"pe": 2, "banks": 2, "df": "os", "vdd": 1.0, "one": True}, r"banks=2 .*1\.\.9 in steps of 2"),
    ({"pe": 2, "banks": 1, "df": "xs", "vdd": 1.0, "one": True}, r"df='xs' .*os, ws, is"),
    ({"pe": 2, "banks": 1, "df": "os", "vdd": 1.5, "one": True}, r"vdd=1.5 .*\[0.6, 1.2\]"),
    ({"pe": 2, "banks": 1, "df": "os", "vdd": 1.0, "one": True, "x": 1}, r"parameter='x'"),
    ({"pe": 2, "banks": 1, "df": "os", "vdd": 1.0}, r"one=None"),
    ({"pe": 64, "banks": 9, "df": "os", "vdd": 1.0, "one": True}, r"pe \* banks <= 256"),
])
def test_validate_names_parameter_and_allowed_values(design, match):
    with pytest.raises(InvalidDesignError, match=match):
        MIXED.validate(design)


def test_validate_canonicalizes_numbers_and_completes_defaults():
    d = MIXED.validate({"pe": 8.0, "banks": 3, "df": "ws", "vdd": 0.7, "one": True})
    assert d["pe"] == 8 and isinstance(d["pe"], int)
    assert MIXED.complete({"df": "is"})["df"] == "is"
    assert MIXED.to_index({**d, "vdd": 0.74})[3] == 1  # continuous snaps to the nearest level


@given(st.data())
@settings(max_examples=50, deadline=None)
def test_preferred_is_the_default_as_its_canonical_choice(data):
    for p in MIXED.parameters:
        choice = data.draw(st.sampled_from(p.choices))
        given_as = float(choice) if isinstance(choice, int) and not isinstance(choice, bool) \
            else choice
        preferred = dataclasses.replace(p, preferred=given_as)
        assert preferred.default == choice and type(preferred.default) is type(choice)
        assert preferred.choices == p.choices
    # Without one: the middle choice, the first value of a categorical.
    assert [p.default for p in MIXED.parameters] == [8, 5, "os", pytest.approx(0.9), True]
    with pytest.raises(InvalidDesignError, match="pe"):
        DesignSpace((PowerOfTwo("pe", 1, 64, preferred=3),)).default_design()


# -- conditional and ordinal parameters ------------------------------------------------------

@st.composite
def parameters(draw, name: str):
    kind = draw(st.sampled_from(["categorical", "ordinal", "int", "pow2", "continuous"]))
    if kind in ("categorical", "ordinal"):
        values = tuple(draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4,
                                     unique=True)))
        return (Categorical if kind == "categorical" else Ordinal)(name, values)
    if kind == "int":
        low = draw(st.integers(0, 3))
        return IntRange(name, low, low + draw(st.integers(0, 3)))
    if kind == "pow2":
        return PowerOfTwo(name, 1, 2 ** draw(st.integers(0, 3)))
    return Continuous(name, 0.5, 2.0, levels=draw(st.integers(2, 4)))


@st.composite
def conditional_spaces(draw, max_parameters: int = 5):
    """Up to `max_parameters` parameters, each but the first maybe conditioned on one or two
    earlier ones (so conditions chain)."""
    params = []
    for k in range(draw(st.integers(1, max_parameters))):
        p = draw(parameters(f"p{k}"))
        if k and draw(st.booleans()):
            conditions = {}
            for j in draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=2, unique=True)):
                choices = params[j].choices
                conditions[f"p{j}"] = tuple(draw(st.lists(st.sampled_from(choices), min_size=1,
                                                          max_size=len(choices), unique=True)))
            p = dataclasses.replace(p, active_when=conditions)
        params.append(p)
    return DesignSpace(tuple(params))


def projection(space, design):
    """The design as its active parameters alone: what makes it distinct."""
    mask = space.active(design)
    return tuple((k, v) for k, v in design.items() if mask[k])


def assert_distinct_canonical(space, designs):
    """Every design canonical; two that agree on their active parameters are equal."""
    for d in designs:
        assert space.validate(d) == d
        assert space.from_index(space.to_index(d)) == d
    by_active = {}
    for d in designs:
        assert by_active.setdefault(projection(space, d), d) == d


def every_index(space):
    return np.array(list(itertools.product(*(range(n) for n in space.nvec))), dtype=np.int64)


@given(conditional_spaces())
@settings(max_examples=150, deadline=None)
def test_size_counts_the_distinct_designs_enumeration_finds(space):
    designs = list(space.enumerate())
    distinct = {tuple(row) for row in space.canonical_index(every_index(space)).tolist()}
    assert space.size == len(designs) == len(distinct)
    keys = [tuple(space.to_index(d).tolist()) for d in designs]
    assert keys == sorted(distinct)  # each once, in index order
    assert_distinct_canonical(space, designs)


@given(conditional_spaces())
@settings(max_examples=100, deadline=None)
def test_vectorized_canonical_index_matches_the_design_path(space):
    indices = every_index(space)
    canonical, mask = space.canonical_index(indices), space.active_mask(indices)
    for row, expected, active in zip(indices, canonical, mask, strict=True):
        design = space.from_index(row)
        assert np.array_equal(space.to_index(design), expected)
        assert list(space.active(design).values()) == active.tolist()
        # Inactive parameters hold the canonical choice; active ones what was asked.
        assert np.array_equal(expected[active], row[active])
    assert np.array_equal(space.canonical_index(canonical), canonical)


@given(conditional_spaces(), st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_sampling_and_action_decoding_give_distinct_canonical_designs(space, seed):
    rng = np.random.default_rng(seed)
    assert_distinct_canonical(space, space.sample(rng, 30))
    actions = rng.uniform(-1, 1, size=(30, len(space.parameters)))
    assert_distinct_canonical(space, [space.from_action(a) for a in actions])
    assert_distinct_canonical(space, [space.from_normalized((a + 1) / 2) for a in actions])


@given(conditional_spaces(), st.data())
@settings(max_examples=150, deadline=None)
def test_neighbors_mutate_one_active_parameter_to_distinct_designs(space, data):
    design = data.draw(st.sampled_from(list(space.enumerate())))
    neighbors = space.neighbors(design)
    assert design not in neighbors
    assert_distinct_canonical(space, [design, *neighbors])
    before, index = space.active(design), space.to_index(design)
    for n in neighbors:
        after = space.active(n)
        changed = [k for k in space.names if n[k] != design[k]]
        moved = [k for k in changed if before[k] and after[k]]
        assert len(moved) == 1  # one parameter active in both was mutated ...
        assert all(not after[k] for k in changed if k not in moved)  # ... others deactivated
        k = space.names.index(moved[0])
        if space.parameters[k].ordered:
            assert abs(int(space.to_index(n)[k]) - int(index[k])) == 1
    # Every active parameter's every other choice (or adjacent one) is offered.
    expected = sum(int(index[k] > 0) + int(index[k] < n - 1) if p.ordered else n - 1
                   for k, (p, n) in enumerate(zip(space.parameters, space.nvec, strict=True))
                   if before[p.name])
    assert len(neighbors) == expected


def test_ordinal_neighbors_are_adjacent_and_categorical_ones_any():
    space = DesignSpace((Ordinal("tile", ("4x4", "8x8", "16x16", "32x32")),
                         Categorical("df", ("os", "ws", "is", "rs"))))
    moved = space.neighbors({"tile": "8x8", "df": "ws"})
    assert [d["tile"] for d in moved if d["df"] == "ws"] == ["4x4", "16x16"]
    assert [d["df"] for d in moved if d["tile"] == "8x8"] == ["os", "is", "rs"]
    assert space["tile"].ordered and not space["df"].ordered


NET = DesignSpace((
    IntRange("depth", 1, 3),
    Categorical("kernel3", (3, 5, 7), active_when={"depth": 3}),
    Ordinal("width3", ("narrow", "wide"), active_when=Condition("kernel3", (5, 7))),
    PowerOfTwo("batch", 1, 4),
), constraints=(Constraint(lambda d: d["batch"] <= 2 or d["depth"] < 3, "batch <= 2 at depth 3"),))


def test_inactive_parameters_are_canonical_wherever_a_design_enters():
    shallow = {"depth": 1, "kernel3": 3, "width3": "narrow", "batch": 2}
    assert NET.validate({"depth": 1, "batch": 2}) == shallow  # inactive ones may be left out
    assert NET.validate({**shallow, "kernel3": 7, "width3": "wide"}) == shallow
    assert NET.complete({"depth": 2})["kernel3"] == 3
    # Conditions chain: width3 hangs on kernel3, which exists only at depth 3.
    assert NET.active({"depth": 3, "kernel3": 3, "batch": 1}) == \
        {"depth": True, "kernel3": True, "width3": False, "batch": True}
    assert NET.validate({"depth": 3, "kernel3": 5, "width3": "wide", "batch": 1})["width3"] == \
        "wide"
    assert NET.from_index([0, 2, 1, 1]) == shallow
    assert NET.size == 2 * 3 + (1 + 2 * 2) * 3
    assert len(list(NET.enumerate())) == 2 * 3 + 5 * 2  # the constraint rules out batch 4


@pytest.mark.parametrize("design, match", [
    ({"depth": 3, "batch": 1}, r"kernel3=None .*3, 5, 7"),  # active, so required
    ({"depth": 1, "kernel3": 9, "batch": 1}, r"kernel3=9"),  # inactive, still a choice
])
def test_conditional_validation_names_the_parameter(design, match):
    with pytest.raises(InvalidDesignError, match=match):
        NET.validate(design)


@pytest.mark.parametrize("params, match", [
    ((IntRange("a", 1, 3, active_when={"b": 1}), IntRange("b", 1, 3)), "declared before"),
    ((IntRange("b", 1, 3), IntRange("a", 1, 3, active_when={"b": 5})), r"integers 1\.\.3"),
    ((IntRange("b", 1, 3), IntRange("a", 1, 3, active_when={"c": 1})), "declared before"),
])
def test_bad_conditions_name_the_parameter(params, match):
    with pytest.raises(InvalidArgumentError, match=rf"a\.active_when=.*{match}"):
        DesignSpace(params)


def test_aliases_are_accepted_as_their_values():
    df = Categorical("df", ("ws", "rs"), aliases={"nvdla": "ws", "eyeriss": "rs"})
    space = DesignSpace((df,))
    assert space.validate({"df": "nvdla"}) == {"df": "ws"}
    assert space.to_index({"df": "eyeriss"}).tolist() == [1] and space.size == 2
    with pytest.raises(InvalidDesignError, match=r"df='tpu' .*ws, rs \(or nvdla for ws"):
        space.validate({"df": "tpu"})
    with pytest.raises(InvalidArgumentError, match="df.aliases"):
        Categorical("df", ("ws", "rs"), aliases={"ws": "rs"})


def test_fingerprint_covers_conditions_aliases_and_kinds():
    flat = DesignSpace((IntRange("depth", 1, 3), Categorical("k", (3, 5))))
    fingerprints = {s.fingerprint() for s in (
        flat,
        DesignSpace((IntRange("depth", 1, 3), Categorical("k", (3, 5), active_when={"depth": 3}))),
        DesignSpace((IntRange("depth", 1, 3), Categorical("k", (3, 5), active_when={"depth": 2}))),
        DesignSpace((IntRange("depth", 1, 3), Ordinal("k", (3, 5)))),
        DesignSpace((IntRange("depth", 1, 3), Categorical("k", (3, 5), aliases={"x": 3}))),
    )}
    assert len(fingerprints) == 5
    assert flat.fingerprint() == DesignSpace(flat.parameters).fingerprint()


def test_gym_spaces_of_a_conditional_space_decode_to_canonical_designs():
    space = DesignSpace(NET.parameters)  # without the constraint, so every point is valid
    sampled = space.gym_space("multidiscrete")
    sampled.seed(0)
    designs = [space.from_index(sampled.sample()) for _ in range(200)]
    assert_distinct_canonical(space, designs)
    assert len({tuple(space.to_index(d)) for d in designs}) == space.size
