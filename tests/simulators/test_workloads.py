"""Layers and built-in networks against hand arithmetic and published MAC and parameter counts."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.errors import InvalidArgumentError
from simulators.workloads import (
    DATA_SPACES,
    INPUT,
    NETWORKS,
    Elementwise,
    Layer,
    Network,
    NetworkBuilder,
    Node,
    conv_output_size,
    network,
)

# Published multiply-accumulates (G) and parameters (M) at 224x224, from the papers:
# AlexNet: torchvision's single-tower model (Krizhevsky, "One weird trick for parallelizing
#   convolutional neural networks", arXiv:1404.5997), torchvision AlexNet_Weights.IMAGENET1K_V1:
#   0.71 GFLOPS, 61.1 M parameters.
# VGG-16: Simonyan & Zisserman, ICLR 2015, Table 2: 138 M parameters; 15.5 G MACs
#   (torchvision VGG16_Weights.IMAGENET1K_V1: 15.47 GFLOPS).
# ResNet-18/50: He et al., CVPR 2016, Table 1 (1.8 G FLOPs for ResNet-18); ResNet-50 as in
#   torchvision (v1.5, stride in the 3x3 convolution), ResNet50_Weights.IMAGENET1K_V1:
#   4.09 GFLOPS, 25.6 M parameters (the paper's 3.8 G is v1, stride in the first 1x1).
# MobileNet-V2 1.0: Sandler et al., CVPR 2018, Table 4: 300 M MAdds, 3.4 M parameters.
# MobileNet-V3 1.0: Howard et al., ICCV 2019, Table 3: Large 219 M MAdds, 5.4 M parameters;
#   Small 56 M MAdds, 2.5 M parameters.
PUBLISHED = {
    "alexnet": (0.71e9, 61.1e6),
    "vgg16": (15.5e9, 138e6),
    "resnet18": (1.8e9, None),
    "resnet50": (4.09e9, 25.6e6),
    "mobilenet_v2": (300e6, 3.4e6),
    "mobilenet_v3_large": (219e6, 5.4e6),
    "mobilenet_v3_small": (56e6, 2.5e6),
}
# Papers round to two or three digits and leave out biases and batch norm in different ways.
TOLERANCE = 0.03

# torchvision's model cards (pytorch.org/vision/stable/models, IMAGENET1K_V1 weights): GFLOPS
# (multiply-accumulates, rounded to 2 decimals) and num_params (exact, with biases and
# batch-norm scale and shift).
TORCHVISION = {
    "alexnet": (0.71, 61_100_840),
    "vgg16": (15.47, 138_357_544),
    "resnet18": (1.81, 11_689_512),
    "resnet50": (4.09, 25_557_032),
    "mobilenet_v2": (0.30, 3_504_872),
    "mobilenet_v3_large": (0.22, 5_483_032),
    "mobilenet_v3_small": (0.06, 2_542_856),
}


def test_every_published_network_is_built():
    assert set(NETWORKS) == set(PUBLISHED) == set(TORCHVISION)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_macs_and_parameters_match_the_papers(name):
    net = network(name)
    macs, params = PUBLISHED[name]
    assert net.macs == pytest.approx(macs, rel=TOLERANCE)
    if params is not None:
        assert net.weight_words == pytest.approx(params, rel=TOLERANCE)


def _torchvision_params(name: str, net: Network) -> int:
    """Weights plus what torchvision adds: a bias per output channel of fully connected and
    squeeze-and-excitation layers (and of every layer of the BN-free AlexNet and VGG), and
    a batch-norm scale and shift per output channel of every other convolution."""
    extra = 0
    for layer in net.layers:
        biased = name in ("alexnet", "vgg16") or ".se." in layer.name or \
            layer.name.startswith(("fc", "classifier"))
        extra += layer.M if biased else 2 * layer.M
    return net.weight_words + extra


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_torchvision_model_cards_exactly(name):
    net = network(name)
    gflops, params = TORCHVISION[name]
    assert round(net.macs / 1e9, 2) == gflops
    assert _torchvision_params(name, net) == params
    assert net.params == params  # the layer graph's own count: biases and batch norm


@pytest.mark.parametrize("name, weight_layers, total", [
    ("alexnet", 8, 8), ("vgg16", 16, 16),
    ("resnet18", 18, 21), ("resnet50", 50, 54),  # + 3 downsample shortcuts in ResNet-18, 4 in 50
    # 17 bottlenecks (the first without expansion), stem, last 1x1 conv and classifier
    ("mobilenet_v2", 1 + 2 + 16 * 3 + 2, 53),
    # Large: 15 bneck (the first without expansion), 8 with SE; Small: 11 bneck, 9 with SE;
    # plus stem, last conv and two classifier layers.
    ("mobilenet_v3_large", 1 + 2 + 14 * 3 + 3 + 2 * 8, 64),
    ("mobilenet_v3_small", 1 + 11 * 3 - 1 + 3 + 2 * 9, 54),
])
def test_depth_in_the_names(name, weight_layers, total):
    """The depth in a network's name counts its weight layers, shortcuts excluded."""
    layers = network(name).layers
    assert len(layers) == total
    assert sum("downsample" not in layer.name for layer in layers) == weight_layers


def test_data_spaces_by_hand():
    # Grouped conv, 2 groups: each of 4 filters sees 3 of 6 channels through a 3x2 window.
    layer = Layer("c", M=4, C=6, P=3, Q=5, R=3, S=2, N=2, Hstride=2, Hdilation=1,
                  Wstride=1, Wdilation=2, groups=2)
    assert (layer.input_height, layer.input_width) == (2 * 2 + 2 * 1 + 1, 4 * 1 + 1 * 2 + 1)
    assert layer.data_space_words == {"Weights": 4 * 3 * 3 * 2, "Inputs": 2 * 6 * 7 * 7,
                                      "Outputs": 2 * 4 * 3 * 5}
    assert tuple(layer.data_space_words) == DATA_SPACES
    assert layer.macs == 2 * 4 * 3 * 5 * 3 * 3 * 2
    # Depthwise 3x3, stride 2: one 3x3 filter per channel over a 9x9 input.
    dw = Layer("dw", M=8, C=8, P=4, Q=4, R=3, S=3, Hstride=2, Wstride=2, groups=8)
    assert dw.data_space_words == {"Weights": 72, "Inputs": 8 * 9 * 9, "Outputs": 8 * 16}
    assert dw.macs == 8 * 16 * 9
    fc = Layer.fc("fc", 512, 10, batch=4)
    assert fc.data_space_words == {"Weights": 5120, "Inputs": 2048, "Outputs": 40}
    assert fc.macs == 20480


def test_resnet_stem_reads_the_padded_image():
    conv1 = network("resnet18").layers[0]
    assert (conv1.P, conv1.R, conv1.Hstride) == (112, 7, 2)
    # 224 + 2*3 padding = 230 rows; 112 outputs at stride 2 with a 7-row window read 229.
    assert conv1.input_height == 229
    assert conv1.data_space_words["Inputs"] == 3 * 229 * 229


def test_mobilenet_v3_squeeze_excite_by_hand():
    layers = {layer.name: layer for layer in network("mobilenet_v3_large").layers}
    # bneck 4: 5x5 depthwise on 72 channels at stride 2; SE squeezes 72 // 4 = 18, rounded
    # up to 24 (a multiple of 8 and at least 90% of 18), on the pooled 1x1 map.
    assert layers["block4.depthwise"] == Layer("block4.depthwise", M=72, C=72, P=28, Q=28,
                                               R=5, S=5, Hstride=2, Wstride=2, groups=72)
    assert layers["block4.se.fc1"] == Layer("block4.se.fc1", M=24, C=72)
    assert layers["block4.se.fc2"] == Layer("block4.se.fc2", M=72, C=24)
    assert layers["block4.project"].C == 72 and layers["block4.project"].P == 28


@pytest.mark.parametrize("name", ["vgg16", "resnet18", "resnet50", "mobilenet_v2",
                                  "mobilenet_v3_large", "mobilenet_v3_small"])
def test_doubling_the_resolution_quadruples_conv_macs(name):
    """Every feature map doubles in height and width; the classifier and squeeze-and-excite
    layers see a globally pooled map."""
    base, big = network(name, 224), network(name, 448)
    assert [layer.name for layer in base.layers] == [layer.name for layer in big.layers]
    for small, large in zip(base.layers, big.layers, strict=True):
        pooled = small.name.startswith(("fc", "classifier")) or ".se." in small.name
        assert large.macs == (small.macs if pooled else 4 * small.macs)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(NETWORKS)), batch=st.integers(1, 64),
       resolution=st.integers(64, 320))
def test_batch_scales_work_not_weights(name, batch, resolution):
    one, many = network(name, resolution, 1), network(name, resolution, batch)
    assert many.macs == batch * one.macs
    assert many.weight_words == one.weight_words
    for a, b in zip(one.layers, many.layers, strict=True):
        assert b.data_space_words["Inputs"] == batch * a.data_space_words["Inputs"]
        assert b.data_space_words["Outputs"] == batch * a.data_space_words["Outputs"]


layers = st.builds(
    lambda g, cg, mg, **dims: Layer("x", C=g * cg, M=g * mg, groups=g, **dims),
    g=st.integers(1, 8), cg=st.integers(1, 16), mg=st.integers(1, 16),
    P=st.integers(1, 20), Q=st.integers(1, 20), R=st.integers(1, 7), S=st.integers(1, 7),
    N=st.integers(1, 4), Hstride=st.integers(1, 4), Wstride=st.integers(1, 4),
    Hdilation=st.integers(1, 3), Wdilation=st.integers(1, 3),
)


@settings(max_examples=300, deadline=None)
@given(layer=layers)
def test_layer_invariants(layer):
    dims = layer.N * layer.M * layer.C * layer.P * layer.Q * layer.R * layer.S
    assert layer.macs * layer.groups == dims
    gemm = layer.to_gemm()
    assert gemm.rows * gemm.inner * gemm.cols * gemm.count == layer.macs
    assert gemm.count == layer.groups
    words = layer.data_space_words
    assert all(words[space] > 0 for space in DATA_SPACES)
    # Each weight is used once per output pixel; each output sums one window of one group.
    assert words["Weights"] * layer.N * layer.P * layer.Q == layer.macs
    assert words["Outputs"] * (layer.C // layer.groups) * layer.R * layer.S == layer.macs
    # The halo is exactly what an unpadded convolution needs to give P x Q outputs.
    assert conv_output_size(layer.input_height, layer.R, layer.Hstride, 0, layer.Hdilation) \
        == layer.P
    assert conv_output_size(layer.input_width, layer.S, layer.Wstride, 0, layer.Wdilation) \
        == layer.Q
    assert words["Inputs"] >= layer.N * layer.C * layer.P * layer.Q


def test_bad_input_names_the_parameter():
    with pytest.raises(InvalidArgumentError, match="workload.*alexnet.*vgg16"):
        network("resnet1000")
    with pytest.raises(InvalidArgumentError, match="resolution=62.*63..4096"):
        network("alexnet", resolution=62)
    network("alexnet", resolution=63)  # torchvision's minimum size for AlexNet
    with pytest.raises(InvalidArgumentError, match="batch"):
        network("vgg16", batch=0)
    with pytest.raises(InvalidArgumentError, match="groups"):
        Layer("g", M=4, C=6, groups=4)
    with pytest.raises(InvalidArgumentError, match="unique layer names"):
        Network("n", (Layer("a", M=1, C=1), Layer("a", M=2, C=1)))
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        Network("n", ())
    with pytest.raises(InvalidArgumentError, match="layer.name"):
        Layer("", M=1, C=1)


@pytest.mark.parametrize("name, counts", [
    # pools, residual adds (ResNet: one per block; MobileNets: stride 1, same channels),
    # squeeze-excite pools and scalings, and the final pooling
    ("alexnet", {"max_pool": 3}),  # the adaptive pooling to 6x6 is the identity at 224
    ("vgg16", {"max_pool": 5}),
    ("resnet18", {"max_pool": 1, "add": 8, "avg_pool": 1}),
    ("resnet50", {"max_pool": 1, "add": 16, "avg_pool": 1}),
    ("mobilenet_v2", {"add": 1 + 2 + 3 + 2 + 2, "avg_pool": 1}),
    ("mobilenet_v3_large", {"add": 10, "avg_pool": 8 + 1, "scale": 8}),
    ("mobilenet_v3_small", {"add": 6, "avg_pool": 9 + 1, "scale": 9}),
])
def test_layers_without_macs_by_hand(name, counts):
    kinds = [layer.kind for layer in network(name).elementwise]
    assert {k: kinds.count(k) for k in set(kinds)} == counts


def test_graph_of_a_residual_block():
    net = network("resnet18")
    nodes = {node.name: node for node in net.graph}
    assert nodes["conv1"].inputs == (INPUT,) and net.input_shape == (3, 224, 224)
    assert nodes["maxpool"].shape == (64, 56, 56) and nodes["maxpool"].padding == 1
    assert nodes["layer1.0.add"].inputs == ("layer1.0.conv2", "maxpool")
    assert nodes["layer2.0.add"].inputs == ("layer2.0.conv2", "layer2.0.downsample")
    assert nodes["layer2.0.downsample"].inputs == ("layer1.1.add",)
    assert nodes["fc"].inputs == ("avgpool",) and nodes["avgpool"].shape == (512, 1, 1)
    # max pool 3x3/2 of 64 x 112 x 112: every input read once, 9 compares per output
    pool = nodes["maxpool"].layer
    assert (pool.read_words, pool.write_words, pool.ops) == \
        (64 * 112 * 112, 64 * 56 * 56, 64 * 56 * 56 * 9)
    add = nodes["layer1.0.add"].layer
    assert (add.read_words, add.write_words, add.ops) == (2 * 64 * 56 * 56, 64 * 56 * 56,
                                                          64 * 56 * 56)


def test_squeeze_excite_graph():
    nodes = {node.name: node for node in network("mobilenet_v3_large").graph}
    assert nodes["block4.se.pool"].inputs == ("block4.depthwise",)
    assert nodes["block4.se.scale"].inputs == ("block4.depthwise", "block4.se.fc2")
    assert nodes["block4.project"].inputs == ("block4.se.scale",)
    assert nodes["block4.se.fc2"].post == ("h_sigmoid",) and nodes["block4.se.fc2"].bias
    scale = nodes["block4.se.scale"].layer
    assert (scale.read_words, scale.ops) == (72 * 28 * 28 + 72, 72 * 28 * 28)
    # 72 + 24 biases beside the 2 x 72 x 24 weights
    assert nodes["block4.se.fc1"].params + nodes["block4.se.fc2"].params == 2 * 72 * 24 + 96


def test_builder_by_hand():
    b = NetworkBuilder("toy", (8, 6), channels=2, batch=3)
    x = b.conv(b.input, "c", 4, 3, post=("bn", "relu"))
    up = b.conv_transpose(x, "up", 5)
    y = b.concat("cat", up, b.conv(up, "d", 3, 1))
    b.fc(b.global_pool(y, "gap", pre=("bn",)), "fc", 10)
    net = b.build()
    assert [n.shape for n in net.graph] == [(4, 8, 6), (5, 16, 12), (3, 16, 12), (8, 16, 12),
                                            (8, 1, 1), (10, 1, 1)]
    # the 2x2/2 transposed conv: 4 x 5 x 2 x 2 weights, one 4 -> 20 product per input pixel
    assert net.layers[1] == Layer("up", M=20, C=4, P=8, Q=6, N=3)
    assert net.macs == 3 * (8 * 6 * 4 * 2 * 9 + 8 * 6 * 4 * 20 + 16 * 12 * 5 * 3) + 3 * 8 * 10
    assert net.params == (4 * 2 * 9 + 8) + (20 * 4 + 5) + 5 * 3 + 2 * 8 + (8 * 10 + 10)
    cat, gap = net.elementwise[0], net.elementwise[1]
    assert (cat.read_words, cat.write_words, cat.ops) == (0, 0, 0)
    assert (gap.read_words, gap.ops) == (3 * 8 * 16 * 12, 3 * 8 * 16 * 12)


def test_graph_errors_name_the_problem():
    b = NetworkBuilder("toy", 8)
    x = b.conv(b.input, "c", 4, 3)
    with pytest.raises(InvalidArgumentError, match="add.inputs"):
        b.add("add", x, b.input)
    layer = Layer("c", M=4, C=3, P=8, Q=8, R=3, S=3)
    with pytest.raises(InvalidArgumentError, match="c.inputs.*earlier layers"):
        Network.from_graph("n", (Node("conv", layer, ("nowhere",), (4, 8, 8)),), (3, 8, 8))
    with pytest.raises(InvalidArgumentError, match="c.layer.*Elementwise for op add"):
        Node("add", layer, (INPUT,), (4, 8, 8))
    with pytest.raises(InvalidArgumentError, match="kind"):
        Elementwise("e", "upsample", 4)
