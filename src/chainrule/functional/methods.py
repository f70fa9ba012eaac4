"""Tensor's operators and methods (``a + b``, ``a @ b``, ``t.sum(1)``, ``t.relu()`` …).

``autograd.Tensor`` knows nothing about arithmetic; importing ``chainrule.functional`` runs this
module, which binds PyTorch's operator and method names to the functional ops. Comparisons give
bool tensors outside the graph, as PyTorch's do.

In-place methods (``add_``, ``mul_``, ``zero_``, …) follow PyTorch's rules. Each bumps the
tensor's ``_version``; a node that saved the tensor's array for backward checks the version
there and refuses to use a rewritten array. With grad mode on, a leaf that requires grad may
not be changed in place (wrap the update in ``no_grad()``, as optimizers do). Unlike PyTorch,
a non-leaf tensor of the graph may not be changed in place either: chainrule's graph links
tensors, not their history, so rewriting one would change what earlier ops computed from.
"""

from ..autograd import Tensor, is_grad_enabled
from ..backend import as_array, device_of, get_array_module, to_device
from . import activation
from . import math as ops


def _data(x):
    return x.data if isinstance(x, Tensor) else x


# -- operators -------------------------------------------------------------------------------


def _comparison(compare):
    def method(self, other):
        return Tensor(compare(self.data, _data(other)))

    return method


def _one_element(convert, name):
    def method(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"{name}() of a tensor with more than one element (shape {self.shape}) is ambiguous"
            )
        return convert(self.data.reshape(()).item())

    return method


_OPERATORS = {
    "__add__": ops.add,
    "__radd__": lambda self, other: ops.add(other, self),
    "__sub__": ops.sub,
    "__rsub__": lambda self, other: ops.sub(other, self),
    "__mul__": ops.mul,
    "__rmul__": lambda self, other: ops.mul(other, self),
    "__truediv__": ops.div,
    "__rtruediv__": lambda self, other: ops.div(other, self),
    "__pow__": ops.pow,
    "__rpow__": lambda self, other: ops.pow(other, self),
    "__matmul__": ops.matmul,
    "__rmatmul__": lambda self, other: ops.matmul(other, self),
    "__neg__": ops.neg,
    "__abs__": ops.abs,
    "__getitem__": ops.getitem,
    "__lt__": _comparison(lambda a, b: a < b),
    "__le__": _comparison(lambda a, b: a <= b),
    "__gt__": _comparison(lambda a, b: a > b),
    "__ge__": _comparison(lambda a, b: a >= b),
    "__eq__": _comparison(lambda a, b: a == b),
    "__ne__": _comparison(lambda a, b: a != b),
    # __eq__ is element-wise, yet tensors stay hashable by identity (dict keys, sets).
    "__hash__": object.__hash__,
    "__bool__": _one_element(bool, "bool"),
    "__float__": _one_element(float, "float"),
    "__int__": _one_element(int, "int"),
}


# -- methods ---------------------------------------------------------------------------------


def _shape_args(shape):
    """``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` both mean shape (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def reshape(self, *shape):
    """The same elements in a new shape: ``t.reshape(2, -1)`` or ``t.reshape((2, -1))``."""
    return ops.reshape(self, _shape_args(shape))


def permute(self, *dims):
    """Reorder the axes: ``t.permute(0, 2, 1)`` or ``t.permute((0, 2, 1))``."""
    return ops.permute(self, _shape_args(dims))


def transpose_2d(self):
    """``t.T``: the axes reversed (for a matrix, its transpose)."""
    return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))


def transpose_matrix(self):
    """``t.t()``: a matrix transposed (a tensor of fewer than 2 axes unchanged), as torch."""
    if self.ndim > 2:
        raise ValueError(
            f"t() expects a tensor of at most 2 dimensions, got shape {self.shape}; "
            "use transpose(dim0, dim1)"
        )
    return transpose_2d(self)


def _like(self, shape, dtype, device, requires_grad, fill):
    fill = as_array(
        fill,
        dtype=self.dtype if dtype is None else dtype,
        device=self.device if device is None else device,
    )
    shape = ops._shape_arguments(shape)
    return Tensor(get_array_module(fill).full(shape, fill), requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of ``size`` with this tensor's dtype and device (unless given)."""
    return _like(self, size, dtype, device, requires_grad, 0)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of ``size`` with this tensor's dtype and device (unless given)."""
    return _like(self, size, dtype, device, requires_grad, 1)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``, this tensor's dtype and device."""
    return _like(self, (size,), dtype, device, requires_grad, fill_value)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A copy of ``data`` as a tensor with this tensor's dtype and device (unless given)."""
    data = data.data if isinstance(data, Tensor) else data
    array = as_array(
        data,
        dtype=self.dtype if dtype is None else dtype,
        device=self.device if device is None else device,
    )
    return Tensor(array.copy() if array is data else array, requires_grad=requires_grad)


# -- in place --------------------------------------------------------------------------------


def _in_place(name, write, graph_op):
    """The method ``name``: ``write(array, *args)`` changes the array in place, outside the
    graph; ``graph_op(tensor, *args)`` is the same as an out-of-place op, used when an argument
    requires grad (the result joins the graph and is written into this tensor's array)."""

    def method(self, *args, **kwargs):
        recording = is_grad_enabled()
        if recording and self.requires_grad:
            if self.is_leaf:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an "
                    f"in-place operation ({name}); wrap it in no_grad()"
                )
            raise RuntimeError(
                f"{name}: in-place ops on a tensor computed in the graph are "
                f"not supported (a non-leaf that requires grad); use the "
                f"out-of-place op"
            )
        if recording and any(
            isinstance(a, Tensor) and a.requires_grad for a in (*args, *kwargs.values())
        ):
            result = graph_op(Tensor(self.data.copy()), *args, **kwargs)
            if result.shape != self.shape:
                raise ValueError(
                    f"{name}: the result has shape {result.shape}, which does "
                    f"not fit in place into shape {self.shape}"
                )
            self.data[...] = result.data
            self._node, self._output_index = result._node, result._output_index
            self.requires_grad = True
        else:
            write(self.data, *[_data(a) for a in args], **{k: _data(v) for k, v in kwargs.items()})
        self._version += 1
        return self

    method.__name__ = name
    return method


def _add_in_place(array, other, alpha=1):
    array += other if alpha == 1 else alpha * other


def _sub_in_place(array, other, alpha=1):
    array -= other if alpha == 1 else alpha * other


def _mul_in_place(array, other):
    array *= other


def _div_in_place(array, other):
    array /= other


def _fill_in_place(array, value):
    array[...] = value


def _zero_in_place(array):
    array[...] = 0


def _copy_in_place(array, src):
    array[...] = to_device(src, device_of(array)) if hasattr(src, "shape") else src


def _clamp_in_place(array, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must be given")
    get_array_module(array).clip(array, min, max, out=array)


def _filled(self, value):
    return ops.expand(ops.reshape(value, (1,) * self.ndim), self.shape)


def _copied(self, src):
    return ops.expand(src.to(self.device, self.dtype), self.shape)


_IN_PLACE = {
    "add_": (_add_in_place, lambda self, other, alpha=1: ops.add(self, other, alpha=alpha)),
    "sub_": (_sub_in_place, lambda self, other, alpha=1: ops.sub(self, other, alpha=alpha)),
    "mul_": (_mul_in_place, ops.mul),
    "div_": (_div_in_place, ops.div),
    "fill_": (_fill_in_place, _filled),
    "zero_": (_zero_in_place, None),
    "copy_": (_copy_in_place, _copied),
    "clamp_": (_clamp_in_place, ops.clamp),
}


def _comparison_method(compare, name):
    method = _comparison(compare)
    method.__name__ = name
    method.__doc__ = f"Element-wise ``{name}`` as a bool tensor outside the graph."
    return method


_METHODS = {
    "add": ops.add,
    "sub": ops.sub,
    "mul": ops.mul,
    "div": ops.div,
    "neg": ops.neg,
    "eq": _comparison_method(lambda a, b: a == b, "eq"),
    "ne": _comparison_method(lambda a, b: a != b, "ne"),
    "lt": _comparison_method(lambda a, b: a < b, "lt"),
    "le": _comparison_method(lambda a, b: a <= b, "le"),
    "gt": _comparison_method(lambda a, b: a > b, "gt"),
    "ge": _comparison_method(lambda a, b: a >= b, "ge"),
    "sum": ops.sum,
    "mean": ops.mean,
    "max": ops.max,
    "min": ops.min,
    "var": ops.var,
    "std": ops.std,
    "logsumexp": ops.logsumexp,
    "cumsum": ops.cumsum,
    "maximum": ops.maximum,
    "minimum": ops.minimum,
    "exp": ops.exp,
    "log": ops.log,
    "sqrt": ops.sqrt,
    "abs": ops.abs,
    "clamp": ops.clamp,
    "clip": ops.clamp,
    "pow": ops.pow,
    "matmul": ops.matmul,
    "transpose": ops.transpose,
    "reshape": reshape,
    "view": reshape,
    "view_as": lambda self, other: ops.reshape(self, other.shape),
    "reshape_as": lambda self, other: ops.reshape(self, other.shape),
    "expand": ops.expand,
    "expand_as": lambda self, other: ops.expand(self, other.shape),
    "repeat": ops.repeat,
    "flip": lambda self, *dims: ops.flip(self, _shape_args(dims)),
    "roll": ops.roll,
    "triu": ops.triu,
    "tril": ops.tril,
    "permute": permute,
    "t": transpose_matrix,
    "contiguous": lambda self: self,
    "flatten": ops.flatten,
    "unsqueeze": ops.unsqueeze,
    "squeeze": ops.squeeze,
    "gather": ops.gather,
    "scatter_add": ops.scatter_add,
    "masked_fill": ops.masked_fill,
    "split": ops.split,
    "chunk": ops.chunk,
    "topk": ops.topk,
    "sort": ops.sort,
    "argmax": ops.argmax,
    "argmin": ops.argmin,
    "relu": lambda self: activation.relu(self),
    "sigmoid": lambda self: activation.sigmoid(self),
    "tanh": lambda self: activation.tanh(self),
    "softmax": lambda self, dim: activation.softmax(self, dim),
    "log_softmax": lambda self, dim: activation.log_softmax(self, dim),
    "new_zeros": new_zeros,
    "new_ones": new_ones,
    "new_full": new_full,
    "new_tensor": new_tensor,
    **{name: _in_place(name, write, graph_op) for name, (write, graph_op) in _IN_PLACE.items()},
}

for _name, _function in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _function)
Tensor.T = property(transpose_2d)
