"""The one error family of the project: bad input, named and explained."""

from __future__ import annotations

import math
from typing import Any


class ArchGymError(Exception):
    """Base of every error ArchGym raises on bad input; the CLI prints it as one line."""


class InvalidArgumentError(ArchGymError, ValueError):
    """A named parameter got a value outside what is allowed."""

    def __init__(self, name: str, value: Any, allowed: str):
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"{name}={value!r} is not allowed; allowed: {allowed}")


class InvalidDesignError(InvalidArgumentError):
    """A design names an unknown parameter, misses one, or breaks a choice or constraint."""


def check_int(name: str, value: object, low: int = 1, high: int | None = None) -> None:
    """A positive integer, or one in low..high when high is given; InvalidArgumentError
    naming `name` otherwise (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or \
            (high is not None and value > high):
        raise InvalidArgumentError(name, value, "a positive integer" if high is None
                                   else f"an integer in {low}..{high}")


def check_positive(name: str, value: object) -> None:
    """A finite positive number (bools refused); InvalidArgumentError naming `name` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(name, value, "a positive number")
