"""Activation layers (deck D1, "Different activation functions"; deck D2, "激活函数 Activation
Function"): module wrappers of ``chainrule.functional.activation``, so a nonlinearity can sit in
a ``Sequential``. Only ``PReLU`` has a parameter (its slope)."""

from .. import functional as F
from ..init import constant_
from .linear import empty_parameter
from .module import Module


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(−x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))."""

    def forward(self, input):
        return F.tanh(input)


class ReLU(Module):
    """max(0, x)."""

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """x for x ≥ 0, negative_slope · x otherwise."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """LeakyReLU with a learnt slope a (He et al. 2015): one slope (num_parameters=1) or one per
    channel (dimension 1 of the input), initialised to ``init`` = 0.25."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = empty_parameter(num_parameters)
        self.reset_parameters()

    def reset_parameters(self):
        constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha · (e^x − 1) otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """scale · ELU(x, alpha) with Klambauer et al.'s (2017) self-normalising constants."""

    def forward(self, input):
        return F.selu(input)


class Softmax(Module):
    """exp(x_i) / Σ_j exp(x_j) along ``dim`` (required: PyTorch's implicit choice of dim
    when it is left out is deprecated there)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax(x) along ``dim`` (required), computed stably as x − logsumexp(x)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
