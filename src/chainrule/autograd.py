"""Tensor, Function and backward(): the chain rule, and nothing else.

A ``Tensor`` wraps one NumPy or CuPy array. Every differentiable op is a ``Function`` whose
``forward(ctx, *arrays)`` computes the output from raw arrays and whose ``backward(ctx, *grads)``
turns the gradient of the loss with respect to the outputs into the gradient with respect to the
inputs (the error term δ of deck D1, "1.1.4 Demonstration of BP Algorithm", and deck D2,
"Back Propagation", propagated one op at a time). ``Function.apply`` records a
node — the ``ctx`` — linking the output tensors to the input tensors; ``Tensor.backward`` visits
those nodes in reverse topological order and applies each ``backward``.

The arithmetic operators and methods of ``Tensor`` (``+``, ``@``, ``.sum()``, ``.exp()``, …) are
bound in ``chainrule.functional.methods``, so this module needs no op of its own but the device
and dtype move, ``Tensor.to``.
"""

import contextlib
import warnings
import weakref

import numpy as np

from . import backend
from .errors import AnomalyError

_grad_enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, self.enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous


def no_grad():
    """Context manager (or decorator) in which ops record no graph, as ``torch.no_grad``."""
    return _GradMode(False)


def enable_grad():
    """Context manager (or decorator) that turns graph recording back on inside ``no_grad``."""
    return _GradMode(True)


_anomaly_enabled = False


def is_anomaly_enabled():
    """True while anomaly detection is on (``detect_anomaly()``, ``set_detect_anomaly(True)``)."""
    return _anomaly_enabled


class detect_anomaly:
    """Context manager that checks every op for NaN and infinity, as
    ``torch.autograd.detect_anomaly``: where did the loss that turned to NaN come from?

    Inside it, the first op whose forward output or backward gradient holds a NaN or an
    infinite value raises a RuntimeError naming the op (its Function class) and the pass,
    forward or backward. The checks read every array an op returns; outside, they cost one
    bool test per op. Infinities put in on purpose (a mask of -inf) trip them too.
    """

    def __enter__(self):
        global _anomaly_enabled
        self.previous, _anomaly_enabled = _anomaly_enabled, True
        return self

    def __exit__(self, *exc):
        global _anomaly_enabled
        _anomaly_enabled = self.previous


class set_detect_anomaly:
    """Turn anomaly detection (see ``detect_anomaly``) on or off at once, as
    ``torch.autograd.set_detect_anomaly``; used in a ``with`` block, the previous setting
    comes back at its end."""

    def __init__(self, mode):
        global _anomaly_enabled
        self.previous, _anomaly_enabled = _anomaly_enabled, bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _anomaly_enabled
        _anomaly_enabled = self.previous


def _check_finite(function, stage, arrays, inputs=()):
    """Under ``detect_anomaly``: raise naming ``function`` and ``stage`` ("forward" or
    "backward") when one of ``arrays`` (its outputs, or its input gradients) is not finite."""
    for i, array in enumerate(arrays if type(arrays) is tuple else (arrays,)):
        if array is None or array.dtype.kind not in "fc":
            continue
        xp = backend.get_array_module(array)
        if xp.isfinite(array).all():
            continue
        found = "NaN" if xp.isnan(array).any() else "infinite"
        part = f"output {i}" if stage == "forward" else f"gradient for input {i}"
        origin = next(
            (
                f"; its input {j} already held non-finite values (from the data, a "
                "parameter or an op run before the checks)"
                for j, t in enumerate(inputs)
                if t is not None
                and t.dtype.kind in "fc"
                and not backend.get_array_module(t.data).isfinite(t.data).all()
            ),
            "",
        )
        raise AnomalyError(
            f"detect_anomaly: {function.__name__}'s {stage} returned {found} "
            f"values in its {part} (shape {tuple(array.shape)}){origin}"
        )


_tracer = None


def set_tracer(tracer):
    """Call ``tracer(function, inputs, options, outputs)`` after every op from now on (None:
    stop), and return the previous one. ``chainrule.onnx`` records a model's ops this way, as
    ``torch.jit.trace`` does; when no tracer is set, an op pays one check for it."""
    global _tracer
    previous, _tracer = _tracer, tracer
    return previous


class Context:
    """What one op remembers between its forward and its backward: the graph node.

    ``save_for_backward`` keeps the arrays backward needs; any other attribute (a stride, a
    mask shape) may be set on it freely. ``needs_input_grad[i]`` tells forward and backward
    whether input ``i`` wants a gradient, so work for the others can be skipped.
    """

    saved_tensors = ()
    retained = ()  # (output index, weak reference) of each output that retain_grad()
    watched = ()  # (weak reference, version, "input"/"output", index) of each saved tensor
    outputs_meta = ()  # (shape, dtype) of each output, for zero gradients of unused outputs
    freed = False

    def __init__(self, function, inputs, needs_input_grad):
        self.function = function
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def free(self):
        """Drop what forward saved; a second backward through this node then fails clearly."""
        kept = {
            name: getattr(self, name) for name in ("function", "inputs", "outputs_meta", "retained")
        }
        self.__dict__.clear()
        self.__dict__.update(kept, needs_input_grad=(), saved_tensors=None, freed=True)


class Function:
    """Base class of every differentiable op.

    Subclasses define two static methods on raw arrays (never Tensors)::

        forward(ctx, *arrays, **options) -> array or tuple of arrays
        backward(ctx, *output_grads)     -> one gradient (or None) per input array

    and are called through ``apply(*inputs, **options)``, which takes Tensors, arrays or Python
    numbers, checks that the tensors share one device and one floating dtype, and records the
    graph node when a gradient is wanted. An input may be ``None`` (an absent bias, an
    unweighted loss): forward receives ``None`` in its place, ``ctx.needs_input_grad`` is False
    for it, and backward returns ``None`` as its gradient, as in ``torch.autograd.Function``.
    """

    @staticmethod
    def forward(ctx, *arrays, **options):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        tensors = _as_tensors(cls.__name__, inputs)
        needs = tuple([t is not None and t.requires_grad for t in tensors])
        requires_grad = _grad_enabled and True in needs
        if requires_grad:
            ctx = Context(cls, tensors, needs)
        else:
            ctx = Context(cls, None, (False,) * len(tensors))
        raw = cls.forward(ctx, *[None if t is None else t.data for t in tensors], **options)
        if _anomaly_enabled:
            _check_finite(cls, "forward", raw, tensors)
        if type(raw) is tuple:
            raw = tuple([np.asarray(a) if isinstance(a, np.generic) else a for a in raw])
            outputs = tuple([Tensor(a, requires_grad, ctx, i) for i, a in enumerate(raw)])
            if requires_grad:
                ctx.outputs_meta = tuple([(a.shape, a.dtype) for a in raw])
                _watch_saved(ctx, outputs)
        else:
            if isinstance(raw, np.generic):  # NumPy gives scalars for 0-d results; keep arrays
                raw = np.asarray(raw)
            outputs = Tensor(raw, requires_grad, ctx, 0)
            if requires_grad:
                ctx.outputs_meta = ((raw.shape, raw.dtype),)
                _watch_saved(ctx, (outputs,))
        if _tracer is not None:
            _tracer(cls, tensors, options, outputs)
        return outputs


def _watch_saved(ctx, outputs):
    """Note the version of each input or output whose array ``forward`` saved, so backward can
    tell that an in-place op rewrote it since (PyTorch's version counter). Weak references:
    an output holds its node, so a strong one would make a cycle."""
    saved = set()
    for array in ctx.saved_tensors:
        if array is not None:
            saved.add(id(array))
            base = getattr(array, "base", None)
            if base is not None:
                saved.add(id(base))
    if not saved:
        return
    watched = [
        (weakref.ref(t), t._version, "input", i)
        for i, t in enumerate(ctx.inputs)
        if t is not None and id(t.data) in saved
    ]
    watched += [
        (weakref.ref(t), 0, "output", i) for i, t in enumerate(outputs) if id(t.data) in saved
    ]
    ctx.watched = watched


def _check_watched(node):
    """Raise if an array ``node`` saved for backward was rewritten in place since forward."""
    for ref, version, role, index in node.watched:
        tensor = ref()
        if tensor is not None and tensor._version != version:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {role} {index} of {node.function.__name__} (shape "
                f"{tuple(tensor.shape)}) is at version {tensor._version}; expected version "
                f"{version} instead. Do the in-place op after backward(), or out of place."
            )


def _as_tensors(op, inputs):
    """Wrap every input as a Tensor and check they share one device and one float dtype.

    Python numbers take the dtype of the first floating tensor among the inputs (``x * 2``
    stays float32), or the default dtype for a float next to integer tensors.
    """
    for x in inputs:
        if not isinstance(x, Tensor):
            reference = None
            for t in inputs:
                if isinstance(t, Tensor) and (reference is None or reference.dtype.kind != "f"):
                    reference = t
            inputs = tuple([_wrap(t, reference) for t in inputs])
            break
    if len(inputs) > 1:
        _check_compatible(op, inputs)
    return inputs


def _wrap(x, reference):
    """One input as a Tensor, on ``reference``'s device when it is a number or a list.

    A number (Python's or a NumPy scalar) is a constant of the reference's floating dtype;
    ``None`` (an absent optional input) stays ``None``.
    """
    if x is None or isinstance(x, Tensor):
        return x
    if reference is not None and isinstance(x, (int, float, np.number)):
        xp = backend.get_array_module(reference.data)
        dtype = reference.dtype
        if dtype.kind != "f":
            dtype = backend.get_default_dtype() if isinstance(x, (float, np.floating)) else None
        return Tensor(xp.asarray(x, dtype=dtype))
    device = reference.device if reference is not None else backend.device_of(x)
    return Tensor(backend.as_array(x, device=device))


def _check_compatible(op, tensors):
    """Same device and at most one floating dtype among the inputs (fast when all match)."""
    if any(t is None for t in tensors):
        tensors = [t for t in tensors if t is not None]
        if len(tensors) < 2:
            return
    first = tensors[0].data
    array_type, dtype = type(first), first.dtype
    for t in tensors:
        if type(t.data) is not array_type or t.data.dtype is not dtype:
            _check_mixed(op, tensors)
            return


def _check_mixed(op, tensors):
    if len({t.device for t in tensors}) > 1:
        described = ", ".join(f"{t.shape} on {t.device}" for t in tensors)
        raise backend.DeviceError(
            f"{op}: inputs are on different devices ({described}); move them with .to(device) first"
        )
    if len({t.dtype for t in tensors if t.dtype.kind == "f"}) > 1:
        described = ", ".join(f"{t.shape} {t.dtype}" for t in tensors)
        raise TypeError(
            f"{op}: inputs have different floating dtypes ({described}); "
            "convert them with .to(dtype) first"
        )


NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during backward(). If you indeed want the .grad field to be "
    "populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access "
    "the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead."
)


class Tensor:
    """An n-dimensional array that remembers how it was computed, so it can be differentiated.

    ``data`` is the raw NumPy or CuPy array, ``grad`` the accumulated gradient (a Tensor, or
    None), ``requires_grad`` whether gradients flow to it. Build one with ``chainrule.tensor``.
    """

    __slots__ = (
        "data",
        "_grad",
        "requires_grad",
        "_node",
        "_output_index",
        "_version",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, _node=None, _output_index=0):
        self.data = data
        self._grad = None
        self.requires_grad = requires_grad
        self._node = _node if requires_grad else None
        self._output_index = _output_index
        self._version = 0  # bumped by every in-place op (see functional/methods.py)

    # -- description ------------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        """The op that produced this tensor (None for leaves and tensors outside the graph)."""
        return None if self._node is None else self._node.function

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.data.size)

    def dim(self):
        return self.ndim

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.numpy(), precision=4, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != backend.get_default_dtype() and self.dtype != backend.int64:
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.function.__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # -- leaving the graph ------------------------------------------------------------------
    def numpy(self):
        """The data as a NumPy array (copied from the GPU if needed; shares memory on the CPU)."""
        return self.data if self.device == "cpu" else backend.cupy.asnumpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item(): only a one-element tensor converts to a Python number, "
                f"this one has shape {self.shape}"
            )
        return self.data.reshape(()).item()

    def detach(self):
        """A tensor sharing this data, cut from the graph."""
        return Tensor(self.data)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()``, as torch
        does (on a leaf, which keeps it anyway, a no-op)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None and not self.retains_grad:
            self._node.retained += ((self._output_index, weakref.ref(self)),)

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose ``retain_grad()`` was called."""
        return self._node is not None and any(
            i == self._output_index and ref() is self for i, ref in self._node.retained
        )

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (a Tensor), or None.

        Only leaves (and tensors that ``retain_grad()``) keep one; reading it on any other
        tensor warns, as torch does, and gives None.
        """
        if self._node is not None and not self.retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    def requires_grad_(self, requires_grad=True):
        if self._node is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) only works on leaf tensors; use detach()")
        self.requires_grad = requires_grad
        return self

    # -- device and dtype -------------------------------------------------------------------
    def to(self, device=None, dtype=None):
        """Move to ``device`` and/or convert to ``dtype``; differentiable, like ``torch.Tensor.to``.

        ``t.to("cuda")``, ``t.to(chainrule.float64)`` and ``t.to("cpu", dtype=...)`` all work.
        """
        if device is not None and not _looks_like_device(device):
            device, dtype = None, device
        target_device = self.device if device is None else backend.normalize_device(device)
        target_dtype = self.dtype if dtype is None else np.dtype(dtype)
        if target_device == self.device and target_dtype == self.dtype:
            return self
        if target_dtype.kind != "f":  # integers and bools carry no gradient, as in torch
            return Tensor(backend.to_device(self.data, target_device).astype(target_dtype))
        return Convert.apply(self, device=target_device, dtype=target_dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtype=backend.float32)

    def double(self):
        return self.to(dtype=backend.float64)

    def half(self):
        return self.to(dtype=np.float16)

    def long(self):
        return self.to(dtype=backend.int64)

    def int(self):
        return self.to(dtype=np.int32)

    def bool(self):
        return self.to(dtype=backend.bool_)

    def clone(self):
        """A copy of this tensor in the graph: y = x, ∂L/∂x = ∂L/∂y."""
        return Clone.apply(self)

    # -- the chain rule ---------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) · gradient into ``.grad`` of every leaf that requires grad.

        ``gradient`` defaults to 1 for a one-element tensor and is required otherwise. The
        graph's saved arrays are freed afterwards unless ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph "
                "(was it computed inside no_grad(), or from tensors without "
                "requires_grad=True?)"
            )
        seed = self._seed_gradient(gradient)
        if self._node is None:
            _accumulate_leaf(self, seed, {id(seed)})
            return
        _run_backward(self._node, self._output_index, seed, retain_graph)

    def _seed_gradient(self, grad):
        xp = backend.get_array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): gradient can be left out only for a one-element "
                    f"output; this tensor has shape {self.shape}, so pass "
                    f"gradient= of that shape"
                )
            return xp.ones_like(self.data)
        grad = grad.data if isinstance(grad, Tensor) else grad
        if backend.device_of(grad) != self.device:
            raise backend.DeviceError(
                f"backward(): gradient is on {backend.device_of(grad)}, the tensor on {self.device}"
            )
        grad = xp.asarray(grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"backward(): gradient has shape {grad.shape}, the tensor has shape {self.shape}"
            )
        return grad


def _looks_like_device(value):
    return isinstance(value, str) and (value == "cpu" or value.startswith("cuda"))


def _topological_order(root):
    """Nodes reachable from ``root``, each before every node it takes input from.

    An explicit-stack depth-first post-order, so a 10,000-step recurrent graph does not touch
    Python's recursion limit.
    """
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for tensor in node.inputs:
            child = None if tensor is None else tensor._node
            if child is not None and child not in visited:
                stack.append((child, False))
    order.reverse()
    return order


def _run_backward(root, root_index, seed, retain_graph):
    pending = {root: [None] * len(root.outputs_meta)}
    pending[root][root_index] = seed
    claimed = {id(seed)}  # arrays a leaf must not adopt: the caller's, and those adopted
    xp = backend.get_array_module(seed)
    for node in _topological_order(root):
        if node.freed:
            raise RuntimeError(
                f"backward(): the graph through {node.function.__name__} was "
                "already freed by an earlier backward(); pass retain_graph=True "
                "to the first call to go through it twice"
            )
        output_grads = pending.pop(node, None)
        if output_grads is not None:  # None: every path to it returned a None gradient
            output_grads = [
                xp.zeros(shape, dtype) if g is None else g
                for g, (shape, dtype) in zip(output_grads, node.outputs_meta)
            ]
            _check_watched(node)
            if node.retained:
                _keep_retained(node, output_grads)
            input_grads = node.function.backward(node, *output_grads)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if _anomaly_enabled:
                _check_finite(node.function, "backward", input_grads)
            _route_gradients(node, input_grads, pending, claimed)
        if not retain_graph:
            node.free()


def _route_gradients(node, input_grads, pending, claimed):
    if len(input_grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.function.__name__}.backward returned {len(input_grads)} "
            f"gradients for {len(node.inputs)} inputs"
        )
    for tensor, grad in zip(node.inputs, input_grads):
        if grad is None or tensor is None or not tensor.requires_grad:
            continue
        if grad.shape != tensor.data.shape:
            raise RuntimeError(
                f"{node.function.__name__}.backward returned a gradient of shape "
                f"{grad.shape} for an input of shape {tensor.shape}"
            )
        if tensor._node is None:
            _accumulate_leaf(tensor, grad, claimed)
            continue
        slots = pending.get(tensor._node)
        if slots is None:
            slots = pending[tensor._node] = [None] * len(tensor._node.outputs_meta)
        i = tensor._output_index
        slots[i] = grad if slots[i] is None else slots[i] + grad


def _keep_retained(node, output_grads):
    """Add each output gradient of ``node`` into the ``.grad`` of the output tensors that
    ``retain_grad()`` (a copy: ``backward`` is still to read the array)."""
    for i, ref in node.retained:
        tensor = ref()
        if tensor is not None:
            grad = output_grads[i]
            tensor._grad = Tensor(grad.copy() if tensor._grad is None else tensor._grad.data + grad)


def _accumulate_leaf(tensor, grad, claimed):
    """Add ``grad`` into ``tensor.grad`` out of place.

    A first gradient is adopted without a copy when it is an array of its own; a view (e.g. a
    broadcast from ``sum``'s backward) or an array already adopted by another leaf (``add``
    hands one array to both inputs) is copied, so every ``.grad`` may be updated in place.
    """
    if grad.dtype != tensor.dtype:
        grad = grad.astype(tensor.dtype)
    if tensor._grad is None:
        if grad.base is not None or id(grad) in claimed:
            grad = grad.copy()
        claimed.add(id(grad))
        tensor._grad = Tensor(grad)
    else:
        tensor._grad = Tensor(tensor._grad.data + grad)


class Clone(Function):
    """A copy: y = x; backward passes the gradient through, ∂L/∂x = ∂L/∂y."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Convert(Function):
    """Move between devices and/or dtypes. Forward: y = x on the target; backward: the gradient
    moved back to x's device and dtype."""

    @staticmethod
    def forward(ctx, x, device, dtype):
        ctx.source = (backend.device_of(x), x.dtype)
        return backend.to_device(x, device).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        device, dtype = ctx.source
        return backend.to_device(grad, device).astype(dtype, copy=False)
