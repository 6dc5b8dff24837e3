"""`mbconv`: the Once-for-All MobileNetV3 space at width 1.0 (Cai et al., ICLR 2020).

As OFA's `OFAMobileNetV3(width_mult=1.0, ks_list=[3, 5, 7], expand_ratio_list=[3, 4, 6],
depth_list=[2, 3, 4])` builds its subnets: a 3x3/2 stem to 16 channels (h-swish), a fixed
first inverted-residual block (3x3 depthwise, expand 1, ReLU, 16 channels, identity
shortcut), five stages of widths 24, 40, 80, 112, 160, strides 2, 2, 2, 1, 2,
squeeze-excite off, on, off, on, on and activations relu, relu, h-swish x3, each of depth
2, 3 or 4 with per-block kernel 3, 5, 7 and expand ratio 3, 4, 6 (a block beyond its
stage's depth is inactive); a 1x1 conv to 960 (h-swish), global pooling, a 1x1 conv to
1280 (no batch norm, no bias, h-swish) and the classifier. Channels round as OFA's
`make_divisible(round(in * ratio), 8)`; squeeze-excite squeezes to
`make_divisible(mid // 4, 8)`. A block's shortcut is an identity when its stride is 1 and
its channels stay.

Notation: OFA subnet configs {"ks": [20], "e": [20], "d": [5], "r": R} (slots beyond a
stage's depth ignored, as OFA's `set_active_subnet` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.errors import InvalidArgumentError, InvalidDesignError
from simulators.networks import Choice, NetworkSpace
from simulators.workloads import Network, NetworkBuilder, Tensor, inverted_residual, make_divisible

WIDTHS = (24, 40, 80, 112, 160)
STRIDES = (2, 2, 2, 1, 2)
SQUEEZE_EXCITE = (False, True, False, True, True)
ACTIVATIONS = ("relu", "relu", "h_swish", "h_swish", "h_swish")
DEPTHS = (2, 3, 4)
KERNELS = (3, 5, 7)
EXPANDS = (3, 4, 6)
MAX_DEPTH = max(DEPTHS)
# Input resolutions OFA samples in training ({128 .. 224} step 4); the accuracy data is
# at 224 only, hence the default.
RESOLUTIONS = tuple(range(128, 225, 4))
DEFAULT_RESOLUTION = 224


def _choices() -> tuple[Choice, ...]:
    out = [Choice("resolution", RESOLUTIONS, DEFAULT_RESOLUTION)]
    for stage in range(1, len(WIDTHS) + 1):
        depth = f"stage{stage}.depth"
        out.append(Choice(depth, DEPTHS, MAX_DEPTH))
        for block in range(1, MAX_DEPTH + 1):
            deeper = tuple(d for d in DEPTHS if d >= block)
            when = () if deeper == DEPTHS else ((depth, deeper),)
            out.append(Choice(f"stage{stage}.block{block}.kernel", KERNELS, 3, when))
            out.append(Choice(f"stage{stage}.block{block}.expand", EXPANDS, 6, when))
    return tuple(out)


def build(design: Mapping[str, Any], batch: int = 1, num_classes: int = 1000) -> Network:
    """The subnet of a complete design (see `SPACE.parse`)."""
    resolution = design["resolution"]
    depths = [design[f"stage{s}.depth"] for s in range(1, 6)]
    b = NetworkBuilder(f"mbconv@{resolution}", resolution, batch=batch)
    x = b.conv(b.input, "first_conv", 16, 3, stride=2, post=("bn", "h_swish"))
    x = inverted_residual(b, x, "block0", 16, 16, 3, 1, "relu")
    for stage in range(1, 6):
        for block in range(1, depths[stage - 1] + 1):
            key = f"stage{stage}.block{block}"
            x = _block(b, x, key, stage, block, design[f"{key}.kernel"],
                       design[f"{key}.expand"])
    x = b.conv(x, "final_expand", 960, 1, post=("bn", "h_swish"))
    x = b.global_pool(x, "pool")
    x = b.conv(x, "feature_mix", 1280, 1, post=("h_swish",))
    b.fc(x, "classifier", num_classes)
    return b.build()


def _block(b: NetworkBuilder, x: Tensor, name: str, stage: int, block: int, kernel: int,
           expand: int) -> Tensor:
    mid = make_divisible(round(x.channels * expand))
    se = make_divisible(mid // 4) if SQUEEZE_EXCITE[stage - 1] else None
    stride = STRIDES[stage - 1] if block == 1 else 1
    return inverted_residual(b, x, name, WIDTHS[stage - 1], mid, kernel, stride,
                             ACTIVATIONS[stage - 1], se)


SLOTS = len(WIDTHS) * MAX_DEPTH


def from_ofa(config: Any) -> dict[str, Any]:
    """A design from an OFA subnet config {"ks": [20], "e": [20], "d": [5], "r": R}
    ("r" optional, a number or a one-element list as OFA writes it)."""
    if not isinstance(config, Mapping) or not {"ks", "e", "d"} <= set(config) or \
            set(config) - {"ks", "e", "d", "r"}:
        raise InvalidArgumentError("mbconv design", config, 'a design of the space\'s '
                                   'parameters or an OFA config {"ks": [20 kernels], '
                                   '"e": [20 expand ratios], "d": [5 depths], "r": resolution}')
    for key, length in (("ks", SLOTS), ("e", SLOTS), ("d", len(WIDTHS))):
        if not isinstance(config[key], list | tuple) or len(config[key]) != length:
            raise InvalidDesignError(key, config[key], f"a list of {length} integers")
    r = config.get("r", DEFAULT_RESOLUTION)
    r = r[0] if isinstance(r, list | tuple) and len(r) == 1 else r
    design: dict[str, Any] = {"resolution": r}
    for stage in range(1, 6):
        depth = config["d"][stage - 1]
        design[f"stage{stage}.depth"] = depth
        for block in range(1, MAX_DEPTH + 1):
            if isinstance(depth, int) and block <= depth:
                slot = (stage - 1) * MAX_DEPTH + block - 1
                design[f"stage{stage}.block{block}.kernel"] = config["ks"][slot]
                design[f"stage{stage}.block{block}.expand"] = config["e"][slot]
    return design


def to_ofa(design: Mapping[str, Any]) -> dict[str, Any]:
    """The OFA subnet config of a complete design (inactive slots as 0, as DyNAS-T)."""
    ks, e = [], []
    for stage in range(1, 6):
        for block in range(1, MAX_DEPTH + 1):
            active = block <= design[f"stage{stage}.depth"]
            ks.append(design[f"stage{stage}.block{block}.kernel"] if active else 0)
            e.append(design[f"stage{stage}.block{block}.expand"] if active else 0)
    return {"ks": ks, "e": e, "d": [design[f"stage{s}.depth"] for s in range(1, 6)],
            "r": design["resolution"]}


SPACE = NetworkSpace("mbconv", "Once-for-All MobileNetV3 (width 1.0) on ImageNet",
                     _choices(), build, from_ofa, to_ofa)
