"""The analysis against Timeloop's own reference outputs.

Source: Accelergy-Project/timeloop-accelergy-exercises, workspace/tutorial_exercises/
01_accelergy_timeloop_2020_ispass/timeloop/*/ref-output/*/timeloop-model.stats.txt (model
runs with a fixed mapping, regenerated 2024-05 with Timeloop v3.0.3), and the 2020
baseline_designs/example_designs/ mapper runs (commit 7252362). Counts there are per
instance; here they are totals over instances. Timeloop v3 no longer fills an output
tile's first residency (it starts from zero); the 2020 runs did, so their output fills
here are theirs less one per distinct output word of each instance.
"""

from pathlib import Path

import pytest

from simulators.accelerator.analysis import analyze
from simulators.accelerator.architecture import DIMS, Architecture, MacUnit, StorageLevel
from simulators.accelerator.mapping import Mapping
from simulators.accelerator.timeloop import load_arch
from simulators.workloads import Layer

ONE = (1,) * 7
ALL = (True, True, True)


def factors(**kw):
    return tuple(kw.get(d, 1) for d in DIMS)


def level(name, words, pj, **kw):
    return StorageLevel(name, words, read_energy_pj=pj, write_energy_pj=pj, update_energy_pj=pj,
                        **kw)


def counts(result, name):
    return {ds: (v["reads"], v["fills"], v["updates"]) for ds, v in result.levels[name].items()}


def test_conv1d_two_level_weight_stationary():
    """01-model-conv1d-2level, ref-output/ws: P=16, R=3; MainMemory loops R3, Buffer P16.

    Inputs leave MainMemory 18 times, not 48: the R loop slides a 16-wide window by one.
    Outputs: 32 reads, no fill, 48 updates (32 temporal reductions)."""
    arch = Architecture("2level", (level("MainMemory", None, 39.88 / 8),
                                   level("Buffer", 64, 0.42)), MacUnit(0.6))
    mapping = Mapping((factors(R=3), factors(P=16)), (DIMS, DIMS), (ONE, ONE), (ONE, ONE),
                      (ALL, ALL))
    r = analyze(Layer("conv1d", M=1, C=1, P=16, R=3), arch, mapping)
    assert counts(r, "MainMemory") == {"Weights": (3, 0, 0), "Inputs": (18, 0, 0),
                                       "Outputs": (0, 0, 16)}
    assert counts(r, "Buffer") == {"Weights": (48, 3, 0), "Inputs": (48, 18, 0),
                                   "Outputs": (32, 0, 48)}
    # Buffer energies (block size 1, 0.42 pJ per access): 51, 66 and 80 accesses.
    buffer = r.levels["Buffer"]
    assert [buffer[ds]["energy_pj"] for ds in ("Weights", "Inputs", "Outputs")] == \
        pytest.approx([21.42, 27.72, 33.6])
    assert r.cycles == 48 and r.utilization == 1.0


SPATIAL = Architecture("3levelspatial", (
    level("MainMemory", None, 64.0),
    level("GlobalBuffer", 262144, 102.86 / 32, mesh_x=16),
    level("RegisterFile", 64, 0.42),
), MacUnit(0.6))
LAYER = Layer("conv1d+oc+ic", M=32, C=32, P=16, R=3)


@pytest.mark.parametrize("case, glb, order, spatial, expected", [
    # 04-model-conv1d+oc-3levelspatial, ref-output/kp: GlobalBuffer C32 K2 R3, K16 across
    # meshX (output channels in parallel: inputs multicast to the 16 register files).
    ("kp", factors(C=32, M=2, R=3), "CMR", factors(M=16), {
        "MainMemory": {"Weights": (3072, 0, 0), "Inputs": (576, 0, 0), "Outputs": (0, 0, 512)},
        "GlobalBuffer": {"Weights": (3072, 3072, 0), "Inputs": (1152, 576, 0),
                         "Outputs": (15872, 0, 16384)},
        "RegisterFile": {"Weights": (16 * 3072, 16 * 192, 0), "Inputs": (16 * 3072, 16 * 1152, 0),
                         "Outputs": (16 * 3040, 16 * 992, 16 * 3072)}}),
    # ref-output/cp: GlobalBuffer C2 K32 R3, C16 across meshX (input channels in parallel:
    # partial sums of the 16 register files reduced on the way up).
    ("cp", factors(C=2, M=32, R=3), "CMR", factors(C=16), {
        "MainMemory": {"Weights": (3072, 0, 0), "Inputs": (576, 0, 0), "Outputs": (0, 0, 512)},
        "GlobalBuffer": {"Weights": (3072, 3072, 0), "Inputs": (18432, 576, 0),
                         "Outputs": (512, 0, 1024)},
        "RegisterFile": {"Weights": (16 * 3072, 16 * 192, 0), "Inputs": (16 * 3072, 16 * 1152, 0),
                         "Outputs": (16 * 2560, 16 * 512, 16 * 3072)}}),
])
def test_conv1d_three_level_spatial(case, glb, order, spatial, expected):
    perm = tuple(d for d in DIMS if d not in order) + tuple(order)
    mapping = Mapping((ONE, glb, factors(P=16)), (DIMS, perm, DIMS), (ONE, spatial, ONE),
                      (ONE, ONE, ONE), (ALL, ALL, ALL))
    r = analyze(LAYER, SPATIAL, mapping)
    assert r.valid, case
    for name, per_ds in expected.items():
        assert counts(r, name) == per_ds, (case, name)
    # Timeloop: 3072 cycles, all 16 MACs busy; RegisterFile energy (0.42 pJ per access).
    assert r.cycles == 3072 and r.utilization == 1.0
    rf_total = sum(v["energy_pj"] for v in r.levels["RegisterFile"].values())
    rf_accesses = sum(sum(per_ds) for per_ds in expected["RegisterFile"].values())
    assert rf_total == pytest.approx(0.42 * rf_accesses)


DATA = Path(__file__).parents[3] / ".." / "shared" / "data" / "timeloop"


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Timeloop examples absent")
def test_alexnet_conv1_on_simple_output_stationary():
    """baseline_designs/example_designs/simple_output_stationary/example_AlexNet_layer1_outputs:
    the mapping Timeloop's mapper chose (timeloop-mapper.map.txt) and its stats: network
    ingresses DRAM -> shared_glb (Weights 34848, Inputs 173655, Outputs 290400) and
    shared_glb -> pe_spad (Weights 871200, Inputs 6588450 at multicast 16), 2196150 cycles,
    utilization 0.19, 105415200 MACCs."""
    d = DATA / "simple_output_stationary"
    arch = load_arch(d / "arch.yaml", d / "ERT_summary.yaml").architecture
    layer = Layer("alexnet.conv1", M=96, C=3, P=55, Q=55, R=11, S=11, Hstride=4, Wstride=4)
    kept = lambda *ds: tuple(x in ds for x in ("Weights", "Inputs", "Outputs"))  # noqa: E731
    order = lambda inner: tuple(d for d in DIMS if d not in inner) + tuple(inner)  # noqa: E731
    mapping = Mapping(
        (factors(Q=5, P=5), factors(M=6), factors(S=11, R=11), factors(Q=11, P=11), ONE, ONE),
        (order("QP"), DIMS, order("SR"), order("QP"), DIMS, DIMS),
        (ONE, factors(C=3), ONE, ONE, ONE, ONE), (ONE, factors(M=16), ONE, ONE, ONE, ONE),
        (ALL, kept("Weights", "Inputs"), kept("Outputs"), kept("Weights"), kept("Inputs"),
         kept("Outputs")))
    r = analyze(layer, arch, mapping)
    assert r.valid and r.macs == 105415200
    assert counts(r, "DRAM")["Weights"][0] == 34848
    assert counts(r, "DRAM")["Inputs"][0] == pytest.approx(173655)
    assert counts(r, "DRAM")["Outputs"] == (0, 0, 290400)
    assert counts(r, "shared_glb")["Weights"][0] == 871200
    assert counts(r, "shared_glb")["Inputs"][0] == pytest.approx(6588450)
    assert r.cycles == 2196150 and r.utilization == pytest.approx(0.1875)


def test_alexnet_conv1_row_stationary_on_eyeriss():
    """baseline_designs/example_designs/eyeriss_like/example_AlexNet_layer1_outputs/
    timeloop-mapper.stats.txt: the levels as its SPECS list them (a 14-wide shared_glb
    fan-out, a 12-high DummyBuffer fan-out, 12/192/16-word spads) and the mapping its
    MAPPING sections give (DRAM Q55 C3; shared_glb P55, M12 across X; S11 across Y;
    weights_spad R11; psum_spad M8). Per-instance counts there, times 132 used PEs here."""
    lv = lambda name, size, **kw: level(name, size, 1.0, **kw)  # noqa: E731
    arch = Architecture("eyeriss", (
        lv("DRAM", None),
        lv("shared_glb", 65536, mesh_x=14, keep=("Inputs", "Outputs"), bypass=("Weights",)),
        lv("DummyBuffer", 16, mesh_y=12, bypass=("Weights", "Inputs", "Outputs")),
        lv("ifmap_spad", 12, keep=("Inputs",), bypass=("Weights", "Outputs")),
        lv("weights_spad", 192, keep=("Weights",), bypass=("Inputs", "Outputs")),
        lv("psum_spad", 16, keep=("Outputs",), bypass=("Weights", "Inputs")),
    ), MacUnit(2.2))
    layer = Layer("alexnet.conv1", M=96, C=3, P=55, Q=55, R=11, S=11, Hstride=4, Wstride=4)
    kept = lambda *ds: tuple(x in ds for x in ("Weights", "Inputs", "Outputs"))  # noqa: E731
    mapping = Mapping(
        (factors(Q=55, C=3), factors(P=55), ONE, ONE, factors(R=11), factors(M=8)),
        (("N", "M", "P", "R", "S", "Q", "C"), DIMS, DIMS, DIMS, DIMS, DIMS),
        (ONE, factors(M=12), ONE, ONE, ONE, ONE), (ONE, ONE, factors(S=11), ONE, ONE, ONE),
        (ALL, kept("Inputs", "Outputs"), kept(), kept("Inputs"), kept("Weights"),
         kept("Outputs")))
    r = analyze(layer, arch, mapping)
    assert r.valid and r.cycles == 798600 and r.utilization == pytest.approx(132 / 168)
    assert counts(r, "DRAM") == {"Weights": (1916640, 0, 0), "Inputs": (412005, 0, 0),
                                 "Outputs": (0, 0, 290400)}
    glb = counts(r, "shared_glb")
    assert glb["Inputs"] == (412005, 412005, 0) and glb["Outputs"] == (580800, 0, 871200)
    assert counts(r, "ifmap_spad")["Inputs"] == (132 * 798600, 132 * 37455, 0)
    assert counts(r, "weights_spad")["Weights"] == (132 * 798600, 132 * 14520, 0)
    # 2020 fills 72600 per PE, less its 290400 / 12 = 24200 outputs (M12 across X).
    assert counts(r, "psum_spad")["Outputs"] == (132 * 774400, 132 * 48400, 132 * 798600)
