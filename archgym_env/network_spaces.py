"""The network architecture spaces of simulators.networks as `DesignSpace`s.

Each space's declared choices become parameters (ordered choices `Ordinal`, unordered
ones `Categorical`), conditions become `active_when`. `network_design_space("mbconv")`
gives the space to search (mbconv at resolution 224 only, where its accuracy data is;
`network_design_space("mbconv", resolution=mbconv.RESOLUTIONS)` opens 128..224);
`decode_network(name, design)` the network of any design of the space's choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from archgym_env.space import Categorical, DesignSpace, Ordinal
from simulators.errors import InvalidArgumentError
from simulators.networks import NetworkSpace, network_space
from simulators.workloads import Network

# Choices the searched spaces restrict: the mbconv accuracy data (DyNAS-T) is at 224 only.
SEARCHED = {"mbconv": {"resolution": (224,)}}


def design_space(space: NetworkSpace, values: Mapping[str, tuple] | None = None) -> DesignSpace:
    """The DesignSpace of a network space's choices, `values` restricting some of them."""
    values = dict(values or {})
    unknown = sorted(set(values) - set(space.names))
    if unknown:
        raise InvalidArgumentError(f"{space.name} parameter", unknown[0],
                                   ", ".join(space.names))
    parameters = []
    for c in space.choices:
        allowed = tuple(v for v in c.values if v in values.get(c.name, c.values))
        if not allowed:
            raise InvalidArgumentError(c.name, values[c.name], ", ".join(map(str, c.values)))
        default = c.default if c.default in allowed else allowed[0]
        parameters.append((Ordinal if c.ordered else Categorical)(
            c.name, allowed, preferred=default, active_when=dict(c.active_when)))
    return DesignSpace(tuple(parameters))


def network_design_space(name: str, **values: tuple) -> DesignSpace:
    """The DesignSpace of the built-in network space `name` (mbconv, nb201, resnet_cifar,
    unet) as searched (see SEARCHED), keyword arguments restricting or opening choices."""
    merged = {**SEARCHED.get(name, {}), **values}
    return _cached(name, tuple(sorted((k, tuple(v)) for k, v in merged.items())))


@cache
def _cached(name: str, values: tuple) -> DesignSpace:
    return design_space(network_space(name), dict(values))


def decode_network(name: str, design: Any, batch: int = 1) -> Network:
    """The network of a design of space `name` (a dict of its choices, missing ones at
    their defaults, or the space's notation: an NB201 arch string, an OFA subnet config)."""
    return network_space(name).decode(design, batch=batch)
