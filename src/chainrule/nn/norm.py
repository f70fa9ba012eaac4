"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm`` (deck D2,
"正规化 : Batch Normalization"), ``GroupNorm``, ``InstanceNorm1d``, ``InstanceNorm2d`` and
AlexNet's ``LocalResponseNorm``.

Batch normalisation (Ioffe & Szegedy 2015): x̂ = (x − μ_B) / √(σ²_B + ε), y = γ x̂ + β, with the
mini-batch statistics in training and the running estimates in evaluation. The running estimates
are buffers, updated in place by ``F.batch_norm``:  r ← (1 − m) r + m · stat, where the variance
stat is the unbiased one, and m = momentum, or 1/num_batches_tracked when momentum is None (a
cumulative average), as in PyTorch.
"""

from .. import backend, creation, init
from .. import functional as F
from .linear import empty_parameter
from .module import Module


class _NormBase(Module):
    """What batch and instance norm share: γ and β of shape (C,) when ``affine``; the running
    mean, variance and num_batches_tracked buffers when ``track_running_stats``."""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, bias):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.register_parameter("weight", empty_parameter(num_features) if affine else None)
        self.register_parameter("bias", empty_parameter(num_features) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features))
            self.register_buffer("running_var", creation.ones(num_features))
            self.register_buffer("num_batches_tracked", creation.zeros((), dtype=backend.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks accepted."""

    ranks = ()

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        *,
        bias=True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias)

    def forward(self, input):
        if input.ndim not in self.ranks:
            expected = " or ".join(f"{r}D" for r in self.ranks)
            raise ValueError(
                f"{type(self).__name__}: expected {expected} input, got shape {tuple(input.shape)}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / int(self.num_batches_tracked.item())
        use_batch_stats = self.training or self.running_mean is None
        keep_stats = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep_stats else None,
            self.running_var if keep_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, per feature C."""

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel C (statistics over N, H, W)."""

    ranks = (4,)


class LayerNorm(Module):
    """Normalise over the last len(normalized_shape) dimensions of each sample (Ba et al. 2016),
    then scale by weight and shift by bias (both of shape normalized_shape)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        affine_bias = elementwise_affine and bias
        self.register_parameter(
            "weight", empty_parameter(*self.normalized_shape) if elementwise_affine else None
        )
        self.register_parameter(
            "bias", empty_parameter(*self.normalized_shape) if affine_bias else None
        )
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Group normalisation (Wu & He 2018) of (N, C, *) input: each sample's channels in
    ``num_groups`` groups, each group standardised, then a per-channel γ and β when ``affine``.
    See ``F.group_norm``."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                f"num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.register_parameter("weight", empty_parameter(num_channels) if affine else None)
        self.register_parameter("bias", empty_parameter(num_channels) if affine and bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
            f"affine={self.affine}, bias={self.bias is not None}"
        )


class _InstanceNorm(_NormBase):
    """What InstanceNorm1d and InstanceNorm2d share: each channel of each sample standardised
    over its positions (Ulyanov et al. 2016). As in torch, γ and β are off and no running
    statistics are kept by default; with ``track_running_stats`` they are updated in training
    and normalise in evaluation, and ``momentum=None`` means 0 (no cumulative average)."""

    rank = 0  # of a batched input; an unbatched one lacks the batch axis

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        *,
        bias=True,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias)

    def forward(self, input):
        if input.ndim not in (self.rank - 1, self.rank):
            raise ValueError(
                f"{type(self).__name__}: expected {self.rank - 1}D or {self.rank}D "
                f"input, got shape {tuple(input.shape)}"
            )
        unbatched = input.ndim == self.rank - 1
        batched = input.reshape((1,) + tuple(input.shape)) if unbatched else input
        output = F.instance_norm(
            batched,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return output.reshape(input.shape) if unbatched else output


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or unbatched (C, L) input."""

    rank = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or unbatched (C, H, W) input."""

    rank = 4


class LocalResponseNorm(Module):
    """AlexNet's local response normalisation (Krizhevsky et al. 2012) across ``size``
    neighbouring channels: b_c = a_c / (k + (α/n) Σ a²)^β. See ``F.local_response_norm``."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
