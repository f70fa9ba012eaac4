"""viz.deconv (Zeiler & Fergus 2014): the projection of a feature map's strongest activation back
to pixel space, against the same three steps written in torch (unpool with the switches,
ReLU, transposed convolution with the layer's weights), the top-9 choice, and the picture."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
from chainrule import nn
from chainrule.viz.deconv import DeconvError, plot_top_projections, top_projections

from .conftest import png_size


def small_convnet():
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2),
        nn.ReLU(),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 3),
    )


def projection_in_torch(model, images, feature):
    """The deconvnet written out in torch ops for ``small_convnet``'s layer "5" (the last pool)."""
    w1, b1 = (torch.tensor(p.numpy()) for p in (model[0].weight, model[0].bias))
    w2, b2 = (torch.tensor(p.numpy()) for p in (model[3].weight, model[3].bias))
    x0 = torch.tensor(images)
    a1 = TF.relu(TF.conv2d(x0, w1, b1, padding=1))
    p1, switches1 = TF.max_pool2d(a1, 2, return_indices=True)
    a2 = TF.relu(TF.conv2d(p1, w2, b2, stride=2))
    p2, switches2 = TF.max_pool2d(a2, 2, ceil_mode=True, return_indices=True)
    strengths = p2[:, feature].flatten(1).max(1).values
    order = torch.argsort(-strengths, stable=True)[:9]
    signal = torch.zeros_like(p2[order])
    for row, image in enumerate(order):
        flat = torch.argmax(p2[image, feature])
        i, j = divmod(int(flat), p2.shape[-1])
        signal[row, feature, i, j] = p2[image, feature, i, j]
    x = TF.max_unpool2d(signal, switches2[order], 2, output_size=a2.shape[-2:])
    x = TF.relu(x)
    x = TF.conv_transpose2d(x, w2, stride=2, output_padding=(p1.shape[-1] - 1) % 2)
    x = TF.max_unpool2d(x, switches1[order], 2, output_size=a1.shape[-2:])
    x = TF.relu(x)
    x = TF.conv_transpose2d(x, w1, padding=1)
    return order.numpy(), x.numpy()


@pytest.mark.parametrize("feature", [0, 3, 5])
def test_projection_equals_the_deconvnet_written_in_torch(feature):
    model = small_convnet()
    images = np.random.default_rng(1).standard_normal((30, 2, 15, 15)).astype(np.float32)
    order, strengths, projections = top_projections(model, images, "5", feature)
    expected_order, expected = projection_in_torch(model, images, feature)
    np.testing.assert_array_equal(order, expected_order)
    assert projections.shape == (9, 2, 15, 15) and np.all(np.diff(strengths) <= 0)
    np.testing.assert_allclose(projections, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(projections).max() > 0


def test_layers_it_cannot_project_through_are_named():
    model = small_convnet()
    images = np.zeros((2, 2, 15, 15), np.float32)
    with pytest.raises(DeconvError, match="'6' before '7' is a Flatten"):
        top_projections(model, images, "7", 0)
    with pytest.raises(DeconvError, match="no layer 'c9'"):
        top_projections(model, images, "c9", 0)
    with pytest.raises(DeconvError, match="6 feature maps; got feature 6"):
        top_projections(model, images, "4", 6)


def test_picture_of_a_trained_lenet5(tiny_run, tmp_path):
    from chainrule.apps import runs

    trained = runs.load_run(tiny_run)
    images = trained.images[:200]
    chosen = plot_top_projections(trained.model, images, "c3", tmp_path / "deconv.png", features=4)
    assert sorted(chosen) == [0, 1, 2, 3] and all(len(v) == 9 for v in chosen.values())
    width, height = png_size(tmp_path / "deconv.png")
    assert width > 600 and height > 200
