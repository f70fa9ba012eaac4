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


def _centre(x, axes):
    """x − mean, the mean and the biased variance over ``axes`` (kept as size-1 axes)."""
    xp = get_array_module(x)
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = xp.mean(centred * centred, axis=axes, keepdims=True)
    return centred, mean, var


def _standardize_backward(g, x_hat, inv_std, axes):
    """dx for x̂ = (x − μ)/σ with μ, σ over ``axes``: (1/σ)(g − mean(g) − x̂·mean(g·x̂))."""
    mean_g = g.mean(axis=axes, keepdims=True)
    mean_gx = (g * x_hat).mean(axis=axes, keepdims=True)
    return inv_std * (g - mean_g - x_hat * mean_gx)


def _affine_arrays(weight, bias):
    """The inputs list and presence flags for an optional (weight, bias) pair."""
    present = (weight is not None, bias is not None)
    return [p for p in (weight, bias) if p is not None], present


def _unpack_affine(params, present):
    params = iter(params)
    return tuple(next(params) if here else None for here in present)


def _data(stat):
    return stat.data if isinstance(stat, Tensor) else stat


class BatchNorm(Function):
    """Batch normalisation over every axis but the channel axis 1.

    Forward (deck 002): μ_c, σ²_c = mean and biased variance of channel c over the batch (and
    the spatial axes) in training, the running estimates in evaluation;
    y = γ_c·(x − μ_c)/√(σ²_c + ε) + β_c. Training also updates, in place,
    running_mean ← (1 − momentum)·running_mean + momentum·μ and likewise running_var with the
    *unbiased* variance σ²·M/(M − 1), as PyTorch does.

    Backward: dβ = Σ g, dγ = Σ g·x̂, and in training
    dx = (γ/σ)·(1/M)·(M·g − Σg − x̂·Σ(g·x̂)) (the statistics depend on x); in evaluation the
    statistics are constants and dx = γ·g/σ.
    """

    @staticmethod
    def forward(ctx, x, *params, present, running_mean, running_var, training, momentum, eps):
        xp = get_array_module(x)
        weight, bias = _unpack_affine(params, present)
        axes = (0,) + tuple(range(2, x.ndim))
        channel_shape = (1, -1) + (1,) * (x.ndim - 2)
        if training:
            centred, mean, var = _centre(x, axes)
            count = x.size // x.shape[1]
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var.reshape(-1)
        else:
            centred = x - running_mean.astype(x.dtype, copy=False).reshape(channel_shape)
            var = running_var.astype(x.dtype, copy=False).reshape(channel_shape)
        inv_std = 1 / xp.sqrt(var + eps)
        x_hat = centred * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.present, ctx.axes, ctx.training = present, axes, training
        y = x_hat if weight is None else x_hat * weight.reshape(channel_shape)
        return y if bias is None else y + bias.reshape(channel_shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        axes = ctx.axes
        grads = []
        if ctx.needs_input_grad[0]:
            g_hat = g if weight is None else g * weight.reshape(inv_std.shape)
            if ctx.training:
                grads.append(_standardize_backward(g_hat, x_hat, inv_std, axes))
            else:
                grads.append(g_hat * inv_std)
        else:
            grads.append(None)
        wants = iter(ctx.needs_input_grad[1:])
        if ctx.present[0]:
            grads.append((g * x_hat).sum(axis=axes) if next(wants) else None)
        if ctx.present[1]:
            grads.append(g.sum(axis=axes) if next(wants) else None)
        return tuple(grads)


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
    params, present = _affine_arrays(weight, bias)
    return BatchNorm.apply(input, *params, present=present, running_mean=running_mean,
                           running_var=running_var, training=training, momentum=momentum,
                           eps=eps)


class LayerNorm(Function):
    """Layer normalisation over the last ``k`` axes of each sample (Ba, Kiros & Hinton 2016).

    Forward: μ, σ² = mean and biased variance over the normalised axes;
    y = γ⊙(x − μ)/√(σ² + ε) + β with γ, β of the normalised shape.
    Backward: with ĝ = g⊙γ, dx = (1/σ)(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) over the normalised axes
    (the batch-norm closed form of deck 002 applied per sample); dγ = Σ_batch g·x̂, dβ = Σ_batch g.
    """

    @staticmethod
    def forward(ctx, x, *params, present, axes, eps):
        xp = get_array_module(x)
        weight, bias = _unpack_affine(params, present)
        centred, _, var = _centre(x, axes)
        inv_std = 1 / xp.sqrt(var + eps)
        x_hat = centred * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.present, ctx.axes = present, axes
        y = x_hat if weight is None else x_hat * weight
        return y if bias is None else y + bias

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        batch_axes = tuple(range(x_hat.ndim - len(ctx.axes)))
        grads = []
        if ctx.needs_input_grad[0]:
            g_hat = g if weight is None else g * weight
            grads.append(_standardize_backward(g_hat, x_hat, inv_std, ctx.axes))
        else:
            grads.append(None)
        wants = iter(ctx.needs_input_grad[1:])
        if ctx.present[0]:
            grads.append((g * x_hat).sum(axis=batch_axes) if next(wants) else None)
        if ctx.present[1]:
            grads.append(g.sum(axis=batch_axes) if next(wants) else None)
        return tuple(grads)


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
    params, present = _affine_arrays(weight, bias)
    axes = tuple(range(len(shape) - k, len(shape)))
    return LayerNorm.apply(input, *params, present=present, axes=axes, eps=eps)
