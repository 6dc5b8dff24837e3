"""Preset architectures written from published parameters; energies and areas from the
technology tables (45 nm), so they are comparable with each other, not with silicon.

The Timeloop-example designs follow the structure of timeloop-accelergy-exercises
(v0.4 `eyeriss_like`, `simba_like`, `simple_output_stationary`, `simple_weight_stationary`
arch.yaml files) with the sizes of the papers they model.
"""

from __future__ import annotations

from simulators.accelerator.architecture import Architecture, LevelConstraints
from simulators.accelerator.technology import mac_unit, technology_level
from simulators.errors import InvalidArgumentError

DRAM_ONLY = ("Weights", "Inputs", "Outputs")


def _keep(*kept: str) -> dict:
    return {"keep": kept, "bypass": tuple(ds for ds in DRAM_ONLY if ds not in kept)}


def _spatial(x: str, y: str, fixed_one: str = "") -> LevelConstraints:
    return LevelConstraints(spatial_x=tuple(x), spatial_y=tuple(y),
                            spatial_factors=tuple((d, 1) for d in fixed_one))


def eyeriss_like() -> Architecture:
    """Eyeriss (Chen et al., ISCA 2016 Sec. V; JSSC 2017 Table I): 12 x 14 PEs, 16-bit,
    108 KB global buffer for inputs and psums, per-PE spads of 12 inputs, 224 weights and
    24 psums; row stationary (filter rows down the 12 PE rows, output rows across the 14
    columns)."""
    bits = 16
    return Architecture("eyeriss_like", (
        technology_level("DRAM", None, bits, bits),
        technology_level("shared_glb", 108 * 1024 * 8 // bits, bits, bits, mesh_x=14,
                         mesh_y=12, constraints=_spatial("QM", "SCM"), **_keep("Inputs",
                                                                                "Outputs")),
        technology_level("ifmap_spad", 12, bits, bits, **_keep("Inputs")),
        technology_level("weights_spad", 224, bits, bits, **_keep("Weights")),
        technology_level("psum_spad", 24, bits, bits, **_keep("Outputs")),
    ), mac_unit(bits))


def simba_like() -> Architecture:
    """One Simba chiplet (Shao et al., MICRO 2019, Sec. III / Table I): 16 PEs, each with an
    8 KB input buffer, 8 vector MACs of 8 lanes with 32 KB of weight buffer (4 KB each) and
    3 KB of 24-bit accumulation buffer (384 B each); 64 KB global PE buffer; 8-bit."""
    bits = 8
    return Architecture("simba_like", (
        technology_level("DRAM", None, bits, bits),
        technology_level("GlobalBuffer", 64 * 1024, bits, bits, mesh_x=16,
                         constraints=_spatial("MC", "", "RSPQN"), **_keep("Inputs", "Outputs")),
        technology_level("PEInputBuffer", 8 * 1024, bits, bits, mesh_y=8,
                         constraints=_spatial("", "M", "PQRSCN"), **_keep("Inputs")),
        technology_level("PEWeightBuffer", 4 * 1024, bits, bits, **_keep("Weights")),
        technology_level("PEAccuBuffer", 384 * 8 // 24, 24, bits, mesh_y=8,
                         constraints=_spatial("", "C", "PQRSMN"), **_keep("Outputs")),
        technology_level("PEWeightRegs", 1, bits, bits, **_keep("Weights")),
    ), mac_unit(bits))


def _simple(name: str, stationary: str) -> Architecture:
    """Timeloop's simple 16 x 16 array (input channels across meshX, output channels down
    meshY), 16-bit words, a 128 KB global buffer, a 192-word PE scratchpad holding the
    stationary data space and one-word operand registers."""
    bits = 16
    return Architecture(name, (
        technology_level("DRAM", None, bits, bits),
        technology_level("shared_glb", 16384 * 64 // bits, bits, bits, mesh_x=16, mesh_y=16,
                         constraints=_spatial("C", "M")),
        technology_level("pe_spad", 192, bits, bits, **_keep(stationary)),
        technology_level("weight_reg", 1, bits, bits, **_keep("Weights")),
        technology_level("input_activation_reg", 1, bits, bits, **_keep("Inputs")),
        technology_level("output_activation_reg", 1, bits, bits, **_keep("Outputs")),
    ), mac_unit(bits))


def simple_output_stationary() -> Architecture:
    return _simple("simple_output_stationary", "Outputs")


def simple_weight_stationary() -> Architecture:
    return _simple("simple_weight_stationary", "Weights")


def nvdla_like() -> Architecture:
    """NVDLA nv_full (NVDLA hardware architecture docs, "Convolution Core"): 2048 int8
    MACs as atomic-K 32 kernels x atomic-C 64 channels, a 512 KB convolution buffer for
    weights and inputs, partial sums reduced across C and accumulated per kernel in the
    accumulator (CACC; 32-bit entries)."""
    bits = 8
    return Architecture("nvdla_like", (
        technology_level("DRAM", None, bits, bits),
        technology_level("CBUF", 512 * 1024, bits, bits, mesh_y=32,
                         constraints=_spatial("", "M"), **_keep("Weights", "Inputs")),
        technology_level("CACC", 1024, 32, bits, mesh_x=64, constraints=_spatial("C", ""),
                         **_keep("Outputs")),
        technology_level("weight_reg", 1, bits, bits, **_keep("Weights")),
    ), mac_unit(bits))


def shidiannao_like() -> Architecture:
    """ShiDianNao (Du et al., ISCA 2015, Sec. 5 / Table 4): 8 x 8 PEs, 16-bit, NBin and
    NBout 64 KB, SB (weights) 128 KB; each PE computes one output neuron in place
    (output stationary) with its input and output registers."""
    bits = 16
    return Architecture("shidiannao_like", (
        technology_level("DRAM", None, bits, bits),
        technology_level("NBin", 64 * 1024 * 8 // bits, bits, bits, **_keep("Inputs")),
        technology_level("SB", 128 * 1024 * 8 // bits, bits, bits, **_keep("Weights")),
        technology_level("NBout", 64 * 1024 * 8 // bits, bits, bits, mesh_x=8, mesh_y=8,
                         constraints=_spatial("Q", "P"), **_keep("Outputs")),
        technology_level("input_reg", 1, bits, bits, **_keep("Inputs")),
        technology_level("output_reg", 1, bits, bits, **_keep("Outputs")),
    ), mac_unit(bits))


def tpu_like() -> Architecture:
    """TPU v1 (Jouppi et al., ISCA 2017, Sec. 2): a 256 x 256 int8 weight-stationary
    systolic array; 24 MiB unified buffer for activations; a weight FIFO four 64 KB tiles
    deep; 4 MiB of 32-bit accumulators (4096 per column); weight DRAM at 34 GB/s, about
    48 bytes per 700 MHz cycle."""
    bits = 8
    dram = technology_level("DRAM", None, bits, bits, read_bandwidth=48.0,
                            write_bandwidth=48.0)
    return Architecture("tpu_like", (
        dram,
        technology_level("UnifiedBuffer", 24 * 1024 * 1024, bits, bits,
                         **_keep("Inputs", "Outputs")),
        technology_level("WeightFIFO", 4 * 64 * 1024, bits, bits, mesh_y=256,
                         constraints=_spatial("", "M"), **_keep("Weights")),
        technology_level("Accumulators", 4096, 32, bits, mesh_x=256,
                         constraints=_spatial("C", ""), **_keep("Outputs")),
        technology_level("weight_reg", 1, bits, bits, **_keep("Weights")),
    ), mac_unit(bits))


PRESETS = {f.__name__: f for f in (
    eyeriss_like, simba_like, simple_output_stationary, simple_weight_stationary, nvdla_like,
    shidiannao_like, tpu_like)}
# The dataflow template each preset is built for (None: its own spatial constraints say it).
PRESET_TEMPLATES = {
    "eyeriss_like": "eyeriss_like", "simba_like": None,
    "simple_output_stationary": None,
    "simple_weight_stationary": "weight_stationary", "nvdla_like": "nvdla_like",
    "shidiannao_like": "shidiannao_like", "tpu_like": "tpu_like"}


def preset(name: str) -> Architecture:
    if name not in PRESETS:
        raise InvalidArgumentError("preset", name, ", ".join(PRESETS))
    return PRESETS[name]()
