"""Fully connected layers: ``Linear`` (y = x Wᵀ + b) and the pass-through ``Identity``."""

import math
import numbers

from .. import backend, creation, init
from .. import functional as F
from .module import Module
from .parameter import Parameter


def empty_parameter(*shape):
    """A Parameter of the default dtype on the CPU, to be filled by an initialiser."""
    return Parameter(creation.zeros(*shape, dtype=backend.get_default_dtype()))


def init_weight_and_bias(weight, bias):
    """PyTorch's default for Linear and Conv: W ~ kaiming_uniform_(a=√5), i.e.
    U(−1/√fan_in, 1/√fan_in), and b ~ U(−1/√fan_in, 1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


def _check_size(layer, **sizes):
    """Each of ``sizes`` must be an integer >= 0 (0 is allowed, as torch allows it: an empty
    layer whose output is all bias)."""
    for name, value in sizes.items():
        if not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{layer}: {name} must be an integer, got {value!r} ({type(value).__name__})"
            )
        if value < 0:
            raise ValueError(f"{layer}: {name} must be >= 0, got {value}")


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out_features, in_features) and b of shape (out_features,).

    The fully connected layer (deck D1, "1.1.4 Multi Layer Perceptron"; deck D4, "Fully-Connected
    Layer"); ``F.linear`` holds the forward and backward.
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        _check_size("Linear", in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter(out_features, in_features)
        self.register_parameter("bias", empty_parameter(out_features) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
