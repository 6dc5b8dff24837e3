"""Checks of agent hyperparameters: one InvalidArgumentError naming the argument."""

from __future__ import annotations

from collections.abc import Sequence

from simulators.errors import InvalidArgumentError


def check_int(label: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgumentError(label, value, f"an integer >= {low}")
    return value


def check_real(label: str, value: object, low: float, high: float,
               low_open: bool = False, high_open: bool = False) -> float:
    """A number in [low, high], excluding an end marked open."""
    real = isinstance(value, int | float) and not isinstance(value, bool)
    if not (real and (low < value if low_open else low <= value)
            and (value < high if high_open else value <= high)):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise InvalidArgumentError(label, value, f"a number in {interval}")
    return float(value)


def check_choice(label: str, value: object, allowed: Sequence) -> object:
    """One of `allowed`, of the same type (so 1 is not True)."""
    if not any(type(value) is type(a) and value == a for a in allowed):
        raise InvalidArgumentError(label, value, ", ".join(map(str, allowed)))
    return value
