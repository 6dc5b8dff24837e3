"""The ahead-of-time controller kernel: the same arrays as numba's just-in-time build on
generated traces across the controller's options, never a build of another source, and an
`archgym eval` of DRAM-v0 that imports no numba."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.dram import (
    DDR4_2400_X8_4GB,
    LPDDR4_3200_X16_8GB,
    ControllerConfig,
    DRAMSimulator,
    DRAMWorkload,
    compiled,
    generate,
)
from simulators.dram import kernel as k
from simulators.dram.config import CHOICES
from simulators.dram.simulator import config_vector

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def aot(tmp_path_factory):
    """The package's build (`make kernels`), else one built here."""
    function = compiled.load_compiled()
    if function is None:
        directory = tmp_path_factory.mktemp("kernel")
        compiled.build(directory)
        function = compiled.load_compiled(directory)
    assert function is not None
    return function


designs = st.fixed_dictionaries({
    **{name: st.sampled_from(allowed) for name, allowed in CHOICES.items()},
    "RequestBufferSize": st.sampled_from([1, 4, 8, 32]),
    "RefreshMaxPostponed": st.integers(0, 8), "RefreshMaxPulledin": st.integers(0, 8),
    "MaxActiveTransactions": st.sampled_from([1, 16, 128]),
    "RowHitCap": st.sampled_from([0, 1, 4, 16]),
    "WriteDrainHigh": st.sampled_from([0.0, 0.5, 0.8]),
})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(design=designs, spec=st.sampled_from([DDR4_2400_X8_4GB, LPDDR4_3200_X16_8GB]),
       kind=st.sampled_from(["streaming", "random", "hotset", "mixed", "cloud"]),
       reads=st.sampled_from([1.0, 0.75, 0.3]), interval=st.sampled_from([0.5, 2.0, 10.0]),
       mode=st.sampled_from(["timestamped", "saturating"]), record=st.booleans(),
       seed=st.integers(0, 1000))
def test_the_ahead_of_time_kernel_returns_what_numba_s_jit_returns(aot, design, spec, kind,
                                                                     reads, interval, mode,
                                                                     record, seed):
    if design["RefreshPolicy"] == "PerBank" and not spec.has_per_bank_refresh:
        design["RefreshPolicy"] = "AllBank"
    config = ControllerConfig(**{**design, "WriteDrainLow": design["WriteDrainHigh"] / 4})
    sim = DRAMSimulator(spec)
    trace = generate(kind, 400, seed=seed, read_fraction=reads, interval_ns=interval)
    arrival, bank, row, is_write, _ = sim.kernel_inputs(DRAMWorkload(trace, mode))
    inputs = (arrival, bank, row, is_write, sim.timing,
              config_vector(config, spec, mode == "saturating"), record)
    for ours, theirs in zip(aot(*inputs), k.simulate(*inputs), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_arguments_of_other_integer_types_are_converted_not_misread(aot):
    sim = DRAMSimulator(DDR4_2400_X8_4GB)
    arrival, bank, row, is_write, _ = sim.kernel_inputs(DRAMWorkload(generate("mixed", 300)))
    vector = config_vector(ControllerConfig(), sim.spec, False)
    expected = k.simulate(arrival, bank, row, is_write, sim.timing, vector, True)
    converted = aot(arrival.astype(np.int32), bank.astype(np.int64), row.astype(np.uint32),
                    is_write.astype(np.int8), sim.timing, vector, 1)
    for ours, theirs in zip(converted, expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_build_of_another_kernel_source_is_never_loaded(tmp_path, monkeypatch):
    for name in compiled.SOURCES:
        shutil.copy(compiled.PACKAGE / name, tmp_path / name)
    monkeypatch.setattr(compiled, "PACKAGE", tmp_path)
    built_for = compiled.module_name()
    compiled.module_path(tmp_path).write_bytes(b"a build of the source before the edit")
    with (tmp_path / "kernel.py").open("a") as source:
        source.write("\n# an edit\n")
    assert compiled.module_name() != built_for
    assert compiled.load_compiled(tmp_path) is None


@pytest.mark.skipif(compiled.load_compiled() is None,
                    reason="no ahead-of-time kernel in the package (make kernels)")
def test_eval_of_dram_v0_on_the_ahead_of_time_kernel_imports_no_numba():
    code = ("import sys; from agents.cli.main import main; "
            "rc = main(['eval', 'archgym/DRAM-v0', '--json']); "
            "print('numba' in sys.modules, rc, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.stderr.strip().splitlines()[-1] == "False 0", run.stderr
