"""Tensor's operators and methods (``a + b``, ``a @ b``, ``t.sum(1)``, ``t.relu()`` …).

``autograd.Tensor`` knows nothing about arithmetic; importing ``chainrule.functional`` runs this
module, which binds PyTorch's operator and method names to the functional ops. Comparisons give
bool tensors outside the graph, as PyTorch's do.
"""

from . import activation
from . import math as ops
from ..autograd import Tensor
from ..backend import get_array_module


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
            raise RuntimeError(f"{name}() of a tensor with more than one element (shape "
                               f"{self.shape}) is ambiguous")
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


def flatten(self, start_dim=0, end_dim=-1):
    """Merge axes start_dim … end_dim (inclusive) into one."""
    if self.ndim == 0:
        return ops.reshape(self, (1,))
    start, end = start_dim % self.ndim, end_dim % self.ndim
    shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
    return ops.reshape(self, shape)


def unsqueeze(self, dim):
    """Insert an axis of size 1 at ``dim`` (−ndim−1 ≤ dim ≤ ndim)."""
    dim = dim % (self.ndim + 1)
    return ops.reshape(self, self.shape[:dim] + (1,) + self.shape[dim:])


def squeeze(self, dim=None):
    """Drop axes of size 1: all of them, or only ``dim`` (if its size is 1)."""
    if dim is None:
        shape = tuple(n for n in self.shape if n != 1)
    else:
        dim = dim % self.ndim if self.ndim else 0
        shape = self.shape if self.ndim == 0 or self.shape[dim] != 1 else \
            self.shape[:dim] + self.shape[dim + 1:]
    return ops.reshape(self, shape)


def transpose_2d(self):
    """``t.T``: the axes reversed (for a matrix, its transpose)."""
    return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))


def _arg_extreme(name):
    def method(self, dim=None, keepdim=False):
        xp = get_array_module(self.data)
        pick = getattr(xp, name)
        if dim is None:
            indices = pick(self.data)
            return Tensor(xp.asarray(indices).reshape((1,) * self.ndim if keepdim else ()))
        indices = pick(self.data, axis=dim)
        return Tensor(xp.expand_dims(indices, dim) if keepdim else indices)
    method.__name__ = name
    method.__doc__ = f"Indices of the {name[3:]}imum (flattened when ``dim`` is None); no grad."
    return method


_METHODS = {
    "sum": ops.sum,
    "mean": ops.mean,
    "max": ops.max,
    "min": ops.min,
    "var": ops.var,
    "exp": ops.exp,
    "log": ops.log,
    "sqrt": ops.sqrt,
    "abs": ops.abs,
    "clamp": ops.clamp,
    "pow": ops.pow,
    "matmul": ops.matmul,
    "transpose": ops.transpose,
    "reshape": reshape,
    "view": reshape,
    "permute": permute,
    "flatten": flatten,
    "unsqueeze": unsqueeze,
    "squeeze": squeeze,
    "argmax": _arg_extreme("argmax"),
    "argmin": _arg_extreme("argmin"),
    "relu": lambda self: activation.relu(self),
    "sigmoid": lambda self: activation.sigmoid(self),
    "tanh": lambda self: activation.tanh(self),
    "softmax": lambda self, dim: activation.softmax(self, dim),
    "log_softmax": lambda self, dim: activation.log_softmax(self, dim),
}

for _name, _function in {**_OPERATORS, **_METHODS}.items():
    setattr(Tensor, _name, _function)
Tensor.T = property(transpose_2d)
