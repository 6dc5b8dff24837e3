"""PyTorch networks for the accuracy evaluators that run a network (training, zero-cost).

`nb201_network` is NAS-Bench-201's own CIFAR network (Dong and Yang, ICLR 2020; the
AutoDL-Projects `TinyNetwork` with `InferCell`, C=16, N=5): a 3x3 stem, three stages of N
cells at C, 2C, 4C channels joined by residual reduction blocks, BN-ReLU, global pooling and
a linear classifier. Its five ops are those of NB201's `cell_operations.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from simulators.accuracy import nb201


class ReLUConvBN(nn.Sequential):
    """NB201's conv op: ReLU, conv, BN. affine=False (zero-cost-nas's cells) gives the conv a
    bias and the BN neither affine parameters nor running statistics."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, affine: bool = True):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=not affine),
                         nn.BatchNorm2d(c_out, affine=affine, track_running_stats=affine))


class Zero(nn.Module):
    """NB201's `none`: the edge carries zeros (and no gradient)."""

    def forward(self, x):
        return x.mul(0.0)


def nb201_op(name: str, channels: int, affine: bool = True) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    kernel = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}[name]
    return ReLUConvBN(channels, channels, kernel, 1, affine)


class NB201Cell(nn.Module):
    """Node j = sum over i < j of op_(j,i)(node i); the cell's output is node 3."""

    def __init__(self, ops: Sequence[str], channels: int, affine: bool = True):
        super().__init__()
        self.edges = nn.ModuleList(nb201_op(op, channels, affine) for op in ops)

    def forward(self, x):
        nodes = [x]
        for to in (1, 2, 3):
            nodes.append(sum(self.edges[k](nodes[src])
                             for k, (t, src) in enumerate(nb201.EDGES) if t == to))
        return nodes[3]


class ResidualReduction(nn.Module):
    """NB201's ResNetBasicblock with stride 2: two ReLUConvBN 3x3 plus a 2x2 average pool
    and 1x1 conv shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)


def nb201_network(arch, num_classes: int = 10, channels: int = 16, cells: int = 5,
                  in_channels: int = 3, cell_affine: bool = True) -> nn.Sequential:
    """NB201's network of cell `arch` (string or six ops). cell_affine=False builds the cells
    as zero-cost-nas's NAS201Model does (foresight/models/nasbench2.py: conv with bias, BN
    without affine parameters or running statistics)."""
    ops = nb201.parse(arch)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
                               nn.BatchNorm2d(channels)]
    c = channels
    for stage in range(3):
        if stage:
            layers.append(ResidualReduction(c, 2 * c))
            c *= 2
        layers.extend(NB201Cell(ops, c, cell_affine) for _ in range(cells))
    layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def without_batchnorm(model: nn.Module) -> nn.Module:
    """`model` with every BatchNorm replaced by identity, in place (synflow's bn=False)."""
    for name, child in model.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(model, name, nn.Identity())
        else:
            without_batchnorm(child)
    return model

