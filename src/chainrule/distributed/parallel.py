"""``DistributedDataParallel``, the model wrapper of data-parallel training, and
``SyncBatchNorm``, batch normalisation whose statistics cover the global batch.

Every rank holds the same parameters (broadcast from rank 0 when the wrapper is built) and runs
forward and backward on its own shard of the batch. The loss of rank r is the mean over its b
samples, so the gradient of the mean over all N·b samples is the mean of the ranks' gradients:
ḡ = (1/N) Σ_r g_r. ``reduce_gradients()`` computes it with one allreduce per bucket (the
gradients of consecutive parameters copied into one flat array of at most ``bucket_cap_mb``),
after which every rank's optimiser takes the same step.

Unlike PyTorch, the averaging is not triggered by backward itself (chainrule's autograd has no
gradient hooks): ``fit`` calls ``reduce_gradients()`` between ``loss.backward()`` and
``optimizer.step()``, and a loop of one's own does the same. It is not overlapped with the
backward pass: the allreduce costs 3–4% of a step between two ranks of this machine (LeNet-5,
2×512 LSTM; docs/distributed.md), the most that overlapping could win back.
"""

import numpy as np

from ..autograd import Function, Tensor
from ..nn.module import Module
from ..nn.norm import _BatchNorm
from . import comm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the MPI world.

    Building it broadcasts rank 0's parameters and buffers to every rank. In training mode each
    forward first broadcasts rank 0's buffers (``broadcast_buffers``, as PyTorch: batch-norm
    statistics are computed per rank, and the running estimates kept are rank 0's). The wrapped
    model is ``.module``; the wrapper's ``state_dict`` keys start with ``module.``.
    """

    def __init__(self, module, broadcast_buffers=True, bucket_cap_mb=25):
        super().__init__()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        for tensor in [*module.parameters(), *module.buffers()]:
            comm.broadcast(tensor)
        trainable = [p for p in module.parameters() if p.requires_grad]
        self.buckets = _buckets(trainable, bucket_cap_mb * 2**20)

    def forward(self, *args, **kwargs):
        if self.training and self.broadcast_buffers:
            for buffer in self.module.buffers():
                comm.broadcast(buffer)
        return self.module(*args, **kwargs)

    def reduce_gradients(self):
        """Replace every parameter's gradient by its mean over the ranks (a parameter without a
        gradient on this rank counts as a zero gradient, and gets the mean)."""
        world = comm.get_world_size()
        for bucket in self.buckets:
            flat = np.concatenate([_grad_array(p).ravel() for p in bucket])
            comm.all_reduce(flat)
            flat /= world
            start = 0
            for p in bucket:
                p.grad.data[...] = flat[start : start + p.data.size].reshape(p.data.shape)
                start += p.data.size


def _buckets(parameters, capacity_bytes):
    """Consecutive parameters of one dtype, grouped up to ``capacity_bytes`` per group."""
    buckets, size = [], 0
    for p in parameters:
        same_dtype = buckets and buckets[-1][-1].data.dtype == p.data.dtype
        if same_dtype and size + p.data.nbytes <= capacity_bytes:
            buckets[-1].append(p)
            size += p.data.nbytes
        else:
            buckets.append([p])
            size = p.data.nbytes
    return buckets


def _grad_array(parameter):
    if parameter.grad is None:
        parameter.grad = Tensor(np.zeros_like(parameter.data))
    return parameter.grad.data


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation with the statistics of the global batch, over every rank.

    Forward: each rank sums its x and x² per channel; one allreduce gives Σx, Σx² and M (the
    number of values per channel on all ranks), hence μ = Σx/M and σ² = Σx²/M − μ²; then
    y = γ·(x − μ)/√(σ² + ε) + β and the running estimates are updated as ``BatchNorm``'s.
    Backward: one allreduce of Σg and Σg·x̂ and dx = (γ/σ)·(g − Σg/M − x̂·Σ(g·x̂)/M), the
    batch-norm gradient over the global batch; dγ = Σ g·x̂ and dβ = Σ g stay local sums (the
    ranks' contributions, averaged with the other gradients by ``DistributedDataParallel``).
    N ranks with batch b normalise exactly as one process with batch N·b. In evaluation, or
    without a process group, it is ``BatchNorm``.
    """

    ranks = (2, 3, 4, 5)

    def forward(self, input):
        if not self.training or comm.get_world_size() == 1:
            return super().forward(input)
        momentum = 0.1 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / int(self.num_batches_tracked.item())
        return _SyncBatchNorm.apply(
            input,
            self.weight,
            self.bias,
            running_mean=None if self.running_mean is None else self.running_mean.data,
            running_var=None if self.running_var is None else self.running_var.data,
            momentum=momentum,
            eps=self.eps,
        )

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same
        parameters and buffers (as torch's classmethod of the same name)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
            )
            converted.load_state_dict(module.state_dict())
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            setattr(module, name, cls.convert_sync_batchnorm(child))
        return module


class _SyncBatchNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, *, running_mean, running_var, momentum, eps):
        x3 = x.reshape(x.shape[0], x.shape[1], -1)
        channels = x3.shape[1]
        local_count = x3.shape[0] * x3.shape[2]
        sums = np.concatenate(
            [
                np.einsum("ncl->c", x3, dtype=np.float64),
                np.einsum("ncl,ncl->c", x3, x3, dtype=np.float64),
                [local_count],
            ]
        )
        comm.all_reduce(sums)
        count = sums[-1]
        mean = sums[:channels] / count
        var = sums[channels : 2 * channels] / count - mean * mean
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * count / (count - 1) * var).astype(running_var.dtype)
        inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        x_hat = (x3 - mean.astype(x.dtype)[:, None]) * inv_std[:, None]
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.count = count
        y = x_hat if weight is None else x_hat * weight[:, None]
        if bias is not None:
            y = y + bias[:, None]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x_hat, inv_std, weight = ctx.saved_tensors
        g3 = g.reshape(x_hat.shape)
        local = np.stack([np.einsum("ncl->c", g3), np.einsum("ncl,ncl->c", g3, x_hat)])
        total = comm.all_reduce(local.astype(np.float64))
        mean_g = (total[0] / ctx.count).astype(g.dtype)
        mean_gx = (total[1] / ctx.count).astype(g.dtype)
        scale = inv_std if weight is None else weight * inv_std
        dx = scale[:, None] * (g3 - mean_g[:, None] - x_hat * mean_gx[:, None])
        d_weight = local[1] if weight is not None else None
        d_bias = local[0] if ctx.needs_input_grad[2] else None
        return dx.reshape(g.shape), d_weight, d_bias
