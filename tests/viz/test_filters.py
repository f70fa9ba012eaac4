"""Learned kernels: the right layer's weights, drawn into a PNG of the expected size."""

import numpy as np
import pytest

from chainrule import nn
from chainrule.viz import filters


def test_first_conv_weight_is_the_first_4d_weight_in_registration_order():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 4), nn.Conv2d(1, 3, 5), nn.Conv2d(3, 2, 3))
    np.testing.assert_array_equal(filters.first_conv_weight(model), model[2].weight.data)
    with pytest.raises(ValueError, match="no convolution"):
        filters.first_conv_weight(nn.Sequential(nn.Linear(2, 2)))


def test_lenet5_c1_is_found(trained):
    np.testing.assert_array_equal(
        filters.first_conv_weight(trained.model), trained.model.c1.weight.data
    )


@pytest.mark.parametrize(
    "shape, figsize",
    [((6, 1, 5, 5), (1.1 * 6 + 1.2, 1.1 + 0.7)), ((4, 2, 3, 3), (1.1 * 4 + 1.2, 2.2 + 0.7))],
)
def test_plot_filters_writes_a_png_of_one_cell_per_kernel(tmp_path, assert_png, shape, figsize):
    weight = np.random.default_rng(0).standard_normal(shape)
    filters.plot_filters(weight, tmp_path / "f.png")
    assert_png(tmp_path / "f.png", figsize)
