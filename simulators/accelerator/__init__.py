"""Timeloop-class accelerator cost model: architectures, mappings, analysis, mapper.

    architecture  storage hierarchy, fan-out, per-word energies, MAC unit
    technology    45 nm energy/area tables for specs without energies
    mapping       a layer's loop bounds (Problem) and mappings, one or a batch
    analysis      access counts, cycles, energy, validity of many mappings at once
    mapper        dataflow templates and the search for the best mapping
    presets       Eyeriss-, Simba-, NVDLA-, ShiDianNao-, TPU-like and Timeloop's simple designs
    timeloop      Timeloop v0.4 / Accelergy files in and out
    directives    MAESTRO's data-centric directives
    simulator     the Simulator-protocol wrappers behind the environments
"""

from simulators.accelerator.analysis import analyze, analyze_batch
from simulators.accelerator.architecture import (
           Architecture,
           LevelConstraints,
           MacUnit,
           StorageLevel,
)
from simulators.accelerator.mapper import TEMPLATES, Mapper
from simulators.accelerator.mapping import Mapping, MappingBatch, Problem
from simulators.accelerator.presets import PRESETS, preset

__all__ = ["Architecture", "LevelConstraints", "MacUnit", "Mapper", "Mapping", "MappingBatch",
           "PRESETS", "Problem", "StorageLevel", "TEMPLATES", "analyze", "analyze_batch",
           "preset"]
