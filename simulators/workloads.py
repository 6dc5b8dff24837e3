"""DNN layers as loop nests in Timeloop's dimension names, and network builders.

A layer computes Outputs[n,m,p,q] += Weights[m,c,r,s] * Inputs[n,c,p*Hstride+r*Hdilation,
q*Wstride+s*Wdilation] per group (Timeloop's problem shape for CNN layers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulators.errors import InvalidArgumentError, check_int

DATA_SPACES = ("Weights", "Inputs", "Outputs")
MAX_RESOLUTION = 4096
MAX_BATCH = 4096


@dataclass(frozen=True)
class Gemm:
    """One matrix product (rows x inner) @ (inner x cols), repeated `count` times."""

    rows: int
    inner: int
    cols: int
    count: int = 1

    def __post_init__(self):
        for field in ("rows", "inner", "cols", "count"):
            check_int(f"gemm.{field}", getattr(self, field))


@dataclass(frozen=True)
class Layer:
    """A convolution, depthwise convolution, fully connected layer or (batched) matmul.

    C and M are the total input and output channels; with `groups` > 1 each group
    sees C/groups inputs and makes M/groups outputs (depthwise: groups = C = M; a batch
    of independent matmuls: one group per matmul).
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
        if not isinstance(self.name, str) or not self.name:
            raise InvalidArgumentError("layer.name", self.name, "a non-empty string")
        for field in ("M", "C", "P", "Q", "R", "S", "N", "Hstride", "Wstride", "Hdilation",
                      "Wdilation", "groups"):
            check_int(f"{self.name}.{field}", getattr(self, field))
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

    @property
    def input_height(self) -> int:
        """Input rows the outputs read, halo included: (P-1)*Hstride + (R-1)*Hdilation + 1."""
        return (self.P - 1) * self.Hstride + (self.R - 1) * self.Hdilation + 1

    @property
    def input_width(self) -> int:
        """Input columns the outputs read: (Q-1)*Wstride + (S-1)*Wdilation + 1."""
        return (self.Q - 1) * self.Wstride + (self.S - 1) * self.Wdilation + 1

    @property
    def data_space_words(self) -> dict[str, int]:
        """Words in each of the three data spaces (Weights, Inputs, Outputs), in that order."""
        return {
            "Weights": self.M * (self.C // self.groups) * self.R * self.S,
            "Inputs": self.N * self.C * self.input_height * self.input_width,
            "Outputs": self.N * self.M * self.P * self.Q,
        }

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
    """An ordered, non-empty list of uniquely named layers that do MACs (convolutions,
    fully connected layers, matmuls); pooling, activations and additions are left out."""

    name: str
    layers: tuple[Layer, ...]

    def __post_init__(self):
        if not isinstance(self.layers, tuple) or not self.layers or \
                not all(isinstance(layer, Layer) for layer in self.layers):
            raise InvalidArgumentError(f"{self.name}.layers", self.layers,
                                       "a non-empty tuple of Layer")
        names = [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidArgumentError(f"{self.name}.layers", duplicates, "unique layer names")

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def weight_words(self) -> int:
        """Weights of all layers: the parameter count without biases and batch-norm terms."""
        return sum(layer.data_space_words["Weights"] for layer in self.layers)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output height or width of a convolution (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class _Stack:
    """Builds a network's layers in order, tracking the square feature map they run on.

    `fork()` gives a branch (residual shortcut, squeeze-and-excitation) that appends to
    the same layer list but keeps its own channels and size.
    """

    def __init__(self, size: int, channels: int, batch: int, layers: list[Layer]):
        self.size, self.channels, self.batch, self.layers = size, channels, batch, layers

    def fork(self) -> _Stack:
        return _Stack(self.size, self.channels, self.batch, self.layers)

    def conv(self, name: str, out: int, kernel: int, stride: int = 1, groups: int = 1,
             padding: int | None = None) -> None:
        """A square convolution; padding defaults to (kernel - 1) // 2 ("same" at stride 1)."""
        padding = (kernel - 1) // 2 if padding is None else padding
        size = conv_output_size(self.size, kernel, stride, padding)
        self.layers.append(Layer(name, M=out, C=self.channels, P=size, Q=size, R=kernel,
                                 S=kernel, N=self.batch, Hstride=stride, Wstride=stride,
                                 groups=groups))
        self.size, self.channels = size, out

    def pool(self, kernel: int, stride: int, padding: int = 0) -> None:
        self.size = conv_output_size(self.size, kernel, stride, padding)

    def flatten(self, size: int = 1) -> None:
        """Adaptive average pooling to size x size, then flattening into features."""
        self.size, self.channels = 1, self.channels * size * size

    def fc(self, name: str, out: int) -> None:
        self.layers.append(Layer.fc(name, self.channels, out, self.batch))
        self.channels = out

    def squeeze_excite(self, name: str, squeeze: int) -> None:
        """Squeeze-and-excitation: two 1x1 convolutions on the globally pooled map."""
        branch = self.fork()
        branch.size = 1
        channels = self.channels
        branch.conv(f"{name}.fc1", squeeze, 1)
        branch.conv(f"{name}.fc2", channels, 1)


def _start(resolution: int, batch: int, num_classes: int, min_resolution: int) -> _Stack:
    check_int("resolution", resolution, min_resolution, MAX_RESOLUTION)
    check_int("batch", batch, 1, MAX_BATCH)
    check_int("num_classes", num_classes)
    return _Stack(resolution, 3, batch, [])


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of 8, never below 90% (MobileNet's reference rounding)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def alexnet(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """AlexNet, single-tower variant of Krizhevsky, "One weird trick..." (arXiv:1404.5997),
    as in torchvision: 0.71 G MACs and 61.1 M parameters at 224x224."""
    s = _start(resolution, batch, num_classes, min_resolution=63)
    s.conv("conv1", 64, 11, stride=4, padding=2)
    s.pool(3, 2)
    s.conv("conv2", 192, 5)
    s.pool(3, 2)
    s.conv("conv3", 384, 3)
    s.conv("conv4", 256, 3)
    s.conv("conv5", 256, 3)
    s.pool(3, 2)
    s.flatten(6)
    s.fc("fc6", 4096)
    s.fc("fc7", 4096)
    s.fc("fc8", num_classes)
    return Network(f"alexnet@{resolution}", tuple(s.layers))


def vgg16(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """VGG-16, configuration D of Simonyan & Zisserman (ICLR 2015, Table 1): 15.5 G MACs and
    138 M parameters at 224x224."""
    s = _start(resolution, batch, num_classes, min_resolution=32)
    for stage, (width, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), 1):
        for i in range(1, convs + 1):
            s.conv(f"conv{stage}_{i}", width, 3)
        s.pool(2, 2)
    s.flatten(7)
    s.fc("fc6", 4096)
    s.fc("fc7", 4096)
    s.fc("fc8", num_classes)
    return Network(f"vgg16@{resolution}", tuple(s.layers))


def _resnet(name: str, resolution: int, batch: int, num_classes: int, blocks: tuple[int, ...],
            bottleneck: bool) -> Network:
    """ResNet of He et al. (CVPR 2016, Table 1) as in torchvision (v1.5: a bottleneck
    block strides in its 3x3 convolution)."""
    s = _start(resolution, batch, num_classes, min_resolution=32)
    s.conv("conv1", 64, 7, stride=2)
    s.pool(3, 2, padding=1)
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks, strict=True), 1):
        for block in range(count):
            stride = 2 if stage > 1 and block == 0 else 1
            prefix = f"layer{stage}.{block}"
            shortcut = s.fork()
            if bottleneck:
                s.conv(f"{prefix}.conv1", width, 1)
                s.conv(f"{prefix}.conv2", width, 3, stride=stride)
                s.conv(f"{prefix}.conv3", 4 * width, 1)
            else:
                s.conv(f"{prefix}.conv1", width, 3, stride=stride)
                s.conv(f"{prefix}.conv2", width, 3)
            if stride != 1 or shortcut.channels != s.channels:
                shortcut.conv(f"{prefix}.downsample", s.channels, 1, stride=stride)
    s.flatten()
    s.fc("fc", num_classes)
    return Network(f"{name}@{resolution}", tuple(s.layers))


def resnet18(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """ResNet-18 (He et al., CVPR 2016, Table 1): 1.81 G MACs at 224x224."""
    return _resnet("resnet18", resolution, batch, num_classes, (2, 2, 2, 2), bottleneck=False)


def resnet50(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """ResNet-50 (He et al., CVPR 2016, Table 1), torchvision's v1.5: 4.09 G MACs at 224x224."""
    return _resnet("resnet50", resolution, batch, num_classes, (3, 4, 6, 3), bottleneck=True)


# Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018,
# Table 2: expansion t, output channels c, repeats n, first stride s.
MOBILENET_V2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """MobileNet-V2 1.0 (Sandler et al., CVPR 2018, Tables 2 and 4): 300 M MACs and 3.4 M
    parameters at 224x224."""
    s = _start(resolution, batch, num_classes, min_resolution=32)
    s.conv("conv1", 32, 3, stride=2)
    index = 0
    for expansion, out, repeats, first_stride in MOBILENET_V2_BLOCKS:
        for i in range(repeats):
            index += 1
            hidden = s.channels * expansion
            if expansion != 1:
                s.conv(f"block{index}.expand", hidden, 1)
            s.conv(f"block{index}.depthwise", hidden, 3, stride=first_stride if i == 0 else 1,
                   groups=hidden)
            s.conv(f"block{index}.project", out, 1)
    s.conv("conv_last", 1280, 1)
    s.flatten()
    s.fc("classifier", num_classes)
    return Network(f"mobilenet_v2@{resolution}", tuple(s.layers))


# Howard et al., "Searching for MobileNetV3", ICCV 2019, Tables 1 (Large) and 2 (Small):
# kernel, expansion size, output channels, squeeze-and-excite, stride of each bneck block;
# then the channels of the last 1x1 convolution and of the penultimate (1x1, no BN) layer.
MOBILENET_V3_LARGE = ((
    (3, 16, 16, False, 1), (3, 64, 24, False, 2), (3, 72, 24, False, 1),
    (5, 72, 40, True, 2), (5, 120, 40, True, 1), (5, 120, 40, True, 1),
    (3, 240, 80, False, 2), (3, 200, 80, False, 1), (3, 184, 80, False, 1),
    (3, 184, 80, False, 1), (3, 480, 112, True, 1), (3, 672, 112, True, 1),
    (5, 672, 160, True, 2), (5, 960, 160, True, 1), (5, 960, 160, True, 1),
), 960, 1280)
MOBILENET_V3_SMALL = ((
    (3, 16, 16, True, 2), (3, 72, 24, False, 2), (3, 88, 24, False, 1),
    (5, 96, 40, True, 2), (5, 240, 40, True, 1), (5, 240, 40, True, 1),
    (5, 120, 48, True, 1), (5, 144, 48, True, 1), (5, 288, 96, True, 2),
    (5, 576, 96, True, 1), (5, 576, 96, True, 1),
), 576, 1024)


def _mobilenet_v3(name: str, spec, resolution: int, batch: int, num_classes: int) -> Network:
    """MobileNet-V3 1.0 as in torchvision; squeeze-and-excite squeezes to 1/4 of the
    expansion size rounded to a multiple of 8 (Howard et al., ICCV 2019, Section 5.3)."""
    blocks, last_conv, penultimate = spec
    s = _start(resolution, batch, num_classes, min_resolution=32)
    s.conv("conv1", 16, 3, stride=2)
    for index, (kernel, expanded, out, se, stride) in enumerate(blocks, 1):
        if expanded != s.channels:
            s.conv(f"block{index}.expand", expanded, 1)
        s.conv(f"block{index}.depthwise", expanded, kernel, stride=stride, groups=expanded)
        if se:
            s.squeeze_excite(f"block{index}.se", _make_divisible(expanded / 4))
        s.conv(f"block{index}.project", out, 1)
    s.conv("conv_last", last_conv, 1)
    s.flatten()
    s.fc("classifier.0", penultimate)
    s.fc("classifier.1", num_classes)
    return Network(f"{name}@{resolution}", tuple(s.layers))


def mobilenet_v3_large(resolution: int = 224, batch: int = 1,
                       num_classes: int = 1000) -> Network:
    """MobileNet-V3-Large 1.0 (Howard et al., ICCV 2019, Table 3): 219 M MACs at 224x224."""
    return _mobilenet_v3("mobilenet_v3_large", MOBILENET_V3_LARGE, resolution, batch,
                         num_classes)


def mobilenet_v3_small(resolution: int = 224, batch: int = 1,
                       num_classes: int = 1000) -> Network:
    """MobileNet-V3-Small 1.0 (Howard et al., ICCV 2019, Table 3): 56 M MACs at 224x224."""
    return _mobilenet_v3("mobilenet_v3_small", MOBILENET_V3_SMALL, resolution, batch,
                         num_classes)


NETWORKS: dict[str, Callable[..., Network]] = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_large": mobilenet_v3_large,
    "mobilenet_v3_small": mobilenet_v3_small,
}


def network(name: str, resolution: int = 224, batch: int = 1) -> Network:
    """A built-in network by name (see NETWORKS), or an ONNX model by a path ending in .onnx
    (its own input resolution holds; `batch` sets a symbolic batch dimension)."""
    check_int("batch", batch, 1, MAX_BATCH)
    if isinstance(name, str) and name.lower().endswith(".onnx"):
        from simulators.onnx_import import load_onnx

        return load_onnx(name, batch=batch)
    if not isinstance(name, str) or name not in NETWORKS:
        raise InvalidArgumentError("workload", name,
                                   ", ".join(sorted(NETWORKS)) + " or a path to an .onnx file")
    return NETWORKS[name](resolution=resolution, batch=batch)
