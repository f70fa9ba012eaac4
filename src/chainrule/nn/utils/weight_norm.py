"""Weight normalisation (deck D2, "正规化 : Weight Normalization"; Salimans & Kingma 2016):
W = g · V / ‖V‖ (the slide's W′ = γ W / ‖W‖).

The direction V and the length g are learnt separately, which decouples a weight's norm from its
direction and speeds up SGD. ``weight_norm(module)`` replaces the parameter ``weight`` by
``weight_g`` and ``weight_v`` (PyTorch's names, so state dicts match) and recomputes ``weight``
from them in a forward pre-hook, so the gradient reaches g and V through ordinary ops:

    ∂L/∂g = (∂L/∂W · V) / ‖V‖,   ∂L/∂V = (g / ‖V‖) (∂L/∂W − (∂L/∂g / ‖V‖) V)

(the norm taken per slice along ``dim``: per output unit for dim=0).
"""

from ... import functional as F
from ..parameter import Parameter


def _norm_except_dim(v, dim):
    """‖v‖ over every axis but ``dim`` (keeping them as size 1); over all axes, as a 0-d
    tensor, when ``dim`` is None."""
    if dim is None:
        return F.sqrt(F.sum(F.mul(v, v)))
    axes = tuple(axis for axis in range(v.ndim) if axis != dim)
    return F.sqrt(F.sum(F.mul(v, v), dim=axes, keepdim=True))


class WeightNorm:
    """The forward pre-hook that rebuilds ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return F.mul(v, F.div(g, _norm_except_dim(v, self.dim)))

    def __call__(self, module, args):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as g · v / ‖v‖ (in place; returns the module).

    ``g`` has the weight's shape with 1s on every axis but ``dim`` (dim=None: one scalar for
    the whole tensor); ``v`` starts as the weight, ``g`` as its norm, so the output is unchanged.
    Negative ``dim`` counts from the end (in PyTorch, -1 means None).
    """
    if any(
        isinstance(hook, WeightNorm) and hook.name == name
        for hook in module._forward_pre_hooks.values()
    ):
        raise RuntimeError(
            f"weight_norm: {type(module).__name__}.{name} is already weight-normalised"
        )
    weight = getattr(module, name)
    if not isinstance(weight, Parameter):
        raise TypeError(f"weight_norm: {type(module).__name__}.{name} is not a Parameter")
    if dim is not None:
        dim %= weight.ndim
    hook = WeightNorm(name, dim)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim).data.copy()))
    module.register_parameter(name + "_v", Parameter(weight.data))
    setattr(module, name, hook.compute_weight(module))
    hook.handle = module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold g · v / ‖v‖ back into one parameter ``<name>`` and drop the hook; returns the module."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == name:
            break
    else:
        raise ValueError(
            f"remove_weight_norm: {type(module).__name__}.{name} is not weight-normalised"
        )
    weight = hook.compute_weight(module)
    hook.handle.remove()
    delattr(module, name)
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    module.register_parameter(name, Parameter(weight.data))
    return module
