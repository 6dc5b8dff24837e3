"""Keyed random numbers: each row's draws depend on its key alone, and look uniform."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulators.accelerator.keyed import KeyedRandom, row_keys

keys = st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=20)


@settings(max_examples=50, deadline=None)
@given(keys, st.integers(1, 9))
def test_a_rows_draws_depend_on_its_key_alone(values, width):
    batch = KeyedRandom(np.array(values, dtype=np.uint64))
    together = [batch.random((len(values), width)), batch.integers(0, 7, len(values))]
    for i, key in enumerate(values):
        alone = KeyedRandom(np.array([key], dtype=np.uint64))
        assert np.array_equal(alone.random((1, width))[0], together[0][i])
        assert alone.integers(0, 7, 1)[0] == together[1][i]


def test_draws_are_uniform_and_independent_across_keys():
    draws = KeyedRandom(np.arange(2000, dtype=np.uint64)).random((2000, 8))
    assert ((draws >= 0) & (draws < 1)).all()
    assert stats.kstest(draws.ravel(), "uniform").pvalue > 1e-3
    # Neighbouring keys and neighbouring draws are uncorrelated.
    assert abs(np.corrcoef(draws[:-1, 0], draws[1:, 0])[0, 1]) < 0.1
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 0.1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(1, 64), min_size=6, max_size=6), min_size=2,
                max_size=30), st.integers(0, 1000))
def test_row_keys_are_equal_exactly_for_equal_rows(rows, salt):
    a = np.array(rows)
    k = row_keys([a[:, :3], a[:, 3:] > 32], salt)
    for i in range(len(rows)):
        for j in range(len(rows)):
            same = rows[i][:3] == rows[j][:3] and [v > 32 for v in rows[i][3:]] == \
                [v > 32 for v in rows[j][3:]]
            assert (k[i] == k[j]) == same
    assert not np.array_equal(k, row_keys([a[:, :3], a[:, 3:] > 32], salt + 1))
