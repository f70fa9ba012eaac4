"""nn.Dropout: inverted dropout in train mode (statistics vs p), identity in eval mode, repr."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def test_train_mode_zeroes_about_p_and_scales_survivors():
    cr.manual_seed(0)
    layer = nn.Dropout(0.3)
    x = cr.ones(200, 500, requires_grad=True)
    y = layer(x)
    values = y.numpy()
    kept = values != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), values, rtol=1e-6)  # same mask, same scale


def test_same_seed_same_mask():
    layer = nn.Dropout()
    cr.manual_seed(3)
    first = layer(cr.ones(10, 10)).numpy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(layer(cr.ones(10, 10)).numpy(), first)


def test_eval_mode_is_identity_like_torch():
    x = np.random.default_rng(0).standard_normal((4, 5))
    ours, theirs = nn.Dropout(0.5).eval(), torch.nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(ours(cr.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())


def test_p_edges_and_repr():
    assert np.all(nn.Dropout(1.0)(cr.ones(3, 3)).numpy() == 0)
    np.testing.assert_array_equal(nn.Dropout(0.0)(cr.ones(3, 3)).numpy(), np.ones((3, 3)))
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"
