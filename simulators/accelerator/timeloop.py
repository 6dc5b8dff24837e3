"""Timeloop v0.4 / Accelergy interop: arch.yaml, ERT_summary.yaml, problem and mapping YAML.

The subset read is what Timeloop's example designs use: `!Container`, `!Component`,
`!Parallel` and `!Nothing` nodes; `spatial: {meshX, meshY}`; storage attributes depth,
width, datawidth, read/write_bandwidth (plus a few that do not change this model, listed
in IGNORED_ATTRIBUTES); `dataspace: {keep, bypass}`; temporal and spatial `factors` and
`permutation` (and `split`) constraints. Anything else raises an error naming the key.

Sizes, as Timeloop's BufferLevel::ParseSpecs: an access of one instance moves a block of
width // (datawidth * cluster_size) words (or `block_size` if given), a level holds depth
blocks, and an ERT energy per access becomes a per-word energy by the block size; the
ERT's `leak` is the leakage per instance and cycle. Nodes inside a `!Parallel` become
consecutive levels in listed order, as Timeloop flattens them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulators.accelerator.architecture import (
    DATASPACES,
    DIMS,
    Architecture,
    LevelConstraints,
    MacUnit,
    StorageLevel,
    dim_index,
)
from simulators.accelerator.mapping import Mapping, loop_order
from simulators.accelerator.technology import (
    mac_area_mm2,
    mac_energy_pj,
    storage_area_mm2,
    technology_level,
)
from simulators.errors import ArchGymError, InvalidArgumentError
from simulators.workloads import Layer

NODE_KEYS = {"name", "class", "subclass", "attributes", "constraints", "spatial", "nodes",
             "description"}
STORAGE_ATTRIBUTES = {"depth", "width", "datawidth", "read_bandwidth", "write_bandwidth",
                      "block_size", "cluster_size"}
# Accepted but without effect here: technology/type pick Accelergy estimators; banks and ports
# shape Accelergy's energy (already in the ERT); fifo sizes are micro-architecture.
IGNORED_ATTRIBUTES = {"technology", "type", "n_banks", "nports", "num_ports",
                      "update_fifo_depth", "multiplier_width", "adder_width", "latency",
                      "n_rdwr_ports", "n_rd_ports", "n_wr_ports", "global_cycle_seconds"}
MAC_CLASSES = {"intmac", "mac", "fpmac", "compute"}
# Accelergy's storage classes (its primitive and compound component libraries).
STORAGE_CLASSES = {"DRAM", "SRAM", "storage", "regfile", "smartbuffer_SRAM", "smartbuffer_RF",
                   "smartbuffer", "reg_storage", "register", "buffer"}
VERSIONS = ("0.4", 0.4)
PROBLEM_KEYS = {"N", "M", "C", "P", "Q", "R", "S", "Hstride", "Wstride", "Hdilation",
                "Wdilation", "H", "W", "Hpad", "Wpad", "G"}


class _Loader(yaml.SafeLoader):
    """YAML loader that turns Timeloop's node tags into dicts with a `_kind` key."""


for _tag in ("Container", "Component", "Parallel", "Nothing", "Hierarchical"):
    _Loader.add_constructor(
        f"!{_tag}", lambda loader, node, kind=_tag: {
            "_kind": kind, **(loader.construct_mapping(node, deep=True)
                              if isinstance(node, yaml.MappingNode) else {})})


def read_yaml(source: str | Path | MappingABC) -> Any:
    """A YAML document from a path (or an already parsed dict)."""
    if isinstance(source, MappingABC):
        return source
    path = Path(source)
    try:
        return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - safe subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        reason = getattr(error, "problem", None) or type(error).__name__
        raise InvalidArgumentError("yaml", str(path), f"valid YAML ({reason}{where})") from None


@dataclass(frozen=True)
class TimeloopArch:
    """An architecture read from arch.yaml, with the fan-out container of each level axis
    (Timeloop's mapping targets `inter_<container>_spatial`)."""

    architecture: Architecture
    containers: dict[str, tuple[int, tuple[str, ...]]]

    @classmethod
    def from_architecture(cls, arch: Architecture) -> TimeloopArch:
        """An architecture built in Python, its fan-out levels as `inter_<level>_spatial`."""
        return cls(arch, {
            lv.name: (i, tuple(a for a in ("x", "y") if getattr(lv, f"mesh_{a}") > 1))
            for i, lv in enumerate(arch.levels) if lv.fanout > 1})


def _unsupported(where: str, keys) -> None:
    if keys:
        raise ArchGymError(f"{where}: unsupported Timeloop key(s) {', '.join(sorted(keys))}")


def parse_factors(value: Any, where: str) -> dict[str, int]:
    """Timeloop factors: ["N=1", "C=1"], "R=1 S=1" or mapping-style "C1 M8 R1"."""
    items = value.split() if isinstance(value, str) else list(value or [])
    out = {}
    for item in items:
        match = re.fullmatch(r"([A-Z])=?(\d+)", str(item).strip())
        if not match:
            raise InvalidArgumentError(f"{where} factors", item, "entries like M=8 or M8")
        out[dim_index(match[1], f"{where} factors")] = int(match[2])
    return {DIMS[d]: f for d, f in out.items()}


def parse_permutation(value: Any, where: str) -> tuple[str, ...]:
    """Timeloop permutations list dimensions innermost first, as a list or a string."""
    dims = list(value) if not isinstance(value, str) else list(value.replace(" ", ""))
    for d in dims:
        dim_index(d, f"{where} permutation")
    return tuple(dims)


def load_ert(source: str | Path | MappingABC) -> dict[str, dict[str, float]]:
    """Accelergy ERT_summary.yaml: {component name: {action: energy pJ per access}}."""
    data = read_yaml(source)
    try:
        table = data["ERT_summary"]["table_summary"]
        return {re.sub(r"\[.*\]$", "", entry["name"]).split(".")[-1]:
                {a["name"]: float(a["energy"]) for a in entry["actions"]} for entry in table}
    except (KeyError, TypeError) as error:
        raise InvalidArgumentError("ert", str(source),
                                   f"an Accelergy ERT_summary with table_summary ({error})") \
            from None


def _flatten(nodes: list) -> list[dict]:
    out = []
    for node in nodes:
        if not isinstance(node, dict) or "_kind" not in node:
            raise ArchGymError(f"arch.yaml: a node without a !Container/!Component tag: {node}")
        if node["_kind"] in ("Parallel", "Hierarchical"):
            _unsupported(f"!{node['_kind']}", set(node) - {"_kind", "nodes", "name"})
            out += _flatten(node.get("nodes", []))
        elif node["_kind"] != "Nothing":
            out.append(node)
    return out


def load_arch(source: str | Path | MappingABC,
              ert: str | Path | MappingABC | None = None) -> TimeloopArch:
    """Read a Timeloop v0.4 arch.yaml (energies from an ERT if given, else technology)."""
    data = read_yaml(source)
    if not isinstance(data, dict) or "architecture" not in data:
        raise InvalidArgumentError("arch", str(source), "a Timeloop v0.4 arch.yaml")
    top = data["architecture"]
    if not isinstance(top, dict):
        raise InvalidArgumentError("arch", str(source), "a Timeloop v0.4 arch.yaml")
    _unsupported("architecture", set(top) - {"version", "nodes"})
    if top.get("version") not in VERSIONS:
        raise InvalidArgumentError("architecture version", top.get("version"), "0.4")
    energies = load_ert(ert) if ert is not None else None
    levels: list[dict] = []
    containers: dict[str, tuple[int, tuple[str, ...]]] = {}
    mac: MacUnit | None = None
    default_bits = 8
    for node in _flatten(top.get("nodes", [])):
        where = f"{node['_kind']} {node.get('name', '?')}"
        _unsupported(where, set(node) - NODE_KEYS - {"_kind"})
        attrs = dict(node.get("attributes") or {})
        if node["_kind"] == "Container":
            _unsupported(where, set(attrs) - IGNORED_ATTRIBUTES - {"datawidth"})
            default_bits = _int(attrs, "datawidth", default_bits, where)
            _add_container(node, levels, containers, where)
            continue
        if mac is not None:
            raise ArchGymError(f"{where}: components below the MAC unit are not supported")
        if node.get("class") not in MAC_CLASSES | STORAGE_CLASSES:
            raise InvalidArgumentError(f"{where} class", node.get("class"),
                                       ", ".join(sorted(MAC_CLASSES | STORAGE_CLASSES)))
        if node.get("class") in MAC_CLASSES:
            _unsupported(where, set(attrs) - IGNORED_ATTRIBUTES - {"datawidth"})
            bits = _int(attrs, "multiplier_width", _int(attrs, "datawidth", default_bits, where),
                        where)
            energy = energies[node["name"]]["compute"] if energies else mac_energy_pj(bits)
            mac = MacUnit(energy, mac_area_mm2(bits), bits)
            continue
        _unsupported(where, set(attrs) - STORAGE_ATTRIBUTES - IGNORED_ATTRIBUTES)
        levels.append(_storage(node, attrs, default_bits, energies, where, first=not levels))
    if mac is None or not levels:
        raise ArchGymError("arch.yaml: needs a DRAM component first and a MAC unit last")
    built = []
    for lv in levels:
        c = lv.pop("constraints")
        built.append(StorageLevel(constraints=LevelConstraints(**c), **lv))
    name = Path(source).parent.name if isinstance(source, str | Path) else "timeloop"
    return TimeloopArch(Architecture(name, tuple(built), mac), containers)


def _storage(node: dict, attrs: dict, default_bits: int, energies, where: str,
             first: bool) -> dict:
    bits = _int(attrs, "datawidth", default_bits, where)
    block, cluster = _block_and_cluster(attrs, bits, where)
    size = None if node.get("class") == "DRAM" else _int(attrs, "depth", 1, where) * block
    if first and size is not None:
        raise ArchGymError(f"{where}: the outermost component must be class DRAM")
    cons = node.get("constraints") or {}
    _unsupported(f"{where} constraints", set(cons) - {"dataspace", "temporal"})
    ds = cons.get("dataspace") or {}
    _unsupported(f"{where} dataspace", set(ds) - {"keep", "bypass"})
    temporal = cons.get("temporal") or {}
    _unsupported(f"{where} temporal", set(temporal) - {"factors", "permutation"})
    level = technology_level(node["name"], size, bits)
    if energies is not None:
        if node["name"] not in energies:
            raise InvalidArgumentError("ert component", node["name"], ", ".join(energies))
        table = energies[node["name"]]
        read, write = table.get("read", 0.0), table.get("write", 0.0)
        energy = {"read_energy_pj": read / block, "write_energy_pj": write / block,
                  "update_energy_pj": table.get("update", write) / block,
                  "network_energy_pj": 0.0, "leak_energy_pj": table.get("leak", 0.0)}
    else:
        energy = {k: getattr(level, k) for k in ("read_energy_pj", "write_energy_pj",
                                                 "update_energy_pj", "network_energy_pj",
                                                 "leak_energy_pj")}
    return {"name": node["name"], "size_words": size, "word_bits": bits,
            "read_bandwidth": _float_or_none(attrs, "read_bandwidth", where),
            "write_bandwidth": _float_or_none(attrs, "write_bandwidth", where),
            "keep": tuple(ds.get("keep") or ()), "bypass": tuple(ds.get("bypass") or ()),
            "area_mm2": storage_area_mm2(size, bits), "block_size": block,
            "cluster_size": cluster, **energy,
            "constraints": {
                "temporal_factors": tuple(parse_factors(temporal.get("factors"),
                                                        where).items()),
                "temporal_permutation": parse_permutation(temporal.get("permutation", ()),
                                                          where)}}


def _block_and_cluster(attrs: dict, bits: int, where: str) -> tuple[int, int]:
    """Words per access and instances per shared access, as BufferLevel::ParseSpecs derives
    them from width, block_size and cluster_size (whichever two are given)."""
    width = attrs.get("width")
    block, cluster = attrs.get("block_size"), attrs.get("cluster_size")
    if width is None:
        block, cluster = int(block or 1), int(cluster or 1)
    elif block is None:
        cluster = int(cluster or 1)
        block = max(1, int(width) // (bits * cluster))
    elif cluster is None:
        block = int(block)
        cluster = max(1, int(width) // (bits * block))
    else:
        block, cluster = int(block), int(cluster)
        if block * cluster * bits != int(width):
            raise InvalidArgumentError(f"{where} block_size * cluster_size * datawidth",
                                       block * cluster * bits, f"the width {width}")
    if block < 1 or cluster < 1:
        raise InvalidArgumentError(f"{where} block_size, cluster_size", (block, cluster),
                                   "positive integers")
    return block, cluster


def _add_container(node: dict, levels: list[dict], containers: dict, where: str) -> None:
    spatial = node.get("spatial") or {}
    cons = node.get("constraints") or {}
    _unsupported(f"{where} spatial", set(spatial) - {"meshX", "meshY"})
    _unsupported(f"{where} constraints", set(cons) - {"spatial"})
    if not spatial:
        if cons:
            raise ArchGymError(f"{where}: spatial constraints on a container with no mesh")
        return
    if not levels:
        raise ArchGymError(f"{where}: a spatial fan-out above the DRAM component")
    sc = cons.get("spatial") or {}
    _unsupported(f"{where} spatial constraints", set(sc) - {"factors", "permutation", "split"})
    factors = parse_factors(sc.get("factors"), where)
    if any(f != 1 for f in factors.values()):
        raise ArchGymError(f"{where}: spatial factors other than =1 are not supported")
    allowed = [d for d in DIMS if d not in factors]
    axes = tuple(a for a in ("x", "y") if _int(spatial, f"mesh{a.upper()}", 1, where) > 1)
    perm = parse_permutation(sc["permutation"], where) if "permutation" in sc else None
    split = sc.get("split")
    per_axis = {a: tuple(allowed) for a in axes}
    if len(axes) == 2 and perm is not None and split is not None:
        per_axis = {"x": tuple(d for d in perm[:int(split)] if d in allowed),
                    "y": tuple(d for d in perm[int(split):] if d in allowed)}
    level = levels[-1]
    for a in axes:
        if level.get(f"mesh_{a}", 1) > 1:
            raise ArchGymError(f"{where}: a second mesh{a.upper()} below {level['name']}")
        level[f"mesh_{a}"] = int(spatial[f"mesh{a.upper()}"])
        level["constraints"][f"spatial_{a}"] = per_axis[a]
    containers[node["name"]] = (len(levels) - 1, axes)


def _int(table: MappingABC, key: str, default: int, where: str) -> int:
    """`table[key]` (or `default`) as a positive integer, or an error naming where it is."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) \
            or value < 1:
        raise InvalidArgumentError(f"{where} {key}", value, "a positive integer")
    return int(value)


def _float_or_none(table: MappingABC, key: str, where: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidArgumentError(f"{where} {key}", value, "a positive number")
    return float(value)


def load_problem(source: str | Path | MappingABC, name: str = "problem") -> Layer:
    """A layer from a Timeloop problem YAML's `instance` (CNN-layer shape).

    Timeloop's conv2D projects Inputs' width as R*Wdilation + P*Wstride, so the stride
    and dilation paired with P and R (Layer.Hstride, Layer.Hdilation here) are Timeloop's
    W ones, and those paired with Q and S its H ones.
    """
    data = read_yaml(source)
    try:
        instance = data["problem"]["instance"]
    except (KeyError, TypeError):
        raise InvalidArgumentError("problem", str(source),
                                   "a Timeloop problem YAML with problem.instance") from None
    _unsupported("problem.instance", set(instance) - PROBLEM_KEYS)
    shape = data["problem"].get("shape") or {}
    extra = set(shape.get("dimensions", DIMS)) - set(DIMS)
    _unsupported("problem.shape dimensions", extra)
    get = lambda key: _int(instance, key, 1, "problem.instance")  # noqa: E731
    return Layer(name, M=get("M"), C=get("C"), P=get("P"), Q=get("Q"), R=get("R"), S=get("S"),
                 N=get("N"), Hstride=get("Wstride"), Wstride=get("Hstride"),
                 Hdilation=get("Wdilation"), Wdilation=get("Hdilation"))


def load_mapping(source: str | Path | MappingABC, spec: TimeloopArch) -> Mapping:
    """A Mapping from Timeloop's mapping YAML (datatype, temporal and spatial entries)."""
    data = read_yaml(source)
    entries = data.get("mapping") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise InvalidArgumentError("mapping", str(source), "a Timeloop mapping YAML list")
    arch = spec.architecture
    L = len(arch.levels)
    temporal = [[1] * 7 for _ in range(L)]
    perm: list[tuple[str, ...]] = [DIMS] * L
    sx, sy = [[1] * 7 for _ in range(L)], [[1] * 7 for _ in range(L)]
    keep = [list(row) for row in arch.default_keep()]
    spatial_targets = {f"inter_{name}_spatial": v for name, v in spec.containers.items()}
    for entry in entries:
        _unsupported("mapping entry", set(entry) - {"target", "type", "factors", "permutation",
                                                     "split", "keep", "bypass"})
        target, kind = entry.get("target"), entry.get("type")
        where = f"mapping {target} {kind}"
        if kind == "datatype" and target in spatial_targets:
            continue  # containers hold no data
        if kind == "datatype":
            lvl = arch.level_index(target)
            for ds in entry.get("keep") or []:
                keep[lvl][DATASPACES.index(ds)] = True
            for ds in entry.get("bypass") or []:
                keep[lvl][DATASPACES.index(ds)] = False
            continue
        factors = parse_factors(entry.get("factors", ""), where)
        order = parse_permutation(entry.get("permutation", ""), where)
        if target in spatial_targets:
            lvl, axes = spatial_targets[target]
            if kind == "temporal":
                if any(f != 1 for f in factors.values()):
                    raise ArchGymError(f"{where}: temporal loops at a spatial level")
                continue
            split = int(entry.get("split", len(order)))
            for i, d in enumerate(order or DIMS):
                axis = axes[0] if len(axes) == 1 else ("x" if i < split else "y")
                (sx if axis == "x" else sy)[lvl][dim_index(d)] = factors.get(d, 1)
            continue
        lvl = arch.level_index(target)
        if kind != "temporal":
            raise InvalidArgumentError(f"{target} type", kind, "datatype, temporal, spatial")
        for d, f in factors.items():
            temporal[lvl][dim_index(d)] = f
        perm[lvl] = loop_order(order)
    return Mapping(tuple(map(tuple, temporal)), tuple(perm), tuple(map(tuple, sx)),
                   tuple(map(tuple, sy)), tuple(map(tuple, keep)))
