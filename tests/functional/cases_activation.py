"""Differential table for chainrule.functional.activation: every activation on batch-1, odd and
4-D shapes; kinked ones (relu, leaky_relu, prelu, elu, selu) on inputs kept away from the kink at
0; softmax and log_softmax over dims 0, 1 and -1; prelu with one slope and with one per channel."""

import torch
import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, away_from, randn


def _along(f, dim):
    return lambda x: f(x, dim=dim)


def _with(f, **options):
    return lambda x: f(x, **options)


CASES = [
    Case("identity/odd", F.identity, lambda x: x, [randn(3, 7)]),
    Case("identity/batch1-4d", F.identity, lambda x: x, [randn(1, 2, 3, 5)]),
    Case("sigmoid/odd", F.sigmoid, torch.sigmoid, [randn(5, 7, scale=3.0)]),
    Case("sigmoid/batch1", F.sigmoid, torch.sigmoid, [randn(1, 9)]),
    Case("sigmoid/4d", F.sigmoid, torch.sigmoid, [randn(2, 3, 4, 5, scale=4.0)]),
    Case("tanh/odd", F.tanh, torch.tanh, [randn(5, 7, scale=2.0)]),
    Case("tanh/batch1-3d", F.tanh, torch.tanh, [randn(1, 3, 5)]),
    Case("relu/odd", F.relu, TF.relu, [away_from([0], 7, 5)]),
    Case("relu/batch1", F.relu, TF.relu, [away_from([0], 1, 11)]),
    Case("relu/4d", F.relu, TF.relu, [away_from([0], 2, 3, 4, 5)]),
    Case("leaky_relu/default-slope", F.leaky_relu, TF.leaky_relu, [away_from([0], 6, 5)]),
    Case(
        "leaky_relu/slope-0.2-4d",
        _with(F.leaky_relu, negative_slope=0.2),
        _with(TF.leaky_relu, negative_slope=0.2),
        [away_from([0], 2, 3, 4, 3)],
    ),
    Case(
        "leaky_relu/batch1",
        _with(F.leaky_relu, negative_slope=0.3),
        _with(TF.leaky_relu, negative_slope=0.3),
        [away_from([0], 1, 7)],
    ),
    Case("prelu/one-slope-4d", F.prelu, TF.prelu, [away_from([0], 2, 3, 4, 5), randn(1)]),
    Case("prelu/per-channel-4d", F.prelu, TF.prelu, [away_from([0], 2, 3, 4, 5), randn(3)]),
    Case("prelu/per-channel-batch1-4d", F.prelu, TF.prelu, [away_from([0], 1, 5, 3, 3), randn(5)]),
    Case("prelu/per-channel-2d", F.prelu, TF.prelu, [away_from([0], 7, 4), randn(4)]),
    Case("prelu/one-slope-1d", F.prelu, TF.prelu, [away_from([0], 9), randn(1)]),
    Case("elu/default-alpha", F.elu, TF.elu, [away_from([0], 5, 7)]),
    Case(
        "elu/alpha-0.5-4d",
        _with(F.elu, alpha=0.5),
        _with(TF.elu, alpha=0.5),
        [away_from([0], 2, 3, 3, 4)],
    ),
    Case("elu/batch1", _with(F.elu, alpha=2.0), _with(TF.elu, alpha=2.0), [away_from([0], 1, 9)]),
    Case("selu/odd", F.selu, TF.selu, [away_from([0], 7, 5)]),
    Case("selu/batch1-4d", F.selu, TF.selu, [away_from([0], 1, 3, 2, 5)]),
    Case("softmax/dim0", _along(F.softmax, 0), _along(TF.softmax, 0), [randn(5, 7, scale=2.0)]),
    Case("softmax/dim1", _along(F.softmax, 1), _along(TF.softmax, 1), [randn(5, 7, scale=2.0)]),
    Case("softmax/dim-1-3d", _along(F.softmax, -1), _along(TF.softmax, -1), [randn(2, 3, 7)]),
    Case("softmax/dim1-4d", _along(F.softmax, 1), _along(TF.softmax, 1), [randn(2, 5, 3, 3)]),
    Case("softmax/batch1", _along(F.softmax, 1), _along(TF.softmax, 1), [randn(1, 9)]),
    Case("softmax/1d", _along(F.softmax, 0), _along(TF.softmax, 0), [randn(11)]),
    Case(
        "log_softmax/dim0",
        _along(F.log_softmax, 0),
        _along(TF.log_softmax, 0),
        [randn(5, 7, scale=2.0)],
    ),
    Case(
        "log_softmax/dim1",
        _along(F.log_softmax, 1),
        _along(TF.log_softmax, 1),
        [randn(5, 7, scale=2.0)],
    ),
    Case(
        "log_softmax/dim-1-3d",
        _along(F.log_softmax, -1),
        _along(TF.log_softmax, -1),
        [randn(2, 3, 7)],
    ),
    Case(
        "log_softmax/dim1-4d",
        _along(F.log_softmax, 1),
        _along(TF.log_softmax, 1),
        [randn(2, 5, 3, 3)],
    ),
    Case("log_softmax/batch1", _along(F.log_softmax, 1), _along(TF.log_softmax, 1), [randn(1, 9)]),
]
