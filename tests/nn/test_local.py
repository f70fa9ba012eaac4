"""nn.LocallyConnected2d: deck D3's parameter arithmetic, the output against a plain loop over
output pixels, and outputs and gradients against the same layer written in PyTorch."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as cr
from chainrule import nn


def test_parameter_arithmetic_of_deck_d3():
    """Deck D3, "Locally Connected Networks": 9 features learned from a 5×5 image take
    5·5·9 = 225 weights fully connected, 3·3·9 = 81 locally connected (3×3 filters), and
    3·3·1 = 9 with weight sharing."""
    local = nn.LocallyConnected2d(1, 1, input_size=5, kernel_size=3, bias=False)
    assert local.output_size == (3, 3)  # the 9 features
    assert nn.utils.parameter_count(nn.Linear(5 * 5, 9, bias=False)) == 225
    assert nn.utils.parameter_count(local) == 81
    assert nn.utils.parameter_count(nn.Conv2d(1, 1, 3, bias=False)) == 9


def test_parameter_count_is_positions_times_a_conv2d():
    local = nn.LocallyConnected2d(3, 4, (8, 7), (3, 2), stride=2, padding=1)
    conv = nn.Conv2d(3, 4, (3, 2), stride=2, padding=1, bias=False)
    positions = local.output_size[0] * local.output_size[1]
    assert local.output_size == (4, 4)
    assert nn.utils.parameter_count(local) == positions * (nn.utils.parameter_count(conv) + 4)


CONFIGS = [
    dict(),
    dict(stride=2, padding=1),
    dict(kernel_size=(2, 3), dilation=(2, 1)),
    dict(bias=False),
]


def _layer(config):
    config = {"kernel_size": 3, **config}
    return nn.LocallyConnected2d(3, 4, (7, 6), **config).to(cr.float64), config


@pytest.mark.parametrize("config", CONFIGS)
def test_each_output_pixel_uses_its_own_filter(config):
    layer, config = _layer(config)
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    out = layer(cr.tensor(x)).numpy()
    kh, kw = layer.kernel_size
    (sh, sw), (ph, pw), (dh, dw) = layer.stride, layer.padding, layer.dilation
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = layer.output_size
    weight = layer.weight.numpy().reshape(ho, wo, 4, 3, kh, kw)
    for i in range(ho):
        for j in range(wo):
            field = padded[
                :,
                :,
                i * sh : i * sh + dh * (kh - 1) + 1 : dh,
                j * sw : j * sw + dw * (kw - 1) + 1 : dw,
            ]
            expected = np.einsum("ncuv,ocuv->no", field, weight[i, j])
            if layer.bias is not None:
                expected = expected + layer.bias.numpy()[:, i, j]
            np.testing.assert_allclose(out[:, :, i, j], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS)
def test_outputs_and_gradients_match_the_layer_in_torch(config):
    layer, config = _layer(config)
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    ours_in = cr.tensor(x, requires_grad=True)
    out = layer(ours_in)
    weight = torch.tensor(layer.weight.numpy(), requires_grad=True)
    bias = None if layer.bias is None else torch.tensor(layer.bias.numpy(), requires_grad=True)
    theirs_in = torch.tensor(x, requires_grad=True)
    columns = TF.unfold(theirs_in, layer.kernel_size, layer.dilation, layer.padding, layer.stride)
    reference = torch.einsum("nrl,lor->nol", columns, weight).reshape(out.shape)
    reference = reference if bias is None else reference + bias
    np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-12)
    delta = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(cr.tensor(delta))
    reference.backward(torch.tensor(delta))
    pairs = [(ours_in.grad, theirs_in.grad), (layer.weight.grad, weight.grad)]
    if bias is not None:
        pairs.append((layer.bias.grad, bias.grad))
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_default_init_is_conv2d_s():
    cr.manual_seed(0)
    layer = nn.LocallyConnected2d(16, 8, 10, 3)
    bound = 1 / math.sqrt(16 * 9)
    for values in (layer.weight.numpy(), layer.bias.numpy()):
        assert np.abs(values).max() <= bound
    np.testing.assert_allclose(layer.weight.numpy().std(), bound / math.sqrt(3), rtol=0.05)


def test_a_wrong_input_size_names_the_layer():
    layer = nn.LocallyConnected2d(3, 4, (7, 6), 3)
    with pytest.raises(ValueError, match=r"LocallyConnected2d: expected input \(N, 3, 7, 6\)"):
        layer(cr.zeros(2, 3, 7, 7))
