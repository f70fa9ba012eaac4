"""RMSprop: gradient steps divided by a running root-mean-square of the gradients."""

from ..backend import get_array_module
from .optimizer import Optimizer, check_hyperparameters, with_weight_decay


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton 2012, Coursera lecture 6e), torch.optim.RMSprop's update rule
    and defaults.

    With g = ∇L(θ) (+ λθ for ``weight_decay``; −∇L under ``maximize``), smoothing α::

        E[g²] ← α·E[g²] + (1 − α)·g²
        ḡ     ← α·ḡ + (1 − α)·g                         (``centered`` only)
        s     = √(E[g²] − ḡ²) + ε   (centered)   or   √E[g²] + ε
        b     ← μ·b + g / s,   θ ← θ − lr·b            (``momentum`` μ > 0)
        θ     ← θ − lr·g / s                            (otherwise)

    Deck D2 ("优化算法 : RMSprop", α = 0.9) writes θ_t = θ_{t−1} − λ/√(E[g²]_{t−1} + ε)·g_{t−1}:
    the index of E[g²] is shifted (the standard form divides by the average that already includes
    the current gradient, as here) and ε is inside the square root; torch, and this class, add ε
    outside it. torch's default α is 0.99.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        check_hyperparameters(
            "RMSprop", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum
        )
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
        state["step"] += 1
        grad = with_weight_decay(grad, param, group["weight_decay"])
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            scale = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            scale = xp.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / scale
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * grad / scale
