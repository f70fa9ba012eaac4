"""Adam and AdamW: momentum on the gradient plus an RMSprop-style per-coordinate scale."""

from ..backend import get_array_module
from .optimizer import Optimizer, check_hyperparameters, refuse_unsupported, with_weight_decay


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2014), torch.optim.Adam's update rule and defaults.

    With g = ∇L(θ) (+ λθ for ``weight_decay``, an L2 penalty; −∇L under ``maximize``) at step
    t = 1, 2, …::

        m ← β₁·m + (1 − β₁)·g                 (first moment: momentum)
        v ← β₂·v + (1 − β₂)·g²                (second moment: RMSprop's average)
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)   (bias correction)
        (``amsgrad``: v̂ uses v_max ← max(v_max, v), the largest v so far, instead of v)
        θ ← θ − lr · m̂ / (√v̂ + ε)

    Deck D2 ("优化算法 : Adam") writes the bias correction as m/(1 − β₁) and v/(1 − β₂): the
    power t is missing. m and v start at 0, so after t steps they are (1 − βᵗ) times the average
    they estimate; dividing by (1 − βᵗ) undoes exactly that, and tends to 1 as t grows. The slide
    also steps with λ/√(v_{t−1} + ε)·m̂_t: the standard form uses v̂_t of the same step, with ε
    outside the square root, as here.

    ``decoupled_weight_decay=True`` is AdamW's decay (see ``AdamW``). Not supported (an error if
    switched on): torch's ``foreach``, ``fused``, ``capturable``, ``differentiable``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        check_hyperparameters(type(self).__name__, lr=lr, eps=eps, weight_decay=weight_decay)
        refuse_unsupported(
            type(self).__name__,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
        )
        if not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def _update(self, param, grad, state, group):
        if group["decoupled_weight_decay"]:
            param *= 1 - group["lr"] * group["weight_decay"]
        else:
            grad = with_weight_decay(grad, param, group["weight_decay"])
        self._adam_step(param, grad, state, group)

    def _adam_step(self, param, grad, state, group):
        xp = get_array_module(param)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        correction1 = 1 - beta1**t
        correction2 = 1 - beta2**t
        denominator = xp.sqrt(exp_avg_sq) / correction2**0.5 + group["eps"]
        param -= (group["lr"] / correction1) * exp_avg / denominator


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019), torch.optim.AdamW's update rule and defaults.

    Adam with *decoupled* weight decay: the parameters shrink directly, θ ← θ·(1 − lr·λ), and
    then take Adam's step on the plain gradient g = ∇L(θ). In Adam, ``weight_decay`` adds λθ to g,
    so the decay is divided by √v̂ like the gradient and weights with large gradients are barely
    decayed; AdamW decays every weight at the same rate. Default λ = 1e-2 (torch's).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
        )
