"""Activation modules against torch.nn (outputs and gradients, PReLU's slope gradient too)."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_moves_to_torch, run_both

CASES = [
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("ReLU", (), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("PReLU", (), {}),
    ("PReLU", (3,), {"init": 0.1}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("SELU", (), {}),
    ("Softmax", (1,), {}),
    ("Softmax", (-1,), {}),
    ("LogSoftmax", (1,), {}),
    ("LogSoftmax", (0,), {}),
]


def away_from_zero(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    return x + np.sign(x) * 0.05


@pytest.mark.parametrize("name, args, kwargs", CASES)
def test_activation_matches_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, away_from_zero((4, 3, 5)))


def test_prelu_default_init_and_state_dict():
    ours, theirs = nn.PReLU(4), torch.nn.PReLU(4)
    np.testing.assert_array_equal(ours.weight.numpy(), np.full(4, 0.25, np.float32))
    assert nn.utils.parameter_count(ours) == 4
    assert_moves_to_torch(ours, theirs)


def test_softmax_needs_dim():
    with pytest.raises(TypeError):
        nn.Softmax()
    assert nn.Softmax(dim=1)(cr.zeros(2, 4)).numpy()[0, 0] == pytest.approx(0.25)
