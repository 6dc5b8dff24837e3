"""DNN layers as loop nests in Timeloop's dimension names, and network builders.

A layer computes Outputs[n,m,p,q] += Weights[m,c,r,s] * Inputs[n,c,p*Hstride+r*Hdilation,
q*Wstride+s*Wdilation] per group (Timeloop's problem shape for CNN layers).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.errors import InvalidArgumentError


def _check_positive_ints(owner: str, obj: object, fields: tuple[str, ...]) -> None:
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgumentError(f"{owner}.{name}", value, "a positive integer")


@dataclass(frozen=True)
class Gemm:
    """One matrix product (rows x inner) @ (inner x cols), repeated `count` times."""

    rows: int
    inner: int
    cols: int
    count: int = 1

    def __post_init__(self):
        _check_positive_ints("gemm", self, ("rows", "inner", "cols", "count"))


@dataclass(frozen=True)
class Layer:
    """A convolution, depthwise convolution or fully connected layer.

    C and M are the total input and output channels; with `groups` > 1 each group
    sees C/groups inputs and makes M/groups outputs (depthwise: groups = C = M).
    """

    name: str
    M: int
    C: int
    P: int = 1
    Q: int = 1
    R: int = 1
    S: int = 1
    N: int = 1
    Hstride: int = 1
    Wstride: int = 1
    Hdilation: int = 1
    Wdilation: int = 1
    groups: int = 1

    def __post_init__(self):
        _check_positive_ints(self.name, self, ("M", "C", "P", "Q", "R", "S", "N", "Hstride",
                                               "Wstride", "Hdilation", "Wdilation", "groups"))
        if self.C % self.groups or self.M % self.groups:
            raise InvalidArgumentError(
                f"{self.name}.groups", self.groups, f"a divisor of C={self.C} and M={self.M}"
            )

    @classmethod
    def fc(cls, name: str, in_features: int, out_features: int, batch: int = 1) -> Layer:
        """A fully connected layer (a GEMM with batch rows)."""
        return cls(name, M=out_features, C=in_features, N=batch)

    @property
    def macs(self) -> int:
        """Multiply-accumulates: N*M*P*Q*(C/groups)*R*S."""
        return self.N * self.M * self.P * self.Q * (self.C // self.groups) * self.R * self.S

    def to_gemm(self) -> Gemm:
        """Lower by im2col: ofmap pixels x (window of one group) @ window x filters, per group."""
        return Gemm(
            rows=self.N * self.P * self.Q,
            inner=(self.C // self.groups) * self.R * self.S,
            cols=self.M // self.groups,
            count=self.groups,
        )


@dataclass(frozen=True)
class Network:
    """An ordered list of the layers that do MACs (convolutions and fully connected)."""

    name: str
    layers: tuple[Layer, ...]

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output height or width of a convolution (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def resnet18(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """ResNet-18 (He et al., CVPR 2016, Table 1): 1.81 G MACs at 224x224."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not \
            32 <= resolution <= 4096:
        raise InvalidArgumentError("resolution", resolution, "an integer in 32..4096")
    layers: list[Layer] = []
    size = conv_output_size(resolution, 7, 2, 3)
    layers.append(Layer("conv1", M=64, C=3, P=size, Q=size, R=7, S=7, N=batch,
                        Hstride=2, Wstride=2))
    size = conv_output_size(size, 3, 2, 1)  # 3x3 max pool, stride 2
    channels = 64
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            out = conv_output_size(size, 3, stride, 1)
            prefix = f"layer{stage}.{block}"
            layers.append(Layer(f"{prefix}.conv1", M=width, C=channels, P=out, Q=out, R=3, S=3,
                                N=batch, Hstride=stride, Wstride=stride))
            layers.append(Layer(f"{prefix}.conv2", M=width, C=width, P=out, Q=out, R=3, S=3,
                                N=batch))
            if stride != 1 or channels != width:
                layers.append(Layer(f"{prefix}.downsample", M=width, C=channels, P=out, Q=out,
                                    N=batch, Hstride=stride, Wstride=stride))
            channels, size = width, out
    layers.append(Layer.fc("fc", 512, num_classes, batch))
    return Network(f"resnet18@{resolution}", tuple(layers))


NETWORKS = {"resnet18": resnet18}


def network(name: str, resolution: int = 224, batch: int = 1) -> Network:
    """A built-in network by name."""
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 4096:
        raise InvalidArgumentError("batch", batch, "an integer in 1..4096")
    if not isinstance(name, str) or name not in NETWORKS:
        raise InvalidArgumentError("workload", name, ", ".join(sorted(NETWORKS)))
    return NETWORKS[name](resolution=resolution, batch=batch)
