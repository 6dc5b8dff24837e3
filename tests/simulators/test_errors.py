"""The shared integer check and the exact one-line messages of its callers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.accelerator.architecture import LevelConstraints, StorageLevel
from simulators.accelerator.technology import mac_energy_pj, storage_energy_pj
from simulators.errors import InvalidArgumentError, check_int


@given(st.integers(-5, 70))
def test_check_int_accepts_exactly_the_range(value):
    if 1 <= value <= 64:
        check_int("bits", value, 1, 64)
    else:
        with pytest.raises(InvalidArgumentError, match=r"an integer in 1\.\.64$"):
            check_int("bits", value, 1, 64)
    if value >= 1:
        check_int("n", value)
    else:
        with pytest.raises(InvalidArgumentError, match="a positive integer$"):
            check_int("n", value)


@pytest.mark.parametrize("value", [True, 2.0, "2", None])
def test_check_int_refuses_non_integers(value):
    with pytest.raises(InvalidArgumentError):
        check_int("n", value)


@pytest.mark.parametrize("make, message", [
    (lambda: mac_energy_pj(0), "bits=0 is not allowed; allowed: an integer in 1..64"),
    (lambda: storage_energy_pj(64, 65), "bits=65 is not allowed; allowed: an integer in 1..64"),
    (lambda: StorageLevel("RF", 16, mesh_x=0),
     "RF.mesh_x=0 is not allowed; allowed: a positive integer"),
    (lambda: LevelConstraints(temporal_factors=(("C", True),)),
     "temporal factors C=True is not allowed; allowed: a positive integer"),
])
def test_callers_keep_their_messages(make, message):
    with pytest.raises(InvalidArgumentError) as err:
        make()
    assert str(err.value) == message
