"""nn.Linear and nn.Identity against torch.nn, and Linear's default initialisation."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_moves_to_torch, run_both


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (1, 5), (2, 3, 5)])
def test_linear_matches_torch(shape, bias):
    x = np.random.default_rng(0).standard_normal(shape)
    run_both(nn.Linear(5, 3, bias=bias), torch.nn.Linear(5, 3, bias=bias), x)


def test_linear_state_dict_moves_to_torch():
    assert_moves_to_torch(nn.Linear(5, 3), torch.nn.Linear(5, 3))


def test_identity_passes_input_through():
    x = np.random.default_rng(0).standard_normal((2, 3))
    run_both(nn.Identity(54, unused="arg"), torch.nn.Identity(54, unused="arg"), x)


def test_linear_default_init_matches_torch_bounds():
    cr.manual_seed(0)
    ours = nn.Linear(400, 300)
    theirs = torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=√5): gain √(2/6) · √(3/400)
    for name in ("weight", "bias"):
        ours_values = getattr(ours, name).numpy()
        theirs_values = getattr(theirs, name).detach().numpy()
        assert ours_values.dtype == np.float32
        assert np.abs(ours_values).max() <= bound
        assert np.abs(ours_values).max() == pytest.approx(np.abs(theirs_values).max(), rel=0.05)
    np.testing.assert_allclose(
        ours.weight.numpy().std(), theirs.weight.detach().numpy().std(), rtol=0.02
    )
    np.testing.assert_allclose(ours.weight.numpy().std(), bound / math.sqrt(3), rtol=0.02)


def test_linear_repr_and_parameter_count_match_torch():
    for args in [(784, 256), (256, 10, False)]:
        ours, theirs = nn.Linear(*args), torch.nn.Linear(*args)
        assert repr(ours) == repr(theirs)
        assert nn.utils.parameter_count(ours) == sum(p.numel() for p in theirs.parameters())
    assert nn.utils.parameter_count(nn.Linear(784, 256)) == 784 * 256 + 256


def test_linear_refuses_an_integer_input_as_torch_does():
    x = np.arange(6).reshape(2, 3)
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.nn.Linear(3, 2)(torch.tensor(x))
    with pytest.raises(
        TypeError,
        match=r"linear: input and weight must have the same dtype, "
        r"but got int64 and float32",
    ):
        nn.Linear(3, 2)(cr.tensor(x))
    with pytest.raises(TypeError, match=r"linear: input and bias must have the same dtype"):
        cr.functional.linear(cr.ones(2, 3), cr.ones(4, 3), cr.tensor([1, 2, 3, 4]))
