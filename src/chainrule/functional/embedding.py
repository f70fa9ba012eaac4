"""Embedding lookup: integer tokens to rows of a weight matrix.

``embedding(indices, weight)`` is the same as multiplying a one-hot encoding of each index by
``weight`` (the input layer of a language model: one learned vector per token), done as a row
gather instead of a matrix product.
"""

import numpy as np

from ..autograd import Function, Tensor
from ..backend import get_array_module

__all__ = ["embedding"]


class Embedding(Function):
    """Row lookup y[..., :] = W[idx[...], :].

    Backward: dW[v] = Σ_{positions k with idx_k = v} g_k — a scatter-add, one ``add.at`` that
    sums the gradient rows of repeated indices; the ``padding_idx`` row gets none. The indices
    get no gradient. The scatter runs over the flattened element positions v·D + j: NumPy's
    one-dimensional ``add.at`` is several times faster than its row-wise form.
    """

    @staticmethod
    def forward(ctx, indices, weight, padding_idx):
        xp = get_array_module(weight)
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        xp = get_array_module(g)
        dim = ctx.weight_shape[1]
        grad_weight = xp.zeros(ctx.weight_shape, dtype=g.dtype)
        positions = indices.reshape(-1, 1) * dim + xp.arange(dim)
        xp.add.at(grad_weight.reshape(-1), positions.reshape(-1), g.reshape(-1))
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return None, grad_weight


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (V, D) picked by the integer tensor ``input`` of any shape, giving
    shape ``input.shape + (D,)``, like ``torch.nn.functional.embedding``. The row ``padding_idx``
    (negative counts from the end) receives no gradient."""
    indices = input.data if isinstance(input, Tensor) else input
    if np.dtype(indices.dtype).kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {input.dtype}")
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
            f"got shape {tuple(weight.shape)}"
        )
    vocabulary = weight.shape[0]
    if indices.size and not (0 <= int(indices.min()) and int(indices.max()) < vocabulary):
        raise IndexError(
            f"embedding: indices must lie in [0, {vocabulary}), got values in "
            f"[{int(indices.min())}, {int(indices.max())}]"
        )
    if padding_idx is not None:
        if not -vocabulary <= padding_idx < vocabulary:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} is outside the {vocabulary} embeddings"
            )
        padding_idx %= vocabulary
    return Embedding.apply(input, weight, padding_idx=padding_idx)
