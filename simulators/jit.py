"""Before a numba kernel's first use: a line on stderr when numba must compile it (its
on-disk cache does not hold it), so a first run's compile (tens of seconds on a busy
machine) is never silent; and numba's numpy support loaded without its BLAS probe."""

from __future__ import annotations

import sys
import threading
from typing import Any

_PROBE_LOCK = threading.Lock()  # DRAM designs run on threads: one import, one cleanup


def announce_compile(dispatcher: Any, what: str) -> None:
    """Tell the terminal that `dispatcher` (an `njit(cache=True)` function) is about to
    compile: nothing compiled or loaded in this process yet and nothing in numba's cache for
    this source."""
    if dispatcher.overloads:  # (not `signatures`, which lists and hashes them on each call)
        return
    skip_blas_probe()
    try:  # numba's cache index (internal API): empty when missing or the source changed
        cached = bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - any change in numba's internals: say it rather than not
        cached = False
    if not cached:
        sys.stderr.write(f"archgym: compiling {what} with numba, once: later runs load it "
                         "from numba's cache\n")
        sys.stderr.flush()


def skip_blas_probe() -> None:
    """Import numba.np.arraymath (which numba loads before its first compile or cache load)
    without the scipy.linalg import it makes only to choose the inner product of compiled
    np.cov, np.corrcoef and similar (a BLAS dot or a plain loop: its `_HAVE_BLAS`); no
    kernel here calls them. The import costs 0.4-0.6 s of CPU, a quarter of
    `archgym eval archgym/DRAM-v0` on a 200,000-request trace. Compiled np.dot and
    np.linalg still import BLAS when they compile (numba.np.linalg.ensure_blas). Nothing
    changes once numba's numpy support or scipy.linalg is loaded."""
    with _PROBE_LOCK:
        if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
            return
        sys.modules["scipy.linalg.cython_blas"] = None  # makes its import raise ImportError
        try:
            import numba.np.arraymath  # noqa: F401
        finally:
            if sys.modules.get("scipy.linalg.cython_blas", 0) is None:
                del sys.modules["scipy.linalg.cython_blas"]
