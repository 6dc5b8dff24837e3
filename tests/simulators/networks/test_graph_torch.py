"""The layer-graph contract, checked by building each graph as a PyTorch module: every
node's inputs, shapes and parameters must be what PyTorch computes and counts."""

import numpy as np
import pytest

from archgym_env.network_spaces import network_design_space
from simulators.networks import network_space
from simulators.workloads import INPUT, NETWORKS, Network, network

torch = pytest.importorskip("torch")
nn = torch.nn

ACTS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "h_swish": nn.Hardswish,
        "h_sigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid, "swish": nn.SiLU}


def _steps(steps, channels):
    return [nn.BatchNorm2d(channels) if s == "bn" else ACTS[s]() for s in steps]


class GraphModule(nn.Module):
    """A PyTorch module of a layer graph, read from the contract alone."""

    def __init__(self, net: Network):
        super().__init__()
        self.net, shapes = net, {INPUT: net.input_shape}
        self.ops = nn.ModuleDict()
        for node in net.graph:
            c_in = shapes[node.inputs[0]][0]
            layer, key = node.layer, node.name.replace(".", "/")
            if node.op == "conv":
                core = nn.Conv2d(c_in, node.shape[0], layer.R, layer.Hstride, node.padding,
                                 groups=layer.groups, bias=node.bias)
            elif node.op == "fc":
                core = nn.Sequential(nn.Flatten(), nn.Linear(layer.C, node.shape[0],
                                                             bias=node.bias))
            elif node.op == "conv_transpose":
                k = node.shape[1] // shapes[node.inputs[0]][1]
                core = nn.ConvTranspose2d(c_in, node.shape[0], k, k, bias=node.bias)
            elif node.op == "max_pool":
                core = nn.MaxPool2d(layer.R, layer.Hstride, node.padding)
            elif node.op == "avg_pool":
                core = nn.AdaptiveAvgPool2d(node.shape[1:]) if layer.H != (
                    (layer.P - 1) * layer.Hstride + layer.R - 2 * node.padding) else \
                    nn.AvgPool2d(layer.R, layer.Hstride, node.padding, count_include_pad=False)
            else:
                core = nn.Identity()
            body = [*_steps(node.pre, c_in), core]
            body += [nn.Unflatten(1, (node.shape[0], 1, 1))] if node.op == "fc" else []
            self.ops[key] = nn.Sequential(*body, *_steps(node.post, node.shape[0]))
            shapes[node.name] = node.shape

    def forward(self, x):
        values = {INPUT: x}
        for node in self.net.graph:
            args = [values[i] for i in node.inputs]
            op = self.ops[node.name.replace(".", "/")]
            if node.op == "add":
                y = op(sum(args[1:], args[0]))
            elif node.op == "scale":
                y = args[0] * args[1]
            elif node.op == "concat":
                y = torch.cat(args, dim=1)
            elif node.op == "zero":
                y = args[0] * 0.0
            else:
                y = op(args[0])
            assert tuple(y.shape[1:]) == node.shape, node.name
            values[node.name] = y
        return y


def _check(net: Network):
    module = GraphModule(net).eval()
    with torch.no_grad():
        out = module(torch.zeros(1, *net.input_shape))
    assert tuple(out.shape[1:]) == net.graph[-1].shape
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
