"""Differential table for chainrule.functional.norm: batch_norm (training and evaluation, 2-D,
3-D and 4-D input, with and without γ/β) and layer_norm (over the last one and two axes)."""

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
    return lambda x, w, b: f.batch_norm(x, zeros(x), zeros(x) + 1, w, b, training=True,
                                         momentum=0.3)


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


CASES = [
    Case("batch_norm/train-2d-affine", _train(F), _train(TF),
         [randn(6, 4), randn(4), randn(4)]),
    Case("batch_norm/train-2d-plain", _train(F), _train(TF), [randn(5, 3)]),
    Case("batch_norm/train-3d-affine", _train(F), _train(TF),
         [randn(3, 5, 7, scale=2.0), randn(5), randn(5)]),
    Case("batch_norm/train-3d-batch1", _train(F), _train(TF), [randn(1, 3, 6), randn(3), randn(3)]),
    Case("batch_norm/train-4d-affine", _train(F), _train(TF),
         [randn(2, 3, 5, 4), randn(3), randn(3)]),
    Case("batch_norm/train-4d-plain", _train(F), _train(TF), [randn(3, 2, 3, 3)]),
    Case("batch_norm/train-tracking-stats", _train_tracking(F, _zeros_chainrule),
         _train_tracking(TF, _zeros_torch), [randn(4, 3, 5), randn(3), randn(3)]),
    Case("batch_norm/train-weight-only", _weight_only(F, True), _weight_only(TF, True),
         [randn(4, 3, 2), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3)]),
    Case("batch_norm/eval-2d-batch1", _eval(F), _eval(TF),
         [randn(1, 4), statistic(-1, 1, 4), statistic(0.5, 2, 4), randn(4), randn(4)]),
    Case("batch_norm/eval-2d-plain", _eval(F), _eval(TF),
         [randn(5, 4), statistic(-1, 1, 4), statistic(0.5, 2, 4)]),
    Case("batch_norm/eval-3d-affine", _eval(F), _eval(TF),
         [randn(2, 3, 5), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3), randn(3)]),
    Case("batch_norm/eval-4d-affine", _eval(F), _eval(TF),
         [randn(2, 3, 4, 5), statistic(-1, 1, 3), statistic(0.5, 2, 3), randn(3), randn(3)]),
    Case("batch_norm/eval-4d-batch1-plain", _eval(F), _eval(TF),
         [randn(1, 2, 3, 3), statistic(-1, 1, 2), statistic(0.5, 2, 2)]),
    Case("batch_norm/eval-weight-only", _weight_only(F, False), _weight_only(TF, False),
         [randn(3, 4), statistic(-1, 1, 4), statistic(0.5, 2, 4), randn(4)]),
    Case("layer_norm/last-axis-affine", _layer_norm(F, 7), _layer_norm(TF, (7,)),
         [randn(4, 7), randn(7), randn(7)]),
    Case("layer_norm/last-axis-3d-plain", _layer_norm(F, (5,)), _layer_norm(TF, (5,)),
         [randn(2, 3, 5, scale=3.0)]),
    Case("layer_norm/last-axis-batch1", _layer_norm(F, (6,)), _layer_norm(TF, (6,)),
         [randn(1, 6), randn(6), randn(6)]),
    Case("layer_norm/last-two-axes-affine", _layer_norm(F, (3, 5)), _layer_norm(TF, (3, 5)),
         [randn(2, 3, 5), randn(3, 5), randn(3, 5)]),
    Case("layer_norm/last-two-axes-4d-plain", _layer_norm(F, (4, 3)), _layer_norm(TF, (4, 3)),
         [randn(2, 1, 4, 3)]),
]
