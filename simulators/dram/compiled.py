"""The controller kernel as the simulator calls it: the ahead-of-time build of
`simulators.dram.kernel` where one exists for this very source (`make` builds it with
`python -m simulators.dram.compiled`), else numba's just-in-time one (compiled on first use,
then loaded from numba's cache).

Both are numba's compilation of the same Python source with the same options (`nogil`,
`error_model` of the `njit` decorator), so they return the same arrays. The ahead-of-time
module loads in about a millisecond and imports no numba, where importing numba and loading
its cache take about half a second of every `archgym eval archgym/DRAM-v0`. It is built with
numba.pycc, which numba marks as pending deprecation; without it the just-in-time path
serves. A build is named after a hash of the kernel's source, its layout, numpy and numba,
so a build of any other source is never loaded.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import sys
import threading
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from unittest import mock

import numpy as np

from simulators.jit import announce_compile

PACKAGE = Path(__file__).resolve().parent
SOURCES = ("kernel.py", "layout.py")
# kernel.simulate(arrival, bank, row, is_write, timing, config, record)
SIGNATURE = ("Tuple((i8[:], i8[:], i8[:], i8[:], i8[:, :]))"
             "(i8[:], i4[:], i8[:], b1[:], i8[:], i8[:], b1)")
ARGUMENT_DTYPES = (np.int64, np.int32, np.int64, np.bool_, np.int64, np.int64)
_LOCK = threading.Lock()
_chosen: list[Callable] = []


def module_name() -> str:
    """The ahead-of-time module's name for the kernel source, numpy and numba here."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((PACKAGE / name).read_bytes())
    digest.update(f"numpy {np.__version__} numba {version('numba')}".encode())
    return f"_controller_{digest.hexdigest()[:16]}"


def module_path(directory: Path = PACKAGE) -> Path:
    return directory / (module_name() + importlib.machinery.EXTENSION_SUFFIXES[0])


def load_compiled(directory: Path = PACKAGE) -> Callable | None:
    """The ahead-of-time kernel built in `directory` for this source, None where there is
    none. It checks no argument types (a wrong dtype would crash it), so every array goes
    through `ARGUMENT_DTYPES` first (no copy when it already matches)."""
    path = module_path(directory)
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(path.name.split(".")[0], path)
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError:
        return None
    function = module.simulate

    def simulate(arrival, bank, row, is_write, timing, config, record):
        arrays = (np.ascontiguousarray(a, dtype) for a, dtype in
                  zip((arrival, bank, row, is_write, timing, config), ARGUMENT_DTYPES,
                      strict=True))
        return function(*arrays, bool(record))
    return simulate


def simulate_function() -> Callable:
    """The kernel to call: the ahead-of-time build where it exists, else numba's."""
    with _LOCK:
        if not _chosen:
            function = load_compiled()
            if function is None:
                from simulators.dram import kernel

                announce_compile(kernel.simulate, "the DRAM controller kernel")
                function = kernel.simulate
            _chosen.append(function)
        return _chosen[0]


def build(directory: Path = PACKAGE) -> Path:
    """Compile the kernel ahead of time into `directory` (this package by default) and remove
    the builds of other sources there; the module's path."""
    from numba.core.errors import NumbaPendingDeprecationWarning

    from simulators.dram import kernel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaPendingDeprecationWarning)
        import numba.pycc.compiler as pycc_compiler
        from numba.pycc import CC

    options = dict(kernel.simulate.targetoptions)
    unknown = set(options) - {"nopython", "cache", "nogil", "error_model", "boundscheck"}
    if unknown or options.get("boundscheck"):
        raise RuntimeError(f"no ahead-of-time equivalent for the kernel's options {unknown}")
    plain_flags = pycc_compiler.Flags

    def kernel_flags():  # numba.pycc takes no per-function options: the njit ones, as flags
        flags = plain_flags()
        flags.release_gil = bool(options.get("nogil", False))
        flags.error_model = options.get("error_model", "python")
        return flags

    name = module_name()
    compiler = CC(name)
    compiler.output_dir = str(directory)
    compiler.export("simulate", SIGNATURE)(kernel.simulate.py_func)
    with mock.patch.object(pycc_compiler, "Flags", kernel_flags), warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaPendingDeprecationWarning)
        compiler.compile()
    for old in directory.glob("_controller_*"):
        if old.name != module_path(directory).name:
            old.unlink()
    return module_path(directory)


def main() -> None:
    """Build the kernel ahead of time unless this source's build is there."""
    if module_path().is_file():
        print(f"archgym: the DRAM controller kernel is built ({module_path().name})")
        return
    sys.stderr.write("archgym: compiling the DRAM controller kernel ahead of time, once\n")
    print(f"archgym: built {build().name}")


if __name__ == "__main__":
    main()
