"""LeNet-5 (models/lenet5.py) against the paper's numbers, finite differences and PyTorch.

Oracles: the per-layer parameter and connection counts and Table I printed in LeCun et al.
(1998) (and deck D3, "LeNet-5 on MNIST"); central finite differences in float64; independent
PyTorch writings of every custom layer and of the whole network with copied weights.
"""

import dataclasses
import importlib
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
from chainrule import creation, data, models, optim, random
from chainrule.apps import classify
from chainrule.data.mnist import MNIST_MEAN, MNIST_STD
from chainrule.train import evaluate, fit
from tests.train.conftest import mnist_root

L = importlib.import_module("chainrule.models.lenet5")  # the module (models.lenet5 is the builder)

# Table I of the paper as printed: rows = S2 maps 0..5, columns = C3 maps 0..15.
PAPER_TABLE_I = (
    "X...XXX..XXXX.XX",
    "XX...XXX..XXXX.X",
    "XXX...XXX..X.XXX",
    ".XXX..XXXX..X.XX",
    "..XXX..XXXX.XX.X",
    "...XXX..XXXX.XXX",
)


def tensor64(array, grad=True):
    return creation.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def numeric_grad(f, array, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of ``array``."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = f()
        array[index] = saved - eps
        down = f()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def check_against_finite_differences(layer, inputs, loss_of_output, rtol=1e-5, atol=1e-7):
    """Every input's and parameter's gradient of loss_of_output(layer(*inputs)) vs central
    differences, in float64."""

    def value():
        with cr.no_grad():
            return float(loss_of_output(layer(*inputs)).item())

    out = loss_of_output(layer(*inputs))
    out.backward()
    leaves = [t for t in inputs if t.requires_grad] + list(layer.parameters())
    assert leaves
    for leaf in leaves:
        np.testing.assert_allclose(
            leaf.grad.data, numeric_grad(value, leaf.data), rtol=rtol, atol=atol
        )


def weighted_sum(seed):
    """A loss Σ w ⊙ out with fixed random weights, so every output element matters."""

    def loss(out):
        w = np.random.default_rng(seed).standard_normal(out.shape)
        return (out * creation.tensor(w)).sum()

    return loss


def to_torch(t):
    return torch.tensor(np.asarray(t.data), requires_grad=True)


# -- the paper's figures --------------------------------------------------------------------


def test_parameter_counts_per_layer_are_the_papers():
    model = L.lenet5("classic")
    assert model.parameter_counts() == {
        "c1": 156,
        "s2": 12,
        "c3": 1516,
        "s4": 32,
        "c5": 48120,
        "f6": 10164,
        "output": 0,
    }
    assert sum(p.numel() for p in model.parameters()) == 60000
    assert model.c3.weight.shape == (60, 5, 5) and model.c3.bias.shape == (16,)


def test_connection_counts_per_layer_are_the_papers():
    assert L.lenet5("classic").connections() == {
        "c1": 122304,
        "s2": 5880,
        "c3": 151600,
        "s4": 2000,
        "c5": 48120,
        "f6": 10164,
    }


def test_c3_table_is_table_one_of_the_paper():
    for j, inputs in enumerate(L.C3_TABLE):
        assert set(inputs) == {i for i in range(6) if PAPER_TABLE_I[i][j] == "X"}
    assert sum(map(len, L.C3_TABLE)) == 60


def test_c3_kernel_is_zero_exactly_where_table_one_has_no_connection():
    kernel = L.lenet5("classic").c3.kernel().data
    connected = np.array([[c == "X" for c in row] for row in PAPER_TABLE_I]).T  # (16, 6)
    assert np.all(np.abs(kernel).sum(axis=(2, 3))[~connected] == 0)
    assert np.all(np.abs(kernel).sum(axis=(2, 3))[connected] > 0)


def test_rbf_codes_are_distinct_plus_minus_one_bitmaps_of_84_pixels():
    codes = L.DIGIT_CODES
    assert codes.shape == (10, 84) and set(np.unique(codes)) == {-1.0, 1.0}
    distances = ((codes[:, None] - codes[None]) ** 2).sum(-1)
    assert np.all(distances[~np.eye(10, dtype=bool)] > 0)


def test_initialisation_is_uniform_within_2_4_over_fan_in():
    model = L.lenet5("classic")
    for layer, fan_in in ((model.c1, 25), (model.c5, 400), (model.f6, 120), (model.s2, 4)):
        for p in layer.parameters():
            assert np.abs(p.data).max() <= 2.4 / fan_in
            assert np.abs(p.data).max() > 0.8 * 2.4 / fan_in  # spread over the range
    bounds = np.repeat([2.4 / (len(t) * 25) for t in L.C3_TABLE], [len(t) for t in L.C3_TABLE])
    assert np.all(np.abs(model.c3.weight.data).max(axis=(1, 2)) <= bounds)


def test_input_map_sends_background_to_minus_0_1_and_ink_to_1_175_on_32_by_32():
    image = np.zeros((2, 1, 28, 28), np.float32)
    image[0, 0, 10, 10] = 1.0
    out = L.InputMap()(creation.tensor(image)).data
    assert out.shape == (2, 1, 32, 32) and out.dtype == np.float32
    assert np.isclose(out[0, 0, 12, 12], 1.175)
    assert np.allclose(np.delete(out.ravel(), 12 * 32 + 12), -0.1)


def test_squash_is_1_7159_tanh_two_thirds_a():
    a = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(L.Squash()(tensor64(a, False)).data, 1.7159 * np.tanh(2 * a / 3))
    assert abs(L.Squash()(tensor64([1.0], False)).data[0] - 1) < 1e-4  # f(±1) = ±1


# -- custom layers: finite differences and PyTorch ---------------------------------------


@pytest.fixture(autouse=True)
def seeded():
    random.manual_seed(0)


def test_trainable_subsampling_gradients():
    layer = L.TrainableSubsampling(3).to(np.float64)
    x = tensor64(np.random.default_rng(1).standard_normal((2, 3, 6, 4)))
    check_against_finite_differences(layer, [x], weighted_sum(2))
    tx, tw, tb = to_torch(x), to_torch(layer.weight), to_torch(layer.bias)
    ours = layer(x)
    theirs = TF.avg_pool2d(tx, 2) * 4 * tw.view(1, 3, 1, 1) + tb.view(1, 3, 1, 1)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    for leaf in (x, layer.weight, layer.bias):
        leaf.grad = None
    weighted_sum(3)(layer(x)).backward()
    w = torch.tensor(np.random.default_rng(3).standard_normal(theirs.shape))
    (theirs * w).sum().backward()
    for mine, torch_leaf in ((x, tx), (layer.weight, tw), (layer.bias, tb)):
        np.testing.assert_allclose(mine.grad.data, torch_leaf.grad.numpy(), rtol=1e-10)


def partial_conv_in_torch(x, weight, bias, table, in_channels):
    """Independent writing: fill the full kernel slice by slice, then conv2d."""
    k = weight.shape[-1]
    kernel = torch.zeros(len(table), in_channels, k, k, dtype=weight.dtype)
    slot = 0
    for j, inputs in enumerate(table):
        for i in inputs:
            kernel = kernel.index_put((torch.tensor(j), torch.tensor(i)), weight[slot])
            slot += 1
    return TF.conv2d(x, kernel, bias)


def test_partial_conv_gradients_with_table_one():
    layer = L.PartialConv2d(6, 16, 5, L.C3_TABLE).to(np.float64)
    x = tensor64(np.random.default_rng(4).standard_normal((2, 6, 6, 7)))
    tx, tw, tb = to_torch(x), to_torch(layer.weight), to_torch(layer.bias)
    ours = layer(x)
    theirs = partial_conv_in_torch(tx, tw, tb, L.C3_TABLE, 6)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    weighted_sum(5)(ours).backward()
    (theirs * torch.tensor(np.random.default_rng(5).standard_normal(theirs.shape))).sum().backward()
    for mine, torch_leaf in ((x, tx), (layer.weight, tw), (layer.bias, tb)):
        np.testing.assert_allclose(mine.grad.data, torch_leaf.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_partial_conv_gradients_vs_finite_differences_small():
    table = ((0,), (0, 2), (1, 2))
    layer = L.PartialConv2d(3, 3, 2, table).to(np.float64)
    assert layer.weight.shape == (5, 2, 2)
    x = tensor64(np.random.default_rng(6).standard_normal((2, 3, 4, 3)))
    check_against_finite_differences(layer, [x], weighted_sum(7))


def test_learned_connection_conv_gradients_and_softmax_constraint():
    layer = L.LearnedConnectionConv2d(3, 2, 2).to(np.float64)
    layer.connection_logits.data[...] = np.random.default_rng(8).standard_normal((3, 2))
    alpha = layer.connection_weights().data
    np.testing.assert_allclose(alpha.sum(axis=0), 1.0)
    x = tensor64(np.random.default_rng(9).standard_normal((2, 3, 4, 4)))
    check_against_finite_differences(layer, [x], weighted_sum(10))
    tx = to_torch(x)
    tw, tb, tc = (to_torch(p) for p in (layer.weight, layer.bias, layer.connection_logits))
    theirs = TF.conv2d(tx, tw * torch.softmax(tc, 0).T[:, :, None, None], tb)
    np.testing.assert_allclose(layer(x).data, theirs.detach().numpy(), rtol=1e-10)


def test_learned_connection_sparsity_penalty_is_constant_under_the_softmax():
    """Σ|α| = number of output maps, so the deck's ∂Ω/∂c = λ(|α_i| − α_i Σ_k|α_k|) is zero."""
    layer = L.LearnedConnectionConv2d(6, 16, 5).to(np.float64)
    layer.connection_logits.data[...] = np.random.default_rng(11).standard_normal((6, 16))
    penalty = layer.sparsity_penalty()
    assert np.isclose(float(penalty.item()), 16.0)
    penalty.backward()
    np.testing.assert_allclose(layer.connection_logits.grad.data, 0.0, atol=1e-12)


def test_euclidean_rbf_gradients_and_values():
    centres = np.random.default_rng(12).choice([-1.0, 1.0], size=(4, 5))
    layer = L.EuclideanRBF(centres).to(np.float64)
    assert list(layer.parameters()) == []
    x = tensor64(np.random.default_rng(13).standard_normal((3, 5)))
    out = layer(x)
    tx = to_torch(x)
    theirs = torch.cdist(tx, torch.tensor(centres)) ** 2
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-10)
    check_against_finite_differences(layer, [x], weighted_sum(14))


def map_loss_in_torch(y, target, j):
    """The paper's eq. written out directly."""
    correct = y[torch.arange(len(y)), target]
    return (correct + torch.log(math.exp(-j) + torch.exp(-y).sum(1))).mean()


@pytest.mark.parametrize("j", [L.MAP_J, 0.5])
def test_map_loss_is_the_papers_criterion(j):
    y_np = np.random.default_rng(15).uniform(0, 6, size=(5, 10))
    target = np.array([0, 3, 9, 3, 7])
    y = tensor64(y_np)
    loss = L.map_loss(y, creation.tensor(target), j=j)
    ty = torch.tensor(y_np, requires_grad=True)
    theirs = map_loss_in_torch(ty, torch.tensor(target), j)
    np.testing.assert_allclose(float(loss.item()), theirs.item(), rtol=1e-12)
    loss.backward()
    theirs.backward()
    np.testing.assert_allclose(y.grad.data, ty.grad.numpy(), rtol=1e-10)

    def value():
        with cr.no_grad():
            return float(L.map_loss(y, creation.tensor(target), j=j).item())

    np.testing.assert_allclose(y.grad.data, numeric_grad(value, y.data), rtol=1e-6, atol=1e-9)


def test_map_loss_is_finite_for_huge_penalties():
    y = tensor64(np.full((2, 10), 1e4))
    loss = L.map_loss(y, creation.tensor(np.array([1, 2])))
    assert np.isclose(float(loss.item()), 1e4 - L.MAP_J)


# -- whole networks vs PyTorch ----------------------------------------------------------------


def torch_params(model):
    return {
        name: torch.tensor(np.asarray(p.data), requires_grad=True)
        for name, p in model.named_parameters()
    }


def torch_input(x, model):
    m = model.input_map
    v = torch.tensor(x) * m.scale + m.shift
    return TF.pad(v, (2, 2, 2, 2), value=L.BACKGROUND)


def classic_in_torch(x, p, model):
    def f(a):
        return 1.7159 * torch.tanh(a * 2 / 3)

    def sub(a, w, b):
        return TF.avg_pool2d(a, 2) * 4 * w.view(1, -1, 1, 1) + b.view(1, -1, 1, 1)

    h = f(TF.conv2d(torch_input(x, model), p["c1.weight"], p["c1.bias"]))
    h = f(sub(h, p["s2.weight"], p["s2.bias"]))
    h = f(partial_conv_in_torch(h, p["c3.weight"], p["c3.bias"], L.C3_TABLE, 6))
    h = f(sub(h, p["s4.weight"], p["s4.bias"]))
    h = f(TF.conv2d(h, p["c5.weight"], p["c5.bias"])).flatten(1)
    h = f(TF.linear(h, p["f6.weight"], p["f6.bias"]))
    return torch.cdist(h, torch.tensor(L.DIGIT_CODES)) ** 2


def modern_in_torch(x, p, model):
    h = TF.max_pool2d(TF.relu(TF.conv2d(torch_input(x, model), p["c1.weight"], p["c1.bias"])), 2)
    h = TF.max_pool2d(TF.relu(TF.conv2d(h, p["c3.weight"], p["c3.bias"])), 2)
    h = TF.relu(TF.conv2d(h, p["c5.weight"], p["c5.bias"])).flatten(1)
    h = TF.relu(TF.linear(h, p["f6.weight"], p["f6.bias"]))
    return TF.linear(h, p["output.weight"], p["output.bias"])


@pytest.mark.parametrize(
    "variant, in_torch, torch_loss",
    [
        ("classic", classic_in_torch, lambda y, t: map_loss_in_torch(y, t, L.MAP_J)),
        ("modern", modern_in_torch, TF.cross_entropy),
    ],
)
def test_whole_network_matches_torch_with_copied_weights(variant, in_torch, torch_loss):
    model = L.lenet5(variant, background=-0.5, foreground=2.0).to(np.float64)
    x = np.random.default_rng(16).uniform(-0.5, 2.0, size=(3, 1, 28, 28))
    target = np.array([1, 7, 4])
    out = model(tensor64(x, False))
    loss = model.loss(out, creation.tensor(target))
    loss.backward()
    params = torch_params(model)
    theirs = in_torch(x, params, model)
    their_loss = torch_loss(theirs, torch.tensor(target))
    their_loss.backward()
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(float(loss.item()), their_loss.item(), rtol=1e-10)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(
            p.grad.data, params[name].grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=name
        )
    predicted = theirs.argmin(1) if variant == "classic" else theirs.argmax(1)
    np.testing.assert_array_equal(model.predict(out), predicted.numpy())


def test_modern_variant_is_relu_max_pooling_full_c3_and_linear_output():
    model = L.lenet5("modern")
    assert model.c3.weight.shape == (16, 6, 5, 5) and model.output.weight.shape == (10, 84)
    with pytest.raises(AttributeError, match="learned-connections"):
        model.connection_weights()


def test_unknown_variant_names_the_choices():
    with pytest.raises(ValueError, match="classic, modern, learned-connections"):
        L.lenet5("lenet4")


# -- registry, training ---------------------------------------------------------------------


def test_registry_builds_each_variant_with_the_run_normalisation():
    assert models.VARIANTS["lenet5"] == L.VARIANTS
    for variant in L.VARIANTS:
        assert models.build("lenet5", (1, 28, 28), 10, variant).variant == variant
    model = models.build("lenet5", (1, 28, 28), 10)
    assert model.variant == "classic"
    background, ink = (0 - 0.1307) / 0.3081, (1 - 0.1307) / 0.3081
    assert np.isclose(model.input_map.scale * background + model.input_map.shift, -0.1)
    assert np.isclose(model.input_map.scale * ink + model.input_map.shift, 1.175)
    with pytest.raises(KeyError, match="no variant"):
        models.build("lenet5", (1, 28, 28), 10, "lenet4")
    with pytest.raises(ValueError, match="10 classes"):
        models.build("lenet5", (1, 28, 28), 7)


@pytest.fixture(scope="module")
def digits():
    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    train = data.MNIST(root, train=True)
    images = (train.data[:600] / np.float32(255))[:, None]
    return data.TensorDataset(images, train.targets[:600])


@pytest.mark.parametrize("variant", L.VARIANTS)
def test_a_few_steps_on_mnist_reduce_the_loss_and_fit_uses_the_models_loss(digits, variant):
    model = L.lenet5(variant, sparsity=0.01 if variant == "learned-connections" else 0.0)
    batch = data.DataLoader(digits, batch_size=600)
    before = evaluate(model, batch)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    history = fit(model, opt, data.DataLoader(digits, batch_size=50, shuffle=True, seed=0), 2)
    after = evaluate(model, batch)
    assert after["loss"] < 0.75 * before["loss"] and history[-1]["loss"] < history[0]["loss"]
    x, y = digits.get_batch(slice(0, 600))
    with cr.no_grad():
        out = model(creation.tensor(x))
    assert np.isclose(after["loss"], float(model.loss(out, creation.tensor(y)).item()), rtol=1e-5)
    assert np.isclose(after["accuracy"], float((model.predict(out) == y).mean()))
    np.testing.assert_array_equal(after["confusion"].sum(axis=1), np.bincount(y, minlength=10))


def test_cli_trains_a_variant_with_the_registered_recipe_and_eval_rebuilds_it(tmp_path, capsys):
    from chainrule.cli import main

    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "lenet5",
                "--variant",
                "modern",
                "--dataset",
                "mnist",
                "--data-dir",
                root,
                "--epochs",
                "1",
                "--limit-train",
                "300",
                "--no-progress",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    config = json.loads((out / "config.json").read_text())
    recipe = models.RECIPES["lenet5"]
    assert config["variant"] == "modern" and config["epochs"] == 1
    assert all(
        config[k] == recipe[k] for k in ("optimizer", "lr", "lr_schedule", "batch_size", "val_size")
    )
    assert config["val_size"] == 0  # the recipe, chosen on held-out images, trains on all 60,000
    assert "val_loss" not in json.loads((out / "log.jsonl").read_text().splitlines()[-1])
    trained = json.loads((out / "metrics.json").read_text())["test_accuracy"]
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["test_accuracy"] == trained
    with pytest.raises(SystemExit) as exit_info:  # mlp has no variants: no --variant option
        main(["train", "mlp", "--variant", "classic", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2 and "--variant" in capsys.readouterr().err


def test_distort_draws_new_distortions_of_the_training_images_each_time():
    root = mnist_root()
    if root is None:
        pytest.skip("MNIST not found (set CHAINRULE_DATA to the data mirror)")
    config = classify.RunConfig(
        model="lenet5", data_dir=root, distort=True, limit_train=50, val_size=100
    )
    splits = classify.load_splits(config)
    plain = classify.load_splits(dataclasses.replace(config, distort=False)).train
    first, labels = splits.train.get_batch(np.arange(50))
    second, _ = splits.train.get_batch(np.arange(50))
    undistorted, plain_labels = plain.get_batch(np.arange(50))
    assert first.shape == undistorted.shape == (50, 1, 28, 28)
    np.testing.assert_array_equal(labels, plain_labels)
    assert not np.allclose(first, second) and not np.allclose(first, undistorted)
    background = (0 - MNIST_MEAN) / MNIST_STD
    assert np.isclose(np.median(first), background, atol=1e-5)  # normalised after distorting
