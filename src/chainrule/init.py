"""Weight initialisers, like ``torch.nn.init``: each fills a Tensor's array in place and returns it.

Random ones draw from ``chainrule.random.generator(xp)``, so ``chainrule.manual_seed`` makes them
reproducible (the numbers differ from PyTorch's, the distributions do not).

The schemes keep the variance of the signal roughly constant from layer to layer:

* LeCun (LeCun, Bottou, Orr & Müller 1998, "Efficient BackProp"): Var(w) = 1 / fan_in, for
  saturating units such as tanh and SELU. PyTorch has no ``lecun_*`` functions; they equal
  ``kaiming_*_(nonlinearity="linear")``.
* Xavier/Glorot (Glorot & Bengio 2010): Var(w) = gain² · 2 / (fan_in + fan_out).
* Kaiming/He (He et al. 2015): Var(w) = gain² / fan, with gain = √2 for ReLU.

A uniform distribution U(−b, b) has variance b²/3, so each uniform bound is √3 times the std.
"""

import math

import numpy as np

from . import backend, random

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "lecun_uniform_",
    "lecun_normal_",
]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (the factor that restores unit variance).

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: √2; leaky_relu: √(2 / (1 + slope²)) with
    ``param`` the negative slope (default 0.01); selu: 3/4. Same table as PyTorch.
    """
    if nonlinearity in (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    ):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight, as PyTorch computes them.

    For a (out, in) Linear weight: (in, out). For a conv weight (out, in/groups, *kernel):
    fan_in = in/groups · prod(kernel), fan_out = out · prod(kernel). (A transposed conv's
    weight (in, out/groups, *kernel) is read the same way, so its "fan_in" is out/groups ·
    prod(kernel), as in PyTorch.)
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than "
            f"2 dimensions (shape {tuple(tensor.shape)})"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    tensor.data[...] = values.astype(tensor.dtype, copy=False)
    return tensor


def _generator(tensor):
    return random.generator(backend.get_array_module(tensor.data))


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples of U(a, b)."""
    samples = _generator(tensor).random(tensor.shape, dtype=np.float64)
    return _fill(tensor, a + (b - a) * samples)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples of N(mean, std²)."""
    samples = _generator(tensor).standard_normal(tensor.shape, dtype=np.float64)
    return _fill(tensor, mean + std * samples)


def constant_(tensor, val):
    """Fill with ``val``."""
    tensor.data[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(−b, b) with b = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(−b, b) with b = gain · √(3 / fan); ``a`` is the leaky_relu slope.

    (nn.Linear and nn.Conv* use ``a=√5``, giving b = 1/√fan_in, as PyTorch does.)
    """
    if tensor.data.size == 0:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std²) with std = gain / √fan; ``a`` is the leaky_relu slope."""
    if tensor.data.size == 0:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def lecun_uniform_(tensor):
    """LeCun uniform (1998): U(−b, b) with b = √(3 / fan_in), so Var(w) = 1 / fan_in.

    Not in PyTorch; equal to ``kaiming_uniform_(tensor, nonlinearity="linear")``.
    """
    bound = math.sqrt(3.0 / _fan(tensor, "fan_in"))
    return uniform_(tensor, -bound, bound)


def lecun_normal_(tensor):
    """LeCun normal (1998): N(0, 1 / fan_in) (a plain normal, not Keras's truncated one).

    Not in PyTorch; equal to ``kaiming_normal_(tensor, nonlinearity="linear")``.
    """
    return normal_(tensor, 0.0, 1.0 / math.sqrt(_fan(tensor, "fan_in")))
