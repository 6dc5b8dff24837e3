"""ONNX import against models built in the test, checked by hand and by round trip."""

import sys

import pytest

from simulators.errors import ArchGymError, InvalidArgumentError
from simulators.onnx_import import load_onnx
from simulators.workloads import NETWORKS, Layer, Network, network

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(tmp_path, nodes, inputs, outputs, name="model"):
    """A model of these nodes; inputs as (name, shape), outputs as (name, rank): their
    dimensions are left to shape inference."""
    graph = helper.make_graph(nodes, "g", [tensor(n, s) for n, s in inputs],
                              [tensor(n, [None] * rank) for n, rank in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    return path


def test_convolutions_gemm_and_skipped_ops_by_hand(tmp_path):
    nodes = [
        # 3x3 "same" conv: (1,3,8,8) -> (1,4,8,8)
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        # grouped conv, 2 groups of 2 channels, 1x1 -> (1,6,8,8)
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="grouped", group=2),
        helper.make_node("GlobalAveragePool", ["c2"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w3", "b3"], ["y"], name="fc", transB=1),
    ]
    path = save(tmp_path, nodes, [("x", [1, 3, 8, 8]), ("w1", [4, 3, 3, 3]),
                                  ("w2", [6, 2, 1, 1]), ("w3", [10, 6]), ("b3", [10])], [("y", 2)])
    net = load_onnx(path)
    assert net.name == "model"
    assert net.layers == (
        Layer("conv", M=4, C=3, P=8, Q=8, R=3, S=3),
        Layer("grouped", M=6, C=4, P=8, Q=8, groups=2),
        Layer("fc", M=10, C=6),
    )
    assert [layer.macs for layer in net.layers] == [4 * 64 * 3 * 9, 6 * 64 * 2, 60]


def test_depthwise_with_stride_dilation_and_padding_by_hand(tmp_path):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="dw", group=6, strides=[2, 1],
                            dilations=[2, 3], pads=[1, 2, 1, 2])
    path = save(tmp_path, [node], [("x", [2, 6, 15, 12]), ("w", [6, 1, 3, 3])], [("y", 4)])
    (layer,) = load_onnx(path).layers
    # P = (15 + 2 - 2*2 - 1) // 2 + 1 = 7; Q = (12 + 4 - 3*2 - 1) // 1 + 1 = 10
    assert layer == Layer("dw", M=6, C=6, P=7, Q=10, R=3, S=3, N=2, Hstride=2, Wstride=1,
                          Hdilation=2, Wdilation=3, groups=6)
    assert layer.macs == 2 * 6 * 7 * 10 * 9


def test_one_dimensional_conv_runs_along_the_width(tmp_path):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c1d", strides=[2])
    path = save(tmp_path, [node], [("x", [1, 4, 20]), ("w", [8, 4, 5])], [("y", 3)])
    assert load_onnx(path).layers == (Layer("c1d", M=8, C=4, Q=(20 - 5) // 2 + 1, S=5,
                                            Wstride=2),)


@pytest.mark.parametrize("a, b, layer, macs, weights", [
    # shared weights over a batch of 2: N=2, rows P=5, inner C=7, cols M=3
    ([2, 5, 7], [7, 3], Layer("mm", M=3, C=7, P=5, N=2), 2 * 5 * 7 * 3, 7 * 3),
    # 4 independent products (attention-like): one group per B matrix
    ([4, 5, 7], [4, 7, 3], Layer("mm", M=12, C=28, P=5, groups=4), 4 * 5 * 7 * 3, 4 * 7 * 3),
    # broadcast (2,1) x (3,): 6 products over 3 distinct B matrices, each used twice
    ([2, 1, 5, 7], [3, 7, 3], Layer("mm", M=9, C=21, P=5, N=2, groups=3), 6 * 5 * 7 * 3,
     3 * 7 * 3),
    # vector @ matrix
    ([7], [7, 3], Layer("mm", M=3, C=7), 7 * 3, 7 * 3),
])
def test_matmul_by_hand(tmp_path, a, b, layer, macs, weights):
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    rank = max(len(a), len(b)) - (len(a) == 1)
    path = save(tmp_path, [node], [("a", a), ("b", b)], [("y", rank)])
    (got,) = load_onnx(path).layers
    assert got == layer
    assert got.macs == macs
    assert got.data_space_words["Weights"] == weights


def test_symbolic_batch_takes_the_given_batch(tmp_path):
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc")
    unnamed = helper.make_node("Gemm", ["y", "w2"], ["z"])
    path = save(tmp_path, [node, unnamed], [("x", ["batch", 16]), ("w", [16, 4]),
                                            ("w2", [4, 2])], [("z", 2)])
    assert load_onnx(path, batch=3).layers == (Layer.fc("fc", 16, 4, batch=3),
                                               Layer.fc("Gemm_1", 4, 2, batch=3))


def export(net: Network, path) -> None:
    """Each layer as its own Conv (or Gemm, for a fully connected layer) on an input of
    exactly the rows and columns its outputs read, weights as shape-only graph inputs."""
    nodes, inputs, outputs = [], [], []
    for i, layer in enumerate(net.layers):
        x, w, y = f"x{i}", f"w{i}", f"y{i}"
        if (layer.P, layer.Q, layer.R, layer.S, layer.groups) == (1, 1, 1, 1, 1):
            nodes.append(helper.make_node("Gemm", [x, w], [y], name=layer.name, transB=1))
            inputs += [(x, [layer.N, layer.C]), (w, [layer.M, layer.C])]
            outputs.append((y, 2))
        else:
            nodes.append(helper.make_node(
                "Conv", [x, w], [y], name=layer.name, group=layer.groups,
                strides=[layer.Hstride, layer.Wstride],
                dilations=[layer.Hdilation, layer.Wdilation]))
            inputs += [(x, [layer.N, layer.C, layer.input_height, layer.input_width]),
                       (w, [layer.M, layer.C // layer.groups, layer.R, layer.S])]
            outputs.append((y, 4))
    save(path.parent, nodes, inputs, outputs, name=path.stem)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_every_built_in_network_round_trips(tmp_path, name):
    net = network(name, resolution=96, batch=2)
    export(net, tmp_path / f"{name}.onnx")
    back = load_onnx(tmp_path / f"{name}.onnx", batch=2)
    assert back.layers == net.layers
    assert back.macs == net.macs
    assert network(str(tmp_path / f"{name}.onnx"), batch=2) == back


def test_torch_export_matches_module_macs(tmp_path):
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8), nn.ReLU(),
                nn.Conv2d(8, 16, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.token = nn.Linear(4, 4)  # on a 3-D tensor: exported as MatMul + Add
            self.head = nn.Linear(16, 10)  # on a 2-D tensor: exported as Gemm

        def forward(self, x):
            y = self.features(x)
            return self.head(y), self.token(y.reshape(-1, 4, 4))

    model = Tiny().eval()
    expected = []

    def count(module, inputs, output):  # MACs by hand from the module's own shapes
        if isinstance(module, nn.Conv2d):
            expected.append(output.numel() * module.in_channels // module.groups
                            * module.kernel_size[0] * module.kernel_size[1])
        elif isinstance(module, nn.Linear):
            expected.append(output.numel() * module.in_features)

    hooks = [module.register_forward_hook(count) for module in model.modules()]
    x = torch.zeros(2, 3, 17, 17)
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    path = tmp_path / "tiny.onnx"
    with pytest.warns(DeprecationWarning):
        torch.onnx.export(model, (x,), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})
    net = load_onnx(path, batch=2)
    assert len(net.layers) == 5
    assert sorted(layer.macs for layer in net.layers) == sorted(expected)
    depthwise = next(layer for layer in net.layers if layer.groups > 1)
    assert (depthwise.groups, depthwise.Hdilation, depthwise.P, depthwise.N) == (8, 2, 9, 2)
    # The symbolic batch: every layer's work scales with it, weights do not.
    five = load_onnx(path, batch=5)
    assert five.macs * 2 == net.macs * 5 and five.weight_words == net.weight_words


def test_bad_files_and_ops_name_the_problem(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_text("this is not a protobuf\n" * 10)
    with pytest.raises(InvalidArgumentError, match="onnx model=.*valid ONNX model"):
        load_onnx(junk)
    with pytest.raises(InvalidArgumentError, match="onnx path"):
        load_onnx(tmp_path / "missing.onnx")
    relu = save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], [("x", [1, 4])], [("y", 2)],
                name="relu")
    with pytest.raises(InvalidArgumentError, match="at least one Conv, Gemm or MatMul"):
        load_onnx(relu)
    deconv = save(tmp_path, [helper.make_node("ConvTranspose", ["x", "w"], ["y"])],
                  [("x", [1, 4, 8, 8]), ("w", [4, 2, 3, 3])], [("y", 4)], name="deconv")
    with pytest.raises(InvalidArgumentError, match="ConvTranspose"):
        load_onnx(deconv)
    dynamic = save(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"], name="c")],
                   [("x", [1, 4, "height", 8]), ("w", [4, 4, 3, 3])], [("y", 4)], name="dynamic")
    with pytest.raises(InvalidArgumentError, match="c.x.shape.*static shape"):
        load_onnx(dynamic)
    mismatch = save(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"], name="c")],
                    [("x", [1, 4, 8, 8]), ("w", [4, 3, 3, 3])], [("y", 4)], name="mismatch")
    with pytest.raises(InvalidArgumentError, match="c.group=1.*input channels 4"):
        load_onnx(mismatch)
    with pytest.raises(InvalidArgumentError, match="batch"):
        load_onnx(relu, batch=0)


def test_missing_onnx_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ArchGymError, match=r"pip install archgym\[onnx\]"):
        load_onnx(tmp_path / "any.onnx")
