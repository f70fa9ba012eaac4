"""chainrule.init against torch.nn.init: gains, fans (conv weights included), the bounds and
standard deviations each initialiser draws with, and determinism under manual_seed."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import init

SHAPES = [(300, 200), (64, 16, 3, 3), (128, 16, 5), (64, 32, 2, 3)]


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("conv_transpose2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param)
    )


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(cr.zeros(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cr.zeros(5))


def check_uniform(tensor, bound):
    values = tensor.numpy()
    assert np.abs(values).max() <= np.float32(bound)
    assert np.abs(values).max() > 0.99 * bound
    np.testing.assert_allclose(values.std(), bound / math.sqrt(3), rtol=0.05)


def check_normal(tensor, std):
    values = tensor.numpy()
    assert abs(values.mean()) < 0.05 * std + 1e-3
    np.testing.assert_allclose(values.std(), std, rtol=0.05)


def torch_kaiming_std(shape, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """The std torch's kaiming_* draw with, from torch's own gain and fan functions."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"a": math.sqrt(5)},
        {"mode": "fan_out"},
        {"nonlinearity": "relu"},
        {"a": 0.1, "mode": "fan_out"},
    ],
)
def test_kaiming_matches_torch_distribution(shape, kwargs):
    std = torch_kaiming_std(shape, **kwargs)
    theirs = torch.nn.init.kaiming_uniform_(torch.empty(shape, dtype=torch.float64), **kwargs)
    check_uniform(theirs, math.sqrt(3) * std)  # the formula holds for torch itself
    check_uniform(init.kaiming_uniform_(cr.zeros(*shape), **kwargs), math.sqrt(3) * std)
    theirs = torch.nn.init.kaiming_normal_(torch.empty(shape, dtype=torch.float64), **kwargs)
    check_normal(theirs, std)
    check_normal(init.kaiming_normal_(cr.zeros(*shape), **kwargs), std)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_matches_torch_distribution(shape, gain):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    check_uniform(
        torch.nn.init.xavier_uniform_(torch.empty(shape, dtype=torch.float64), gain),
        math.sqrt(3) * std,
    )
    check_normal(torch.nn.init.xavier_normal_(torch.empty(shape, dtype=torch.float64), gain), std)
    check_uniform(init.xavier_uniform_(cr.zeros(*shape), gain), math.sqrt(3) * std)
    check_normal(init.xavier_normal_(cr.zeros(*shape), gain), std)


@pytest.mark.parametrize("shape", SHAPES)
def test_lecun_has_variance_one_over_fan_in(shape):
    """LeCun et al. 1998 (Efficient BackProp): σ = fan_in^(-1/2). Not in torch; compare with
    torch's kaiming_* with the linear gain, which is the same distribution."""
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))[0]
    check_uniform(
        torch.nn.init.kaiming_uniform_(
            torch.empty(shape, dtype=torch.float64), nonlinearity="linear"
        ),
        math.sqrt(3 / fan_in),
    )
    check_uniform(init.lecun_uniform_(cr.zeros(*shape)), math.sqrt(3 / fan_in))
    check_normal(init.lecun_normal_(cr.zeros(*shape)), 1 / math.sqrt(fan_in))


def test_uniform_normal_constant():
    t = init.uniform_(cr.zeros(100, 100), -2.0, 3.0)
    values = t.numpy()
    assert values.min() >= -2 and values.max() < 3
    np.testing.assert_allclose(values.mean(), 0.5, atol=0.05)
    check_normal(init.normal_(cr.zeros(200, 100), 0.0, 0.3), 0.3)
    np.testing.assert_allclose(
        init.normal_(cr.zeros(200, 100), 5.0, 1.0).numpy().mean(), 5.0, atol=0.05
    )
    assert np.all(init.constant_(cr.zeros(3), 0.7).numpy() == np.float32(0.7))
    assert np.all(init.ones_(cr.zeros(3)).numpy() == 1)
    assert np.all(init.zeros_(cr.ones(3)).numpy() == 0)


def test_in_place_keeps_array_dtype_and_grad_flag():
    t = cr.zeros(4, 5, dtype=cr.float64, requires_grad=True)
    array = t.data
    assert init.kaiming_uniform_(t) is t
    assert t.data is array and t.dtype == np.float64 and t.requires_grad and t.grad is None
    assert init.xavier_normal_(cr.zeros(4, 5)).dtype == np.float32


def test_deterministic_under_manual_seed():
    cr.manual_seed(7)
    first = init.kaiming_normal_(cr.zeros(10, 10)).numpy().copy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(init.kaiming_normal_(cr.zeros(10, 10)).numpy(), first)
    assert not np.array_equal(init.kaiming_normal_(cr.zeros(10, 10)).numpy(), first)
