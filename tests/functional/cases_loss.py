"""Differential table for chainrule.functional.loss: every loss with each reduction; binary
cross-entropy with element weights, pos_weight and differentiated targets; nll_loss and
cross_entropy with class weights, ignore_index present in the targets, label smoothing, an
unbatched (C,) input and spatial (N, C, H, W) input; cross_entropy against class probabilities
(differentiated), with weights and smoothing; l1, smooth-L1 (β, β = 0) and Huber (δ) with errors
(random errors: a draw within the finite-difference step of a kink has probability ~1e-6);
kl_div (probabilities and log-targets, 'batchmean');
cosine_similarity (broadcast, negative dim); cosine_embedding_loss and margin_ranking_loss with
labels ±1 (and 0, which costs nothing)."""

import warnings

import numpy as np
import torch.nn.functional as TF

import chainrule.functional as F

from .differential import Case, Input, fixed, integers, randn, uniform

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


def probabilities(*shape, axis=-1):
    """A differentiated float target of class probabilities, summing to 1 along ``axis``."""

    def make(rng):
        p = rng.uniform(0.05, 1.0, shape)
        return p / p.sum(axis=axis, keepdims=True)

    return Input(make)


def log_probabilities(*shape, axis=-1):
    return Input(lambda rng: np.log(probabilities(*shape, axis=axis).make(rng)))


def labels(*shape, values=(1, -1)):
    """Pair labels drawn from ``values`` as floats (torch's targets), not differentiated."""
    return Input(lambda rng: rng.choice(np.array(values, np.float64), shape), grad=False)


def signs(*shape):
    """Labels ±1 that are differentiated (margin_ranking_loss has a gradient in its target)."""
    return Input(lambda rng: rng.choice(np.array([1.0, -1.0]), shape))


def _torch_kl_div(*tensors, **options):
    """TF.kl_div without its warning that 'mean' will one day mean 'batchmean' (the table pins
    today's meaning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean'")
        return TF.kl_div(*tensors, **options)


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
    return [
        Case(
            f"{op}/{reduction}",
            wrap(ours, reduction=reduction, **options),
            wrap(theirs, reduction=reduction, **options),
            inputs,
        )
        for reduction in REDUCTIONS
    ]


def _class_cases(op, ours, theirs):
    """The shared table of nll_loss and cross_entropy (class-index targets)."""
    return [
        *[
            Case(
                f"{op}/{r}",
                _with(ours, reduction=r),
                _with(theirs, reduction=r),
                [randn(6, 5, scale=2.0), integers(5, 6)],
            )
            for r in REDUCTIONS
        ],
        *[
            Case(
                f"{op}/weights-{r}",
                _weighted(ours, reduction=r),
                _weighted(theirs, reduction=r),
                [randn(7, 4), integers(4, 7), constant(0.2, 2.0, 4)],
            )
            for r in REDUCTIONS
        ],
        *[
            Case(
                f"{op}/ignore-index-{r}",
                _with(ours, reduction=r),
                _with(theirs, reduction=r),
                [randn(8, 5), targets_with_ignored(5, 8)],
            )
            for r in REDUCTIONS
        ],
        Case(
            f"{op}/ignore-index-weights-mean",
            _weighted(ours),
            _weighted(theirs),
            [randn(9, 3), targets_with_ignored(3, 9), constant(0.2, 2.0, 3)],
        ),
        Case(
            f"{op}/custom-ignore-index",
            _with(ours, ignore_index=2),
            _with(theirs, ignore_index=2),
            [randn(7, 4), integers(4, 7)],
        ),
        Case(f"{op}/batch1", ours, theirs, [randn(1, 7), integers(7, 1)]),
        Case(f"{op}/unbatched", ours, theirs, [randn(6), scalar_target(6)]),
        Case(
            f"{op}/unbatched-none",
            _with(ours, reduction="none"),
            _with(theirs, reduction="none"),
            [randn(6), scalar_target(6)],
        ),
        *[
            Case(
                f"{op}/spatial-{r}",
                _with(ours, reduction=r),
                _with(theirs, reduction=r),
                [randn(2, 4, 3, 5), integers(4, 2, 3, 5)],
            )
            for r in REDUCTIONS
        ],
        Case(
            f"{op}/spatial-weights-ignore",
            _weighted(ours),
            _weighted(theirs),
            [randn(2, 3, 4, 3), targets_with_ignored(3, 2, 4, 3), constant(0.2, 2.0, 3)],
        ),
        Case(
            f"{op}/3d-input-none",
            _with(ours, reduction="none"),
            _with(theirs, reduction="none"),
            [randn(3, 5, 4), integers(5, 3, 4)],
        ),
    ]


def _smoothing_cases():
    ours, theirs = F.cross_entropy, TF.cross_entropy
    return [
        *[
            Case(
                f"cross_entropy/smoothing-{r}",
                _with(ours, reduction=r, label_smoothing=0.2),
                _with(theirs, reduction=r, label_smoothing=0.2),
                [randn(6, 5, scale=2.0), integers(5, 6)],
            )
            for r in REDUCTIONS
        ],
        *[
            Case(
                f"cross_entropy/smoothing-weights-ignore-{r}",
                _weighted(ours, reduction=r, label_smoothing=0.1),
                _weighted(theirs, reduction=r, label_smoothing=0.1),
                [randn(8, 4), targets_with_ignored(4, 8), constant(0.2, 2.0, 4)],
            )
            for r in REDUCTIONS
        ],
        Case(
            "cross_entropy/smoothing-spatial-weights",
            _weighted(ours, label_smoothing=0.3),
            _weighted(theirs, label_smoothing=0.3),
            [randn(2, 3, 4, 5), targets_with_ignored(3, 2, 4, 5), constant(0.2, 2.0, 3)],
        ),
        Case(
            "cross_entropy/full-smoothing",
            _with(ours, label_smoothing=1.0),
            _with(theirs, label_smoothing=1.0),
            [randn(4, 3), integers(3, 4)],
        ),
    ]


def _probability_cases():
    """cross_entropy against class probabilities: the target is a differentiated input too."""
    ours, theirs = F.cross_entropy, TF.cross_entropy
    return [
        *[
            Case(
                f"cross_entropy/probabilities-{r}",
                _with(ours, reduction=r),
                _with(theirs, reduction=r),
                [randn(6, 5, scale=2.0), probabilities(6, 5)],
            )
            for r in REDUCTIONS
        ],
        *[
            Case(
                f"cross_entropy/probabilities-weights-smoothing-{r}",
                _weighted(ours, reduction=r, label_smoothing=0.2),
                _weighted(theirs, reduction=r, label_smoothing=0.2),
                [randn(5, 4), probabilities(5, 4), constant(0.2, 2.0, 4)],
            )
            for r in REDUCTIONS
        ],
        Case(
            "cross_entropy/probabilities-spatial-weights",
            _weighted(ours, label_smoothing=0.1),
            _weighted(theirs, label_smoothing=0.1),
            [randn(2, 3, 4, 2), probabilities(2, 3, 4, 2, axis=1), constant(0.2, 2.0, 3)],
        ),
        Case(
            "cross_entropy/probabilities-unbatched-none",
            _with(ours, reduction="none"),
            _with(theirs, reduction="none"),
            [randn(6), probabilities(6)],
        ),
        Case(
            "cross_entropy/probabilities-batch1", ours, theirs, [randn(1, 7), probabilities(1, 7)]
        ),
    ]


CASES = [
    *_per_reduction("mse_loss", F.mse_loss, TF.mse_loss, [randn(5, 7), randn(5, 7)]),
    Case("mse_loss/batch1-4d", F.mse_loss, TF.mse_loss, [randn(1, 2, 3, 3), randn(1, 2, 3, 3)]),
    Case("mse_loss/constant-target", F.mse_loss, TF.mse_loss, [randn(4, 3), constant(-1, 1, 4, 3)]),
    *_per_reduction(
        "binary_cross_entropy",
        F.binary_cross_entropy,
        TF.binary_cross_entropy,
        [uniform(0.05, 0.95, 6, 5), uniform(0, 1, 6, 5)],
    ),
    *_per_reduction(
        "binary_cross_entropy/weight",
        F.binary_cross_entropy,
        TF.binary_cross_entropy,
        [uniform(0.05, 0.95, 4, 5), uniform(0, 1, 4, 5), constant(0.2, 2, 5)],
        wrap=_weighted,
    ),
    Case(
        "binary_cross_entropy/batch1-hard-targets",
        F.binary_cross_entropy,
        TF.binary_cross_entropy,
        [uniform(0.05, 0.95, 1, 7), binary(1, 7)],
    ),
    *_per_reduction(
        "binary_cross_entropy_with_logits",
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        [randn(6, 5, scale=3.0), uniform(0, 1, 6, 5)],
    ),
    *_per_reduction(
        "binary_cross_entropy_with_logits/pos-weight",
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        [randn(6, 5, scale=3.0), uniform(0, 1, 6, 5), constant(0.2, 3, 5)],
        wrap=_pos_weighted,
    ),
    Case(
        "binary_cross_entropy_with_logits/weight",
        _weighted(F.binary_cross_entropy_with_logits),
        _weighted(TF.binary_cross_entropy_with_logits),
        [randn(3, 4, 5), uniform(0, 1, 3, 4, 5), constant(0.2, 2, 4, 1)],
    ),
    Case(
        "binary_cross_entropy_with_logits/both-weights-sum",
        _both_weights(F.binary_cross_entropy_with_logits, reduction="sum"),
        _both_weights(TF.binary_cross_entropy_with_logits, reduction="sum"),
        [randn(1, 2, 5), uniform(0, 1, 1, 2, 5), constant(0.2, 2, 1, 2, 5), constant(0.2, 3, 5)],
    ),
    *_per_reduction("l1_loss", F.l1_loss, TF.l1_loss, [randn(5, 7), randn(5, 7)]),
    Case("l1_loss/batch1-3d", F.l1_loss, TF.l1_loss, [randn(1, 3, 4), randn(1, 3, 4)]),
    *_per_reduction(
        "smooth_l1_loss", F.smooth_l1_loss, TF.smooth_l1_loss, [randn(6, 5), randn(6, 5)]
    ),
    *_per_reduction(
        "smooth_l1_loss/beta-0.4",
        F.smooth_l1_loss,
        TF.smooth_l1_loss,
        [randn(4, 5, scale=0.5), randn(4, 5, scale=0.5)],
        beta=0.4,
    ),
    Case(
        "smooth_l1_loss/beta-0",
        _with(F.smooth_l1_loss, beta=0.0),
        _with(TF.smooth_l1_loss, beta=0.0),
        [randn(3, 4), randn(3, 4)],
    ),
    *_per_reduction("huber_loss", F.huber_loss, TF.huber_loss, [randn(6, 5), randn(6, 5)]),
    *_per_reduction(
        "huber_loss/delta-2.5",
        F.huber_loss,
        TF.huber_loss,
        [randn(3, 2, 5, scale=2.0), randn(3, 2, 5, scale=2.0)],
        delta=2.5,
    ),
    *[
        Case(
            f"kl_div/{r}",
            _with(F.kl_div, reduction=r),
            _with(_torch_kl_div, reduction=r),
            [log_probabilities(4, 5), probabilities(4, 5)],
        )
        for r in REDUCTIONS + ("batchmean",)
    ],
    *[
        Case(
            f"kl_div/log-target-{r}",
            _with(F.kl_div, reduction=r, log_target=True),
            _with(_torch_kl_div, reduction=r, log_target=True),
            [log_probabilities(3, 6), log_probabilities(3, 6)],
        )
        for r in ("batchmean", "none")
    ],
    Case(
        "kl_div/batchmean-3d",
        _with(F.kl_div, reduction="batchmean"),
        _with(_torch_kl_div, reduction="batchmean"),
        [log_probabilities(2, 3, 4), probabilities(2, 3, 4)],
    ),
    Case(
        "cosine_similarity/dim1",
        F.cosine_similarity,
        TF.cosine_similarity,
        [randn(5, 4), randn(5, 4)],
    ),
    Case(
        "cosine_similarity/4d-dim1",
        F.cosine_similarity,
        TF.cosine_similarity,
        [randn(2, 3, 4, 2), randn(2, 3, 4, 2)],
    ),
    Case(
        "cosine_similarity/broadcast-last-dim",
        _with(F.cosine_similarity, dim=-1),
        _with(TF.cosine_similarity, dim=-1),
        [randn(3, 1, 4), randn(5, 4)],
    ),
    Case(
        "cosine_similarity/1d-dim0-eps",
        _with(F.cosine_similarity, dim=0, eps=1e-3),
        _with(TF.cosine_similarity, dim=0, eps=1e-3),
        [randn(6), randn(6)],
    ),
    *_per_reduction(
        "cosine_embedding_loss",
        F.cosine_embedding_loss,
        TF.cosine_embedding_loss,
        [randn(6, 4), randn(6, 4), labels(6)],
    ),
    Case(
        "cosine_embedding_loss/margin-label-0",
        _with(F.cosine_embedding_loss, margin=-0.3),
        _with(TF.cosine_embedding_loss, margin=-0.3),
        [randn(7, 3), randn(7, 3), labels(7, values=(1, -1, 0))],
    ),
    Case(
        "cosine_embedding_loss/unbatched",
        _with(F.cosine_embedding_loss, margin=-1.0),
        _with(TF.cosine_embedding_loss, margin=-1.0),
        [randn(5), randn(5), fixed(-1.0)],
    ),
    *_per_reduction(
        "margin_ranking_loss",
        F.margin_ranking_loss,
        TF.margin_ranking_loss,
        [randn(8), randn(8), signs(8)],
        margin=0.5,
    ),
    Case(
        "margin_ranking_loss/2d-no-margin",
        F.margin_ranking_loss,
        TF.margin_ranking_loss,
        [randn(3, 4), randn(3, 4), signs(3, 4)],
    ),
    *_class_cases("nll_loss", F.nll_loss, TF.nll_loss),
    *_class_cases("cross_entropy", F.cross_entropy, TF.cross_entropy),
    *_smoothing_cases(),
    *_probability_cases(),
]
