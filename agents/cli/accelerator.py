"""`archgym eval archgym/Accelerator-v0` with Timeloop files, presets, layers and networks."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agents.cli.checks import only_with
from agents.cli.json_args import json_object
from archgym_env.registry import make
from simulators.errors import InvalidArgumentError
from simulators.limits import MAX_LAYER_DIMENSION, check_size

if TYPE_CHECKING:  # the accelerator model (numba) loads only when a command uses it
    from simulators.accelerator.analysis import LayerResult
    from simulators.accelerator.architecture import Architecture
    from simulators.accelerator.timeloop import TimeloopArch
    from simulators.workloads import Layer, Network

ENV_ID = "archgym/Accelerator-v0"
OPTIONS = ("timeloop_arch", "ert", "preset", "layer", "timeloop_problem", "network",
           "timeloop_mapping", "mapper_objective")


def add_accelerator_eval_options(parser: argparse.ArgumentParser) -> None:
    acc = parser.add_argument_group(f"{ENV_ID} (map a workload on an architecture)")
    acc.add_argument("--timeloop-arch", help="Timeloop v0.4 arch.yaml")
    acc.add_argument("--ert", help="Accelergy ERT_summary.yaml for --timeloop-arch")
    acc.add_argument("--preset", help="a preset architecture (eyeriss_like, simba_like, ...; "
                                      "a wrong name lists them all)")
    acc.add_argument("--layer", help='JSON layer in Timeloop dimensions, e.g. {"M": 64, "C": 3}')
    acc.add_argument("--timeloop-problem", help="Timeloop problem YAML")
    acc.add_argument("--network", help="built-in network name, FILE.onnx or SPACE:DESIGN of a "
                                       "network space, e.g. 'nb201:|nor_conv_3x3~0|+...'")
    acc.add_argument("--mapper-objective", choices=("energy", "cycles", "edp"),
                     help="what the mapper minimizes per layer (default energy)")
    acc.add_argument("--timeloop-mapping", help="Timeloop mapping YAML to evaluate (no search)")


def accelerator_eval(args, console: Console) -> bool:
    """Run `archgym eval` when it names the accelerator with any of its options; False if
    it does not (the generic design evaluation then runs)."""
    given = [o for o in OPTIONS if getattr(args, o, None) is not None]
    if given and args.env_id != ENV_ID:
        raise only_with("--" + given[0].replace("_", "-"), getattr(args, given[0]),
                        args.env_id, ENV_ID)
    for option in ("timeloop_arch", "ert", "timeloop_problem", "timeloop_mapping"):
        value = getattr(args, option, None)
        if value is not None and not Path(value).is_file():
            raise InvalidArgumentError("--" + option.replace("_", "-"), value,
                                       f"an existing file (no file {value})")
    if not given:
        return False
    result = evaluate(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_result(result, console)
    return True


def _architecture(args) -> tuple[TimeloopArch, str | None]:
    """The architecture and its dataflow template (None: its own constraints)."""
    from simulators.accelerator.presets import PRESET_TEMPLATES, PRESETS, preset
    from simulators.accelerator.simulator import build_architecture
    from simulators.accelerator.timeloop import TimeloopArch, load_arch

    if args.timeloop_arch and args.preset:
        raise InvalidArgumentError("--preset", args.preset, "not together with --timeloop-arch")
    if args.ert and not args.timeloop_arch:
        raise InvalidArgumentError("--ert", args.ert, "only with --timeloop-arch")
    if (args.timeloop_arch or args.preset) and json_object("--design", args.design):
        raise InvalidArgumentError("--design", args.design, "only without --timeloop-arch and "
                                                            "--preset (they fix the design)")
    if args.timeloop_arch:
        return load_arch(args.timeloop_arch, args.ert), None
    if args.preset:
        if args.preset not in PRESETS:
            raise InvalidArgumentError("--preset", args.preset, ", ".join(sorted(PRESETS)))
        return TimeloopArch.from_architecture(preset(args.preset)), PRESET_TEMPLATES[args.preset]
    env = make(ENV_ID).unwrapped
    design = env.space.complete(json_object("--design", args.design))
    return TimeloopArch.from_architecture(build_architecture(design)), design["dataflow"]


def _layer_from_json(text: str) -> Layer:
    from simulators.workloads import Layer

    dims = json_object("--layer", text)
    allowed = {"name", "N", "M", "C", "P", "Q", "R", "S", "Hstride", "Wstride", "Hdilation",
               "Wdilation", "groups"}
    unknown = set(dims) - allowed
    if unknown or "M" not in dims or "C" not in dims:
        raise InvalidArgumentError("--layer", text, "M, C and optionally "
                                   + ", ".join(sorted(allowed - {"M", "C"})))
    for dim, value in dims.items():
        if dim != "name" and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 1):
            raise InvalidArgumentError(f"--layer {dim}", value, "an integer >= 1")
    return Layer(**{"name": "layer", **dims})


def _workload(args) -> Layer | Network:
    from simulators.accelerator.timeloop import load_problem
    from simulators.workloads import Layer, network

    given = [o for o in ("layer", "timeloop_problem", "network") if getattr(args, o)]
    if len(given) > 1:
        raise InvalidArgumentError("--" + given[1].replace("_", "-"), getattr(args, given[1]),
                                   "one of --layer, --timeloop-problem, --network")
    if args.layer:
        workload = _layer_from_json(args.layer)
    elif args.timeloop_problem:
        workload = load_problem(args.timeloop_problem, Path(args.timeloop_problem).stem)
    else:
        workload = network(args.network or "resnet18")  # a built-in name or an .onnx path
    for layer in [workload] if isinstance(workload, Layer) else workload.layers:
        for dim in ("N", "M", "C", "P", "Q", "R", "S"):
            check_size(f"{layer.name}.{dim}", getattr(layer, dim), MAX_LAYER_DIMENSION)
    return workload


def _layer_summary(layer: Layer, result: LayerResult, arch: Architecture) -> dict[str, Any]:
    return {"layer": layer.name, "valid": result.valid, "reason": result.reason,
            "cycles": result.cycles, "utilization": result.utilization,
            "energy_pj": result.energy_pj, "energy_pj_per_level": result.level_energy_pj(),
            "mac_energy_pj": result.mac_energy_pj, "energy_per_mac_pj":
                result.energy_per_mac_pj, "edp": result.edp, "area_mm2": result.area_mm2,
            "mapping": result.mapping.to_text(arch)}


def evaluate(args) -> dict[str, Any]:
    """The result `archgym eval` prints for the accelerator options."""
    from simulators.accelerator.analysis import analyze
    from simulators.accelerator.network import network_breakdown
    from simulators.accelerator.simulator import AcceleratorSimulator
    from simulators.accelerator.timeloop import load_mapping
    from simulators.workloads import Layer

    spec, template = _architecture(args)
    arch = spec.architecture
    workload = _workload(args)
    objective = args.mapper_objective or "energy"
    if args.timeloop_mapping:
        if not isinstance(workload, Layer):
            raise InvalidArgumentError("--timeloop-mapping", args.timeloop_mapping,
                                       "with one layer (--layer or --timeloop-problem)")
        result = analyze(workload, arch, load_mapping(args.timeloop_mapping, spec))
        return {"architecture": arch.name, "workload": workload.name, "searched": False,
                **_layer_summary(workload, result, arch)}
    # the mapper settings of the environment, so eval and a step give the same numbers
    mapper = AcceleratorSimulator(objective=objective).mapper(arch, template)
    done = network_breakdown(mapper, workload)
    per_layer = [_layer_summary(layer, best, arch) for layer, best in done.layers]
    per_layer += [{"layer": layer.name, "kind": layer.kind, "cycles": cost.cycles,
                   "utilization": 0.0, "energy_pj": cost.energy_pj,
                   "energy_pj_per_level": cost.level_energy_pj, "op_energy_pj": cost.op_energy_pj}
                  for layer, cost in done.elementwise]
    summary = {"architecture": arch.name, "workload": getattr(workload, "name", "layer"),
               "searched": True, "mapper_objective": objective, "template": template,
               "cycles": done.cycles, "utilization": done.utilization,
               "energy_pj": done.energy_pj, "energy_pj_per_level": done.level_energy_pj,
               "mac_energy_pj": done.mac_energy_pj, "energy_per_mac_pj": done.energy_per_mac_pj,
               "edp": done.edp, "area_mm2": done.area_mm2, "macs": done.macs}
    if isinstance(workload, Layer):
        summary["mapping"] = per_layer[0]["mapping"]
    else:
        summary["layers"] = per_layer
    return summary


def print_result(result: dict[str, Any], console: Console) -> None:
    table = Table("metric", "value", title=f"{result['architecture']} on {result['workload']}")
    for key in ("valid", "reason", "cycles", "utilization", "energy_pj", "energy_per_mac_pj",
                "edp", "area_mm2"):
        if key in result:
            value = result[key]
            table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    for level, energy in result["energy_pj_per_level"].items():
        table.add_row(escape(f"energy_pj[{level}]"), f"{energy:.6g}")
    table.add_row(escape("energy_pj[MACs]"), f"{result['mac_energy_pj']:.6g}")
    console.print(table)
    if "mapping" in result:
        console.print(result["mapping"], markup=False, highlight=False)
    for layer in result.get("layers", []):
        console.print(f"{layer['layer']}: {layer['cycles']:.6g} cycles, "
                      f"{layer['energy_pj']:.6g} pJ, utilization {layer['utilization']:.3f}",
                      markup=False, highlight=False)
