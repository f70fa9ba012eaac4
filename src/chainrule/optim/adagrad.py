"""Adagrad: a per-coordinate learning rate that shrinks with the gradients seen so far."""

from ..backend import get_array_module
from .optimizer import Optimizer, check_hyperparameters, with_weight_decay


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al. 2011), torch.optim.Adagrad's update rule and defaults.

    With g = ∇L(θ) (+ λθ for ``weight_decay``; −∇L under ``maximize``) at step t = 1, 2, …::

        η_t = lr / (1 + (t − 1)·lr_decay)
        G  ← G + g²                     (G starts at ``initial_accumulator_value``)
        θ  ← θ − η_t · g / (√G + ε)

    Deck D2 ("优化算法 : Adagrad") writes θ_t = θ_{t−1} − λ/√(G_{t−1} + ε) · g_{t−1} with G the
    sum of the squared gradients up to and including g_{t−1} (its G_{t,ii} = Σ_{j≤t} g_{t,i}²
    should read g_{j,i}²): the same rule, but with ε inside the square root. Here ε is outside,
    as in torch (the difference is invisible once G ≫ ε).
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        check_hyperparameters(
            "Adagrad",
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _update(self, param, grad, state, group):
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        grad = with_weight_decay(grad, param, group["weight_decay"])
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param -= lr * grad / (xp.sqrt(state["sum"]) + group["eps"])
