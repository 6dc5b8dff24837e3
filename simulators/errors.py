"""The one error family of the project: bad input, named and explained."""

from __future__ import annotations

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
