"""Weight penalties a loss can add: L1 (sparsity) and L2 (weight decay), deck D2's regularisation.

Deck D2 ("正规化 : L1 and L2") regularises with L(y, ŷ) = ℒ(y, ŷ) + λ·R(W), but its slide swaps
the two names: it labels ‖W‖² as "L1" and ‖W‖ as "L2". The standard names, used here, are

* L1: R(W) = Σ|w|       (the L1 norm; gradient λ·sign(w), pushes weights to exactly 0)
* L2: R(W) = ½·Σw²      (half the squared L2 norm; gradient λ·w, shrinks every weight)

The ½ is deck D1's convention ("1.1.4 Demonstration of BP Algorithm": J(W, b) = Σ L + ½λ‖W‖²_F):
with it, adding λ·l2_penalty(params) to the loss gives the same gradient as
``SGD(..., weight_decay=λ)`` (or Adam's), which adds λθ.

Both are differentiable functions of the parameters built from ``chainrule.functional`` ops::

    loss = F.cross_entropy(model(x), y) + 1e-4 * l2_penalty(model.parameters())
"""

import functools

from .. import functional as F
from ..autograd import Tensor


def l1_penalty(parameters):
    """Σ over every parameter of Σ|w|: the L1 norm of all weights as one 0-d Tensor.

    Gradient sign(w) (0 at w = 0, the subgradient torch's ``abs`` uses too).
    """
    return _total("l1_penalty", parameters, lambda w: F.sum(F.abs(w)))


def l2_penalty(parameters):
    """½ · Σ over every parameter of Σw²: half the squared L2 norm, as one 0-d Tensor.

    Gradient w, so ``loss + λ·l2_penalty(params)`` has gradient ∇loss + λw: SGD's weight decay λ.
    """
    return _total("l2_penalty", parameters, lambda w: F.mul(F.sum(F.mul(w, w)), 0.5))


def _total(name, parameters, term):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not parameters:
        raise ValueError(f"{name}: got no parameters")
    return functools.reduce(F.add, [term(w) for w in parameters])
