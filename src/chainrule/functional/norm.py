"""Normalisation layers as fused ops: batch, layer, group and instance normalisation, and
AlexNet's local response normalisation.

The first four standardise activations, x̂ = (x − μ)/σ with σ = √(var + ε), then scale and
shift, y = γ·x̂ + β (deck D2, "正规化 : Batch Normalization", after Ioffe & Szegedy 2015). They
differ only in the values μ and var are taken over: every axis but the channel axis (batch
norm), the last few axes of each sample (layer norm), a group of channels of each sample (group
norm), or one channel of one sample (instance norm). Each is one ``Function`` whose backward is
the closed form

    dx = (γ/σ) · (1/M) · (M·g − Σg − x̂·Σ(g·x̂))

(sums over the M normalised elements), which is cheaper and more accurate than backpropagating
through the mean, the variance and the square root one op at a time.

Weight normalisation (deck D2, "正规化 : Weight Normalization": W = g·V/‖V‖) is built from the
math ops by ``nn``; it needs no fused kernel.
"""

import math

from ..autograd import Function, Tensor
from ..backend import get_array_module

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


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


def _standardise_rows(x2, eps):
    """x̂ = (x − μ)/√(var + ε) along each row of an (R, D) array (biased variance); returns x̂ (a
    new array) and 1/√(var + ε) per row."""
    xp = get_array_module(x2)
    size = x2.shape[1]
    mean = xp.einsum("rd->r", x2) / size
    x_hat = x2 - mean[:, None]
    var = xp.einsum("rd,rd->r", x_hat, x_hat) / size
    inv_std = 1 / xp.sqrt(var + eps)
    x_hat *= inv_std[:, None]
    return x_hat, inv_std


def _standardise_rows_backward(g_hat, x_hat, inv_std):
    """dx = (1/σ)(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) along each row, for ĝ = ∂L/∂x̂ (overwritten)."""
    xp = get_array_module(g_hat)
    size = x_hat.shape[1]
    mean_g = xp.einsum("rd->r", g_hat) / size
    mean_gx = xp.einsum("rd,rd->r", g_hat, x_hat) / size
    g_hat -= mean_g[:, None]
    g_hat -= x_hat * mean_gx[:, None]
    g_hat *= inv_std[:, None]
    return g_hat


def _parameter_grads(ctx, sum_gx, sum_g, shape):
    """(dγ, dβ): Σ g·x̂ and Σ g in the parameters' shape, None where γ or β is absent or
    needs no gradient (``needs_input_grad`` is False for an absent input)."""
    needs_weight, needs_bias = ctx.needs_input_grad[1:3]
    return (
        sum_gx.reshape(shape) if needs_weight else None,
        sum_g.reshape(shape) if needs_bias else None,
    )


class BatchNorm(Function):
    """Batch normalisation over every axis but the channel axis 1.

    Forward (deck D2, "正规化 : Batch Normalization"; Ioffe & Szegedy 2015): μ_c, σ²_c =
    mean and biased variance of channel c over the batch (and the spatial axes, M values in
    all) in training, the running estimates in evaluation;
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


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
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
    for name, array in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if array is not None and tuple(array.shape) != (channels,):
            raise ValueError(
                f"batch_norm: {name} has shape {tuple(array.shape)}, expected "
                f"({channels},) for input of shape {shape}"
            )
    if training and math.prod(shape) // channels == 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, "
            f"got input of shape {shape}"
        )
    if not training and (running_mean is None or running_var is None):
        raise ValueError(
            "batch_norm: running_mean and running_var are required in "
            "evaluation mode (training=False)"
        )
    return BatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=running_mean,
        running_var=running_var,
        training=training,
        momentum=momentum,
        eps=eps,
    )


class LayerNorm(Function):
    """Layer normalisation over the last ``k`` axes of each sample (Ba, Kiros & Hinton 2016).

    Forward: μ, σ² = mean and biased variance over the D normalised elements of a sample;
    y = γ⊙(x − μ)/√(σ² + ε) + β with γ, β of the normalised shape.
    Backward: with ĝ = g⊙γ, dx = (1/σ)(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) over the normalised axes
    (batch norm's closed form applied per sample; Ba et al. 2016); dγ = Σ_batch g·x̂, dβ = Σ_batch g.
    Works on an (R, D) view: one row per sample, per-row sums as ``einsum`` over d.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, normalized_shape, eps):
        x_hat, inv_std = _standardise_rows(x.reshape(-1, math.prod(normalized_shape)), eps)
        weight = None if weight is None else weight.reshape(-1)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.normalized_shape = normalized_shape
        bias = None if bias is None else bias.reshape(-1)
        return _scale_and_shift(x_hat, weight, bias, slice(None)).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        xp = get_array_module(g)
        g2 = g.reshape(x_hat.shape)
        dx = None
        if ctx.needs_input_grad[0]:
            g_hat = g2.copy() if weight is None else g2 * weight
            dx = _standardise_rows_backward(g_hat, x_hat, inv_std).reshape(g.shape)
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
    if k == 0 or shape[len(shape) - k :] != normalized_shape:
        raise ValueError(
            f"layer_norm: normalized_shape {normalized_shape} must match the "
            f"trailing axes of input of shape {shape}"
        )
    for name, array in (("weight", weight), ("bias", bias)):
        if array is not None and tuple(array.shape) != normalized_shape:
            raise ValueError(
                f"layer_norm: {name} has shape {tuple(array.shape)}, expected {normalized_shape}"
            )
    return LayerNorm.apply(input, weight, bias, normalized_shape=normalized_shape, eps=eps)


class GroupNorm(Function):
    """Group normalisation (Wu & He 2018): the C channels of each sample are split into G groups
    of C/G; each group is standardised over its channels and positions, then each channel is
    scaled and shifted:

        y_{n,c,l} = γ_c (x_{n,c,l} − μ_{n,g}) / √(σ²_{n,g} + ε) + β_c,   g the group of c.

    Backward: dβ_c = Σ_{n,l} g, dγ_c = Σ_{n,l} g·x̂ and, with ĝ = γ_c·g, in each group
    dx = (1/σ)(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)): layer norm's closed form, one row per (n, group).
    G = 1 normalises each sample whole (layer norm with per-channel γ); G = C is instance norm.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, num_groups, eps):
        batch, channels = x.shape[:2]
        x_hat, inv_std = _standardise_rows(x.reshape(batch * num_groups, -1), eps)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.shape = x.shape
        by_channel = x_hat.reshape(batch, channels, -1)
        return _scale_and_shift(by_channel, weight, bias, (slice(None), None)).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        xp = get_array_module(g)
        batch, channels = ctx.shape[:2]
        g3 = g.reshape(batch, channels, -1)
        dx = None
        if ctx.needs_input_grad[0]:
            g_hat = g3.copy() if weight is None else g3 * weight[:, None]
            dx = _standardise_rows_backward(g_hat.reshape(x_hat.shape), x_hat, inv_std)
            dx = dx.reshape(ctx.shape)
        needs_weight, needs_bias = ctx.needs_input_grad[1:3]
        x_hat3 = x_hat.reshape(g3.shape)
        sum_gx = xp.einsum("ncl,ncl->c", g3, x_hat3) if needs_weight else None
        sum_g = xp.einsum("ncl->c", g3) if needs_bias else None
        return (dx, *_parameter_grads(ctx, sum_gx, sum_g, (channels,)))


def _check_channel_vectors(op, shape, **vectors):
    """Each given vector (weight, bias, running statistics) must have one entry per channel."""
    for name, array in vectors.items():
        if array is not None and tuple(array.shape) != (shape[1],):
            raise ValueError(
                f"{op}: {name} has shape {tuple(array.shape)}, expected "
                f"({shape[1]},) for input of shape {shape}"
            )


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation of (N, C, *) input over ``num_groups`` groups of channels, like
    ``torch.nn.functional.group_norm``; see ``GroupNorm``."""
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ValueError(f"group_norm: input must be at least 2-D (N, C, ...), got shape {shape}")
    if num_groups <= 0 or shape[1] % num_groups:
        raise ValueError(
            f"group_norm: the {shape[1]} channels of input of shape {shape} do not "
            f"split into num_groups={num_groups} equal groups"
        )
    _check_channel_vectors("group_norm", shape, weight=weight, bias=bias)
    return GroupNorm.apply(input, weight, bias, num_groups=num_groups, eps=eps)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Instance normalisation (Ulyanov et al. 2016) of (N, C, *) input: each channel of each
    sample standardised over its positions, like ``torch.nn.functional.instance_norm``.

    With ``use_input_stats`` it is ``GroupNorm`` with one channel per group, and the running
    statistics, when given, are updated in place as torch does:
    r ← (1 − momentum)·r + momentum·(the batch average of each instance's mean, or of its
    unbiased variance). Without, the running statistics normalise, as ``batch_norm`` in
    evaluation.
    """
    shape = tuple(input.shape)
    running_mean, running_var = _data(running_mean), _data(running_var)
    _check_channel_vectors(
        "instance_norm",
        shape,
        running_mean=running_mean,
        running_var=running_var,
        weight=weight,
        bias=bias,
    )
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: running_mean and running_var are required when "
                "use_input_stats=False"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if len(shape) < 3 or math.prod(shape[2:]) == 1:
        raise ValueError(
            f"instance_norm: expected more than 1 spatial element per channel, "
            f"got input of shape {shape}"
        )
    _track_instance_statistics(_data(input), running_mean, running_var, momentum)
    return GroupNorm.apply(input, weight, bias, num_groups=shape[1], eps=eps)


def _track_instance_statistics(x, running_mean, running_var, momentum):
    """The in-place running-statistics update of ``instance_norm`` (either may be None)."""
    per_instance = x.reshape(x.shape[0], x.shape[1], -1)
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * per_instance.mean(axis=2).mean(axis=0)
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += momentum * per_instance.var(axis=2, ddof=1).mean(axis=0)


class LocalResponseNorm(Function):
    """Local response normalisation across channels (Krizhevsky et al. 2012, section 3.3; deck
    D2, "深度卷积神经网络:AlexNet"): each activation is divided by the energy of the
    activations at the same position in n = ``size`` neighbouring channels,

        b_c = a_c · s_c^(−β),    s_c = k + (α/n) Σ_{c′ ∈ W(c)} a_{c′}²,
        W(c) = c − ⌊n/2⌋ … c + ⌊(n − 1)/2⌋  (channels beyond 0 … C − 1 count as 0).

    The paper writes α where torch, and chainrule, use α/n. Backward: a_j enters b_j directly
    and s_c for every c whose window holds j, that is c ∈ j − ⌊(n − 1)/2⌋ … j + ⌊n/2⌋ (the
    mirrored window), so

        ∂L/∂a_j = g_j s_j^(−β) − (2αβ/n) a_j Σ_{c : j ∈ W(c)} g_c a_c s_c^(−β−1).
    """

    @staticmethod
    def forward(ctx, a, *, size, alpha, beta, k):
        before, after = size // 2, (size - 1) // 2
        s = _channel_window_sum(a * a, before, after)
        s *= alpha / size
        s += k
        scale = s**-beta
        ctx.save_for_backward(a, s, scale)
        ctx.window, ctx.size, ctx.alpha, ctx.beta = (before, after), size, alpha, beta
        return a * scale

    @staticmethod
    def backward(ctx, g):
        a, s, scale = ctx.saved_tensors
        before, after = ctx.window
        through_s = _channel_window_sum(g * a * scale / s, after, before)
        through_s *= a * (2 * ctx.alpha * ctx.beta / ctx.size)
        return g * scale - through_s


def _channel_window_sum(x, before, after):
    """Σ x[:, c′] over c′ = c − before … c + after along the channel axis 1, zeros beyond the
    ends: one shifted slice added per offset."""
    xp = get_array_module(x)
    total = xp.zeros_like(x)
    channels = x.shape[1]
    for offset in range(-before, after + 1):
        first, stop = max(0, -offset), min(channels, channels - offset)
        total[:, first:stop] += x[:, first + offset : stop + offset]
    return total


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's local response normalisation over ``size`` neighbouring channels of (N, C, *)
    input, like ``torch.nn.functional.local_response_norm``; see ``LocalResponseNorm``."""
    if input.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected 3-D or higher input (N, C, ...), got "
            f"shape {tuple(input.shape)}"
        )
    if size < 1:
        raise ValueError(f"local_response_norm: size must be at least 1, got {size}")
    return LocalResponseNorm.apply(
        input, size=int(size), alpha=float(alpha), beta=float(beta), k=float(k)
    )
