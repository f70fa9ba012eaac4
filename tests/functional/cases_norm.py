"""Differential table for chainrule.functional.norm: batch_norm (training and evaluation, 2-D,
3-D and 4-D input, with and without γ/β), layer_norm (over the last one and two axes),
group_norm (one group, several, one channel per group; 2-D to 4-D), instance_norm (input
statistics with and without γ/β, tracking running statistics, and normalising by them) and
local_response_norm (AlexNet's n = 5 and torch's defaults, even and odd windows, a window wider
than the channels, 3-D and 5-D input)."""

import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.functional as F

from .differential import Case, Input, randn


def statistic(low, high, channels):
    """A running mean or variance: drawn uniformly, never differentiated."""
    return Input(lambda rng: rng.uniform(low, high, channels), grad=False)


def _train(f):
    """batch_norm in training mode with no running statistics."""
    return lambda x, *affine: f.batch_norm(x, None, None, *affine, training=True)


def _train_tracking(f, zeros):
    """batch_norm in training mode updating fresh running statistics (output must not change)."""
    return lambda x, w, b: f.batch_norm(
        x, zeros(x), zeros(x) + 1, w, b, training=True, momentum=0.3
    )


def _eval(f):
    return lambda x, mean, var, *affine: f.batch_norm(x, mean, var, *affine, training=False)


def _weight_only(f, training):
    return lambda x, mean, var, w: f.batch_norm(x, mean, var, w, training=training)


def _zeros_chainrule(x):
    """Running statistics for x's channels, on x's device."""
    return cr.zeros(x.shape[1], dtype=x.dtype, device=x.device)


def _zeros_torch(x):
    return torch.zeros(x.shape[1], dtype=x.dtype)


def _layer_norm(f, shape):
    return lambda x, *affine: f.layer_norm(x, shape, *affine)


def _group_norm(f, groups):
    return lambda x, *affine: f.group_norm(x, groups, *affine)


def _instance_norm(f, **options):
    return lambda x, *affine: f.instance_norm(x, None, None, *affine, **options)


def _instance_norm_tracking(f, zeros):
    """instance_norm updating fresh running statistics (output must not change)."""
    return lambda x, w, b: f.instance_norm(x, zeros(x), zeros(x) + 1, w, b, momentum=0.3)


def _instance_norm_by_running_stats(f):
    return lambda x, mean, var, w, b: f.instance_norm(x, mean, var, w, b, use_input_stats=False)


def _lrn(f, *args):
    return lambda x: f.local_response_norm(x, *args)


CASES = [
    Case("batch_norm/train-2d-affine", _train(F), _train(TF), [randn(6, 4), randn(4), randn(4)]),
    Case("batch_norm/train-2d-plain", _train(F), _train(TF), [randn(5, 3)]),
    Case(
        "batch_norm/train-3d-affine",
        _train(F),
        _train(TF),
        [randn(3, 5, 7, scale=2.0), randn(5), randn(5)],
    ),
    Case("batch_norm/train-3d-batch1", _train(F), _train(TF), [randn(1, 3, 6), randn(3), randn(3)]),
    Case(
        "batch_norm/train-4d-affine", _train(F), _train(TF), [randn(2, 3, 5, 4), randn(3), randn(3)]
    ),
    Case("batch_norm/train-4d-plain", _train(F), _train(TF), [randn(3, 2, 3, 3)]),
    Case(
        "batch_norm/train-tracking-stats",
        _train_tracking(F, _zeros_chainrule),
        _train_tracking(TF, _zeros_torch),
        [randn(4, 3, 5), randn(3), randn(3)],
    ),
    Case(
        "batch_norm/train-weight-only",
        _weight_only(F, True),
        _weight_only(TF, True),
        [randn(4, 3, 2), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3)],
    ),
    Case(
        "batch_norm/eval-2d-batch1",
        _eval(F),
        _eval(TF),
        [randn(1, 4), statistic(-1, 1, 4), statistic(0.5, 2, 4), randn(4), randn(4)],
    ),
    Case(
        "batch_norm/eval-2d-plain",
        _eval(F),
        _eval(TF),
        [randn(5, 4), statistic(-1, 1, 4), statistic(0.5, 2, 4)],
    ),
    Case(
        "batch_norm/eval-3d-affine",
        _eval(F),
        _eval(TF),
        [randn(2, 3, 5), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3), randn(3)],
    ),
    Case(
        "batch_norm/eval-4d-affine",
        _eval(F),
        _eval(TF),
        [randn(2, 3, 4, 5), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3), randn(3)],
    ),
    Case(
        "batch_norm/eval-4d-batch1-plain",
        _eval(F),
        _eval(TF),
        [randn(1, 2, 3, 3), statistic(-1, 1, 2), statistic(0.5, 2, 2)],
    ),
    Case(
        "batch_norm/eval-weight-only",
        _weight_only(F, False),
        _weight_only(TF, False),
        [randn(3, 4), statistic(-1, 1, 4), statistic(0.5, 2, 4), randn(4)],
    ),
    Case(
        "layer_norm/last-axis-affine",
        _layer_norm(F, 7),
        _layer_norm(TF, (7,)),
        [randn(4, 7), randn(7), randn(7)],
    ),
    Case(
        "layer_norm/last-axis-3d-plain",
        _layer_norm(F, (5,)),
        _layer_norm(TF, (5,)),
        [randn(2, 3, 5, scale=3.0)],
    ),
    Case(
        "layer_norm/last-axis-batch1",
        _layer_norm(F, (6,)),
        _layer_norm(TF, (6,)),
        [randn(1, 6), randn(6), randn(6)],
    ),
    Case(
        "layer_norm/last-two-axes-affine",
        _layer_norm(F, (3, 5)),
        _layer_norm(TF, (3, 5)),
        [randn(2, 3, 5), randn(3, 5), randn(3, 5)],
    ),
    Case(
        "layer_norm/last-two-axes-4d-plain",
        _layer_norm(F, (4, 3)),
        _layer_norm(TF, (4, 3)),
        [randn(2, 1, 4, 3)],
    ),
    Case(
        "group_norm/4d-affine",
        _group_norm(F, 3),
        _group_norm(TF, 3),
        [randn(2, 6, 3, 4), randn(6), randn(6)],
    ),
    Case(
        "group_norm/one-group-3d",
        _group_norm(F, 1),
        _group_norm(TF, 1),
        [randn(3, 4, 5, scale=2.0), randn(4), randn(4)],
    ),
    Case(
        "group_norm/channel-per-group-plain",
        _group_norm(F, 4),
        _group_norm(TF, 4),
        [randn(2, 4, 5)],
    ),
    Case("group_norm/2d-batch1", _group_norm(F, 2), _group_norm(TF, 2), [randn(1, 6), randn(6)]),
    Case(
        "instance_norm/4d-affine",
        _instance_norm(F),
        _instance_norm(TF),
        [randn(2, 3, 4, 5), randn(3), randn(3)],
    ),
    Case(
        "instance_norm/3d-plain-eps",
        _instance_norm(F, eps=1e-2),
        _instance_norm(TF, eps=1e-2),
        [randn(3, 2, 6)],
    ),
    Case(
        "instance_norm/tracking-stats",
        _instance_norm_tracking(F, _zeros_chainrule),
        _instance_norm_tracking(TF, _zeros_torch),
        [randn(2, 3, 5), randn(3), randn(3)],
    ),
    Case(
        "instance_norm/running-stats",
        _instance_norm_by_running_stats(F),
        _instance_norm_by_running_stats(TF),
        [randn(2, 3, 4), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3), randn(3)],
    ),
    Case(
        "local_response_norm/alexnet",
        _lrn(F, 5, 1e-4, 0.75, 2.0),
        _lrn(TF, 5, 1e-4, 0.75, 2.0),
        [randn(2, 7, 3, 3, scale=10.0)],
    ),
    Case("local_response_norm/defaults-3d", _lrn(F, 3), _lrn(TF, 3), [randn(2, 5, 4, scale=5.0)]),
    Case(
        "local_response_norm/even-window",
        _lrn(F, 4, 0.5, 0.6, 1.5),
        _lrn(TF, 4, 0.5, 0.6, 1.5),
        [randn(1, 6, 2, 3)],
    ),
    Case(
        "local_response_norm/window-wider-than-channels",
        _lrn(F, 9, 1.0, 0.75, 1.0),
        _lrn(TF, 9, 1.0, 0.75, 1.0),
        [randn(2, 4, 3)],
    ),
    Case("local_response_norm/5d", _lrn(F, 2, 0.1), _lrn(TF, 2, 0.1), [randn(1, 3, 2, 2, 2)]),
]
