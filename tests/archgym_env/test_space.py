"""DesignSpace: round trips, equal-bin reachability, constraints, errors."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym_env import ENVIRONMENTS, make
from archgym_env.space import (
    Categorical,
    Constraint,
    Continuous,
    DesignSpace,
    IntRange,
    PowerOfTwo,
)
from simulators.errors import InvalidDesignError

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
    # (the reference project's binning reached only 3 of 8 choices).
    for k, p in enumerate(space.parameters):
        seen = set()
        for a in np.linspace(-1, 1, 20 * len(p.choices) + 1):
            action = np.zeros(len(space.parameters))
            action[k] = a
            seen.add(space.to_index(space.from_action(action))[k])
        assert seen == set(range(len(p.choices))), p.name


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_index_round_trips(data):
    space = data.draw(st.sampled_from(all_spaces()))
    index = np.array([data.draw(st.integers(0, n - 1)) for n in space.nvec])
    design = space.from_index(index)
    assert np.array_equal(space.to_index(design), index)
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
