"""`unet`: U-Net segmentation networks (Ronneberger et al., MICCAI 2015) of chosen depth
and filters per level.

Level 0 runs at the input resolution, level l at 1/2**l of it; `depth` is the number of
2x2 max-pool downsamplings (the paper's network: depth 4, filters 64, 128, 256, 512, 1024).
Each level of the encoder and the bottleneck has two 3x3 convs (BN, ReLU; "same" padding,
so the output keeps the input's size, as most re-implementations do); each decoder level
up-convolves (2x2 transposed conv, stride 2) to its level's filters, concatenates the
encoder's map of that level and runs two 3x3 convs; a 1x1 conv makes the class scores.
Filters of levels deeper than `depth` are inactive. NASAIC searched such a space for
segmentation (Yang et al., DAC 2020).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.networks import Choice, NetworkSpace
from simulators.workloads import Network, NetworkBuilder

DEPTHS = (1, 2, 3, 4)
FILTERS = (8, 16, 32, 64, 128, 256, 512, 1024)
RESOLUTION, IN_CHANNELS, CLASSES = 128, 3, 2

CHOICES = (Choice("depth", DEPTHS, 4),) + tuple(
    Choice(f"level{level}.filters", FILTERS, 64 * 2 ** level,
           () if level <= min(DEPTHS) else (("depth", tuple(d for d in DEPTHS if d >= level)),))
    for level in range(max(DEPTHS) + 1))


def build(design: Mapping[str, Any], batch: int = 1, num_classes: int = CLASSES,
          resolution: int = RESOLUTION) -> Network:
    """The network of a complete design on resolution x resolution RGB inputs."""
    depth = design["depth"]
    b = NetworkBuilder("unet", resolution, channels=IN_CHANNELS, batch=batch)
    bn_relu = ("bn", "relu")

    def double(x, name, filters):
        x = b.conv(x, f"{name}.conv1", filters, 3, post=bn_relu)
        return b.conv(x, f"{name}.conv2", filters, 3, post=bn_relu)

    x, skips = b.input, []
    for level in range(depth):
        skips.append(double(x, f"down{level}", design[f"level{level}.filters"]))
        x = b.pool(skips[-1], f"down{level}.pool", "max_pool", 2)
    x = double(x, "bottleneck", design[f"level{depth}.filters"])
    for level in reversed(range(depth)):
        filters = design[f"level{level}.filters"]
        x = b.conv_transpose(x, f"up{level}.upconv", filters)
        x = double(b.concat(f"up{level}.concat", x, skips[level]), f"up{level}", filters)
    b.conv(x, "head", num_classes, 1, bias=True)
    return b.build()


SPACE = NetworkSpace("unet", "U-Net segmentation (128x128 RGB, 2 classes)", CHOICES, build)
