"""Read an ONNX model as a Network: its Conv, Gemm and MatMul nodes become Layers.

Shapes come from ONNX shape inference, so every tensor a layer touches must have a static
shape; only the leading (batch) dimension of a graph input may be symbolic, and it is set
to `batch`. Ops without multiply-accumulates (activations, pooling, additions, reshapes,
normalization) are skipped.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simulators.errors import ArchGymError, InvalidArgumentError, check_int
from simulators.workloads import MAX_BATCH, Layer, Network

# Standard ops that do multiply-accumulates (or hold subgraphs that may) but that this
# importer does not turn into layers: refused, so a network's MAC total is never silently short.
UNSUPPORTED_OPS = frozenset({
    "ConvTranspose", "ConvInteger", "QLinearConv", "MatMulInteger", "QLinearMatMul", "Einsum",
    "RNN", "GRU", "LSTM", "Attention", "If", "Loop", "Scan",
})
STANDARD_DOMAINS = ("", "ai.onnx")


def _onnx():
    try:
        import onnx
    except ImportError as err:
        raise ArchGymError("ONNX import needs the onnx package: pip install archgym[onnx]") from err
    return onnx


def _read_model(onnx, path: Path, batch: int):
    """Load, check, fix the batch dimension of the graph inputs and infer shapes."""
    if not path.is_file():
        raise InvalidArgumentError("onnx path", str(path), "an existing ONNX model file")
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model)
        initializers = {init.name for init in model.graph.initializer}
        for graph_input in model.graph.input:
            dims = graph_input.type.tensor_type.shape.dim
            if graph_input.name not in initializers and dims and \
                    not dims[0].HasField("dim_value"):
                dims[0].dim_value = batch
        return onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as err:  # protobuf decode, checker and shape-inference errors
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InvalidArgumentError("onnx model", str(path),
                                   f"a valid ONNX model file ({reason})") from err


def _static_shapes(graph) -> dict[str, tuple[int | None, ...]]:
    """Tensor name -> shape, None for a dimension shape inference left unknown."""
    shapes: dict[str, tuple[int | None, ...]] = {
        init.name: tuple(init.dims) for init in graph.initializer
    }
    for info in (*graph.input, *graph.value_info, *graph.output):
        tensor = info.type.tensor_type
        if tensor.HasField("shape"):
            shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                      for d in tensor.shape.dim)
    return shapes


def _conv(name: str, attrs: dict, x: tuple[int, ...], w: tuple[int, ...],
          y: tuple[int, ...]) -> Layer:
    rank = len(w) - 2
    if rank not in (1, 2):
        raise InvalidArgumentError(f"{name}.kernel_shape", w[2:], "a 1-D or 2-D convolution")
    pad = (1,) * (2 - rank)  # a 1-D convolution runs along the width
    R, S = pad + w[2:]
    P, Q = pad + y[2:]
    Hstride, Wstride = pad + tuple(attrs.get("strides", (1,) * rank))
    Hdilation, Wdilation = pad + tuple(attrs.get("dilations", (1,) * rank))
    groups = attrs.get("group", 1)
    if x[1] != w[1] * groups:
        raise InvalidArgumentError(f"{name}.group", groups,
                                   f"input channels {x[1]} / weight channels {w[1]}")
    return Layer(name, M=w[0], C=x[1], P=P, Q=Q, R=R, S=S, N=y[0], Hstride=Hstride,
                 Wstride=Wstride, Hdilation=Hdilation, Wdilation=Wdilation, groups=groups)


def _gemm(name: str, attrs: dict, a: tuple[int, ...], b: tuple[int, ...]) -> Layer:
    rows, inner = (a[1], a[0]) if attrs.get("transA", 0) else a
    cols = b[0] if attrs.get("transB", 0) else b[1]
    return Layer.fc(name, in_features=inner, out_features=cols, batch=rows)


def _matmul(name: str, a: tuple[int, ...], b: tuple[int, ...]) -> Layer:
    """A (..., rows, inner) @ B (..., inner, cols) with numpy broadcasting. Each distinct B
    matrix is one group; the batch N counts how often the A side reuses a B matrix."""
    a = (1, *a) if len(a) == 1 else a
    b = (*b, 1) if len(b) == 1 else b
    rows, inner, cols = a[-2], a[-1], b[-1]
    products = math.prod(np.broadcast_shapes(a[:-2], b[:-2]))
    groups = math.prod(b[:-2])
    return Layer(name, M=groups * cols, C=groups * inner, P=rows, N=products // groups,
                 groups=groups)


def load_onnx(path: str | Path, batch: int = 1) -> Network:
    """The Conv (1-D/2-D, grouped, depthwise, strided, dilated, padded), Gemm and MatMul
    nodes of an ONNX model as a Network of layers in graph order, named after their nodes."""
    check_int("batch", batch, 1, MAX_BATCH)
    onnx = _onnx()
    path = Path(path)
    model = _read_model(onnx, path, batch)
    shapes = _static_shapes(model.graph)

    def shape(node_name: str, tensor: str) -> tuple[int, ...]:
        dims = shapes.get(tensor)
        if dims is None or None in dims:
            raise InvalidArgumentError(f"{node_name}.{tensor}.shape", dims,
                                       "a static shape (only the batch dimension may be symbolic)")
        return dims

    layers: list[Layer] = []
    names: set[str] = set()
    for index, node in enumerate(model.graph.node):
        if node.domain not in STANDARD_DOMAINS or node.op_type in UNSUPPORTED_OPS:
            raise InvalidArgumentError(
                "onnx op", f"{node.domain or 'ai.onnx'}::{node.op_type}",
                "Conv, Gemm, MatMul and standard ops without multiply-accumulates")
        if node.op_type not in ("Conv", "Gemm", "MatMul"):
            continue
        name = node.name or f"{node.op_type}_{index}"
        while name in names:
            name = f"{name}_{index}"
        names.add(name)
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        inputs = [shape(name, t) for t in node.input[:2]]
        if node.op_type == "Conv":
            layers.append(_conv(name, attrs, *inputs, shape(name, node.output[0])))
        elif node.op_type == "Gemm":
            layers.append(_gemm(name, attrs, *inputs))
        else:
            layers.append(_matmul(name, *inputs))
    if not layers:
        raise InvalidArgumentError("onnx model", str(path),
                                   "a model with at least one Conv, Gemm or MatMul node")
    return Network(path.stem, tuple(layers))
