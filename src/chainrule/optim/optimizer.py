"""The optimizer base class: parameter groups, per-parameter state, and checkpoints of both.

An optimizer owns lists of parameters (``param_groups``, each a dict holding its ``params`` and
its own hyperparameters: ``lr``, ``momentum`` …) and, for every parameter it has updated, a dict
of state (momentum buffers, running averages, a step count). ``step()`` reads each parameter's
``.grad`` and changes the parameter's array IN PLACE, with one NumPy/CuPy code path
(``xp = get_array_module(param)``); the gradients themselves are never modified.

A concrete optimizer only writes ``_update(param, grad, state, group)`` for one parameter array;
the loop over groups and parameters, ``maximize``, ``zero_grad`` and ``state_dict`` live here.
The layout of ``state_dict()`` is PyTorch's, so the same checkpoint code serves both.
"""

from .. import backend
from ..autograd import Tensor, enable_grad


class ParameterState:
    """The optimizer state of each parameter, looked up by the parameter itself.

    ``state[p]`` is a dict, created empty on first use (as torch's ``defaultdict``). Entries are
    keyed by identity: Tensors compare element-wise, so they cannot be dict keys by value. Each
    entry keeps its parameter alive, so an ``id`` is never reused while it is a key.
    """

    def __init__(self):
        self._entries = {}  # id(param) -> (param, state dict)

    def __getitem__(self, param):
        if id(param) not in self._entries:
            self._entries[id(param)] = (param, {})
        return self._entries[id(param)][1]

    def __contains__(self, param):
        return id(param) in self._entries

    def __len__(self):
        return len(self._entries)

    def items(self):
        return list(self._entries.values())


class Optimizer:
    """Base class of every optimizer.

    ``params`` is an iterable of Tensors (``requires_grad=True`` leaves, e.g.
    ``model.parameters()``) or of dicts, each one parameter group with its own options::

        SGD([{"params": body.parameters()},
             {"params": head.parameters(), "lr": 1e-2}], lr=1e-3, momentum=0.9)

    ``defaults`` holds every option a group may set; a group that leaves one out takes the default.
    """

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(
                "optimizer params must be an iterable of Tensors or of dicts, "
                "got a single Tensor; wrap it in a list"
            )
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = ParameterState()
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (the rest taken from ``defaults``)."""
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (shape {p.shape}, made by "
                    f"{p.grad_fn.__name__}); optimize the leaf it was computed from"
                )
        known = {id(p) for g in self.param_groups for p in g["params"]}
        fresh = {id(p) for p in params}
        if len(fresh) < len(params) or known & fresh:
            raise ValueError(
                "some parameters appear more than once in the optimizer's parameter groups"
            )
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        group["params"] = params
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: ``grad = None`` (the default) or a zero array."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:  # a fresh array: autograd may share one gradient array between two leaves
                    p.grad.data = backend.get_array_module(p.grad.data).zeros_like(p.grad.data)

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss if given.

        ``closure`` re-evaluates the model and returns the loss (it should zero the gradients and
        call ``backward()`` itself); it runs with gradient recording on.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad.data if group.get("maximize", False) else p.grad.data
                self._update(p.data, grad, self.state[p], group)
        return loss

    def _update(self, param, grad, state, group):
        """Change the array ``param`` in place from its gradient ``grad`` (already negated under
        ``maximize``; never modify it), its ``state`` dict and its ``group``'s options."""
        raise NotImplementedError

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state in torch's layout, ready for a checkpoint::

            {"state": {0: {"step": 3, "exp_avg": array, ...}, 1: {...}},
             "param_groups": [{"lr": 1e-3, ..., "params": [0, 1]}, ...]}

        Parameters are numbered in group order. The arrays are the live buffers (as torch's
        tensors): save or copy them before the next ``step()`` changes them.
        """
        index = {}
        groups, state = [], {}
        for group in self.param_groups:
            packed = {name: value for name, value in group.items() if name != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        for p, entries in self.state.items():
            state[index[id(p)]] = dict(entries)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()`` into an optimizer built over parameters of the same shapes.

        State arrays (Tensors or NumPy/CuPy arrays) are copied onto each parameter's device, in
        its dtype when floating; ``step`` becomes an int; group options come back as Python
        numbers (and tuples), whatever container the checkpoint used.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the state has {len(saved_groups)} parameter "
                f"groups, this optimizer {len(self.param_groups)}"
            )
        by_index = {}
        for number, (saved, ours) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(ours["params"]):
                raise ValueError(
                    f"load_state_dict: parameter group {number} has "
                    f"{len(saved['params'])} parameters in the state, "
                    f"{len(ours['params'])} in this optimizer"
                )
            by_index.update({int(i): p for i, p in zip(saved["params"], ours["params"])})
        self.state = ParameterState()
        for i, entries in state_dict["state"].items():
            param = by_index[int(i)]
            self.state[param].update(
                {name: _restore_entry(name, value, param) for name, value in entries.items()}
            )
        for saved, ours in zip(saved_groups, self.param_groups):
            ours.update({name: _plain(value) for name, value in saved.items() if name != "params"})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {number} ({len(group['params'])} params): {options}")
        return "\n".join(lines + [")"])


def with_weight_decay(grad, param, weight_decay):
    """The gradient of loss + (weight_decay/2)·‖θ‖²: ``grad + weight_decay·param`` (L2 penalty,
    see ``chainrule.optim.l2_penalty``); ``grad`` itself when the decay is 0."""
    return grad + weight_decay * param if weight_decay != 0 else grad


def check_hyperparameters(optimizer_name, **values):
    """Reject negative hyperparameters (an lr, an eps, a decay) with a message naming them."""
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{optimizer_name}: {name} must be >= 0, got {value}")


def refuse_unsupported(optimizer_name, **switches):
    """Refuse torch's implementation switches chainrule does not have (``foreach``, ``fused``,
    ``capturable``, ``differentiable``) unless they are off (None or False), naming them: they
    are not supported, and accepting them silently would promise what is not done."""
    chosen = [f"{name}={value!r}" for name, value in switches.items() if value not in (None, False)]
    if chosen:
        raise ValueError(
            f"{optimizer_name}: {', '.join(chosen)} is not supported (chainrule has "
            "one plain NumPy/CuPy implementation of each optimizer)"
        )


def _restore_entry(name, value, param):
    if name == "step":
        return int(value)
    if isinstance(value, Tensor):
        value = value.data
    if not hasattr(value, "shape"):
        return value
    array = backend.to_device(value, param.device)
    dtype = param.dtype if array.dtype.kind == "f" else array.dtype
    return array.astype(dtype, copy=True)


def _plain(value):
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value.item() if hasattr(value, "item") else value
