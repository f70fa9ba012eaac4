"""nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d/2d, nn.Unfold and nn.Fold against torch.nn, with
their default init."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

from .torch_oracle import assert_moves_to_torch, run_both

CONV2D_CONFIGS = [
    dict(),
    dict(stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(groups=2, bias=False),
    dict(padding="same"),
]


def draw(*shape):
    return np.random.default_rng(0).standard_normal(shape)


@pytest.mark.parametrize("config", CONV2D_CONFIGS)
def test_conv2d_matches_torch(config):
    config = {"kernel_size": 3, **config}
    run_both(nn.Conv2d(4, 6, **config), torch.nn.Conv2d(4, 6, **config), draw(2, 4, 7, 6))


@pytest.mark.parametrize(
    "config", [dict(kernel_size=3), dict(kernel_size=2, stride=2, padding=1, dilation=2, groups=2)]
)
def test_conv1d_matches_torch(config):
    run_both(nn.Conv1d(4, 6, **config), torch.nn.Conv1d(4, 6, **config), draw(3, 4, 9))


@pytest.mark.parametrize(
    "config",
    [
        dict(kernel_size=3),
        dict(kernel_size=3, stride=2, padding=1, output_padding=1),
        dict(kernel_size=(2, 3), groups=2, bias=False, dilation=2),
    ],
)
def test_conv_transpose2d_matches_torch(config):
    run_both(
        nn.ConvTranspose2d(4, 6, **config),
        torch.nn.ConvTranspose2d(4, 6, **config),
        draw(2, 4, 5, 4),
    )


@pytest.mark.parametrize(
    "config",
    [
        dict(kernel_size=3),
        dict(
            kernel_size=4, stride=3, padding=1, output_padding=2, groups=2, bias=False, dilation=1
        ),
        dict(kernel_size=2, stride=2, dilation=3, output_padding=1),
    ],
)
def test_conv_transpose1d_matches_torch(config):
    run_both(
        nn.ConvTranspose1d(4, 6, **config), torch.nn.ConvTranspose1d(4, 6, **config), draw(2, 4, 7)
    )


@pytest.mark.parametrize(
    "name, args, shape",
    [
        ("Unfold", ((2, 3),), (2, 3, 6, 7)),
        ("Unfold", (3, 2, 1, 2), (1, 2, 9, 8)),
        ("Fold", ((5, 6), 3), (2, 18, 12)),
        ("Fold", (5, (2, 3), 2, 1, 2), (2, 12, 6)),
    ],
)
def test_unfold_and_fold_match_torch(name, args, shape):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, draw(*shape))


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.Conv1d(3, 4, 2), torch.nn.Conv1d(3, 4, 2)),
        (nn.ConvTranspose1d(4, 2, 3, groups=2), torch.nn.ConvTranspose1d(4, 2, 3, groups=2)),
        (nn.Conv2d(3, 4, 2, groups=1), torch.nn.Conv2d(3, 4, 2)),
        (nn.ConvTranspose2d(2, 4, 3, groups=2), torch.nn.ConvTranspose2d(2, 4, 3, groups=2)),
    ],
)
def test_state_dict_moves_to_torch(ours, theirs):
    assert_moves_to_torch(ours, theirs)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.Conv2d(1, 6, 5),
        lambda lib: lib.nn.Conv2d(
            3, 8, (3, 2), stride=2, padding=1, dilation=(2, 1), groups=1, bias=False
        ),
        lambda lib: lib.nn.Conv2d(4, 4, 3, padding="same", groups=4),
        lambda lib: lib.nn.Conv1d(300, 100, 3),
        lambda lib: lib.nn.ConvTranspose2d(8, 4, 2, stride=2, output_padding=1),
        lambda lib: lib.nn.ConvTranspose1d(
            8, 4, 3, stride=2, padding=1, output_padding=1, dilation=2, bias=False
        ),
    ],
)
def test_repr_and_parameter_count_match_torch(make):
    ours, theirs = make(cr), make(torch)
    assert repr(ours) == repr(theirs)
    assert nn.utils.parameter_count(ours) == sum(p.numel() for p in theirs.parameters())


def test_lenet5_c1_and_c5_parameter_counts_from_deck_003():
    assert nn.utils.parameter_count(nn.Conv2d(1, 6, 5)) == 156
    assert nn.utils.parameter_count(nn.Conv2d(16, 120, 5)) == 48120


@pytest.mark.parametrize(
    "make, fan_in",
    [
        (lambda lib: lib.nn.Conv2d(16, 32, 3), 16 * 9),
        (lambda lib: lib.nn.Conv2d(16, 32, 3, groups=4), 4 * 9),
        (lambda lib: lib.nn.ConvTranspose2d(16, 32, 3), 32 * 9),  # torch reads dim 1 as fan_in
    ],
)
def test_default_init_bounds_match_torch(make, fan_in):
    cr.manual_seed(0)
    ours, theirs = make(cr), make(torch)
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        values = getattr(ours, name).numpy()
        reference = getattr(theirs, name).detach().numpy()
        assert np.abs(values).max() <= bound and np.abs(reference).max() <= bound
    np.testing.assert_allclose(
        ours.weight.numpy().std(), theirs.weight.detach().numpy().std(), rtol=0.05
    )
    np.testing.assert_allclose(ours.weight.numpy().std(), bound / math.sqrt(3), rtol=0.05)


@pytest.mark.parametrize(
    "dims, config",
    [
        (2, dict(padding=1, padding_mode="reflect")),
        (2, dict(padding=(2, 1), stride=2, padding_mode="replicate", bias=False)),
        (2, dict(padding="same", dilation=(1, 2), kernel_size=(2, 3), padding_mode="circular")),
        (1, dict(padding=2, padding_mode="circular")),
        (1, dict(padding="same", kernel_size=4, padding_mode="reflect")),
    ],
)
def test_padding_modes_match_torch(dims, config):
    config = {"kernel_size": 3, **config}
    name, shape = f"Conv{dims}d", (2, 4, 7, 6)[: dims + 2]
    ours, theirs = getattr(nn, name)(4, 6, **config), getattr(torch.nn, name)(4, 6, **config)
    assert repr(ours) == repr(theirs)
    run_both(ours, theirs, draw(*shape))


def test_unknown_or_transposed_padding_mode_is_an_error():
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose1d: only padding_mode 'zeros'"):
        nn.ConvTranspose1d(3, 4, 3, padding_mode="reflect")


def test_channels_not_divisible_by_groups_is_an_error():
    with pytest.raises(ValueError, match="in_channels=3 is not divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)
