"""DNN layers as loop nests in Timeloop's dimension names, layer graphs, and network builders.

A layer with MACs (`Layer`: convolution, grouped or depthwise convolution, fully connected
layer, matmul) computes Outputs[n,m,p,q] += Weights[m,c,r,s] * Inputs[n,c,p*Hstride+r*Hdilation,
q*Wstride+s*Wdilation] per group (Timeloop's problem shape for CNN layers). A layer without
MACs (`Elementwise`: max or average pooling, the add of a residual or of a cell's sum, the
squeeze-and-excite scaling, a concatenation) says what it reads, writes and computes.

The layer graph (`Network.graph`, built by `NetworkBuilder`): a tuple of `Node`s in
topological order. Each node has
  * `op`: "conv" (grouped/depthwise via layer.groups), "fc" (reads its input flattened in
    C, H, W order), "conv_transpose" (kernel = stride, no overlap: held as the equivalent
    1x1 `Layer` with M = out * k * k on the input grid), "max_pool", "avg_pool" (zero
    padding not counted in the mean, as NAS-Bench-201; a window the size of the map is
    global pooling), "add" (sum of 2+ inputs of one shape), "scale" (inputs[0] times the
    per-channel gate inputs[1], broadcast over H x W), "concat" (along channels), "zero"
    (zeros of its input's shape: NAS-Bench-201's "none" edges);
  * `layer`: its `Layer` (conv, fc, conv_transpose) or `Elementwise` (the others), whose
    name is the node's name;
  * `inputs`: names of earlier nodes, or INPUT for the network's input (`input_shape`);
  * `shape`: its output (channels, height, width) per sample; `padding`: zero padding of a
    conv or pool on each side; `bias`: a conv/fc bias;
  * `pre` and `post`: what runs on the input before the op and on its output after it, in
    order: "bn" (batch norm, affine) or an activation of ACTIVATIONS. MBConv's conv-BN-act
    is post=("bn", "relu"); NAS-Bench-201's ReLU-conv-BN is pre=("relu",), post=("bn",).
The network's output is its last node. `Network.layers` are the graph's MAC layers in
order (what mappers map), `Network.elementwise` the others; a network without a graph
(an ONNX import) has MAC layers only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulators.errors import InvalidArgumentError, check_int

DATA_SPACES = ("Weights", "Inputs", "Outputs")
MAX_RESOLUTION = 4096
MAX_BATCH = 4096
INPUT = "input"
ACTIVATIONS = ("relu", "relu6", "h_swish", "h_sigmoid", "sigmoid", "swish")
ELEMENTWISE_KINDS = ("max_pool", "avg_pool", "add", "scale", "concat", "zero")
MAC_OPS = ("conv", "fc", "conv_transpose")
OPS = MAC_OPS + ELEMENTWISE_KINDS


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
class Elementwise:
    """A layer without MACs, N x C x P x Q outputs from `operands` inputs:

    * max_pool / avg_pool: R x S windows at the strides over an H x W input (H, W default
      to the unpadded extent (P-1)*stride + R); one compare or add per window element.
    * add: `operands` (>= 2) inputs of the output's shape; operands - 1 adds per output.
    * scale: the input times a per-channel gate (N x C words); one multiply per output.
    * concat: producers write into their channel slices, so nothing moves or computes.
    * zero: a tensor of zeros of the input's shape (NAS-Bench-201's "none" feeding a node
      that nothing else feeds); written, nothing read or computed.
    """

    name: str
    kind: str
    C: int
    P: int = 1
    Q: int = 1
    N: int = 1
    R: int = 1
    S: int = 1
    Hstride: int = 1
    Wstride: int = 1
    operands: int = 1
    H: int = 0
    W: int = 0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InvalidArgumentError("layer.name", self.name, "a non-empty string")
        if self.kind not in ELEMENTWISE_KINDS:
            raise InvalidArgumentError(f"{self.name}.kind", self.kind,
                                       ", ".join(ELEMENTWISE_KINDS))
        for field in ("C", "P", "Q", "N", "R", "S", "Hstride", "Wstride", "operands"):
            check_int(f"{self.name}.{field}", getattr(self, field))
        if self.kind in ("add", "concat") and self.operands < 2:
            raise InvalidArgumentError(f"{self.name}.operands", self.operands, "at least 2")
        for field, extent in (("H", (self.P - 1) * self.Hstride + self.R),
                              ("W", (self.Q - 1) * self.Wstride + self.S)):
            if getattr(self, field) == 0:
                object.__setattr__(self, field, extent)
            check_int(f"{self.name}.{field}", getattr(self, field))

    macs = 0

    @property
    def output_words(self) -> int:
        return self.N * self.C * self.P * self.Q

    @property
    def read_words(self) -> int:
        """Words read from the inputs (each input word once)."""
        if self.kind in ("concat", "zero"):
            return 0
        if self.kind in ("max_pool", "avg_pool"):
            return self.N * self.C * self.H * self.W
        if self.kind == "scale":
            return self.output_words + self.N * self.C
        return self.operands * self.output_words

    @property
    def write_words(self) -> int:
        return 0 if self.kind == "concat" else self.output_words

    @property
    def ops(self) -> int:
        """Compares, adds or multiplies (see the class docstring)."""
        if self.kind in ("max_pool", "avg_pool"):
            return self.output_words * self.R * self.S
        if self.kind == "add":
            return (self.operands - 1) * self.output_words
        return self.output_words if self.kind == "scale" else 0


@dataclass(frozen=True)
class Node:
    """One layer of a layer graph (the module docstring gives the contract)."""

    op: str
    layer: Layer | Elementwise
    inputs: tuple[str, ...]
    shape: tuple[int, int, int]
    padding: int = 0
    bias: bool = False
    pre: tuple[str, ...] = ()
    post: tuple[str, ...] = ()

    def __post_init__(self):
        if self.op not in OPS:
            raise InvalidArgumentError(f"{self.name}.op", self.op, ", ".join(OPS))
        kind = Layer if self.op in MAC_OPS else Elementwise
        if not isinstance(self.layer, kind) or (kind is Elementwise and
                                                self.layer.kind != self.op):
            raise InvalidArgumentError(f"{self.name}.layer", type(self.layer).__name__,
                                       f"a {kind.__name__} for op {self.op}")
        for step in self.pre + self.post:
            if step != "bn" and step not in ACTIVATIONS:
                raise InvalidArgumentError(f"{self.name}.pre/post", step,
                                           "bn, " + ", ".join(ACTIVATIONS))

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def params(self) -> int:
        """Weights, biases and batch-norm scales and shifts (running statistics are not
        parameters, as PyTorch counts them)."""
        weights = self.layer.data_space_words["Weights"] if isinstance(self.layer, Layer) else 0
        in_channels = self.layer.C
        return (weights + self.bias * self.shape[0] + 2 * self.post.count("bn") * self.shape[0]
                + 2 * self.pre.count("bn") * in_channels)


@dataclass(frozen=True)
class Network:
    """A network: its MAC layers in order (convolutions, fully connected layers, matmuls)
    and, when known, the whole layer graph (see the module docstring) they come from."""

    name: str
    layers: tuple[Layer, ...]
    graph: tuple[Node, ...] = ()
    input_shape: tuple[int, int, int] | None = None

    def __post_init__(self):
        if not isinstance(self.layers, tuple) or not self.layers or \
                not all(isinstance(layer, Layer) for layer in self.layers):
            raise InvalidArgumentError(f"{self.name}.layers", self.layers,
                                       "a non-empty tuple of Layer")
        names = [node.name for node in self.graph] or [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidArgumentError(f"{self.name}.layers", duplicates, "unique layer names")
        if self.graph:
            if tuple(n.layer for n in self.graph if n.op in MAC_OPS) != self.layers:
                raise InvalidArgumentError(f"{self.name}.graph", "its MAC layers",
                                           "the network's layers, in order")
            seen = {INPUT}
            for node in self.graph:
                missing = [i for i in node.inputs if i not in seen]
                if missing or not node.inputs:
                    raise InvalidArgumentError(f"{node.name}.inputs", missing or node.inputs,
                                               "earlier layers or " + INPUT)
                seen.add(node.name)

    @classmethod
    def from_graph(cls, name: str, graph: tuple[Node, ...],
                   input_shape: tuple[int, int, int]) -> Network:
        return cls(name, tuple(n.layer for n in graph if n.op in MAC_OPS), tuple(graph),
                   input_shape)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def weight_words(self) -> int:
        """Weights of all layers: the parameter count without biases and batch-norm terms."""
        return sum(layer.data_space_words["Weights"] for layer in self.layers)

    @property
    def params(self) -> int:
        """Parameters with biases and batch norm (the weights alone without a graph)."""
        return sum(n.params for n in self.graph) if self.graph else self.weight_words

    @property
    def elementwise(self) -> tuple[Elementwise, ...]:
        """The layers without MACs, in graph order."""
        return tuple(n.layer for n in self.graph if n.op not in MAC_OPS)


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output height or width of a convolution (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class Tensor:
    """A feature map of the graph being built: the node that makes it and its shape."""

    name: str
    channels: int
    height: int
    width: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)


class NetworkBuilder:
    """Builds a layer graph: each method adds a node reading earlier tensors and returns
    its output tensor. `input` is the network's input; `build()` the Network."""

    def __init__(self, name: str, resolution: int | tuple[int, int], channels: int = 3,
                 batch: int = 1):
        height, width = (resolution, resolution) if isinstance(resolution, int) else resolution
        for field, value in (("resolution", height), ("resolution", width),
                             ("channels", channels), ("batch", batch)):
            check_int(field, value)
        self.name, self.batch, self.nodes = name, batch, []
        self.input = Tensor(INPUT, channels, height, width)

    def _add(self, op: str, layer: Layer | Elementwise, inputs: tuple[Tensor, ...],
             shape: tuple[int, int, int], **extra) -> Tensor:
        self.nodes.append(Node(op, layer, tuple(t.name for t in inputs), shape, **extra))
        return Tensor(layer.name, *shape)

    def conv(self, x: Tensor, name: str, out: int, kernel: int, stride: int = 1,
             groups: int = 1, padding: int | None = None, bias: bool = False,
             pre: tuple[str, ...] = (), post: tuple[str, ...] = ()) -> Tensor:
        """A square convolution; padding defaults to (kernel - 1) // 2 ("same" at stride 1)."""
        padding = (kernel - 1) // 2 if padding is None else padding
        p = conv_output_size(x.height, kernel, stride, padding)
        q = conv_output_size(x.width, kernel, stride, padding)
        layer = Layer(name, M=out, C=x.channels, P=p, Q=q, R=kernel, S=kernel, N=self.batch,
                      Hstride=stride, Wstride=stride, groups=groups)
        return self._add("conv", layer, (x,), (out, p, q), padding=padding, bias=bias,
                         pre=pre, post=post)

    def conv_transpose(self, x: Tensor, name: str, out: int, kernel: int = 2,
                       bias: bool = True, post: tuple[str, ...] = ()) -> Tensor:
        """A transposed convolution with stride = kernel (U-Net's up-convolution): each input
        pixel makes its own k x k output patch, the MACs of a 1x1 convolution to out*k*k."""
        layer = Layer(name, M=out * kernel * kernel, C=x.channels, P=x.height, Q=x.width,
                      N=self.batch)
        return self._add("conv_transpose", layer, (x,),
                         (out, x.height * kernel, x.width * kernel), bias=bias, post=post)

    def fc(self, x: Tensor, name: str, out: int, bias: bool = True,
           post: tuple[str, ...] = ()) -> Tensor:
        """A fully connected layer on the flattened input."""
        layer = Layer.fc(name, x.channels * x.height * x.width, out, self.batch)
        return self._add("fc", layer, (x,), (out, 1, 1), bias=bias, post=post)

    def pool(self, x: Tensor, name: str, kind: str, kernel: int, stride: int | None = None,
             padding: int = 0, pre: tuple[str, ...] = ()) -> Tensor:
        """Max or average pooling of square windows (stride defaults to the kernel)."""
        stride = kernel if stride is None else stride
        p = conv_output_size(x.height, kernel, stride, padding)
        q = conv_output_size(x.width, kernel, stride, padding)
        layer = Elementwise(name, kind, x.channels, p, q, self.batch, kernel, kernel, stride,
                            stride, H=x.height, W=x.width)
        return self._add(kind, layer, (x,), (x.channels, p, q), padding=padding, pre=pre)

    def global_pool(self, x: Tensor, name: str, pre: tuple[str, ...] = ()) -> Tensor:
        """Global average pooling to 1 x 1."""
        layer = Elementwise(name, "avg_pool", x.channels, 1, 1, self.batch, x.height, x.width,
                            x.height, x.width)
        return self._add("avg_pool", layer, (x,), (x.channels, 1, 1), pre=pre)

    def adaptive_pool(self, x: Tensor, name: str, size: int) -> Tensor:
        """Adaptive average pooling to size x size as PyTorch's (nothing when the map is
        that size already); the window is the longest of PyTorch's windows."""
        if (x.height, x.width) == (size, size):
            return x
        r, s = _adaptive_window(x.height, size), _adaptive_window(x.width, size)
        layer = Elementwise(name, "avg_pool", x.channels, size, size, self.batch, r, s,
                            H=x.height, W=x.width)
        return self._add("avg_pool", layer, (x,), (x.channels, size, size))

    def add(self, name: str, *inputs: Tensor, post: tuple[str, ...] = ()) -> Tensor:
        """The elementwise sum of two or more tensors of one shape."""
        shapes = {t.shape for t in inputs}
        if len(shapes) != 1:
            raise InvalidArgumentError(f"{name}.inputs", sorted(shapes), "tensors of one shape")
        c, h, w = inputs[0].shape
        layer = Elementwise(name, "add", c, h, w, self.batch, operands=len(inputs))
        return self._add("add", layer, inputs, (c, h, w), post=post)

    def scale(self, name: str, x: Tensor, gate: Tensor) -> Tensor:
        """x times a per-channel gate (squeeze-and-excite)."""
        if gate.shape != (x.channels, 1, 1):
            raise InvalidArgumentError(f"{name}.gate", gate.shape, f"({x.channels}, 1, 1)")
        layer = Elementwise(name, "scale", x.channels, x.height, x.width, self.batch,
                            operands=2)
        return self._add("scale", layer, (x, gate), x.shape)

    def concat(self, name: str, *inputs: Tensor) -> Tensor:
        """Tensors of one height and width stacked along channels."""
        sizes = {(t.height, t.width) for t in inputs}
        if len(sizes) != 1:
            raise InvalidArgumentError(f"{name}.inputs", sorted(sizes), "tensors of one size")
        c = sum(t.channels for t in inputs)
        h, w = inputs[0].height, inputs[0].width
        layer = Elementwise(name, "concat", c, h, w, self.batch, operands=len(inputs))
        return self._add("concat", layer, inputs, (c, h, w))

    def zero(self, name: str, like: Tensor) -> Tensor:
        """A tensor of zeros shaped as `like`."""
        layer = Elementwise(name, "zero", like.channels, like.height, like.width, self.batch)
        return self._add("zero", layer, (like,), like.shape)

    def squeeze_excite(self, x: Tensor, name: str, squeeze: int, act: str = "relu",
                       gate: str = "h_sigmoid") -> Tensor:
        """Squeeze-and-excitation (Hu et al., CVPR 2018): global pooling, two 1x1
        convolutions with biases (to `squeeze`, then back), the gate, and the scaling."""
        pooled = self.global_pool(x, f"{name}.pool")
        hidden = self.conv(pooled, f"{name}.fc1", squeeze, 1, bias=True, post=(act,))
        weights = self.conv(hidden, f"{name}.fc2", x.channels, 1, bias=True, post=(gate,))
        return self.scale(f"{name}.scale", x, weights)

    def build(self) -> Network:
        return Network.from_graph(self.name, tuple(self.nodes), self.input.shape)


def _adaptive_window(size: int, out: int) -> int:
    """Longest window of PyTorch's adaptive pooling: output i reads floor(i*size/out) to
    ceil((i+1)*size/out)."""
    return max(-(-(i + 1) * size // out) - i * size // out for i in range(out))


def _start(name: str, resolution: int, batch: int, num_classes: int,
           min_resolution: int) -> NetworkBuilder:
    check_int("resolution", resolution, min_resolution, MAX_RESOLUTION)
    check_int("batch", batch, 1, MAX_BATCH)
    check_int("num_classes", num_classes)
    return NetworkBuilder(f"{name}@{resolution}", resolution, batch=batch)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of 8, never below 90% (MobileNet's reference rounding,
    and Once-for-All's `make_divisible`)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def alexnet(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """AlexNet, single-tower variant of Krizhevsky, "One weird trick..." (arXiv:1404.5997),
    as in torchvision: 0.71 G MACs and 61.1 M parameters at 224x224."""
    b = _start("alexnet", resolution, batch, num_classes, min_resolution=63)
    relu = dict(bias=True, post=("relu",))
    x = b.conv(b.input, "conv1", 64, 11, stride=4, padding=2, **relu)
    x = b.pool(x, "pool1", "max_pool", 3, 2)
    x = b.conv(x, "conv2", 192, 5, **relu)
    x = b.pool(x, "pool2", "max_pool", 3, 2)
    x = b.conv(x, "conv3", 384, 3, **relu)
    x = b.conv(x, "conv4", 256, 3, **relu)
    x = b.conv(x, "conv5", 256, 3, **relu)
    x = b.pool(x, "pool5", "max_pool", 3, 2)
    x = b.adaptive_pool(x, "avgpool", 6)
    x = b.fc(x, "fc6", 4096, post=("relu",))
    x = b.fc(x, "fc7", 4096, post=("relu",))
    b.fc(x, "fc8", num_classes)
    return b.build()


def vgg16(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """VGG-16, configuration D of Simonyan & Zisserman (ICLR 2015, Table 1): 15.5 G MACs and
    138 M parameters at 224x224."""
    b = _start("vgg16", resolution, batch, num_classes, min_resolution=32)
    x = b.input
    for stage, (width, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), 1):
        for i in range(1, convs + 1):
            x = b.conv(x, f"conv{stage}_{i}", width, 3, bias=True, post=("relu",))
        x = b.pool(x, f"pool{stage}", "max_pool", 2, 2)
    x = b.adaptive_pool(x, "avgpool", 7)
    x = b.fc(x, "fc6", 4096, post=("relu",))
    x = b.fc(x, "fc7", 4096, post=("relu",))
    b.fc(x, "fc8", num_classes)
    return b.build()


def _resnet(name: str, resolution: int, batch: int, num_classes: int, blocks: tuple[int, ...],
            bottleneck: bool) -> Network:
    """ResNet of He et al. (CVPR 2016, Table 1) as in torchvision (v1.5: a bottleneck
    block strides in its 3x3 convolution)."""
    b = _start(name, resolution, batch, num_classes, min_resolution=32)
    bn_relu = ("bn", "relu")
    x = b.conv(b.input, "conv1", 64, 7, stride=2, post=bn_relu)
    x = b.pool(x, "maxpool", "max_pool", 3, 2, padding=1)
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks, strict=True), 1):
        for block in range(count):
            stride = 2 if stage > 1 and block == 0 else 1
            prefix = f"layer{stage}.{block}"
            shortcut = x
            if bottleneck:
                y = b.conv(x, f"{prefix}.conv1", width, 1, post=bn_relu)
                y = b.conv(y, f"{prefix}.conv2", width, 3, stride=stride, post=bn_relu)
                y = b.conv(y, f"{prefix}.conv3", 4 * width, 1, post=("bn",))
            else:
                y = b.conv(x, f"{prefix}.conv1", width, 3, stride=stride, post=bn_relu)
                y = b.conv(y, f"{prefix}.conv2", width, 3, post=("bn",))
            if stride != 1 or shortcut.channels != y.channels:
                shortcut = b.conv(x, f"{prefix}.downsample", y.channels, 1, stride=stride,
                                  post=("bn",))
            x = b.add(f"{prefix}.add", y, shortcut, post=("relu",))
    x = b.global_pool(x, "avgpool")
    b.fc(x, "fc", num_classes)
    return b.build()


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


def inverted_residual(b: NetworkBuilder, x: Tensor, name: str, out: int, hidden: int,
                      kernel: int, stride: int, act: str, se: int | None = None,
                      gate: str = "h_sigmoid") -> Tensor:
    """An inverted-residual (MBConv) block (Sandler et al., CVPR 2018, Table 1): 1x1
    expansion to `hidden` (none when hidden equals the input channels), depthwise
    kernel x kernel at `stride`, squeeze-excite to `se` channels when given, linear 1x1
    projection, and the residual add when the stride is 1 and the channels stay."""
    y = x
    if hidden != x.channels:
        y = b.conv(y, f"{name}.expand", hidden, 1, post=("bn", act))
    y = b.conv(y, f"{name}.depthwise", hidden, kernel, stride=stride, groups=hidden,
               post=("bn", act))
    if se is not None:
        y = b.squeeze_excite(y, f"{name}.se", se, gate=gate)
    y = b.conv(y, f"{name}.project", out, 1, post=("bn",))
    return b.add(f"{name}.add", y, x) if stride == 1 and out == x.channels else y


def mobilenet_v2(resolution: int = 224, batch: int = 1, num_classes: int = 1000) -> Network:
    """MobileNet-V2 1.0 (Sandler et al., CVPR 2018, Tables 2 and 4): 300 M MACs and 3.4 M
    parameters at 224x224."""
    b = _start("mobilenet_v2", resolution, batch, num_classes, min_resolution=32)
    x = b.conv(b.input, "conv1", 32, 3, stride=2, post=("bn", "relu6"))
    index = 0
    for expansion, out, repeats, first_stride in MOBILENET_V2_BLOCKS:
        for i in range(repeats):
            index += 1
            x = inverted_residual(b, x, f"block{index}", out, x.channels * expansion, 3,
                                  first_stride if i == 0 else 1, "relu6")
    x = b.conv(x, "conv_last", 1280, 1, post=("bn", "relu6"))
    x = b.global_pool(x, "avgpool")
    b.fc(x, "classifier", num_classes)
    return b.build()


# Howard et al., "Searching for MobileNetV3", ICCV 2019, Tables 1 (Large) and 2 (Small):
# kernel, expansion size, output channels, squeeze-and-excite, stride of each bneck block;
# the channels of the last 1x1 convolution and of the penultimate (1x1, no BN) layer; and
# how many blocks use ReLU before h-swish takes over (the tables' NL column).
MOBILENET_V3_LARGE = ((
    (3, 16, 16, False, 1), (3, 64, 24, False, 2), (3, 72, 24, False, 1),
    (5, 72, 40, True, 2), (5, 120, 40, True, 1), (5, 120, 40, True, 1),
    (3, 240, 80, False, 2), (3, 200, 80, False, 1), (3, 184, 80, False, 1),
    (3, 184, 80, False, 1), (3, 480, 112, True, 1), (3, 672, 112, True, 1),
    (5, 672, 160, True, 2), (5, 960, 160, True, 1), (5, 960, 160, True, 1),
), 960, 1280, 6)
MOBILENET_V3_SMALL = ((
    (3, 16, 16, True, 2), (3, 72, 24, False, 2), (3, 88, 24, False, 1),
    (5, 96, 40, True, 2), (5, 240, 40, True, 1), (5, 240, 40, True, 1),
    (5, 120, 48, True, 1), (5, 144, 48, True, 1), (5, 288, 96, True, 2),
    (5, 576, 96, True, 1), (5, 576, 96, True, 1),
), 576, 1024, 3)


def _mobilenet_v3(name: str, spec, resolution: int, batch: int, num_classes: int) -> Network:
    """MobileNet-V3 1.0 as in torchvision; squeeze-and-excite squeezes to 1/4 of the
    expansion size rounded to a multiple of 8 (Howard et al., ICCV 2019, Section 5.3)."""
    blocks, last_conv, penultimate, relu_blocks = spec
    b = _start(name, resolution, batch, num_classes, min_resolution=32)
    x = b.conv(b.input, "conv1", 16, 3, stride=2, post=("bn", "h_swish"))
    for index, (kernel, expanded, out, se, stride) in enumerate(blocks, 1):
        x = inverted_residual(b, x, f"block{index}", out, expanded, kernel, stride,
                              "relu" if index <= relu_blocks else "h_swish",
                              make_divisible(expanded / 4) if se else None)
    x = b.conv(x, "conv_last", last_conv, 1, post=("bn", "h_swish"))
    x = b.global_pool(x, "avgpool")
    x = b.fc(x, "classifier.0", penultimate, post=("h_swish",))
    b.fc(x, "classifier.1", num_classes)
    return b.build()


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
    """A built-in network by name (see NETWORKS), an ONNX model by a path ending in .onnx
    (its own input resolution holds; `batch` sets a symbolic batch dimension), or a design
    of a network space as SPACE:DESIGN (simulators.networks.decode; e.g. `nb201:|...|`,
    the design fixes its resolution)."""
    check_int("batch", batch, 1, MAX_BATCH)
    if isinstance(name, str) and name.lower().endswith(".onnx"):
        from simulators.onnx_import import load_onnx

        return load_onnx(name, batch=batch)
    if isinstance(name, str) and ":" in name and name not in NETWORKS:
        from simulators.networks import decode

        return decode(name, batch=batch)
    if not isinstance(name, str) or name not in NETWORKS:
        raise InvalidArgumentError("workload", name, ", ".join(sorted(NETWORKS))
                                   + ", a path to an .onnx file or SPACE:DESIGN of a network "
                                     "space (mbconv, nb201, resnet_cifar, unet)")
    return NETWORKS[name](resolution=resolution, batch=batch)
