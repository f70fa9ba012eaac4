"""Dropout: randomly silence units while training so the network cannot rely on any one of them.

Deck D2 ("正规化 : Dropout") freezes a random subset of neurons for a training epoch and another
subset in the next. This is *inverted* dropout (Srivastava et al. 2014, as in PyTorch): a fresh
random mask for every forward pass in training, the kept units scaled by 1/(1 − p) so that the
expected activation is unchanged and evaluation is the identity. The mask comes from
``chainrule.random``'s generator, so ``chainrule.manual_seed`` makes it reproducible.
"""

from .. import random
from ..autograd import Function
from ..backend import get_array_module

__all__ = ["dropout"]


class Dropout(Function):
    """Inverted dropout in training mode.

    Forward: m_i ~ Bernoulli(1 − p) drawn independently per element, y = x ⊙ m / (1 − p)
    (y = 0 when p = 1). Backward: dx = g ⊙ m / (1 − p), the same scaled mask.
    """

    @staticmethod
    def forward(ctx, x, p):
        xp = get_array_module(x)
        scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        draws = random.generator(xp).random(x.shape, dtype=x.dtype)
        scaled_mask = (draws >= p).astype(x.dtype)
        scaled_mask *= scale
        ctx.save_for_backward(scaled_mask)
        return x * scaled_mask

    @staticmethod
    def backward(ctx, g):
        (scaled_mask,) = ctx.saved_tensors
        return g * scaled_mask


def dropout(input, p=0.5, training=True):
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p), like
    ``torch.nn.functional.dropout``; the identity (``input`` itself) in evaluation or when p = 0.
    See ``Dropout`` for the gradient."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability p must be between 0 and 1, got {p}")
    if input.dtype.kind != "f":
        raise TypeError(f"dropout: input must be floating point, got dtype {input.dtype}")
    if not training or p == 0:
        return input
    return Dropout.apply(input, p=p)
