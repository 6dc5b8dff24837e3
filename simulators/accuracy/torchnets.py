"""PyTorch modules of layer graphs, for the evaluators that run a network (training,
zero-cost proxies).

`GraphModule` builds any `Network` with a layer graph (simulators.workloads) as a module,
read from the graph contract alone: every node's op, inputs, padding, bias and its pre/post
batch norms and activations. `nb201_network` is NAS-Bench-201's CIFAR network of a cell
(Dong and Yang, ICLR 2020: C=16, N=5 cells per stage, ReLU-conv-BN ops, residual
reductions) as the nb201 space decodes it.
"""

from __future__ import annotations

import torch
from torch import nn

from simulators.networks import network_space
from simulators.workloads import INPUT, Network

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "h_swish": nn.Hardswish,
               "h_sigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid, "swish": nn.SiLU}


def _steps(steps, channels: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels) if s == "bn" else ACTIVATIONS[s]() for s in steps]


class GraphModule(nn.Module):
    """A layer graph as a PyTorch module. Global pools (to 1x1) are adaptive, so a network
    that ends in one also runs on inputs of another resolution."""

    def __init__(self, net: Network):
        super().__init__()
        if not net.graph:
            raise ValueError(f"{net.name} has no layer graph")
        self.graph, shapes = net.graph, {INPUT: net.input_shape}
        self.ops = nn.ModuleDict()
        for node in net.graph:
            c_in = shapes[node.inputs[0]][0]
            layer = node.layer
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
                core = nn.AdaptiveAvgPool2d(node.shape[1:]) if node.shape[1:] == (1, 1) or \
                    layer.H != ((layer.P - 1) * layer.Hstride + layer.R - 2 * node.padding) else \
                    nn.AvgPool2d(layer.R, layer.Hstride, node.padding, count_include_pad=False)
            else:
                core = nn.Identity()
            body = [*_steps(node.pre, c_in), core]
            body += [nn.Unflatten(1, (node.shape[0], 1, 1))] if node.op == "fc" else []
            self.ops[node.name.replace(".", "/")] = nn.Sequential(
                *body, *_steps(node.post, node.shape[0]))
            shapes[node.name] = node.shape

    def forward(self, x, check_shapes: bool = False):
        """The last node's output, flattened to (batch, classes) where it is 1x1;
        `check_shapes` asserts every node's output shape is the graph's."""
        values = {INPUT: x}
        for node in self.graph:
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
            if check_shapes and tuple(y.shape[1:]) != node.shape:
                raise AssertionError(f"{node.name}: {tuple(y.shape[1:])} != {node.shape}")
            values[node.name] = y
        return y.flatten(1) if y.shape[2:] == (1, 1) else y


def nb201_network(arch, num_classes: int = 10) -> GraphModule:
    """NB201's CIFAR network of cell `arch` (an arch string or a design of the nb201 space)."""
    from simulators.networks import nb201
    return GraphModule(nb201.build(network_space("nb201").parse(arch), num_classes=num_classes))


def zero_cost_nas_nb201(arch, num_classes: int = 10) -> GraphModule:
    """NB201's network as zero-cost-nas builds it (foresight/models/nasbench2*.py, the model
    behind Abdelfattah et al.'s NB201 figures): the same graph, but each cell op's
    ReLU-conv-BN has `affine=False`, hence a conv bias (`bias=not affine`) and a BN without
    scale and shift. Its synflow copy drops the BNs of stem, cells and head but keeps the
    reductions' (`get_prunable_copy(bn=False)`): see `ZERO_COST_NAS_KEPT_BN`."""
    module = nb201_network(arch, num_classes)
    for name, body in module.ops.items():
        if "/cell" in name and len(body) == 3 and isinstance(body[1], nn.Conv2d):
            conv = body[1]
            body[1] = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                conv.stride, conv.padding, bias=True)
            body[2] = nn.BatchNorm2d(conv.out_channels, affine=False)
    return module


# Module-name prefixes of zero-cost-nas's NB201 whose BN its bn=False copy keeps.
ZERO_COST_NAS_KEPT_BN = ("ops.reduction",)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def without_batchnorm(model: nn.Module, keep: tuple[str, ...] = (), _prefix: str = "") -> nn.Module:
    """`model` with every BatchNorm replaced by identity, in place (synflow's bn=False),
    but for those under a module name starting with one of `keep`."""
    for name, child in model.named_children():
        path = f"{_prefix}{name}"
        if path.startswith(keep) and keep:
            continue
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(model, name, nn.Identity())
        else:
            without_batchnorm(child, keep, f"{path}.")
    return model
