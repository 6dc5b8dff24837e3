"""The accelerator cost model behind the Simulator protocol, for the two environments.

`AcceleratorSimulator`: a design names an Eyeriss-style architecture (PE mesh, per-PE
scratchpads per data space, global buffer size and banks, NoC and DRAM bandwidth, dataflow
template, precision); the mapper maps every layer of the workload inside the call.

`MappingSimulator`: a design is a mapping of one layer on a fixed architecture, as flat
choices (temporal factor per level and dimension, parallel dimension and factor per fan-out
axis, loop order per level, free keep/bypass choices). Invalid mappings come back with
no metrics and the reason in the batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from simulators.accelerator.analysis import LayerResult, analyze
from simulators.accelerator.architecture import DATASPACES, DIMS, Architecture
from simulators.accelerator.elementwise import with_elementwise
from simulators.accelerator.mapper import (
    LOCAL_SEARCHES,
    TEMPLATES,
    Mapper,
    NetworkResult,
    _layers,
    divisors,
    prime_factors,
    search_many,
)
from simulators.accelerator.mapping import Mapping, Problem, as_problem, loop_order
from simulators.accelerator.technology import mac_unit, technology_level
from simulators.base import (
    BatchResult,
    CostModel,
    Design,
    Designs,
    Metric,
    Metrics,
    clocked,
    design_rows,
)
from simulators.elementwise import elementwise_layers
from simulators.errors import InvalidArgumentError, InvalidDesignError, check_positive
from simulators.workloads import Elementwise, Layer, Network

ACCELERATOR_KEYS = ("pe_x", "pe_y", "ifmap_spad_words", "weights_spad_words",
                    "psum_spad_words", "glb_kb", "glb_banks", "noc_bandwidth_words",
                    "dram_bandwidth_words", "dataflow", "precision_bits")
# The mapper's samples and local-search rounds per layer unless given, per local search.
# The adaptive search repairs samples and mutants that overflow (`search._repair`), so all
# of its samples count: with 70 and 2 it reaches lower energies than with 300 and 4 did
# before repairs, on each of five sets of 30 random designs, in 0.7 of the time (issue 14).
MAPPER_DEFAULTS = {"adaptive": (70, 2), "monotone": (300, 4)}
BANK_BITS = 64  # one global-buffer bank reads a 64-bit row per cycle (Eyeriss-like banks)
# What both simulators report for a run (a network, or one layer's mapping).
METRICS = (
    Metric("latency_cycles", "cycles", "min", "cycles of all layers, one after another"),
    Metric("latency_s", "s", "min", "latency_cycles at clock_ghz"),
    Metric("energy_pj", "pJ", "min", "access and MAC energy (technology tables)"),
    Metric("power_mw", "mW", "min", "energy_pj / latency_s"),
    Metric("area_mm2", "mm2", "min", "storage and MAC area"),
    Metric("edp_pj_s", "pJ*s", "min", "energy_pj x latency_s"),
    Metric("utilization", "fraction", "max", "MACs / (MAC units x latency_cycles)"),
)


def build_architecture(design: Design) -> Architecture:
    """An Eyeriss-style hierarchy: DRAM, global buffer over a pe_x x pe_y mesh, three
    per-PE scratchpads (inputs, weights, partial sums), MACs; technology-table energies."""
    missing = [k for k in ACCELERATOR_KEYS if k not in design]
    if missing:
        raise InvalidDesignError(missing[0], None, "a value for every key of "
                                 + ", ".join(ACCELERATOR_KEYS))
    bits = int(design["precision_bits"])
    glb_bw = min(float(design["noc_bandwidth_words"]),
                 design["glb_banks"] * max(1, BANK_BITS // bits))
    dram_bw = float(design["dram_bandwidth_words"])
    return Architecture(f"accelerator{tuple(design[k] for k in ACCELERATOR_KEYS)}", (
        technology_level("DRAM", None, bits, bits, read_bandwidth=dram_bw,
                         write_bandwidth=dram_bw),
        technology_level("global_buffer", int(design["glb_kb"]) * 8192 // bits, bits, bits,
                         mesh_x=int(design["pe_x"]), mesh_y=int(design["pe_y"]),
                         read_bandwidth=glb_bw, write_bandwidth=glb_bw),
        technology_level("ifmap_spad", int(design["ifmap_spad_words"]), bits, bits,
                         keep=("Inputs",), bypass=("Weights", "Outputs")),
        technology_level("weights_spad", int(design["weights_spad_words"]), bits, bits,
                         keep=("Weights",), bypass=("Inputs", "Outputs")),
        # Partial sums accumulate at twice the operand width.
        technology_level("psum_spad", int(design["psum_spad_words"]), 2 * bits, bits,
                         keep=("Outputs",), bypass=("Weights", "Inputs")),
    ), mac_unit(bits))


def _metrics(cycles: float, energy: float, area: float, utilization: float,
             clock_ghz: float) -> Metrics:
    return {"latency_cycles": cycles, "energy_pj": energy, "area_mm2": area,
            "utilization": utilization, **clocked(cycles, energy, clock_ghz)}


class AcceleratorSimulator(CostModel):
    """Architecture search: each design's layers are mapped by the mapper, then summed.

    Args:
        objective: what the mapper minimizes per layer (energy, cycles, edp).
        mapper_budget, mapper_rounds, seed: the mapper's samples, local-search rounds
            (None: the local search's MAPPER_DEFAULTS), seed.
        mapper_search: the mapper's local search, adaptive or monotone (larger buffers
            never make a design's per-layer objective worse; about 25x slower).
        clock_ghz: clock frequency used to turn cycles into seconds.
    """

    version = "4"  # bump when the same inputs could give other numbers
    metrics = METRICS

    def __init__(self, objective: str = "energy", mapper_budget: int | None = None,
                 mapper_rounds: int | None = None, seed: int = 0,
                 mapper_search: str = "adaptive", clock_ghz: float = 1.0):
        if mapper_search not in LOCAL_SEARCHES:
            raise InvalidArgumentError("mapper_search", mapper_search, ", ".join(LOCAL_SEARCHES))
        check_positive("clock_ghz", clock_ghz)
        budget, rounds = MAPPER_DEFAULTS[mapper_search]
        self.clock_ghz, self.objective = clock_ghz, objective
        self.mapper_budget = budget if mapper_budget is None else mapper_budget
        self.mapper_rounds = rounds if mapper_rounds is None else mapper_rounds
        self.seed, self.mapper_search = seed, mapper_search
        self.mapper(build_architecture(_DEFAULT), None)  # checks the arguments

    def mapper(self, arch: Architecture, template: str | None) -> Mapper:
        """The mapper this simulator runs on `arch`: its objective, budget, rounds, seed
        and local search."""
        return Mapper(arch, template=template, objective=self.objective,
                      budget=self.mapper_budget, seed=self.seed,
                      local_search_rounds=self.mapper_rounds,
                      local_search=self.mapper_search)

    def prepare(self, workload: Network | Layer | Sequence[Layer]) -> tuple:
        """The workload's MAC layers, then its layers without MACs (a tuple comes back as
        is)."""
        if isinstance(workload, tuple):
            return workload
        return tuple(_layers(workload)) + elementwise_layers(workload)

    def run(self, design: Design, workload) -> NetworkResult:
        """The mapper's result for every layer of `workload` on the design's architecture,
        the layers without MACs charged on top (simulators.accelerator.elementwise)."""
        mapper, layers = self._design_mapper(design), self.prepare(workload)
        result = mapper.map_network([x for x in layers if isinstance(x, Layer)])
        return with_elementwise(result, mapper.arch,
                                [x for x in layers if isinstance(x, Elementwise)])

    def _design_mapper(self, design: Design) -> Mapper:
        if design.get("dataflow") not in TEMPLATES:
            raise InvalidDesignError("dataflow", design.get("dataflow"), ", ".join(TEMPLATES))
        return self.mapper(build_architecture(design), design["dataflow"])

    def evaluate_batch(self, designs: Designs, workload) -> BatchResult:
        """Each design's network mapped layer by layer, the layers of every design searched
        together (`search_many`); the per-layer mapper results are the details. A design
        with a bad value or a layer without a valid mapping is invalid."""
        prepared = self.prepare(workload)
        layers = [x for x in prepared if isinstance(x, Layer)]
        others = [x for x in prepared if isinstance(x, Elementwise)]
        mappers: list[Mapper | str] = []
        for design in design_rows(designs):
            try:
                mappers.append(self._design_mapper(design))
            except InvalidDesignError as error:
                mappers.append(str(error))
        jobs = [(m, layer) for m in mappers if isinstance(m, Mapper) for layer in layers]
        found = iter(search_many(jobs))
        rows, reasons, details = [], [], []
        for mapper in mappers:
            if isinstance(mapper, str):
                rows.append(None), reasons.append(mapper), details.append(None)
                continue
            result = with_elementwise(
                mapper.network_result(layers, [next(found) for _ in layers]), mapper.arch, others)
            unmapped = [layer.name for layer, r in result.layers if r.mapping is None]
            rows.append(_metrics(result.cycles, result.energy_pj, result.area_mm2,
                                 result.utilization, self.clock_ghz))
            reasons.append(f"no valid mapping of layer {unmapped[0]}" if unmapped else None)
            details.append(result)
        return BatchResult.from_rows(rows, self.metric_names, reasons, details)


_DEFAULT = {"pe_x": 14, "pe_y": 12, "ifmap_spad_words": 12, "weights_spad_words": 224,
            "psum_spad_words": 24, "glb_kb": 128, "glb_banks": 16, "noc_bandwidth_words": 16,
            "dram_bandwidth_words": 8, "dataflow": "eyeriss_like", "precision_bits": 16}

ORDERS = ("weight_stationary", "output_stationary", "input_stationary", "row_stationary")


class MappingSimulator(CostModel):
    """Mapping search on a fixed architecture and layer; the design is a flat mapping.

    `parameters()` lists the (name, choices) the environment's design space is built from;
    `clock_ghz` turns cycles into seconds.
    """

    version = "2"  # bump when the same inputs could give other numbers
    metrics = METRICS + (
        Metric("dram_words", "words", "min", "words moved to and from DRAM"),
        Metric("energy_per_mac_pj", "pJ", "min", "energy_pj / MACs"),
    )

    def __init__(self, arch: Architecture, layer: Layer | Problem, clock_ghz: float = 1.0):
        check_positive("clock_ghz", clock_ghz)
        self.arch, self.problem, self.clock_ghz = arch, as_problem(layer), clock_ghz

    def parameters(self) -> list[tuple[str, tuple]]:
        L = len(self.arch.levels)
        # Tilings run from everything at DRAM (choice 0) to everything innermost.
        inwardness = lambda f: sum(i * math.log(x) for i, x in enumerate(f))  # noqa: E731
        params: list[tuple[str, tuple]] = [
            (f"{d}.tiling", tuple("/".join(map(str, f)) for f in
                                  sorted(ordered_factorizations(b, L), key=inwardness)))
            for d, b in zip(DIMS, self.problem.bounds, strict=True) if b > 1]
        for lvl, lv in enumerate(self.arch.levels):
            for axis in ("x", "y"):
                mesh = getattr(lv, f"mesh_{axis}")
                if mesh > 1:
                    allowed = getattr(lv.constraints, f"spatial_{axis}")
                    params.append((f"{lv.name}.{axis}_dim", ("-",) + tuple(allowed)))
                    most = max(len(self._spatial_factors(d, mesh)) for d in allowed)
                    params.append((f"{lv.name}.{axis}_factor", tuple(range(most))))
            params.append((f"{lv.name}.order", ORDERS))
            forced = set(lv.keep) | set(lv.bypass)
            if lvl > 0:
                params += [(f"{lv.name}.keep_{ds}", (True, False))
                           for ds in DATASPACES if ds not in forced]
        return params

    def _spatial_factors(self, dim: str, mesh: int) -> list[int]:
        """The parallel factors of `dim` a fan-out of `mesh` can take (choice i: the i-th)."""
        return [f for f in divisors(self.problem.bound(dim)) if f <= mesh]

    def to_mapping(self, design: Design) -> Mapping | str:
        """The mapping a design names, or why it names none. A dimension's tiling lists its
        temporal factors from DRAM inward; a spatial factor (the i-th divisor of the bound
        that fits the fan-out) takes its primes out of the outermost of them."""
        L = len(self.arch.levels)
        temporal = [[1] * 7 for _ in range(L)]
        sx, sy = [[1] * 7 for _ in range(L)], [[1] * 7 for _ in range(L)]
        perm, keep = [], []
        for i, d in enumerate(DIMS):
            if f"{d}.tiling" in design:
                for lvl, f in enumerate(str(design[f"{d}.tiling"]).split("/")):
                    temporal[lvl][i] = int(f)
        for lvl, lv in enumerate(self.arch.levels):
            for axis, target in (("x", sx), ("y", sy)):
                dim = design.get(f"{lv.name}.{axis}_dim", "-")
                if dim == "-":
                    continue
                i = DIMS.index(dim)
                choices = self._spatial_factors(dim, getattr(lv, f"mesh_{axis}"))
                f = choices[min(int(design[f"{lv.name}.{axis}_factor"]), len(choices) - 1)]
                for p in prime_factors(f):  # out of the outermost temporal factors first
                    source = next((j for j in range(L) if temporal[j][i] % p == 0), None)
                    if source is None:
                        return (f"spatial factor {f} of {dim} does not divide what the other "
                                f"spatial factors leave of {self.problem.bound(dim)}")
                    temporal[source][i] //= p
                target[lvl][i] *= f
            perm.append(loop_order(TEMPLATES[design.get(f"{lv.name}.order", ORDERS[0])].inner))
            keep.append(tuple(lvl == 0 or ds in lv.keep or (
                ds not in lv.bypass and bool(design.get(f"{lv.name}.keep_{ds}", True)))
                for ds in DATASPACES))
        return Mapping(tuple(map(tuple, temporal)), tuple(perm), tuple(map(tuple, sx)),
                       tuple(map(tuple, sy)), tuple(keep))

    def evaluate_mapping(self, mapping: Mapping) -> tuple[Metrics | None, LayerResult]:
        """The metrics of `mapping` (None when it is invalid) and its analysis."""
        result = analyze(self.problem, self.arch, mapping)
        if not result.valid:
            return None, result
        metrics = _metrics(result.cycles, result.energy_pj, result.area_mm2,
                           result.utilization, self.clock_ghz)
        metrics["dram_words"] = result.dram_words
        metrics["energy_per_mac_pj"] = result.energy_per_mac_pj
        return metrics, result

    def evaluate_explained(self, design: Design) -> tuple[Metrics | None, str | None]:
        """The metrics of a design (None when invalid) and why its mapping is invalid (None
        when it is valid)."""
        mapping = self.to_mapping(design)
        if isinstance(mapping, str):
            return None, mapping
        metrics, result = self.evaluate_mapping(mapping)
        return metrics, None if result.valid else result.reason

    def evaluate_batch(self, designs: Designs, workload: Any = None) -> BatchResult:
        """Each design's mapping analyzed; an invalid mapping is invalid with the reason the
        mapping or its analysis gives."""
        outcomes = [self.evaluate_explained(d) for d in design_rows(designs)]
        return BatchResult.from_rows([m for m, _ in outcomes], self.metric_names,
                                     [r for _, r in outcomes])


def ordered_factorizations(n: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write n as an ordered product of `parts` positive factors."""
    if parts == 1:
        return [(n,)]
    return [(f,) + rest for f in divisors(n) for rest in ordered_factorizations(n // f, parts - 1)]
