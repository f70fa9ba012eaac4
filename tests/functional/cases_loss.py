"""Differential table for chainrule.functional.loss: every loss with each reduction; binary
cross-entropy with element weights, pos_weight and differentiated targets; nll_loss and
cross_entropy with class weights, ignore_index present in the targets, label smoothing, an
unbatched (C,) input and spatial (N, C, H, W) input."""

import numpy as np
import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, Input, integers, randn, uniform

REDUCTIONS = ("mean", "sum", "none")
IGNORE = -100


def constant(low, high, *shape):
    """A uniform float64 input that is not differentiated (class weights, pos_weight)."""
    return Input(lambda rng: rng.uniform(low, high, shape), grad=False)


def targets_with_ignored(classes, *shape, ignore_index=IGNORE):
    """Class indices with about a third of the positions (at least one, never all) ignored."""
    def make(rng):
        t = rng.integers(0, classes, shape)
        ignored = rng.random(shape) < 1 / 3
        ignored.flat[0], ignored.flat[-1] = True, False
        t[ignored] = ignore_index
        return t
    return Input(make, grad=False)


def binary(*shape):
    """Hard 0/1 float targets, not differentiated."""
    return Input(lambda rng: rng.integers(0, 2, shape).astype(np.float64), grad=False)


def scalar_target(classes):
    return Input(lambda rng: np.asarray(rng.integers(0, classes)), grad=False)


def _with(f, **options):
    return lambda *tensors: f(*tensors, **options)


def _weighted(f, **options):
    """f(input, target, weight=w, …) with the class/element weight passed by name."""
    return lambda x, t, w: f(x, t, weight=w, **options)


def _pos_weighted(f, **options):
    return lambda x, t, p: f(x, t, pos_weight=p, **options)


def _both_weights(f, **options):
    return lambda x, t, w, p: f(x, t, weight=w, pos_weight=p, **options)


def _per_reduction(op, ours, theirs, inputs, wrap=_with, **options):
    return [Case(f"{op}/{reduction}", wrap(ours, reduction=reduction, **options),
                 wrap(theirs, reduction=reduction, **options), inputs)
            for reduction in REDUCTIONS]


def _class_cases(op, ours, theirs):
    """The shared table of nll_loss and cross_entropy (class-index targets)."""
    return [
        *[Case(f"{op}/{r}", _with(ours, reduction=r), _with(theirs, reduction=r),
               [randn(6, 5, scale=2.0), integers(5, 6)]) for r in REDUCTIONS],
        *[Case(f"{op}/weights-{r}", _weighted(ours, reduction=r), _weighted(theirs, reduction=r),
               [randn(7, 4), integers(4, 7), constant(0.2, 2.0, 4)]) for r in REDUCTIONS],
        *[Case(f"{op}/ignore-index-{r}", _with(ours, reduction=r), _with(theirs, reduction=r),
               [randn(8, 5), targets_with_ignored(5, 8)]) for r in REDUCTIONS],
        Case(f"{op}/ignore-index-weights-mean", _weighted(ours), _weighted(theirs),
             [randn(9, 3), targets_with_ignored(3, 9), constant(0.2, 2.0, 3)]),
        Case(f"{op}/custom-ignore-index", _with(ours, ignore_index=2),
             _with(theirs, ignore_index=2), [randn(7, 4), integers(4, 7)]),
        Case(f"{op}/batch1", ours, theirs, [randn(1, 7), integers(7, 1)]),
        Case(f"{op}/unbatched", ours, theirs, [randn(6), scalar_target(6)]),
        Case(f"{op}/unbatched-none", _with(ours, reduction="none"),
             _with(theirs, reduction="none"), [randn(6), scalar_target(6)]),
        *[Case(f"{op}/spatial-{r}", _with(ours, reduction=r), _with(theirs, reduction=r),
               [randn(2, 4, 3, 5), integers(4, 2, 3, 5)]) for r in REDUCTIONS],
        Case(f"{op}/spatial-weights-ignore", _weighted(ours), _weighted(theirs),
             [randn(2, 3, 4, 3), targets_with_ignored(3, 2, 4, 3), constant(0.2, 2.0, 3)]),
        Case(f"{op}/3d-input-none", _with(ours, reduction="none"), _with(theirs, reduction="none"),
             [randn(3, 5, 4), integers(5, 3, 4)]),
    ]


def _smoothing_cases():
    ours, theirs = F.cross_entropy, TF.cross_entropy
    return [
        *[Case(f"cross_entropy/smoothing-{r}", _with(ours, reduction=r, label_smoothing=0.2),
               _with(theirs, reduction=r, label_smoothing=0.2),
               [randn(6, 5, scale=2.0), integers(5, 6)]) for r in REDUCTIONS],
        *[Case(f"cross_entropy/smoothing-weights-ignore-{r}",
               _weighted(ours, reduction=r, label_smoothing=0.1),
               _weighted(theirs, reduction=r, label_smoothing=0.1),
               [randn(8, 4), targets_with_ignored(4, 8), constant(0.2, 2.0, 4)])
          for r in REDUCTIONS],
        Case("cross_entropy/smoothing-spatial-weights", _weighted(ours, label_smoothing=0.3),
             _weighted(theirs, label_smoothing=0.3),
             [randn(2, 3, 4, 5), targets_with_ignored(3, 2, 4, 5), constant(0.2, 2.0, 3)]),
        Case("cross_entropy/full-smoothing", _with(ours, label_smoothing=1.0),
             _with(theirs, label_smoothing=1.0), [randn(4, 3), integers(3, 4)]),
    ]


CASES = [
    *_per_reduction("mse_loss", F.mse_loss, TF.mse_loss, [randn(5, 7), randn(5, 7)]),
    Case("mse_loss/batch1-4d", F.mse_loss, TF.mse_loss, [randn(1, 2, 3, 3), randn(1, 2, 3, 3)]),
    Case("mse_loss/constant-target", F.mse_loss, TF.mse_loss,
         [randn(4, 3), constant(-1, 1, 4, 3)]),

    *_per_reduction("binary_cross_entropy", F.binary_cross_entropy, TF.binary_cross_entropy,
                    [uniform(0.05, 0.95, 6, 5), uniform(0, 1, 6, 5)]),
    *_per_reduction("binary_cross_entropy/weight", F.binary_cross_entropy,
                    TF.binary_cross_entropy,
                    [uniform(0.05, 0.95, 4, 5), uniform(0, 1, 4, 5), constant(0.2, 2, 5)],
                    wrap=_weighted),
    Case("binary_cross_entropy/batch1-hard-targets", F.binary_cross_entropy,
         TF.binary_cross_entropy, [uniform(0.05, 0.95, 1, 7), binary(1, 7)]),

    *_per_reduction("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
                    TF.binary_cross_entropy_with_logits,
                    [randn(6, 5, scale=3.0), uniform(0, 1, 6, 5)]),
    *_per_reduction("binary_cross_entropy_with_logits/pos-weight",
                    F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
                    [randn(6, 5, scale=3.0), uniform(0, 1, 6, 5), constant(0.2, 3, 5)],
                    wrap=_pos_weighted),
    Case("binary_cross_entropy_with_logits/weight",
         _weighted(F.binary_cross_entropy_with_logits),
         _weighted(TF.binary_cross_entropy_with_logits),
         [randn(3, 4, 5), uniform(0, 1, 3, 4, 5), constant(0.2, 2, 4, 1)]),
    Case("binary_cross_entropy_with_logits/both-weights-sum",
         _both_weights(F.binary_cross_entropy_with_logits, reduction="sum"),
         _both_weights(TF.binary_cross_entropy_with_logits, reduction="sum"),
         [randn(1, 2, 5), uniform(0, 1, 1, 2, 5), constant(0.2, 2, 1, 2, 5), constant(0.2, 3, 5)]),

    *_class_cases("nll_loss", F.nll_loss, TF.nll_loss),
    *_class_cases("cross_entropy", F.cross_entropy, TF.cross_entropy),
    *_smoothing_cases(),
]
