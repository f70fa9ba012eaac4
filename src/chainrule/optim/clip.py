"""Gradient clipping: bound the gradients between ``backward()`` and ``optimizer.step()``.

Exploding gradients (deep or recurrent nets; deck D1, "2.1 Long-Term Dependency Problem") make one
step throw the parameters far away; clipping the gradient's norm keeps its direction and bounds its
length, clipping its values bounds each coordinate.
"""

import math

import numpy as np

from ..autograd import Tensor
from ..backend import get_array_module, get_default_dtype

# Added to the norm before dividing, as torch does, so a zero gradient never divides by zero.
_NORM_EPS = 1e-6


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients seen as one long vector,
    ‖g‖_p = (Σ_i ‖g_i‖_p^p)^(1/p) (``inf``: the largest |g|). Every gradient is multiplied by
    min(1, max_norm / (‖g‖_p + 1e-6)). Returns the total norm *before* clipping, as a 0-d Tensor
    (torch's ``clip_grad_norm_``). ``parameters`` is a Tensor or an iterable of them; those
    without a gradient are skipped.

    ``max_norm`` must be >= 0 (a negative bound would flip every gradient's sign and climb the
    loss); ``inf`` measures the norm without clipping, a torch idiom. ``error_if_nonfinite=True``
    raises when the total norm is NaN or infinite instead of scaling by it. ``foreach=True``
    (torch's batched implementation) is not supported.
    """
    max_norm = float(max_norm)
    if math.isnan(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if foreach:
        raise ValueError("clip_grad_norm_: foreach=True is not supported")
    grads = _gradients(parameters)
    if not grads:
        return Tensor(np.zeros((), dtype=get_default_dtype()))
    xp = get_array_module(grads[0].data)
    norm_type = float(norm_type)
    norms = xp.stack([xp.linalg.norm(g.data.ravel(), ord=norm_type) for g in grads])
    total = xp.linalg.norm(norms, ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the "
            "gradients is non-finite, so it cannot be clipped; set "
            "error_if_nonfinite=False to scale the gradients by it anyway"
        )
    scale = xp.minimum(max_norm / (total + _NORM_EPS), 1.0)
    for g in grads:  # a new array, not *=: autograd may share one gradient array between leaves
        g.data = g.data * scale.astype(g.data.dtype)
    return Tensor(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient coordinate into [−clip_value, clip_value], as torch's
    ``clip_grad_value_``.

    ``parameters`` is a Tensor or an iterable of them; those without a gradient are skipped.
    ``clip_value`` must be >= 0 (``inf`` leaves the gradients as they are); ``foreach=True`` is
    not supported.
    """
    if foreach:
        raise ValueError("clip_grad_value_: foreach=True is not supported")
    clip_value = float(clip_value)
    if math.isnan(clip_value) or clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _gradients(parameters):
        g.data = get_array_module(g.data).clip(g.data, -clip_value, clip_value)


def _gradients(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]
