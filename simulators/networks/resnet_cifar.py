"""`resnet_cifar`: a ResNet-9-like CIFAR classifier with per-block filters and kernels.

The skeleton of Page's DAWNBench ResNet-9 ("How to train your ResNet", Myrtle.ai 2018, 94%
on CIFAR-10 in 79 s): prep conv; layer1 conv + 2x2 max pool + a residual block of two
convs; layer2 conv + pool; layer3 conv + pool + a residual block; 4x4 max pooling to 1x1
and a bias-free classifier; every conv is conv-BN-ReLU without bias, "same" padding. The
space chooses the filters of prep and of each layer (a residual block keeps its layer's
filters) and the kernel of every conv, as NASAIC's ResNet-9 space does (Yang et al.,
"Co-exploration of neural architectures and heterogeneous ASIC accelerator designs
targeting multiple tasks", DAC 2020). The defaults are Page's network (64, 128, 256, 512
filters, 3x3 kernels).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.networks import Choice, NetworkSpace
from simulators.workloads import Network, NetworkBuilder

FILTERS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
KERNELS = (1, 3, 5, 7)
BLOCKS = (("prep", 64), ("layer1", 128), ("layer2", 256), ("layer3", 512))
CONVS = ("prep", "layer1", "res1a", "res1b", "layer2", "layer3", "res3a", "res3b")
RESOLUTION = 32

CHOICES = tuple(Choice(f"{name}.filters", FILTERS, default) for name, default in BLOCKS) + \
    tuple(Choice(f"{conv}.kernel", KERNELS, 3) for conv in CONVS)


def build(design: Mapping[str, Any], batch: int = 1, num_classes: int = 10) -> Network:
    """The network of a complete design on 32x32 inputs (CIFAR-10's 10 classes)."""
    b = NetworkBuilder("resnet_cifar", RESOLUTION, batch=batch)
    bn_relu = ("bn", "relu")

    def conv(x, name, filters):
        return b.conv(x, name, filters, design[f"{name}.kernel"], post=bn_relu)

    x = conv(b.input, "prep", design["prep.filters"])
    for layer, residual in (("layer1", "res1"), ("layer2", None), ("layer3", "res3")):
        filters = design[f"{layer}.filters"]
        x = b.pool(conv(x, layer, filters), f"{layer}.pool", "max_pool", 2)
        if residual:
            y = conv(conv(x, f"{residual}a", filters), f"{residual}b", filters)
            x = b.add(f"{residual}.add", y, x)
    x = b.pool(x, "pool", "max_pool", 4)
    b.fc(x, "classifier", num_classes, bias=False)
    return b.build()


SPACE = NetworkSpace("resnet_cifar", "ResNet-9-like CIFAR-10 classifier (32x32)",
                     CHOICES, build)
