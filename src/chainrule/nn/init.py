"""``chainrule.nn.init``: the weight initialisers under torch's names, for ``nn.init.xavier_
uniform_(layer.weight)``.

The schemes and their derivations (LeCun 1998, Glorot & Bengio 2010, He et al. 2015) live in
``chainrule.init``; this module re-exports those torch has and adds torch's others: ``eye_``,
``orthogonal_`` (Saxe, McClelland & Ganguli 2014) and ``trunc_normal_``. Each fills the
tensor's array in place, draws from chainrule's seeded generator, and returns the tensor.
"""

import numpy as np

from .. import backend, random
from ..init import (
    calculate_gain,
    constant_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "zeros_",
    "ones_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]


def _generator(tensor):
    return random.generator(backend.get_array_module(tensor.data))


def eye_(tensor):
    """Fill a matrix with the identity (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    xp = backend.get_array_module(tensor.data)
    tensor.data[...] = xp.eye(*tensor.shape, dtype=tensor.dtype)
    return tensor


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fill with N(mean, std²) restricted to [a, b] (absolute bounds, as torch): every sample
    outside is drawn again until all lie inside, which is exactly the truncated law."""
    if not a < b:
        raise ValueError(f"trunc_normal_: a={a} must be below b={b}")
    generator = _generator(tensor)
    xp = backend.get_array_module(tensor.data)
    samples = mean + std * generator.standard_normal(tensor.shape, dtype=np.float64)
    outside = (samples < a) | (samples > b)
    while outside.any():
        samples[outside] = mean + std * generator.standard_normal(
            int(outside.sum()), dtype=np.float64
        )
        outside = (samples < a) | (samples > b)
    tensor.data[...] = xp.asarray(samples, dtype=tensor.dtype)
    return tensor


def orthogonal_(tensor, gain=1.0):
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014), as torch: the Q
    of the QR decomposition of a standard normal (rows × rest) matrix, its columns' signs
    fixed by R's diagonal so Q is uniformly distributed (Mezzadri 2007); wider than tall, the
    transpose's Q."""
    if tensor.ndim < 2:
        raise ValueError(
            "orthogonal_: only tensors with 2 or more dimensions are supported, got "
            f"shape {tuple(tensor.shape)}"
        )
    xp = backend.get_array_module(tensor.data)
    rows = tensor.shape[0]
    columns = tensor.data.size // rows
    normal = _generator(tensor).standard_normal((rows, columns), dtype=np.float64)
    wide = rows < columns
    q, r = xp.linalg.qr(normal.T if wide else normal)
    q = q * xp.sign(xp.diagonal(r))
    tensor.data[...] = (gain * (q.T if wide else q)).reshape(tensor.shape).astype(tensor.dtype)
    return tensor
