"""A first numba compile says so on stderr; a cached or already loaded kernel is silent."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

from simulators.jit import announce_compile

KERNEL = "from numba import njit\n\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n"


def test_a_first_compile_says_so_and_a_cached_kernel_does_not(tmp_path, capsys):
    (tmp_path / "tiny_kernel.py").write_text(KERNEL)
    sys.path.insert(0, str(tmp_path))
    try:
        kernel = importlib.import_module("tiny_kernel")
        announce_compile(kernel.twice, "twice")
        assert "compiling twice with numba" in capsys.readouterr().err
        assert kernel.twice(3) == 6  # compiles and writes numba's cache
        announce_compile(kernel.twice, "twice")
        assert capsys.readouterr().err == ""
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("tiny_kernel", None)
    code = ("import tiny_kernel; from simulators.jit import announce_compile; "
            "announce_compile(tiny_kernel.twice, 'twice')")
    path = os.pathsep.join([str(tmp_path), *sys.path])
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONPATH": path})
    assert fresh.stderr == ""  # a new process finds it in the cache


def test_numba_loads_without_scipy_linalg_and_compiled_blas_still_works():
    code = ("import sys; from simulators.jit import skip_blas_probe; skip_blas_probe(); "
            "assert 'numba.np.arraymath' in sys.modules; "
            "assert 'scipy.linalg' not in sys.modules; "
            "assert 'scipy.linalg.cython_blas' not in sys.modules; "
            "import numpy as np; from numba import njit; "
            "dot = njit(lambda a, b: np.dot(a, b)); "
            "print(dot(np.arange(3.0), np.ones(3)), 'scipy.linalg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.split() == ["3.0", "True"]  # np.dot compiled against BLAS as usual
