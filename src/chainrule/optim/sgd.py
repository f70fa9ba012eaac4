"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from .optimizer import Optimizer, check_hyperparameters, refuse_unsupported, with_weight_decay


class SGD(Optimizer):
    r"""Stochastic (mini-batch) gradient descent, torch.optim.SGD's update rule and defaults.

    With g = ∇L(θ) (+ λθ for ``weight_decay`` λ; −∇L under ``maximize``), lr η, momentum μ and
    dampening τ::

        b ← g                    on the first step
        b ← μ·b + (1 − τ)·g      afterwards         (the momentum buffer)
        d ← g + μ·b  (nesterov)  or  d ← b  (plain momentum)  or  d ← g  (μ = 0)
        θ ← θ − η·d

    Deck D2's mini-batch rule ("优化算法 : SGD") θ_t = θ_{t−1} − λ Σ_{i∈batch} ∇ℒ(θ, x⁽ⁱ⁾, y⁽ⁱ⁾)
    sums the per-example gradients; with a mean-reduced loss (``reduction="mean"``, the default) g
    is their average, so the same step takes lr = n·λ for a batch of n.

    Deck D2 ("优化算法 : Mometum", "优化算法 : Nesterov Accelerated Gradient") writes momentum
    as a velocity that already holds the learning rate, v ← γv + η∇L(θ), θ ← θ − v. With τ = 0 and a
    constant η the two are the same method: v = η·b. They part when η changes (a scheduler): torch's
    buffer ``b`` carries raw gradients and the new η scales all of it at once, the deck's velocity
    keeps the old η inside. The deck's Nesterov step evaluates the gradient at the look-ahead point
    θ − γv; torch's ``g + μ·b`` is the same method rewritten (Sutskever et al. 2013) in the variable
    θ − γv, so that only the gradient at the current parameters is needed.

    Not supported (an error if switched on): torch's ``foreach``, ``fused``, ``differentiable``.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        check_hyperparameters("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        refuse_unsupported("SGD", foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: Nesterov momentum needs momentum > 0 and dampening = 0, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _update(self, param, grad, state, group):
        grad = with_weight_decay(grad, param, group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.astype(param.dtype)  # a copy
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= group["lr"] * grad
