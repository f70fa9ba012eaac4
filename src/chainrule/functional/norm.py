"""Normalisation layers as fused ops: batch normalisation and layer normalisation.

Both standardise activations, x̂ = (x − μ)/σ with σ = √(var + ε), then scale and shift,
y = γ·x̂ + β (deck 002, "Batch Normalization", after Ioffe & Szegedy 2015). They differ only in
the axes μ and var are taken over: every axis but the channel axis (batch norm), or the last few
axes of each sample (layer norm). Each is one ``Function`` whose backward is the closed form

    dx = (γ/σ) · (1/M) · (M·g − Σg − x̂·Σ(g·x̂))

(sums over the M normalised elements), which is cheaper and more accurate than backpropagating
through the mean, the variance and the square root one op at a time.

Weight normalisation (deck 002: W = g·V/‖V‖) is built from the math ops by ``nn``; it needs no
fused kernel.
"""

import math

from ..autograd import Function, Tensor
from ..backend import get_array_module

__all__ = ["batch_norm", "layer_norm"]


def _data(stat):
    return stat.data if isinstance(stat, Tensor) else stat


def _scale_and_shift(x_hat, weight, bias, broadcast):
    """y = γ·x̂ + β with γ, β indexed by ``broadcast`` to line up with x̂; x̂ itself when both
    are absent. One new array at most: the shift is added in place."""
    if weight is None:
        return x_hat if bias is None else x_hat + bias[broadcast]
    y = x_hat * weight[broadcast]
    if bias is not None:
        y += bias[broadcast]
    return y


def _parameter_grads(ctx, sum_gx, sum_g, shape):
    """(dγ, dβ): Σ g·x̂ and Σ g in the parameters' shape, None where γ or β is absent or
    needs no gradient (``needs_input_grad`` is False for an absent input)."""
    needs_weight, needs_bias = ctx.needs_input_grad[1:3]
    return (sum_gx.reshape(shape) if needs_weight else None,
            sum_g.reshape(shape) if needs_bias else None)


class BatchNorm(Function):
    """Batch normalisation over every axis but the channel axis 1.

    Forward (deck 002): μ_c, σ²_c = mean and biased variance of channel c over the batch (and
    the spatial axes, M values in all) in training, the running estimates in evaluation;
    y = γ_c·(x − μ_c)/√(σ²_c + ε) + β_c. Training also updates, in place,
    running_mean ← (1 − momentum)·running_mean + momentum·μ and likewise running_var with the
    *unbiased* variance σ²·M/(M − 1), as PyTorch does.

    Backward: dβ = Σ g, dγ = Σ g·x̂, and in training
    dx = (γ/σ)·(1/M)·(M·g − Σg − x̂·Σ(g·x̂)) (the statistics depend on x); in evaluation the
    statistics are constants and dx = γ·g/σ.

    The work is done on an (N, C, L) view so every per-channel sum is one ``einsum`` over n and
    l (a fused multiply-and-sum for Σ g·x̂, with no temporary array).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, running_mean, running_var, training, momentum, eps):
        xp = get_array_module(x)
        x3 = x.reshape(x.shape[0], x.shape[1], -1)
        count = x3.shape[0] * x3.shape[2]
        if training:
            mean = xp.einsum("ncl->c", x3) / count
            centred = x3 - mean[:, None]
            var = xp.einsum("ncl,ncl->c", centred, centred) / count
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var
        else:
            centred = x3 - running_mean.astype(x.dtype, copy=False)[:, None]
            var = running_var.astype(x.dtype, copy=False)
        inv_std = 1 / xp.sqrt(var + eps)
        x_hat = centred
        x_hat *= inv_std[:, None]
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.training, ctx.count = training, count
        return _scale_and_shift(x_hat, weight, bias, (slice(None), None)).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        xp = get_array_module(g)
        g3 = g.reshape(x_hat.shape)
        sum_g = xp.einsum("ncl->c", g3)
        sum_gx = xp.einsum("ncl,ncl->c", g3, x_hat)
        dx = None
        if ctx.needs_input_grad[0]:
            scale = inv_std if weight is None else weight * inv_std
            dx = g3 * scale[:, None]
            if ctx.training:
                dx -= x_hat * (scale * sum_gx / ctx.count)[:, None]
                dx -= (scale * sum_g / ctx.count)[:, None]
            dx = dx.reshape(g.shape)
        return (dx, *_parameter_grads(ctx, sum_gx, sum_g, inv_std.shape))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of (N, C), (N, C, L) or (N, C, H, W) input, like
    ``torch.nn.functional.batch_norm``; see ``BatchNorm`` for the formulas.

    In training the batch statistics normalise and ``running_mean``/``running_var`` (Tensors or
    arrays of shape (C,), or None) are updated in place; in evaluation they normalise.
    """
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: input must be at least 2-D (N, C, ...), got shape {shape}")
    channels = shape[1]
    running_mean, running_var = _data(running_mean), _data(running_var)
    for name, array in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if array is not None and tuple(array.shape) != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(array.shape)}, expected "
                             f"({channels},) for input of shape {shape}")
    if training and math.prod(shape) // channels == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are required in "
                         "evaluation mode (training=False)")
    return BatchNorm.apply(input, weight, bias, running_mean=running_mean,
                           running_var=running_var, training=training, momentum=momentum,
                           eps=eps)


class LayerNorm(Function):
    """Layer normalisation over the last ``k`` axes of each sample (Ba, Kiros & Hinton 2016).

    Forward: μ, σ² = mean and biased variance over the D normalised elements of a sample;
    y = γ⊙(x − μ)/√(σ² + ε) + β with γ, β of the normalised shape.
    Backward: with ĝ = g⊙γ, dx = (1/σ)(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) over the normalised axes
    (the batch-norm closed form of deck 002 applied per sample); dγ = Σ_batch g·x̂, dβ = Σ_batch g.
    Works on an (R, D) view: one row per sample, per-row sums as ``einsum`` over d.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, normalized_shape, eps):
        xp = get_array_module(x)
        size = math.prod(normalized_shape)
        x2 = x.reshape(-1, size)
        mean = xp.einsum("rd->r", x2) / size
        centred = x2 - mean[:, None]
        var = xp.einsum("rd,rd->r", centred, centred) / size
        inv_std = 1 / xp.sqrt(var + eps)
        x_hat = centred
        x_hat *= inv_std[:, None]
        weight = None if weight is None else weight.reshape(-1)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.normalized_shape = normalized_shape
        bias = None if bias is None else bias.reshape(-1)
        return _scale_and_shift(x_hat, weight, bias, slice(None)).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        xp = get_array_module(g)
        size = x_hat.shape[1]
        g2 = g.reshape(x_hat.shape)
        dx = None
        if ctx.needs_input_grad[0]:
            dx = g2.copy() if weight is None else g2 * weight  # ĝ, then dx in place
            mean_g = xp.einsum("rd->r", dx) / size
            mean_gx = xp.einsum("rd,rd->r", dx, x_hat) / size
            dx -= mean_g[:, None]
            dx -= x_hat * mean_gx[:, None]
            dx *= inv_std[:, None]
            dx = dx.reshape(g.shape)
        needs_weight, needs_bias = ctx.needs_input_grad[1:3]
        sum_gx = xp.einsum("rd,rd->d", g2, x_hat) if needs_weight else None
        sum_g = xp.einsum("rd->d", g2) if needs_bias else None
        return (dx, *_parameter_grads(ctx, sum_gx, sum_g, ctx.normalized_shape))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` axes, like
    ``torch.nn.functional.layer_norm``; see ``LayerNorm`` for the formulas."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    shape = tuple(input.shape)
    k = len(normalized_shape)
    if k == 0 or shape[len(shape) - k:] != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape {normalized_shape} must match the "
                         f"trailing axes of input of shape {shape}")
    for name, array in (("weight", weight), ("bias", bias)):
        if array is not None and tuple(array.shape) != normalized_shape:
            raise ValueError(f"layer_norm: {name} has shape {tuple(array.shape)}, expected "
                             f"{normalized_shape}")
    return LayerNorm.apply(input, weight, bias, normalized_shape=normalized_shape, eps=eps)
