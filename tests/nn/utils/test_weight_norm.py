"""nn.utils.weight_norm / remove_weight_norm against torch.nn.utils's (same parameter names,
outputs, and gradients of g and v)."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from ..torch_oracle import assert_close, run_both

pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm.*is deprecated:FutureWarning")


def layers(lib):
    return [("linear", lib.nn.Linear(5, 3), (4, 5)), ("conv", lib.nn.Conv2d(2, 3, 3), (2, 2, 5, 5))]


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(index, dim):
    _, ours, shape = layers(cr)[index]
    _, theirs, _ = layers(torch)[index]
    ours = nn.utils.weight_norm(ours, dim=dim)
    theirs = torch.nn.utils.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight_g.shape == tuple(theirs.weight_g.shape)
    x = np.random.default_rng(0).standard_normal(shape)
    run_both(ours, theirs, x)  # outputs, and grads of bias, weight_g, weight_v
    with torch.no_grad():  # a second step after g and v changed: the weight is recomputed
        theirs.weight_g.mul_(1.5)
        theirs.weight_v.add_(0.1)
    ours.zero_grad()
    theirs.zero_grad()
    run_both(ours, theirs, x)


def test_initial_weight_is_unchanged_and_g_is_the_row_norm():
    model = nn.Linear(4, 3)
    weight = model.weight.numpy().copy()
    nn.utils.weight_norm(model)
    np.testing.assert_allclose(
        model.weight_g.numpy(), np.linalg.norm(weight, axis=1, keepdims=True), rtol=1e-6
    )
    np.testing.assert_allclose(model.weight.numpy(), weight, rtol=1e-6)
    assert [n for n, _ in model.named_parameters()] == ["bias", "weight_g", "weight_v"]


def test_remove_weight_norm_folds_back_like_torch():
    ours, theirs = nn.Linear(5, 3), torch.nn.Linear(5, 3)
    nn.utils.weight_norm(ours)
    torch.nn.utils.weight_norm(theirs)
    ours.to(cr.float64)
    theirs.double()
    with torch.no_grad():
        theirs.weight_g.mul_(2.0)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.weight, nn.Parameter)
    assert_close(ours.weight, theirs.weight, "weight")
    run_both(ours, theirs, np.random.default_rng(0).standard_normal((2, 5)))


def test_misuse_is_reported():
    model = nn.utils.weight_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="already weight-normalised"):
        nn.utils.weight_norm(model)
    with pytest.raises(ValueError, match="not weight-normalised"):
        nn.utils.remove_weight_norm(nn.Linear(2, 2))
