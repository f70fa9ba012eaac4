"""Loss functions: the objective L(ŷ, y) that training drives down.

Deck 002 ("Back Propagation") names two objectives, the squared error (ŷ − y)² and the
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

__all__ = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss"]

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
        raise ValueError(f"{op}: target of shape {tuple(target.shape)} must have the shape of "
                         f"input, {tuple(input.shape)}")


# -- squared error ---------------------------------------------------------------------------

class MSELoss(Function):
    """ℓ_i = (x_i − t_i)², deck 002's squared error; ∂ℓ_i/∂x_i = 2(x_i − t_i) = −∂ℓ_i/∂t_i
    (the 2δ̂ that starts deck 002's backprop chain)."""

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


# -- binary cross-entropy ----------------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """ℓ_i = −w_i [t_i log p_i + (1 − t_i) log(1 − p_i)] for probabilities p (deck 002's
    cross-entropy objective, with the minus sign the slide leaves out). Each log is clamped at
    −100, as torch does, so p = 0 or 1 gives a finite loss.

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


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of σ(``input``) against ``target``, stable for any logit; ``weight``
    rescales each element, ``pos_weight`` the positive class (broadcast along the last dim).
    See ``BinaryCrossEntropyWithLogits``."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                              reduction=reduction)


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
        batch = shape[0] if scores.ndim > 1 else 1
        classes = shape[1] if scores.ndim > 1 else shape[0]
        spatial = math.prod(shape[2:])
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
    raise IndexError(f"{op}: target holds class index {int(bad)}, out of range for input of "
                     f"shape {tuple(scores_shape)} with {classes} classes (valid: 0 … "
                     f"{classes - 1}, or ignore_index={ignore_index})")


def _check_class_target(op, input, target, weight):
    """Scores (C,), (N, C) or (N, C, d1, …) need integer targets (), (N,) or (N, d1, …)."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a scalar")
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices, an integer tensor of shape "
                        f"{expected} for input of shape {tuple(input.shape)}; got dtype "
                        f"{target.dtype} (class-probability targets are not supported)")
    if tuple(target.shape) != expected:
        raise ValueError(f"{op}: input of shape {tuple(input.shape)} needs a target of shape "
                         f"{expected}; got target of shape {tuple(target.shape)}")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError(f"{op}: weight must have one entry per class, shape ({classes},); got "
                         f"{tuple(weight.shape)}")


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

    the cross-entropy against the smoothed one-hot q_c = (1 − ε)[c = t] + ε/C (deck 002's
    cross-entropy objective for C classes). Its gradient is

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
            row_scale = target_term + upstream * targets.valid * (smoothing / targets.classes * mass)
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


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy of scores ``input`` (C,), (N, C) or (N, C, d1, …) against class
    indices ``target`` (), (N,) or (N, d1, …). See ``CrossEntropy``."""
    _check_reduction("cross_entropy", reduction)
    _check_class_target("cross_entropy", input, target, weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], "
                         f"got {label_smoothing}")
    return CrossEntropy.apply(input, target, weight, ignore_index=ignore_index,
                              reduction=reduction, label_smoothing=float(label_smoothing))
