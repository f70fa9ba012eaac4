"""Feature maps: every leaf layer's output, in the order the layers ran, equal to running the
layers by hand (and to torch for the convolution); the picture is a PNG of the expected size."""

import numpy as np
import torch

import chainrule as cr
from chainrule import nn
from chainrule.viz import features


def small_cnn():
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(3 * 3 * 3, 4),
    )


def test_records_every_layer_in_order_equal_to_running_them_by_hand():
    model = small_cnn()
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    records = features.feature_maps(model, x)
    assert [name for name, _ in records] == ["0", "1", "2", "3", "4", "5"]
    expected = cr.Tensor(x)
    model.eval()
    for (_, out), layer in zip(records, model):
        expected = layer(expected)
        np.testing.assert_array_equal(out, expected.data)
    conv = torch.nn.functional.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(model[0].weight.data),
        torch.from_numpy(model[0].bias.data),
    )
    np.testing.assert_allclose(records[0][1], conv.numpy(), rtol=1e-5, atol=1e-6)


def test_a_shared_module_is_recorded_at_each_call_and_hooks_are_removed():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 3)
            self.act = nn.Tanh()

        def forward(self, x):
            return self.act(self.linear(self.act(x)))

    model = Twice()
    model.train()
    records = features.feature_maps(model, np.ones((1, 3), dtype=np.float32))
    assert [name for name, _ in records] == ["act", "linear", "act"]
    np.testing.assert_allclose(records[0][1], np.tanh(np.ones((1, 3))), rtol=1e-6)
    assert model.training
    assert not model.act._forward_hooks and not model.linear._forward_hooks


def test_plot_feature_maps_draws_a_row_per_layer(tmp_path, assert_png):
    model = small_cnn()
    image = np.random.default_rng(1).standard_normal((1, 8, 8)).astype(np.float32)
    records = features.plot_feature_maps(model, image, tmp_path / "maps.png")
    assert [name for name, _ in records] == ["0", "1", "2", "5"]  # no Flatten, no Dropout
    assert records[0][1].shape == (3, 6, 6)
    assert_png(tmp_path / "maps.png", (1.0 * 3 + 1.4, 1.0 * 5 + 0.8))
