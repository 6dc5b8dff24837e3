"""Limits on obviously absurd sizes (a budget of 10^12 evaluations, a 10^8-request trace, a
layer dimension of 10^9), each a clear error instead of hours of silent work or all the
memory; `ARCHGYM_ALLOW_LARGE=1` (the CLI's `--allow-large`) lifts them."""

from __future__ import annotations

import os

from simulators.errors import InvalidArgumentError

VARIABLE = "ARCHGYM_ALLOW_LARGE"
MAX_BUDGET = 10_000_000  # evaluations of one run (about 4 GB of stored rows)
MAX_TRACE_REQUESTS = 5_000_000  # a generated DRAM trace (about 80 bytes per request)
MAX_LAYER_DIMENSION = 1 << 20  # N, M, C, P, Q, R or S of one layer


def check_size(name: str, value: int, limit: int) -> None:
    """InvalidArgumentError naming `name` when `value` exceeds `limit`, unless lifted."""
    if value > limit and os.environ.get(VARIABLE) != "1":
        raise InvalidArgumentError(name, value, f"at most {limit:,} (--allow-large or "
                                                f"{VARIABLE}=1 lifts this limit)")
