"""``Module``: the base class of every layer and model, holding parameters, buffers and submodules.

A module is a function with state (Chainer's "link"): ``forward`` computes with the stateless ops
of ``chainrule.functional``, and the state lives in three registries filled by plain attribute
assignment, as in PyTorch::

    self.weight = Parameter(...)            # learnable, in parameters() and state_dict()
    self.register_buffer("running_mean", t) # not learnable, in buffers() and state_dict()
    self.fc = Linear(784, 10)               # a submodule, walked recursively

From the registries come everything else: ``parameters()`` for an optimizer, ``state_dict()`` /
``load_state_dict()`` for checkpoints, ``train()`` / ``eval()``, ``to(device or dtype)``,
``zero_grad()`` and a nested ``repr``.
"""

from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..autograd import Tensor
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class RemovableHandle:
    """Returned by ``register_forward_pre_hook`` / ``register_forward_hook``; ``remove()`` it."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)


class Module:
    """Base class of layers and models: subclass it, assign state in ``__init__``, write
    ``forward``.

    Call the module (``model(x)``), not ``forward``: the call runs the forward pre-hooks, then
    ``forward``, then the forward hooks. ``training`` is True after construction and ``train()``,
    False after ``eval()``; layers such as Dropout and BatchNorm read it.
    """

    def __init__(self):
        set_raw = super().__setattr__
        set_raw("training", True)
        set_raw("_parameters", OrderedDict())
        set_raw("_buffers", OrderedDict())
        set_raw("_non_persistent_buffers", set())
        set_raw("_modules", OrderedDict())
        set_raw("_forward_pre_hooks", OrderedDict())
        set_raw("_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define one")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # -- registration -----------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; "
                f"call super().__init__() first in {type(self).__name__}"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(a Parameter or None is expected)"
                )
            self._parameters[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as submodule {name!r} "
                    "(a Module or None is expected)"
                )
            self._modules[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} "
                    "(a Tensor or None is expected)"
                )
            self._buffers[name] = value
        else:
            super().__setattr__(name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: the registries are searched here.
        registries = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in registries and name in registries[registry]:
                return registries[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        super().__delattr__(name)

    def _forget(self, name):
        """Remove ``name`` from every registry and the instance dict before re-registering it."""
        for registry in (self._parameters, self._buffers, self._modules, self.__dict__):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def _check_new_name(self, kind, name):
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        if hasattr(self, name) and name not in getattr(self, f"_{kind}s", {}):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        self._check_new_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter({name!r}): expected a Parameter or None, "
                f"got {type(param).__name__}"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor that is state but not learnt (BatchNorm's running mean).

        Persistent buffers go into ``state_dict()``; ``persistent=False`` ones do not.
        """
        self._check_new_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer({name!r}): expected a Tensor or None, got {type(tensor).__name__}"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as a submodule called ``name``."""
        self._check_new_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a Module, got {type(module).__name__}")
        self._modules[name] = module

    def register_forward_pre_hook(self, hook):
        """Run ``hook(module, args)`` before each forward; a non-None result replaces ``args``."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook):
        """Run ``hook(module, args, output)`` after each forward; a non-None result replaces it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -- walking the tree -------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, each module once,
        parents before children."""
        return self._walk(prefix, set())

    def _walk(self, prefix, seen):
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child._walk(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, recurse):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, recurse=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers appears once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse):
            yield param

    def named_buffers(self, recurse=True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes, gradients, device and dtype -------------------------------------------------
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on self and every submodule."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self):
        """Reset every parameter's gradient to None (so the next backward starts afresh)."""
        for param in self.parameters():
            param.grad = None

    def to(self, *args, device=None, dtype=None):
        """Move every parameter and buffer to ``device`` and/or cast floating ones to ``dtype``.

        In place, returning self: ``model.to("cuda")``, ``model.to(chainrule.float64)``,
        ``model.to("cpu", chainrule.float32)``. Parameters stay the same Parameter objects (only
        their ``.data`` changes), so an optimizer built before keeps working.
        """
        for arg in args:
            if isinstance(arg, str):
                device = arg
            else:
                dtype = arg
        if device is not None:
            device = backend.normalize_device(device)
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"Module.to: dtype must be floating point, got {dtype}")

        def convert(array):
            if device is not None:
                array = backend.to_device(array, device)
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            return array

        for tensor in _unique(list(self.parameters()) + list(self.buffers())):
            tensor.data = convert(tensor.data)
            if tensor.grad is not None:
                tensor.grad = Tensor(convert(tensor.grad.data))
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    # -- checkpoints ------------------------------------------------------------------------
    def _state_tensors(self, prefix=""):
        """Every tensor ``state_dict`` saves, in PyTorch's order: own parameters, own
        persistent buffers, then each child's, recursively (shared modules under every name)."""
        entries = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                entries[prefix + name] = param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                entries[prefix + name] = buffer
        for name, child in self._modules.items():
            if child is not None:
                entries.update(child._state_tensors(prefix + name + "."))
        return entries

    def state_dict(self):
        """An OrderedDict from dotted names to detached Tensors sharing the module's arrays."""
        return OrderedDict(
            (name, Tensor(tensor.data)) for name, tensor in self._state_tensors().items()
        )

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Values may be chainrule Tensors or anything NumPy converts (NumPy arrays, CPU torch
        tensors); each is copied into the existing array, keeping its device and dtype. Every
        problem is gathered into one error: a shape mismatch always fails; missing and unexpected
        keys fail when ``strict`` (the default). Nothing is copied unless everything checks.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        targets = self._state_tensors()
        missing = [name for name in targets if name not in state_dict]
        unexpected = [name for name in state_dict if name not in targets]
        values, problems = {}, []
        for name, target in targets.items():
            if name in state_dict:
                value = _as_array_on(state_dict[name], target.data)
                if value.shape != target.shape:
                    problems.append(
                        f"size mismatch for {name}: copying a param with shape "
                        f"{tuple(value.shape)} from checkpoint, the shape in current "
                        f"model is {tuple(target.shape)}."
                    )
                values[name] = value
        if strict and unexpected:
            problems.insert(
                0,
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".",
            )
        if strict and missing:
            problems.insert(
                0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + "."
            )
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        for name, value in values.items():
            targets[name].data[...] = value
        return IncompatibleKeys(missing, unexpected)

    # -- description ------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (constructor arguments)."""
        return ""

    def __repr__(self):
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [
            f"({name}): " + _indent(repr(module), 2) for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"


def _indent(text, spaces):
    """Indent every line of ``text`` but the first (for nesting a child's repr)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


def _unique(tensors):
    seen, unique = set(), []
    for tensor in tensors:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            unique.append(tensor)
    return unique


def _as_array_on(value, like):
    """``value`` (Tensor, NumPy/CuPy array, CPU torch tensor, number) as an array with the
    device and dtype of the array ``like``."""
    if isinstance(value, Tensor):
        value = value.data
    elif backend.get_array_module(value) is np:
        value = np.asarray(value)
    value = backend.to_device(value, backend.device_of(like))
    return value.astype(like.dtype, copy=False)
