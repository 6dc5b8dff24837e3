"""A line on stderr before numba compiles a kernel that its on-disk cache does not hold, so
a first run's compile (tens of seconds on a busy machine) is never silent."""

from __future__ import annotations

import sys
from typing import Any


def announce_compile(dispatcher: Any, what: str) -> None:
    """Tell the terminal that `dispatcher` (an `njit(cache=True)` function) is about to
    compile: nothing compiled or loaded in this process yet and nothing in numba's cache for
    this source."""
    if dispatcher.signatures:
        return
    try:  # numba's cache index (internal API): empty when missing or the source changed
        cached = bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - any change in numba's internals: say it rather than not
        cached = False
    if not cached:
        sys.stderr.write(f"archgym: compiling {what} with numba, once: later runs load it "
                         "from numba's cache\n")
        sys.stderr.flush()
