"""Loss functions: the objective L(ŷ, y) that training drives down.

Deck D2 ("Back Propagation") names two objectives, the squared error (ŷ − y)² and the
cross-entropy y log ŷ + (1 − y) log(1 − ŷ) (the slide drops the leading minus sign; the loss is
its negative, as implemented here). Multi-class cross-entropy is one fused op, log-softmax plus
negative log-likelihood, whose gradient softmax − one-hot never forms the softmax's Jacobian.

Every loss takes ``reduction`` as torch does: ``'mean'`` (default), ``'sum'`` or ``'none'`` (the
per-element losses).
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from .math import unbroadcast

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "kl_div",
    "cosine_similarity",
    "cosine_embedding_loss",
    "margin_ranking_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(losses, reduction):
    """Sum or average the per-element losses, keeping their dtype (numpy would return a scalar)."""
    xp = get_array_module(losses)
    if reduction == "none":
        return losses
    total = losses.sum() if reduction == "sum" else losses.mean()
    return xp.asarray(total, dtype=losses.dtype)


def _unreduce(grad, reduction, count):
    """The upstream gradient per element: g/N for a mean over N elements, g otherwise."""
    return grad / count if reduction == "mean" else grad


def _check_same_shape(op, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: target of shape {tuple(target.shape)} must have the shape of "
            f"input, {tuple(input.shape)}"
        )


# -- squared error ---------------------------------------------------------------------------


class MSELoss(Function):
    """ℓ_i = (x_i − t_i)², deck D2's squared error ("Back Propagation"); ∂ℓ_i/∂x_i = 2(x_i − t_i) =
    −∂ℓ_i/∂t_i (the 2δ̂ that starts that slide's backprop chain)."""

    @staticmethod
    def forward(ctx, x, target, reduction):
        diff = x - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        grad_x = diff * _unreduce(2 * grad, ctx.reduction, diff.size)
        return grad_x, (-grad_x if ctx.needs_input_grad[1] else None)


def mse_loss(input, target, reduction="mean"):
    """Mean (or summed, or per-element) squared error (x − t)². The shapes must match (torch
    only warns and broadcasts, which is nearly always a bug). See ``MSELoss``."""
    _check_reduction("mse_loss", reduction)
    _check_same_shape("mse_loss", input, target)
    return MSELoss.apply(input, target, reduction=reduction)


# -- absolute error and the Huber family ------------------------------------------------------


class L1Loss(Function):
    """ℓ_i = |x_i − t_i|;  ∂ℓ_i/∂x_i = sign(x_i − t_i) = −∂ℓ_i/∂t_i (0 at x_i = t_i, as torch)."""

    @staticmethod
    def forward(ctx, x, target, reduction):
        xp = get_array_module(x)
        diff = x - target
        ctx.save_for_backward(xp.sign(diff))
        ctx.reduction = reduction
        return _reduce(xp.abs(diff), reduction)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        grad_x = sign * _unreduce(grad, ctx.reduction, sign.size)
        return grad_x, (-grad_x if ctx.needs_input_grad[1] else None)


def l1_loss(input, target, reduction="mean"):
    """Mean (or summed, or per-element) absolute error |x − t|. See ``L1Loss``."""
    _check_reduction("l1_loss", reduction)
    _check_same_shape("l1_loss", input, target)
    return L1Loss.apply(input, target, reduction=reduction)


class HuberLoss(Function):
    """Huber's (1964) loss of the error d = x − t: quadratic up to δ, linear beyond,

        ℓ = ½ d²           if |d| ≤ δ
          = δ (|d| − ½δ)   otherwise,

    which is c (d − ½c) with c = clip(d, −δ, δ); and ∂ℓ/∂x = c = −∂ℓ/∂t.

    The smooth L1 loss of Fast R-CNN (Girshick 2015) is the same curve divided by β = δ:
    ½ d²/β inside, |d| − ½β outside. ``scale`` carries that 1/β (1 for the Huber loss).
    """

    @staticmethod
    def forward(ctx, x, target, delta, scale, reduction):
        xp = get_array_module(x)
        diff = x - target
        clipped = xp.clip(diff, -delta, delta)
        diff -= 0.5 * clipped
        slope = clipped if scale == 1 else clipped * scale
        ctx.save_for_backward(slope)
        ctx.reduction = reduction
        return _reduce(slope * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        grad_x = slope * _unreduce(grad, ctx.reduction, slope.size)
        return grad_x, (-grad_x if ctx.needs_input_grad[1] else None)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss of x − t: ½d² within ``delta``, linear beyond. See ``HuberLoss``."""
    _check_reduction("huber_loss", reduction)
    _check_same_shape("huber_loss", input, target)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return HuberLoss.apply(input, target, delta=float(delta), scale=1.0, reduction=reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Smooth L1 loss of x − t: ½d²/β within ``beta``, |d| − ½β beyond; the L1 loss at β = 0.
    See ``HuberLoss``."""
    _check_reduction("smooth_l1_loss", reduction)
    _check_same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return L1Loss.apply(input, target, reduction=reduction)
    return HuberLoss.apply(input, target, delta=float(beta), scale=1.0 / beta, reduction=reduction)


# -- binary cross-entropy ----------------------------------------------------------------------


class BinaryCrossEntropy(Function):
    """ℓ_i = −w_i [t_i log p_i + (1 − t_i) log(1 − p_i)] for probabilities p (deck D2's
    cross-entropy objective in "Back Propagation", with the minus sign the slide leaves out). Each
    log is clamped at −100, as torch does, so p = 0 or 1 gives a finite loss.

    ∂ℓ/∂p = w (p − t) / (p(1 − p)), with the denominator kept ≥ 1e-12 (torch's ε);
    ∂ℓ/∂t = w (log(1 − p) − log p), with the clamped logs. ``weight`` is a constant.
    """

    @staticmethod
    def forward(ctx, p, target, weight, reduction):
        xp = get_array_module(p)
        with np.errstate(divide="ignore"):  # log 0 = −inf, clamped next
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        losses = -(target * log_p + (1 - target) * log_q)
        if weight is not None:
            losses *= weight
        ctx.save_for_backward(p, target, weight, log_p, log_q)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        p, target, weight, log_p, log_q = ctx.saved_tensors
        xp = get_array_module(p)
        scale = _unreduce(grad, ctx.reduction, p.size)
        if weight is not None:
            scale = scale * weight
        grad_p = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_p = (p - target) / xp.maximum(p * (1 - p), 1e-12) * scale
        if ctx.needs_input_grad[1]:
            grad_target = (log_q - log_p) * scale
        return grad_p, grad_target, None


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """−w[t log p + (1 − t) log(1 − p)] for probabilities p = ``input``. See
    ``BinaryCrossEntropy``."""
    _check_reduction("binary_cross_entropy", reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy of σ(x), computed from the logit x without forming σ(x):

        ℓ = w [(1 − t) x + (1 + (c − 1) t) softplus(−x)],   softplus(−x) = log(1 + e^(−x))
          = w [(1 − t) x + (1 + (c − 1) t) (log(1 + e^(−|x|)) + max(−x, 0))]

    with the positive-class weight c (``pos_weight``, 1 when absent): the stable form, no exp of
    a positive number. With c = 1 it is −[t log σ(x) + (1 − t) log(1 − σ(x))].

    ∂ℓ/∂x = w [(1 − t) − (1 + (c − 1) t) σ(−x)]  (= w (σ(x) − t) when c = 1),
    ∂ℓ/∂t = w [(c − 1) softplus(−x) − x].  ``weight`` and ``pos_weight`` are constants.
    """

    @staticmethod
    def forward(ctx, x, target, weight, pos_weight, reduction):
        xp = get_array_module(x)
        softplus_neg = xp.log1p(xp.exp(-xp.abs(x)))
        softplus_neg += xp.maximum(-x, 0)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        losses = (1 - target) * x + log_weight * softplus_neg
        if weight is not None:
            losses *= weight
        ctx.save_for_backward(x, target, weight, pos_weight, softplus_neg)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, target, weight, pos_weight, softplus_neg = ctx.saved_tensors
        xp = get_array_module(x)
        scale = _unreduce(grad, ctx.reduction, x.size)
        if weight is not None:
            scale = scale * weight
        grad_x = grad_target = None
        if ctx.needs_input_grad[0]:
            sigmoid = xp.exp(-softplus_neg)  # σ(x) = 1/(1 + e^(−x)) = e^(−softplus(−x))
            if pos_weight is None:
                grad_x = (sigmoid - target) * scale
            else:
                grad_x = (1 - target - (1 + (pos_weight - 1) * target) * (1 - sigmoid)) * scale
        if ctx.needs_input_grad[1]:
            if pos_weight is None:
                grad_target = -x * scale
            else:
                grad_target = ((pos_weight - 1) * softplus_neg - x) * scale
        return grad_x, grad_target, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy of σ(``input``) against ``target``, stable for any logit; ``weight``
    rescales each element, ``pos_weight`` the positive class (broadcast along the last dim).
    See ``BinaryCrossEntropyWithLogits``."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight, pos_weight, reduction=reduction
    )


# -- multi-class: negative log-likelihood and cross-entropy ---------------------------------------


class _ClassTargets:
    """Class-index targets laid out against scores of shape (N, C, S).

    Scores of shape (C,), (N, C) or (N, C, d1, …) are viewed as (N, C, S) with S = d1·d2·…, and
    their targets, of shape (), (N,) or (N, d1, …), as (N, S). ``index`` is the target with
    ignored positions replaced by class 0, ``weight`` the per-position weight w[t] (0 where
    ignored), ``flat`` the position of each target score in the flattened (N, C, S) array.
    """

    def __init__(self, op, scores, target, class_weight, ignore_index):
        xp = get_array_module(scores)
        shape = scores.shape
        batch, classes, spatial = _class_layout(shape)
        self.scores_shape, self.target_shape = shape, target.shape
        self.classes = classes
        self.scores = scores.reshape(batch, classes, spatial)
        target = target.reshape(batch, spatial)
        self.valid = target != ignore_index
        self.index = target * self.valid
        _check_class_range(op, self.index, target, shape, ignore_index)
        if class_weight is None:
            self.weight = self.valid.astype(scores.dtype)
        else:
            self.weight = class_weight[self.index]
            self.weight *= self.valid
        row_starts = xp.arange(0, batch * classes * spatial, classes * spatial)
        if spatial == 1:
            self.flat = row_starts + self.index[:, 0]
        else:
            self.flat = (row_starts[:, None] + xp.arange(spatial) + self.index * spatial).ravel()

    def as_scores_shape(self, array):
        """An (N, C, S) array back in the scores' own shape (no new view when it already is)."""
        return array if array.shape == self.scores_shape else array.reshape(self.scores_shape)

    def pick(self, array):
        """The entries of an (N, C, S) array at the target classes, shaped (N, S)."""
        return get_array_module(array).take(array, self.flat).reshape(self.index.shape)

    def subtract_at_targets(self, array, values):
        """array[n, t[n, s], s] -= values[n, s], in place on a fresh contiguous (N, C, S) array."""
        array.reshape(-1)[self.flat] -= values.ravel()

    def reduce(self, losses, reduction):
        """Per-position losses (N, S) → torch's reduction; 'mean' divides by Σ w[t] over the
        positions that are not ignored (the count of them without class weights)."""
        xp = get_array_module(losses)
        if reduction == "none":
            return losses.reshape(self.target_shape)
        total = losses.sum()
        if reduction == "mean":
            self.total_weight = self.weight.sum()
            with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: nan, as torch
                total = total / self.total_weight
        return xp.asarray(total, dtype=losses.dtype)

    def upstream(self, grad, reduction):
        """∂L/∂ℓ per position, shaped (N, S) (or a scalar for 'sum' and 'mean'). When every
        position is ignored the mean is nan but, as in torch, the gradient is 0."""
        if reduction == "none":
            return grad.reshape(self.index.shape)
        if reduction == "mean":
            total = self.total_weight
            return grad / get_array_module(grad).where(total == 0, 1, total)
        return grad


def _check_class_range(op, index, target, scores_shape, ignore_index):
    classes = scores_shape[1] if len(scores_shape) > 1 else scores_shape[0]
    if index.size == 0 or (int(index.min()) >= 0 and int(index.max()) < classes):
        return
    bad = target[(index < 0) | (index >= classes)].ravel()[0]
    raise IndexError(
        f"{op}: target holds class index {int(bad)}, out of range for input of "
        f"shape {tuple(scores_shape)} with {classes} classes (valid: 0 … "
        f"{classes - 1}, or ignore_index={ignore_index})"
    )


def _check_class_target(op, input, target, weight):
    """Scores (C,), (N, C) or (N, C, d1, …) need integer targets (), (N,) or (N, d1, …)."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a scalar")
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: target must hold class indices, an integer tensor of shape "
            f"{expected} for input of shape {tuple(input.shape)}; got dtype "
            f"{target.dtype} (only cross_entropy takes class probabilities)"
        )
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{op}: input of shape {tuple(input.shape)} needs a target of shape "
            f"{expected}; got target of shape {tuple(target.shape)}"
        )
    _check_class_weight(op, input, weight)


def _check_class_weight(op, input, weight):
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError(
            f"{op}: weight must have one entry per class, shape ({classes},); got "
            f"{tuple(weight.shape)}"
        )


class NLLLoss(Function):
    """Negative log-likelihood of class-index targets given log-probabilities x:
    ℓ_n = −w[t_n] · x[n, t_n];  ∂ℓ_n/∂x[n, c] = −w[t_n] if c = t_n, else 0.

    Positions whose target is ``ignore_index`` contribute nothing; the mean divides by
    Σ_n w[t_n] over the others. Class weights are constants.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        targets = _ClassTargets("nll_loss", x, target, weight, ignore_index)
        losses = targets.pick(targets.scores)
        losses *= -targets.weight
        ctx.targets, ctx.reduction = targets, reduction
        return targets.reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        targets = ctx.targets
        xp = get_array_module(grad)
        grad_x = xp.zeros(targets.scores.shape, grad.dtype)
        targets.subtract_at_targets(grad_x, targets.upstream(grad, ctx.reduction) * targets.weight)
        return targets.as_scores_shape(grad_x), None, None


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """−w[t]·x[t] for log-probabilities ``input`` (C,), (N, C) or (N, C, d1, …) and class-index
    ``target``. See ``NLLLoss``."""
    _check_reduction("nll_loss", reduction)
    _check_class_target("nll_loss", input, target, weight)
    return NLLLoss.apply(input, target, weight, ignore_index=ignore_index, reduction=reduction)


class CrossEntropy(Function):
    """Softmax cross-entropy over class indices, log-softmax and NLL fused into one op.

    With z = x − max_c x (along the class dim), s = Σ_c e^(z_c) and log p_c = z_c − log s, the
    loss at one position with target t, class weights w and label smoothing ε is

        ℓ = (1 − ε) w_t (−log p_t) + (ε / C) Σ_c w_c (−log p_c),

    the cross-entropy against the smoothed one-hot q_c = (1 − ε)[c = t] + ε/C (deck D2's
    cross-entropy objective, "Back Propagation", for C classes). Its gradient is

        ∂ℓ/∂x_c = p_c ((1 − ε) w_t + (ε/C) Σ_k w_k) − (1 − ε) w_t [c = t] − (ε/C) w_c,

    which without class weights is simply p − q: softmax minus the smoothed one-hot. Ignored
    positions contribute nothing; 'mean' divides by Σ w_t over the others, as torch does.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        xp = get_array_module(x)
        targets = _ClassTargets("cross_entropy", x, target, weight, ignore_index)
        z = targets.scores - targets.scores.max(axis=1, keepdims=True)
        p = xp.exp(z)
        total = p.sum(axis=1, keepdims=True)
        log_total = xp.log(total)[:, 0]
        losses = log_total - targets.pick(z)
        losses *= targets.weight
        if label_smoothing:
            smooth = _smoothing_term(z, log_total, weight)
            smooth *= targets.valid
            losses *= 1 - label_smoothing
            losses += smooth * (label_smoothing / targets.classes)
        p /= total
        ctx.save_for_backward(p, weight)
        ctx.targets, ctx.reduction, ctx.label_smoothing = targets, reduction, label_smoothing
        return targets.reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        p, weight = ctx.saved_tensors
        targets, smoothing = ctx.targets, ctx.label_smoothing
        upstream = targets.upstream(grad, ctx.reduction)
        target_term = upstream * targets.weight
        if smoothing:
            target_term *= 1 - smoothing
            mass = targets.classes if weight is None else weight.sum()
            spread = smoothing / targets.classes * mass
            row_scale = target_term + upstream * targets.valid * spread
        else:
            row_scale = target_term
        grad_x = p * row_scale[:, None, :]
        targets.subtract_at_targets(grad_x, target_term)
        if smoothing:
            per_class = smoothing / targets.classes
            if weight is not None:
                per_class = per_class * weight[:, None]
            grad_x -= (upstream * targets.valid)[:, None, :] * per_class
        return targets.as_scores_shape(grad_x), None, None


def _smoothing_term(z, log_total, weight):
    """Σ_c w_c (−log p_c) = (Σ_c w_c) log s − Σ_c w_c z_c at every position, shaped (N, S)."""
    if weight is None:
        return z.shape[1] * log_total - z.sum(axis=1)
    return weight.sum() * log_total - (z * weight[:, None]).sum(axis=1)


class SoftCrossEntropy(Function):
    """Softmax cross-entropy against class probabilities t (a floating target of the scores'
    shape), with class weights w and label smoothing ε combined as torch combines them: the
    target is smoothed to q = (1 − ε) t + ε/C and, with p = softmax(x) along the class dim,

        ℓ = −Σ_c w_c q_c log p_c,
        ∂ℓ/∂x_c = p_c Σ_k w_k q_k − w_c q_c,      ∂ℓ/∂t_c = −(1 − ε) w_c log p_c.

    For a one-hot t and no weights this is ``CrossEntropy``'s p − q. 'mean' divides by the
    number of positions (N·d1·…), not by the weights: torch's rule for probability targets.
    """

    @staticmethod
    def forward(ctx, x, target, weight, reduction, label_smoothing):
        xp = get_array_module(x)
        layout = _class_layout(x.shape)
        scores = x.reshape(layout)
        log_p = scores - scores.max(axis=1, keepdims=True)
        log_p -= xp.log(xp.exp(log_p).sum(axis=1, keepdims=True))
        q = target.reshape(layout)
        if label_smoothing:
            q = (1 - label_smoothing) * q + label_smoothing / layout[1]
        weighted_q = q if weight is None else q * weight[:, None]
        losses = -xp.einsum("ncs,ncs->ns", weighted_q, log_p)
        ctx.save_for_backward(log_p, weighted_q, weight)
        ctx.shape, ctx.reduction, ctx.label_smoothing = x.shape, reduction, label_smoothing
        if reduction == "none":
            return losses.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        log_p, weighted_q, weight = ctx.saved_tensors
        xp = get_array_module(grad)
        positions = log_p.shape[0] * log_p.shape[2]
        upstream = _unreduce(grad, ctx.reduction, positions)
        if ctx.reduction == "none":
            upstream = upstream.reshape(log_p.shape[0], 1, log_p.shape[2])
        grad_x = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_x = xp.exp(log_p)
            grad_x *= weighted_q.sum(axis=1, keepdims=True)
            grad_x -= weighted_q
            grad_x = (grad_x * upstream).reshape(ctx.shape)
        if ctx.needs_input_grad[1]:
            scale = upstream * -(1 - ctx.label_smoothing)
            if weight is not None:
                scale = scale * weight[:, None]
            grad_target = (log_p * scale).reshape(ctx.shape)
        return grad_x, grad_target, None


def _class_layout(shape):
    """Scores (C,), (N, C) or (N, C, d1, …) as (N, C, S) with S = d1·d2·…."""
    if len(shape) == 1:
        return 1, shape[0], 1
    return shape[0], shape[1], math.prod(shape[2:])


def cross_entropy(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Softmax cross-entropy of scores ``input`` (C,), (N, C) or (N, C, d1, …) against class
    indices ``target`` (), (N,) or (N, d1, …) (see ``CrossEntropy``), or against class
    probabilities, a floating ``target`` of the input's shape (see ``SoftCrossEntropy``)."""
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}"
        )
    if input.ndim > 0 and target.dtype.kind == "f":
        _check_probability_target(input, target, weight, ignore_index)
        return SoftCrossEntropy.apply(
            input, target, weight, reduction=reduction, label_smoothing=float(label_smoothing)
        )
    _check_class_target("cross_entropy", input, target, weight)
    return CrossEntropy.apply(
        input,
        target,
        weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=float(label_smoothing),
    )


def _check_probability_target(input, target, weight, ignore_index):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"cross_entropy: a floating target holds class probabilities and must "
            f"have the input's shape {tuple(input.shape)}; got "
            f"{tuple(target.shape)} (class indices need an integer target)"
        )
    if ignore_index != -100:
        raise ValueError(
            "cross_entropy: ignore_index is not supported for class-probability "
            "targets (as in torch)"
        )
    _check_class_weight("cross_entropy", input, weight)


# -- divergence between distributions ---------------------------------------------------------


class KLDiv(Function):
    """Kullback–Leibler divergence, pointwise, of the model's log-probabilities x = log p from
    the target distribution t (Kullback & Leibler 1951; torch's argument order and convention):

        ℓ = t (log t − x)       target as probabilities (0 where t = 0, the limit of t log t)
        ℓ = eᵗ (t − x)          ``log_target``: target as log-probabilities,

    so Σ ℓ over a distribution is KL(t ‖ p). Written ℓ = π·γ with π = t (or eᵗ) and the gap
    γ = log t − x (or t − x):

        ∂ℓ/∂x = −π,     ∂ℓ/∂t = γ + 1  (or π (γ + 1)).

    Where t = 0, log t is taken as 0: ℓ = 0 and ∂ℓ/∂t = 1 − x (t log t has no finite slope
    there; torch gives nan). 'batchmean' divides the sum by the batch size, giving the
    divergence per sample; 'mean' divides by the number of elements, as torch does.
    """

    @staticmethod
    def forward(ctx, x, target, reduction, log_target):
        xp = get_array_module(x)
        if log_target:
            mass = xp.exp(target)
            gap = target - x
        else:
            mass = target
            gap = xp.log(xp.where(target > 0, target, 1))
            gap -= x
        ctx.save_for_backward(mass, gap)
        ctx.reduction, ctx.log_target = reduction, log_target
        ctx.batch = x.shape[0] if x.ndim else 1
        losses = mass * gap
        if reduction == "batchmean":
            return xp.asarray(losses.sum() / ctx.batch, dtype=losses.dtype)
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        mass, gap = ctx.saved_tensors
        if ctx.reduction == "batchmean":
            grad = grad / ctx.batch
        else:
            grad = _unreduce(grad, ctx.reduction, gap.size)
        grad_x = -mass * grad if ctx.needs_input_grad[0] else None
        grad_target = None
        if ctx.needs_input_grad[1]:
            grad_target = (gap + 1) * grad
            if ctx.log_target:
                grad_target *= mass
        return grad_x, grad_target


def kl_div(input, target, reduction="mean", log_target=False):
    """KL(target ‖ exp(input)) pointwise for log-probabilities ``input``; reduction 'mean',
    'batchmean', 'sum' or 'none'. See ``KLDiv``."""
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(
            f"kl_div: reduction must be one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}"
        )
    _check_same_shape("kl_div", input, target)
    return KLDiv.apply(input, target, reduction=reduction, log_target=bool(log_target))


# -- similarity and margins ---------------------------------------------------------------------


class CosineSimilarity(Function):
    """The cosine of the angle between x₁ and x₂ along ``dim``, each norm kept at least ε:

        cos = Σ u₁u₂,   u_i = x_i / n_i,   n_i = max(‖x_i‖, ε),
        ∂cos/∂x₁ = (u₂ − cos·u₁) / n₁,  and symmetrically for x₂.

    Where ‖x₁‖ < ε the norm is the constant ε and the derivative of this forward is u₂/ε;
    torch's autograd does not see its own clamp there and differs (it agrees for ‖x₁‖ ≥ ε).
    x₁ and x₂ broadcast against each other, as in torch; each gradient is summed back to its
    input's shape (``unbroadcast``).
    """

    @staticmethod
    def forward(ctx, x1, x2, dim, eps):
        xp = get_array_module(x1)
        shapes = (x1.shape, x2.shape)
        x1, x2 = xp.broadcast_arrays(x1, x2)
        norms = [xp.maximum(xp.sqrt((x * x).sum(axis=dim, keepdims=True)), eps) for x in (x1, x2)]
        u1, u2 = x1 / norms[0], x2 / norms[1]
        cos = (u1 * u2).sum(axis=dim, keepdims=True)
        ctx.save_for_backward(u1, u2, *norms, cos)
        ctx.shapes, ctx.dim, ctx.eps = shapes, dim, eps
        return cos.squeeze(axis=dim)

    @staticmethod
    def backward(ctx, grad):
        u1, u2, n1, n2, cos = ctx.saved_tensors
        xp = get_array_module(grad)
        grad = xp.expand_dims(grad, ctx.dim)
        needs = ctx.needs_input_grad
        grad_x1 = _cosine_grad(u1, u2, n1, cos, grad, ctx.eps, ctx.shapes[0]) if needs[0] else None
        grad_x2 = _cosine_grad(u2, u1, n2, cos, grad, ctx.eps, ctx.shapes[1]) if needs[1] else None
        return grad_x1, grad_x2


def _cosine_grad(u, other, norm, cos, grad, eps, shape):
    """grad · (u_other − cos·u)/n, the cos·u term dropped where the norm n was held at ε."""
    return unbroadcast((other - (norm > eps) * cos * u) * (grad / norm), shape)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ x₁x₂ / (max(‖x₁‖, ε)·max(‖x₂‖, ε)) along ``dim``, x₁ and x₂ broadcast together. See
    ``CosineSimilarity``."""
    ndim = max(x1.ndim, x2.ndim)
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(
            f"cosine_similarity: dim {dim} is out of range for inputs of shapes "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    return CosineSimilarity.apply(x1, x2, dim=dim % max(ndim, 1), eps=float(eps))


_EMBEDDING_EPS = 1e-12  # torch's ε inside cosine_embedding_loss's norms


class CosineEmbeddingLoss(Function):
    """A pair-similarity loss on the last dim: pull pairs with y = 1 together, push pairs with
    y = −1 below a cosine of ``margin`` (pairs with any other y cost nothing):

        ℓ = 1 − cos            if y = 1
          = max(0, cos − m)    if y = −1,     cos = Σ x₁x₂ / √(s₁s₂),  s_i = Σ x_i² + ε,

    with torch's ε = 1e-12 inside the norms. ∂cos/∂x₁ = x₂/√(s₁s₂) − cos·x₁/s₁ (and
    symmetrically); ∂ℓ/∂cos = −1 for y = 1, +1 for y = −1 while cos > m, else 0. y is a label.
    """

    @staticmethod
    def forward(ctx, x1, x2, target, margin, reduction):
        xp = get_array_module(x1)
        squares = [xp.einsum("...d,...d->...", x, x) + _EMBEDDING_EPS for x in (x1, x2)]
        root = xp.sqrt(squares[0] * squares[1])
        cos = xp.einsum("...d,...d->...", x1, x2) / root
        similar, dissimilar = target == 1, target == -1
        losses = (1 - cos) * similar + xp.maximum(cos - margin, 0) * dissimilar
        slope = (dissimilar & (cos > margin)).astype(cos.dtype) - similar
        ctx.save_for_backward(x1, x2, *squares, root, cos, slope)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        x1, x2, s1, s2, root, cos, slope = ctx.saved_tensors
        scale = (slope * _unreduce(grad, ctx.reduction, cos.size))[..., None]
        cos = cos[..., None]
        grad_x1 = grad_x2 = None
        if ctx.needs_input_grad[0]:
            grad_x1 = scale * (x2 / root[..., None] - cos * x1 / s1[..., None])
        if ctx.needs_input_grad[1]:
            grad_x2 = scale * (x1 / root[..., None] - cos * x2 / s2[..., None])
        return grad_x1, grad_x2, None


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """1 − cos(x₁, x₂) for y = 1, max(0, cos − margin) for y = −1, over (N, D) or (D,) pairs
    with labels (N,) or (). See ``CosineEmbeddingLoss``."""
    op = "cosine_embedding_loss"
    _check_reduction(op, reduction)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise ValueError(
            f"{op}: input1 and input2 must share one shape, (N, D) or (D,); got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ValueError(
            f"{op}: target must have shape {tuple(input1.shape[:-1])} for inputs "
            f"of shape {tuple(input1.shape)}; got {tuple(target.shape)}"
        )
    return CosineEmbeddingLoss.apply(
        input1, input2, target, margin=float(margin), reduction=reduction
    )


class MarginRankingLoss(Function):
    """A ranking hinge: x₁ should exceed x₂ by ``margin`` where y = 1, and fall below it by the
    margin where y = −1:

        ℓ = max(0, −y (x₁ − x₂) + m);   where ℓ > 0:  ∂ℓ/∂x₁ = −y = −∂ℓ/∂x₂,  ∂ℓ/∂y = −(x₁ − x₂),

    and every gradient is 0 where ℓ = 0.
    """

    @staticmethod
    def forward(ctx, x1, x2, target, margin, reduction):
        xp = get_array_module(x1)
        diff = x1 - x2
        losses = xp.maximum(margin - target * diff, 0)
        active = losses > 0
        ctx.save_for_backward(diff, target, active)
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        diff, target, active = ctx.saved_tensors
        upstream = active * _unreduce(grad, ctx.reduction, diff.size)
        grad_x1 = -target * upstream
        grad_x2 = -grad_x1 if ctx.needs_input_grad[1] else None
        grad_target = -diff * upstream if ctx.needs_input_grad[2] else None
        return grad_x1, grad_x2, grad_target


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, −y (x₁ − x₂) + margin) for labels y = ±1, all three of one shape. See
    ``MarginRankingLoss``."""
    op = "margin_ranking_loss"
    _check_reduction(op, reduction)
    shapes = {tuple(input1.shape), tuple(input2.shape), tuple(target.shape)}
    if len(shapes) != 1:
        raise ValueError(
            f"{op}: input1, input2 and target must share one shape; got "
            f"{tuple(input1.shape)}, {tuple(input2.shape)} and "
            f"{tuple(target.shape)}"
        )
    return MarginRankingLoss.apply(
        input1, input2, target, margin=float(margin), reduction=reduction
    )
