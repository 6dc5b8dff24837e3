"""Network architecture spaces as decoders: a design (a dict of named choices, or the
space's own notation) -> a `Network` with its layer graph (simulators.workloads).

Each space declares its choices (`Choice`: name, values, default, the conditions under
which it is active); archgym_env builds its `DesignSpace` from them. `parse` turns what
a user writes (a dict, or the space's notation: NAS-Bench-201 arch strings, Once-for-All
subnet configs) into a complete design; `decode` builds the network; `notation` writes a
design back in the space's notation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulators.errors import InvalidArgumentError, InvalidDesignError
from simulators.workloads import Network


@dataclass(frozen=True)
class Choice:
    """One named choice of a space; active only while every parent in `active_when`
    takes one of its values (an inactive choice takes its default)."""

    name: str
    values: tuple
    default: Any
    active_when: tuple[tuple[str, tuple], ...] = ()
    ordered: bool = True

    def active(self, design: Mapping[str, Any]) -> bool:
        return all(design.get(parent) in values for parent, values in self.active_when)


@dataclass(frozen=True)
class NetworkSpace:
    """A network space: its choices, how it reads designs and builds networks."""

    name: str
    description: str
    choices: tuple[Choice, ...]
    build: Callable[..., Network]  # (complete design, batch) -> Network
    read: Callable[[Any], dict] | None = None  # notation -> design dict
    write: Callable[[Mapping], str | dict] | None = None  # design -> notation
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(c.name for c in self.choices))

    def parse(self, design: Any) -> dict[str, Any]:
        """A complete, checked design from a dict of choices (missing ones take their
        defaults, inactive ones their defaults too) or the space's notation."""
        if self.read is not None and not (isinstance(design, Mapping)
                                          and set(design) <= set(self.names)):
            design = self.read(design)
        if not isinstance(design, Mapping):
            raise InvalidArgumentError(f"{self.name} design", design,
                                       "a JSON object of " + ", ".join(self.names[:4]) + ", ...")
        unknown = sorted(set(design) - set(self.names))
        if unknown:
            raise InvalidDesignError(unknown[0], design[unknown[0]],
                                     f"a parameter of {self.name}: " + ", ".join(self.names))
        out: dict[str, Any] = {}
        for choice in self.choices:
            value = design.get(choice.name, choice.default)
            if not choice.active(out):
                value = choice.default
            elif not any(_same(value, v) for v in choice.values):
                raise InvalidDesignError(choice.name, value, ", ".join(map(str, choice.values)))
            out[choice.name] = next(v for v in choice.values if _same(value, v))
        return out

    def decode(self, design: Any, batch: int = 1) -> Network:
        return self.build(self.parse(design), batch=batch)

    def notation(self, design: Any) -> str | dict | None:
        """The design in the space's own notation (None for spaces without one)."""
        return None if self.write is None else self.write(self.parse(design))


def _same(value: Any, choice: Any) -> bool:
    if isinstance(value, bool) or isinstance(choice, bool):
        return value is choice
    return type(value) in (int, float, str) and value == choice


def spaces() -> dict[str, NetworkSpace]:
    """The built-in network spaces by name."""
    from simulators.networks import mbconv, nb201, resnet_cifar, unet

    return {s.name: s for s in (mbconv.SPACE, nb201.SPACE, resnet_cifar.SPACE, unet.SPACE)}


def network_space(name: str) -> NetworkSpace:
    found = spaces()
    if name not in found:
        raise InvalidArgumentError("network space", name, ", ".join(found))
    return found[name]


def decode(spec: str, batch: int = 1) -> Network:
    """`SPACE:DESIGN` (DESIGN a JSON object or the space's notation) as a Network."""
    name, sep, text = spec.partition(":")
    if not sep:
        raise InvalidArgumentError("network", spec, "SPACE:DESIGN with SPACE one of "
                                   + ", ".join(spaces()))
    space = network_space(name)
    try:
        design = json.loads(text) if text.strip().startswith(("{", "[")) else text
    except json.JSONDecodeError as error:
        raise InvalidArgumentError("network design", text,
                                   f"a JSON object or the {name} notation ({error.msg})") from None
    return space.decode(design, batch=batch)
