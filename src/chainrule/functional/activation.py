"""Activation functions: the non-linearity f in a neuron's output y = f(w·x + b).

Deck D1 ("Figure 2-6. Different activation functions") introduces sigmoid, tanh and ReLU; deck D2
("激活函数 Activation Function") adds the linear activation, softmax, LeakyReLU, PReLU, SELU. Deck
D4 ("LAYERS OF A CNN": "ReLU Layer", "Softmax Layer") writes their backward passes. Each op here is
one ``Function``; where the derivative is cheaper to write in terms of the output y than the input x
(sigmoid, tanh, relu, softmax, log_softmax) the backward uses the saved output.

Every forward is numerically stable: no exp of a large positive number is ever taken, so
|x| = 1000 gives finite results in float32 and float64.
"""

import math

from ..autograd import Function
from ..backend import get_array_module

__all__ = [
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "selu",
    "softmax",
    "log_softmax",
]

# SELU's constants (Klambauer et al. 2017, as in torch; deck D2's "Selu" quotes them to 8 digits).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Identity(Function):
    """Deck D2's linear activation f(x) = x ("激活函数 Activation Function"); f'(x) = 1, so the
    gradient passes unchanged."""

    @staticmethod
    def forward(ctx, x):
        return x.view()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^(−x)) (deck D1, "Figure 2-6"); σ'(x) = σ(x)(1 − σ(x)) = y(1 − y) (deck D2's
    "Back Propagation" example uses exactly this factor).

    Stable form: with e = e^(−|x|) ∈ (0, 1], σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0.
    """

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))
        y = xp.where(x >= 0, 1, e)
        e += 1
        y /= e
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


class Tanh(Function):
    """tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)) (deck D1, "Figure 2-6");
    tanh'(x) = 1 − tanh²(x) = 1 − y²."""

    @staticmethod
    def forward(ctx, x):
        y = get_array_module(x).tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class ReLU(Function):
    """ReLU(x) = max(0, x) (deck D2, "Relu(Rectifier Liner Unit)"); its derivative is 1 where
    x > 0 and 0 elsewhere (0 at the kink, as in torch, deck D4's "ReLU Layer" subderivative),
    read off the output: y > 0 ⇔ x > 0."""

    @staticmethod
    def forward(ctx, x):
        y = get_array_module(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y > 0)


class LeakyReLU(Function):
    """LeakyReLU(x) = x for x > 0, αx otherwise (deck D2's "LeakyRelu" writes max(x, αx), the same
    for 0 < α < 1); derivative 1 for x > 0 and α otherwise."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        xp = get_array_module(x)
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return xp.where(positive, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        return get_array_module(grad).where(positive, grad, grad * ctx.negative_slope)


class PReLU(Function):
    """PReLU(x) = x for x > 0, a_c·x otherwise, with a learned slope a_c per channel (He et al.
    2015; listed in deck D2's "激活函数 Activation Function").

    ∂y/∂x = 1 or a_c; ∂L/∂a_c = Σ over every element of channel c with x ≤ 0 of g·x (all
    elements when ``weight`` holds one shared slope). Channels lie along dim 1, as in torch.
    """

    @staticmethod
    def forward(ctx, x, weight):
        xp = get_array_module(x)
        slope = _channel_view(x, weight)
        positive = x > 0
        ctx.save_for_backward(x, weight, positive)
        return xp.where(positive, x, x * slope)

    @staticmethod
    def backward(ctx, grad):
        x, weight, positive = ctx.saved_tensors
        xp = get_array_module(grad)
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            grad_x = xp.where(positive, grad, grad * _channel_view(x, weight))
        if ctx.needs_input_grad[1]:
            per_element = xp.where(positive, 0, grad * x)
            if weight.size == 1 or x.ndim < 2:
                grad_weight = per_element.sum().reshape(weight.shape)
            else:
                axes = (0,) + tuple(range(2, x.ndim))
                grad_weight = per_element.sum(axis=axes).reshape(weight.shape)
        return grad_x, grad_weight


def _channel_view(x, weight):
    """``weight`` shaped to broadcast along dim 1 of ``x``: (C, 1, …, 1), or a lone slope."""
    if weight.size == 1 or x.ndim < 2:
        return weight.reshape(())
    return weight.reshape((-1,) + (1,) * (x.ndim - 2))


class ELU(Function):
    """ELU(x) = x for x > 0, α(e^x − 1) otherwise (deck D2's "Selu" without the scale λ);
    derivative 1 for x > 0 and α·e^x otherwise. ``scale`` multiplies the whole function (SELU is
    ELU with λ and α of Klambauer et al.).

    The derivative α·e^x equals y + α, but for x ≪ 0 that sum cancels to 0 while α·e^x is still
    representable, so backward recomputes e^x from the saved min(x, 0) (as torch does).
    """

    @staticmethod
    def forward(ctx, x, alpha, scale):
        xp = get_array_module(x)
        positive = x > 0
        negative_x = xp.minimum(x, 0)
        negative_part = xp.expm1(negative_x)
        negative_part *= alpha
        y = xp.where(positive, x, negative_part)
        if scale != 1:
            y *= scale
        ctx.save_for_backward(negative_x, positive)
        ctx.alpha, ctx.scale = alpha, scale
        return y

    @staticmethod
    def backward(ctx, grad):
        negative_x, positive = ctx.saved_tensors
        xp = get_array_module(grad)
        negative_slope = xp.exp(negative_x)
        negative_slope *= ctx.scale * ctx.alpha
        negative_slope *= grad
        return xp.where(positive, grad * ctx.scale, negative_slope)


class Softmax(Function):
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j) along ``dim``. Deck D2's "Softmax" slide writes only
    the two-class case, the logistic 1/(1 + exp(−wᵀx)) (softmax of (wᵀx, 0)); this is the
    general form. Computed as e^(x − max x): the same value, never overflowing.

    Jacobian ∂y_i/∂x_j = y_i(δ_ij − y_j), so the vector-Jacobian product is y ⊙ (g − Σ_j g_j y_j).
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x)
        y = xp.exp(x - x.max(axis=dim, keepdims=True))
        y /= y.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        grad_x = grad * y
        grad_x -= y * grad_x.sum(axis=ctx.dim, keepdims=True)
        return grad_x


class LogSoftmax(Function):
    """log softmax(x)_i = x_i − log Σ_j e^(x_j) = z_i − log Σ_j e^(z_j) with z = x − max x.

    ∂y_i/∂x_j = δ_ij − softmax(x)_j, so the gradient is g − e^y · Σ_j g_j.
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x)
        y = x - x.max(axis=dim, keepdims=True)
        y -= xp.log(xp.exp(y).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        xp = get_array_module(grad)
        return grad - xp.exp(y) * grad.sum(axis=ctx.dim, keepdims=True)


def identity(input):
    """f(x) = x, deck D2's linear activation."""
    return Identity.apply(input)


def sigmoid(input):
    """σ(x) = 1 / (1 + e^(−x)); gradient y(1 − y). See ``Sigmoid``."""
    return Sigmoid.apply(input)


def tanh(input):
    """tanh(x); gradient 1 − y². See ``Tanh``."""
    return Tanh.apply(input)


def relu(input):
    """max(0, x); gradient 1 where x > 0. See ``ReLU``."""
    return ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01):
    """x for x > 0, ``negative_slope``·x otherwise. See ``LeakyReLU``."""
    return LeakyReLU.apply(input, negative_slope=float(negative_slope))


def prelu(input, weight):
    """x for x > 0, a·x otherwise, with learned slopes ``weight`` of shape (1,) or (C,) where C
    is ``input``'s dim 1. See ``PReLU``."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or math.prod(weight.shape) not in (1, channels):
        raise ValueError(
            f"prelu: weight must hold 1 slope or one per channel (input dim 1 = "
            f"{channels}); got weight of shape {tuple(weight.shape)} for input "
            f"of shape {tuple(input.shape)}"
        )
    return PReLU.apply(input, weight)


def elu(input, alpha=1.0):
    """x for x > 0, α(e^x − 1) otherwise. See ``ELU``."""
    return ELU.apply(input, alpha=float(alpha), scale=1.0)


def selu(input):
    """λ·ELU(x, α) with λ = 1.0507009873554805, α = 1.6732632423543772 (deck D2, "Selu"), which
    keeps unit-Gaussian inputs unit-Gaussian. See ``ELU``."""
    return ELU.apply(input, alpha=SELU_ALPHA, scale=SELU_SCALE)


def softmax(input, dim):
    """e^(x_i) / Σ_j e^(x_j) along ``dim``. See ``Softmax``."""
    return Softmax.apply(input, dim=dim)


def log_softmax(input, dim):
    """x_i − log Σ_j e^(x_j) along ``dim``. See ``LogSoftmax``."""
    return LogSoftmax.apply(input, dim=dim)
