"""The layer-graph contract, checked by building each graph as a PyTorch module: every
node's inputs, shapes and parameters must be what PyTorch computes and counts."""

import numpy as np
import pytest

from archgym_env.network_spaces import network_design_space
from simulators.networks import network_space
from simulators.workloads import NETWORKS, Network, network

torch = pytest.importorskip("torch")
GraphModule = pytest.importorskip("simulators.accuracy.torchnets").GraphModule


def _check(net: Network):
    module = GraphModule(net).eval()
    with torch.no_grad():
        out = module(torch.zeros(1, *net.input_shape), check_shapes=True)
    last = net.graph[-1].shape
    assert tuple(out.shape[1:]) == (last[:1] if last[1:] == (1, 1) else last)
    assert sum(p.numel() for p in module.parameters()) == net.params


BIG = ("alexnet", "vgg16", "resnet50")  # hundreds of MB of weights: slow


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.slow) if n in BIG else n for n in sorted(NETWORKS)])
def test_builtin_networks(name):
    _check(network(name, resolution=64))


@pytest.mark.parametrize("space, design", [
    ("mbconv", {"resolution": 128, "stage2.depth": 2, "stage3.block1.kernel": 7}),
    ("nb201", "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|"),
    ("nb201", "|none~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|none~2|"),
    ("resnet_cifar", {"prep.filters": 16, "layer1.filters": 24, "layer2.filters": 32,
                      "layer3.filters": 48, "res3b.kernel": 5}),
    ("unet", {"depth": 2, "level0.filters": 8, "level1.filters": 16, "level2.filters": 8}),
])
def test_one_design_of_every_space(space, design):
    _check(network_space(space).decode(design))


@pytest.mark.slow
@pytest.mark.parametrize("space", ["mbconv", "nb201", "resnet_cifar", "unet"])
def test_sampled_designs_of_every_space(space):
    opened = {"resolution": tuple(range(128, 225, 4))} if space == "mbconv" else {}
    for design in network_design_space(space, **opened).sample(np.random.default_rng(3), 3):
        _check(network_space(space).decode(design))
