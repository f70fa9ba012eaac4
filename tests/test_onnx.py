"""chainrule.onnx.export against onnxruntime: every exported graph passes ``onnx.checker``, and
onnxruntime's outputs equal chainrule's own forward pass (float32, within 1e-5) at batch 1
and at batch 3 — the example traced has batch 2, so both prove the symbolic batch."""

import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd, nn
from chainrule import functional as F
from chainrule.models import lenet5, mlp, zoo
from chainrule.models.char_rnn import CharRNN
from chainrule.models.seq2seq import Encoder

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from chainrule import onnx as cr_onnx  # noqa: E402  (needs the onnx package)

BATCHES = (1, 3)


def session(proto):
    onnx.checker.check_model(proto, full_check=True)
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def chainrule_outputs(model, *inputs):
    model.eval()
    with cr.no_grad():
        output = model(*[cr.tensor(x) for x in inputs])
    return [t.numpy() for t in _flat(output)]


def _flat(output):
    if isinstance(output, (tuple, list)):
        return [t for part in output for t in _flat(part)]
    return [output]


def assert_same(got, expected):
    """Equal within 1e-5 of the output's scale (max(1, its largest magnitude)): the sums of
    a deep float32 network (ResNet-101 at random weights: outputs in the hundreds) round
    differently in the two runtimes."""
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        scale = max(1.0, float(np.abs(e).max()))
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5 * scale)


def images(batch, shape, seed):
    return np.random.default_rng(seed).standard_normal((batch, *shape)).astype(np.float32)


def check_image_model(model, shape):
    proto = cr_onnx.to_model(model, cr.tensor(images(2, shape, 0)))
    run = session(proto)
    for batch in BATCHES:
        x = images(batch, shape, batch)
        assert_same(run.run(None, {"input": x}), chainrule_outputs(model, x))
    return proto


@pytest.mark.parametrize(
    "build, shape",
    [
        (mlp, (1, 28, 28)),
        (lambda: lenet5("classic"), (1, 28, 28)),
        (lambda: lenet5("classic"), (1, 32, 32)),
        (lambda: lenet5("modern"), (1, 28, 28)),
    ],
    ids=["mlp", "lenet5-classic-28", "lenet5-classic-32", "lenet5-modern"],
)
def test_mlp_and_lenet5(build, shape):
    cr.manual_seed(0)
    check_image_model(build(), shape)


@pytest.mark.parametrize(
    "name, size",
    [
        ("resnet18", 32),
        ("resnet20", 32),
        ("googlenet", 64),
        ("googlenet-torchvision", 64),
        ("nin-cifar10", 32),
        ("nin-mnist", 28),
    ],
)
def test_zoo(name, size):
    """Small inputs where the network allows (the adaptive pools take any size)."""
    cr.manual_seed(0)
    model, (channels, _, _) = zoo.build(name, num_classes=10)
    _randomise_batch_statistics(model)
    check_image_model(model, (channels, size, size))


@pytest.mark.parametrize(
    "name, size", [("alexnet", 64), ("alexnet-paper", 67), ("vgg-a-bn", 32), ("vgg-a-lrn", 32)]
)
def test_zoo_convolutional_part(name, size):
    """The features and adaptive pool of the networks with 4096-wide classifiers (their
    Linear, ReLU and Dropout layers are the MLP's; the whole networks are tested in
    ``test_zoo_native_size``)."""
    cr.manual_seed(0)
    model, (channels, _, _) = zoo.build(name, num_classes=10)
    _randomise_batch_statistics(model)
    check_image_model(nn.Sequential(model.features, model.avgpool), (channels, size, size))


slow = pytest.mark.skipif(
    os.environ.get("CHAINRULE_SLOW_TESTS") != "1",
    reason="seconds to a minute each: set CHAINRULE_SLOW_TESTS=1",
)


@slow
@pytest.mark.parametrize("name", ["alexnet", "vgg-a"])
def test_zoo_native_size(name):
    cr.manual_seed(0)
    model, shape = zoo.build(name)
    check_image_model(model, shape)


@slow
@pytest.mark.parametrize("name", list(zoo.ARCHITECTURES))
def test_every_zoo_architecture(name):
    """Every network of the zoo at a small input (the convolutional part of those with a
    4096-wide classifier)."""
    cr.manual_seed(0)
    model, (channels, size, _) = zoo.build(name, num_classes=10)
    _randomise_batch_statistics(model)
    if hasattr(model, "features"):
        model = nn.Sequential(model.features, model.avgpool)
    small = {"alexnet-paper": 67, "zfnet": 67, "alexnet": 64, "googlenet": 64}
    size = small.get(name, 64 if "googlenet" in name else min(size, 32))
    check_image_model(model, (channels, size, size))


def _randomise_batch_statistics(model):
    """Running statistics other than 0 and 1, so that batch_norm's mapping is exercised."""
    rng = np.random.default_rng(1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.data[...] = rng.normal(0, 0.1, module.running_mean.shape)
            module.running_var.data[...] = rng.uniform(0.5, 2.0, module.running_var.shape)


def test_graph_names_its_parameters_and_declares_a_symbolic_batch():
    proto = check_image_model(mlp(), (1, 28, 28))
    initializers = {tensor.name for tensor in proto.graph.initializer}
    assert {"1.weight", "1.bias", "4.weight", "7.bias"} <= initializers
    (graph_input,) = proto.graph.input
    dims = graph_input.type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 1, 28, 28]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_char_rnn_whole_sequence(cell):
    cr.manual_seed(0)
    model = CharRNN(30, cell=cell, hidden_size=16, num_layers=2)
    ids = np.random.default_rng(0).integers(0, 30, (7, 2))
    run = session(cr_onnx.to_model(model, cr.tensor(ids), batch_axis=1))
    for batch in BATCHES:
        x = np.random.default_rng(batch).integers(0, 30, (7, batch))
        assert_same(run.run(None, {"input": x}), chainrule_outputs(model, x))


def test_char_lstm_one_step_with_state_in_and_out():
    cr.manual_seed(0)
    model = CharRNN(30, cell="lstm", hidden_size=16, num_layers=2)
    rng = np.random.default_rng(0)
    example = (cr.tensor(rng.integers(0, 30, (1, 2))), (cr.randn(2, 2, 16), cr.randn(2, 2, 16)))
    proto = cr_onnx.to_model(
        model,
        example,
        batch_axis=1,
        input_names=["ids", "h", "c"],
        output_names=["logits", "h_next", "c_next"],
    )
    run = session(proto)
    for batch in BATCHES:
        ids = rng.integers(0, 30, (1, batch))
        h, c = (rng.standard_normal((2, batch, 16)).astype(np.float32) for _ in range(2))
        model.eval()
        with cr.no_grad():
            logits, (h_next, c_next) = model(cr.tensor(ids), (cr.tensor(h), cr.tensor(c)))
        expected = [logits.numpy(), h_next.numpy(), c_next.numpy()]
        assert_same(run.run(None, {"ids": ids, "h": h, "c": c}), expected)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_seq2seq_encoder_with_padding(cell, bidirectional):
    """Sentence 0 ends in padding: ONNX's sequence_lens stops it at its last word, as the
    encoder's mask does (outputs and final states equal)."""
    cr.manual_seed(0)
    encoder = Encoder(25, 8, 6, cell=cell, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    run = session(cr_onnx.to_model(encoder, cr.tensor(rng.integers(1, 25, (6, 2))), batch_axis=1))
    for batch in BATCHES:
        source = rng.integers(1, 25, (6, batch))
        source[4:, 0] = 0
        assert_same(run.run(None, {"input": source}), chainrule_outputs(encoder, source))


def test_extra_outputs_are_the_modules_activations():
    cr.manual_seed(0)
    model = lenet5("classic")
    names = ["c1", "s2", "c3", "f6"]
    proto = cr_onnx.to_model(model, cr.tensor(images(2, (1, 28, 28), 0)), extra_outputs=names)
    assert [o.name for o in proto.graph.output] == ["output", *names]
    seen = {}
    for name in names:
        getattr(model, name).register_forward_hook(
            lambda module, args, out, name=name: seen.__setitem__(name, out.numpy())
        )
    x = images(3, (1, 28, 28), 5)
    expected = chainrule_outputs(model, x) + [seen[name] for name in names]
    assert_same(session(proto).run(None, {"input": x}), expected)


def test_export_writes_a_file_onnx_loads(tmp_path):
    path = tmp_path / "mlp.onnx"
    model = mlp()
    cr_onnx.export(model, cr.tensor(images(2, (1, 28, 28), 0)), path, output_names=["logits"])
    assert autograd._tracer is None and model.training
    loaded = onnx.load(str(path))
    x = images(1, (1, 28, 28), 1)
    assert_same(session(loaded).run(["logits"], {"input": x}), chainrule_outputs(model, x))


class _CumulativeSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        return F.cumsum(self.linear(x), dim=1)


class _Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = _CumulativeSum()

    def forward(self, x):
        return self.head(x)


def test_an_op_without_mapping_is_an_error_naming_it_and_its_module():
    with pytest.raises(cr_onnx.ExportError, match=r"CumSum \(in module 'head'\)"):
        cr_onnx.to_model(_Wrapper(), cr.randn(2, 4))


class _InPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        y = self.linear(x)
        y.clamp_(min=0.0)
        return y * 2.0


def test_an_in_place_op_is_an_error_not_a_silently_wrong_graph():
    with pytest.raises(cr_onnx.ExportError, match="in-place op before Mul"):
        cr_onnx.to_model(_InPlace(), cr.randn(2, 4))


class _BatchDependentNoise(nn.Module):
    def forward(self, x):
        noise = np.arange(x.shape[0], dtype=np.float32)[:, None]
        return x + noise


def test_a_constant_that_varies_along_the_batch_is_an_error():
    with pytest.raises(cr_onnx.ExportError, match="changes with the batch size"):
        cr_onnx.to_model(_BatchDependentNoise(), cr.randn(2, 4))


def test_fixed_batch_export_keeps_the_example_size():
    proto = cr_onnx.to_model(mlp(), cr.randn(2, 1, 28, 28), dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 1, 28, 28]


def test_unknown_extra_output_name_is_an_error():
    with pytest.raises(ValueError, match="'nope'"):
        cr_onnx.to_model(mlp(), cr.randn(2, 1, 28, 28), extra_outputs=["nope"])


def test_opset_18_reductions_take_axes_as_input():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    proto = cr_onnx.to_model(_Mean(model), cr.randn(2, 1, 6, 6), opset=18)
    x = images(3, (1, 6, 6), 0)
    assert_same(session(proto).run(None, {"input": x}), chainrule_outputs(_Mean(model), x))


class _Mean(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return self.body(x).mean(dim=(2, 3))


@pytest.mark.parametrize(
    "layer, size",
    [
        (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), 8),
        (lambda: nn.MaxPool2d(2, ceil_mode=True), 7),
        (lambda: nn.MaxPool2d(3, 1, padding=1, dilation=2), 9),
        (lambda: nn.AvgPool2d(3, 2, ceil_mode=True), 8),
        (lambda: nn.AvgPool2d(3, 2, padding=1), 8),
        (lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False, ceil_mode=True), 8),
        (lambda: nn.AdaptiveAvgPool2d(4), 8),
        (lambda: nn.AdaptiveAvgPool2d((2, 3)), 7),
        (lambda: nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=1.5), 5),
    ],
)
def test_pooling_geometry(layer, size):
    """ceil_mode windows past the input, padding counted or not, dilation, and adaptive bins
    equal or overlapping: the same output sizes and numbers in onnxruntime."""
    check_image_model(nn.Sequential(nn.Conv2d(2, 4, 1), layer()), (2, size, size))


def test_average_pool_divisor_onnx_cannot_express_is_an_error():
    """torch counts the zero padding but not a ceil_mode window's overhang past it."""
    model = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True)
    with pytest.raises(cr_onnx.ExportError, match="count_include_pad"):
        cr_onnx.to_model(model, cr.randn(2, 1, 8, 8))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu", "elu", "selu"])
def test_mlp_activations(activation):
    cr.manual_seed(0)
    check_image_model(mlp(in_features=12, hidden=(8,), activation=activation), (3, 2, 2))


class _Pieces(nn.Module):
    """Slices (one reversed), an integer index, a transpose, softmax and log-softmax."""

    def forward(self, x):
        head = x[:, 1:3, ::-1]
        row = x[:, 0, 2]
        mixed = F.softmax(head, dim=1) + F.log_softmax(head, dim=2)
        return mixed.transpose(1, 2), row * 2.0


def test_indexing_and_softmax():
    proto = cr_onnx.to_model(_Pieces(), cr.randn(2, 4, 5))
    for batch in BATCHES:
        x = images(batch, (4, 5), batch)
        assert_same(session(proto).run(None, {"input": x}), chainrule_outputs(_Pieces(), x))


@pytest.mark.parametrize("cell", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_recurrent_cells_with_state(cell):
    cr.manual_seed(0)
    model = cell(5, 7)
    lstm = cell is nn.LSTMCell
    state = (cr.randn(2, 7), cr.randn(2, 7)) if lstm else cr.randn(2, 7)
    run = session(cr_onnx.to_model(model, (cr.randn(2, 5), state)))
    rng = np.random.default_rng(0)
    for batch in BATCHES:
        x, h, c = (rng.standard_normal((batch, n)).astype(np.float32) for n in (5, 7, 7))
        feeds = {"input_0": x, "input_1": h} | ({"input_2": c} if lstm else {})
        model.eval()
        with cr.no_grad():
            given = (cr.tensor(h), cr.tensor(c)) if lstm else cr.tensor(h)
            expected = [t.numpy() for t in _flat(model(cr.tensor(x), given))]
        assert_same(run.run(None, feeds), expected)
