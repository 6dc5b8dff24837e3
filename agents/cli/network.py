"""`archgym network SPACE`: decode network-space designs into layers, totals, accuracy and
(with --accelerator) their latency and energy on an accelerator."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from simulators.errors import ArchGymError, InvalidArgumentError
from simulators.networks import NetworkSpace, network_space, spaces
from simulators.workloads import MAC_OPS, Network

# The accelerator model (numba kernels) loads only when --accelerator asks for it.
if TYPE_CHECKING:
    from simulators.accelerator.architecture import Architecture
    from simulators.accelerator.mapper import Mapper


def add_network_command(sub) -> None:
    """The `network` subcommand on the CLI's subparsers."""
    p = sub.add_parser("network", help="decode network-space designs: layers, MACs, "
                                       "parameters, accuracy, accelerator cost")
    p.add_argument("space", choices=sorted(spaces()))
    given = p.add_mutually_exclusive_group()
    given.add_argument("--design", default=None,
                       help="a JSON object of the space's choices (missing ones take their "
                            "defaults), an nb201 arch string or an mbconv OFA config "
                            '{"ks": [20], "e": [20], "d": [5], "r": R}')
    given.add_argument("--designs", default=None,
                       help="a file of designs, one per line (JSON or string); prints one "
                            "JSON object of totals per line")
    p.add_argument("--accelerator", default=None,
                   help="map each network on an accelerator preset (eyeriss_like, ...) or a "
                        "Timeloop arch.yaml: adds latency_cycles, energy_pj, utilization")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_network)


def read_design(text: str, option: str) -> Any:
    """A design as written: a JSON object or list, or the space's notation string."""
    text = text.strip()
    if text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidArgumentError(option, text, f"a JSON object or the space's notation "
                                                     f"({error.msg} at column {error.colno})"
                                       ) from None
    return text


def accelerator_mapper(spec: str) -> tuple[Architecture, Mapper]:
    """The architecture `spec` names (a preset or a Timeloop arch.yaml) and the mapper the
    accelerator environment would run on it, searching each layer shape once."""
    from simulators.accelerator.network import shared_search
    from simulators.accelerator.presets import PRESET_TEMPLATES, PRESETS, preset
    from simulators.accelerator.simulator import AcceleratorSimulator
    from simulators.accelerator.timeloop import load_arch

    if spec in PRESETS:
        arch, template = preset(spec), PRESET_TEMPLATES[spec]
    elif spec.endswith((".yaml", ".yml")):
        arch, template = load_arch(spec).architecture, None
    else:
        raise InvalidArgumentError("--accelerator", spec, ", ".join(sorted(PRESETS))
                                   + " or a Timeloop arch.yaml")
    return arch, shared_search(AcceleratorSimulator().mapper(arch, template))


# The offline accuracy evaluator of each space (module, class): the exact NAS-Bench-201
# table (CIFAR-10 test accuracy) and the Once-for-All surrogate (ImageNet top-1 at 224).
OFFLINE_ACCURACY = {"nb201": ("simulators.accuracy.table", "NB201Table"),
                    "mbconv": ("cost_models.accuracy_surrogate", "OFASurrogate")}


def offline_accuracy(space: str):
    """The offline accuracy evaluator of a space, or None where it has none (or the
    accuracy package is not installed): `evaluate(notation)` gives an Accuracy whose
    `as_dict()` names its metric and its kind."""
    if space not in OFFLINE_ACCURACY:
        return None
    module, name = OFFLINE_ACCURACY[space]
    try:
        return getattr(importlib.import_module(module), name)()
    except ModuleNotFoundError:
        return None


def describe(space: NetworkSpace, design: Any, batch: int, mapper: Mapper | None,
             accuracy, layers: bool) -> dict[str, Any]:
    """One design's record: the complete design, its notation, totals, optionally the
    layers, the accelerator's metrics and the accuracy with its kind."""
    complete = space.parse(design)
    net = space.build(complete, batch=batch)
    out: dict[str, Any] = {"space": space.name, "design": complete}
    notation = space.notation(complete)
    if notation is not None:
        out["notation"] = notation
    out.update({"network": net.name, "macs": net.macs, "params": net.params,
                "layers_with_macs": len(net.layers),
                "layers_without_macs": len(net.elementwise)})
    if layers:
        out["layers"] = layer_rows(net)
    if mapper is not None:
        from simulators.accelerator.network import network_breakdown

        done = network_breakdown(mapper, net)
        out.update({"accelerator": mapper.arch.name, "latency_cycles": done.cycles,
                    "energy_pj": done.energy_pj, "utilization": done.utilization,
                    "area_mm2": done.area_mm2})
    if accuracy is not None:
        try:
            out.update(accuracy.evaluate(notation if notation is not None
                                         else complete).as_dict())
        except InvalidArgumentError as error:  # outside the evaluator's data (a resolution)
            out["accuracy_note"] = f"no {accuracy.kind} accuracy: {error}"
    return out


def layer_rows(net: Network) -> list[dict[str, Any]]:
    return [{"name": n.name, "op": n.op, "inputs": list(n.inputs), "shape": list(n.shape),
             "macs": n.layer.macs, "params": n.params,
             **({"kernel": n.layer.R, "stride": n.layer.Hstride, "groups": n.layer.groups}
                if n.op == "conv" else {})}
            for n in net.graph]


def cmd_network(args) -> None:
    space = network_space(args.space)
    if args.batch < 1:
        raise InvalidArgumentError("--batch", args.batch, "an integer >= 1")
    mapper = accelerator_mapper(args.accelerator)[1] if args.accelerator else None
    accuracy = offline_accuracy(space.name)
    if args.designs is None:
        design = read_design(args.design or "{}", "--design")
        record = describe(space, design, args.batch, mapper, accuracy, layers=True)
        if args.json:
            print(json.dumps(record, indent=2))
        else:
            _print(record)
        return
    path = Path(args.designs)
    if not path.is_file():
        raise InvalidArgumentError("--designs", args.designs, "an existing file")
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = describe(space, read_design(line, "--designs"), args.batch, mapper,
                              accuracy, layers=False)
        except ArchGymError as error:
            raise ArchGymError(f"{args.designs} line {number}: {error}") from None
        print(json.dumps(record))


def _print(record: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(width=150)
    table = Table("layer", "op", "inputs", "output (C, H, W)", "MACs", "params",
                  title=record["network"])
    for row in record["layers"]:
        table.add_row(row["name"], row["op"], ", ".join(row["inputs"]),
                      "x".join(map(str, row["shape"])), f"{row['macs']:,}" if row["op"] in
                      MAC_OPS else "-", f"{row['params']:,}")
    console.print(table, markup=False)
    totals = {k: v for k, v in record.items() if k not in ("layers", "design", "network")}
    for key, value in totals.items():
        shown = f"{value:,}" if isinstance(value, int) else f"{value:.6g}" \
            if isinstance(value, float) else str(value)
        console.print(f"{key}: {shown}", markup=False, highlight=False)
