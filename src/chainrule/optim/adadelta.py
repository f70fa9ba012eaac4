"""Adadelta: steps sized by the ratio of running RMS of past updates to running RMS of gradients."""

from ..backend import get_array_module
from .optimizer import Optimizer, check_hyperparameters, with_weight_decay


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012), torch.optim.Adadelta's update rule and defaults.

    With g = ∇L(θ) (+ λθ for ``weight_decay``; −∇L under ``maximize``), decay ρ::

        E[g²]  ← ρ·E[g²] + (1 − ρ)·g²
        Δθ     = √(E[Δθ²] + ε) / √(E[g²] + ε) · g      (E[Δθ²] still from the previous step)
        E[Δθ²] ← ρ·E[Δθ²] + (1 − ρ)·Δθ²
        θ      ← θ − lr·Δθ

    Deck D2 ("优化算法 : Adadelta") has the same two running averages but shifts the indices:
    it divides by E[g²]_{t−1} and multiplies by E[Δθ²]_{t−2}. The standard form (Zeiler's
    Algorithm 1) uses the gradient average that already includes the current gradient, E[g²]_t,
    and the update average up to the previous step, E[Δθ²]_{t−1}, as here. Zeiler has no learning
    rate; torch's ``lr`` scales the step and defaults to 1, which is Zeiler's method.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        check_hyperparameters("Adadelta", lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        if rho > 1:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {rho}")
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            state["acc_delta"] = xp.zeros_like(param)
        state["step"] += 1
        grad = with_weight_decay(grad, param, group["weight_decay"])
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta
