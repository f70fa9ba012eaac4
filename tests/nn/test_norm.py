"""nn.BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm1d/2d and LocalResponseNorm against
torch.nn by copying weights: train-mode steps (running statistics, num_batches_tracked,
cumulative momentum=None), then eval mode; unbatched instance-norm input; state dicts both
ways; reprs."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_close, assert_moves_to_torch, assert_same_state, run_both

BATCHNORM_CONFIGS = [
    dict(),
    dict(momentum=None),
    dict(affine=False),
    dict(bias=False),
    dict(track_running_stats=False),
    dict(eps=1e-3, momentum=0.3),
]


def train_then_eval(ours, theirs, shape, steps=3):
    """A few train-mode steps with fresh inputs (outputs, grads, running stats compared each
    step, affine weights perturbed so γ, β matter), then eval mode on a new input."""
    rng = np.random.default_rng(0)
    ours.to(cr.float64)
    theirs.double()
    with torch.no_grad():
        for param in theirs.parameters():
            param.add_(torch.tensor(rng.standard_normal(param.shape)))
    for _ in range(steps):
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, 3 + 2 * rng.standard_normal(shape))
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, rng.standard_normal(shape))


@pytest.mark.parametrize("config", BATCHNORM_CONFIGS)
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6)])
def test_batchnorm1d_matches_torch(config, shape):
    train_then_eval(nn.BatchNorm1d(3, **config), torch.nn.BatchNorm1d(3, **config), shape)


@pytest.mark.parametrize("config", BATCHNORM_CONFIGS)
def test_batchnorm2d_matches_torch(config):
    train_then_eval(nn.BatchNorm2d(3, **config), torch.nn.BatchNorm2d(3, **config), (2, 3, 4, 5))


def test_batchnorm_running_stats_after_steps():
    ours, theirs = nn.BatchNorm2d(2, momentum=None), torch.nn.BatchNorm2d(2, momentum=None)
    train_then_eval(ours, theirs, (3, 2, 2, 2), steps=4)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 4
    assert_close(ours.running_mean, theirs.running_mean, "running_mean")
    assert_close(ours.running_var, theirs.running_var, "running_var")


def test_batchnorm_rejects_wrong_rank():
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D input, got shape \\(2, 3\\)"):
        nn.BatchNorm2d(3)(cr.randn(2, 3))
    with pytest.raises(ValueError, match="BatchNorm1d: expected 2D or 3D input"):
        nn.BatchNorm1d(3)(cr.randn(2, 3, 4, 5))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.BatchNorm1d(3),
        lambda lib: lib.nn.BatchNorm2d(4, affine=False),
        lambda lib: lib.nn.BatchNorm2d(4, momentum=None, bias=False),
        lambda lib: lib.nn.LayerNorm((2, 3)),
        lambda lib: lib.nn.LayerNorm(5, bias=False),
    ],
)
def test_state_dict_moves_to_torch_and_repr_matches(make):
    ours, theirs = make(cr), make(torch)
    assert repr(ours) == repr(theirs)
    assert_same_state(ours, theirs)  # default init: weight 1, bias 0, running stats 0 / 1
    assert_moves_to_torch(ours, theirs)


def test_batchnorm_without_running_stats_has_no_buffers():
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize(
    "config", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-2)]
)
@pytest.mark.parametrize("normalized_shape, shape", [(6, (4, 6)), ((3, 6), (2, 3, 6))])
def test_layernorm_matches_torch(config, normalized_shape, shape):
    ours = nn.LayerNorm(normalized_shape, **config)
    theirs = torch.nn.LayerNorm(normalized_shape, **config)
    rng = np.random.default_rng(1)
    with torch.no_grad():
        for param in theirs.parameters():
            param.add_(torch.tensor(rng.standard_normal(param.shape), dtype=param.dtype))
    run_both(ours, theirs, rng.standard_normal(shape))


@pytest.mark.parametrize("config", [dict(), dict(affine=False), dict(bias=False), dict(eps=1e-2)])
@pytest.mark.parametrize("groups, shape", [(3, (2, 6, 4, 3)), (1, (3, 6, 5)), (6, (2, 6))])
def test_groupnorm_matches_torch(config, groups, shape):
    ours, theirs = nn.GroupNorm(groups, 6, **config), torch.nn.GroupNorm(groups, 6, **config)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(2)
    with torch.no_grad():
        for param in theirs.parameters():
            param.add_(torch.tensor(rng.standard_normal(param.shape), dtype=param.dtype))
    run_both(ours, theirs, rng.standard_normal(shape))


def test_groupnorm_channels_must_split_into_groups():
    with pytest.raises(
        ValueError,
        match=r"GroupNorm: num_channels \(4\) must be divisible by "
        r"num_groups \(3\)",
    ):
        nn.GroupNorm(3, 4)


INSTANCENORM_CONFIGS = [
    dict(),
    dict(affine=True),
    dict(affine=True, bias=False),
    dict(track_running_stats=True),
    dict(track_running_stats=True, momentum=None),
    dict(affine=True, track_running_stats=True, eps=1e-3, momentum=0.3),
]


@pytest.mark.parametrize("config", INSTANCENORM_CONFIGS)
@pytest.mark.parametrize("shape", [(4, 3, 6), (3, 5)])
def test_instancenorm1d_matches_torch(config, shape):
    ours, theirs = nn.InstanceNorm1d(3, **config), torch.nn.InstanceNorm1d(3, **config)
    assert repr(ours) == repr(theirs)
    train_then_eval(ours, theirs, shape)


@pytest.mark.parametrize("config", INSTANCENORM_CONFIGS)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 4)])
def test_instancenorm2d_matches_torch(config, shape):
    train_then_eval(nn.InstanceNorm2d(3, **config), torch.nn.InstanceNorm2d(3, **config), shape)


def test_instancenorm_rejects_wrong_rank():
    with pytest.raises(
        ValueError,
        match=r"InstanceNorm2d: expected 3D or 4D input, got shape "
        r"\(2, 3\)",
    ):
        nn.InstanceNorm2d(3)(cr.randn(2, 3))


@pytest.mark.parametrize(
    "args, shape",
    [((5,), (2, 7, 3, 3)), ((2, 0.5, 0.6, 2.0), (3, 4, 5)), ((3, 1e-3), (1, 3, 2, 2, 2))],
)
def test_local_response_norm_matches_torch(args, shape):
    ours, theirs = nn.LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, 5 * np.random.default_rng(3).standard_normal(shape))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.GroupNorm(2, 4),
        lambda lib: lib.nn.GroupNorm(2, 4, affine=False),
        lambda lib: lib.nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        lambda lib: lib.nn.InstanceNorm2d(3),
    ],
)
def test_new_norms_state_dict_moves_to_torch(make):
    ours, theirs = make(cr), make(torch)
    assert_same_state(ours, theirs)
    assert_moves_to_torch(ours, theirs)


@pytest.mark.parametrize(
    "make, keyword",
    [
        (lambda: nn.GroupNorm(2, 4, device="cpu"), "device"),
        (lambda: nn.InstanceNorm1d(3, dtype=cr.float64), "dtype"),
        (lambda: nn.BatchNorm1d(3, device="cpu"), "device"),
    ],
)
def test_a_torch_keyword_chainrule_lacks_is_an_error_naming_it(make, keyword):
    with pytest.raises(TypeError, match=keyword):
        make()
